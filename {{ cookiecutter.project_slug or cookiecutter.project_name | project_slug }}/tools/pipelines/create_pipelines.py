"""Create this repository's pipelines, environments and branch policies in Azure DevOps.

    python tools/pipelines/create_pipelines.py --dry-run     # read what exists, print the plan
    python tools/pipelines/create_pipelines.py --yes         # create what is missing

What it sets up (the YAML files stay the definition; this only registers them):
- one pipeline per file in pipelines/*.yml, named "<project slug>-<file name>", in the root
  folder (the deployment pipeline's trigger finds "<slug>-train" by that name; in a folder
  the trigger would have to spell the folder too);
- a first run of each pipeline with a CI trigger that has never run: a pipeline created over
  REST may not fire its CI trigger before it ran once (azure-devops-cli-extension#999);
  --skip-first-run leaves them alone;
- the Azure DevOps environments named in pipelines/environments/*.yml (when project.yml
  project.deployment is not "none"), plus an Approval check on prod with the approvers of
  --prod-approver, or else of project.yml azure_devops.release_approvers (e-mails of members
  of azure_devops.team);
- on the main branch: build validation with the pull-request pipeline, and "check for linked
  work items" (AB#<id> links a pull request to its work item).
It also reports which service connections named in pipelines/environments/ are missing (they
need Azure details, so they are created by hand: pipelines/README.md).

Guarantees: every request is an operation of ado_operations.json; idempotent (what exists,
found by filtered lookups, is left alone: a second run creates nothing); nothing is written
without --yes or a "y" at the prompt; the token is read from AZURE_DEVOPS_EXT_PAT (or
SYSTEM_ACCESSTOKEN, or an `az login` session) and never printed. Exit codes: 0 done or
planned, 1 a request failed, 2 bad input, 3 not authorized.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ado_rest import AzureDevOps, SetupError, Transport, authorization, http_transport

ROOT = Path(__file__).resolve().parents[2]
BUILD_POLICY = "0609b952-1397-4640-95ec-e00a01b2c241"
WORK_ITEM_POLICY = "40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e"
PR_PIPELINE = "pr-validation"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Settings:
    org_url: str
    project: str
    repository: str
    branch: str
    slug: str
    team: str
    prod_approvers: list[str] = field(default_factory=list)  # identity ids or e-mails
    deploys: bool = True  # the answers chose a deployment: environments and approvals
    first_runs: bool = True

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"


@dataclass
class Action:
    kind: str
    name: str
    exists: bool
    detail: str = ""


# --- what should exist ---------------------------------------------------------------------


def pipeline_files(root: Path) -> list[Path]:
    return sorted((root / "pipelines").glob("*.yml"))


def has_ci_trigger(file: Path) -> bool:
    """A YAML pipeline without ``trigger`` runs on every push: only ``trigger: none`` has none."""
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return True
    return str(document.get("trigger", "")).strip().lower() != "none"


def environment_variables(root: Path, name: str) -> dict[str, str]:
    """Stage name (dev, prod) -> the value of variable ``name`` in pipelines/environments/."""
    values = {}
    for file in sorted((root / "pipelines" / "environments").glob("*.yml")):
        variables = (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("variables", [])
        for entry in variables:
            if isinstance(entry, dict) and entry.get("name") == name and entry.get("value"):
                values[file.stem] = str(entry["value"])
    return values


def environment_names(root: Path) -> dict[str, str]:
    return environment_variables(root, "adoEnvironment")


def release_approvers(ado: dict[str, Any]) -> list[str]:
    """project.yml azure_devops.release_approvers: absent or empty means nobody."""
    approvers = ado.get("release_approvers") or []
    if not isinstance(approvers, list):
        raise SetupError(
            "project.yml: azure_devops.release_approvers: must be a list of e-mails", 2
        )
    for index, approver in enumerate(approvers):
        if not isinstance(approver, str) or not EMAIL.match(approver.strip()):
            raise SetupError(
                f"project.yml: azure_devops.release_approvers[{index}]: {approver!r} is not an "
                "e-mail",
                2,
            )
    return [a.strip() for a in approvers]


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
        org_url=str(org).rstrip("/"),
        project=str(project),
        repository=repository,
        branch=args.branch,
        slug=slug,
        team=str(ado.get("team") or f"{project} Team"),
        prod_approvers=args.prod_approver or release_approvers(ado),
        first_runs=not args.skip_first_run,
        deploys=(config.get("project") or {}).get("deployment", "none") != "none",
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


def approver_ids(settings: Settings, ado: AzureDevOps) -> list[str]:
    """Identity ids of the prod approvers; e-mails are looked up among the team's members."""
    emails = [a for a in settings.prod_approvers if "@" in a]
    if not emails:
        return list(settings.prod_approvers)
    members = ado.team_member_ids(settings.team)
    unknown = [e for e in emails if e.lower() not in members]
    if unknown:
        raise SetupError(
            f"prod approvers: {', '.join(unknown)} not a member of team {settings.team!r} "
            "(add them to the team, or pass --prod-approver with their identity id)",
            2,
        )
    return [members[a.lower()] if "@" in a else a for a in settings.prod_approvers]


# --- plan and apply --------------------------------------------------------------------------


