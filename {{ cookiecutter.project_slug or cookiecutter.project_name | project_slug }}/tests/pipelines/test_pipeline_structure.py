{% raw -%}
"""What each pipeline does, read from its YAML with the templates expanded as Azure would."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pipeline_steps
import pytest
import yaml
from pipeline_steps import expand_pipeline, job_name, jobs, raw_steps

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "pipelines"
PROJECT = yaml.safe_load((ROOT / "project.yml").read_text(encoding="utf-8"))
PACKAGE = PROJECT["project"]["package"]
ALL = sorted(p.name for p in PIPELINES.glob("*.yml"))
# The pipelines that sign in to Azure: all but the pull-request and the backlog pipelines.
AZURE = [p for p in ALL if p not in ("pr-validation.yml", "backlog-sync.yml")]


def variables_of(relative: str) -> dict[str, str]:
    document = yaml.safe_load((PIPELINES / relative).read_text(encoding="utf-8"))
    return {v["name"]: str(v["value"]) for v in document["variables"]}


VERSIONS = variables_of("templates/variables/versions.yml")
NAMES = variables_of("templates/variables/project.yml")


def steps_of(pipeline: str) -> list[tuple[str | None, str, dict]]:
    """(stage, job, step) for every step of an expanded pipeline."""
    return [
        (stage, job_name(job), step)
        for stage, job, _ in jobs(expand_pipeline(PIPELINES / pipeline))
        for step in raw_steps(job)
    ]


def script_of(step: dict) -> str:
    return str(
        step.get("script") or step.get("bash") or step.get("inputs", {}).get("inlineScript", "")
    )


def command_lines(pipeline: str) -> list[str]:
    """Every command line the pipeline's scripts run, with the project's variables filled in."""
    lines = []
    for _, _, step in steps_of(pipeline):
        text, _ = pipeline_steps.substitute(
            script_of(step), {**VERSIONS, **NAMES, "amlEnvironment": "prod", "modelVersion": "7"}
        )
        for line in text.splitlines():
            for part in line.split("|"):
                if part.strip() and not part.strip().startswith(("set -", "#", "mkdir", "tee")):
                    lines.append(part.strip())
    return lines


def makefile_targets() -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([a-z][\w-]*):", line)
        if match:
            current = match.group(1)
            targets[current] = []
        elif line.startswith("\t") and current:
            targets[current].append(line.strip())
    return targets


# --- pull-request validation -------------------------------------------------------------


PR = "pr-validation.yml"


def pr_steps() -> list[dict]:
    return [step for _, _, step in steps_of(PR)]


def test_pull_request_validation_is_one_job_running_the_makefiles_gates():
    assert {job for _, job, _ in steps_of(PR)} == {"quality_gates"}
    targets = makefile_targets()
    called = [
        s["script"].split()[1] for s in pr_steps() if str(s.get("script", "")).startswith("make ")
    ]
    assert set(called) <= set(targets), "the pipeline calls a target the Makefile does not have"
    for gate in (
        "lint",
        "test-all",
        "validate-data",
        "validate-aml",
        "backlog-validate",
        "validate-pipelines",
    ):
        assert gate in called


def test_ci_installs_the_same_extras_as_make_setup():
    setup = " ".join(makefile_targets()["setup"])
    local = set(re.search(r"\.\[([\w,]+)\]", setup).group(1).split(","))
    install = next(s for s in pr_steps() if "pip install -e" in str(s.get("script", "")))
    in_ci = set(re.search(r"\.\[([\w,]+)\]", install["script"]).group(1).split(","))
    assert in_ci == local


def test_the_branch_name_is_checked_on_pull_requests_from_their_source_branch():
    check = next(s for s in pr_steps() if "check_branch_name.py" in str(s.get("script", "")))
    assert "$(System.PullRequest.SourceBranch)" in check["script"]
    assert "eq(variables['Build.Reason'], 'PullRequest')" in check["condition"]
    assert pr_steps().index(check) < min(
        i for i, s in enumerate(pr_steps()) if "pip install" in str(s.get("script", ""))
    ), "the name check should fail fast, before the install"


def test_results_coverage_and_data_report_are_published_from_where_they_are_written():
    test_step = next(s for s in pr_steps() if s.get("script") == "make test-all")
    options = test_step["env"]["PYTEST_ADDOPTS"]
    junit = re.search(r"--junitxml=(\S+)", options).group(1)
    coverage = re.search(r"--cov-report=xml:(\S+)", options).group(1)
    report_dir = re.search(r"--report (\S+)", " ".join(makefile_targets()["validate-data"])).group(
        1
    )
    report_dir = report_dir.replace("$(OUT)", "outputs")
    published = {s["task"]: s for s in pr_steps() if "task" in s}
    assert published["PublishTestResults@2"]["inputs"]["testResultsFiles"] == junit
    assert published["PublishTestResults@2"]["inputs"]["testResultsFormat"] == "JUnit"
    assert published["PublishCodeCoverageResults@2"]["inputs"]["summaryFileLocation"] == coverage
    assert published["PublishPipelineArtifact@1"]["inputs"]["targetPath"] == report_dir
    for task in (
        "PublishTestResults@2",
        "PublishCodeCoverageResults@2",
        "PublishPipelineArtifact@1",
    ):
        assert published[task]["condition"] == "succeededOrFailed()", (
            f"{task} must publish failures too"
        )


def test_pull_requests_into_main_and_merges_to_main_run_it():
    document = yaml.safe_load((PIPELINES / PR).read_text(encoding="utf-8"))
    assert "main" in document["pr"]["branches"]["include"]
    assert document["trigger"]["branches"]["include"] == ["main"]


# --- every pipeline --------------------------------------------------------------------------


@pytest.mark.parametrize("pipeline", ALL)
def test_no_step_can_hide_a_failure(pipeline):
    for stage, job, step in steps_of(pipeline):
        where = f"{pipeline} {stage or ''}/{job}: {step.get('displayName')}"
        assert step.get("continueOnError") in (None, False), where
        script = script_of(step)
        assert "--exit-zero" not in script and "|| true" not in script, where
        if len(script.strip().splitlines()) > 1:
            assert script.strip().startswith("set -euo pipefail"), where


@pytest.mark.parametrize("pipeline", ALL)
def test_every_job_uses_the_pinned_agent_image_and_python(pipeline):
    for _, job, _ in jobs(expand_pipeline(PIPELINES / pipeline)):
        assert job.get("pool") in ({"vmImage": "$(vmImage)"}, "server"), job_name(job)
    for _, _, step in steps_of(pipeline):
        if step.get("task") == "UsePythonVersion@0":
            assert step["inputs"]["versionSpec"] == "$(pythonVersion)"
    assert VERSIONS["pythonVersion"] == str(PROJECT["project"]["python"])
    assert re.fullmatch(r"ubuntu-(latest|2[4-9]\.04)", VERSIONS["vmImage"])


def aml_command(line: str) -> list[str] | None:
    words = shlex.split(line)
    if words[:3] == ["python", "-m", "aml_tool"]:
        return words[3:]
    return None


@pytest.mark.parametrize("pipeline", AZURE)
def test_every_azure_command_exists_in_the_projects_tools_with_these_options(pipeline):
    import importlib

    aml_cli = pytest.importorskip("aml_tool.cli")
    checked = 0
    for line in command_lines(pipeline):
        if (arguments := aml_command(line)) is not None:
            # The commands of what this project deploys; SystemExit/UsageError if it is wrong.
            aml_cli.build_parser(PROJECT["project"]["deployment"]).parse_args(arguments)
        elif line.startswith("python tools/pipelines/"):
            script, *arguments = shlex.split(line)[1:]
            module = importlib.import_module(Path(script).stem)
            module.build_parser().parse_args(arguments)
        else:
            continue
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("pipeline", AZURE)
def test_azure_steps_sign_in_through_an_environments_service_connection(pipeline):
    connections = {
        variables_of(f"environments/{file.name}")["serviceConnection"]
        for file in (PIPELINES / "environments").glob("*.yml")
    }
    azure_steps = [s for _, _, s in steps_of(pipeline) if s.get("task") == "AzureCLI@2"]
    assert azure_steps
    for step in azure_steps:
        assert step["inputs"]["azureSubscription"] in connections
        assert step["inputs"]["scriptType"] == "bash"
        assert step["inputs"]["inlineScript"].startswith("set -euo pipefail")


def test_models_are_registered_only_by_the_azureml_gate():
    for pipeline in ALL:
        for line in command_lines(pipeline):
            assert f"{PACKAGE}.register" not in line and "az ml model create" not in line, line


# --- training -------------------------------------------------------------------------------


def test_training_waits_for_azureml_within_the_hosted_agents_time_limit():
    ((_, job, _),) = jobs(expand_pipeline(PIPELINES / "train.yml"))
    assert int(job["timeoutInMinutes"]) <= 60
    submit = next(line for line in command_lines("train.yml") if " submit " in f" {line} ")
    assert "--wait" in submit
    wait = float(re.search(r"--timeout-minutes (\d+)", submit).group(1))
    assert wait <= int(job["timeoutInMinutes"]) - 10, "leave time for setup and the report"


def test_training_runs_on_main_and_never_for_pull_requests():
    document = yaml.safe_load((PIPELINES / "train.yml").read_text(encoding="utf-8"))
    assert document["trigger"]["branches"]["include"] == ["main"]
    assert document["pr"] == "none"


def test_training_publishes_the_metrics_and_the_gates_decision():
    steps = [s for _, _, s in steps_of("train.yml")]
    submit = next(s for s in steps if " submit " in script_of(s))
    report = next(s for s in steps if "training_report.py" in script_of(s))
    artifact = next(s for s in steps if s.get("task") == "PublishPipelineArtifact@1")
    assert steps.index(submit) < steps.index(report) < steps.index(artifact)
    log = re.search(r"tee (\S+)", script_of(submit)).group(1)
    assert f"--submit-log {log}" in script_of(report)
    output_dir = re.search(r"--output-dir (\S+)", script_of(report)).group(1)
    assert artifact["inputs"]["targetPath"] == output_dir


# --- backlog sync ---------------------------------------------------------------------------


def test_backlog_sync_runs_when_the_backlog_file_changes_on_main():
    document = yaml.safe_load((PIPELINES / "backlog-sync.yml").read_text(encoding="utf-8"))
    assert document["trigger"]["branches"]["include"] == ["main"]
    assert document["trigger"]["paths"]["include"] == ["backlog/backlog.yml"]
    assert document["pr"] == "none"


def test_backlog_sync_validates_then_applies_with_the_job_token_mapped_into_that_step_only():
    steps = [s for _, _, s in steps_of("backlog-sync.yml")]
    validate = next(i for i, s in enumerate(steps) if script_of(s) == "python -m backlog validate")
    apply = next(i for i, s in enumerate(steps) if "python -m backlog apply --yes" in script_of(s))
    assert validate < apply
    assert steps[apply]["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    assert re.search(r'AZURE_DEVOPS_EXT_PAT="\$\{SYSTEM_ACCESSTOKEN', script_of(steps[apply]))
    for pipeline in ALL:
        for _, _, step in steps_of(pipeline):
            if step != steps[apply]:
                assert "System.AccessToken" not in str(step), (
                    f"{pipeline}: token outside the apply step"
                )
            assert "$(System.AccessToken)" not in script_of(step), (
                "a macro in a script lands in logs"
            )
{%- endraw %}
