"""The base to record once the writes are done: what landed, and nothing else.

Pure, standard library only (see ``base.py`` for where it is stored, ``diff.py`` for how each
change's ``base_after`` is decided).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backlog.base import Base
from backlog.diff import ChangeSet


def next_base(changes: ChangeSet, old: Base, landed: Callable[[str, str], bool]) -> Base:
    """The base to record after the writes: a change's values where it landed (or needed no
    write), the old base where a write failed, nothing for what is no longer planned."""
    items: dict[str, Any] = {}
    for change in changes.items:
        if change.base_after is None:
            continue
        if change.action == "unchanged" or landed("item", change.key):
            items[change.key] = change.base_after
        elif change.key in old.items:
            items[change.key] = old.items[change.key]
    sprints: dict[str, tuple[str, str]] = {}
    for sprint in changes.iterations:
        ok = sprint.action == "unchanged" or landed("sprint", sprint.name)
        value = sprint.base_after if ok else old.sprints.get(sprint.name)
        if value is not None:
            sprints[sprint.name] = value
    queries: dict[str, str] = {}
    for query in changes.queries:
        ok = query.action == "unchanged" or landed("query", query.name)
        value = query.base_after if ok else old.queries.get(query.name.lower())
        if value is not None:
            queries[query.name.lower()] = value
    wip = dict(old.wip)
    board = changes.board
    if board is not None:
        ok = board.action == "unchanged" or landed("WIP limit", board.board)
        wip = dict(board.base_after if ok else board.base_before)
    return Base(items, sprints, queries, wip, present=True)
