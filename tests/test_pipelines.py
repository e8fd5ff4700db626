"""The generated Azure Pipelines: schema-valid for every option combination, template
expressions intact after baking, answers embedded as data, and the pull-request job's own
commands, read from the YAML, passing on a freshly baked project."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bakery import PROJECT_DIR, TEMPLATE, project_env

SOURCE = TEMPLATE / PROJECT_DIR / "pipelines"
# Every combination the template accepts: A/B testing needs the online endpoint's traffic
# split, so the pre-generation hook refuses it with batch or no deployment.
COMBINATIONS = [
    {"deployment": "online", "include_ab_testing": "yes"},
    {"deployment": "online", "include_ab_testing": "no"},
    {"deployment": "batch", "include_ab_testing": "no"},
    {"deployment": "none", "include_ab_testing": "no"},
]
IDS = [
    f"{c['deployment']}-{'ab' if c['include_ab_testing'] == 'yes' else 'no-ab'}"
    for c in COMBINATIONS
]

ALWAYS = {
    "README.md",
    "pr-validation.yml",
    "train.yml",
    "backlog-sync.yml",
    "environments/dev.yml",
    "templates/variables/versions.yml",
    "templates/variables/project.yml",
    "templates/steps/setup-python.yml",
    "templates/steps/azure-cli.yml",
    "templates/jobs/quality-gates.yml",
    "templates/jobs/azure-job.yml",
}
DEPLOYED = {
    "deploy.yml",
    "environments/prod.yml",
    "templates/jobs/release-job.yml",
    "templates/steps/release-version.yml",
}
BY_DEPLOYMENT = {
    "online": ALWAYS | DEPLOYED | {"templates/stages/deploy-online.yml"},
    "batch": ALWAYS | DEPLOYED | {"templates/stages/deploy-batch.yml"},
    "none": ALWAYS,
}

# Steps of the pull-request job that only make sense on a hosted agent, and why.
AGENT_ONLY_SCRIPTS = {
    # pip-installs the project into the agent's fresh interpreter (and pins pip there); here
    # the test interpreter already has every extra, and src/ + tools/ on PYTHONPATH stand in for the
    # editable install.
    "Install the project with the extras dev,backlog,aml,data",
}
# Steps run here on one quick test only, because another test runs their whole selection on a
# fresh bake (test_bake's full-suite test, offline; test_first_day's `make test`): the step's
# command, environment and published files are still exercised.
NARROWED = {
    "Every test of the project, end-to-end runs included (make test-all)": "-k backlog_file",
}
AGENT_TASKS = {
    "UsePythonVersion@0",
    "Cache@2",
    "PublishPipelineArtifact@1",
    "PublishTestResults@2",
    "PublishCodeCoverageResults@2",
}
# What the agent would set at run time, for a pull request from a well-named branch.
RUN_TIME = {
    "System.PullRequest.SourceBranch": "refs/heads/experiment/1234-gradient-boosting",
    "Build.Reason": "PullRequest",
    "Build.SourceBranchName": "merge",
}

EXPRESSION = re.compile(r"\$\{\{.*?\}\}|\$\([A-Za-z_][\w.\-]*\)")
JINJA_TAG = re.compile(r"{%-?.*?-?%}", re.DOTALL)


def pipeline_files(project: Path) -> set[str]:
    folder = project / "pipelines"
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("answers", COMBINATIONS, ids=IDS)
def test_every_pipeline_and_template_validates_against_the_schema(bake, run_in, answers):
    project = bake(**answers)
    assert pipeline_files(project) == BY_DEPLOYMENT[answers["deployment"]]
    done = run_in(project, "python", "tools/pipelines/validate_pipelines.py")
    assert done.returncode == 0, done.stdout + done.stderr
    count = len([f for f in pipeline_files(project) if f.endswith(".yml")])
    assert f"{count} of {count} pipeline files valid" in done.stdout


@pytest.mark.parametrize("answers", COMBINATIONS, ids=IDS)
def test_the_baked_projects_own_pipeline_tests_pass(bake, run_in, answers):
    project = bake(**answers)
    done = run_in(
        project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/pipelines"
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout), "an all-skipped run proves nothing"


def source_of(baked: Path, project: Path) -> Path | None:
    """The template file a baked pipeline file was rendered from (conditional names resolved)."""
    wanted = baked.relative_to(project / "pipelines").as_posix()
    for source in SOURCE.rglob("*"):
        if source.is_file() and JINJA_TAG.sub("", source.relative_to(SOURCE).as_posix()) == wanted:
            return source
    return None


def test_compile_time_expressions_and_macros_survive_baking(bake):
    project = bake(deployment="online", include_ab_testing="yes")
    checked = 0
    for baked in sorted((project / "pipelines").rglob("*.yml")):
        source = source_of(baked, project)
        assert source is not None, baked
        text = baked.read_text(encoding="utf-8")
        assert "{%" not in text and "cookiecutter." not in text, baked
        expected = Counter(
            EXPRESSION.findall(JINJA_TAG.sub("", source.read_text(encoding="utf-8")))
        )
        found = Counter(EXPRESSION.findall(text))
        if re.search(r"{%-?\s*if", source.read_text(encoding="utf-8")):
            # Branches not taken drop some; a file with expressions keeps at least one.
            assert not found - expected and (found or not expected), baked
        else:
            assert found == expected, baked
        checked += sum(found.values())
    assert checked > 50
    stage = (project / "pipelines" / "templates" / "stages" / "deploy-online.yml").read_text()
    assert "- ${{ each step in parameters.trafficSteps }}:" in stage
    sync = yaml.safe_load((project / "pipelines" / "backlog-sync.yml").read_text())
    assert sync["jobs"][0]["steps"][-1]["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"


def test_answers_are_embedded_as_data(bake_fresh, run_in):
    project = bake_fresh(
        project_name='Penguins: "quoted" \\ {% raw %}{{ x }}{% endraw %} #1',
        ado_project="Penguins",
        ado_team="Penguins Team",
        project_slug="penguins",
        package_name="penguins",
        python_version="3.12",
    )
    done = run_in(project, "python", "tools/pipelines/validate_pipelines.py")
    assert done.returncode == 0, done.stdout + done.stderr
    versions = yaml.safe_load((project / "pipelines/templates/variables/versions.yml").read_text())
    assert {"name": "pythonVersion", "value": "3.12"} in versions["variables"]
    names = yaml.safe_load((project / "pipelines/templates/variables/project.yml").read_text())
    assert {"name": "packageName", "value": "penguins"} in names["variables"]
    deploy = yaml.safe_load((project / "pipelines/deploy.yml").read_text())
    assert deploy["resources"]["pipelines"][0]["source"] == "penguins-train"


def branch_check(project: Path, branch: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["python3", "tools/pipelines/check_branch_name.py", branch],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_branch_name_check_rejects_a_bad_name_with_the_rule_and_examples(bake):
    project = bake()
    bad = branch_check(project, "refs/heads/feature/new-model")
    assert bad.returncode == 1
    assert "'feature/' is not a branch type" in bad.stderr
    assert "experiment/1234-gradient-boosting" in bad.stderr
    assert branch_check(project, "refs/heads/model/1290-serve-random-forest").returncode == 0


@pytest.mark.slow
def narrowed(step: dict) -> dict[str, str]:
    """The step's environment, with its pytest selection narrowed where NARROWED says so."""
    step_env = dict(step["env"])
    if step["display_name"] in NARROWED:
        options = step_env.get("PYTEST_ADDOPTS", "")
        step_env["PYTEST_ADDOPTS"] = f"{options} {NARROWED[step['display_name']]}".strip()
    return step_env


