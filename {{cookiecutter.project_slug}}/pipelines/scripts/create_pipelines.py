"""Create this repository's pipelines, environments and branch policies in Azure DevOps.

    python pipelines/scripts/create_pipelines.py --dry-run     # read what exists, print the plan
    python pipelines/scripts/create_pipelines.py --yes         # create what is missing

What it sets up (the YAML files stay the definition; this only registers them):
- one pipeline per file in pipelines/*.yml, named "<project slug>-<file name>", in the root
  folder (deploy.yml's pipeline trigger finds "<slug>-train" by that name; in a folder the
  trigger would have to spell the folder too);
- the Azure DevOps environments named in pipelines/environments/*.yml (when the project has a
  deploy pipeline), plus an Approval check on prod for each --prod-approver given;
- on the main branch: build validation with the pull-request pipeline, and "check for linked
  work items" (AB#<id> links a pull request to its work item).

Guarantees: idempotent (whatever exists, matched by name, is left alone: a second run
creates nothing); nothing is written without --yes or a "y" at the prompt; the token is read
from AZURE_DEVOPS_EXT_PAT (or SYSTEM_ACCESSTOKEN, or an `az login` session) and never
printed. Exit codes: 0 done or planned, 1 a request failed, 2 bad input, 3 not authorized.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
API = "7.1"
CHECKS_API = "7.1-preview.1"
BUILD_POLICY = "0609b952-1397-4640-95ec-e00a01b2c241"
WORK_ITEM_POLICY = "40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e"
APPROVAL_CHECK = "8c6f20a7-a545-4486-9777-f762fafe0d4d"
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
PR_PIPELINE = "pr-validation"

Transport = Callable[[str, str, Any], tuple[int, Any]]


class SetupError(Exception):
    """A failed or refused request; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Settings:
    org_url: str
    project: str
    repository: str
    branch: str
    slug: str
    prod_approvers: list[str] = field(default_factory=list)


@dataclass
class Action:
    kind: str
    name: str
    exists: bool
    detail: str = ""


# --- what should exist ---------------------------------------------------------------------


def pipeline_files(root: Path) -> list[Path]:
    return sorted((root / "pipelines").glob("*.yml"))


