"""The AzureML part of every baked project: exactly the definitions its answers call for, all of
them valid offline (azure-ai-ml's own loaders plus the project's wiring checks), named from the
answers, with no name left over from a sample project."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bakery import project_env

COMMON = {
    "README.md",
    "environment/environment.yml",
    "environment/conda.yml",
    "data/raw-data.yml",
    "compute/cluster.yml",
    "components/prepare.yml",
    "components/validate.yml",
    "components/train.yml",
    "components/evaluate.yml",
    "components/register.yml",
    "pipelines/train.yml",
    "jobs/sweep.yml",
}
BY_DEPLOYMENT = {
    "online": {
        "endpoints/online/endpoint.yml",
        "endpoints/online/blue.yml",
        "endpoints/online/green.yml",
        "endpoints/online/sample-request.json",
    },
    "batch": {"endpoints/batch/endpoint.yml", "endpoints/batch/deployment.yml"},
    "none": set(),
}
# A/B testing needs the online endpoint's blue/green split (the pre-generation hook says so).
OPTIONS = [
    {"deployment": "online", "include_ab_testing": "yes"},
    {"deployment": "online", "include_ab_testing": "no"},
    {"deployment": "batch", "include_ab_testing": "no"},
    {"deployment": "none", "include_ab_testing": "no"},
]
IDS = [f"{o['deployment']}-{'no-' * (o['include_ab_testing'] == 'no')}ab" for o in OPTIONS]
# Names from the samples these definitions were modelled on; none may reach a project.
SAMPLE_NAMES = re.compile(r"taxi|cpu-cluster|credit[-_]default|sklearn-env|Standard_DS3_v2", re.I)
CUSTOM = {
    "aml_compute_name": "cpu-tiny",
    "aml_vm_size": "Standard_F4s_v2",
    "aml_endpoint_name": "beaks-ab12",
    "aml_workspace": "mlw-beaks",
    "project_name": 'Beaks "Q" \\ {% raw %}{{ x }}{% endraw %}',
    "project_slug": "beaks",
    "package_name": "beaks_model",
    "ado_project": "Beaks",
    "ado_team": "Beaks Team",
    "include_ab_testing": "no",
}


def aml_validate(project: Path, scratch: Path) -> subprocess.CompletedProcess:
    """``python -m aml_tool validate`` in ``project``, as after ``make setup``."""
    return subprocess.run(
        [sys.executable, "-m", "aml_tool", "validate"],
        cwd=project,
        env=project_env(project, scratch),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("answers", OPTIONS, ids=IDS)
def test_exactly_the_definitions_the_answers_call_for(bake, answers):
    aml = bake(**answers) / "aml"

    files = {p.relative_to(aml).as_posix() for p in aml.rglob("*") if p.is_file()}
    empty = [p for p in aml.rglob("*") if p.is_dir() and not any(p.iterdir())]

    assert files == COMMON | BY_DEPLOYMENT[answers["deployment"]]
    assert empty == []


@pytest.mark.parametrize("answers", OPTIONS, ids=IDS)
def test_every_definition_validates_offline(bake, answers, tmp_path):
    project = bake(**answers)

    result = aml_validate(project, tmp_path)

    yaml_files = len([p for p in (project / "aml").rglob("*.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"validation passed: {yaml_files} definitions loaded"


@pytest.mark.slow
@pytest.mark.parametrize("answers", OPTIONS, ids=IDS)
def test_the_projects_own_definition_tests_pass(bake, run_in, answers):
    project = bake(**answers)
    tests = "tests/aml/test_definitions.py"

    result = run_in(project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", tests)

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert re.search(r"\b\d+ passed\b", result.stdout), "an all-skipped run proves nothing"


def test_names_come_from_the_answers_and_no_sample_name_leaks(bake_fresh, tmp_path):
    project = bake_fresh(deployment="batch", **CUSTOM)
    aml = project / "aml"

    def load(relative: str) -> dict:
        return yaml.safe_load((aml / relative).read_text(encoding="utf-8"))

    cluster, pipeline = load("compute/cluster.yml"), load("pipelines/train.yml")
    assert (cluster["name"], cluster["size"]) == ("cpu-tiny", "Standard_F4s_v2")
    assert pipeline["settings"]["default_compute"] == "azureml:cpu-tiny"
    assert pipeline["display_name"] == 'Beaks "Q" \\ {{ x }} training'
    assert load("endpoints/batch/endpoint.yml")["name"] == "beaks-ab12"
    assert load("endpoints/batch/deployment.yml")["model"] == "azureml:beaks@latest"
    assert load("components/train.yml")["name"] == "beaks_model_train"
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.suffix in {".yml", ".yaml", ".py", ".md", ".json", ".toml"}:
            found = SAMPLE_NAMES.search(path.read_text(encoding="utf-8"))
            assert found is None, f"{path.relative_to(project)} contains {found.group(0)!r}"
    assert aml_validate(project, tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("endpoint", "dev"),
    [
        ("beaks-ab12", "beaks-ab12-dev"),
        # 32 characters whose first 28 end in a hyphen: the hyphen goes, the name stays valid.
        ("a" * 27 + "-bcd", "a" * 27 + "-dev"),
    ],
)
def test_dev_and_prod_have_their_own_endpoint_derived_from_the_answer(bake, endpoint, dev):
    project = bake(deployment="online", include_ab_testing="yes", aml_endpoint_name=endpoint)
    azureml = yaml.safe_load((project / "project.yml").read_text(encoding="utf-8"))["azureml"]
    environments = azureml["environments"]
    assert environments["prod"]["endpoint_name"] == endpoint
    assert environments["dev"]["endpoint_name"] == dev
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]", dev)
    assert environments["prod"]["instance_type"] == azureml["vm_size"]
    assert environments["dev"]["instance_type"] != azureml["vm_size"], "dev: the small size"


def test_batch_prod_scores_on_its_own_cluster(bake):
    project = bake(deployment="batch", include_ab_testing="no", aml_compute_name="cpu-penguin-spec")
    azureml = yaml.safe_load((project / "project.yml").read_text(encoding="utf-8"))["azureml"]
    dev, prod = azureml["environments"]["dev"], azureml["environments"]["prod"]
    assert dev["compute_name"] == azureml["compute_name"] == "cpu-penguin-spec"
    assert prod["compute_name"] == "cpu-penguin-prod"
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]", prod["compute_name"])