def test_the_pull_request_jobs_commands_pass_on_a_freshly_baked_project(bake_fresh, tmp_path):
    project = bake_fresh(deployment="online", include_ab_testing="yes")
    env = project_env(project, tmp_path)
    # project_env's PYTHONPATH (src and tools) is what the skipped editable install provides.
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
    arguments = [f"--var={name}={value}" for name, value in RUN_TIME.items()]
    listing = subprocess.run(
        [
            "python",
            "tools/pipelines/pipeline_steps.py",
            "pipelines/pr-validation.yml",
            "--json",
            *arguments,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    steps = json.loads(listing.stdout)
    scripts = [s for s in steps if s["kind"] == "script"]
    assert {s["task"] for s in steps if s["kind"] == "task"} == AGENT_TASKS
    assert {
        s["display_name"] for s in scripts if s["display_name"] in AGENT_ONLY_SCRIPTS
    } == AGENT_ONLY_SCRIPTS
    assert {s["display_name"] for s in scripts if s["display_name"] in NARROWED} == set(NARROWED)
    to_run = [s for s in scripts if s["display_name"] not in AGENT_ONLY_SCRIPTS]
    assert len(to_run) >= 7
    for step in to_run:
        assert step["unresolved"] == [], f"{step['display_name']}: unset {step['unresolved']}"
        # As the agent runs a `script:` step on Linux: bash without profile, rc or -e.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", step["script"]],
            cwd=project,
            env={**env, **narrowed(step)},
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
            stdin=subprocess.DEVNULL,
        )
        output = (done.stdout + done.stderr)[-4000:]
        assert done.returncode == 0, f"{step['display_name']} failed:\n{output}"
    # What the publishing tasks would upload is where they look for it.
    published = {s["task"]: s["inputs"] for s in steps if s["kind"] == "task"}
    assert (project / published["PublishTestResults@2"]["testResultsFiles"]).is_file()
    assert (project / published["PublishCodeCoverageResults@2"]["summaryFileLocation"]).is_file()
    report = project / published["PublishPipelineArtifact@1"]["targetPath"]
    assert report.is_dir() and any(report.iterdir())
