"""Plan + process + remote snapshot -> the ordered change set that ``apply`` prints and executes.

Pure: no I/O, standard library only. Rules:
- items are matched by their key tag, never by title; only missing ones are created and only
  changed fields are updated (with a ``test /rev`` guard added by the executor);
- state, area and remaining work belong to the team once an item exists: never updated;
- tags the user added are kept; only tags this plan owns are added or dropped;
- items, sprints and queries no longer in the plan are reported as orphans; items are retired
  (state Removed, else tag ``ml-orphan``) only with ``prune``; nothing is ever deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from backlog import wiql
from backlog.model import KEY_TAG_PREFIX, Plan, PlannedItem
from backlog.process import ProcessProfile
from backlog.snapshot import ACCEPTANCE_FIELD, DESCRIPTION_FIELD, RemoteItem, Snapshot

Action = Literal["create", "update", "unchanged", "retire"]
REMAINING_WORK = "Microsoft.VSTS.Scheduling.RemainingWork"
CREATE_ONLY = frozenset({REMAINING_WORK})  # the team's burn-down, not the plan's
ORPHAN_TAG = "ml-orphan"
MANAGED_PREFIXES = ("size:", "phase:")


@dataclass(frozen=True)
class IterationChange:
    action: Action
    key: str
    name: str
    start: str
    finish: str
    subscribe: bool  # the team does not have it yet
    identifier: str | None = None


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


@dataclass(frozen=True)
class QueryChange:
    action: Action
    key: str
    name: str
    wiql: str
    remote_id: str | None = None


@dataclass(frozen=True)
class BoardChange:
    action: Action
    board: str
    limit: int
    columns: tuple[dict[str, Any], ...]


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


def merged_tags(remote: tuple[str, ...], wanted: list[str], owned: set[str]) -> str | None:
    """The tag string to write, or None when ``remote`` already has exactly our part."""
    wanted_lower = {t.lower() for t in wanted}
    keep = [t for t in remote if not _owned(t, owned) or t.lower() in wanted_lower]
    have = {t.lower() for t in keep}
    result = keep + [t for t in wanted if t.lower() not in have]
    if {t.lower() for t in result} == {t.lower() for t in remote}:
        return None
    return "; ".join(sorted(dict.fromkeys(result), key=str.lower))


def _owned(tag: str, owned: set[str]) -> bool:
    lower = tag.lower()
    return lower in owned or lower.startswith(MANAGED_PREFIXES + (KEY_TAG_PREFIX,))


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


def _item_change(
    item: PlannedItem,
    plan: Plan,
    profile: ProcessProfile,
    snapshot: Snapshot,
    project: str,
    owned: set[str],
) -> ItemChange:
    work_type = profile.type_of(item.role)
    wanted = desired_fields(item, plan, profile, snapshot, project)
    tags = desired_tags(item, plan)
    remote = snapshot.items.get(item.key)
    if remote is None:
        return ItemChange(
            "create", item.key, work_type, item.title, wanted, "; ".join(tags), item.parent_key
        )
    changed = {
        name: value
        for name, value in wanted.items()
        if name not in CREATE_ONLY and not same_value(name, value, remote.fields.get(name))
    }
    tag_value = merged_tags(remote.tags, tags, owned)
    parent = snapshot.items.get(item.parent_key) if item.parent_key else None
    reparent = item.parent_key is not None and (parent is None or parent.id != remote.parent_id)
    names = [*changed, *(["tags"] if tag_value else []), *(["parent"] if reparent else [])]
    action: Action = "update" if names else "unchanged"
    return ItemChange(
        action,
        item.key,
        remote.type,
        item.title,
        changed,
        tag_value,
        item.parent_key,
        reparent,
        remote.id,
        remote.rev,
        remote.parent_relation_index,
        tuple(names),
    )


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
) -> ChangeSet:
    """The change set that brings Azure Boards to the plan; unchanged entries are kept."""
    iterations = []
    for sprint in plan.iterations:
        start, finish = sprint.start.isoformat(), sprint.finish.isoformat()
        remote = snapshot.iterations.get(sprint.name)
        if remote is None:
            iterations.append(
                IterationChange("create", sprint.key, sprint.name, start, finish, True)
            )
            continue
        dated = (remote.start, remote.finish) == (start, finish)
        iterations.append(
            IterationChange(
                "unchanged" if dated else "update",
                sprint.key,
                sprint.name,
                start,
                finish,
                not remote.subscribed,
                remote.identifier,
            )
        )
    owned = {t.lower() for item in plan.items for t in item.tags} | {plan.project_tag.lower()}
    items = [_item_change(i, plan, profile, snapshot, project, owned) for i in plan.items]
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
            queries.append(QueryChange("create", query.key, query.name, text))
        else:
            same = canonical_wiql(remote_query.wiql) == canonical_wiql(text)
            queries.append(
                QueryChange(
                    "unchanged" if same else "update", query.key, query.name, text, remote_query.id
                )
            )
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
    return ChangeSet(
        create_folder=not snapshot.folder_exists
        and bool(plan.iterations)
        and any(c.action == "create" for c in iterations),
        iterations=tuple(iterations),
        items=tuple(items),
        create_query_folder=snapshot.query_folder_id is None and bool(plan.queries),
        queries=tuple(queries),
        board=_board_change(plan, snapshot),
        orphans=tuple(orphans),
        warnings=tuple(warnings),
    )


def _board_change(plan: Plan, snapshot: Snapshot) -> BoardChange | None:
    if not plan.wip_limit or snapshot.board is None:
        return None
    columns = [dict(c) for c in snapshot.board.columns]
    changed = False
    for column in columns:
        if column.get("columnType") == "inProgress" and column.get("itemLimit") != plan.wip_limit:
            column["itemLimit"] = plan.wip_limit
            changed = True
    return BoardChange(
        "update" if changed else "unchanged", snapshot.board.name, plan.wip_limit, tuple(columns)
    )
