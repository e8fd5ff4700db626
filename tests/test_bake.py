"""The template bakes every supported combination of answers into exactly the expected files,
with no template marker left behind, and the baked projects pass their own lint and tests."""

from __future__ import annotations

import re
import subprocess
from itertools import cycle

import pytest
from expected_files import expected_files

# Options that change which files exist are multiplied; the others are cycled through.
STRUCTURAL = [
    {"include_ab_testing": "yes", "deployment": "online"},
    {"include_ab_testing": "no", "deployment": "online"},
    {"include_ab_testing": "no", "deployment": "batch"},
    {"include_ab_testing": "no", "deployment": "none"},
]
CYCLED = {
    "python_version": ["3.11", "3.12"],
    "sprint_length_weeks": ["2", "1", "4", "3"],
    "team_members": ["", "ana@example.com, li@example.com"],
}


def _matrix() -> list[dict[str, str]]:
    cycled = {key: cycle(values) for key, values in CYCLED.items()}
    return [{**combo, **{k: next(v) for k, v in cycled.items()}} for combo in STRUCTURAL]


def _test_id(answers: dict[str, str]) -> str:
    ab = "ab" if answers["include_ab_testing"] == "yes" else "no-ab"
    members = "members" if answers["team_members"] else "solo"
    py = "py" + answers["python_version"].replace(".", "")
    return f"{ab}-{answers['deployment']}-{py}-{answers['sprint_length_weeks']}w-{members}"


MATRIX = _matrix()
IDS = [_test_id(answers) for answers in MATRIX]

COOKIECUTTER_MARKER = re.compile(r"{{-?\s*cookiecutter\.|{%-?\s*(?:if|for|raw|endraw)\b")


def _text_files(project):
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.relative_to(project).parts[0] != ".git":
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


@pytest.mark.parametrize("answers", MATRIX, ids=IDS)
def test_bake_writes_exactly_the_expected_files(bake, answers):
    project = bake(**answers)
    written = baked_files(project)
    expected = expected_files(
        ab_testing=answers["include_ab_testing"] == "yes", deployment=answers["deployment"]
    )
    assert sorted(written - expected) == [], "files nobody expects"
    assert sorted(expected - written) == [], "files missing"


def baked_files(project) -> set[str]:
    """Every file the bake wrote, the new project's own git repository left out."""
    return {
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and p.relative_to(project).parts[0] != ".git"
    }


@pytest.mark.parametrize("answers", MATRIX, ids=IDS)
def test_the_project_is_its_own_repository_with_the_bake_as_first_commit(bake, answers):
    """So `pre-commit install` writes into this project's .git (not into the repository the
    bake ran in), and a template update has a base: one commit on main holds every baked file,
    none of them ignored, and nothing is left uncommitted."""
    project = bake(**answers)

    def git(*args):
        done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert git("rev-parse", "--show-toplevel").strip() == str(project)
    assert git("branch", "--show-current").strip() == "main"
    assert git("rev-list", "--count", "HEAD").strip() == "1"
    assert set(git("ls-files").splitlines()) == baked_files(project)
    assert git("status", "--porcelain", "--ignored") == ""


@pytest.mark.parametrize("answers", MATRIX, ids=IDS)
def test_no_template_marker_is_left(bake, answers):
    project = bake(**answers)
    leftovers = [
        f"{path.relative_to(project)}: {match.group(0)}"
        for path, text in _text_files(project)
        for match in COOKIECUTTER_MARKER.finditer(text)
    ]
    assert leftovers == []


def test_azure_expressions_survive_baking(bake):
    """AzureML `${{inputs.x}}` and Azure Pipelines `${{ parameters.x }}` / `$(var)` must come
    out of Jinja intact (practice 9 of the style guide)."""
    project = bake(include_ab_testing="yes", deployment="online")
    aml = "\n".join(p.read_text() for p in (project / "aml").rglob("*.yml"))
    pipelines = "\n".join(p.read_text() for p in (project / "pipelines").rglob("*.yml"))
    assert re.search(r"\$\{\{\s*inputs\.\w+\s*\}\}", aml)
    assert re.search(r"\$\{\{\s*parent\.jobs\.\w+\.outputs\.\w+\s*\}\}", aml)
    assert re.search(r"\$\{\{\s*parameters\.\w+", pipelines)
    assert re.search(r"\$\([A-Za-z_.]+\)", pipelines)


def test_answers_reach_the_one_config_file(bake):
    import yaml

    project = bake(
        include_ab_testing="no",
        deployment="batch",
        team_members="ana@example.com,  li@example.com",
        aml_compute_name="gpu-train",
    )
    config = yaml.safe_load((project / "project.yml").read_text())
    assert config["azure_devops"]["team_members"] == ["ana@example.com", "li@example.com"]
    assert config["azureml"]["compute_name"] == "gpu-train"
    assert config["project"]["deployment"] == "batch"
    assert config["project"]["include_ab_testing"] is False


@pytest.mark.parametrize("answers", MATRIX, ids=IDS)
def test_baked_project_is_lint_clean(bake, run_in, answers):
    project = bake(**answers)
    check = run_in(project, "python", "-m", "ruff", "check", ".")
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run_in(project, "python", "-m", "ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


# The baked projects' own suites are the slow part: the most different combination runs in
# full here; the default runs its first-day commands (make setup, make test, ...) in a fresh
# venv in test_first_day.py, offline too.
FULL_SUITE = [MATRIX[2]]


@pytest.mark.slow
@pytest.mark.parametrize("answers", FULL_SUITE, ids=[_test_id(a) for a in FULL_SUITE])
def test_baked_project_passes_its_own_tests_offline(bake_fresh, run_in, answers):
    """Green with no network but loopback, and nothing in it even tries to reach further
    (MLflow's telemetry included: the suite runs with none of the CI markers that would turn
    it off by themselves)."""
    project = bake_fresh(**answers)
    network = []
    result = run_in(
        project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", network_log=network
    )
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    assert re.search(r"\b\d+ passed\b", result.stdout), tail
    assert " failed" not in result.stdout.splitlines()[-1], tail
    assert network == [], "the suite tried to reach the network:\n" + "\n".join(network)
