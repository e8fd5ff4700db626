"""Field rules for ``schema``: each checks one value, reports one line, and returns the value.

Every rule returns ``None`` when the value is unusable and has then already reported exactly
one problem; an absent key (``MISSING``) is reported once by ``mapping`` and ignored here, so a
missing field never produces a second, confusing message. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from backlog.spec import DAY_NAMES, KEY_MAX, KEY_PATTERN, SPRINT_COUNT_RANGE, TITLE_MAX
from backlog.strict_yaml import LineList, LineMap

MISSING = object()

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class At:
    """Where a value sits: its path (``phases[2].stories[0].size``) and its line."""

    where: str
    line: int | None = None

    def key(self, container: object, name: str) -> At:
        line = container.line_of(name) if isinstance(container, LineMap) else self.line
        return At(f"{self.where}.{name}" if self.where else name, line)

    def item(self, container: object, index: int) -> At:
        line = container.line_of(index) if isinstance(container, LineList) else self.line
        return At(f"{self.where}[{index}]", line)


class Problems:
    """Collects one line per problem: ``<source>: <where>: <rule> (line N)``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, at: At, rule: str) -> None:
        suffix = f" (line {at.line})" if at.line else ""
        self.lines.append(f"{self.source}: {at.where or 'file'}: {rule}{suffix}")


def field(node: LineMap, name: str, at: At) -> tuple[object, At]:
    """The value of ``name`` in ``node`` (``MISSING`` when absent) and where it sits."""
    return node.get(name, MISSING), at.key(node, name)


def mapping(value, at: At, p: Problems, allowed: tuple[str, ...], optional=()) -> LineMap | None:
    """A mapping with only ``allowed`` keys and all of them except ``optional``."""
    if value is MISSING:
        return None
    if not isinstance(value, dict):
        p.add(at, f"must be a mapping with the keys {', '.join(allowed)}")
        return None
    for key in value:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            p.add(at.key(value, str(key)), f"unknown key{hint} (known: {', '.join(allowed)})")
    for key in allowed:
        if key not in value and key not in optional:
            p.add(at, f"'{key}' is required")
    return value


def listing(value, at: At, p: Problems, *, non_empty: bool = False) -> list | None:
    if value is MISSING:
        return None
    if not isinstance(value, list):
        p.add(at, f"must be a list, not {kind(value)}")
        return None
    if non_empty and not value:
        p.add(at, "must not be empty")
    return value


def items(values: list | None, at: At) -> Iterator[tuple[object, At]]:
    for index, value in enumerate(values or ()):
        yield value, at.item(values, index)


def text(value, at: At, p: Problems) -> str | None:
    """Free text: any non-blank string, surrounding spaces removed."""
    if value is MISSING:
        return None
    if not isinstance(value, str):
        p.add(at, f"must be text, not {kind(value)}")
        return None
    if not value.strip():
        p.add(at, "must not be empty")
        return None
    return value.strip()


def texts(value, at: At, p: Problems, *, non_empty: bool = False) -> list[str] | None:
    values = listing(value, at, p, non_empty=non_empty)
    if values is None:
        return None
    result = [text(v, item_at, p) for v, item_at in items(values, at)]
    return None if None in result else result


def title(value, at: At, p: Problems) -> str | None:
    """Text that becomes (part of) a work item title."""
    result = text(value, at, p)
    if result is not None and (problem := title_problem(result)):
        p.add(at, problem)
        return None
    return result


def title_problem(value: str) -> str | None:
    if _CONTROL.search(value):
        return "a work item title must be one line without control characters"
    if len(value) > TITLE_MAX:
        return f"a work item title must be at most {TITLE_MAX} characters (it has {len(value)})"
    return None


def key(value, at: At, p: Problems) -> str | None:
    if value is MISSING:
        return None
    if not isinstance(value, str) or not KEY_PATTERN.match(value) or len(value) > KEY_MAX:
        p.add(
            at,
            f"{value!r} is not a key: use lower-case letters, digits and '-', starting with a "
            f"letter or digit, at most {KEY_MAX} characters",
        )
        return None
    return value


