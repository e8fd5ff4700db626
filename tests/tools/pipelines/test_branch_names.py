"""The branch model check: accepts the documented names, rejects others with the rule."""

from __future__ import annotations

import re
import subprocess
import sys

import check_branch_name
import pytest
from baked import ROOT

SCRIPT = ROOT / "tools" / "pipelines" / "check_branch_name.py"

VALID = [
    "experiment/1234-gradient-boosting",
    "refs/heads/experiment/1234-gradient-boosting",
    "data/57-add-weather-source",
    "explore/311-missing-sex-values",
    "model/1290-serve-random-forest",
    "docs/1260-results-report",
    "experiment/9-a",
    "main",
    "refs/heads/main",
    "release/1",
    "release/1.2.3",
]

# name -> words the rejection must contain (the rule that is broken)
INVALID = {
    "feature/1234-login": ["'feature/' is not a branch type", "experiment"],
    "experiment/gradient-boosting": ["work item id"],
    "experiment/0-gbm": ["work item id"],
    "experiment/1234": ["no slug"],
    "experiment/1234-": ["no slug"],
    "experiment/1234-Gradient_Boosting": ["lower-case", "Gradient_Boosting"],
    "experiment/1234-gbm/v2": ["lower-case"],
    "experiment/1234-double--hyphen": ["single"],
    "gradient-boosting": ["has no type"],
    "Experiment/1234-gbm": ["'Experiment/' is not a branch type"],
    "release/next": ["release/<major>"],
    "": ["empty"],
    "experiment/1234-" + "x" * 51: ["longer than 50"],
}


@pytest.mark.parametrize("name", VALID)
def test_documented_branch_names_are_accepted(name):
    assert check_branch_name.branch_problem(name) is None


@pytest.mark.parametrize("name", sorted(INVALID))
def test_a_bad_name_is_rejected_naming_the_broken_rule(name):
    problem = check_branch_name.branch_problem(name)
    assert problem is not None
    for word in INVALID[name]:
        assert word in problem


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        check=False,
    )


def test_the_command_fails_a_bad_name_with_one_line_rule_and_examples():
    done = run("feature/login")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "branch name rejected" in lines[0]
    assert "<type>/<work item id>-<slug>" in lines[0]
    assert "experiment/1234-gradient-boosting" in lines[0]


def test_the_command_accepts_a_pull_request_source_ref():
    done = run("refs/heads/data/57-add-weather-source")
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


def test_on_an_agent_the_rejection_becomes_the_runs_error_summary():
    done = run("feature/login", TF_BUILD="True")
    assert done.stderr.startswith("##vso[task.logissue type=error]branch name rejected")


def test_calling_it_without_a_name_is_a_usage_error():
    assert run().returncode == 2


def test_the_branch_types_are_the_ones_the_branch_model_documents():
    doc = ROOT / "docs" / "branch-model.md"
    if not doc.is_file():
        pytest.skip("docs/branch-model.md is not in this project")
    table_types = set(re.findall(r"^\| `(\w+)/` \|", doc.read_text(encoding="utf-8"), re.M))
    assert table_types == set(check_branch_name.WORK_TYPES)
