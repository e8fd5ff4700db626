"""Both the file and the board stay editable: the story of issue #10 against the local server.

The Scrum master plans on the board (sprint move, re-estimate, rename, WIP limit) with their own
credential through the REST API; a data scientist edits another story and adds one in
backlog.yml; the sync re-applies from a fresh copy. The people's edits survive, the file's
changes land, nothing is duplicated, and applying the same file again writes nothing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from backlog import base as stored
from backlog.config import load_config
from backlog.planner import build_plan
from backlog.schema import load_spec
from fake_ado import FakeAdo, Faults, dump
from fake_ado.harness import apply
from team_story import (
    SIZE_FIELD,
    Person,
    apply_from,
    edit_backlog,
    fresh_copy,
    items_by_key,
    story,
)

SAM_PAT = "sam-scrum-master-pat"
SAM = "Sam Scrum <sam@example.org>"
MOVED, RENAMED = "story:research:data-sources", "story:research:charter"
EDITED, NEW = "story:modelling:baseline", "story:modelling:feature-store"
SAMS_TITLE = "Charter: agreed with the sponsor"
FILES_TITLE = "Beat the majority-class baseline"


def file_edit(data: dict) -> None:
    """The data scientist's change: another story's title, and a new story."""
    story(data, "modelling", "baseline")["title"] = FILES_TITLE
    phase = next(p for p in data["phases"] if p["key"] == "modelling")
    phase["stories"].append(
        {
            "key": "feature-store",
            "title": "Keep the features in one place",
            "size": "M",
            "acceptance": ["Training and scoring read the same feature code"],
        }
    )


def writes_since(ado: FakeAdo, before: int) -> int:
    return sum(r.is_write for r in ado.requests[before:])


def sprint_path(ado: FakeAdo, plan, number: int) -> str:
    return f"{ado.org.project.name}\\{plan.iteration_folder}\\{plan.iterations[number - 1].name}"


def plan_edits(ado: FakeAdo, process: str, plan, person: Person) -> None:
    """The Scrum master's planning on the board, as themselves."""
    items = items_by_key(ado, plan.project_slug)
    person.edit_item(
        items[MOVED]["id"],
        {"System.IterationPath": sprint_path(ado, plan, 3), SIZE_FIELD[process]: 13},
    )
    person.edit_item(items[RENAMED]["id"], {"System.Title": SAMS_TITLE})
    person.set_wip_limit(process, "inProgress", 3)


@pytest.mark.parametrize("process", ["agile", "scrum"])
def test_the_teams_board_edits_survive_a_file_edit_and_a_fresh_re_apply(
    process, project_root, plan, tmp_path
):
    with FakeAdo(process, people={SAM_PAT: SAM}) as ado:
        first = apply_from(fresh_copy(project_root, tmp_path / "one"), ado)
        assert first.returncode == 0, first.stdout + first.stderr
        sam = Person(ado, SAM_PAT)
        plan_edits(ado, process, plan, sam)
        moved_id = items_by_key(ado, plan.project_slug)[MOVED]["id"]
        assert sam.changed_by(moved_id)[-1] == "Sam Scrum"  # the board knows who did it

        copy = fresh_copy(project_root, tmp_path / "two")
        edit_backlog(copy, file_edit)
        second = apply_from(copy, ado)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "conflicts 0;" in second.stdout
        items = items_by_key(ado, plan.project_slug)  # fails on a duplicated key
        assert set(items) == {i.key for i in plan.items} | {NEW}
        moved = items[MOVED]["fields"]
        assert moved["System.IterationPath"] == sprint_path(ado, plan, 3)
        assert moved[SIZE_FIELD[process]] == 13
        assert items[RENAMED]["fields"]["System.Title"] == SAMS_TITLE
        team = next(iter(ado.org.project.teams.values()))
        assert {c["itemLimit"] for c in team.columns if c["columnType"] == "inProgress"} == {3}
        assert items[EDITED]["fields"]["System.Title"] == FILES_TITLE
        assert "Kept as the team's edits" in second.stdout
        assert f"[{RENAMED}]" in second.stdout and "WIP limit" in second.stdout

        before = len(ado.requests)
        again = fresh_copy(project_root, tmp_path / "three")
        edit_backlog(again, file_edit)
        third = apply_from(again, ado)
        assert third.returncode == 0, third.stdout + third.stderr
        assert writes_since(ado, before) == 0, third.stdout
        assert ado.violations == []


