"""diff.compute: table cases on hand-made snapshots (no server, no network)."""

from __future__ import annotations

import dataclasses

import pytest
from backlog import diff, wiql
from backlog.base import Base
from backlog.process import PROFILES
from backlog.snapshot import RemoteBoard, RemoteItem, RemoteIteration, RemoteQuery, Snapshot
from fake_ado.harness import tiny_plan
from fake_ado.processes import SYSTEM

PROJECT, TEAM = "Tiny", "Tiny Team"
AGILE = PROFILES["agile"]


def type_info(process: str) -> tuple[dict, dict]:
    types = SYSTEM[process].types.values()
    return {t.name: frozenset(t.fields) for t in types}, {t.name: dict(t.states) for t in types}


def in_place(plan, profile, process: str = "agile", **changes) -> Snapshot:
    """The snapshot of a board where ``plan`` was applied exactly."""
    fields, states = type_info(process)
    base = Snapshot(type_fields=fields, type_states=states)
    ids = {item.key: n for n, item in enumerate(plan.items, start=1)}
    items = {}
    for item in plan.items:
        wanted = diff.desired_fields(item, plan, profile, base, PROJECT)
        items[item.key] = RemoteItem(
            id=ids[item.key],
            rev=3,
            type=profile.type_of(item.role),
            key=item.key,
            fields=wanted,
            tags=tuple(diff.desired_tags(item, plan)),
            parent_id=ids.get(item.parent_key),
            parent_relation_index=0 if item.parent_key else None,
        )
    sprints = {
        s.name: RemoteIteration(
            s.name, f"guid-{s.key}", s.start.isoformat(), s.finish.isoformat(), True
        )
        for s in plan.iterations
    }
    queries = {
        q.name.lower(): RemoteQuery(
            f"q-{q.key}", q.name, wiql.query_wiql(q, plan, profile, project=PROJECT, team=TEAM)
        )
        for q in plan.queries
    }
    snapshot = dataclasses.replace(
        base,
        items=items,
        folder_exists=True,
        iterations=sprints,
        query_folder_id="folder",
        queries=queries,
    )
    return dataclasses.replace(snapshot, **changes)


def base_of(plan, snapshot, profile=AGILE) -> Base:
    """The base that says the tool wrote exactly what ``snapshot`` holds (so any difference
    from the plan is a change of the file)."""
    ids = {r.id: k for k, r in snapshot.items.items()}
    items = {}
    for item in plan.items:
        remote = snapshot.items.get(item.key)
        if remote is None:
            continue
        wanted = diff.desired_fields(item, plan, profile, snapshot, PROJECT)
        values = {n: remote.fields.get(n) for n in wanted if n not in diff.CREATE_ONLY}
        managed = {t.lower() for i in plan.items for t in i.tags}
        values["tags"] = sorted(
            t.lower() for t in remote.tags if t.lower() in managed or t.startswith("size:")
        )
        if item.parent_key:
            values["parent"] = ids.get(remote.parent_id)
        items[item.key] = values
    board = snapshot.board
    return Base(
        items=items,
        sprints={n: (r.start, r.finish) for n, r in snapshot.iterations.items()},
        queries={k: q.wiql for k, q in snapshot.queries.items()},
        wip={c["name"]: c["itemLimit"] for c in board.columns} if board else {},
        present=True,
    )


def compute(plan, snapshot, profile=AGILE, prune=False, base=None, prefer_file=False):
    """The change set; by default against the base of ``snapshot`` itself."""
    return diff.compute(
        plan,
        profile,
        snapshot,
        project=PROJECT,
        team=TEAM,
        prune=prune,
        base=base_of(plan, snapshot, profile) if base is None else base,
        prefer_file=prefer_file,
    )


def item_change(changes, key):
    return next(c for c in changes.items if c.key == key)


def with_item(snapshot, key, **changes):
    items = dict(snapshot.items)
    items[key] = dataclasses.replace(items[key], **changes)
    return dataclasses.replace(snapshot, items=items)


