"""Every AzureML definition loads and validates offline, and the checks catch broken copies.

Each broken-copy case changes one line of a copy of aml/ the way a person might by mistake
and asserts the validator reports that file with a message naming the problem.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from aml_support import AML_DIR, PACKAGE, PROJECT_ROOT

from aml_tool import (
    config,
    definitions,
)
from aml_tool.wiring import (
    PipelineSpec,
    expression,
)


def validate(project: Path) -> definitions.Report:
    return definitions.validate_definitions(
        project / "aml", config.load_config(project / "project.yml")
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}; the test needs updating"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_definition_loads_and_validates_offline():
    report = validate(PROJECT_ROOT)

    assert report.problems == []
    yaml_files = {f"aml/{p.relative_to(AML_DIR).as_posix()}" for p in AML_DIR.rglob("*.yml")}
    assert {path for path, _ in report.checked} == yaml_files


def test_definitions_use_the_names_in_project_yml():
    settings = config.load_config(PROJECT_ROOT / "project.yml")
    cluster = yaml.safe_load((AML_DIR / "compute" / "cluster.yml").read_text(encoding="utf-8"))
    pipeline = yaml.safe_load((AML_DIR / "pipelines" / "train.yml").read_text(encoding="utf-8"))

    assert (cluster["name"], cluster["size"]) == (settings.compute_name, settings.vm_size)
    assert pipeline["settings"]["default_compute"] == f"azureml:{settings.compute_name}"
{%- if cookiecutter.deployment != "none" %}
    endpoint = AML_DIR / "endpoints" / {{ cookiecutter.deployment | tojson }} / "endpoint.yml"
    prod = config.load_config(PROJECT_ROOT / "project.yml", "prod")
    assert yaml.safe_load(endpoint.read_text(encoding="utf-8"))["name"] == prod.endpoint_name
{%- endif %}


def test_environment_installs_the_core_dependencies_of_pyproject():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    conda = yaml.safe_load((AML_DIR / "environment" / "conda.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))
    python = next(item for item in conda["dependencies"] if str(item).startswith("python="))

    assert set(pyproject["project"]["dependencies"]) <= set(pip)
    assert "azureml-mlflow" in {re.split(r"[<>=!~]", item)[0] for item in pip}
    assert pyproject["project"]["requires-python"] == f">={python.split('=')[1]}"


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
def test_validation_catches_a_broken_copy(project_copy: Path, case: str):
    relative, old, new, expected = BROKEN_COPIES[case]
    edit(project_copy / "aml" / relative, old, new)

    problems = validate(project_copy).problems

    assert any(expected in problem for problem in problems), problems
    assert all("\n" not in problem for problem in problems)


def test_the_sweeps_early_termination_matches_what_training_logs():
    """An early-termination policy acts on the primary metric reported at intervals; a
    metric logged once per trial never triggers it, so a policy needs a per-step metric."""
    sweep = yaml.safe_load((AML_DIR / "jobs" / "sweep.yml").read_text(encoding="utf-8"))
    node = next(job for job in sweep["jobs"].values() if job.get("type") == "sweep")
    metric = node["objective"]["primary_metric"]
    train = (PROJECT_ROOT / "src" / PACKAGE / "train.py").read_text(encoding="utf-8")
    assert f'"{metric}"' in train, "the sweep optimises a metric the train step logs"
    per_step = re.search(rf"log_metric\(\s*[\"']{metric}[\"'][^)]*\bstep=", train)
    if node.get("early_termination"):
        assert per_step, f"{metric} is logged once per trial: the policy would never act"
    else:
        assert not per_step, "a per-step metric is logged: an early-termination policy fits"


MODEL_FORMAT = ("numpy", "pandas", "scikit-learn", "skops")


def test_the_model_format_is_pinned_once_and_everything_installs_that_pin():
    """A rebuilt environment must load the models the registry holds: the libraries that
    write and read them are pinned to one minor version in pyproject.toml, the AzureML
    environment lists the same lines, and the pipelines install pyproject.toml itself."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    conda = yaml.safe_load((AML_DIR / "environment" / "conda.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))

    def pins(requirements: list[str]) -> dict[str, str]:
        found = {}
        for requirement in requirements:
            name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()
            if name in MODEL_FORMAT:
                found[name] = requirement
        return found

    declared = pins(pyproject["project"]["dependencies"])
    assert sorted(declared) == sorted(MODEL_FORMAT)
    assert all(re.fullmatch(r"[\w-]+==\d+\.\d+\.\*", pin) for pin in declared.values()), declared
    assert pins(pip) == declared
    setup = (PROJECT_ROOT / "pipelines" / "templates" / "steps" / "setup-python.yml").read_text()
    assert 'pip install -e ".[' in setup
    for name in MODEL_FORMAT:
        assert name not in setup, "the pipelines install the pins of pyproject.toml, no others"
{%- if cookiecutter.deployment == "batch" %}


