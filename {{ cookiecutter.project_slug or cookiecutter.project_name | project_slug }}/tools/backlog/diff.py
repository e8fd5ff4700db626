"""Plan + process + remote snapshot + base -> the ordered change set ``apply`` prints and executes.

Pure: no I/O, standard library only. Rules:
- items are matched by their key tag, never by title; only missing ones are created;
- every field, tag, link, sprint's dates, query text and WIP limit the tool writes is merged
  three-way (``threeway.py``) against the base, the value the tool last applied: the board's
  value is kept unless the file changed the field and nobody else did; a field both changed
  is a conflict, kept and reported (``prefer_file`` writes the file's);
- state, area and remaining work belong to the team once an item exists: never updated;
- tags the team added are never touched; identity tags are always ensured;
- items, sprints and queries no longer in the plan are reported as orphans; items are retired
  (state Removed, else tag ``ml-orphan``) only with ``prune``; nothing is ever deleted.
Each change carries ``base_after``: what the base records once that write has landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from backlog import wiql
from backlog.base import Base
from backlog.compare import canonical_wiql as canonical_wiql
from backlog.compare import html_equivalent as html_equivalent
from backlog.compare import same_value as same_value
from backlog.model import Plan, PlannedItem
from backlog.process import ProcessProfile
from backlog.snapshot import ACCEPTANCE_FIELD, DESCRIPTION_FIELD, RemoteItem, Snapshot
from backlog.threeway import MISSING, Conflict, Kept, merge, merge_tags

Action = Literal["create", "update", "unchanged", "retire"]
REMAINING_WORK = "Microsoft.VSTS.Scheduling.RemainingWork"
CREATE_ONLY = frozenset({REMAINING_WORK})  # the team's burn-down, not the plan's
ORPHAN_TAG = "ml-orphan"
FIELD_NAMES = {
    "System.Title": "title",
    DESCRIPTION_FIELD: "description",
    ACCEPTANCE_FIELD: "acceptance criteria",
    "System.IterationPath": "iteration",
    "Microsoft.VSTS.Scheduling.OriginalEstimate": "original estimate",
}


@dataclass(frozen=True)
class IterationChange:
    action: Action
    key: str
    name: str
    start: str
    finish: str
    subscribe: bool  # the team does not have it yet
    identifier: str | None = None
    base_after: tuple[str, str] | None = None


@dataclass(frozen=True)
class ItemChange:
    action: Action
    key: str
    type: str
    title: str
    fields: dict[str, Any] = field(default_factory=dict)  # create: all; update: changed only
    tags: str | None = None  # the whole tag string to write, None when unchanged
    parent_key: str | None = None
    reparent: bool = False  # update: the parent link must change
    remote_id: int | None = None
    rev: int | None = None
    parent_relation_index: int | None = None
    changed: tuple[str, ...] = ()  # names of what differs, for the printed plan
    base_after: dict[str, Any] | None = None  # None: not a planned item (retire)


@dataclass(frozen=True)
class QueryChange:
    action: Action
    key: str
    name: str
    wiql: str
    remote_id: str | None = None
    base_after: str | None = None


@dataclass(frozen=True)
class BoardChange:
    action: Action
    board: str
    limit: int
    columns: tuple[dict[str, Any], ...]
    base_after: dict[str, int] = field(default_factory=dict)
    # The limits the merge took as the base: what to keep recording when the write fails
    # (on a first apply, the board's own, so the next run still sets the file's limit).
    base_before: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeSet:
    create_folder: bool
    iterations: tuple[IterationChange, ...]
    items: tuple[ItemChange, ...]
    create_query_folder: bool
    queries: tuple[QueryChange, ...]
    board: BoardChange | None
    orphans: tuple[str, ...]  # one line per orphan (items, sprints, queries)
    warnings: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    kept: tuple[Kept, ...] = ()  # team edits the file did not touch

    def writes(self) -> int:
        """Changes that need a request (subscriptions of new sprints included)."""
        count = int(self.create_folder) + int(self.create_query_folder)
        count += sum(c.action != "unchanged" or c.subscribe for c in self.iterations)
        count += sum(c.action != "unchanged" for c in self.items)
        count += sum(c.action != "unchanged" for c in self.queries)
        return count + int(self.board is not None and self.board.action != "unchanged")


def iteration_path(project: str, plan: Plan, sprint_name: str) -> str:
    return "\\".join([project, *plan.iteration_folder.split("\\"), sprint_name])


def desired_fields(
    item: PlannedItem, plan: Plan, profile: ProcessProfile, snapshot: Snapshot, project: str
) -> dict[str, Any]:
    """The field values the plan wants on ``item``, limited to fields its type has."""
    work_type = profile.type_of(item.role)
    known = snapshot.type_fields.get(work_type)
    fields: dict[str, Any] = {"System.Title": item.title}
    description = item.description_html
    if item.acceptance_html:
        if known is not None and ACCEPTANCE_FIELD in known:
            fields[ACCEPTANCE_FIELD] = item.acceptance_html
        else:  # the type has no Acceptance Criteria: the checklist goes below the description
            description += "<h3>Acceptance checklist</h3>" + item.acceptance_html
    if description:
        fields[DESCRIPTION_FIELD] = description
    if item.iteration_key:
        fields["System.IterationPath"] = iteration_path(
            project, plan, plan.iteration(item.iteration_key).name
        )
    if item.size is not None and item.role == "requirement":
        fields[profile.size_field] = item.size
    if item.estimate_hours is not None and item.role == "task":
        for name in profile.task_estimate_fields:
            fields[name] = item.estimate_hours
    if known is not None:
        fields = {k: v for k, v in fields.items() if k in known or k == "System.Title"}
    return fields


def desired_tags(item: PlannedItem, plan: Plan) -> list[str]:
    return [plan.project_tag, plan.key_tag(item.key), *item.tags]


class _Report:
    """Collects conflicts and kept team edits while the change set is built."""

    def __init__(self, prefer_file: bool, first_apply: bool) -> None:
        self.prefer_file = prefer_file
        # Nothing of this project on the board and no base: the tool never applied here, so
        # what is there (a board's default WIP limit, a same-named sprint) is taken over.
        self.first_apply = first_apply
        self.conflicts: list[Conflict] = []
        self.kept: list[Kept] = []

    def merge(self, key, title, name, file, base, board, same) -> Any:
        if base is MISSING and self.first_apply:
            base = board
        result = merge(file, base, board, same, self.prefer_file)
        if result.decision == "conflict":
            self.conflicts.append(Conflict(key, title, name, base, file, board, result.write))
        elif result.decision == "team":
            self.kept.append(Kept(key, title, name, board))
        return result


def field_name(name: str, profile: ProcessProfile) -> str:
    return "size" if name == profile.size_field else FIELD_NAMES.get(name, name)


def _item_change(
    item: PlannedItem,
    plan: Plan,
    profile: ProcessProfile,
    snapshot: Snapshot,
    project: str,
    recorded: Mapping[str, Any],
    report: _Report,
) -> ItemChange:
    work_type = profile.type_of(item.role)
    wanted = desired_fields(item, plan, profile, snapshot, project)
    managed = {t.lower(): t for t in item.tags}
    remote = snapshot.items.get(item.key)
    if remote is None:
        after = {k: v for k, v in wanted.items() if k not in CREATE_ONLY}
        after["tags"] = sorted(managed)
        if item.parent_key is not None:
            after["parent"] = item.parent_key
        tags = "; ".join(desired_tags(item, plan))
        return ItemChange(
            "create", item.key, work_type, item.title, wanted, tags, item.parent_key,
            base_after=after,
        )  # fmt: skip
    changed: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in wanted.items():
        if name in CREATE_ONLY:
            continue
        result = report.merge(
            item.key, item.title, field_name(name, profile), value,
            recorded.get(name, MISSING), remote.fields.get(name),
            lambda a, b, n=name: same_value(n, a, b),
        )  # fmt: skip
        if result.write:
            changed[name] = value
        if result.base_after is not MISSING:
            after[name] = result.base_after
    tag_value = _tags(item, plan, remote, recorded, managed, report, after)
    reparent = False
    if item.parent_key is not None:
        parent_ids = {r.id: k for k, r in snapshot.items.items()}
        board_parent = parent_ids.get(remote.parent_id, f"#{remote.parent_id}")
        if remote.parent_id is None:
            board_parent = None
        result = report.merge(
            item.key, item.title, "parent", item.parent_key,
            recorded.get("parent", MISSING), board_parent, lambda a, b: a == b,
        )  # fmt: skip
        reparent = result.write
        if result.base_after is not MISSING:
            after["parent"] = result.base_after
    names = [field_name(n, profile) for n in changed]
    names += [*(["tags"] if tag_value else []), *(["parent"] if reparent else [])]
    return ItemChange(
        "update" if names else "unchanged", item.key, remote.type, item.title, changed,
        tag_value, item.parent_key, reparent, remote.id, remote.rev,
        remote.parent_relation_index, tuple(names), after,
    )  # fmt: skip


def _tags(item, plan, remote: RemoteItem, recorded, managed, report: _Report, after) -> str | None:
    """The tag string to write (None: unchanged); records the managed tags' base."""
    board = {t.lower(): t for t in remote.tags}
    prior = recorded.get("tags")
    base = {str(t).lower() for t in prior} if isinstance(prior, list) else None
    add, remove, conflicts, tags_after = merge_tags(
        set(managed), base, set(board), report.prefer_file
    )
    for tag in conflicts:
        known = MISSING if base is None else tag in base
        report.conflicts.append(
            Conflict(
                item.key, item.title, f"tag {managed.get(tag, tag)}", known,
                tag in managed, tag in board, report.prefer_file,
            )
        )  # fmt: skip
    after["tags"] = sorted(tags_after)
    identity = [t for t in (plan.project_tag, plan.key_tag(item.key)) if t.lower() not in board]
    if not (add or remove or identity):
        return None
    kept = [t for low, t in board.items() if low not in remove]
    result = kept + [managed[t] for t in sorted(add)] + identity
    return "; ".join(sorted(dict.fromkeys(result), key=str.lower))


