"""The planner turns backlog.yml + project.yml into the board: dates, order, sizes, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import yaml
from backlog import naming
from backlog.planner import build_plan, checklist_entries, default_query_folder, plan_iterations
from backlog.spec import DAY_NAMES, CeremonySpec, PhaseSpec, StorySpec


def working(day: dt.date, days: tuple[str, ...]) -> bool:
    return DAY_NAMES[day.weekday()] in days


def between(first: dt.date, last: dt.date):
    """Days strictly between ``first`` and ``last``."""
    day = first + dt.timedelta(days=1)
    while day < last:
        yield day
        day += dt.timedelta(days=1)


def with_phase(spec, index: int, **changes):
    phases = list(spec.phases)
    phases[index] = dataclasses.replace(phases[index], **changes)
    return dataclasses.replace(spec, phases=tuple(phases))


def story(key: str, title: str = "A story", size: str = "M", acceptance=("Done",)) -> StorySpec:
    return StorySpec(key=key, title=title, size=size, acceptance=tuple(acceptance))


def test_sprints_are_contiguous_and_start_and_end_on_working_days(plan, spec):
    days = spec.sprints.working_days
    iterations = plan.iterations

    assert len(iterations) == spec.sprints.count
    assert iterations[0].start == spec.sprints.start
    for sprint in iterations:
        assert working(sprint.start, days) and working(sprint.finish, days)
        span = (sprint.finish - sprint.start).days
        assert span < 7 * spec.sprints.length_weeks
    for previous, current in zip(iterations, iterations[1:], strict=False):
        assert previous.finish < current.start
        assert not any(working(d, days) for d in between(previous.finish, current.start))


@pytest.mark.parametrize(
    ("start", "days", "weeks", "expected_finish"),
    [
        ("2025-01-06", ("monday", "tuesday", "wednesday", "thursday", "friday"), 2, "2025-01-17"),
        ("2025-01-08", ("monday", "tuesday", "wednesday", "thursday", "friday"), 1, "2025-01-14"),
        ("2025-01-05", ("sunday", "monday", "tuesday", "wednesday", "thursday"), 1, "2025-01-09"),
    ],
    ids=["monday-start", "mid-week-start", "sunday-to-thursday-week"],
)
def test_sprint_finishes_on_the_last_working_day_of_its_last_week(
    spec, start, days, weeks, expected_finish
):
    sprints = dataclasses.replace(
        spec.sprints,
        start=dt.date.fromisoformat(start),
        working_days=days,
        length_weeks=weeks,
        count=2,
    )

    first, second = plan_iterations(sprints)

    assert first.finish == dt.date.fromisoformat(expected_finish)
    assert second.start == first.start + dt.timedelta(weeks=weeks)


def test_every_parent_comes_before_its_children_and_keys_are_unique(plan):
    seen: set[str] = set()
    for item in plan.items:
        assert item.key not in seen, f"duplicate key {item.key}"
        assert item.parent_key is None or item.parent_key in seen, f"{item.key} before parent"
        seen.add(item.key)
    sprints = {iteration.key for iteration in plan.iterations}
    assert {item.iteration_key for item in plan.items} <= sprints | {None}


def test_the_tree_has_the_agreed_shape(plan, spec):
    by_key = {item.key: item for item in plan.items}
    assert by_key["epic"].role == "epic" and by_key["epic"].parent_key is None
    for phase in spec.phases:
        feature = by_key[f"phase:{phase.key}"]
        assert (feature.role, feature.parent_key) == ("feature", "epic")
        assert feature.tags == (f"phase:{phase.key}",)
        for story_spec in phase.stories:
            item = by_key[f"story:{phase.key}:{story_spec.key}"]
            assert (item.role, item.parent_key) == ("requirement", f"phase:{phase.key}")
            assert set(item.tags) == {f"phase:{phase.key}", f"size:{story_spec.size}"}
    ceremonies = spec.planned_ceremonies()
    for iteration in plan.iterations:
        deliverables = by_key[f"{iteration.key}:deliverables"]
        assert (deliverables.parent_key, deliverables.iteration_key) == ("cadence", iteration.key)
        assert "deliverables" in deliverables.tags
        tasks = [i for i in plan.items if i.parent_key == deliverables.key]
        assert [t.key for t in tasks] == [f"{iteration.key}:ceremony:{c.key}" for c in ceremonies]
        assert all(t.role == "task" and t.iteration_key == iteration.key for t in tasks)


def test_sizes_are_the_numbers_of_the_size_map(plan, spec, config):
    stories = [item for item in plan.items if item.key.startswith("story:")]
    assert stories
    assert all(item.size == spec.sizes[item.tshirt] for item in stories)

    bigger = dataclasses.replace(spec, sizes={**spec.sizes, "M": 13.0})
    resized = build_plan(bigger, config)

    medium = [i for i in resized.items if i.tshirt == "M"]
    assert medium and all(item.size == 13.0 for item in medium)


def test_ceremony_estimate_is_hours_per_week_times_sprint_length(spec, config):
    four_weeks = dataclasses.replace(
        spec, sprints=dataclasses.replace(spec.sprints, length_weeks=4)
    )

    plan = build_plan(four_weeks, config)

    hours = {c.key: c.hours_per_sprint_week for c in spec.planned_ceremonies()}
    for item in plan.items:
        if item.role == "task":
            assert item.estimate_hours == hours[item.key.rsplit(":", 1)[1]] * 4


def test_stories_spread_evenly_over_their_phase_range_in_file_order(spec, config):
    stories = tuple(story(f"s{i}") for i in range(4))
    changed = with_phase(spec, 0, first_sprint=2, last_sprint=4, stories=stories)
    changed = dataclasses.replace(
        changed, sprints=dataclasses.replace(changed.sprints, count=max(4, spec.sprints.count))
    )

    plan = build_plan(changed, config)

    key = spec.phases[0].key
    sprints = [plan.item(f"story:{key}:s{i}").iteration_key for i in range(4)]
    assert sprints == ["sprint-02", "sprint-02", "sprint-03", "sprint-04"]


def test_deliverables_checklist_has_the_always_items_and_active_phase_deliverables(plan, spec):
    for number, iteration in enumerate(plan.iterations, start=1):
        entries = checklist_entries(plan.item(f"{iteration.key}:deliverables").acceptance_html)
        active = [p for p in spec.phases if p.first_sprint <= number <= p.last_sprint]
        names = ", ".join(p.name for p in active)
        assert iteration.goal == (f"Phases: {names}" if active else "")
        assert entries[: len(spec.sprint_checklist)] == list(spec.sprint_checklist)
        phase_entries = entries[len(spec.sprint_checklist) :]
        assert len(phase_entries) == len(active)
        for entry, phase in zip(phase_entries, active, strict=True):
            assert entry.startswith(phase.name) and entry.endswith(phase.deliverable)
            assert ("(due this sprint)" in entry) == (phase.last_sprint == number)


def test_scrum_of_scrums_is_planned_only_when_switched_on(spec, config):
    off = build_plan(dataclasses.replace(spec, scrum_of_scrums=False), config)
    on = build_plan(dataclasses.replace(spec, scrum_of_scrums=True), config)

    def count(plan):
        return sum(item.key.endswith(":ceremony:scrum-of-scrums") for item in plan.items)

    assert count(off) == 0
    assert count(on) == spec.sprints.count


def test_ab_testing_phase_follows_the_answer(plan, project_root):
    answers = yaml.safe_load((project_root / "project.yml").read_text(encoding="utf-8"))
    keys = {item.key for item in plan.items}

    assert ("phase:ab-testing" in keys) == answers["project"]["include_ab_testing"]
    assert "phase:results-analysis" in keys  # stays, with or without the A/B phase


@pytest.mark.parametrize(
    ("members", "limit"), [((), None), (("ana@example.com", "bo@example.com"), 2)]
)
def test_wip_limit_is_one_per_team_member(spec, config, members, limit):
    plan = build_plan(spec, dataclasses.replace(config, team_members=members))

    assert plan.wip_limit == limit
    assert plan.team_members == members


def test_text_reaches_html_escaped(spec, config):
    script = "<script>alert(1)</script>"
    evil = story("evil", title=f"Title {script}", acceptance=(f"Check {script} & more",))
    changed = with_phase(spec, 0, name=f"Phase {script}", goal=script, stories=(evil,))
    changed = dataclasses.replace(
        changed,
        sprint_checklist=(f"Always {script}",),
        ceremonies=(CeremonySpec("c", "Meet", script, (script,), 1.0),),
    )

    plan = build_plan(changed, dataclasses.replace(config, description=script))

    html_fields = [
        text for item in plan.items for text in (item.description_html, item.acceptance_html)
    ]
    assert all("<script>" not in text for text in html_fields)
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
        in plan.item(f"story:{spec.phases[0].key}:evil").acceptance_html
    )
    assert "&lt;script&gt;" in plan.item("epic").description_html
    # Titles are plain text fields: kept as typed, shown as text by Azure Boards.
    assert plan.item(f"story:{spec.phases[0].key}:evil").title == f"Title {script}"


def test_same_input_gives_the_same_plan(spec, config):
    assert build_plan(spec, config) == build_plan(spec, config)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Penguin Species Classifier", "Penguin Species Classifier backlog"),
        ("R&D: churn; model #2", "RD churn model 2 backlog"),
    ],
)
def test_default_query_folder_is_a_name_azure_devops_accepts(name, expected):
    folder = default_query_folder(name, "slug")

    assert folder == expected
    assert naming.check_query_name(folder) is None


def test_a_sprint_without_stories_is_warned_about(spec, config):
    empty = with_phase(spec, 0, stories=())
    only_first = dataclasses.replace(
        empty,
        phases=tuple(dataclasses.replace(p, first_sprint=1, last_sprint=1) for p in empty.phases),
    )
    plan = build_plan(only_first, config)

    if spec.sprints.count > 1:
        assert f"{plan.iterations[1].name} has no story" in "\n".join(plan.warnings)
    assert f"phase '{spec.phases[0].key}' has no stories" in "\n".join(plan.warnings)


def test_phase_feature_says_when_it_is_planned(plan, spec):
    phase: PhaseSpec = spec.phases[-1]
    last = plan.iterations[phase.last_sprint - 1]

    assert last.finish.isoformat() in plan.item(f"phase:{phase.key}").description_html