def test_a_field_both_sides_changed_is_a_reported_conflict_until_the_file_is_preferred(
    project_root, plan, tmp_path
):
    def rename(data: dict) -> None:
        story(data, "research", "charter")["title"] = "Write the charter with the sponsor"

    with FakeAdo("agile", people={SAM_PAT: SAM}) as ado:
        assert apply_from(fresh_copy(project_root, tmp_path / "one"), ado).returncode == 0
        sam = Person(ado, SAM_PAT)
        sam.edit_item(
            items_by_key(ado, plan.project_slug)[RENAMED]["id"], {"System.Title": SAMS_TITLE}
        )
        copies = []
        for name in ("two", "three", "four", "five"):
            copies.append(fresh_copy(project_root, tmp_path / name))
            edit_backlog(copies[-1], rename)

        second = apply_from(copies[0], ado)
        assert second.returncode == 0, second.stderr
        assert "conflicts 1;" in second.stdout
        line = next(x for x in second.stdout.splitlines() if x.startswith("conflict:"))
        assert f"[{RENAMED}]" in line and " title: " in line
        assert "base 'Frame the project in the charter'" in line
        assert "file 'Write the charter with the sponsor'" in line
        assert f"board '{SAMS_TITLE}'" in line
        title = items_by_key(ado, plan.project_slug)[RENAMED]["fields"]["System.Title"]
        assert title == SAMS_TITLE

        before = len(ado.requests)  # the same file again: still a conflict, nothing written
        third = apply_from(copies[1], ado)
        assert "conflicts 1;" in third.stdout and writes_since(ado, before) == 0

        forced = apply_from(copies[2], ado, "--prefer-file")
        assert forced.returncode == 0 and "--prefer-file" in forced.stdout
        title = items_by_key(ado, plan.project_slug)[RENAMED]["fields"]["System.Title"]
        assert title == "Write the charter with the sponsor"
        before = len(ado.requests)
        settled = apply_from(copies[3], ado)
        assert "conflicts 0;" in settled.stdout and writes_since(ado, before) == 0


def test_a_first_apply_after_upgrading_reverts_nothing_and_reports_each_difference_once(plan):
    with FakeAdo("agile", people={SAM_PAT: SAM}) as ado:
        assert apply(ado, plan).code == 0
        ado.org.project.properties.clear()  # a board the previous version built: no base
        sam = Person(ado, SAM_PAT)
        sam.edit_item(
            items_by_key(ado, plan.project_slug)[RENAMED]["id"], {"System.Title": SAMS_TITLE}
        )
        preview = apply(ado, plan, dry_run=True)
        assert "conflicts 1;" in preview.out and "base (none)" in preview.out
        upgraded = apply(ado, plan, output="json")
        assert upgraded.code == 0
        (conflict,) = json.loads(upgraded.out)["conflicts"]
        assert (conflict["key"], conflict["field"], conflict["base"]) == (RENAMED, "title", None)
        assert (conflict["board"], conflict["written"]) == (SAMS_TITLE, False)
        title = items_by_key(ado, plan.project_slug)[RENAMED]["fields"]["System.Title"]
        assert title == SAMS_TITLE
        after = apply(ado, plan)
        assert after.writes == 0 and "conflicts 0; team edits kept 1;" in after.out


def plan_from(copy: Path):
    spec, problems = load_spec(copy / "backlog" / "backlog.yml", project_root=copy)
    assert not problems, problems
    return build_plan(spec, load_config(copy))


