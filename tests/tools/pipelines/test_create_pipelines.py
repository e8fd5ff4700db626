"""create_pipelines.py against a strict local Azure DevOps: plan, create what is missing, once.

The server (fake_pipelines_server.py) refuses any request that is not an operation of
tools/pipelines/ado_operations.json; every test ends by checking it refused nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import ado_rest
import create_pipelines
import pytest
import yaml
from baked import ROOT
from fake_pipelines_server import FakeAzureDevOps, Policy

CONFIG = yaml.safe_load((ROOT / "project.yml").read_text(encoding="utf-8"))
SLUG = CONFIG["project"]["slug"]
TEAM = CONFIG["azure_devops"]["team"]
DEPLOYS = CONFIG["project"]["deployment"] != "none"
PROJECT = "Fabrikam Fiber"
SECRET = "pat-7f3c-do-not-print"
MAIN = "refs/heads/main"
STEMS = sorted(f.stem for f in (ROOT / "pipelines").glob("*.yml"))
# The deployment pipeline has `trigger: none`: it starts from a training run; run by hand, it
# would deploy.
CI_STEMS = [s for s in STEMS if s != "deploy"]


@pytest.fixture
def ado(monkeypatch):
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", SECRET)
    for name in ("AZURE_DEVOPS_ORG_URL", "AZURE_DEVOPS_PROJECT", "SYSTEM_ACCESSTOKEN"):
        monkeypatch.delenv(name, raising=False)
    with FakeAzureDevOps(SECRET, project=PROJECT) as server:
        server.state.repositories = {SLUG: "repo-guid", "other-repo": "other-guid"}
        # The answers may name release approvers: make them members of the team.
        approvers = CONFIG["azure_devops"].get("release_approvers") or []
        server.state.teams = {TEAM: {a.lower(): f"id-{a.lower()}" for a in approvers}}
        yield server
    assert server.violations == [], "requests outside ado_operations.json"


def run(ado, *args: str, root: Path = ROOT) -> int:
    argv = ["--org-url", ado.url, "--project", PROJECT, "--repository", SLUG, *args]
    return create_pipelines.main(argv, root=root, ask=lambda _: "n")


def policies_on_main(ado) -> list[Policy]:
    return [
        p
        for p in ado.state.policies
        if p.scope == [{"repositoryId": "repo-guid", "refName": MAIN, "matchKind": "exact"}]
    ]


def test_a_dry_run_only_reads_and_prints_the_plan(ado, capsys):
    assert run(ado, "--dry-run") == 0
    assert ado.writes() == []
    out = capsys.readouterr().out
    for stem in STEMS:
        assert f"create   pipeline     {SLUG}-{stem}" in out
    for stem in CI_STEMS:
        assert f"queue    first run    {SLUG}-{stem}" in out
    assert f"first run    {SLUG}-deploy" not in out
    assert ("environment" in out) == DEPLOYS
    assert "build validation on main" in out and "linked work items on main" in out
    if DEPLOYS:
        assert f"missing  service connection {SLUG}-prod" in out


def test_apply_creates_every_pipeline_then_the_policies_then_queues_the_first_runs(ado, capsys):
    assert run(ado, "--yes") == 0
    created = {b["name"]: b for b in ado.bodies("pipelines.create")}
    assert {n: b["configuration"]["path"] for n, b in created.items()} == {
        f"{SLUG}-{stem}": f"/pipelines/{stem}.yml" for stem in STEMS
    }
    for body in created.values():
        assert body["folder"] == "\\"  # the deployment finds "<slug>-train" by name
        assert body["configuration"]["type"] == "yaml"
        assert body["configuration"]["repository"] == {"id": "repo-guid", "type": "azureReposGit"}
    ids = {d["name"]: d["id"] for d in ado.state.definitions}
    build, work_items = sorted(policies_on_main(ado), key=lambda p: p.type_id)
    assert build.type_id == create_pipelines.BUILD_POLICY
    assert build.build_definition_id == ids[f"{SLUG}-pr-validation"]
    assert work_items.type_id == create_pipelines.WORK_ITEM_POLICY
    assert len(ado.state.policies) == 2
    expected_envs = {f"{SLUG}-dev", f"{SLUG}-prod"} if DEPLOYS else set()
    assert set(ado.state.environments) == expected_envs
    # The first runs come last, on main, one per pipeline with a CI trigger.
    ops = [r.op for r in ado.writes()]
    assert ops[-len(CI_STEMS) :] == ["pipelines.run"] * len(CI_STEMS)
    assert {ids[f"{SLUG}-{s}"] for s in CI_STEMS} == set(ado.state.runs)
    for body in ado.bodies("pipelines.run"):
        assert body == {"resources": {"repositories": {"self": {"refName": MAIN}}}}
    out = capsys.readouterr().out
    for stem in CI_STEMS:
        (run_,) = ado.state.runs[ids[f"{SLUG}-{stem}"]]
        assert f"queued first run: {SLUG}-{stem} on main, run {run_['id']} http" in out


def test_a_second_run_creates_and_queues_nothing(ado, capsys):
    assert run(ado, "--yes") == 0
    before = len(ado.writes())
    assert run(ado, "--yes") == 0
    assert len(ado.writes()) == before
    assert "Nothing to create" in capsys.readouterr().out


@pytest.mark.parametrize("unfiltered", [False, True], ids=["filtered", "filters-ignored"])
def test_policies_on_another_repository_or_branch_do_not_count_as_existing(ado, unfiltered):
    # What the old lookup on policy/configurations found: policies elsewhere in the project.
    ado.ignore_policy_filters = unfiltered
    for policy_type in (create_pipelines.BUILD_POLICY, create_pipelines.WORK_ITEM_POLICY):
        for repo, ref in (("other-guid", MAIN), ("repo-guid", "refs/heads/release/1")):
            scope = [{"repositoryId": repo, "refName": ref, "matchKind": "exact"}]
            ado.state.policies.append(Policy(policy_type, scope, build_definition_id=99))
    assert run(ado, "--yes", "--skip-first-run") == 0
    assert sorted(p.type_id for p in policies_on_main(ado)) == sorted(
        [create_pipelines.BUILD_POLICY, create_pipelines.WORK_ITEM_POLICY]
    )
    assert {r.op for r in ado.requests} >= {"git.policy_configurations_list"}
    lookups = [r.query for r in ado.requests if r.op == "git.policy_configurations_list"]
    assert all(q["repositoryId"] == "repo-guid" and q["refName"] == MAIN for q in lookups)


def test_a_build_validation_of_another_pipeline_on_main_is_not_ours(ado):
    ado.state.definitions.append({"id": 5, "name": f"{SLUG}-pr-validation", "path": "\\"})
    scope = [{"repositoryId": "repo-guid", "refName": MAIN, "matchKind": "exact"}]
    ado.state.policies.append(Policy(create_pipelines.BUILD_POLICY, scope, build_definition_id=4))
    ado.state.policies.append(Policy(create_pipelines.WORK_ITEM_POLICY, scope))
    assert run(ado, "--yes", "--skip-first-run") == 0
    (created,) = ado.bodies("policy.configuration_create")
    assert created["settings"]["buildDefinitionId"] == 5


def test_an_existing_pipeline_that_never_ran_gets_its_first_run_and_skip_means_none(ado, capsys):
    ado.state.definitions.append({"id": 7, "name": f"{SLUG}-train", "path": "\\"})
    assert run(ado, "--yes", "--skip-first-run") == 0
    assert ado.bodies("pipelines.run") == []
    assert "queue" not in capsys.readouterr().out
    assert run(ado, "--yes") == 0
    assert 7 in ado.state.runs
    assert f"queued first run: {SLUG}-train" in capsys.readouterr().out


@pytest.mark.skipif(not DEPLOYS, reason="no deploy pipeline, so no environments")
def test_prod_approvers_become_an_approval_check_on_the_prod_environment(ado):
    assert run(ado, "--yes", "--skip-first-run", "--prod-approver", "group-guid") == 0
    (check,) = ado.state.checks
    assert check["type"]["id"] == ado_rest.APPROVAL_CHECK
    assert check["resource"] == {
        "type": "environment",
        "id": str(ado.state.environments[f"{SLUG}-prod"]),
        "name": f"{SLUG}-prod",
    }
    assert check["settings"]["approvers"] == [{"id": "group-guid"}]
    assert check["settings"]["minRequiredApprovers"] == 1
    assert run(ado, "--yes", "--prod-approver", "group-guid") == 0
    assert len(ado.state.checks) == 1


def project_with(tmp_path: Path, **azure_devops) -> Path:
    """A project root whose project.yml has these azure_devops keys (pipelines/ copied)."""
    config = yaml.safe_load((ROOT / "project.yml").read_text(encoding="utf-8"))
    config["azure_devops"].update(azure_devops)
    (tmp_path / "project.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines")
    return tmp_path


@pytest.mark.skipif(not DEPLOYS, reason="no deploy pipeline, so no environments")
def test_release_approvers_of_project_yml_are_resolved_among_the_team_members(ado, tmp_path):
    root = project_with(tmp_path, release_approvers=["Ada@example.org"])
    ado.state.teams = {TEAM: {"ada@example.org": "ada-guid", "bob@example.org": "bob-guid"}}
    assert run(ado, "--yes", "--skip-first-run", root=root) == 0
    (check,) = ado.state.checks
    assert check["settings"]["approvers"] == [{"id": "ada-guid"}]


@pytest.mark.skipif(not DEPLOYS, reason="no deploy pipeline, so no environments")
def test_a_release_approver_outside_the_team_is_one_error_line_before_any_write(
    ado, tmp_path, capsys
):
    root = project_with(tmp_path, release_approvers=["eve@example.org"])
    ado.state.teams = {TEAM: {"ada@example.org": "ada-guid"}}
    assert run(ado, "--yes", root=root) == 2
    assert ado.writes() == []
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "eve@example.org" in line and TEAM in line


@pytest.mark.parametrize("value", ["ada@example.org", ["not an e-mail"]])
def test_release_approvers_that_are_not_a_list_of_e_mails_are_refused(ado, tmp_path, capsys, value):
    root = project_with(tmp_path, release_approvers=value)
    assert run(ado, "--dry-run", root=root) == 2
    assert ado.requests == []
    assert "azure_devops.release_approvers" in capsys.readouterr().err


@pytest.mark.skipif(not DEPLOYS, reason="no deploy pipeline, so no environments")
def test_without_release_approvers_in_project_yml_there_is_no_approval(ado, tmp_path):
    root = project_with(tmp_path, release_approvers=None)  # as absent: read defensively
    assert run(ado, "--yes", "--skip-first-run", root=root) == 0
    assert f"{SLUG}-prod" in ado.state.environments
    assert ado.state.checks == []
    assert not any(r.op.startswith("checks.") for r in ado.requests)


def test_nothing_is_written_without_a_yes(ado, capsys):
    assert run(ado) == 0  # the prompt answers "n"
    assert ado.writes() == []
    assert "Nothing created" in capsys.readouterr().out


def test_a_wrong_token_exits_3_with_one_line_and_never_shows_the_token(ado, capsys, monkeypatch):
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", SECRET + "-revoked")
    assert run(ado, "--yes") == 3
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "git.repository_get" in line and "not authorized (401)" in line
    assert SECRET not in captured.out + captured.err


def test_a_failing_call_names_its_operation_and_status_in_one_line(ado, capsys):
    ado.fail["pipelines.create"] = 500
    assert run(ado, "--yes") == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "pipelines.create (POST {project}/_apis/pipelines): 500" in line
    assert SECRET not in captured.out + captured.err


def test_an_unreachable_organization_is_one_line_naming_the_operation(ado, capsys):
    with FakeAzureDevOps(SECRET) as closed:
        url = closed.url  # the port is closed once the server is gone
    code = create_pipelines.main(["--org-url", url, "--repository", SLUG, "--yes"], root=ROOT)
    assert code == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "git.repository_get (GET {project}/_apis/git/repositories/{repositoryId})" in line
    assert "no answer from http://127.0.0.1" in line


def test_the_placeholder_organization_is_refused_before_any_request(ado, capsys):
    code = create_pipelines.main(
        ["--repository", SLUG, "--org-url", "https://dev.azure.com/your-organization"], root=ROOT
    )
    assert code == 2
    assert ado.requests == []
    assert "placeholder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "{project}/_apis/pipelines?api-version=7.0",  # an api-version the table does not list
        "{project}/_apis/pipelines?api-version=7.1",  # GET pipelines: not an operation we use
        "{project}/_apis/policy/configurations?repositoryId=r&api-version=7.1",  # the old bug
        "{project}/_apis/build/definitions?name=x&path=y&api-version=7.1",  # unlisted query
    ],
)
def test_the_local_server_refuses_what_the_table_does_not_list(url):
    with FakeAzureDevOps(SECRET, project=PROJECT) as server:
        send = ado_rest.http_transport(f"Basic {SECRET}")
        status, _ = send("GET", f"{server.url}/{url.format(project=quote(PROJECT))}", None)
        assert status == 400
        assert len(server.violations) == 1
