"""The WIQL of the shared queries: quoted values, the process's own fields, valid syntax."""

from __future__ import annotations

import dataclasses

import pytest
from backlog import wiql
from backlog.process import PROFILES
from fake_ado import wiql_engine
from fake_ado.harness import tiny_plan
from fake_ado.processes import ALL_FIELDS, LINK_FIELDS

PROFILE_NAMES = sorted(PROFILES)


def test_literal_doubles_single_quotes_so_a_value_cannot_end_the_string():
    assert wiql.literal("O'Brien's model") == "'O''Brien''s model'"
    tokens = wiql_engine.tokenize(f"[System.Title] = {wiql.literal(chr(39) + ' OR 1=1 --')}")
    assert [kind for kind, _ in tokens] == ["field", "op", "string"]


def test_the_item_query_finds_the_project_tag_and_quotes_it():
    text = wiql.items_of_project("ml-backlog:o'neil")
    assert "[System.Tags] CONTAINS 'ml-backlog:o''neil'" in text
    assert text.startswith("SELECT [System.Id] FROM WorkItems")


@pytest.mark.parametrize("process", PROFILE_NAMES)
def test_every_shared_query_is_valid_wiql_with_fields_of_the_process(process):
    profile = PROFILES[process]
    plan = tiny_plan()
    for query in plan.queries:
        text = wiql.query_wiql(query, plan, profile, project="Tiny", team="Tiny Team")
        wiql_engine.validate(text, ALL_FIELDS | LINK_FIELDS)  # raises on a bad field or quote


@pytest.mark.parametrize(
    ("process", "estimate"),
    [
        ("agile", "Microsoft.VSTS.Scheduling.OriginalEstimate"),
        ("cmmi", "Microsoft.VSTS.Scheduling.OriginalEstimate"),
        ("scrum", "Microsoft.VSTS.Scheduling.RemainingWork"),
        ("basic", "Microsoft.VSTS.Scheduling.RemainingWork"),
    ],
)
def test_tasks_over_the_limit_use_the_estimate_field_the_process_has(process, estimate):
    plan = tiny_plan()
    query = next(q for q in plan.queries if q.kind == "tasks_over_limit")
    text = wiql.query_wiql(query, plan, PROFILES[process], project="P", team="T")
    assert f"[{estimate}] > 40" in text


@pytest.mark.parametrize("process", PROFILE_NAMES)
def test_unsized_stories_check_the_size_field_of_the_requirement_type(process):
    profile = PROFILES[process]
    plan = tiny_plan()
    query = next(q for q in plan.queries if q.kind == "unsized_requirements")
    text = wiql.query_wiql(query, plan, profile, project="P", team="T")
    assert f"[{profile.size_field}] = ''" in text
    assert f"[System.WorkItemType] = '{profile.type_of('requirement')}'" in text


def test_unsized_stories_leave_out_the_sprint_deliverables_items():
    """Each sprint's deliverables item is a requirement without a size on purpose; listing them
    would bury the stories that really need sizing."""
    plan = tiny_plan()
    query = next(q for q in plan.queries if q.kind == "unsized_requirements")
    text = wiql.query_wiql(query, plan, PROFILES["agile"], project="P", team="T")
    assert "[System.Tags] NOT CONTAINS 'deliverables'" in text


def test_current_sprint_names_the_team_in_one_quoted_literal():
    plan = tiny_plan()
    query = next(q for q in plan.queries if q.kind == "current_sprint_by_phase")
    text = wiql.query_wiql(query, plan, PROFILES["agile"], project="ML Lab", team="ML Lab Team")
    assert "@CurrentIteration('[ML Lab]\\ML Lab Team')" in text
    assert "MODE (MustContain)" in text


def test_a_folder_name_with_a_quote_stays_inside_its_literal():
    plan = tiny_plan(iteration_folder="o'hare")
    query = next(q for q in plan.queries if q.kind == "tasks_over_limit")
    text = wiql.query_wiql(query, plan, PROFILES["agile"], project="P", team="T")
    assert "UNDER 'P\\o''hare'" in text
    wiql_engine.validate(text, ALL_FIELDS | LINK_FIELDS)


def test_an_unknown_query_kind_is_refused():
    plan = tiny_plan()
    bad = dataclasses.replace(plan.queries[0], kind="everything")
    with pytest.raises(ValueError, match="unknown query kind"):
        wiql.query_wiql(bad, plan, PROFILES["agile"], project="P", team="T")
