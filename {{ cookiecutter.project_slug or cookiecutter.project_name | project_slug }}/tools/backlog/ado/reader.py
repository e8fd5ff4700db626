"""Read what exists on Azure Boards into a ``Snapshot``, with as few requests as possible.

A re-run where everything is in place costs: one WIQL query and one work-item read per 200
items, one read of the work item types, one of the team's iterations (their dates come with
them, so the iteration tree is read only when a sprint is missing or re-dated) and one of the
query folder (with the queries' WIQL), plus the board columns when a WIP limit is planned, and
one read of the project's properties: the three-way base (``base.py``). The process is taken
from the types of the items this tool created, the project's GUID from the team iterations'
urls; only a first run asks the project for both.
"""

from __future__ import annotations

import re
from typing import Any

from backlog import wiql
from backlog.ado.client import AdoClient
from backlog.ado.errors import ConfigError, HttpError
from backlog.ado.executor import in_parallel
from backlog.base import Base, BaseFormatError, decode, property_pattern
from backlog.model import Plan
from backlog.process import BY_TYPE_ID, PROFILES, ProcessProfile, profile_for
from backlog.snapshot import (
    RemoteBoard,
    RemoteItem,
    RemoteIteration,
    RemoteQuery,
    Snapshot,
    key_from_tags,
    split_tags,
)

PARENT_LINK = "System.LinkTypes.Hierarchy-Reverse"
# The requirement backlog's board, per process (renamed levels are found through backlogs).
REQUIREMENT_BOARD = {
    "Agile": "Stories",
    "Scrum": "Backlog items",
    "Basic": "Issues",
    "CMMI": "Requirements",
}


def remote_item(raw: dict[str, Any], plan: Plan) -> RemoteItem | None:
    """A work item of this project (exact project tag), or None for a look-alike tag."""
    fields = raw["fields"]
    tags = split_tags(fields.get("System.Tags"))
    if plan.project_tag.lower() not in {t.lower() for t in tags}:
        return None  # CONTAINS also matches longer tags, e.g. another project's slug
    keys = key_from_tags(tags, plan.project_slug)
    parent_id, parent_index = None, None
    for index, relation in enumerate(raw.get("relations") or []):
        if relation.get("rel") == PARENT_LINK:
            parent_id, parent_index = _id_from_url(relation.get("url", "")), index
    return RemoteItem(
        id=raw["id"],
        rev=raw["rev"],
        type=str(fields.get("System.WorkItemType", "")),
        key=keys[0].lower() if len(keys) == 1 else None,
        fields=fields,
        tags=tags,
        parent_id=parent_id,
        parent_relation_index=parent_index,
        state=str(fields.get("System.State", "")),
    )


def _id_from_url(url: str) -> int | None:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        return int(tail)
    except ValueError:
        return None


def read_items(client: AdoClient, plan: Plan) -> tuple[list[RemoteItem], list[RemoteItem]]:
    """(keyed items, items with the project tag but no single key), oldest first."""
    ids = client.wiql_ids(wiql.items_of_project(plan.project_tag))
    raw_items = client.work_items(ids) if ids else []
    keyed, unkeyed = [], []
    for raw in sorted(raw_items, key=lambda r: r["id"]):
        item = remote_item(raw, plan)
        if item is not None:
            (keyed if item.key else unkeyed).append(item)
    return keyed, unkeyed


def index_items(
    keyed: list[RemoteItem],
) -> tuple[dict[str, RemoteItem], list[RemoteItem]]:
    """Items by key; the oldest item wins a key, later ones are duplicates."""
    by_key: dict[str, RemoteItem] = {}
    duplicates = []
    for item in keyed:
        if item.key in by_key:
            duplicates.append(item)
        else:
            by_key[item.key] = item
    return by_key, duplicates


def detect_profile(
    client: AdoClient, items: list[RemoteItem], types: dict[str, dict[str, Any]]
) -> ProcessProfile:
    """The process profile: from our own items' types when they tell, else from the project."""
    present = set(types)
    for profile in PROFILES.values():
        requirement = profile.type_of("requirement")
        if any(i.type == requirement for i in items) and set(profile.types.values()) <= present:
            return profile
    info = client.project_info()
    type_id = info.get("process_type_id")
    if not type_id:
        props = client.project_properties(info["id"])
        type_id = props.get("System.ProcessTemplateType", "")
    profile = _profile_of(client, str(type_id).lower())
    missing = sorted(set(profile.types.values()) - present)
    if missing:
        raise ConfigError(
            f"project {client.project}: its {profile.name}-based process lacks the work item "
            f"type(s) {', '.join(missing)}"
        )
    return profile


def _profile_of(client: AdoClient, type_id: str) -> ProcessProfile:
    if type_id in BY_TYPE_ID:
        return BY_TYPE_ID[type_id]
    process = client.process(type_id)  # an inherited process names the system one it extends
    parent = str(process.get("parent_type_id") or "").lower()
    try:
        return profile_for(parent)
    except ValueError:
        raise ConfigError(
            f"project {client.project} uses the process '{process.get('name')}', which is not "
            "based on Agile, Scrum, Basic or CMMI"
        ) from None


