"""create_pipelines.py against a fake Azure DevOps: plan first, create what is missing, once."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import create_pipelines
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SLUG = yaml.safe_load((ROOT / "project.yml").read_text(encoding="utf-8"))["project"]["slug"]
DEPLOYS = (ROOT / "pipelines" / "deploy.yml").is_file()
ORG = "https://dev.azure.com/fabrikam"
SECRET = "pat-7f3c-do-not-print"


class FakeAzureDevOps:
    """Just enough of the REST API: a repository, pipelines, environments, checks, policies."""

    def __init__(self) -> None:
        self.pipelines: dict[str, int] = {}
        self.environments: dict[str, int] = {}
        self.checks: list[dict] = []
        self.policies: list[dict] = []
        self.requests: list[tuple[str, str, dict | None]] = []
        self.refuse_with: int | None = None

    def __call__(self, method: str, url: str, body):
        parts = urllib.parse.urlsplit(url)
        path = parts.path.split("/_apis/", 1)[1]
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.requests.append((method, path, body))
        assert query["api-version"] in ("7.1", "7.1-preview.1")
        if self.refuse_with:
            return self.refuse_with, {"message": "TF400813: not authorized"}
        if path == "git/repositories/" + urllib.parse.quote(SLUG):
            return 200, {"id": "repo-guid", "name": SLUG}
        if path == "pipelines":
            if method == "GET":
                return 200, {"value": [{"id": i, "name": n} for n, i in self.pipelines.items()]}
            self.pipelines[body["name"]] = len(self.pipelines) + 11
            return 200, {"id": self.pipelines[body["name"]], "name": body["name"]}
        if path == "distributedtask/environments":
            if method == "GET":
                return 200, {"value": [{"id": i, "name": n} for n, i in self.environments.items()]}
            self.environments[body["name"]] = len(self.environments) + 3
            return 200, {"id": self.environments[body["name"]], "name": body["name"]}
        if path == "pipelines/checks/configurations":
            if method == "GET":
                mine = [c for c in self.checks if c["resource"]["id"] == query["resourceId"]]
                return 200, {"value": mine}
            self.checks.append(body)
            return 200, body
        if path == "policy/configurations":
            if method == "GET":
                found = [
                    p
                    for p in self.policies
                    if p["type"]["id"] == query["policyType"]
                    and p["settings"]["scope"][0]["refName"] == query["refName"]
                ]
                return 200, {"value": found}
            self.policies.append(body)
            return 200, body
        return 404, {"message": f"no route {method} {path}"}

    def writes(self) -> list[tuple[str, str, dict | None]]:
        return [r for r in self.requests if r[0] != "GET"]


@pytest.fixture
def ado(monkeypatch) -> FakeAzureDevOps:
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", SECRET)
    for name in ("AZURE_DEVOPS_ORG_URL", "AZURE_DEVOPS_PROJECT", "SYSTEM_ACCESSTOKEN"):
        monkeypatch.delenv(name, raising=False)
    return FakeAzureDevOps()


def run(ado, *args: str) -> int:
    return create_pipelines.main(
        ["--org-url", ORG, "--repository", SLUG, *args], transport=ado, root=ROOT, ask=lambda _: "n"
    )


def test_a_dry_run_only_reads_and_prints_the_plan(ado, capsys):
    assert run(ado, "--dry-run") == 0
    assert ado.writes() == []
    out = capsys.readouterr().out
    for stem in ("pr-validation", "train", "backlog-sync"):
        assert f"create  pipeline     {SLUG}-{stem}" in out
    assert ("environment" in out) == DEPLOYS
    assert "build validation on main" in out and "linked work items on main" in out


def test_apply_creates_every_pipeline_from_its_yaml_then_the_policies_that_use_them(ado):
    assert run(ado, "--yes") == 0
    created = {b["name"]: b for m, p, b in ado.writes() if p == "pipelines"}
    expected = {
        f"{SLUG}-{f.stem}": f"/pipelines/{f.name}" for f in (ROOT / "pipelines").glob("*.yml")
    }
    assert {n: b["configuration"]["path"] for n, b in created.items()} == expected
    for body in created.values():
        assert body["folder"] == "\\"  # deploy.yml finds "<slug>-train" by its bare name
        assert body["configuration"]["type"] == "yaml"
        assert body["configuration"]["repository"] == {"id": "repo-guid", "type": "azureReposGit"}
    (build,) = [p for p in ado.policies if p["type"]["id"] == create_pipelines.BUILD_POLICY]
    assert build["settings"]["buildDefinitionId"] == ado.pipelines[f"{SLUG}-pr-validation"]
    assert build["settings"]["scope"] == [
        {"repositoryId": "repo-guid", "refName": "refs/heads/main", "matchKind": "exact"}
    ]
    assert build["isBlocking"] is True
    assert len(ado.policies) == 2
    expected_envs = {f"{SLUG}-dev", f"{SLUG}-prod"} if DEPLOYS else set()
    assert set(ado.environments) == expected_envs


def test_a_second_run_creates_nothing(ado, capsys):
    assert run(ado, "--yes") == 0
    before = len(ado.writes())
    assert run(ado, "--yes") == 0
    assert len(ado.writes()) == before
    assert "Nothing to create" in capsys.readouterr().out


@pytest.mark.skipif(not DEPLOYS, reason="no deploy pipeline, so no environments")
def test_prod_approvers_become_an_approval_check_on_the_prod_environment(ado):
    assert run(ado, "--yes", "--prod-approver", "group-guid") == 0
    (check,) = ado.checks
    assert check["type"]["id"] == create_pipelines.APPROVAL_CHECK
    assert check["resource"] == {
        "type": "environment",
        "id": str(ado.environments[f"{SLUG}-prod"]),
        "name": f"{SLUG}-prod",
    }
    assert check["settings"]["approvers"] == [{"id": "group-guid"}]
    assert run(ado, "--yes", "--prod-approver", "group-guid") == 0
    assert len(ado.checks) == 1


def test_nothing_is_written_without_a_yes(ado, capsys):
    assert run(ado) == 0  # the prompt answers "n"
    assert ado.writes() == []
    assert "Nothing created" in capsys.readouterr().out


def test_refused_access_exits_3_with_one_line_and_never_shows_the_token(ado, capsys):
    ado.refuse_with = 401
    assert run(ado, "--yes") == 3
    captured = capsys.readouterr()
    assert "not authorized" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert SECRET not in captured.out + captured.err


def test_the_placeholder_organization_is_refused_before_any_request(ado, capsys):
    code = create_pipelines.main(
        ["--repository", SLUG, "--org-url", "https://dev.azure.com/your-organization"],
        transport=ado,
        root=ROOT,
    )
    assert code == 2
    assert ado.requests == []
    assert "placeholder" in capsys.readouterr().err


class Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str]] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        Recorder.seen.append(("GET", self.path, self.headers.get("Authorization", "")))
        body = {"id": "repo-guid"} if "/git/repositories/" in self.path else {"value": []}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output clean
        pass


def test_over_http_the_pat_travels_only_as_basic_auth(monkeypatch, capsys):
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", SECRET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/fabrikam"
        code = create_pipelines.main(
            ["--org-url", url, "--repository", SLUG, "--dry-run"], root=ROOT
        )
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0
    expected = "Basic " + base64.b64encode(f":{SECRET}".encode()).decode()
    assert Recorder.seen and all(auth == expected for _, _, auth in Recorder.seen)
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