def test_an_empty_board_creates_everything_folders_first():
    fields, states = type_info("agile")
    changes = compute(tiny_plan(), Snapshot(type_fields=fields, type_states=states))
    assert changes.create_folder and changes.create_query_folder
    assert {c.action for c in changes.items} == {"create"}
    assert [c.key for c in changes.items] == [i.key for i in tiny_plan().items]
    assert all(c.subscribe for c in changes.iterations)
    # two folders, one sprint (created and subscribed), seven items, five queries
    assert changes.writes() == 2 + 1 + 7 + 5


def test_a_board_that_matches_the_plan_needs_no_write():
    plan = tiny_plan()
    changes = compute(plan, in_place(plan, AGILE))
    assert changes.writes() == 0
    assert {c.action for c in changes.items} == {"unchanged"}
    assert not changes.orphans


def test_a_changed_title_updates_only_the_title():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    old = snapshot.items["story:research:data"]
    snapshot = with_item(
        snapshot, "story:research:data", fields={**old.fields, "System.Title": "Old title"}
    )
    change = item_change(compute(plan, snapshot), "story:research:data")
    assert change.action == "update"
    assert change.fields == {"System.Title": "List the data sources"}
    assert change.rev == 3 and change.remote_id == old.id


def test_html_the_service_reformatted_is_not_a_change():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    old = snapshot.items["epic"]
    reformatted = "<p>The  project.</p>\n"
    snapshot = with_item(snapshot, "epic", fields={**old.fields, "System.Description": reformatted})
    assert item_change(compute(plan, snapshot), "epic").action == "unchanged"
    assert diff.html_equivalent("<p>a<br/>b &#x27;c&#x27;</p>", "<p>a<br>b &#39;c&#39;</p>")
    assert not diff.html_equivalent("<p>a</p>", "<p>b</p>")


def test_a_new_size_replaces_the_size_tag_and_keeps_the_teams_own_tags():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    old = snapshot.items["story:research:charter"]
    tags = tuple(t for t in old.tags if t != "size:M") + ("size:S", "customer-ask")
    snapshot = with_item(snapshot, "story:research:charter", tags=tags)
    change = item_change(compute(plan, snapshot), "story:research:charter")
    written = change.tags.split("; ")
    assert "size:M" in written and "customer-ask" in written and "size:S" not in written


def test_a_moved_item_is_relinked_to_its_planned_parent():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    snapshot = with_item(snapshot, "story:research:data", parent_id=snapshot.items["cadence"].id)
    change = item_change(compute(plan, snapshot), "story:research:data")
    assert change.reparent and change.parent_key == "phase:research"
    assert change.parent_relation_index == 0


def test_remaining_work_is_the_teams_and_is_never_overwritten():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    key = "sprint-01:ceremony:planning"
    old = snapshot.items[key]
    snapshot = with_item(snapshot, key, fields={**old.fields, diff.REMAINING_WORK: 1.5})
    assert item_change(compute(plan, snapshot), key).action == "unchanged"


def test_a_type_without_acceptance_criteria_gets_the_checklist_in_its_description():
    plan = tiny_plan()
    fields, _ = type_info("cmmi")
    item = plan.item("story:research:charter")
    wanted = diff.desired_fields(
        item, plan, PROFILES["cmmi"], Snapshot(type_fields=fields), PROJECT
    )
    assert "Microsoft.VSTS.Common.AcceptanceCriteria" not in wanted
    assert wanted["System.Description"].endswith("<ul><li>Goals have targets</li></ul>")
    assert wanted["Microsoft.VSTS.Scheduling.Size"] == 3.0


