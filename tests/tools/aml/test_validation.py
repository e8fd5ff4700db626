"""The offline validator of aml/ (``python -m aml_tool validate``) catches broken copies.

Each broken-copy case changes one line of a copy of a bake's aml/ the way a person might by
mistake and asserts the validator reports that file with a message naming the problem. What
belongs in aml/ follows project.yml's ``project.deployment``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aml_tool import config, definitions, local_run
from aml_tool.wiring import expression
from bakery import project_env


def validate(project: Path) -> definitions.Report:
    return definitions.validate_definitions(
        project / "aml", config.load_config(project / "project.yml")
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}; the test needs updating"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("deployment", ["online", "batch", "none"])
def test_every_bakes_definitions_pass(project_of, deployment):
    root = project_of(deployment)

    report = validate(root)

    assert report.problems == []
    assert {path for path, _ in report.checked} == {
        f"aml/{p.relative_to(root / 'aml').as_posix()}" for p in (root / "aml").rglob("*.yml")
    }


BROKEN_COPIES = {
    "undeclared input in a component command": (
        "components/train.yml",
        f"--n-estimators {expression('inputs.n_estimators')}",
        f"--n-estimators {expression('inputs.n_trees')}",
        f"train.yml: command uses {expression('inputs.n_trees')}, which is not declared",
    ),
    "optional input outside $[[ ]]": (
        "components/evaluate.yml",
        f"$[[--baseline-model {expression('inputs.baseline_model')}]]",
        f"--baseline-model {expression('inputs.baseline_model')}",
        "optional input 'baseline_model' must be used inside $[[ ]]",
    ),
    "misspelt step input (azure-ai-ml drops it silently)": (
        "pipelines/train.yml",
        f"n_estimators: {expression('parent.inputs.n_estimators')}",
        f"n_estimator: {expression('parent.inputs.n_estimators')}",
        "jobs.train.inputs.n_estimator is not an input of train.yml",
    ),
    "binding to an output the step does not have": (
        "pipelines/train.yml",
        f"evaluation: {expression('parent.jobs.evaluate.outputs.evaluation')}",
        f"evaluation: {expression('parent.jobs.evaluate.outputs.metrics')}",
        "jobs.register.inputs.evaluation reads output 'metrics' of step 'evaluate'",
    ),
    "binding to a step that does not exist": (
        "pipelines/train.yml",
        f"prepared_data: {expression('parent.jobs.prepare.outputs.prepared_data')}",
        f"prepared_data: {expression('parent.jobs.prep.outputs.prepared_data')}",
        "reads from step 'prep', which does not exist",
    ),
    "binding to an undeclared pipeline input": (
        "pipelines/train.yml",
        f"seed: {expression('parent.inputs.seed')}",
        f"seed: {expression('parent.inputs.random_seed')}",
        "reads pipeline input 'random_seed', which is not declared",
    ),
    "misspelt search space parameter": (
        "jobs/sweep.yml",
        "      max_depth:\n        type: choice",
        "      max_deep:\n        type: choice",
        "jobs.sweep_train.search_space.max_deep is not an input of train.yml",
    ),
    "invalid YAML edit": (
        "components/prepare.yml",
        "type: command\n",
        "type: command\n  broken: [unclosed\n",
        "aml/components/prepare.yml: line 5, column 9: invalid YAML",
    ),
    "misspelt required key": (
        "components/evaluate.yml",
        "command: >-",
        "comand: >-",
        "aml/components/evaluate.yml: command: Missing data for required field.",
    ),
    "value of the wrong type": (
        "compute/cluster.yml",
        "max_instances: 2",
        "max_instances: two",
        "aml/compute/cluster.yml: max_instances: Not a valid integer.",
    ),
    "compute other than project.yml's": (
        "pipelines/train.yml",
        "default_compute: ",
        "default_compute: azureml:cpu-other #",
        "settings.default_compute 'azureml:cpu-other' is not the compute cluster",
    ),
    "environment that is not defined": (
        "components/prepare.yml",
        "-env@latest",
        "-environment@latest",
        "aml/components/prepare.yml: environment",
    ),
    "missing $schema line": (
        "data/raw-data.yml",
        "$schema:",
        "# $schema:",
        "aml/data/raw-data.yml: the first line must be its $schema: line",
    ),
    "local input path that does not exist": (
        "pipelines/train.yml",
        "path: ../../data/reference",
        "path: ../../data/references",
        "inputs.reference_profiles.path '../../data/references' does not exist",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_COPIES), ids=list(BROKEN_COPIES))
def test_validation_catches_a_broken_copy(copy_of, case: str):
    project = copy_of("online")
    relative, old, new, expected = BROKEN_COPIES[case]
    edit(project / "aml" / relative, old, new)

    problems = validate(project).problems

    assert any(expected in problem for problem in problems), problems
    assert all("\n" not in problem for problem in problems)


def test_validation_rejects_a_file_of_unknown_kind(copy_of):
    project = copy_of("online")
    (project / "aml" / "misc").mkdir()
    (project / "aml" / "misc" / "notes.yml").write_text("a: 1\n", encoding="utf-8")

    assert "aml/misc/notes.yml: not a known kind of AzureML definition here" in (
        validate(project).problems
    )


@pytest.mark.parametrize(("deployment", "other"), [("online", "batch"), ("batch", "online")])
def test_an_endpoint_of_the_other_kind_is_a_leftover(copy_of, project_of, deployment, other):
    """A project that switched kinds by hand keeps one endpoint folder: project.yml says which."""
    project = copy_of(deployment)
    leftover = project / "aml" / "endpoints" / other
    source = project_of(other) / "aml" / "endpoints" / other
    leftover.mkdir(parents=True)
    (leftover / "endpoint.yml").write_bytes((source / "endpoint.yml").read_bytes())

    problems = validate(project).problems

    assert problems == [
        f"aml/endpoints/{other}/endpoint.yml: not a known kind of AzureML definition here"
    ]


@pytest.mark.parametrize(
    ("deployment", "file"),
    [("online", "endpoints/online/green.yml"), ("batch", "endpoints/batch/deployment.yml")],
)
def test_validation_catches_a_missing_scoring_script(copy_of, deployment, file):
    project = copy_of(deployment)
    edit(project / "aml" / file, "/serving/", "/serve/")

    problems = validate(project).problems

    assert any(f"{Path(file).name}: scoring script" in p for p in problems), problems


def test_validate_command_exit_codes(online, copy_of, python, tmp_path):
    project = copy_of("online")
    command = [python, "-m", "aml_tool", "validate"]
    env = project_env(online, tmp_path)
    good = subprocess.run(command, cwd=online, capture_output=True, text=True, env=env)
    edit(project / "aml" / "data" / "raw-data.yml", "$schema:", "# $schema:")
    edit(project / "aml" / "compute" / "cluster.yml", "max_instances: 2", "max_instances: x")
    bad = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)

    assert good.returncode == 0, good.stderr
    assert "validation passed" in good.stdout
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        "aml: aml/compute/cluster.yml: max_instances: Not a valid integer.",
        "aml: aml/data/raw-data.yml: the first line must be its $schema: line",
    ]


def test_optional_parts_of_a_command_are_kept_only_with_a_value():
    command = "python -m x --a ${A} $[[--b ${B}]]".replace("${A}", expression("inputs.a"))
    command = command.replace("${B}", expression("inputs.b"))

    with_b = local_run.render_command(command, {"inputs.a": "1", "inputs.b": "two words"})
    without_b = local_run.render_command(command, {"inputs.a": "1", "inputs.b": None})

    assert with_b == "python -m x --a 1 --b 'two words'"
    assert without_b == "python -m x --a 1 "
    with pytest.raises(local_run.LocalRunError, match="needs .*inputs.a.*, which has no value"):
        local_run.render_command(command, {"inputs.b": "2"})
