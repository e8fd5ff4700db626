"""What exists on Azure Boards, as read by the apply step: the input of ``diff.compute``.

Plain frozen data, standard library only, so the diff can be tested with hand-made snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backlog.base import Base
from backlog.model import KEY_TAG_PREFIX

ACCEPTANCE_FIELD = "Microsoft.VSTS.Common.AcceptanceCriteria"
DESCRIPTION_FIELD = "System.Description"


@dataclass(frozen=True)
class RemoteItem:
    """A work item this tool created (it carries the project tag and one key tag)."""

    id: int
    rev: int
    type: str
    key: str | None  # from its key tag; None when no key tag of this project is on it
    fields: Mapping[str, Any]
    tags: tuple[str, ...] = ()
    parent_id: int | None = None
    parent_relation_index: int | None = None  # position of the parent link in its relations
    state: str = ""


@dataclass(frozen=True)
class RemoteIteration:
    """A sprint node below the ML project's iteration folder."""

    name: str
    identifier: str | None  # the node GUID (team subscriptions use it)
    start: str | None  # ISO date
    finish: str | None
    subscribed: bool


@dataclass(frozen=True)
class RemoteQuery:
    id: str
    name: str
    wiql: str


@dataclass(frozen=True)
class RemoteBoard:
    name: str
    columns: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Snapshot:
    """The remote state, read with as few requests as possible."""

    items: Mapping[str, RemoteItem] = field(default_factory=dict)  # by key
    unkeyed: tuple[RemoteItem, ...] = ()  # project tag but no (known) key: orphans
    duplicates: tuple[RemoteItem, ...] = ()  # a second item with a key (e.g. a copied card)
    folder_exists: bool = False
    iterations: Mapping[str, RemoteIteration] = field(default_factory=dict)  # by name
    query_folder_id: str | None = None
    queries: Mapping[str, RemoteQuery] = field(default_factory=dict)  # by lower-case name
    board: RemoteBoard | None = None
    # work item type -> its field reference names / its states (name -> category)
    type_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    type_states: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # The three-way base (base.py), the properties it was read from, and the project's GUID
    # (the properties' route wants it); base_problem says why a stored base was unreadable.
    base: Base = field(default_factory=Base)
    base_properties: Mapping[str, Any] = field(default_factory=dict)
    project_id: str | None = None
    base_problem: str = ""


def split_tags(value: str | None) -> tuple[str, ...]:
    """Azure DevOps stores tags as one '; '-separated string."""
    if not value:
        return ()
    return tuple(t.strip() for t in str(value).split(";") if t.strip())


def key_from_tags(tags: tuple[str, ...], project_slug: str) -> list[str]:
    """Every item key named by this project's key tags (exact prefix match, any case)."""
    prefix = f"{KEY_TAG_PREFIX}{project_slug}:".lower()
    return [t[len(prefix) :] for t in tags if t.lower().startswith(prefix)]
