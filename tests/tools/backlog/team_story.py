"""The cast of the sync tests: a person editing the board through the REST API with their own
credential, and fresh copies of this project to run ``python -m backlog apply`` from.

Each apply runs in a subprocess from a new copy of the project (no state outside the files
git tracks, a new SDK cache), as the sync pipeline and a new laptop do.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from fake_ado import FakeAdo

IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".venv", "outputs", "*.egg-info", ".*cache")
BOARD = {"agile": "Stories", "scrum": "Backlog items"}
SIZE_FIELD = {
    "agile": "Microsoft.VSTS.Scheduling.StoryPoints",
    "scrum": "Microsoft.VSTS.Scheduling.Effort",
}
MEMBERS = ["ana@example.org", "bo@example.org"]  # WIP limit 2


class Person:
    """Someone on the team, editing the board the way the web UI does: REST, own identity."""

    def __init__(self, ado: FakeAdo, pat: str) -> None:
        self.ado, self.pat = ado, pat
        self.project = ado.org.project.name
        self.team = next(iter(ado.org.project.teams.values())).name

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        url = f"{self.ado.url}/{route}{'&' if '?' in route else '?'}api-version=7.1"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        token = base64.b64encode(f":{self.pat}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - local
            text = answer.read()
        return json.loads(text) if text else None

    def edit_item(self, item_id: int, fields: dict[str, Any]) -> None:
        patch = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
        sub = {
            "method": "PATCH",
            "uri": f"/_apis/wit/workitems/{item_id}?api-version=7.1",
            "headers": {"Content-Type": "application/json-patch+json"},
            "body": patch,
        }
        (answer,) = self._call("PATCH", "_apis/wit/$batch", [sub])["value"]
        assert answer["code"] == 200, answer

    def set_wip_limit(self, process: str, column_type: str, limit: int) -> None:
        route = (
            f"{quote(self.project)}/{quote(self.team)}/_apis/work/boards/"
            f"{quote(BOARD[process])}/columns"
        )
        columns = self._call("GET", route)["value"]
        for column in columns:
            if column["columnType"] == column_type:
                column["itemLimit"] = limit
        self._call("PUT", route, columns)

    def changed_by(self, item_id: int) -> list[str]:
        """Who saved each revision of the item, oldest first (Revisions - List)."""
        route = f"{quote(self.project)}/_apis/wit/workItems/{item_id}/revisions"
        revisions = self._call("GET", route)["value"]
        return [r["fields"]["System.ChangedBy"]["displayName"] for r in revisions]


def fresh_copy(project_root: Path, where: Path) -> Path:
    """A copy of this project as a fresh checkout has it."""
    shutil.copytree(project_root, where, ignore=IGNORED)
    text = (where / "project.yml").read_text(encoding="utf-8")
    members = "team_members: [" + ", ".join(MEMBERS) + "]"
    (where / "project.yml").write_text(text.replace("team_members: []", members), "utf-8")
    return where


def edit_backlog(copy: Path, change) -> None:
    """Apply ``change(data)`` to the copy's backlog.yml, as a person editing the file."""
    path = copy / "backlog" / "backlog.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def story(data: dict, phase: str, key: str) -> dict:
    found = next(p for p in data["phases"] if p["key"] == phase)
    return next(s for s in found["stories"] if s["key"] == key)


def apply_from(copy: Path, ado: FakeAdo, *args: str) -> subprocess.CompletedProcess:
    """``python -m backlog apply`` in ``copy`` against the local server, with its own cache."""
    project = ado.org.project
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_DEVOPS")}
    env.update(
        AZURE_DEVOPS_EXT_PAT=ado.org.pat,
        AZURE_DEVOPS_CACHE_DIR=str(copy / ".sdk-cache"),
        PYTHONPATH=str(copy / "tools"),  # the copy's own tools, as `make` puts them on the path
    )
    command = [sys.executable, "-m", "backlog", "apply", "--org-url", ado.url]
    command += ["--project", project.name, "--team", next(iter(project.teams.values())).name]
    return subprocess.run(
        [*command, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=120
    )


def items_by_key(ado: FakeAdo, slug: str) -> dict[str, dict]:
    """The board's items by key; fails on a duplicated key."""
    prefix = f"ml-key:{slug}:"
    found: dict[str, dict] = {}
    for item in ado.org.project.items.values():
        for tag in item["fields"].get("System.Tags", "").split("; "):
            if tag.startswith(prefix):
                key = tag[len(prefix) :]
                assert key not in found, f"duplicate key {key}"
                found[key] = item
    return found