def play(process: str, first, second, faults: Faults | None):
    """Apply, the Scrum master's edits, a re-apply with ``faults``: (board, base, run, the
    faults injected during the re-apply)."""
    with FakeAdo(process, people={SAM_PAT: SAM}) as ado:
        assert apply(ado, first, parallel_requests=1).code == 0
        plan_edits(ado, process, first, Person(ado, SAM_PAT))
        if faults is not None:
            ado.set_faults(faults)
        before = len(ado.requests)
        run = apply(ado, second, parallel_requests=1)
        ado.set_faults(Faults())
        faulted = [r.fault for r in ado.requests[before:] if r.fault]
        base = stored.decode(ado.org.project.properties, first.project_slug)
        return dump(ado.org.project), base, run, faulted


@pytest.mark.parametrize("process", ["agile", "scrum"])
def test_429_503_and_dropped_connections_during_the_re_apply_end_like_a_clean_run(
    process, project_root, tmp_path
):
    first = plan_from(fresh_copy(project_root, tmp_path / "one"))
    copy = fresh_copy(project_root, tmp_path / "two")
    edit_backlog(copy, file_edit)
    second = plan_from(copy)
    clean_board, clean_base, clean, _ = play(process, first, second, None)
    assert clean.code == 0, clean.out + clean.err
    faults = Faults(
        on_op={
            "core.project_properties": ["429", "drop"],
            "wit.batch": ["drop", "503-applied"],
            "core.project_properties_set": ["503", "drop"],
            "work.board_columns": ["drop"],
        },
        random_rate=0.1,
        seed=7,
    )
    board, base, faulted, injected = play(process, first, second, faults)
    assert faulted.code == 0, faulted.out + faulted.err
    assert {"429", "503", "drop"} <= set(injected), injected
    assert board == clean_board
    assert dataclasses.asdict(base) == dataclasses.asdict(clean_base)


def test_a_wip_limit_the_first_apply_could_not_set_is_set_by_the_next_run(plan):
    members = ("ana@example.org", "bo@example.org")
    with_team = dataclasses.replace(plan, wip_limit=len(members), team_members=members)
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"work.board_columns_update": ["429"] * 20}))
        failed = apply(ado, with_team)
        assert failed.code == 1 and "WIP limit" in failed.out
        ado.set_faults(Faults())
        # Not a conflict: the base holds the board's limits the tool found, not "nothing".
        again = apply(ado, with_team)
        assert again.code == 0 and "conflicts 0;" in again.out, again.out
        team = next(iter(ado.org.project.teams.values()))
        assert {c["itemLimit"] for c in team.columns if c["columnType"] == "inProgress"} == {2}


def test_a_write_that_failed_is_not_recorded_so_the_next_run_still_makes_it(plan):
    target = next(i for i in plan.items if i.key == EDITED)

    def editing(title: str):
        new = dataclasses.replace(target, title=title, description_html="<p>Beat it.</p>")
        return dataclasses.replace(plan, items=tuple(new if i is target else i for i in plan.items))

    with FakeAdo("scrum") as ado:
        assert apply(ado, plan).code == 0
        rejected = apply(ado, editing(" "))  # the service refuses an empty title: item fails
        assert rejected.code == 1 and f"item {EDITED}: HTTP 400" in rejected.out
        recorded = stored.decode(ado.org.project.properties, plan.project_slug)
        assert recorded.items[EDITED]["System.Title"] == target.title  # still the board's
        assert recorded.items[EDITED]["System.Description"] == target.description_html
        again = apply(ado, editing(FILES_TITLE))
        assert again.code == 0 and "updated 1," in again.out, again.out
        fields = items_by_key(ado, plan.project_slug)[EDITED]["fields"]
        assert (fields["System.Title"], fields["System.Description"]) == (
            FILES_TITLE,
            "<p>Beat it.</p>",
        )
