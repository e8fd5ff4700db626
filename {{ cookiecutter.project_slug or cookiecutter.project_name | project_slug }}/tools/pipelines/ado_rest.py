"""The Azure DevOps REST calls of create_pipelines.py, each one an operation of ado_operations.json.

The table next to this file is the whole contract: a call names its operation, and the client
builds the route, the query string and the api-version from the table alone, so no request can
drift from what the template's contract test checked against the official specification.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

OPERATIONS_FILE = Path(__file__).with_name("ado_operations.json")
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
APPROVAL_CHECK = "8c6f20a7-a545-4486-9777-f762fafe0d4d"

Transport = Callable[[str, str, Any], tuple[int, Any]]


class SetupError(Exception):
    """A failed or refused request; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def load_operations(path: Path = OPERATIONS_FILE) -> dict[str, dict[str, Any]]:
    return {op["name"]: op for op in json.loads(path.read_text(encoding="utf-8"))["operations"]}


def authorization() -> str:
    """The Authorization header value; SetupError(code 3) when no credential is available."""
    pat = os.environ.get("AZURE_DEVOPS_EXT_PAT")
    if pat:
        return "Basic " + base64.b64encode(f":{pat}".encode()).decode()
    token = os.environ.get("SYSTEM_ACCESSTOKEN")
    if token:
        return f"Bearer {token}"
    try:
        from azure.identity import DefaultAzureCredential

        # Each credential it tries logs a warning when it is not set up; the one line we print
        # when none worked says what to do instead.
        logging.getLogger("azure.identity").setLevel(logging.ERROR)

        credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
        return f"Bearer {credential.get_token(ADO_SCOPE).token}"
    except Exception:  # noqa: BLE001 - any failure means: no usable login
        raise SetupError(
            "no Azure DevOps credential: set AZURE_DEVOPS_EXT_PAT (scopes in pipelines/README.md: "
            "Build, Code, Environment, Project and Team, Service Connections) or run `az login`",
            3,
        ) from None


def http_transport(header: str, timeout: float = 30) -> Transport:
    """A transport over urllib; the token only ever goes into the Authorization header."""

    def send(method: str, url: str, body: Any) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", header)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                text = response.read().decode() or "null"
                return response.status, json.loads(text)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                return error.code, json.loads(text)
            except json.JSONDecodeError:
                return error.code, {"message": text[:300]}
        except (urllib.error.URLError, TimeoutError) as error:
            raise SetupError(f"no answer from {url.split('?')[0]} ({error})") from None

    return send


def listed(payload: Any) -> list[dict[str, Any]]:
    """The items of a list answer: the service wraps them as {"count", "value"}."""
    if isinstance(payload, dict):
        payload = payload.get("value", [])
    return [item for item in payload or [] if isinstance(item, dict)]


def scope_covers(scope: dict[str, Any], repository_id: str, ref: str) -> bool:
    """Whether one scope entry of a policy applies to ``ref`` of ``repository_id``.

    Checked here as well as by the service's filter: a lookup that ignored its filters once
    made any policy anywhere count as "exists" (issue #11).
    """
    repo = scope.get("repositoryId")
    if repo and str(repo).lower() != repository_id.lower():
        return False
    name = scope.get("refName")
    if not name:
        return True  # every branch of the repository (or of the project)
    if str(scope.get("matchKind", "exact")).lower() == "prefix":
        return ref.startswith(str(name))
    return str(name) == ref


