"""The in-memory organization behind the local Azure DevOps server, with the service's rules.

Work items follow the project's process (unknown type -> 404, a field the type lacks -> 400
TF51535, an iteration path that does not exist -> 400 TF401347, a second parent -> 400
TF201036, a stale ``test /rev`` -> 412), iterations are a tree with date-only attributes,
queries live in folders under "Shared Queries", and a team has subscribed iterations, a backlog
iteration and board columns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from fake_ado import wiql_engine
from fake_ado.processes import (
    ALL_FIELDS,
    HTML_FIELDS,
    LINK_FIELDS,
    NUMERIC,
    Process,
)

PARENT = "System.LinkTypes.Hierarchy-Reverse"


class ServiceError(Exception):
    """An error answer: HTTP status, the service's message and type key."""

    def __init__(self, status: int, message: str, type_key: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key or "VssServiceException"


@dataclass
class Node:
    name: str
    identifier: str = field(default_factory=lambda: str(uuid.uuid4()))
    id: int = 0
    start: str | None = None
    finish: str | None = None
    # The attribute strings exactly as sent: a spec-faithful server echoes them back.
    start_sent: str | None = None
    finish_sent: str | None = None
    children: list[Node] = field(default_factory=list)

    def child(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name.lower() == name.lower()), None)


@dataclass
class Query:
    name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    wiql: str | None = None  # None for a folder
    children: list[Query] = field(default_factory=list)


@dataclass
class Team:
    name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    subscribed: list[str] = field(default_factory=list)  # node identifiers
    backlog_iteration: str | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)


def _html(value: str) -> str:
    # The service re-serializes HTML it stores; the client must not see that as a change.
    return value.replace("<br/>", "<br>").replace("<br />", "<br>").replace("&#x27;", "&#39;")


