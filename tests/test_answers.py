"""Answers are checked before anything is written: each invalid answer stops the bake with one
line naming the field, the value and the rule, and leaves no folder behind. Valid answers full
of quotes, backslashes, newlines and template syntax bake into files that still parse."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
import yaml
from bakery import bake_into
from cookiecutter.exceptions import FailedHookException

from local_extensions import RULES

# (field overrides, field reported, words the rule must contain)
INVALID_ANSWERS = [
    ({"project_name": " "}, "project_name", "must not be empty"),
    # cookiecutter itself would say '"." directory already exists' (the folder name renders
    # empty); the template's folder name falls back to the derived slug so the hook says why.
    ({"project_slug": ""}, "project_slug", "use 1-63 lower-case letters"),
    ({"project_slug": "1-project"}, "project_slug", "starting with a letter"),
    ({"project_slug": "My Project"}, "project_slug", "lower-case"),
    ({"project_slug": "ml--project"}, "project_slug", "single hyphens"),
    ({"project_slug": "con"}, "project_slug", "reserves"),
    ({"package_name": "class"}, "package_name", "Python keyword"),
    ({"package_name": "json"}, "package_name", "standard-library"),
    ({"package_name": "pandas"}, "package_name", "shadow a module the project depends on"),
    ({"package_name": "backlog"}, "package_name", "shadow a module of the generated project"),
    ({"package_name": "my-package"}, "package_name", "underscores"),
    ({"package_name": "2fast"}, "package_name", "starting with a letter"),
    ({"package_name": "_private"}, "package_name", "starting with a letter"),
    ({"package_name": "p" * 41}, "package_name", "at most 40 characters"),
    ({"description": "bell\x07"}, "description", "control characters"),
    ({"author_email": "not-an-email"}, "author_email", "e-mail address"),
    ({"ado_org_url": "dev.azure.com/contoso"}, "ado_org_url", "http(s) URL"),
    ({"ado_org_url": "https://dev.azure.com/contoso/project"}, "ado_org_url", "one organization"),
    ({"ado_org_url": "http://dev.azure.com/contoso"}, "ado_org_url", "use https"),
    ({"ado_org_url": "https://me:secret@dev.azure.com/contoso"}, "ado_org_url", "credentials"),
    ({"ado_org_url": "https://tfs.contoso.local"}, "ado_org_url", "name the collection"),
    ({"ado_project": "Churn/Model"}, "ado_project", "must not contain /"),
    ({"ado_project": "_internal"}, "ado_project", "underscore"),
    ({"ado_project": "CON"}, "ado_project", "reserves"),
    ({"ado_project": "p" * 65}, "ado_project", "at most 64 characters"),
    ({"ado_team": "Team: ML"}, "ado_team", "must not contain :"),
    ({"ado_team": "..."}, "ado_team", "periods only"),
    ({"sprint_length_weeks": "5"}, "sprint_length_weeks", "from 1 to 4"),
    ({"sprint_length_weeks": "two"}, "sprint_length_weeks", "whole number"),
    ({"sprint_count": "0"}, "sprint_count", "from 1 to 26"),
    ({"sprint_count": "27"}, "sprint_count", "from 1 to 26"),
    ({"first_sprint_start": "2027-02-30"}, "first_sprint_start", "existing date"),
    ({"first_sprint_start": "04/01/2027"}, "first_sprint_start", "YYYY-MM-DD"),
    ({"first_sprint_start": "2027-01-09"}, "first_sprint_start", "working day"),
    ({"team_members": "ana@example.com, bob"}, "team_members", "'bob' is not an e-mail"),
    ({"team_members": "ana@example.com,ANA@example.com"}, "team_members", "same person twice"),
    ({"release_approvers": "ana@example.com, bob"}, "release_approvers", "'bob' is not an e-mail"),
    ({"release_approvers": " , "}, "release_approvers", "needs at least one e-mail"),
    ({"azure_subscription_id": "my-subscription"}, "azure_subscription_id", "GUID"),
    ({"azure_resource_group": "rg-ml."}, "azure_resource_group", "not ending with a period"),
    ({"aml_workspace": "ws"}, "aml_workspace", "3-33"),
    ({"aml_workspace": "-workspace"}, "aml_workspace", "starting with a letter or digit"),
    ({"aml_compute_name": "1cpu"}, "aml_compute_name", "start with a letter"),
    ({"aml_compute_name": "cpu-cluster-for-ml"}, "aml_compute_name", "2-16"),
    ({"aml_compute_name": "cpu-"}, "aml_compute_name", "not end with a hyphen"),
    ({"aml_endpoint_name": "penguin_endpoint"}, "aml_endpoint_name", "letters, digits or hyphens"),
    ({"aml_endpoint_name": "e" * 33}, "aml_endpoint_name", "3-32"),
    ({"aml_vm_size": "DS3_v2"}, "aml_vm_size", "Standard_DS3_v2"),
    ({"deployment": "batch"}, "include_ab_testing", "online endpoint"),
    ({"deployment": "none"}, "include_ab_testing", "online endpoint"),
    # forms date.fromisoformat takes but backlog.yml does not
    ({"first_sprint_start": "20270104"}, "first_sprint_start", "YYYY-MM-DD"),
    ({"first_sprint_start": "2027-W01-1"}, "first_sprint_start", "YYYY-MM-DD"),
    ({"first_sprint_start": " 2027-01-04"}, "first_sprint_start", "no spaces"),
    # one line everywhere but the description
    ({"ado_org_url": "https://dev.azure.com/contoso\nx"}, "ado_org_url", "one line"),
    ({"project_name": "Churn\nModel"}, "project_name", "one line"),
    ({"azure_resource_group": "rg-ml\t"}, "azure_resource_group", "one line"),
    # names the project's own imports would collide with
    ({"package_name": "jsonschema"}, "package_name", "shadow a module the project depends on"),
    ({"package_name": "urllib3"}, "package_name", "shadow a module the project depends on"),
    ({"package_name": "test"}, "package_name", "standard-library"),
    ({"package_name": "pipeline_yaml"}, "package_name", "generated project itself"),
    ({"package_name": "conftest"}, "package_name", "generated project itself"),
    # VM sizes by the Azure naming convention, families AzureML clusters use
    ({"aml_vm_size": "Standard_DS3v2"}, "aml_vm_size", "Azure VM size name"),
    ({"aml_vm_size": "Standard_DS3_V2"}, "aml_vm_size", "Azure VM size name"),
    ({"aml_vm_size": "Standard_QQ4_v2"}, "aml_vm_size", "Azure VM size name"),
    # Azure DevOps refuses surrogate pairs in names
    ({"ado_project": "Rocket 🚀"}, "ado_project", "emoji"),
]


CASE_IDS = [f"{n:02d}-{field}" for n, (_, field, _) in enumerate(INVALID_ANSWERS, start=1)]


@pytest.mark.parametrize(("overrides", "field", "rule"), INVALID_ANSWERS, ids=CASE_IDS)
def test_invalid_answer_stops_the_bake_with_one_clear_line(tmp_path, capfd, overrides, field, rule):
    """The bake fails, stderr has exactly one line naming field, value and rule, and no project
    folder (not even an empty one) is left behind."""
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, **overrides)
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"error: {field}="), line
    assert rule in line, line
    value = {**overrides}.get(field)
    if isinstance(value, str) and "secret" not in value:
        assert repr(value)[:40] in line or value[:20] in line, line
    assert list(tmp_path.iterdir()) == [], "a failed bake must leave nothing behind"


@pytest.mark.parametrize(
    "url",
    [
        "https://me:secret-pat@dev.azure.com/contoso/x",
        "https://dev.azure.com/contoso?pat=secret-pat",
    ],
)
def test_an_invalid_org_url_is_reported_without_the_credentials_in_it(tmp_path, capfd, url):
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, ado_org_url=url)
    err = capfd.readouterr().err
    assert "error: ado_org_url='https://***@dev.azure.com" in err or "?***" in err, err
    assert "secret-pat" not in err


def test_a_url_with_credentials_is_masked_in_cookiecutters_replay_file(tmp_path, monkeypatch):
    """Cookiecutter saves the answers before any hook runs; the refused URL's credentials must
    not stay on disk there either."""
    replay_dir = tmp_path / "replay"
    config = tmp_path / "config.yml"
    config.write_text(f"replay_dir: {replay_dir}\ncookiecutters_dir: {tmp_path / 'cc'}\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    with pytest.raises(FailedHookException):
        bake_into(tmp_path / "out", ado_org_url="https://me:secret-pat@dev.azure.com/contoso")
    saved = [p.read_text() for p in replay_dir.glob("*.json")]
    assert saved, "cookiecutter wrote a replay file"
    assert all("secret-pat" not in text for text in saved)
    assert any("https://***@dev.azure.com/contoso" in text for text in saved)


@pytest.mark.parametrize(
    "value",
    [
        "Standard_DS3_v2",
        "Standard_NC24ads_A100_v4",
        "Standard_E16-4s_v3",
        "Standard_F4s_v2",
        "Standard_M128ms",
        "Standard_NC6",
    ],
)
def test_real_vm_sizes_are_accepted(value):
    assert RULES.check_vm_size(value) is None


def test_a_start_date_in_the_past_bakes_with_one_warning(tmp_path, capfd):
    bake_into(tmp_path, first_sprint_start="2025-01-06")
    warnings = [x for x in capfd.readouterr().err.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1 and "first_sprint_start='2025-01-06' is in the past" in warnings[0]


def test_the_endpoint_name_is_not_checked_when_nothing_is_deployed(tmp_path):
    project = bake_into(
        tmp_path, deployment="none", include_ab_testing="no", aml_endpoint_name="not_used!"
    )
    assert "not_used!" not in (project / "project.yml").read_text()


def test_release_approvers_default_to_the_team_else_the_author(tmp_path):
    import yaml

    team = bake_into(tmp_path / "team", team_members="ana@example.com, bob@example.com")
    alone = bake_into(tmp_path / "alone", author_email="lead@example.com")
    approvers = [
        yaml.safe_load((p / "project.yml").read_text())["azure_devops"]["release_approvers"]
        for p in (team, alone)
    ]
    assert approvers == [["ana@example.com", "bob@example.com"], ["lead@example.com"]]


def test_release_approvers_are_not_asked_for_when_nothing_is_deployed(tmp_path):
    project = bake_into(
        tmp_path, deployment="none", include_ab_testing="no", release_approvers="not-an-email"
    )
    assert "release_approvers" not in (project / "project.yml").read_text()


def test_at_least_twenty_five_invalid_answers_are_covered():
    """The issue's minimum; distinct fields keep the table honest."""
    assert len(INVALID_ANSWERS) >= 25
    assert len({field for _, field, _ in INVALID_ANSWERS}) >= 18


