{% raw -%}
"""The offline validator passes this repository's pipelines and catches each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import validate_pipelines

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def problems_of(file: Path, validator) -> list[str]:
    return validate_pipelines.validate_file(file, validator)


def test_every_pipeline_and_template_in_the_repository_is_valid(validator):
    files = validate_pipelines.default_files()
    assert {f.name for f in files} >= {"pr-validation.yml", "train.yml", "backlog-sync.yml"}
    assert {f"{f.parent.name}/{f.name}" for f in files} >= {
        "steps/setup-python.yml",
        "steps/azure-cli.yml",
        "jobs/quality-gates.yml",
        "jobs/azure-job.yml",
        "variables/versions.yml",
        "environments/dev.yml",
    }
{%- endraw %}
{%- if cookiecutter.deployment != "none" %}
    assert {f"{f.parent.name}/{f.name}" for f in files} >= {"environments/prod.yml"}
{%- endif %}
{%- raw %}
    found = {str(f): problems_of(f, validator) for f in files}
    assert {f: p for f, p in found.items() if p} == {}


def test_the_command_line_exits_0_and_counts_every_file(capsys):
    assert validate_pipelines.main([]) == 0
    out = capsys.readouterr().out
    total = len(validate_pipelines.default_files())
    assert f"{total} of {total} pipeline files valid" in out


# Each case: (file in pipelines/, text to replace, replacement, words the finding must contain)
BROKEN = {
    "misspelt step key": (
        "templates/jobs/quality-gates.yml",
        "- script: make lint",
        "- scrpt: make lint",
        ["scrpt"],
    ),
    "unknown task": (
        "templates/jobs/quality-gates.yml",
        "PublishTestResults@2",
        "PublishTestResultz@2",
        ["PublishTestResultz@2"],
    ),
    "wrong input of a supplemented task": (
        "templates/jobs/quality-gates.yml",
        "summaryFileLocation:",
        "summaryFile:",
        ["summaryFile"],
    ),
    "continueOnError hides a failure": (
        "templates/jobs/quality-gates.yml",
        "        displayName: Lint and formatting (make lint)",
        "        displayName: Lint and formatting (make lint)\n        continueOnError: true",
        ["continueOnError"],
    ),
    "--exit-zero turns a failure into a pass": (
        "templates/jobs/quality-gates.yml",
        "- script: make lint",
        "- script: python -m ruff check --exit-zero .",
        ["--exit-zero"],
    ),
    "retired agent image": (
        "templates/variables/versions.yml",
        "value: ubuntu-24.04",
        "value: ubuntu-20.04",
        ["ubuntu-20.04", "retired"],
    ),
    "image pinned outside versions.yml": (
        "backlog-sync.yml",
        "vmImage: $(vmImage)",
        "vmImage: ubuntu-24.04",
        ["versions.yml"],
    ),
    "missing template file": (
        "backlog-sync.yml",
        "templates/steps/setup-python.yml",
        "templates/steps/setup-pyton.yml",
        ["setup-pyton.yml", "does not exist"],
    ),
    "undeclared template parameter": (
        "backlog-sync.yml",
        "extras: backlog",
        "extra: backlog",
        ["no parameter named extra"],
    ),
    "parameter of the wrong type": (
        "train.yml",
        "timeoutInMinutes: 60",
        "timeoutInMinutes: soon",
        ["must be a number"],
    ),
    "required template parameter left out": (
        "train.yml",
        "            displayName: Submit the training pipeline and wait for it\n",
        "",
        ["displayName", "no default"],
    ),
    "multi-line script without set -e": (
        "templates/steps/setup-python.yml",
        "      set -euo pipefail\n",
        "",
        ["set -euo pipefail"],
    ),
    "duplicate key": (
        "templates/jobs/quality-gates.yml",
        "        displayName: Lint and formatting (make lint)",
        "        displayName: Lint and formatting (make lint)\n        displayName: again",
        ["displayName", "twice"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_copy_is_rejected_with_a_finding_that_names_the_problem(
    case, pipelines_copy, validator
):
    relative, old, new, words = BROKEN[case]
    target = pipelines_copy / relative
    text = target.read_text(encoding="utf-8")
    assert old in text, f"the case {case!r} no longer matches {relative}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = "\n".join(problems_of(target, validator))
    assert found, f"{case}: not caught"
    for word in words:
        assert word in found, f"{case}: {word!r} missing from: {found}"


def test_yaml_booleans_numbers_and_on_keys_are_not_false_positives(tmp_path, validator):
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(
        """
trigger:
  batch: true
  branches:
    include: [main]
stages:
  - stage: release
    jobs:
      - deployment: ship
        environment: dev
        timeoutInMinutes: 10
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo deploy
                  continueOnError: false
            on:
              failure:
                steps:
                  - script: echo roll back
      - job: wait
        pool: server
        steps:
          - task: Delay@1
            inputs:
              delayForMinutes: '0'
""",
        encoding="utf-8",
    )
    assert problems_of(pipeline, validator) == []


def test_the_validator_refuses_to_run_without_its_schema(monkeypatch, capsys):
    def missing():
        raise validate_pipelines.MissingToolError("validate_pipelines needs check-jsonschema")

    monkeypatch.setattr(validate_pipelines, "build_validator", missing)
    assert validate_pipelines.main([str(PIPELINES / "train.yml")]) == 2
    assert "check-jsonschema" in capsys.readouterr().err
{%- endraw %}