def read_iterations(
    client: AdoClient, plan: Plan, team_iterations: list[dict[str, Any]], anything_ours: bool
) -> tuple[bool, dict[str, RemoteIteration]]:
    """(folder exists, sprint nodes below it by name), from the team's list when it proves them.

    When nothing of this project is on the board yet (no item, no sprint of the team under the
    folder), the folder is not read: the sprints are created, and a folder or sprint that
    exists after all answers "already exists" and is adopted (``executor.create_once``).
    """
    folder_path = wiql.iteration_folder_path(client.project, plan.iteration_folder).lower()
    subscribed: dict[str, dict[str, Any]] = {}
    for it in team_iterations:
        parent, _, name = str(it["path"]).rpartition("\\")
        if parent.lower() == folder_path:
            subscribed[name] = it
    in_place = all(
        (s.name in subscribed)
        and (subscribed[s.name]["start"], subscribed[s.name]["finish"])
        == (s.start.isoformat(), s.finish.isoformat())
        for s in plan.iterations
    )
    if in_place and plan.iterations:  # the team's list proves every sprint node exists
        return True, {
            name: RemoteIteration(name, it["id"], it["start"], it["finish"], True)
            for name, it in subscribed.items()
        }
    if not anything_ours and not subscribed:
        return False, {}
    node = client.iteration_node(plan.iteration_folder.replace("\\", "/"), depth=1)
    if node is None:
        return False, {}
    team_ids = {str(it["id"]).lower() for it in subscribed.values()}
    return True, {
        child["name"]: RemoteIteration(
            child["name"],
            child["identifier"],
            child["start"],
            child["finish"],
            str(child["identifier"]).lower() in team_ids,
        )
        for child in node["children"]
    }


_TEAM_ITERATION_URL = re.compile(
    r"/(?P<project>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"
    r"[^/]+/_apis/work/teamsettings/iterations/",
    re.IGNORECASE,
)


def project_id_from(team_iterations: list[dict[str, Any]]) -> str | None:
    """The project GUID in a team iteration's url ({org}/{projectId}/{teamId}/_apis/...).

    It saves the no-op re-apply a request: the base's route wants the GUID, not the name.
    """
    for it in team_iterations:
        found = _TEAM_ITERATION_URL.search(str(it.get("url") or ""))
        if found:
            return found["project"].lower()
    return None


def read_base(client: AdoClient, plan: Plan, project_id: str) -> tuple[Base, dict[str, Any], str]:
    """(base, the properties it came from, why it was unreadable or "")."""
    props = client.project_properties(project_id, [property_pattern(plan.project_slug)])
    try:
        return decode(props, plan.project_slug), props, ""
    except BaseFormatError as error:
        return Base(), props, f"the recorded base is {error}: differences count as conflicts"


def read_queries(client: AdoClient, plan: Plan) -> tuple[str | None, dict[str, RemoteQuery]]:
    folder = client.query_folder(f"Shared Queries/{plan.query_folder}")
    if folder is None:
        return None, {}
    return folder["id"], {
        c["name"].lower(): RemoteQuery(c["id"], c["name"], c["wiql"] or "")
        for c in folder["children"]
        if not c["is_folder"]
    }


def read_board(client: AdoClient, profile: ProcessProfile) -> RemoteBoard | None:
    """The requirement board's columns; None (with no error) when the team has no such board."""
    name = REQUIREMENT_BOARD.get(profile.name, "")
    try:
        return RemoteBoard(name, tuple(client.board_columns(name)))
    except HttpError as error:
        if error.status != 404:
            raise
    for level in client.backlog_levels():
        if level["type"].lower() == "requirement":
            try:
                return RemoteBoard(level["name"], tuple(client.board_columns(level["name"])))
            except HttpError as error:
                if error.status != 404:
                    raise
    return None


def read_state(client: AdoClient, plan: Plan, workers: int = 4) -> tuple[ProcessProfile, Snapshot]:
    """The process profile and the snapshot the diff needs (independent reads in parallel).

    The base is read only when items of this project exist: on an empty board every item is
    created with the file's values, and the first apply stays within its old request budget.
    """
    client.connect()  # location tables first, so parallel reads do not each fetch them
    (keyed, unkeyed), types, team_iterations, (query_folder_id, queries) = in_parallel(
        [
            lambda: read_items(client, plan),
            client.work_item_types,
            client.team_iterations,
            lambda: read_queries(client, plan),
        ],
        workers,
    )
    ours = bool(keyed or unkeyed)
    folder_exists, iterations = read_iterations(client, plan, team_iterations, ours)
    profile = detect_profile(client, keyed + unkeyed, types)
    by_key, duplicates = index_items(keyed)
    board = read_board(client, profile) if plan.wip_limit else None
    project_id = client.known_project_id or project_id_from(team_iterations)
    base, props, problem = Base(), {}, ""
    if keyed:
        project_id = project_id or str(client.project_info()["id"])
        base, props, problem = read_base(client, plan, project_id)
    return profile, Snapshot(
        items=by_key,
        unkeyed=tuple(unkeyed),
        duplicates=tuple(duplicates),
        folder_exists=folder_exists,
        iterations=iterations,
        query_folder_id=query_folder_id,
        queries=queries,
        board=board,
        type_fields={name: frozenset(t["fields"]) for name, t in types.items()},
        type_states={name: dict(t["states"]) for name, t in types.items()},
        base=base,
        base_properties=props,
        project_id=project_id,
        base_problem=problem,
    )
