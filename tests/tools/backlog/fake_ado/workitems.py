"""Work item creation and update by JSON Patch, as the service applies it (one item at a time).

Used by the ``$batch`` endpoint: every sub-request is applied on its own (the batch is not
transactional), temporary negative ids map to real ids within one batch.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fake_ado.people import record_revision
from fake_ado.state import PARENT, Project, ServiceError

CHILD = "System.LinkTypes.Hierarchy-Forward"
KNOWN_RELATIONS = {PARENT, CHILD, "System.LinkTypes.Related", "Hyperlink", "ArtifactLink"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def _tags(value: Any) -> list[str]:
    seen: dict[str, str] = {}
    for tag in str(value or "").split(";"):
        tag = tag.strip()
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return sorted(seen.values(), key=str.lower)


def _target_id(url: str, temp: dict[int, int]) -> int:
    tail = str(url).rstrip("/").rsplit("/", 1)[-1]
    try:
        number = int(tail)
    except ValueError:
        raise ServiceError(400, f"VS402301: Invalid work item link url {url}.") from None
    if number < 0:
        if number not in temp:
            raise ServiceError(400, f"VS402302: Unknown temporary work item id {number}.")
        return temp[number]
    return number


def _check_link(
    project: Project,
    item: dict[str, Any],
    value: dict[str, Any],
    temp: dict[int, int],
    has_parent: bool,
) -> int:
    """The target id of a new link, after the service's checks (nothing is changed yet)."""
    rel = value.get("rel") if isinstance(value, dict) else None
    if rel not in KNOWN_RELATIONS:
        raise ServiceError(400, f"VS402313: Unknown relation type {rel}.")
    target_id = _target_id(value.get("url", ""), temp)
    if target_id not in project.items:
        raise ServiceError(
            404, f"TF401232: Work item {target_id} does not exist.", "WorkItemNotFoundException"
        )
    if target_id == item["id"]:
        raise ServiceError(400, "TF201035: A work item cannot link to itself.")
    if rel == PARENT and has_parent:
        raise ServiceError(
            400,
            f"TF201036: You cannot add a Child link between work items {target_id} and "
            f"{item['id']} because a work item can have only one Parent link.",
            "WorkItemLinkInvalidException",
        )
    return target_id


def _link(project: Project, item: dict[str, Any], rel: str, target_id: int, org_url: str) -> None:
    url = f"{org_url}/_apis/wit/workItems/{target_id}"
    item["relations"].append({"rel": rel, "url": url, "attributes": {"isLocked": False}})
    if rel == PARENT:  # the parent gets the other end of the link, and a revision
        target = project.items[target_id]
        back = f"{org_url}/_apis/wit/workItems/{item['id']}"
        target["relations"].append({"rel": CHILD, "url": back, "attributes": {"isLocked": False}})
        target["rev"] += 1


def _unlink(project: Project, item: dict[str, Any], index: int) -> None:
    relation = item["relations"].pop(index)
    if relation["rel"] == PARENT:
        parent = project.items.get(_target_id(relation["url"], {}))
        if parent is not None:
            suffix = f"/{item['id']}"
            parent["relations"] = [
                r
                for r in parent["relations"]
                if not (r["rel"] == CHILD and r["url"].endswith(suffix))
            ]
            parent["rev"] += 1


def apply_patch(
    project: Project,
    item: dict[str, Any],
    ops: list[dict[str, Any]],
    org_url: str,
    temp: dict[int, int],
    *,
    creating: bool,
) -> None:
    """Apply JSON Patch ``ops`` to ``item`` (a fresh dict when creating); raise on any rule."""
    if not isinstance(ops, list):
        raise ServiceError(400, "VS402300: The request body must be a JSON Patch array.")
    fields: dict[str, Any] = {}
    links: list[tuple[str, Any]] = []
    temp_id: int | None = None
    for op in ops:
        kind, path, value = op.get("op"), str(op.get("path", "")), op.get("value")
        if kind == "test" and path == "/rev":
            if creating or int(value) != item["rev"]:
                raise ServiceError(
                    412,
                    "TF26071: This work item has been changed by someone else since you opened it.",
                    "WorkItemRevisionMismatchException",
                )
        elif kind == "add" and path == "/id":
            if not creating or int(value) >= 0:
                raise ServiceError(400, "VS402305: /id can only be set to a temporary id.")
            temp_id = int(value)  # known to later requests only once the item exists
        elif kind in ("add", "replace") and path.startswith("/fields/"):
            name = path.removeprefix("/fields/")
            if name == "System.Tags" and kind == "add" and not creating:
                value = "; ".join(_tags(f"{item['fields'].get('System.Tags', '')};{value}"))
            fields[name] = value
        elif kind == "remove" and path.startswith("/fields/"):
            fields[path.removeprefix("/fields/")] = None
        elif kind == "add" and path == "/relations/-":
            links.append(("add", value))
        elif kind == "remove" and path.startswith("/relations/"):
            links.append(("remove", int(path.rsplit("/", 1)[-1])))
        else:
            raise ServiceError(400, f"VS402306: Unsupported patch operation {kind} {path}.")
    planned_links: list[tuple[str, Any]] = []
    relations = list(item["relations"])
    has_parent = any(r["rel"] == PARENT for r in relations)
    for kind, value in links:
        if kind == "remove":
            if not 0 <= value < len(relations):
                raise ServiceError(400, f"VS402304: There is no relation at index {value}.")
            if relations.pop(value)["rel"] == PARENT:
                has_parent = False
            planned_links.append((kind, value))
        else:
            target_id = _check_link(project, item, value, temp, has_parent)
            has_parent = has_parent or value["rel"] == PARENT
            planned_links.append((value["rel"], target_id))
    project.check_fields(
        item["fields"]["System.WorkItemType"],
        {k: v for k, v in fields.items() if v is not None},
        item["id"],
    )
    title = fields.get("System.Title", item["fields"].get("System.Title"))
    if not str(title or "").strip():
        raise ServiceError(
            400,
            "TF401320: Rule Error for field Title. Error code: Required, InvalidEmpty.",
            "RuleValidationException",
        )
    for name, value in fields.items():
        if value is None:
            item["fields"].pop(name, None)
        elif name == "System.Tags":
            tags = _tags(value)
            if tags:
                item["fields"]["System.Tags"] = "; ".join(tags)
            else:
                item["fields"].pop("System.Tags", None)
        else:
            item["fields"][name] = project.store_value(name, value)
    if creating:
        project.items[item["id"]] = item
        if temp_id is not None:
            temp[temp_id] = item["id"]
    for kind, value in planned_links:
        if kind == "remove":
            _unlink(project, item, value)
        else:
            _link(project, item, kind, value, org_url)
    if not creating:
        item["rev"] += 1
    item["fields"]["System.Rev"] = item["rev"]
    item["fields"]["System.ChangedDate"] = _now()


