"""Exports: the CSV reads back into the plan's hierarchy; the Markdown carries a gantt roadmap."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re

import pytest
from backlog.export import (
    CSV_IMPORT_LIMIT,
    GANTT_LABEL_MAX,
    ExportError,
    csv_rows,
    gantt_lines,
    render_csv,
    render_markdown,
)
from backlog.model import PlannedItem
from backlog.planner import build_plan
from backlog.process import profile_for
from backlog.spec import StorySpec

ADO_PROJECT = "Contoso ML"
GANTT_TASK = re.compile(
    r"^    (?P<name>[^:]+) :(?P<milestone>milestone, )?(?P<start>\d{4}-\d{2}-\d{2}), "
    r"(?P<end>\d{4}-\d{2}-\d{2}|0d)$"
)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def key_of(row: dict[str, str], plan) -> str:
    prefix = f"ml-key:{plan.project_slug}:"
    (tag,) = [t for t in row["Tags"].split("; ") if t.startswith(prefix)]
    return tag[len(prefix) :]


@pytest.mark.parametrize("process", ["agile", "scrum", "basic", "cmmi"])
def test_csv_reads_back_into_the_same_hierarchy(plan, process):
    rows = read_csv(render_csv(plan, profile_for(process), ADO_PROJECT))
    title_columns = [c for c in rows[0] if c.startswith("Title ")]

    parents: dict[str, str | None] = {}
    stack: list[str] = []  # the key of the latest row seen at each level
    for row in rows:
        filled = [i for i, column in enumerate(title_columns) if row[column]]
        assert len(filled) == 1, "exactly one Title column per row"
        level = filled[0]
        key = key_of(row, plan)
        stack[level:] = [key]
        parents[key] = stack[level - 1] if level else None
        assert row[title_columns[level]] == plan.item(key).title

    assert parents == {item.key: item.parent_key for item in plan.items}
    assert title_columns == ["Title 1", "Title 2", "Title 3", "Title 4"]


def test_csv_rows_carry_types_iterations_tags_and_numbers(plan):
    profile = profile_for("agile")
    rows = read_csv(render_csv(plan, profile, ADO_PROJECT))

    for row in rows:
        item = plan.item(key_of(row, plan))
        assert row["ID"] == ""
        assert row["Work Item Type"] == profile.type_of(item.role)
        assert row["Tags"].split("; ") == [plan.project_tag, plan.key_tag(item.key), *item.tags]
        if item.iteration_key:
            name = plan.iteration(item.iteration_key).name
            assert row["Iteration Path"] == f"{ADO_PROJECT}\\{plan.iteration_folder}\\{name}"
        else:
            assert row["Iteration Path"] == ""
        assert row["Story Points"] == (f"{item.size:g}" if item.size is not None else "")
        estimate = f"{item.estimate_hours:g}" if item.estimate_hours is not None else ""
        assert row["Original Estimate"] == row["Remaining Work"] == estimate
        assert row["Acceptance Criteria"] == item.acceptance_html


@pytest.mark.parametrize(
    ("process", "size_column", "estimates", "has_acceptance"),
    [
        ("scrum", "Effort", ["Remaining Work"], True),
        ("basic", "Effort", ["Remaining Work"], False),
        ("cmmi", "Size", ["Original Estimate", "Remaining Work"], False),
    ],
)
def test_csv_columns_follow_the_process(plan, process, size_column, estimates, has_acceptance):
    header, *rows = csv_rows(plan, profile_for(process), ADO_PROJECT)

    assert header[-1 - len(estimates) :] == [size_column, *estimates]
    assert ("Acceptance Criteria" in header) == has_acceptance
    if not has_acceptance:  # the checklist moves into the description
        story = next(i for i in plan.items if i.key.startswith("story:"))
        named = [dict(zip(header, row, strict=True)) for row in rows]
        row = next(r for r in named if key_of(r, plan) == story.key)
        assert story.acceptance_html in row["Description"]


def test_csv_survives_commas_quotes_and_newlines_in_texts(spec, config):
    tricky = 'Say "hi", then; leave\nnow'
    story = StorySpec("tricky", 'Title with "quotes", commas', "S", (tricky,))
    phases = (dataclasses.replace(spec.phases[0], stories=(story,)), *spec.phases[1:])
    plan = build_plan(dataclasses.replace(spec, phases=phases), config)

    rows = read_csv(render_csv(plan, profile_for("agile"), ADO_PROJECT))

    row = next(r for r in rows if key_of(r, plan).endswith(":tricky"))
    assert row["Title 3"] == 'Title with "quotes", commas'
    assert (
        row["Acceptance Criteria"]
        == plan.item(f"story:{spec.phases[0].key}:tricky").acceptance_html
    )


def test_csv_refuses_more_items_than_one_import_takes(plan):
    extra = tuple(
        PlannedItem(key=f"x{i}", role="task", title=f"x{i}", parent_key="epic")
        for i in range(CSV_IMPORT_LIMIT)
    )
    too_big = dataclasses.replace(plan, items=plan.items + extra)

    with pytest.raises(ExportError, match="at most 1000 per file"):
        csv_rows(too_big, profile_for("agile"), ADO_PROJECT)


def test_markdown_has_a_gantt_with_every_phase_and_sprint(plan, spec):
    text = render_markdown(plan, spec, profile_for("agile"))

    block = re.search(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL)
    assert block, "a fenced mermaid block"
    lines = block.group(1).splitlines()
    assert lines[0] == "gantt"
    assert "    dateFormat YYYY-MM-DD" in lines
    sections = [line[len("    section ") :] for line in lines if line.startswith("    section ")]
    assert sections == [f"Phase {n}" for n in range(1, len(spec.phases) + 1)] + ["Sprints"]
    tasks = [line for line in lines[4:] if not line.startswith("    section ")]
    assert all(GANTT_TASK.match(line) for line in tasks), tasks
    phase_bars = [GANTT_TASK.match(line)["name"] for line in tasks[: len(spec.phases)]]
    assert phase_bars == [p.name for p in spec.phases]
    for iteration in plan.iterations:
        bar = f"    {iteration.name} :{iteration.start}, {iteration.finish + dt.timedelta(days=1)}"
        assert bar in lines
        assert f"## {iteration.name}: {iteration.start} to {iteration.finish}" in text
    for item in plan.items:
        if item.key.startswith("story:"):
            assert item.title in text


def test_gantt_escapes_what_mermaid_would_read_as_syntax(plan, spec):
    phases = (dataclasses.replace(spec.phases[0], name="Data: prep #1; v2"), *spec.phases[1:])

    lines = gantt_lines(plan, dataclasses.replace(spec, phases=phases))

    bar = next(line for line in lines if line.startswith("    Data#58;"))
    assert bar.startswith("    Data#58; prep #35;1#59; v2 :")
    assert GANTT_TASK.match(bar)


def test_gantt_sections_are_short_and_long_phase_names_shortened(plan, spec):
    """Mermaid draws section names in a 75 px margin: a long one runs into its bar."""
    long_name = "Data preparation, feature engineering and the first baseline model"
    phases = (dataclasses.replace(spec.phases[0], name=long_name), *spec.phases[1:])
    changed = dataclasses.replace(spec, phases=phases)

    lines = gantt_lines(plan, changed)
    text = render_markdown(plan, changed, profile_for("agile"))

    sections = [line.split(" ", 5)[-1] for line in lines if line.startswith("    section ")]
    assert max(len(name) for name in sections) <= len("Phase 10")
    names = [GANTT_TASK.match(line)["name"] for line in lines if GANTT_TASK.match(line)]
    assert max(len(name) for name in names) <= GANTT_LABEL_MAX
    assert f"    {long_name[: GANTT_LABEL_MAX - 1].rstrip()}\u2026 :" in "\n".join(lines)
    assert f"| {long_name} |" in text, "the Phases table has the full name"


@pytest.mark.parametrize(
    ("start", "axis"),
    [
        (dt.date(2027, 1, 4), "    axisFormat %d %b"),  # January to March: one year
        (dt.date(2027, 11, 1), "    axisFormat %d %b %Y"),  # November to January
    ],
)
def test_gantt_axis_shows_the_year_when_the_plan_crosses_one(spec, config, start, axis):
    sprints = dataclasses.replace(spec.sprints, start=start)
    plan = build_plan(dataclasses.replace(spec, sprints=sprints), config)
    assert (plan.iterations[0].start.year != plan.iterations[-1].finish.year) == axis.endswith("Y")

    lines = gantt_lines(plan, spec)

    assert lines[3] == axis
    assert [line for line in lines if "axisFormat" in line] == [axis]


def test_markdown_for_a_wiki_uses_the_wiki_fence(plan, spec):
    text = render_markdown(plan, spec, profile_for("agile"), wiki=True)

    assert "::: mermaid\ngantt\n" in text
    assert "```mermaid" not in text


def test_markdown_shows_html_as_text(spec, config):
    phases = (dataclasses.replace(spec.phases[0], goal="<script>alert(1)</script> | pipe"),)
    changed = dataclasses.replace(spec, phases=phases + spec.phases[1:])
    plan = build_plan(changed, config)

    text = render_markdown(plan, changed, profile_for("agile"))

    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| pipe" in text
