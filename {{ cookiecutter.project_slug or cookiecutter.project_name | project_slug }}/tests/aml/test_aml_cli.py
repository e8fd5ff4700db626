"""``python -m aml_tool``: bad configuration gives one clear line and a meaningful exit
code, never a stack trace; the Azure-facing commands are driven against fakes."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from aml_support import (
    AML_DIR,
    PROJECT_ROOT,
    REAL_LOOKING_SUBSCRIPTION,
    FakeClient,
    RefusingCredential,
    WorkingCredential,
)
from azure.core.exceptions import ResourceNotFoundError

from aml_tool import (
    cli,
    config,
    workspace,
)

SETTINGS = config.load_config(PROJECT_ROOT / "project.yml")


def run(capsys: pytest.CaptureFixture[str], *argv: str, connect=None) -> tuple[int, str, str]:
    code = cli.main(list(argv), connect=connect)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_project_yml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "project.yml"
    path.write_text(text, encoding="utf-8")
    return path


def azureml_section(environments: dict | None = None, **changes: str | None) -> str:
    values = {
        "subscription_id": REAL_LOOKING_SUBSCRIPTION,
        "resource_group": SETTINGS.resource_group,
        "workspace": SETTINGS.workspace,
        "compute_name": SETTINGS.compute_name,
        "vm_size": SETTINGS.vm_size,
    }
    values.update(changes)
    lines = [f"  {key}: {value}" for key, value in values.items() if value is not None]
{%- if cookiecutter.deployment != "none" %}
    lines += ["  " + line for line in environments_block(environments).splitlines()]
{%- endif %}
    return "azureml:\n" + "\n".join(lines) + "\n"
{%- if cookiecutter.deployment != "none" %}


def environments_block(environments: dict | None = None) -> str:
    """project.yml's own azureml.environments, or the given ones, as YAML."""
    import yaml

    if environments is None:
        document = yaml.safe_load((PROJECT_ROOT / "project.yml").read_text(encoding="utf-8"))
        environments = document["azureml"]["environments"]
    return yaml.safe_dump({"environments": environments}, sort_keys=False)


def broken_environment(**changes) -> dict:
    import yaml

    document = yaml.safe_load((PROJECT_ROOT / "project.yml").read_text(encoding="utf-8"))
    environments = document["azureml"]["environments"]
    environments["prod"].update(changes)
    return {key: value for key, value in environments.items()}
{%- endif %}


BAD_CONFIGURATIONS = {
    "no azureml section": ("project:\n  name: x\n", "missing section 'azureml:'"),
    "missing key": (azureml_section(compute_name=None), "azureml.compute_name is missing"),
    "misspelt key": (
        azureml_section() + "  workspce: typo\n",
        "unknown key azureml.workspce (known: subscription_id,",
    ),
    "empty value": (azureml_section(workspace='""'), "azureml.workspace must be a non-empty"),
    "subscription that is not a GUID": (
        azureml_section(subscription_id="my-subscription"),
        "azureml.subscription_id must be a GUID",
    ),
    "invalid YAML": ("azureml:\n  workspace: [unclosed\n", "invalid YAML at line 3, column 1"),
{%- if cookiecutter.deployment != "none" %}
    "environment without its endpoint": (
        azureml_section(broken_environment(endpoint_name="")),
        "azureml.environments.prod.endpoint_name must be a non-empty string",
    ),
    "environment with no instance": (
        azureml_section(broken_environment(instance_count=0)),
        "azureml.environments.prod.instance_count must be a whole number of at least 1",
    ),
    "misspelt environment key": (
        azureml_section(broken_environment(endpoint="x")),
        "unknown key azureml.environments.prod.endpoint (known: resource_group,",
    ),
{%- endif %}
}


@pytest.mark.parametrize("case", list(BAD_CONFIGURATIONS), ids=list(BAD_CONFIGURATIONS))
def test_bad_project_yml_is_one_line_and_exit_2(tmp_path, capsys, case):
    text, expected = BAD_CONFIGURATIONS[case]
    path = write_project_yml(tmp_path, text)

    code, _, err = run(capsys, "--config", str(path), "--aml-dir", str(AML_DIR), "submit")

    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"aml: error: {path}: ")
    assert expected in err


def test_missing_project_yml_from_the_command_line(tmp_path: Path, python: str):
    done = subprocess.run(
        [python, "-m", "aml_tool", "submit"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(PROJECT_ROOT / d) for d in ("src", "tools")),
        },
    )

    assert done.returncode == 2
    assert done.stderr == (
        "aml: error: project.yml not found: run from the project root or pass "
        "--config PATH/project.yml\n"
    )


def test_placeholder_subscription_is_refused_before_any_login():
    with pytest.raises(workspace.AmlError, match="subscription_id is still the placeholder"):
        workspace.connect(config.load_config(PROJECT_ROOT / "project.yml"), RefusingCredential())


def test_not_logged_in_says_how_to_log_in(tmp_path, capsys):
    path = write_project_yml(tmp_path, azureml_section())

    def connect(settings):
        return workspace.connect(settings, credential=RefusingCredential())

    code, _, err = run(capsys, "--config", str(path), "submit", connect=connect)

    assert code == 1
    assert err == f"aml: error: {workspace.LOGIN_HINT}\n"


def test_unknown_workspace_names_project_yml(tmp_path):
    settings = config.load_config(write_project_yml(tmp_path, azureml_section()))

    class NoWorkspace:
        def __init__(self, *args, **kwargs):
            self.workspaces = self

        def get(self, name):
            raise ResourceNotFoundError(f"workspace {name} not found")

    with pytest.raises(workspace.AmlError, match="check the azureml section of project.yml"):
        workspace.connect(settings, WorkingCredential(), client_class=NoWorkspace)