def plan(root: Path, settings: Settings, ado: AzureDevOps) -> tuple[list[Action], dict[str, Any]]:
    """What exists and what is missing, from read requests only."""
    state: dict[str, Any] = {"repository_id": ado.repository_id(settings.repository)}
    state["pipelines"] = {}
    actions = []
    for file in pipeline_files(root):
        name = f"{settings.slug}-{file.stem}"
        found = ado.pipeline_id(name)
        if found is not None:
            state["pipelines"][name] = found
        actions.append(Action("pipeline", name, found is not None, f"/pipelines/{file.name}"))
        if settings.first_runs and has_ci_trigger(file):
            ran = found is not None and ado.has_run(found)
            actions.append(Action("first run", name, ran, settings.branch))
    state["environments"] = {}
    if settings.deploys:
        for stage, name in environment_names(root).items():
            found = ado.environment_id(name)
            if found is not None:
                state["environments"][name] = found
            actions.append(Action("environment", name, found is not None, stage))
            if stage == "prod" and settings.prod_approvers:
                state["approvers"] = approver_ids(settings, ado)
                exists = found is not None and ado.approval_exists(found)
                actions.append(Action("approval", name, exists, ", ".join(settings.prod_approvers)))
    pr_pipeline = state["pipelines"].get(f"{settings.slug}-{PR_PIPELINE}")
    for policy, label in (
        (BUILD_POLICY, "build validation"),
        (WORK_ITEM_POLICY, "linked work items"),
    ):
        # Build validation of a pipeline that does not exist yet cannot exist either.
        exists = (policy != BUILD_POLICY or pr_pipeline is not None) and ado.policy_exists(
            state["repository_id"],
            settings.ref,
            policy,
            pr_pipeline if policy == BUILD_POLICY else None,
        )
        actions.append(Action("policy", f"{label} on {settings.branch}", exists, policy))
    connections = sorted(set(environment_variables(root, "serviceConnection").values()))
    state["missing_connections"] = sorted(set(connections) - ado.service_connections(connections))
    return actions, state


def policy_settings(action: Action, settings: Settings, state: dict[str, Any]) -> dict[str, Any]:
    scope = [
        {"repositoryId": state["repository_id"], "refName": settings.ref, "matchKind": "exact"}
    ]
    if action.detail != BUILD_POLICY:
        return {"scope": scope}
    return {
        "scope": scope,
        "buildDefinitionId": state["pipelines"][f"{settings.slug}-{PR_PIPELINE}"],
        "displayName": "Pull-request validation",
        "queueOnSourceUpdateOnly": False,
        "manualQueueOnly": False,
        "validDuration": 720,
    }


def apply(
    actions: list[Action], settings: Settings, ado: AzureDevOps, state: dict[str, Any], echo=print
) -> None:
    """Create every missing item, in an order where each one finds what it refers to; first
    runs go last, once the policies and environments they meet are in place."""
    missing = [a for a in actions if not a.exists]
    for action in sorted(missing, key=lambda a: a.kind == "first run"):
        if action.kind == "pipeline":
            state["pipelines"][action.name] = ado.create_pipeline(
                action.name, action.detail, state["repository_id"]
            )
        elif action.kind == "environment":
            state["environments"][action.name] = ado.create_environment(
                action.name, f"{settings.slug} {action.detail}, see pipelines/environments"
            )
        elif action.kind == "approval":
            environment_id = state["environments"][action.name]
            ado.add_approval(environment_id, action.name, state["approvers"])
        elif action.kind == "policy":
            ado.create_policy(action.detail, policy_settings(action, settings, state))
        elif action.kind == "first run":
            run = ado.run_pipeline(state["pipelines"][action.name], settings.ref)
            web = ((run.get("_links") or {}).get("web") or {}).get("href", "")
            echo(f"queued first run: {action.name} on {action.detail}, run {run['id']} {web}")
            continue
        echo(f"created {action.kind}: {action.name}")


def status(action: Action) -> str:
    if action.kind == "first run":
        return "ran" if action.exists else "queue"
    return "exists" if action.exists else "create"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
        help="identity id (or team member's e-mail) that approves prod deployments "
        "(repeatable; default: project.yml azure_devops.release_approvers)",
    )
    parser.add_argument(
        "--skip-first-run",
        action="store_true",
        help="do not queue the first run of pipelines with a CI trigger that never ran",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--yes", action="store_true", help="apply without asking")
    return parser.parse_args(argv)


def main(
    argv: list[str] | None = None,
    *,
    transport: Transport | None = None,
    root: Path = ROOT,
    ask: Callable[[str], str] = input,
) -> int:
    """Plan, then apply when confirmed; ``transport`` is the seam tests replace."""
    args = parse_args(argv)
    try:
        settings = load_settings(root, args)
        send = transport or http_transport(authorization())
        ado = AzureDevOps(settings.org_url, settings.project, send)
        actions, state = plan(root, settings, ado)
        for action in actions:
            print(f"  {status(action):<8} {action.kind:<12} {action.name}")
        for name in state["missing_connections"]:
            print(f"  missing  service connection {name} (create it by hand: pipelines/README.md)")
        missing = [a for a in actions if not a.exists]
        if not missing:
            print("Nothing to create: everything is in place.")
            return 0
        if args.dry_run:
            print(f"Dry run: {len(missing)} item(s) would be created or queued.")
            return 0
        if not args.yes:
            if not sys.stdin.isatty() and ask is input:
                print("Not applied: run again with --yes (no terminal to ask).")
                return 0
            question = f"Create or queue {len(missing)} item(s) in {settings.org_url}? [y/N] "
            if ask(question).strip().lower() != "y":
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
