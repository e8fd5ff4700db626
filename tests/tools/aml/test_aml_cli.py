"""``python -m aml_tool``: bad configuration gives one clear line and a meaningful exit code,
never a stack trace; the commands follow what project.yml says the project deploys; the
Azure-facing commands are driven against fakes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from aml_fakes import REAL_LOOKING_SUBSCRIPTION, FakeClient, RefusingCredential, WorkingCredential
from aml_tool import cli, config, workspace
from azure.core.exceptions import ResourceNotFoundError
from bakery import project_env
from deployments import DEPLOYMENTS


def run(capsys: pytest.CaptureFixture[str], *argv: str, connect=None) -> tuple[int, str, str]:
    code = cli.main(list(argv), connect=connect)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def project_document(root: Path) -> dict:
    """The bake's project.yml with a subscription that passes the GUID and placeholder checks."""
    document = yaml.safe_load((root / "project.yml").read_text(encoding="utf-8"))
    document["azureml"]["subscription_id"] = REAL_LOOKING_SUBSCRIPTION
    return document


def write_project_yml(folder: Path, document: dict | str) -> Path:
    path = folder / "project.yml"
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def prod(document: dict) -> dict:
    return document["azureml"]["environments"]["prod"]


# How a person might break project.yml, and what the one line must say; for every kind.
BAD_CONFIGURATIONS = {
    "no azureml section": (lambda d: d.pop("azureml"), "missing section 'azureml:'"),
    "missing key": (lambda d: d["azureml"].pop("compute_name"), "azureml.compute_name is missing"),
    "misspelt key": (
        lambda d: d["azureml"].update(workspce="typo"),
        "unknown key azureml.workspce (known: subscription_id,",
    ),
    "empty value": (
        lambda d: d["azureml"].update(workspace=""),
        "azureml.workspace must be a non-empty",
    ),
    "subscription that is not a GUID": (
        lambda d: d["azureml"].update(subscription_id="my-subscription"),
        "azureml.subscription_id must be a GUID",
    ),
    "no deployment": (
        lambda d: d["project"].pop("deployment"),
        "project.deployment is missing; it must be one of online, batch, none",
    ),
    "unknown deployment": (
        lambda d: d["project"].update(deployment="kubernetes"),
        "project.deployment is 'kubernetes'; it must be one of online, batch, none",
    ),
}
# ... and the release environments of a project that deploys.
BAD_ENVIRONMENTS = {
    "environment without its endpoint": (
        lambda d: prod(d).update(endpoint_name=""),
        "azureml.environments.prod.endpoint_name must be a non-empty string",
    ),
    "environment with no instance": (
        lambda d: prod(d).update(instance_count=0),
        "azureml.environments.prod.instance_count must be a whole number of at least 1",
    ),
    "misspelt environment key": (
        lambda d: prod(d).update(endpoint="x"),
        "unknown key azureml.environments.prod.endpoint (known: resource_group,",
    ),
    "no prod": (
        lambda d: d["azureml"]["environments"].pop("prod"),
        "azureml.environments must have exactly dev and prod",
    ),
}
# What one kind of endpoint sets and the other does not: a key of the wrong kind is refused.
OTHER_KINDS_KEY = {
    "online": ("compute_name", "(known: resource_group, workspace, endpoint_name, instance_type"),
    "batch": ("instance_type", "(known: resource_group, workspace, endpoint_name, compute_name"),
}


def assert_one_line(code: int, err: str, path: Path, expected: str) -> None:
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith(f"aml: error: {path}: "), err
    assert expected in err


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
@pytest.mark.parametrize("case", list(BAD_CONFIGURATIONS), ids=list(BAD_CONFIGURATIONS))
def test_bad_project_yml_is_one_line_and_exit_2(project_of, tmp_path, capsys, case, deployment):
    root = project_of(deployment)
    change, expected = BAD_CONFIGURATIONS[case]
    document = project_document(root)
    change(document)
    path = write_project_yml(tmp_path, document)

    code, _, err = run(capsys, "--config", str(path), "--aml-dir", str(root / "aml"), "submit")

    assert_one_line(code, err, path, expected)


@pytest.mark.parametrize("deployment", ["online", "batch"])
@pytest.mark.parametrize("case", list(BAD_ENVIRONMENTS), ids=list(BAD_ENVIRONMENTS))
def test_bad_release_environment_is_one_line(project_of, tmp_path, capsys, case, deployment):
    change, expected = BAD_ENVIRONMENTS[case]
    document = project_document(project_of(deployment))
    change(document)
    path = write_project_yml(tmp_path, document)

    code, _, err = run(capsys, "--config", str(path), "--environment", "dev", "submit")

    assert_one_line(code, err, path, expected)