def test_unknown_compute_lists_the_existing_ones(tmp_path, capsys):
    path = write_project_yml(tmp_path, azureml_section())
    client = FakeClient(computes=("gpu-big", "cpu-old"))

    code, _, err = run(capsys, "--config", str(path), "submit", connect=lambda _: client)

    assert code == 1
    assert err == (
        f"aml: error: compute '{SETTINGS.compute_name}' not found in workspace "
        f"'{SETTINGS.workspace}' (resource group '{SETTINGS.resource_group}') (existing: "
        "cpu-old, gpu-big); create it with `python -m aml_tool setup` or fix "
        "azureml.compute_name in project.yml\n"
    )
    assert client.jobs.submitted == []


def environment_name() -> str:
    import yaml

    document = yaml.safe_load((AML_DIR / "environment" / "environment.yml").read_text())
    return document["name"]


def test_submit_sends_the_pipeline_with_overrides_and_waits(tmp_path, capsys, monkeypatch):
    path = write_project_yml(tmp_path, azureml_section())
    client = FakeClient(
        computes=(SETTINGS.compute_name,),
        environments=(environment_name(),),
        statuses=["Running", "Completed"],
    )
    monkeypatch.setattr(workspace.time, "sleep", lambda seconds: None)

    argv = ["--config", str(path), "submit", "--set", "n_estimators=300", "--wait"]
    code, out, err = run(capsys, *argv, connect=lambda _: client)

    assert (code, err) == (0, "")
    (job,) = client.jobs.submitted
    assert job.settings.default_compute == SETTINGS.compute_name
    assert job.inputs["n_estimators"].result() == 300
    assert "submitted job-1: https://ml.azure.com/runs/job-1" in out
    assert out.rstrip().endswith("job-1: Completed")


def test_submit_wait_exits_1_when_the_job_fails(tmp_path, capsys):
    path = write_project_yml(tmp_path, azureml_section())
    client = FakeClient(
        computes=(SETTINGS.compute_name,), environments=(environment_name(),), statuses=["Failed"]
    )

    code, _, _ = run(capsys, "--config", str(path), "submit", "--wait", connect=lambda _: client)

    assert code == 1


def test_submit_rejects_an_unknown_input(tmp_path, capsys):
    path = write_project_yml(tmp_path, azureml_section())
    client = FakeClient(computes=(SETTINGS.compute_name,), environments=(environment_name(),))

    code, _, err = run(
        capsys, "--config", str(path), "submit", "--set", "n_trees=3", connect=lambda _: client
    )

    assert code == 2
    assert "--set n_trees: not an input of train.yml (raw_data, reference_profiles," in err
    assert client.jobs.submitted == []


def test_wait_gives_up_after_the_timeout_and_says_the_job_keeps_running():
    client = FakeClient(statuses=["Running"])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(workspace.AmlError, match="still Running after 1 minutes; it keeps"):
        workspace.wait_for_job(
            client, "job-1", 1, poll_seconds=30, sleep=sleep, clock=lambda: now[0], echo=print
        )
    assert now[0] == 60
{%- if cookiecutter.deployment == "none" %}


def test_a_project_that_is_not_deployed_has_no_deploy_command(capsys):
    code, _, err = run(capsys, "deploy", connect=lambda _: pytest.fail("must not log in"))

    assert code == 2
    assert err.startswith("aml: error: argument COMMAND: invalid choice: 'deploy'")
{%- else %}


def test_deploy_checks_the_definitions_before_logging_in(project_copy, capsys):
    cluster = project_copy / "aml" / "compute" / "cluster.yml"
    cluster.write_text(cluster.read_text(encoding="utf-8").replace("$schema:", "# $schema:"))
    path = write_project_yml(project_copy, azureml_section())
    aml_dir = str(project_copy / "aml")
    argv = ["--config", str(path), "--aml-dir", aml_dir, "--environment", "prod", "deploy"]
    argv += ["--model-version", "3"]
{%- if cookiecutter.deployment == "online" %}
    argv += ["--slot", "green"]
{%- endif %}

    code, _, err = run(capsys, *argv, connect=lambda _: FakeClient())

    assert (code, err.count("\n")) == (1, 1)
    assert "aml/compute/cluster.yml: the first line must be its $schema: line" in err
{%- endif %}


def test_an_azure_refusal_is_one_line_not_a_stack_trace(tmp_path, capsys):
    from azure.core.exceptions import HttpResponseError

    class Refusing:
        def get(self, name):
            raise HttpResponseError("(AuthorizationFailed) no access\nCode: 403\nRequest id: 1")

    path = write_project_yml(tmp_path, azureml_section())
    client = FakeClient()
    client.compute = Refusing()

    code, _, err = run(capsys, "--config", str(path), "submit", connect=lambda _: client)

    assert (code, err) == (1, "aml: error: Azure: (AuthorizationFailed) no access\n")


def test_an_invalid_yaml_edit_is_one_line_naming_the_file_and_line(project_copy, capsys):
    cluster = project_copy / "aml" / "compute" / "cluster.yml"
    text = cluster.read_text(encoding="utf-8")
    line = text.splitlines().index("min_instances: 0") + 1
    cluster.write_text(text.replace("min_instances: 0", "min_instances: [0"), encoding="utf-8")
    aml_dir = str(project_copy / "aml")

    code, out, err = run(
        capsys, "--config", str(project_copy / "project.yml"), "--aml-dir", aml_dir, "validate"
    )

    assert code == 1
    assert re.fullmatch(
        rf"aml: aml/compute/cluster\.yml: line {line + 1}, column \d+: invalid YAML: [^\n]+\n", err
    ), err
    assert "validation FAILED with 1 problem(s)" in out
