"""The base of the three-way sync: what ``apply`` last wrote, kept in the Azure DevOps project.

A fresh checkout (the sync pipeline, a new laptop) has no local state, so the base lives in the
project's properties (Projects - Get/Set Project Properties), one read for all of it. It holds,
per item key and field, the value the tool last applied, and the sprint dates, query texts and
WIP limits it last set. It records what the TOOL wrote, so whoever runs apply with whatever
credential, the board's other values are recognised as people's edits.

Stored as compact JSON, zlib-compressed and base64-encoded, split over numbered properties of
at most ``CHUNK_CHARS`` characters (the REST reference documents no size limit for a property
value; a small chunk keeps each one far below any), plus a header property with the number of
chunks and a SHA-256 of the whole, so a torn or hand-edited base reads as "no base" - the safe
case, where nothing people changed is overwritten. Standard library only; no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
CHUNK_CHARS = 4000
PREFIX = "MLBacklog"


class BaseFormatError(ValueError):
    """The stored base cannot be read (torn write, other version, hand edit)."""


@dataclass(frozen=True)
class Base:
    """Last-applied values. ``present`` is False when nothing was ever recorded."""

    items: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # key -> field -> value
    sprints: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # name -> dates
    queries: Mapping[str, str] = field(default_factory=dict)  # lower-case name -> wiql sent
    wip: Mapping[str, int] = field(default_factory=dict)  # column name -> limit
    present: bool = False

    def item(self, key: str) -> Mapping[str, Any] | None:
        return self.items.get(key)


def header_name(slug: str) -> str:
    return f"{PREFIX}.{slug}.Base"


def chunk_name(slug: str, index: int) -> str:
    return f"{PREFIX}.{slug}.Base.{index}"


def property_pattern(slug: str) -> str:
    """The ``keys`` filter that reads the header and every chunk in one request."""
    return f"{PREFIX}.{slug}.Base*"


def _payload(value: Base) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "items": {k: dict(sorted(v.items())) for k, v in sorted(value.items.items())},
        "sprints": {k: list(v) for k, v in sorted(value.sprints.items())},
        "queries": dict(sorted(value.queries.items())),
        "wip": dict(sorted(value.wip.items())),
    }


def encode(value: Base, slug: str) -> dict[str, str]:
    """Property name -> value for ``value`` (header and chunks)."""
    text = json.dumps(_payload(value), separators=(",", ":"), ensure_ascii=False)
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    chunks = [packed[i : i + CHUNK_CHARS] for i in range(0, len(packed), CHUNK_CHARS)] or [""]
    digest = hashlib.sha256(packed.encode("ascii")).hexdigest()
    props = {header_name(slug): f"format={FORMAT};chunks={len(chunks)};sha256={digest}"}
    props.update({chunk_name(slug, i): chunk for i, chunk in enumerate(chunks)})
    return props


def decode(props: Mapping[str, Any], slug: str) -> Base:
    """The base stored in ``props``; ``Base()`` when there is none; raise when unreadable."""
    header = props.get(header_name(slug))
    if header is None:
        return Base()
    try:
        parts = dict(part.split("=", 1) for part in str(header).split(";"))
        if int(parts["format"]) != FORMAT:
            raise BaseFormatError(f"format {parts['format']} (this tool reads {FORMAT})")
        count = int(parts["chunks"])
        packed = "".join(str(props[chunk_name(slug, i)]) for i in range(count))
        if hashlib.sha256(packed.encode("ascii")).hexdigest() != parts["sha256"]:
            raise BaseFormatError("its checksum does not match (a torn or edited write)")
        data = json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))
        return Base(
            items={str(k): dict(v) for k, v in data["items"].items()},
            sprints={str(k): (str(v[0]), str(v[1])) for k, v in data["sprints"].items()},
            queries={str(k): str(v) for k, v in data["queries"].items()},
            wip={str(k): int(v) for k, v in data["wip"].items()},
            present=True,
        )
    except BaseFormatError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, zlib.error, UnicodeError) as error:
        raise BaseFormatError(f"unreadable ({type(error).__name__})") from None


def patch_document(
    value: Base, slug: str, existing: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    """The JSON Patch that stores ``value``; None when ``existing`` already holds exactly it.

    Chunks left over from a longer base are removed in the same request; the header is written
    last, so a reader of a half-applied patch sees a checksum mismatch, never a wrong base.
    """
    wanted = encode(value, slug)
    mine = {k: v for k, v in existing.items() if k.startswith(f"{PREFIX}.{slug}.Base")}
    if mine == wanted:
        return None
    header = header_name(slug)
    ops = [
        {"op": "add", "path": f"/{name}", "value": text}
        for name, text in wanted.items()
        if name != header
    ]
    ops += [{"op": "remove", "path": f"/{name}"} for name in sorted(mine) if name not in wanted]
    ops.append({"op": "add", "path": f"/{header}", "value": wanted[header]})
    return ops