def _retire(remote: RemoteItem, snapshot: Snapshot, prune: bool) -> ItemChange | None:
    if not prune:
        return None
    states = snapshot.type_states.get(remote.type, {})
    if "Removed" in states:
        if remote.state == "Removed":
            return None
        fields: dict[str, Any] = {"System.State": "Removed"}
        return ItemChange(
            "retire",
            remote.key or f"#{remote.id}",
            remote.type,
            str(remote.fields.get("System.Title", "")),
            fields,
            None,
            remote_id=remote.id,
            rev=remote.rev,
            changed=("state",),
        )
    if any(t.lower() == ORPHAN_TAG for t in remote.tags):
        return None
    tags = "; ".join([*remote.tags, ORPHAN_TAG])
    return ItemChange(
        "retire",
        remote.key or f"#{remote.id}",
        remote.type,
        str(remote.fields.get("System.Title", "")),
        {},
        tags,
        remote_id=remote.id,
        rev=remote.rev,
        changed=("tags",),
    )


def compute(
    plan: Plan,
    profile: ProcessProfile,
    snapshot: Snapshot,
    *,
    project: str,
    team: str,
    prune: bool = False,
    base: Base | None = None,
    prefer_file: bool = False,
) -> ChangeSet:
    """The change set that brings Azure Boards to the plan, merged three-way with ``base``."""
    base = base or Base()
    report = _Report(prefer_file, first_apply=not base.present and not snapshot.items)
    iterations = [_iteration_change(s, snapshot, base, report) for s in plan.iterations]
    items = [
        _item_change(i, plan, profile, snapshot, project, base.items.get(i.key, {}), report)
        for i in plan.items
    ]
    planned_keys = {i.key for i in plan.items}
    stray = [r for k, r in snapshot.items.items() if k not in planned_keys]
    stray += list(snapshot.unkeyed)
    orphans = [
        f"work item #{r.id} {r.type} '{r.fields.get('System.Title', '')}' (key {r.key or 'none'})"
        for r in stray
    ]
    items += [c for c in (_retire(r, snapshot, prune) for r in stray) if c is not None]
    planned_sprints = {s.name for s in plan.iterations}
    orphans += [f"sprint '{n}'" for n in snapshot.iterations if n not in planned_sprints]
    queries = []
    for query in plan.queries:
        text = wiql.query_wiql(query, plan, profile, project=project, team=team)
        remote_query = snapshot.queries.get(query.name.lower())
        if remote_query is None:
            queries.append(QueryChange("create", query.key, query.name, text, base_after=text))
            continue
        result = report.merge(
            query.name, query.name, "query text", text,
            base.queries.get(query.name.lower(), MISSING), remote_query.wiql,
            lambda a, b: canonical_wiql(a) == canonical_wiql(b),
        )  # fmt: skip
        queries.append(
            QueryChange(
                "update" if result.write else "unchanged", query.key, query.name, text,
                remote_query.id, None if result.base_after is MISSING else result.base_after,
            )
        )  # fmt: skip
    planned_queries = {q.name.lower() for q in plan.queries}
    orphans += [
        f"query '{q.name}'" for k, q in snapshot.queries.items() if k not in planned_queries
    ]
    warnings = [
        f"work item #{d.id} carries the key {d.key} of #{snapshot.items[d.key].id} "
        "(a copy?): left alone"
        for d in snapshot.duplicates
        if d.key in snapshot.items
    ]
    board = _board_change(plan, snapshot, base, report)
    return ChangeSet(
        create_folder=not snapshot.folder_exists
        and bool(plan.iterations)
        and any(c.action == "create" for c in iterations),
        iterations=tuple(iterations),
        items=tuple(items),
        create_query_folder=snapshot.query_folder_id is None and bool(plan.queries),
        queries=tuple(queries),
        board=board,
        orphans=tuple(orphans),
        warnings=tuple(warnings),
        conflicts=tuple(report.conflicts),
        kept=tuple(report.kept),
    )


