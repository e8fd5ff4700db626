"""The template's own Python is lint-clean: its tests, benchmarks, Jinja helper, and the hooks
as cookiecutter renders them (the raw hook files hold Jinja, so they are linted rendered)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bakery import TEMPLATE
from test_hooks import answers, render_hook

RUFF = [sys.executable, "-m", "ruff"]
SOURCES = ["tests", "benchmarks", "local_extensions.py", "hooks/answer_rules.py"]


def _ruff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*RUFF, *args, "--no-cache"],
        cwd=TEMPLATE,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_template_python_is_lint_clean():
    check = _ruff("check", *SOURCES)
    assert check.returncode == 0, check.stdout
    fmt = _ruff("format", "--check", *SOURCES)
    assert fmt.returncode == 0, fmt.stdout


@pytest.mark.parametrize("hook", ["pre_gen_project", "post_gen_project"])
def test_rendered_hooks_are_lint_clean(hook):
    source = render_hook(hook, answers())
    check = _ruff("check", "--stdin-filename", f"{hook}.py", "-", stdin=source)
    assert check.returncode == 0, check.stdout
