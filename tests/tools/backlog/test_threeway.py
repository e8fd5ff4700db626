"""The three-way rules per field and the stored base, on hand-made values (no server)."""

from __future__ import annotations

import dataclasses
import random
import string

import pytest
from backlog import base as stored
from backlog.base import Base, BaseFormatError
from backlog.landed import next_base
from backlog.process import PROFILES
from backlog.snapshot import RemoteBoard
from backlog.threeway import MISSING, decide, merge, merge_tags
from fake_ado.harness import tiny_plan
from test_diff import base_of, compute, in_place, item_change, with_item

AGILE = PROFILES["agile"]
STORY = "story:research:data"


def noise(seed: int, size: int = 900) -> str:
    """Text zlib cannot shrink, so a base of it needs several chunks."""
    return "".join(random.Random(seed).choices(string.ascii_letters, k=size))


def equal(a, b):
    return a == b


@pytest.mark.parametrize(
    ("file", "base", "board", "expected"),
    [
        ("A", "A", "A", "same"),
        ("A", "A", "B", "team"),  # the file did not change it: the board's edit stays
        ("B", "A", "A", "update"),  # the file changed it, nobody else did
        ("B", "A", "B", "same"),  # both made the same change
        ("B", "A", "C", "conflict"),
        ("B", MISSING, "C", "conflict"),  # no base: never overwrite
        ("B", MISSING, "B", "same"),
    ],
)
def test_the_three_cases_per_field(file, base, board, expected):
    assert decide(file, base, board, equal)[0] == expected


def test_a_conflict_keeps_the_board_unless_the_file_is_preferred():
    kept = merge("B", "A", "C", equal, prefer_file=False)
    assert (kept.write, kept.base_after) == (False, "A")  # the base stays: reported again
    forced = merge("B", "A", "C", equal, prefer_file=True)
    assert (forced.write, forced.base_after) == (True, "B")
    seeded = merge("B", MISSING, "C", equal, prefer_file=False)
    assert (seeded.write, seeded.base_after) == (False, "B")  # next run: a team edit


def test_tags_merge_per_tag_and_leave_the_teams_own_alone():
    add, remove, conflicts, after = merge_tags(
        file={"size:m", "phase:research"},
        base={"size:s", "phase:research"},
        board={"size:s", "customer-ask"},  # the team removed phase:research
        prefer_file=False,
    )
    assert (add, remove, conflicts) == ({"size:m"}, {"size:s"}, [])
    # phase:research stays off the board; the base still says the tool wrote it
    assert after == {"size:m", "phase:research"}


def test_a_team_edit_is_kept_and_listed_not_reverted():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    applied = base_of(plan, snapshot)
    old = snapshot.items[STORY]
    moved = {**old.fields, "System.Title": "Renamed on the board", AGILE.size_field: 13.0}
    changes = compute(plan, with_item(snapshot, STORY, fields=moved), base=applied)
    change = item_change(changes, STORY)
    assert change.action == "unchanged" and change.fields == {}
    assert {(k.key, k.field) for k in changes.kept} == {(STORY, "title"), (STORY, "size")}
    assert change.base_after["System.Title"] == "List the data sources"  # still the tool's


def test_a_field_changed_on_both_sides_is_a_conflict_with_its_three_values():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    applied = base_of(plan, snapshot)
    board = with_item(
        snapshot, STORY, fields={**snapshot.items[STORY].fields, "System.Title": "Board title"}
    )
    edited = dataclasses.replace(
        plan,
        items=tuple(
            dataclasses.replace(i, title="File title") if i.key == STORY else i for i in plan.items
        ),
    )
    changes = compute(edited, board, base=applied)
    (conflict,) = changes.conflicts
    assert (conflict.key, conflict.field) == (STORY, "title")
    assert (conflict.base, conflict.file, conflict.board) == (
        "List the data sources",
        "File title",
        "Board title",
    )
    assert item_change(changes, STORY).action == "unchanged"
    forced = compute(edited, board, base=applied, prefer_file=True)
    assert item_change(forced, STORY).fields == {"System.Title": "File title"}
    assert forced.conflicts[0].written