def test_several_invalid_answers_are_named_on_the_same_line(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, sprint_count="99", aml_vm_size="big")
    err = [x for x in capfd.readouterr().err.splitlines() if x.startswith("error:")]
    assert err == [
        "error: sprint_count='99': must be from 1 to 26 (also invalid: aml_vm_size)",
    ]


HOSTILE_TEXT = (
    'He said "ship it" \\ C:\\temp\\new {{ cookiecutter.project_slug }} ${{ parameters.env }} '
    "$(Build.BuildId) <script>alert('x')</script> it's done"
)


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory) -> Path:
    # cookiecutter renders --no-input answers as templates; {% raw %} hands the hook the literal
    # text an interactive user would type.
    raw = "{% raw %}" + HOSTILE_TEXT + "\nsecond line{% endraw %}"
    return bake_into(
        tmp_path_factory.mktemp("hostile"),
        description=raw,
        author_name='{% raw %}O\'Brien "Data" \\ Team{% endraw %}',
        project_name="Churn & <Retention> Model",
        ado_project="Churn Retention",
    )


def test_hostile_text_bakes_into_valid_toml(hostile_project):
    meta = tomllib.loads((hostile_project / "pyproject.toml").read_text())["project"]
    assert "\n" not in meta["description"], "a package summary must be one line"
    assert 'He said "ship it" \\ C:\\temp\\new' in meta["description"]
    assert meta["authors"][0]["name"] == 'O\'Brien "Data" \\ Team'