@pytest.mark.parametrize("deployment", ["online", "batch"])
def test_a_release_environment_sets_what_its_kind_of_endpoint_needs(
    project_of, tmp_path, capsys, deployment
):
    key, known = OTHER_KINDS_KEY[deployment]
    document = project_document(project_of(deployment))
    prod(document)[key] = "x"
    path = write_project_yml(tmp_path, document)

    code, _, err = run(capsys, "--config", str(path), "submit")

    assert_one_line(code, err, path, f"unknown key azureml.environments.prod.{key} {known}")


def test_a_project_that_deploys_nothing_has_no_release_environments(project_of, tmp_path, capsys):
    document = project_document(project_of("none"))
    document["azureml"]["environments"] = {"dev": {}, "prod": {}}
    path = write_project_yml(tmp_path, document)

    code, _, err = run(capsys, "--config", str(path), "submit")

    assert_one_line(code, err, path, "unknown key azureml.environments (known: subscription_id,")


def test_invalid_yaml_is_one_line_with_its_place(tmp_path, capsys):
    path = write_project_yml(tmp_path, "azureml:\n  workspace: [unclosed\n")

    code, _, err = run(capsys, "--config", str(path), "submit")

    assert_one_line(code, err, path, "invalid YAML at line 3, column 1")


@pytest.mark.parametrize(
    ("deployment", "present", "absent"),
    [
        ("online", {"deploy", "traffic", "mirror", "promote", "teardown"}, set()),
        ("batch", {"deploy"}, {"traffic", "mirror", "promote", "teardown"}),
        ("none", set(), {"deploy", "traffic", "mirror", "promote", "teardown"}),
    ],
)
def test_the_commands_are_those_of_what_the_project_deploys(
    project_of, capsys, deployment, present, absent
):
    path = project_of(deployment) / "project.yml"

    with pytest.raises(SystemExit):
        cli.main(["--config", str(path), "--help"])

    listed = set(re.findall(r"^    (\w[\w-]*) ", capsys.readouterr().out, re.MULTILINE))
    assert {"validate", "run-local", "setup", "submit", "sweep"} <= listed
    assert present <= listed and not absent & listed


