"""Who is calling, project properties and work item revisions, as the service keeps them.

- Every credential is an identity: the default PAT is the person who runs ``apply``, more PATs
  (``FakeAdo(people={pat: name})``) are people editing the board through the REST API, as
  the web UI does. Each work item write records ``System.ChangedBy`` and a revision.
- Project properties (Projects - Get/Set Project Properties): a name -> value store beside the
  process properties the service always has; ``keys`` filters with ``*``/``?`` wildcards,
  case-insensitively; a JSON Patch of ``add``/``remove`` changes it, all or nothing.
- Revisions (Revisions - List): every saved state of an item with who saved it.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from fake_ado.state import Project, ServiceError

MAX_PROPERTY_CHARS = 1_000_000  # a guard of the local server, not a documented limit


def identity_ref(name: str) -> dict[str, str]:
    """An IdentityRef as work item fields carry it (``Name <mail>`` -> display and unique)."""
    display, _, mail = name.partition(" <")
    return {"displayName": display, "uniqueName": mail.rstrip(">") or display}


def record_revision(item: dict[str, Any], caller: str) -> None:
    """After a create or update: who changed it, and the revision as the service keeps it."""
    item["fields"]["System.ChangedBy"] = identity_ref(caller)
    if item["rev"] == 1:
        item["fields"]["System.CreatedBy"] = identity_ref(caller)
    revision = {"id": item["id"], "rev": item["rev"], "fields": dict(item["fields"])}
    item.setdefault("revisions", []).append(revision)


def revisions(project: Project, params: dict[str, str]) -> list[dict[str, Any]]:
    try:
        item = project.items[int(params["id"])]
    except (KeyError, ValueError):
        raise ServiceError(
            404, f"TF401232: Work item {params.get('id')} does not exist.", "WorkItemNotFound"
        ) from None
    return [dict(r) for r in item.get("revisions", [])]


def _check_project(project: Project, project_id: str) -> None:
    if project_id != project.id:  # the service wants the project GUID here
        raise ServiceError(
            404,
            f"TF200016: The following project does not exist: {project_id}.",
            "ProjectDoesNotExistWithNameException",
        )


def get_properties(project: Project, params: dict[str, str], query: dict[str, str]) -> list:
    _check_project(project, params["projectId"])
    props = {
        "System.ProcessTemplateType": project.process.type_id,
        "System.Process Template": project.process.name,
        "System.CurrentProcessTemplateId": project.process.type_id,
        **project.properties,
    }
    patterns = [k.strip().lower() for k in query.get("keys", "").split(",") if k.strip()]
    return [
        {"name": name, "value": value}
        for name, value in props.items()
        if not patterns or any(fnmatch.fnmatchcase(name.lower(), p) for p in patterns)
    ]


def set_properties(project: Project, params: dict[str, str], body: Any, content_type: str):
    _check_project(project, params["projectId"])
    if not content_type.startswith("application/json-patch+json"):
        raise ServiceError(
            415, "VS403001: Set Project Properties takes application/json-patch+json."
        )
    if not isinstance(body, list) or not body:
        raise ServiceError(400, "VS403002: The body must be a JSON Patch document (an array).")
    changed = dict(project.properties)
    for op in body:
        path = str(op.get("path", "")) if isinstance(op, dict) else ""
        name = path[1:]
        if not path.startswith("/") or not name or "/" in name:
            raise ServiceError(400, f"VS403003: Invalid property path {path!r}.")
        if op["op"] == "add":
            value = op.get("value")
            if (
                not isinstance(value, str | int | float | bool)
                or len(str(value)) > MAX_PROPERTY_CHARS
            ):
                raise ServiceError(400, f"VS403004: Invalid value for property {name}.")
            changed[name] = value
        elif op["op"] == "remove":
            changed.pop(name, None)
        else:  # the spec: "The accepted operation verbs are Add and Remove"
            raise ServiceError(400, f"VS403005: Operation {op['op']!r} is not supported.")
    project.properties = changed
