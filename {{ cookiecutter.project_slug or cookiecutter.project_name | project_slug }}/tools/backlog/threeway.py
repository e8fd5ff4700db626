"""Three-way decisions per field: the base (what the tool last wrote), the file, the board.

- file == board: nothing to write; the base becomes the file's value.
- file == base: the file did not change it; the board's value stays, whatever it is (a team
  edit when it differs).
- board == base: the file changed it and nobody touched it: update.
- otherwise a conflict: the board's value stays and is reported; ``prefer_file`` writes the
  file's. Without a base for the field (first apply after upgrading, or a lost base) a
  difference is a conflict too: nothing people changed is reverted, and the file's value
  becomes the base, so the next run keeps the board's value as a team edit.

Pure, standard library only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Decision = Literal["same", "team", "update", "conflict"]
MISSING = object()  # no base value recorded for the field


@dataclass(frozen=True)
class Conflict:
    key: str  # item key, sprint name, query name or board column
    title: str
    field: str  # the field as people call it: title, iteration, size, WIP limit ...
    base: Any
    file: Any
    board: Any
    written: bool = False  # --prefer-file wrote the file's value

    def values(self) -> tuple[Any, Any, Any]:
        return self.base, self.file, self.board


@dataclass(frozen=True)
class Kept:
    """A team edit the file did not touch: left on the board."""

    key: str
    title: str
    field: str
    board: Any


def decide(
    file: Any, base: Any, board: Any, same: Callable[[Any, Any], bool]
) -> tuple[Decision, bool]:
    """(decision, base_known) for one field; ``base`` is ``MISSING`` when none is recorded."""
    if same(file, board):
        return "same", base is not MISSING
    if base is MISSING:
        return "conflict", False
    if same(file, base):
        return "team", True
    if same(board, base):
        return "update", True
    return "conflict", True


@dataclass(frozen=True)
class Merge:
    """The outcome for one field: write it or not, and the base to record if the write lands."""

    decision: Decision
    write: bool
    base_after: Any  # MISSING: record nothing for the field


def merge(file: Any, base: Any, board: Any, same: Callable[[Any, Any], bool], prefer_file: bool):
    decision, known = decide(file, base, board, same)
    if decision in ("same", "update"):
        return Merge(decision, decision == "update", file)
    if decision == "team":
        return Merge(decision, False, base)
    if prefer_file:
        return Merge(decision, True, file)
    # A conflict keeps the board's value; the base stays, or is seeded with the file's value
    # when there was none (so a first apply after upgrading reports each difference once).
    return Merge(decision, False, base if known else file)


def merge_tags(
    file: set[str], base: set[str] | None, board: set[str], prefer_file: bool
) -> tuple[set[str], set[str], list[str], set[str]]:
    """Per tag the tool manages: (tags to add, tags to remove, conflicting tags, base after).

    Tags are compared in lower case. A tag in neither the file nor the base is the team's
    and never touched. Without a base, a managed tag the board lacks (or has extra) is a
    conflict kept, like any field without a base.
    """
    add, remove, conflicts, after = set(), set(), [], set()
    for tag in sorted(file | (base or set())):
        wanted, on_board = tag in file, tag in board
        known = MISSING if base is None else (tag in base)
        result = merge(wanted, known, on_board, lambda a, b: a == b, prefer_file)
        if result.decision == "conflict":
            conflicts.append(tag)
        if result.write:
            (add if wanted else remove).add(tag)
        if result.base_after is True:
            after.add(tag)
    return add, remove, conflicts, after


_TAGS = re.compile(r"<[^>]+>")


def shown(value: Any, limit: int = 60, iteration: bool = False) -> str:
    """A value as one short line for the summary: HTML as text, long text cut."""
    if value is MISSING or value is None:
        return "(none)"
    if isinstance(value, bool):
        return "present" if value else "absent"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(html.unescape(_TAGS.sub(" ", str(value))).split())
    if iteration:  # an iteration path: its sprint is what people read
        text = text.rsplit("\\", 1)[-1]
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"'{text}'"


def conflict_line(conflict: Conflict) -> str:
    outcome = "file's value written (--prefer-file)" if conflict.written else "board's kept"
    path = conflict.field == "iteration"
    base, file, board = (shown(v, iteration=path) for v in conflict.values())
    return (
        f"conflict: [{conflict.key}] {conflict.title!r} {conflict.field}: base {base}, "
        f"file {file}, board {board} - {outcome}"
    )