def new_item(project: Project, item_id: int, work_type: str) -> dict[str, Any]:
    definition = project.process.types.get(work_type)
    if definition is None:
        raise ServiceError(
            404,
            f"VS402323: Work item type {work_type} does not exist in project {project.name}.",
            "WorkItemTypeNotFoundException",
        )
    now = _now()
    return {
        "id": item_id,
        "rev": 1,
        "relations": [],
        "fields": {
            "System.Id": item_id,
            "System.WorkItemType": work_type,
            "System.TeamProject": project.name,
            "System.State": definition.states[0][0],
            "System.Reason": "New",
            "System.AreaPath": project.name,
            "System.IterationPath": project.name,
            "System.CreatedDate": now,
        },
    }


CREATE_URI = re.compile(r"^/(?P<project>[^/]+)/_apis/wit/workitems/\$(?P<type>[^/?]+)$", re.I)
UPDATE_URI = re.compile(r"^(?:/[^/]+)?/_apis/wit/workitems/(?P<id>\d+)$", re.I)


def run_batch(org: Any, body: Any, base: str) -> dict[str, Any]:
    """Apply each sub-request on its own (the batch is not transactional); one result each."""
    if not isinstance(body, list):
        raise ServiceError(400, "VS402300: The batch body must be a JSON array of requests.")
    if len(body) > 200:
        raise ServiceError(400, "VS403474: A batch may hold at most 200 requests.")
    temp: dict[int, int] = {}
    results = []
    for sub in body:
        try:
            results.append(
                {
                    "code": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(_batch_one(org, sub, base, temp)),
                }
            )
        except ServiceError as error:
            payload = {
                "innerException": None,
                "message": error.message,
                "typeKey": error.type_key,
                "errorCode": 0,
                "eventId": 3200,
            }
            results.append(
                {
                    "code": error.status,
                    "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(payload),
                }
            )
    return {"count": len(results), "value": results}


def _batch_one(org: Any, sub: Any, base: str, temp: dict[int, int]) -> dict[str, Any]:
    if not isinstance(sub, dict) or str(sub.get("method", "")).upper() != "PATCH":
        raise ServiceError(400, "VS402307: Only PATCH (create or update) is supported in a batch.")
    headers = {k.lower(): v for k, v in (sub.get("headers") or {}).items()}
    if headers.get("content-type") != "application/json-patch+json":
        raise ServiceError(
            415, "VS402308: A batch request needs Content-Type application/json-patch+json."
        )
    parts = urlsplit(str(sub.get("uri", "")))
    if not parse_qs(parts.query).get("api-version"):
        raise ServiceError(400, "VS402309: The api-version is missing from the request uri.")
    project = org.project
    create, update = CREATE_URI.match(parts.path), UPDATE_URI.match(parts.path)
    if create:
        if unquote(create["project"]).lower() not in (project.name.lower(), project.id):
            raise ServiceError(404, "TF200016: The following project does not exist.")
        item = new_item(project, org.next_id(), unquote(create["type"]))
        apply_patch(project, item, sub.get("body"), base, temp, creating=True)
    elif update:
        item = project.items.get(int(update["id"]))
        if item is None:
            raise ServiceError(404, f"TF401232: Work item {update['id']} does not exist.")
        apply_patch(project, item, sub.get("body"), base, temp, creating=False)
    else:
        raise ServiceError(404, f"VS402310: The uri {parts.path} is not a work item resource.")
    record_revision(item, org.caller)
    return {
        "id": item["id"],
        "rev": item["rev"],
        "fields": dict(item["fields"]),
        "relations": item["relations"],
        "url": f"{base}/_apis/wit/workItems/{item['id']}",
    }
