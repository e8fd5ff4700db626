"""One handler per operation of ``backlog/ado/operations.json``: (request) -> (status, body)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from fake_ado import people, wiql_engine
from fake_ado.processes import ALL_FIELDS, LINK_FIELDS, SYSTEM
from fake_ado.state import Node, Project, Query, ServiceError, Team
from fake_ado.workitems import run_batch

NO_PARENT = "00000000-0000-0000-0000-000000000000"


@dataclass
class Request:
    op: dict[str, Any]
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    base_url: str  # http://127.0.0.1:PORT/org
    content_type: str = ""


def _node_json(project: Project, node: Node, depth: int, base: str) -> dict[str, Any]:
    trail = project.node_path(node)
    data: dict[str, Any] = {
        "id": node.id,
        "identifier": node.identifier,
        "name": node.name,
        "structureType": "iteration",
        "hasChildren": bool(node.children),
        "path": "\\" + "\\".join([project.name, "Iteration", *trail]),
        "url": f"{base}/{project.id}/_apis/wit/classificationNodes/Iterations/" + "/".join(trail),
    }
    if node.start:
        data["attributes"] = {"startDate": node.start_sent, "finishDate": node.finish_sent}
    if depth > 0 and node.children:
        data["children"] = [_node_json(project, c, depth - 1, base) for c in node.children]
    return data


def _team_iteration(project: Project, team: Team, node: Node, base: str) -> dict[str, Any]:
    today = dt.date.today().isoformat()
    frame = "current"
    if node.start and node.start > today:
        frame = "future"
    elif node.finish and node.finish < today:
        frame = "past"
    attributes: dict[str, Any] = {"startDate": None, "finishDate": None, "timeFrame": frame}
    if node.start:
        attributes.update(startDate=node.start_sent, finishDate=node.finish_sent)
    return {
        "id": node.identifier,
        "name": node.name,
        "path": "\\".join([project.name, *project.node_path(node)]),
        "attributes": attributes,
        # As in the REST reference's examples: {org}/{projectId}/{teamId}/_apis/...
        "url": f"{base}/{project.id}/{team.id}/_apis/work/teamsettings/iterations/"
        f"{node.identifier}",
    }


def _query_json(project: Project, query: Query, depth: int, expand: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": query.id,
        "name": query.name,
        "path": project.query_path(query),
        "isPublic": True,
    }
    if query.wiql is None:
        data.update(isFolder=True, hasChildren=bool(query.children))
        if depth > 0 and query.children:
            data["children"] = [_query_json(project, c, depth - 1, expand) for c in query.children]
    elif expand.lower() in ("wiql", "all"):
        data["wiql"] = query.wiql
    return data


def saved_wiql(text: str) -> str:
    """WIQL the way the service stores it: keywords lower-case, no space after a comma,
    ``mode(...)``, and ``@currentIteration('[P]\\T <id:GUID>')`` (the team's id appended)."""
    parts = re.split(r"('(?:[^']|'')*'|\[[^\]]*\])", text)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            part = re.sub(r",\s+", ",", part.lower())
            part = re.sub(r"\bmode\s+\(", "mode(", part)
            part = part.replace("@currentiteration", "@currentIteration")
        elif part.startswith("'") and out and out[-1].rstrip().endswith("@currentIteration("):
            part = f"{part[:-1]} <id:{uuid.uuid5(uuid.NAMESPACE_URL, part)}>'"
        out.append(part)
    return "".join(out)


def _collection(values: list[Any]) -> dict[str, Any]:
    return {"count": len(values), "value": values}


def handle(org: Any, req: Request) -> tuple[int, Any]:
    name = req.op["name"]
    project = org.project
    p, q, body, base = req.params, req.query, req.body, req.base_url
    if "project" in p and p["project"].lower() not in (project.name.lower(), project.id):
        raise ServiceError(
            404,
            f"TF200016: The following project does not exist: {p['project']}.",
            "ProjectDoesNotExistWithNameException",
        )
    team = project.team(p["team"]) if "team" in p else None
    if name == "core.project":
        if p["projectId"].lower() not in (project.name.lower(), project.id):
            raise ServiceError(
                404,
                f"TF200016: The following project does not exist: {p['projectId']}.",
                "ProjectDoesNotExistWithNameException",
            )
        data = {"id": project.id, "name": project.name, "state": "wellFormed"}
        if q.get("includeCapabilities", "").lower() == "true":
            data["capabilities"] = {
                "processTemplate": {
                    "templateName": project.process.name,
                    "templateTypeId": project.process.type_id,
                }
            }
        return 200, data
    if name == "core.project_properties":
        return 200, _collection(people.get_properties(project, p, q))
    if name == "core.project_properties_set":
        people.set_properties(project, p, body, req.content_type)
        return 204, None
    if name == "wit.revisions":
        return 200, _collection(people.revisions(project, p))
    if name == "processes.get":
        known = {x.type_id: x for x in [*SYSTEM.values(), project.process]}
        process = known.get(p["processTypeId"].lower())
        if process is None:
            raise ServiceError(404, f"VS402356: The process {p['processTypeId']} does not exist.")
        return 200, {
            "typeId": process.type_id,
            "name": process.name,
            "parentProcessTypeId": process.parent_type_id or NO_PARENT,
            "customizationType": "inherited" if process.parent_type_id else "system",
        }
    if name == "wit.work_item_types":
        return 200, _collection(
            [
                {
                    "name": t.name,
                    "referenceName": "Microsoft.VSTS.WorkItemTypes." + t.name.replace(" ", ""),
                    "isDisabled": False,
                    "fields": [
                        {"referenceName": f, "name": f.rsplit(".", 1)[-1]} for f in sorted(t.fields)
                    ],
                    "states": [{"name": s, "category": c, "color": "b2b2b2"} for s, c in t.states],
                    "url": f"{base}/{project.id}/_apis/wit/workItemTypes/{t.name}",
                }
                for t in project.process.types.values()
            ]
        )
    if name == "wit.wiql":
        try:
            ids = project.wiql_ids(str((body or {}).get("query", "")))
        except wiql_engine.WiqlError as error:
            raise ServiceError(400, str(error), "InvalidQueryTextException") from None
        return 200, {
            "queryType": "flat",
            "queryResultType": "workItem",
            "asOf": dt.datetime.now(dt.UTC).isoformat(),
            "columns": [],
            "workItems": [{"id": i, "url": f"{base}/_apis/wit/workItems/{i}"} for i in ids],
        }
    if name == "wit.work_items_batch_get":
        return 200, _work_items_batch(project, body or {}, base)
    if name == "wit.batch":
        return 200, run_batch(org, body, base)
    if name == "work.team_iterations":
        nodes = [project.node_by_identifier(i) for i in team.subscribed]
        return 200, _collection([_team_iteration(project, team, n, base) for n in nodes if n])
    if name == "work.team_iteration_add":
        if team.backlog_iteration is None:  # the real service's answer (az CLI matches it)
            raise ServiceError(
                400,
                "The guid specified for parameter rootIterationId must not be Guid.Empty.",
                "ArgumentException",
            )
        node = project.node_by_identifier(str((body or {}).get("id", "")))
        if node is None:
            raise ServiceError(404, "VS402485: The iteration does not exist.")
        if node.identifier not in team.subscribed:
            team.subscribed.append(node.identifier)
        return 200, _team_iteration(project, team, node, base)
    if name == "work.team_settings":
        days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        data: dict[str, Any] = {"bugsBehavior": "asRequirements", "workingDays": days}
        if team.backlog_iteration:
            node = project.node_by_identifier(team.backlog_iteration)
            data["backlogIteration"] = {"id": node.identifier, "name": node.name, "path": ""}
        else:  # the real service sends the empty GUID, not "no object"
            data["backlogIteration"] = {"id": NO_PARENT, "name": None, "path": None}
        return 200, data
    if name == "work.team_settings_update":
        identifier = (body or {}).get("backlogIteration")
        if identifier:
            if project.node_by_identifier(str(identifier)) is None:
                raise ServiceError(400, "VS402485: The iteration does not exist.")
            team.backlog_iteration = str(identifier)
        return 200, {"backlogIteration": {"id": team.backlog_iteration}}
    if name == "work.team_field_values":
        return 200, {
            "field": {"referenceName": "System.AreaPath"},
            "defaultValue": project.name,
            "values": [{"value": project.name, "includeChildren": True}],
        }
    if name.startswith("wit.node_"):
        return _node_op(project, name, p, q, body, base)
    if name.startswith("wit.query_"):
        return _query_op(project, name, p, q, body)
    if name == "work.backlogs":
        process = project.process
        return 200, _collection(
            [
                {
                    "id": "Microsoft.RequirementCategory",
                    "name": process.board,
                    "type": "requirement",
                },
                {"id": "Microsoft.TaskCategory", "name": "Tasks", "type": "task"},
            ]
        )
    if name.startswith("work.board_columns"):
        if p["board"].lower() != project.process.board.lower():
            raise ServiceError(404, f"VS403075: The board {p['board']} does not exist.")
        if name == "work.board_columns_update":
            _check_columns(team.columns, body)
            team.columns = [dict(c) for c in body]
        return 200, _collection(team.columns)
    raise ServiceError(400, f"no handler for {name}")


def _work_items_batch(project: Project, body: dict[str, Any], base: str) -> dict[str, Any]:
    ids = body.get("ids") or []
    if len(ids) > 200:
        raise ServiceError(
            400, f"VS403474: The number of work item ids ({len(ids)}) exceeds the limit of 200."
        )
    expand = str(body.get("$expand") or "none").lower()
    if body.get("fields") and expand not in ("none", ""):
        raise ServiceError(
            400, "VS403467: The expand parameter can not be used with the fields parameter."
        )
    values = []
    for item_id in ids:
        item = project.items.get(item_id)
        if item is None:
            if str(body.get("errorPolicy", "fail")).lower() != "omit":
                raise ServiceError(404, f"TF401232: Work item {item_id} does not exist.")
            values.append(None)
            continue
        data = {
            "id": item_id,
            "rev": item["rev"],
            "fields": dict(item["fields"]),
            "url": f"{base}/_apis/wit/workItems/{item_id}",
        }
        if expand in ("relations", "all") and item["relations"]:
            data["relations"] = [dict(r) for r in item["relations"]]
        values.append(data)
    return _collection(values)


def _node_op(project, name, p, q, body, base) -> tuple[int, Any]:
    if p["structureGroup"] not in ("areas", "iterations"):  # the spec's enum, exactly
        raise ServiceError(400, f"VS403400: structureGroup {p['structureGroup']} is not valid.")
    if p["structureGroup"] != "iterations":
        raise ServiceError(400, "only the iterations tree is modelled by the local server")
    path = unquote(p.get("path") or "")
    if name == "wit.node_get":
        return 200, _node_json(project, project.node(path), int(q.get("$depth", 0)), base)
    body = body or {}
    if name == "wit.node_create":
        node = project.add_node(path, str(body.get("name", "")), body.get("attributes"))
        return 201, _node_json(project, node, 0, base)
    node = project.node(path)
    if "attributes" in body:
        project.set_dates(node, body.get("attributes"))
    return 200, _node_json(project, node, 0, base)


def _query_op(project, name, p, q, body) -> tuple[int, Any]:
    target = project.query_at(unquote(p.get("query") or ""))
    expand = q.get("$expand", "none")
    if name == "wit.query_get":
        return 200, _query_json(project, target, int(q.get("$depth", 0)), expand)
    body = body or {}
    wiql = body.get("wiql")
    if wiql is not None:
        try:
            wiql_engine.validate(str(wiql), ALL_FIELDS | LINK_FIELDS)
        except wiql_engine.WiqlError as error:
            raise ServiceError(400, str(error), "InvalidQueryTextException") from None
    if name == "wit.query_create":
        if target.wiql is not None:
            raise ServiceError(400, "TF237101: A query can only be created in a folder.")
        query_name = str(body.get("name") or "")
        if not query_name or any(ch in query_name for ch in "\\/:*?\"<>|#%&$;~+=[]{},'"):
            raise ServiceError(400, f"TF237056: The query name '{query_name}' is not valid.")
        if any(c.name.lower() == query_name.lower() for c in target.children):
            raise ServiceError(
                409,
                "TF237018: Cannot create a query item with the same name in the folder.",
                "QueryItemAlreadyExistException",
            )
        folder = bool(body.get("isFolder"))
        if not folder and not wiql:
            raise ServiceError(400, "TF237097: A query needs its wiql.")
        query = Query(query_name, wiql=None if folder else saved_wiql(str(wiql)))
        target.children.append(query)
        return 201, _query_json(project, query, 0, "wiql")
    if wiql is not None:
        if target.wiql is None:
            raise ServiceError(400, "TF237102: A folder has no wiql.")
        target.wiql = saved_wiql(str(wiql))
    return 200, _query_json(project, target, 0, "wiql")


def _check_columns(current: list[dict[str, Any]], body: Any) -> None:
    if not isinstance(body, list) or not body:
        raise ServiceError(400, "VS403087: The board needs its full list of columns.")
    kinds = [c.get("columnType") for c in body]
    if kinds[0] != "incoming" or kinds[-1] != "outgoing":
        raise ServiceError(400, "VS403089: A board keeps its incoming and outgoing columns.")
    known = {c["id"] for c in current}
    for column in body:
        if column.get("id") and column["id"] not in known:
            raise ServiceError(400, f"VS403088: Unknown column id {column['id']}.")
        limit = column.get("itemLimit", 0)
        if not isinstance(limit, int) or limit < 0 or limit > 999:
            raise ServiceError(400, "VS403090: A WIP limit is a whole number from 0 to 999.")
        if not column.get("name") or not column.get("stateMappings"):
            raise ServiceError(400, "VS403091: Every column needs a name and state mappings.")
