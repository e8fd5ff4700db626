"""Template expansion (pipeline_steps.py) resolves what Azure resolves at compile time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pipeline_steps
import pytest
from baked import ROOT
from pipeline_steps import TemplateError, expand_pipeline, job_steps
from pipeline_yaml import ExpressionError, PipelineYamlError, evaluate, load


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "templates/steps.yml",
        """
parameters:
  - name: who
    type: string
  - name: loud
    type: boolean
    default: false
  - name: extra
    type: stepList
    default: []
steps:
  - script: echo hello ${{ parameters.who }}
    displayName: greet ${{ parameters.who }}
  - ${{ if parameters.loud }}:
      - script: echo LOUD
  - ${{ elseif eq(parameters.who, 'team') }}:
      - script: echo team
  - ${{ else }}:
      - script: echo quiet
  - ${{ each step in parameters.extra }}:
      - ${{ step }}
""",
    )
    return tmp_path


def scripts(pipeline: Path, **kwargs) -> list[str]:
    return [s.script for s in job_steps(pipeline, **kwargs)]


def test_step_templates_get_their_parameters_and_branches(project):
    pipeline = write(
        project,
        "p.yml",
        """
variables:
  - name: greeting
    value: hi
steps:
  - template: templates/steps.yml
    parameters:
      who: world
      extra:
        - script: echo $(greeting) and $(Build.Reason)
  - template: templates/steps.yml
    parameters:
      who: team
  - template: templates/steps.yml
    parameters:
      who: you
      loud: true
""",
    )
    assert scripts(pipeline) == [
        "echo hello world",
        "echo quiet",
        "echo hi and $(Build.Reason)",
        "echo hello team",
        "echo team",
        "echo hello you",
        "echo LOUD",
    ]
    first = job_steps(pipeline)[0]
    assert first.display_name == "greet world"
    assert job_steps(pipeline)[2].unresolved == ["Build.Reason"]
    assert scripts(pipeline, extra={"Build.Reason": "PullRequest"})[2] == "echo hi and PullRequest"


def test_each_over_objects_builds_one_stage_per_item(project):
    pipeline = write(
        project,
        "p.yml",
        """
parameters:
  - name: envs
    type: object
    default:
      - { name: dev, share: 100 }
      - { name: prod, share: 10 }
stages:
  - ${{ each env in parameters.envs }}:
      - stage: ${{ env.name }}_release
        jobs:
          - job: shift_${{ env.share }}
            steps:
              - script: shift ${{ env.share }}
""",
    )
    stages = expand_pipeline(pipeline)["stages"]
    assert [s["stage"] for s in stages] == ["dev_release", "prod_release"]
    assert scripts(pipeline, job="shift_10") == ["shift 10"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ("{who: x, whom: y}", "no parameter named whom"),
        ("{loud: true}", "'who' has no default"),
        ("{who: x, loud: maybe}", "must be a boolean"),
        ("{who: x, extra: echo}", "must be a stepList"),
    ],
)
def test_a_template_called_wrong_is_refused_with_the_parameter_named(project, parameters, message):
    pipeline = write(
        project,
        "p.yml",
        f"steps:\n  - template: templates/steps.yml\n    parameters: {parameters}\n",
    )
    with pytest.raises(TemplateError, match=message):
        job_steps(pipeline)


def test_a_missing_template_is_refused(project):
    pipeline = write(project, "p.yml", "steps:\n  - template: templates/nope.yml\n")
    with pytest.raises(TemplateError, match="does not exist"):
        job_steps(pipeline)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("eq(parameters.a, 'X')", True),
        ("ne(parameters.a, 'x')", False),
        ("and(parameters.flag, not(false))", True),
        ("or(eq(parameters.n, 3), false)", True),
        ("in(parameters.a, 'y', 'x')", True),
        ("format('{0}-{1}', parameters.a, parameters.n)", "x-3"),
        ("coalesce(parameters.missing, 'fallback')", "fallback"),
        ("length(parameters.items)", 2),
        ("parameters.obj.inner", "deep"),
    ],
)
def test_expressions_evaluate_like_azure(expression, value):
    scope = {
        "parameters": {"a": "x", "flag": True, "n": 3, "items": [1, 2], "obj": {"inner": "deep"}}
    }
    scope["parameters"]["missing"] = None
    assert evaluate(expression, scope) == value


@pytest.mark.parametrize("expression", ["split(parameters.a, ',')", "variables['x']", "eq(1"])
def test_unsupported_expressions_fail_loudly_instead_of_guessing(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, {"parameters": {"a": "x"}, "variables": {}})


def test_yaml_is_read_as_azure_reads_it(tmp_path):
    path = write(tmp_path, "p.yml", "on: yes\nflag: true\ncount: 3\n")
    assert load(path) == {"on": "yes", "flag": True, "count": 3}
    duplicate = write(tmp_path, "d.yml", "steps: []\nsteps: []\n")
    with pytest.raises(PipelineYamlError, match="appears twice"):
        load(duplicate)


def test_the_command_line_lists_a_real_pipelines_steps_as_json():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools/pipelines/pipeline_steps.py"),
            str(ROOT / "pipelines/pr-validation.yml"),
            "--json",
            "--var",
            "System.PullRequest.SourceBranch=refs/heads/data/1-x",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout)
    check = next(s for s in steps if "check_branch_name" in (s["script"] or ""))
    assert "refs/heads/data/1-x" in check["script"] and check["unresolved"] == []
    assert any(s["script"] == "make test-all" for s in steps)
    assert pipeline_steps.main(["nope.yml"]) == 1