def test_hostile_text_bakes_into_valid_yaml_kept_verbatim(hostile_project):
    config = yaml.safe_load((hostile_project / "project.yml").read_text())
    assert config["project"]["description"] == HOSTILE_TEXT + "\nsecond line"
    for path in hostile_project.rglob("*.yml"):
        yaml.safe_load(path.read_text())  # every YAML file still parses


def test_hostile_text_bakes_into_valid_python(hostile_project):
    for path in hostile_project.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))


def test_hostile_text_never_becomes_markup_in_markdown(hostile_project):
    for path in hostile_project.rglob("*.md"):
        text = path.read_text()
        assert "<script>" not in text, f"{path} carries a live <script> tag"
        assert "<Retention>" not in text, f"{path} carries the raw project name as markup"


def test_the_shadowing_list_holds_every_module_the_project_installs():
    """A package name is refused if a dependency (transitive, any extra) has a module of that
    name; the list the hook reads must not lag behind the dependencies."""
    from dependency_names import installed_dependency_modules

    missing = installed_dependency_modules() - RULES.dependency_modules()
    assert not missing, f"run `python tests/dependency_names.py --write`: {sorted(missing)}"


def test_the_projects_own_top_level_modules_are_found_in_the_template():
    found = RULES.project_modules()
    assert {"backlog", "conftest", "pipeline_yaml", "aml_support"} <= found
    assert "penguin_species_classifier" not in found and "" not in found
