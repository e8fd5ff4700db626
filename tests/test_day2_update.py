"""Day 2: a project baked with plain cookiecutter takes a later template fix with
`cruft update`, and the team's own edits survive it (the round trip the README promises)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bakery import PROJECT_DIR, STABLE_ANSWERS, TEMPLATE

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TEAM_LINE = "A team note: the charter's baseline is last season's manual accuracy (0.81)."
TEMPLATE_LINE = "Template fix: the tools' README says where the template lives."


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``cruft ARGS`` with this interpreter's cruft (the template's dev extra installs it)."""
    return subprocess.run(
        [sys.executable, "-m", "cruft", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git copy of this template's files as committed or edited now (one commit)."""
    repo = tmp_path / "template"
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache")
    shutil.copytree(TEMPLATE, repo, ignore=ignore)
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template v1")
    return repo


def test_a_template_fix_arrives_with_cruft_update_and_the_team_edit_survives(
    template_repo: Path, tmp_path: Path
):
    # A separate process outside this checkout, as a user runs it (this process, and a
    # process started here, would import this checkout's Jinja extension instead).
    answers = [f"{key}={value}" for key, value in STABLE_ANSWERS.items()]
    out = tmp_path / "out"
    baked = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(template_repo),
            "--no-input",
            "-o",
            str(out),
            *answers,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert baked.returncode == 0, baked.stderr
    (project,) = out.iterdir()
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert cruft(project, "check").returncode == 0, "a fresh bake is up to date"

    charter = project / "docs" / "charter.md"  # team-owned
    charter.write_text(charter.read_text(encoding="utf-8") + f"\n{TEAM_LINE}\n", encoding="utf-8")
    git(project, "commit", "-q", "-am", "team: baseline in the charter")

    tools_readme = template_repo / PROJECT_DIR / "tools" / "README.md"
    tools_readme.write_text(
        tools_readme.read_text(encoding="utf-8") + f"\n{TEMPLATE_LINE}\n", encoding="utf-8"
    )
    git(template_repo, "commit", "-q", "-am", "template v2: a fix in tools/")
    stale = cruft(project, "check")
    assert stale.returncode != 0, "cruft check must see the project is behind the template"

    updated = cruft(project, "update", "--skip-apply-ask")
    assert updated.returncode == 0, updated.stdout + updated.stderr

    assert TEMPLATE_LINE in (project / "tools" / "README.md").read_text(encoding="utf-8")
    assert TEAM_LINE in charter.read_text(encoding="utf-8")
    record = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert record["commit"] == git(template_repo, "rev-parse", "HEAD").strip()
    assert cruft(project, "check").returncode == 0, "up to date after the update"
    status = git(project, "status", "--porcelain")
    assert ".rej" not in status, status


# (`azureml:<name>@latest` names this project's own assets, which it registers itself.)
FLOATING = re.compile(
    r"@(?:main|master|develop)\b|\bref:\s*refs/heads/|\brev:\s*(?:main|master|HEAD)\b"
)


def test_nothing_the_project_runs_floats_on_a_branch(bake):
    """Pipeline templates, pre-commit hooks and the tools are taken at fixed versions: a
    template resource `@main` or a hook `rev: main` would change a project nobody updated."""
    project = bake()
    found = [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path in sorted(project.rglob("*.y*ml"))
        if ".git" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FLOATING.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    revs = [repo.get("rev") for repo in hooks["repos"] if repo["repo"] not in ("local", "meta")]
    assert revs and all(re.fullmatch(r"v?\d+(\.\d+)+", str(rev)) for rev in revs), revs