def environment_names(root: Path) -> dict[str, str]:
    """Stage name (dev, prod) -> Azure DevOps environment, from pipelines/environments/."""
    names = {}
    for file in sorted((root / "pipelines" / "environments").glob("*.yml")):
        variables = (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("variables", [])
        for entry in variables:
            if isinstance(entry, dict) and entry.get("name") == "adoEnvironment":
                names[file.stem] = str(entry["value"])
    return names


def load_settings(root: Path, args: argparse.Namespace) -> Settings:
    """Flags > environment > project.yml; SetupError(code 2) naming a missing value."""
    try:
        config = yaml.safe_load((root / "project.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SetupError(f"project.yml cannot be read: {error}", 2) from None
    ado = config.get("azure_devops") or {}
    slug = str((config.get("project") or {}).get("slug") or root.name)
    org = args.org_url or os.environ.get("AZURE_DEVOPS_ORG_URL") or ado.get("organization_url")
    project = args.project or os.environ.get("AZURE_DEVOPS_PROJECT") or ado.get("project")
    for name, value in (("organization URL", org), ("project", project)):
        if not value:
            raise SetupError(f"no Azure DevOps {name}: set it in project.yml (azure_devops)", 2)
    if "your-organization" in str(org):
        raise SetupError(
            "project.yml: azure_devops.organization_url is still the placeholder; set it or "
            "pass --org-url https://dev.azure.com/ORG",
            2,
        )
    repository = args.repository or repository_from_git(root) or slug
    return Settings(
        str(org).rstrip("/"), str(project), repository, args.branch, slug, args.prod_approver
    )


def repository_from_git(root: Path) -> str | None:
    """The Azure Repos repository name of ``origin`` (…/_git/<name>), if there is one."""
    try:
        url = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"/_git/([^/?#]+)", url)
    return urllib.parse.unquote(match.group(1)) if match else None


# --- talking to Azure DevOps ----------------------------------------------------------------


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
            "Build, Code, Environment, Project and Team) or run `az login`",
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
            raise SetupError(f"{method} {url.split('?')[0]}: no answer ({error})") from None

    return send


class AzureDevOps:
    """The few REST calls this script makes; every failure becomes a one-line SetupError."""

    def __init__(self, settings: Settings, send: Transport) -> None:
        self.base = f"{settings.org_url}/{urllib.parse.quote(settings.project)}/_apis"
        self.send = send

    def call(self, method: str, path: str, body: Any = None, api: str = API, **query: str) -> Any:
        url = f"{self.base}/{path}?" + urllib.parse.urlencode({**query, "api-version": api})
        status, payload = self.send(method, url, body)
        if status in (401, 403):
            raise SetupError(
                f"{method} {path}: not authorized ({status}); the token needs the scopes listed "
                "in pipelines/README.md",
                3,
            )
        if status >= 300:
            message = payload.get("message") if isinstance(payload, dict) else payload
            raise SetupError(f"{method} {path}: {status} {message}")
        return payload

    def repository_id(self, name: str) -> str:
        return str(self.call("GET", f"git/repositories/{urllib.parse.quote(name)}")["id"])

    def pipelines(self) -> dict[str, int]:
        return {
            p["name"]: int(p["id"])
            for p in self.call("GET", "pipelines", **{"$top": "1000"})["value"]
        }

    def environments(self) -> dict[str, int]:
        return {
            e["name"]: int(e["id"])
            for e in self.call("GET", "distributedtask/environments", **{"$top": "1000"})["value"]
        }

    def approval_exists(self, environment_id: int) -> bool:
        checks = self.call(
            "GET",
            "pipelines/checks/configurations",
            api=CHECKS_API,
            resourceType="environment",
            resourceId=str(environment_id),
        )["value"]
        return any(c.get("type", {}).get("id", "").lower() == APPROVAL_CHECK for c in checks)

    def policy_exists(self, repository_id: str, ref: str, policy_type: str) -> bool:
        found = self.call(
            "GET",
            "policy/configurations",
            repositoryId=repository_id,
            refName=ref,
            policyType=policy_type,
        )["value"]
        return bool(found)


# --- plan and apply --------------------------------------------------------------------------


def plan(root: Path, settings: Settings, ado: AzureDevOps) -> tuple[list[Action], dict[str, Any]]:
    """What exists and what is missing, from read requests only."""
    state: dict[str, Any] = {"repository_id": ado.repository_id(settings.repository)}
    state["pipelines"] = ado.pipelines()
    state["environments"] = (
        ado.environments() if (root / "pipelines" / "deploy.yml").is_file() else {}
    )
    actions = [
        Action(
            "pipeline",
            f"{settings.slug}-{file.stem}",
            f"{settings.slug}-{file.stem}" in state["pipelines"],
            f"/pipelines/{file.name}",
        )
        for file in pipeline_files(root)
    ]
    if (root / "pipelines" / "deploy.yml").is_file():
        for stage, name in environment_names(root).items():
            actions.append(Action("environment", name, name in state["environments"], stage))
            if stage == "prod" and settings.prod_approvers:
                exists = name in state["environments"] and ado.approval_exists(
                    state["environments"][name]
                )
                actions.append(Action("approval", name, exists, ", ".join(settings.prod_approvers)))
    ref = f"refs/heads/{settings.branch}"
    for policy, label in (
        (BUILD_POLICY, "build validation"),
        (WORK_ITEM_POLICY, "linked work items"),
    ):
        exists = ado.policy_exists(state["repository_id"], ref, policy)
        actions.append(Action("policy", f"{label} on {settings.branch}", exists, policy))
    return actions, state


def apply(
    actions: list[Action], settings: Settings, ado: AzureDevOps, state: dict[str, Any], echo=print
) -> None:
    """Create every missing item, in an order where each one finds what it refers to."""
    repo = state["repository_id"]
    for action in (a for a in actions if not a.exists):
        if action.kind == "pipeline":
            created = ado.call(
                "POST",
                "pipelines",
                {
                    "name": action.name,
                    "folder": "\\",
                    "configuration": {
                        "type": "yaml",
                        "path": action.detail,
                        "repository": {"id": repo, "type": "azureReposGit"},
                    },
                },
            )
            state["pipelines"][action.name] = int(created["id"])
        elif action.kind == "environment":
            created = ado.call(
                "POST",
                "distributedtask/environments",
                {
                    "name": action.name,
                    "description": f"{settings.slug} {action.detail}, see pipelines/environments",
                },
            )
            state["environments"][action.name] = int(created["id"])
        elif action.kind == "approval":
            ado.call(
                "POST",
                "pipelines/checks/configurations",
                {
                    "type": {"id": APPROVAL_CHECK, "name": "Approval"},
                    "settings": {
                        "approvers": [{"id": approver} for approver in settings.prod_approvers],
                        "minRequiredApprovers": 1,
                        "requesterCannotBeApprover": True,
                        "instructions": "Check the dev deployment and the training metrics first.",
                    },
                    "resource": {
                        "type": "environment",
                        "id": str(state["environments"][action.name]),
                        "name": action.name,
                    },
                    "timeout": 43200,
                },
                api=CHECKS_API,
            )
        elif action.kind == "policy":
            scope = [
                {
                    "repositoryId": repo,
                    "refName": f"refs/heads/{settings.branch}",
                    "matchKind": "exact",
                }
            ]
            policy_settings: dict[str, Any] = {"scope": scope}
            if action.detail == BUILD_POLICY:
                policy_settings.update(
                    {
                        "buildDefinitionId": state["pipelines"][f"{settings.slug}-{PR_PIPELINE}"],
                        "displayName": "Pull-request validation",
                        "queueOnSourceUpdateOnly": False,
                        "manualQueueOnly": False,
                        "validDuration": 720,
                    }
                )
            ado.call(
                "POST",
                "policy/configurations",
                {
                    "isEnabled": True,
                    "isBlocking": True,
                    "type": {"id": action.detail},
                    "settings": policy_settings,
                },
            )
        echo(f"created {action.kind}: {action.name}")


def main(
    argv: list[str] | None = None,
    *,
    transport: Transport | None = None,
    root: Path = ROOT,
    ask: Callable[[str], str] = input,
) -> int:
    """Plan, then apply when confirmed; ``transport`` is the seam tests replace."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org-url", help="default: project.yml azure_devops.organization_url")
    parser.add_argument("--project", help="default: project.yml azure_devops.project")
    parser.add_argument("--repository", help="Azure Repos repository (default: git origin's)")
    parser.add_argument("--branch", default="main", help="branch that gets the policies")
    parser.add_argument(
        "--prod-approver",
        action="append",
        default=[],
        metavar="ID",
        help="user or group id that approves prod deployments (repeatable)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(root, args)
        ado = AzureDevOps(settings, transport or http_transport(authorization()))
        actions, state = plan(root, settings, ado)
        for action in actions:
            print(f"  {'exists ' if action.exists else 'create '} {action.kind:<12} {action.name}")
        missing = [a for a in actions if not a.exists]
        if not missing:
            print("Nothing to create: everything is in place.")
            return 0
        if args.dry_run:
            print(f"Dry run: {len(missing)} item(s) would be created.")
            return 0
        if not args.yes:
            if not sys.stdin.isatty() and ask is input:
                print("Not applied: run again with --yes (no terminal to ask).")
                return 0
            if (
                ask(f"Create {len(missing)} item(s) in {settings.org_url}? [y/N] ").strip().lower()
                != "y"
            ):
                print("Nothing created.")
                return 0
        apply(actions, settings, ado, state)
    except SetupError as error:
        print(f"create_pipelines: error: {error}", file=sys.stderr)
        return error.code
    print("Done. On each pipeline's first run, permit it to use its service connection.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