def test_the_batch_environment_has_the_batch_driver_runtime():
    conda = yaml.safe_load((AML_DIR / "environment" / "conda.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))
    assert any(re.match(r"azureml-core\b", item) for item in pip)
{%- endif %}


def test_validation_rejects_a_file_of_unknown_kind(project_copy: Path):
    (project_copy / "aml" / "misc").mkdir()
    (project_copy / "aml" / "misc" / "notes.yml").write_text("a: 1\n", encoding="utf-8")

    assert "aml/misc/notes.yml: not a known kind of AzureML definition here" in (
        validate(project_copy).problems
    )
{%- if cookiecutter.deployment != "none" %}


def test_validation_catches_a_missing_scoring_script(project_copy: Path):
{%- if cookiecutter.deployment == "online" %}
    deployments = [project_copy / "aml" / "endpoints" / "online" / "green.yml"]
{%- else %}
    deployments = [project_copy / "aml" / "endpoints" / "batch" / "deployment.yml"]
{%- endif %}
    edit(deployments[0], "/serving/", "/serve/")

    problems = validate(project_copy).problems

    assert any(f"{deployments[0].name}: scoring script" in p for p in problems), problems
{%- endif %}


def test_validate_command_exit_codes(project_copy: Path, python: str):
    command = [python, "-m", "aml_tool", "validate"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(PROJECT_ROOT / d) for d in ("src", "tools")),
    }
    good = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, env=env)
    edit(project_copy / "aml" / "data" / "raw-data.yml", "$schema:", "# $schema:")
    edit(project_copy / "aml" / "compute" / "cluster.yml", "max_instances: 2", "max_instances: x")
    bad = subprocess.run(command, cwd=project_copy, capture_output=True, text=True, env=env)

    assert good.returncode == 0, good.stderr
    assert "validation passed" in good.stdout
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        "aml: aml/compute/cluster.yml: max_instances: Not a valid integer.",
        "aml: aml/data/raw-data.yml: the first line must be its $schema: line",
    ]


def _ancestors(pipeline: PipelineSpec, name: str) -> set[str]:
    """Every step ``name`` waits for, directly or through other steps."""
    seen: set[str] = set()
    todo = list(pipeline.steps[name].upstream())
    while todo:
        step = todo.pop()
        if step not in seen:
            seen.add(step)
            todo.extend(pipeline.steps[step].upstream())
    return seen


def test_training_waits_for_the_data_tests_and_registration_for_everything():
    """prepare -> validate -> train -> evaluate -> register as data dependencies, not as YAML
    order: AzureML runs steps in parallel unless one reads another's output."""
    pipeline = PipelineSpec.read(AML_DIR / "pipelines" / "train.yml")
    assert _ancestors(pipeline, "validate") == {"prepare"}
    assert _ancestors(pipeline, "train") == {"prepare", "validate"}
    assert _ancestors(pipeline, "evaluate") == {"prepare", "validate", "train"}
    assert _ancestors(pipeline, "register") == {"prepare", "validate", "train", "evaluate"}