def test_without_a_base_an_existing_board_is_never_reverted():
    plan = tiny_plan()
    snapshot = in_place(plan, AGILE)
    old = snapshot.items[STORY]
    board = with_item(snapshot, STORY, fields={**old.fields, "System.Title": "Team's title"})
    changes = compute(plan, board, base=Base())
    assert changes.writes() == 0
    assert [(c.key, c.field, c.base) for c in changes.conflicts] == [(STORY, "title", MISSING)]
    # The file's value is recorded, so the next run keeps the team's title quietly.
    landed = next_base(changes, Base(), lambda kind, name: True)
    again = compute(plan, board, base=landed)
    assert again.writes() == 0 and not again.conflicts
    assert [(k.key, k.field) for k in again.kept] == [(STORY, "title")]


def test_sprint_dates_query_text_and_wip_limits_merge_three_way_too():
    plan = tiny_plan(wip_limit=2, team_members=("a@x.org", "b@x.org"))
    columns = (
        {"name": "New", "columnType": "incoming", "itemLimit": 0},
        {"name": "Active", "columnType": "inProgress", "itemLimit": 2},
        {"name": "Resolved", "columnType": "inProgress", "itemLimit": 2},
        {"name": "Closed", "columnType": "outgoing", "itemLimit": 0},
    )
    snapshot = in_place(plan, AGILE, board=RemoteBoard("Stories", columns))
    applied = base_of(plan, snapshot)
    sprint = plan.iterations[0]
    redated = dataclasses.replace(snapshot.iterations[sprint.name], finish="2030-01-17")
    raised = tuple({**c, "itemLimit": 3} if c["name"] == "Active" else c for c in columns)
    board = dataclasses.replace(
        snapshot,
        iterations={sprint.name: redated},
        board=RemoteBoard("Stories", raised),
    )
    three = dataclasses.replace(plan, wip_limit=3, team_members=("a", "b", "c"))
    changes = compute(three, board, base=applied)
    assert changes.iterations[0].action == "unchanged"  # the team's finish date stays
    assert [c["itemLimit"] for c in changes.board.columns] == [0, 3, 3, 0]  # Resolved: 2 -> 3
    assert not changes.conflicts  # Active: the team already set what the file now wants


def test_the_stored_base_round_trips_in_chunks_and_a_torn_one_is_refused():
    value = Base(
        items={f"story:{n}": {"System.Title": noise(n), "tags": []} for n in range(40)},
        sprints={"Sprint 1": ("2030-01-07", "2030-01-18")},
        queries={"q": "select [System.Id] from WorkItems"},
        wip={"Active": 3},
        present=True,
    )
    props = stored.encode(value, "tiny")
    assert stored.decode(props, "tiny") == value
    assert all(len(v) <= stored.CHUNK_CHARS for v in props.values())
    assert stored.patch_document(value, "tiny", props) is None  # nothing to write
    torn = dict(props)
    torn[stored.chunk_name("tiny", 0)] = torn[stored.chunk_name("tiny", 0)][:-4] + "AAAA"
    with pytest.raises(BaseFormatError, match="checksum"):
        stored.decode(torn, "tiny")
    assert stored.decode({}, "tiny") == Base()  # never recorded


def test_a_shorter_base_removes_the_chunks_it_no_longer_needs():
    long = Base(items={str(n): {"t": noise(n)} for n in range(20)}, present=True)
    props = stored.encode(long, "tiny")
    patch = stored.patch_document(Base(present=True), "tiny", props)
    removed = [op["path"] for op in patch if op["op"] == "remove"]
    assert removed and all(p.startswith("/MLBacklog.tiny.Base.") for p in removed)
    assert patch[-1]["path"] == f"/{stored.header_name('tiny')}"  # the header goes last
