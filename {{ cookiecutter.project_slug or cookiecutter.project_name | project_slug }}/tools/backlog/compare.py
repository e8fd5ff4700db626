"""How a board value is compared with the plan's: numbers, HTML the service re-serialized,
iteration paths in any case, WIQL the service rewrote on save. Pure, standard library only."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from backlog.snapshot import ACCEPTANCE_FIELD, DESCRIPTION_FIELD


def same_value(name: str, wanted: Any, remote: Any) -> bool:
    if isinstance(wanted, int | float) and not isinstance(wanted, bool):
        try:
            return remote is not None and abs(float(remote) - float(wanted)) < 1e-9
        except (TypeError, ValueError):
            return False
    if name in (DESCRIPTION_FIELD, ACCEPTANCE_FIELD):
        return html_equivalent(str(wanted), str(remote or ""))
    if name == "System.IterationPath":
        return str(wanted).lower() == str(remote or "").lower()
    return wanted == remote


class _Tokens(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("<", tag, *sorted(f"{k}={v or ''}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("/", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.tokens.append(("t", text))


def html_equivalent(a: str, b: str) -> bool:
    """Same markup and text, ignoring whitespace, entity spelling and ``<br/>`` vs ``<br>``.

    The service may re-serialize HTML it stores; an unchanged description must not look
    changed, or every re-run would write.
    """

    def tokens(value: str) -> list[tuple[str, ...]]:
        parser = _Tokens()
        parser.feed(value)
        parser.close()
        return [t for t in parser.tokens if t not in (("/", "br"),)]

    return tokens(a) == tokens(b)


_WIQL_PARTS = re.compile(r"('(?:[^']|'')*')")
_SAVED_ID = re.compile(r"\s*<id:[^>]*>")


def canonical_wiql(text: str) -> str:
    """WIQL as compared: the service re-writes a saved query (lower-case keywords, no space
    after commas, ``mode(...)``, ``@currentIteration('[P]\\T <id:GUID>')``), so outside
    '...' literals everything is lower-cased with all whitespace removed, and inside them the
    ``<id:...>`` suffix the service appends is dropped."""
    parts = _WIQL_PARTS.split(text or "")
    return "".join(
        _SAVED_ID.sub("", part) if i % 2 else "".join(part.lower().split())
        for i, part in enumerate(parts)
    )
