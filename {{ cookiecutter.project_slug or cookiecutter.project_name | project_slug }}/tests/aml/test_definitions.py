"""Every AzureML definition of this project loads and validates offline, uses the names in
project.yml and installs what the code needs. (That the validator catches broken copies is
tested with the tool, in the template.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from aml_support import AML_DIR, PACKAGE, PROJECT_ROOT

from aml_tool import (
    config,
    definitions,
)
from aml_tool.wiring import (
    PipelineSpec,
)


def validate(project: Path) -> definitions.Report:
    return definitions.validate_definitions(
        project / "aml", config.load_config(project / "project.yml")
    )


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