class Project:
    def __init__(self, name: str, process: Process, teams: list[str], backlog_iteration: bool):
        self.name = name
        self.id = str(uuid.uuid4())
        self.process = process
        self.iterations = Node(name, id=1)
        self.node_ids = itertools.count(2)
        self.items: dict[int, dict[str, Any]] = {}
        self.queries = Query("Shared Queries", children=[])
        self.teams = {t.lower(): Team(t) for t in teams}
        self.properties: dict[str, Any] = {}  # project properties others than the process's
        for team in self.teams.values():
            team.backlog_iteration = self.iterations.identifier if backlog_iteration else None
            team.columns = [
                {
                    "id": str(uuid.uuid4()),
                    "name": name,
                    "itemLimit": 0,
                    "columnType": kind,
                    "isSplit": False,
                    "description": "",
                    "stateMappings": {process.requirement_type: state},
                }
                for name, kind, state in process.board_columns
            ]

    # -- iterations --------------------------------------------------------------------------
    def node(self, path: str) -> Node:
        node = self.iterations
        for part in [p for p in path.replace("\\", "/").split("/") if p]:
            found = node.child(part)
            if found is None:
                raise ServiceError(
                    404,
                    f"VS402485: The node '{path}' does not exist.",
                    "WorkItemTrackingTreeNodeNotFoundException",
                )
            node = found
        return node

    def node_path(self, target: Node) -> list[str]:
        def walk(node: Node, trail: list[str]) -> list[str] | None:
            if node is target:
                return trail
            for child in node.children:
                found = walk(child, [*trail, child.name])
                if found is not None:
                    return found
            return None

        return walk(self.iterations, []) or []

    def node_by_identifier(self, identifier: str) -> Node | None:
        stack = [self.iterations]
        while stack:
            node = stack.pop()
            if node.identifier.lower() == identifier.lower():
                return node
            stack.extend(node.children)
        return None

    def add_node(self, parent_path: str, name: str, attributes: dict[str, Any] | None) -> Node:
        parent = self.node(parent_path)
        if not name or any(ch in name for ch in '\\/$?*:"&><#%|+'):
            raise ServiceError(400, f"VS402360: The node name '{name}' is not valid.")
        if parent.child(name):
            raise ServiceError(
                409,
                f"VS402371: Classification node name {name} is already in "
                "use by a different child of the parent node.",
                "ClassificationNodeDuplicateNameException",
            )
        node = Node(name, id=next(self.node_ids))
        self.set_dates(node, attributes)
        parent.children.append(node)
        return node

    @staticmethod
    def set_dates(node: Node, attributes: dict[str, Any] | None) -> None:
        attributes = attributes or {}
        start, finish = attributes.get("startDate"), attributes.get("finishDate")
        if (start is None) != (finish is None):
            raise ServiceError(400, "VS402393: Set both the start and the finish date, or none.")
        if start is None:
            return
        try:  # the spec types them format: date-time: a date alone is not accepted
            if "T" not in str(start) or "T" not in str(finish):
                raise ValueError(f"{start} / {finish} is not a date-time")
            s = dt.datetime.fromisoformat(str(start).replace("Z", "+00:00")).date()
            f = dt.datetime.fromisoformat(str(finish).replace("Z", "+00:00")).date()
        except ValueError as error:
            raise ServiceError(400, f"VS402394: Invalid date: {error}") from None
        if f < s:
            raise ServiceError(400, "VS402392: The finish date must be after the start date.")
        node.start, node.finish = s.isoformat(), f.isoformat()
        node.start_sent, node.finish_sent = str(start), str(finish)

    def iteration_path_exists(self, value: str) -> bool:
        parts = [p for p in str(value).split("\\") if p]
        if not parts or parts[0].lower() != self.name.lower():
            return False
        try:
            self.node("/".join(parts[1:]))
        except ServiceError:
            return False
        return True

    # -- work items --------------------------------------------------------------------------
    def known_field(self, name: str) -> bool:
        return name in ALL_FIELDS or name in LINK_FIELDS

    def check_fields(self, work_type: str, fields: dict[str, Any], item_id: int) -> None:
        definition = self.process.types[work_type]
        for name, value in fields.items():
            if name not in definition.fields:
                raise ServiceError(
                    400, f"TF51535: Cannot find field {name}.", "WorkItemFieldInvalidException"
                )
            if name in NUMERIC and value not in (None, ""):
                try:
                    float(value)
                except (TypeError, ValueError):
                    raise ServiceError(400, f"TF401326: Invalid field value for {name}.") from None
        path = fields.get("System.IterationPath")
        if path is not None and not self.iteration_path_exists(path):
            raise ServiceError(
                400,
                f"TF401347: Invalid tree name given for work item "
                f"{item_id}, field 'System.IterationPath'.",
                "WorkItemFieldInvalidTreeNameException",
            )
        area = fields.get("System.AreaPath")
        if area is not None and str(area).lower() != self.name.lower():
            raise ServiceError(
                400,
                f"TF401347: Invalid tree name given for work item "
                f"{item_id}, field 'System.AreaPath'.",
                "WorkItemFieldInvalidTreeNameException",
            )
        state = fields.get("System.State")
        if state is not None and state not in definition.state_names:
            raise ServiceError(
                400,
                "TF401320: Rule Error for field State. Error code: LimitedToValues.",
                "RuleValidationException",
            )

    def store_value(self, name: str, value: Any) -> Any:
        if name in NUMERIC and value not in (None, ""):
            return float(value)
        if name in HTML_FIELDS and isinstance(value, str):
            return _html(value)
        return value

    def wiql_ids(self, text: str) -> list[int]:
        wiql_engine.validate(text, ALL_FIELDS | LINK_FIELDS)
        predicate = wiql_engine.compile_where(text, self.name)
        return sorted(i for i, item in self.items.items() if predicate(item["fields"]))

    # -- queries -----------------------------------------------------------------------------
    def query_at(self, path_or_id: str) -> Query:
        stack = [self.queries]
        while stack:
            query = stack.pop()
            if query.id == path_or_id:
                return query
            stack.extend(query.children)
        parts = [p for p in path_or_id.split("/") if p]
        if not parts or parts[0].lower() != "shared queries":
            raise ServiceError(
                404,
                f"TF401243: The query {path_or_id} does not exist.",
                "QueryItemNotFoundException",
            )
        query = self.queries
        for part in parts[1:]:
            found = next((c for c in query.children if c.name.lower() == part.lower()), None)
            if found is None:
                raise ServiceError(
                    404,
                    f"TF401243: The query {path_or_id} does not exist.",
                    "QueryItemNotFoundException",
                )
            query = found
        return query

    def query_path(self, target: Query) -> str:
        def walk(query: Query, trail: str) -> str | None:
            if query is target:
                return trail
            for child in query.children:
                found = walk(child, f"{trail}/{child.name}")
                if found:
                    return found
            return None

        return walk(self.queries, "Shared Queries") or ""

    def team(self, name: str) -> Team:
        team = self.teams.get(name.lower())
        if team is None:
            raise ServiceError(
                404,
                f"VS403731: The team with id or name '{name}' does not exist.",
                "TeamNotFoundException",
            )
        return team