class AzureDevOps:
    """The calls create_pipelines makes; every failure becomes a one-line SetupError."""

    def __init__(self, org_url: str, project: str, send: Transport) -> None:
        self.org_url = org_url.rstrip("/")
        self.project = project
        self.send = send
        self.operations = load_operations()

    def call(
        self, name: str, body: Any = None, query: dict[str, str] | None = None, **route: Any
    ) -> Any:
        op = self.operations[name]
        query = query or {}
        # A programming error, not a user one: the table is what the contract test checked.
        if unknown := set(query) - set(op["query"]):
            raise ValueError(f"{name}: query parameters {sorted(unknown)} are not in the table")
        values = {"project": self.project, "projectId": self.project, **route}
        path = op["route"].format(
            **{k: urllib.parse.quote(str(v), safe="") for k, v in values.items()}
        )
        url = f"{self.org_url}/{path}?" + urllib.parse.urlencode(
            {**query, "api-version": op["api_version"]}
        )
        where = f"{name} ({op['method']} {op['route']})"
        try:
            status, payload = self.send(op["method"], url, body)
        except SetupError as error:  # no answer at all: say which operation was waiting
            raise SetupError(f"{where}: {error}", error.code) from None
        if status in (401, 403):
            raise SetupError(
                f"{where}: not authorized ({status}); the token needs the scopes listed in "
                "pipelines/README.md",
                3,
            )
        if status >= 300:
            message = payload.get("message") if isinstance(payload, dict) else payload
            message = " ".join(str(message or "").split())[:200]
            raise SetupError(f"{where}: {status} {message}".rstrip())
        return payload

    # --- reads: each lookup is filtered by the service and checked again here ------------------

    def repository_id(self, name: str) -> str:
        return str(self.call("git.repository_get", repositoryId=name)["id"])

    def pipeline_id(self, name: str) -> int | None:
        """The pipeline (build definition) named ``name``, preferring the root folder."""
        found = [
            d
            for d in listed(self.call("build.definitions_list", query={"name": name}))
            if str(d.get("name", "")).lower() == name.lower()
        ]
        found.sort(key=lambda d: d.get("path") != "\\")
        return int(found[0]["id"]) if found else None

    def has_run(self, pipeline_id: int) -> bool:
        return bool(listed(self.call("pipelines.runs_list", pipelineId=pipeline_id)))

    def environment_id(self, name: str) -> int | None:
        found = listed(self.call("distributedtask.environments_list", query={"name": name}))
        ids = [int(e["id"]) for e in found if str(e.get("name", "")).lower() == name.lower()]
        return ids[0] if ids else None

    def approval_exists(self, environment_id: int) -> bool:
        checks = listed(
            self.call(
                "checks.configurations_list",
                query={"resourceType": "environment", "resourceId": str(environment_id)},
            )
        )
        return any(
            str((c.get("type") or {}).get("id", "")).lower() == APPROVAL_CHECK
            and str((c.get("resource") or {}).get("id", "")) == str(environment_id)
            for c in checks
        )

    def policy_exists(
        self, repository_id: str, ref: str, policy_type: str, build_definition_id: int | None
    ) -> bool:
        """An enabled policy of ``policy_type`` covering ``ref``; for build validation, one
        that runs ``build_definition_id`` (another pipeline's validation is not ours)."""
        found = listed(
            self.call(
                "git.policy_configurations_list",
                query={"repositoryId": repository_id, "refName": ref, "policyType": policy_type},
            )
        )
        for policy in found:
            settings = policy.get("settings") or {}
            if str((policy.get("type") or {}).get("id", "")).lower() != policy_type.lower():
                continue
            if not policy.get("isEnabled", True) or policy.get("isDeleted"):
                continue
            if not any(scope_covers(s, repository_id, ref) for s in settings.get("scope") or []):
                continue
            if build_definition_id is not None and (
                settings.get("buildDefinitionId") != build_definition_id
            ):
                continue
            return True
        return False

    def service_connections(self, names: list[str]) -> set[str]:
        """Which of ``names`` exist as service connections of the project."""
        if not names:
            return set()
        found = listed(
            self.call(
                "serviceendpoint.endpoints_by_names", query={"endpointNames": ",".join(names)}
            )
        )
        wanted = {n.lower(): n for n in names}
        return {wanted[e["name"].lower()] for e in found if e.get("name", "").lower() in wanted}

    def team_member_ids(self, team: str) -> dict[str, str]:
        """E-mail (lower case) -> identity id of the members of ``team``."""
        members = listed(self.call("core.team_members", query={"$top": "1000"}, teamId=team))
        ids = {}
        for member in members:
            identity = member.get("identity") or {}
            if identity.get("uniqueName") and identity.get("id"):
                ids[str(identity["uniqueName"]).lower()] = str(identity["id"])
        return ids

    # --- writes ----------------------------------------------------------------------------

    def create_pipeline(self, name: str, yaml_path: str, repository_id: str) -> int:
        body = {
            "name": name,
            "folder": "\\",
            "configuration": {
                "type": "yaml",
                "path": yaml_path,
                "repository": {"id": repository_id, "type": "azureReposGit"},
            },
        }
        return int(self.call("pipelines.create", body)["id"])

    def create_environment(self, name: str, description: str) -> int:
        body = {"name": name, "description": description}
        return int(self.call("distributedtask.environment_add", body)["id"])

    def add_approval(self, environment_id: int, environment: str, approvers: list[str]) -> None:
        body = {
            "type": {"id": APPROVAL_CHECK, "name": "Approval"},
            "settings": {
                "approvers": [{"id": approver} for approver in approvers],
                "executionOrder": "anyOrder",
                "minRequiredApprovers": 1,
                "requesterCannotBeApprover": True,
                "instructions": "Check the dev deployment and the training metrics first.",
                "blockedApprovers": [],
            },
            "resource": {"type": "environment", "id": str(environment_id), "name": environment},
            "timeout": 43200,
        }
        self.call("checks.configuration_add", body)

    def create_policy(self, policy_type: str, settings: dict[str, Any]) -> None:
        body = {"isEnabled": True, "isBlocking": True, "type": {"id": policy_type}}
        self.call("policy.configuration_create", {**body, "settings": settings})

    def run_pipeline(self, pipeline_id: int, ref: str) -> dict[str, Any]:
        body = {"resources": {"repositories": {"self": {"refName": ref}}}}
        return self.call("pipelines.run", body, pipelineId=pipeline_id)
