"""Every question cookiecutter asks has a human-readable prompt and is documented: the options
page and the README table are kept in step with cookiecutter.json, the options' one source."""

from __future__ import annotations

import json

import pytest
from bakery import TEMPLATE

CONFIG = json.loads((TEMPLATE / "cookiecutter.json").read_text())
QUESTIONS = [key for key in CONFIG if not key.startswith("_")]


def test_the_questions_the_issue_asks_for_are_there():
    required = {
        "project_name",
        "project_slug",
        "package_name",
        "description",
        "author_name",
        "python_version",
        "ado_org_url",
        "ado_project",
        "ado_team",
        "sprint_length_weeks",
        "sprint_count",
        "first_sprint_start",
        "team_members",
        "azure_subscription_id",
        "azure_resource_group",
        "aml_workspace",
        "aml_compute_name",
        "aml_vm_size",
        "include_ab_testing",
        "deployment",
        "create_backlog_now",
    }
    assert required <= set(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_question_has_a_prompt(question):
    prompt = CONFIG["__prompts__"].get(question)
    assert prompt, f"{question} has no __prompts__ entry"
    if isinstance(CONFIG[question], list):
        assert set(CONFIG[question]) <= set(prompt) - {"__prompt__"}, "every choice labelled"


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_question_is_documented(question):
    assert f"`{question}`" in (TEMPLATE / "docs" / "options.md").read_text()
    assert f"`{question}`" in (TEMPLATE / "README.md").read_text()


def test_backlog_is_not_created_by_default():
    """Remote writes are opt-in: baking never touches Azure unless asked."""
    assert CONFIG["create_backlog_now"] is False