@pytest.mark.parametrize(
    ("process", "prune", "expected"),
    [
        ("agile", False, None),
        ("agile", True, ({"System.State": "Removed"}, None)),
        ("basic", True, ({}, "ml-orphan")),  # Basic has no Removed state: tagged instead
    ],
)
def test_items_no_longer_planned_are_reported_and_retired_only_with_prune(process, prune, expected):
    profile = PROFILES[process]
    full = tiny_plan()
    snapshot = in_place(full, profile, process)
    smaller = dataclasses.replace(
        full, items=tuple(i for i in full.items if i.key != "story:research:data")
    )
    changes = compute(smaller, snapshot, profile, prune=prune)
    assert any("story:research:data" in line for line in changes.orphans)
    retired = [c for c in changes.items if c.action == "retire"]
    if expected is None:
        assert retired == []
    else:
        fields, tag = expected
        assert retired[0].fields == fields
        assert (tag in retired[0].tags) if tag else retired[0].tags is None


def test_a_redated_sprint_is_updated_and_an_unsubscribed_one_is_added_to_the_team():
    plan = tiny_plan()
    sprint = plan.iterations[0]
    remote = RemoteIteration(sprint.name, "guid", "2030-01-06", sprint.finish.isoformat(), False)
    changes = compute(plan, in_place(plan, AGILE, iterations={sprint.name: remote}))
    change = changes.iterations[0]
    assert change.action == "update" and change.subscribe and change.identifier == "guid"


def test_a_query_is_rewritten_only_when_its_wiql_differs_beyond_whitespace():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    name = plan.queries[1].name.lower()
    spaced = dataclasses.replace(
        snapshot.queries[name], wiql="  " + snapshot.queries[name].wiql.replace(" ", "   ")
    )
    changed = dataclasses.replace(snapshot.queries[name], wiql="SELECT [System.Id] FROM WorkItems")
    assert (
        compute(plan, dataclasses.replace(snapshot, queries={**snapshot.queries, name: spaced}))
        .queries[1]
        .action
        == "unchanged"
    )
    assert (
        compute(plan, dataclasses.replace(snapshot, queries={**snapshot.queries, name: changed}))
        .queries[1]
        .action
        == "update"
    )


def test_the_wip_limit_is_set_on_in_progress_columns_only():
    plan = tiny_plan(wip_limit=3, team_members=("a@x.org", "b@x.org", "c@x.org"))
    columns = (
        {"name": "New", "columnType": "incoming", "itemLimit": 0},
        {"name": "Active", "columnType": "inProgress", "itemLimit": 5},
        {"name": "Closed", "columnType": "outgoing", "itemLimit": 0},
    )
    snapshot = in_place(plan, AGILE, board=RemoteBoard("Stories", columns))
    board = compute(plan, snapshot).board
    assert board.action == "update"
    assert [c["itemLimit"] for c in board.columns] == [0, 3, 0]
    done = in_place(plan, AGILE, board=RemoteBoard("Stories", board.columns))
    assert compute(plan, done).board.action == "unchanged"


def test_a_copied_card_with_the_same_key_is_left_alone_with_a_warning():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    copy = dataclasses.replace(snapshot.items["epic"], id=99)
    changes = compute(plan, dataclasses.replace(snapshot, duplicates=(copy,)))
    assert changes.writes() == 0
    assert any("#99" in w for w in changes.warnings)


def test_wiql_the_service_rewrote_on_save_reads_as_unchanged():
    # The forms the REST reference's examples show for a saved query.
    sent = (
        "SELECT [System.Id], [System.Title] FROM WorkItemLinks WHERE "
        "[Target].[System.IterationPath] = @CurrentIteration('[P]\\P Team') "
        "AND [System.Tags] CONTAINS 'ML Key' MODE (Recursive)"
    )
    saved = (
        "select [System.Id],[System.Title] from WorkItemLinks where "
        "[Target].[System.IterationPath] = @currentIteration('[P]\\P Team "
        "<id:8d5f4ab2-7a4e-4a6d-9a3c-2f0a1b9f1e11>') and [System.Tags] contains 'ML Key' "
        "mode(Recursive)"
    )
    assert diff.canonical_wiql(saved) == diff.canonical_wiql(sent)
    # A literal's case and spaces still count: that is a different query.
    assert diff.canonical_wiql(sent.replace("'ML Key'", "'ml key'")) != diff.canonical_wiql(sent)