def _iteration_change(sprint, snapshot: Snapshot, base: Base, report: _Report) -> IterationChange:
    dates = (sprint.start.isoformat(), sprint.finish.isoformat())
    remote = snapshot.iterations.get(sprint.name)
    if remote is None:
        return IterationChange("create", sprint.key, sprint.name, *dates, True, base_after=dates)
    result = report.merge(
        sprint.name, sprint.name, "dates", dates, base.sprints.get(sprint.name, MISSING),
        (remote.start, remote.finish), lambda a, b: tuple(a) == tuple(b),
    )  # fmt: skip
    return IterationChange(
        "update" if result.write else "unchanged", sprint.key, sprint.name, *dates,
        not remote.subscribed, remote.identifier,
        None if result.base_after is MISSING else tuple(result.base_after),
    )  # fmt: skip


def _board_change(plan: Plan, snapshot: Snapshot, base: Base, report: _Report):
    if not plan.wip_limit or snapshot.board is None:
        return None
    columns = [dict(c) for c in snapshot.board.columns]
    changed, after, before = False, {}, {}
    for column in columns:
        if column.get("columnType") != "inProgress":
            continue
        name = str(column.get("name", ""))
        prior = base.wip.get(name, MISSING)
        if prior is MISSING and report.first_apply:
            prior = column.get("itemLimit")
        if isinstance(prior, int):
            before[name] = prior
        result = report.merge(
            snapshot.board.name, f"column {name}", "WIP limit", plan.wip_limit,
            base.wip.get(name, MISSING), column.get("itemLimit"), lambda a, b: a == b,
        )  # fmt: skip
        if result.write:
            column["itemLimit"] = plan.wip_limit
            changed = True
        if result.base_after is not MISSING:
            after[name] = int(result.base_after)
    return BoardChange(
        "update" if changed else "unchanged", snapshot.board.name, plan.wip_limit,
        tuple(columns), after, before,
    )  # fmt: skip
