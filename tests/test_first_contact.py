"""What a new user meets first holds as written: the README's commands are the ones CI runs,
command 1 bakes a project next to the clone (its own git repository), and any project name a
person might type bakes with nothing else given into a project whose backlog and AzureML
definitions validate."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest
from bakery import TEMPLATE, bake_into

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")
CI_RUN = (TEMPLATE / ".ci" / "run").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The shell lines of the README's 'Two commands' section, comments left out."""
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_has_a_preparation_line_and_two_commands():
    lines = readme_commands()
    assert len(lines) == 3, lines
    prepare, bake, run_tests = lines
    assert "-m venv .venv" in prepare and "--upgrade pip" in prepare
    assert "cookiecutter . --no-input" in bake
    assert "pytest" in run_tests


def test_ci_runs_exactly_the_readme_steps_and_installs_nothing_else():
    """If the README's first step upgrades pip, so does .ci/run, and no earlier; every install
    .ci/run makes is one the README names, in the same order."""
    prepare, _, run_tests = readme_commands()
    readme_steps = [
        step.strip()
        for line in (prepare, run_tests)
        for step in line.split("&&")
        if "pip install" in step or "pytest" in step
    ]
    ci_steps = [
        line.strip()
        for line in CI_RUN.splitlines()
        if re.search(r"pip install|-m pytest", line) and not line.lstrip().startswith("#")
    ]
    assert [s.split(" --durations")[0] for s in ci_steps] == readme_steps


def test_ci_fails_when_pytest_collects_nothing():
    assert '"$status" -eq 5' in CI_RUN and "exit 1" in CI_RUN


def test_readme_command_1_bakes_next_to_the_clone_as_its_own_repository(tmp_path):
    """Run as written, from a clone: the project lands beside the clone, not inside it, with
    its own git repository (so pre-commit later writes into the project's .git)."""
    clone = tmp_path / "template-clone"
    shutil.copytree(
        TEMPLATE, clone, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*cache")
    )
    bake_step = readme_commands()[1].split("&&")[1].strip()
    argv = shlex.split(bake_step)
    assert argv[:3] == ["python", "-m", "cookiecutter"]
    result = subprocess.run(
        [sys.executable, *argv[1:], "aml_endpoint_name=penguin-readme-ab12"],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    project = tmp_path / "penguin-species-classifier"
    assert (project / "project.yml").is_file()
    assert not (clone / "penguin-species-classifier").exists()
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=project, capture_output=True, text=True
    )
    assert top.stdout.strip() == str(project)


# Names people type: digits first, quotes, accents, CJK, emoji, punctuation, 80 characters,
# reserved words, names of modules the project imports.
NAMES = [
    "123 Go",
    'Churn "Model" v2',
    "O'Brien's Forecast",
    "Café Ñandú — Prévision des ventes",
    "数据科学项目",
    "Emoji 🚀 Rocket",
    "C++ / Rust & Go: 100% <fast> {{x}}",
    "A very long project name that keeps going and going well past the usual limits ok",
    "Con",
    "Web",
    "pandas",
    "Test",
    "---",
    "  Leading and trailing spaces  ",
]


@pytest.mark.parametrize("name", NAMES, ids=[f"name{n:02d}" for n in range(len(NAMES))])
def test_any_project_name_bakes_a_project_that_validates(tmp_path, run_in, name):
    # cookiecutter renders --no-input answers as templates; {% raw %} is what a typed answer is.
    project = bake_into(
        tmp_path, project_name="{% raw %}" + name + "{% endraw %}", first_sprint_start="2027-01-04"
    )
    backlog = run_in(project, "python", "-m", "backlog", "validate")
    assert backlog.returncode == 0, backlog.stdout + backlog.stderr
    aml = run_in(project, "python", "-m", "aml_tool", "validate")
    assert aml.returncode == 0, aml.stdout + aml.stderr