def whole(value, at: At, p: Problems, low: int, high: int) -> int | None:
    if value is MISSING:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        p.add(at, f"{value!r} must be a whole number from {low} to {high}")
        return None
    return value


def positive(value, at: At, p: Problems, *, unit: str, high: float | None = None) -> float | None:
    if value is MISSING:
        return None
    if not is_number(value) or value <= 0 or (high is not None and value > high):
        limit = f" and at most {high:g}" if high is not None else ""
        p.add(at, f"{value!r} must be a number of {unit} above 0{limit}")
        return None
    return float(value)


def boolean(value, at: At, p: Problems) -> bool | None:
    if value is MISSING:
        return None
    if not isinstance(value, bool):
        p.add(at, f"{value!r} must be true or false")
        return None
    return value


def date(value, at: At, p: Problems) -> dt.date | None:
    if value is MISSING:
        return None
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        p.add(at, f"{value!r} is not a date in the form YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        p.add(at, f"{value!r} is not a real date (no such day in the calendar)")
        return None


def day_names(value, at: At, p: Problems) -> tuple[str, ...] | None:
    """Unique weekday names, returned in calendar order."""
    days = texts(value, at, p, non_empty=True)
    if days is None:
        return None
    bad = False
    for index, day in enumerate(days):
        if day not in DAY_NAMES:
            hint = did_you_mean(day, DAY_NAMES)
            p.add(at.item(value, index), f"{day!r} is not a day name{hint}")
            bad = True
    if len(set(days)) != len(days):
        p.add(at, "lists a day twice")
        bad = True
    return None if bad or not days else tuple(d for d in DAY_NAMES if d in days)


def sprint_range(value, at: At, p: Problems, count: int | None) -> tuple[int, int] | None:
    if value is MISSING:
        return None
    numbers = isinstance(value, list) and len(value) == 2
    if not numbers or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        p.add(at, f"{value!r} must be [first, last]: two sprint numbers")
        return None
    first, last = value
    # When sprints.count is itself broken (already reported), check against the largest count.
    high = count if count is not None else SPRINT_COUNT_RANGE[1]
    if not 1 <= first <= last <= high:
        why = f"sprints.count is {count}" if count is not None else "the most sprints allowed"
        p.add(at, f"[{first}, {last}] must satisfy 1 <= first <= last <= {high} ({why})")
        return None
    return first, last


def repo_path(link: str, at: At, p: Problems, root: Path | None) -> bool:
    """A path relative to the project root that exists (not checked when ``root`` is None)."""
    path = PurePosixPath(link)
    if path.is_absolute() or "\\" in link or ":" in link:
        p.add(at, f"{link!r} must be a path relative to the project root, with '/' separators")
    elif ".." in path.parts:
        p.add(at, f"{link!r} must stay inside the project (no '..')")
    elif root is not None and not (root / path).exists():
        p.add(at, f"{link!r} does not exist in the project (paths are relative to its root)")
    else:
        return True
    return False


def named(check: Callable[[str], str | None], value: str | None, at: At, p: Problems) -> bool:
    """Apply one of ``backlog.naming``'s Azure DevOps rules to ``value``."""
    if value is not None and (problem := check(value)):
        p.add(at, f"{value!r}: {problem}")
        return False
    return value is not None


def unique(values: list | None, name: str, at: At, p: Problems) -> None:
    """Each mapping in ``values`` has a different ``name`` field."""
    seen: dict[str, int] = {}
    for index, value in enumerate(values or ()):
        if not isinstance(value, dict) or not isinstance(value.get(name), str):
            continue
        if value[name] in seen:
            where = at.item(values, index).key(value, name)
            p.add(where, f"{value[name]!r} is already used by {at.where}[{seen[value[name]]}]")
        else:
            seen[value[name]] = index


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def did_you_mean(value: object, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