def test_missing_project_yml_from_the_command_line(online, tmp_path, python):
    done = subprocess.run(
        [python, "-m", "aml_tool", "submit"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=project_env(online, tmp_path),
    )

    assert done.returncode == 2
    assert done.stderr == (
        "aml: error: project.yml not found: run from the project root or pass "
        "--config PATH/project.yml\n"
    )


def test_placeholder_subscription_is_refused_before_any_login(online):
    with pytest.raises(workspace.AmlError, match="subscription_id is still the placeholder"):
        workspace.connect(config.load_config(online / "project.yml"), RefusingCredential())


def test_not_logged_in_says_how_to_log_in(online, tmp_path, capsys):
    path = write_project_yml(tmp_path, project_document(online))

    def connect(settings):
        return workspace.connect(settings, credential=RefusingCredential())

    code, _, err = run(capsys, "--config", str(path), "submit", connect=connect)

    assert code == 1
    assert err == f"aml: error: {workspace.LOGIN_HINT}\n"


def test_unknown_workspace_names_project_yml(online, tmp_path):
    settings = config.load_config(write_project_yml(tmp_path, project_document(online)))

    class NoWorkspace:
        def __init__(self, *args, **kwargs):
            self.workspaces = self

        def get(self, name):
            raise ResourceNotFoundError(f"workspace {name} not found")

    with pytest.raises(workspace.AmlError, match="check the azureml section of project.yml"):
        workspace.connect(settings, WorkingCredential(), client_class=NoWorkspace)


def test_unknown_compute_lists_the_existing_ones(online, tmp_path, capsys):
    path = write_project_yml(tmp_path, project_document(online))
    settings = config.load_config(path)
    client = FakeClient(computes=("gpu-big", "cpu-old"))

    code, _, err = run(capsys, "--config", str(path), "submit", connect=lambda _: client)

    assert code == 1
    assert err == (
        f"aml: error: compute '{settings.compute_name}' not found in workspace "
        f"'{settings.workspace}' (resource group '{settings.resource_group}') (existing: "
        "cpu-old, gpu-big); create it with `python -m aml_tool setup` or fix "
        "azureml.compute_name in project.yml\n"
    )
    assert client.jobs.submitted == []


def environment_name(root: Path) -> str:
    document = yaml.safe_load((root / "aml" / "environment" / "environment.yml").read_text())
    return document["name"]


def test_submit_sends_the_pipeline_with_overrides_and_waits(online, tmp_path, capsys, monkeypatch):
    path = write_project_yml(tmp_path, project_document(online))
    settings = config.load_config(path)
    client = FakeClient(
        computes=(settings.compute_name,),
        environments=(environment_name(online),),
        statuses=["Running", "Completed"],
    )
    monkeypatch.setattr(workspace.time, "sleep", lambda seconds: None)

    argv = ["--config", str(path), "submit", "--set", "n_estimators=300", "--wait"]
    code, out, err = run(capsys, *argv, connect=lambda _: client)

    assert (code, err) == (0, "")
    (job,) = client.jobs.submitted
    assert job.settings.default_compute == settings.compute_name
    assert job.inputs["n_estimators"].result() == 300
    assert "submitted job-1: https://ml.azure.com/runs/job-1" in out
    assert out.rstrip().endswith("job-1: Completed")


def test_submit_wait_exits_1_when_the_job_fails(online, tmp_path, capsys):
    path = write_project_yml(tmp_path, project_document(online))
    client = FakeClient(
        computes=(config.load_config(path).compute_name,),
        environments=(environment_name(online),),
        statuses=["Failed"],
    )

    code, _, _ = run(capsys, "--config", str(path), "submit", "--wait", connect=lambda _: client)

    assert code == 1


def test_submit_rejects_an_unknown_input(online, tmp_path, capsys):
    path = write_project_yml(tmp_path, project_document(online))
    client = FakeClient(
        computes=(config.load_config(path).compute_name,),
        environments=(environment_name(online),),
    )

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


def test_a_project_that_is_not_deployed_has_no_deploy_command(project_of, monkeypatch, capsys):
    monkeypatch.chdir(project_of("none"))

    code, _, err = run(capsys, "deploy", connect=lambda _: pytest.fail("must not log in"))

    assert code == 2
    assert err.startswith("aml: error: argument COMMAND: invalid choice: 'deploy'")


@pytest.mark.parametrize(
    ("deployment", "argv"),
    [
        ("online", ["deploy", "--slot", "green", "--model-version", "3"]),
        ("batch", ["deploy", "--model-version", "3"]),
    ],
    ids=["online", "batch"],
)
def test_a_release_command_needs_its_environment(project_of, monkeypatch, capsys, deployment, argv):
    monkeypatch.chdir(project_of(deployment))

    code, _, err = run(capsys, *argv, connect=lambda _: pytest.fail("must not log in"))

    assert (code, err) == (2, "aml: error: deploy needs --environment dev|prod\n")


@pytest.mark.parametrize("deployment", ["online", "batch"])
def test_deploy_checks_the_definitions_before_logging_in(copy_of, capsys, deployment):
    project = copy_of(deployment)
    cluster = project / "aml" / "compute" / "cluster.yml"
    cluster.write_text(cluster.read_text(encoding="utf-8").replace("$schema:", "# $schema:"))
    path = write_project_yml(project, project_document(project))
    aml_dir = str(project / "aml")
    argv = ["--config", str(path), "--aml-dir", aml_dir, "--environment", "prod", "deploy"]
    argv += ["--model-version", "3"] + (["--slot", "green"] if deployment == "online" else [])

    code, _, err = run(capsys, *argv, connect=lambda _: FakeClient())

    assert (code, err.count("\n")) == (1, 1)
    assert "aml/compute/cluster.yml: the first line must be its $schema: line" in err


def test_an_azure_refusal_is_one_line_not_a_stack_trace(online, tmp_path, capsys):
    from azure.core.exceptions import HttpResponseError

    class Refusing:
        def get(self, name):
            raise HttpResponseError("(AuthorizationFailed) no access\nCode: 403\nRequest id: 1")

    path = write_project_yml(tmp_path, project_document(online))
    client = FakeClient()
    client.compute = Refusing()

    code, _, err = run(capsys, "--config", str(path), "submit", connect=lambda _: client)

    assert (code, err) == (1, "aml: error: Azure: (AuthorizationFailed) no access\n")


def test_an_invalid_yaml_edit_is_one_line_naming_the_file_and_line(copy_of, capsys):
    project = copy_of("online")
    cluster = project / "aml" / "compute" / "cluster.yml"
    text = cluster.read_text(encoding="utf-8")
    line = text.splitlines().index("min_instances: 0") + 1
    cluster.write_text(text.replace("min_instances: 0", "min_instances: [0"), encoding="utf-8")
    aml_dir = str(project / "aml")

    code, out, err = run(
        capsys, "--config", str(project / "project.yml"), "--aml-dir", aml_dir, "validate"
    )

    assert code == 1
    assert re.fullmatch(
        rf"aml: aml/compute/cluster\.yml: line {line + 1}, column \d+: invalid YAML: [^\n]+\n", err
    ), err
    assert "validation FAILED with 1 problem(s)" in out
