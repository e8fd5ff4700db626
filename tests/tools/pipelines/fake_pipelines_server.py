"""A local Azure DevOps for create_pipelines.py: HTTP on 127.0.0.1, one organization, one project.

Strict like the backlog's server: a request must be an operation of
tools/pipelines/ado_operations.json (method, route, exactly the documented api-version, no
query parameter outside the table's list); anything else is answered 400 and listed in
``violations``, which the tests require to be empty. The answers have the shapes of the
specification's examples ({"count", "value"} lists, ids, _links).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from ado_rest import OPERATIONS_FILE

OPERATIONS = OPERATIONS_FILE  # the product's own table: the server accepts nothing else


@dataclass
class Recorded:
    op: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int


@dataclass
class Policy:
    type_id: str
    scope: list[dict[str, Any]]
    build_definition_id: int | None = None
    enabled: bool = True


@dataclass
class State:
    repositories: dict[str, str] = field(default_factory=dict)  # name -> id
    definitions: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    environments: dict[str, int] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    service_connections: set[str] = field(default_factory=set)
    teams: dict[str, dict[str, str]] = field(default_factory=dict)  # team -> e-mail -> id


def route_regex(route: str) -> re.Pattern[str]:
    """{name} is one path segment, captured under its name."""
    parts = re.split(r"\{(\w+)\}", route)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(pattern + "$", re.IGNORECASE)


class FakeAzureDevOps:
    """State, request log and the HTTP server; ``with FakeAzureDevOps(...) as ado: ado.url``."""

    def __init__(self, pat: str, org: str = "fabrikam", project: str = "Fabrikam Fiber") -> None:
        self.pat = pat
        self.org = org
        self.project = project
        self.state = State()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.fail: dict[str, int] = {}  # operation name -> status it answers
        self.ignore_policy_filters = False  # answer every policy, as an unfiltered route would
        self.ids = itertools.count(11)
        self.lock = threading.Lock()
        operations = json.loads(OPERATIONS.read_text(encoding="utf-8"))["operations"]
        self.routes = [(op, route_regex(op["route"])) for op in operations]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.org}"

    def __enter__(self) -> FakeAzureDevOps:
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def bodies(self, op: str) -> list[Any]:
        return [r.body for r in self.requests if r.op == op]

    # --- matching ----------------------------------------------------------------------------

    def handle(self, method: str, raw: str, auth: str, body: Any) -> tuple[int, Any]:
        parts = urlsplit(raw)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            op, values = self.match(method, path)
            if op is None:
                return self.refuse("", method, path, query, body, "no such operation")
            if query.get("api-version") != op["api_version"]:
                detail = f"api-version {query.get('api-version')!r}, documented {op['api_version']}"
                return self.refuse(op["name"], method, path, query, body, detail)
            if unknown := set(query) - {"api-version", *op["query"]}:
                detail = f"undocumented query parameters {sorted(unknown)}"
                return self.refuse(op["name"], method, path, query, body, detail)
            if values.pop("project", self.project) != self.project:
                return self.answer(op["name"], method, path, query, body, 404, "no such project")
            if not self.authorized(auth):
                return self.answer(op["name"], method, path, query, body, 401, "TF400813")
            if op["name"] in self.fail:
                status = self.fail[op["name"]]
                return self.answer(op["name"], method, path, query, body, status, "injected")
            status, payload = getattr(self, op["name"].replace(".", "_"))(query, body, **values)
            self.requests.append(Recorded(op["name"], method, path, query, body, status))
            return status, payload

    def match(self, method: str, path: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
        prefix = f"/{self.org}/"
        if not path.startswith(prefix):
            return None, {}
        for op, regex in self.routes:
            found = regex.match(path[len(prefix) :])
            if found and op["method"] == method:
                return op, dict(found.groupdict())
        return None, {}

    def refuse(self, op: str, method: str, path: str, query, body, detail: str):
        self.violations.append(f"{method} {path}?{query}: {detail}")
        return self.answer(op, method, path, query, body, 400, detail)

    def answer(self, op: str, method: str, path: str, query, body, status: int, message: str):
        self.requests.append(Recorded(op, method, path, query, body, status))
        return status, {"message": message, "typeKey": "FakeAzureDevOpsError"}

    def authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        return base64.b64decode(header[6:]).decode().split(":", 1)[-1] == self.pat

    # --- one handler per operation -------------------------------------------------------------

    @staticmethod
    def listing(items: list[Any]) -> tuple[int, Any]:
        return 200, {"count": len(items), "value": items}

    def git_repository_get(self, query, body, repositoryId: str):  # noqa: N803 - route names
        for name, repo_id in self.state.repositories.items():
            if repositoryId.lower() in (name.lower(), repo_id):
                return 200, {"id": repo_id, "name": name}
        return 404, {"message": f"TF401019: The Git repository {repositoryId} does not exist."}

    def git_policy_configurations_list(self, query, body):
        found = []
        for number, policy in enumerate(self.state.policies, start=1):
            applies = any(
                s.get("repositoryId") in (None, query.get("repositoryId"))
                and s.get("refName") in (None, query.get("refName"))
                for s in policy.scope
            )
            if self.ignore_policy_filters or (
                applies and policy.type_id == query.get("policyType", policy.type_id)
            ):
                settings: dict[str, Any] = {"scope": policy.scope}
                if policy.build_definition_id is not None:
                    settings["buildDefinitionId"] = policy.build_definition_id
                found.append(
                    {"id": number, "isEnabled": policy.enabled, "isBlocking": True,
                     "type": {"id": policy.type_id}, "settings": settings}
                )  # fmt: skip
        return self.listing(found)

    def policy_configuration_create(self, query, body):
        settings = body["settings"]
        policy = Policy(body["type"]["id"], settings["scope"], settings.get("buildDefinitionId"))
        self.state.policies.append(policy)
        return 200, {**body, "id": len(self.state.policies)}

    def build_definitions_list(self, query, body):
        name = query.get("name", "").lower()
        return self.listing(
            [d for d in self.state.definitions if not name or d["name"].lower() == name]
        )

    def pipelines_create(self, query, body):
        taken = [d for d in self.state.definitions if d["name"].lower() == body["name"].lower()]
        if any(d["path"] == body.get("folder", "\\") for d in taken):
            return 409, {"message": f"A pipeline named {body['name']} already exists."}
        pipeline = {"id": next(self.ids), "name": body["name"], "path": body.get("folder", "\\")}
        self.state.definitions.append(pipeline)
        return 200, {**pipeline, "folder": pipeline["path"], "revision": 1}

    def pipelines_runs_list(self, query, body, pipelineId: str):  # noqa: N803
        return self.listing(self.state.runs.get(int(pipelineId), []))

    def pipelines_run(self, query, body, pipelineId: str):  # noqa: N803
        if not any(d["id"] == int(pipelineId) for d in self.state.definitions):
            return 404, {"message": f"Pipeline {pipelineId} not found."}
        run_id = next(self.ids)
        web = f"{self.url}/{quote(self.project)}/_build/results?buildId={run_id}"
        run = {"id": run_id, "state": "inProgress", "_links": {"web": {"href": web}}}
        self.state.runs.setdefault(int(pipelineId), []).append(run)
        return 200, run

    def distributedtask_environments_list(self, query, body):
        name = query.get("name", "").lower()
        found = [
            {"id": i, "name": n} for n, i in self.state.environments.items()
            if not name or n.lower() == name
        ]  # fmt: skip
        return self.listing(found)

    def distributedtask_environment_add(self, query, body):
        if body["name"].lower() in (n.lower() for n in self.state.environments):
            return 400, {"message": f"Environment {body['name']} already exists."}
        self.state.environments[body["name"]] = next(self.ids)
        return 200, {"id": self.state.environments[body["name"]], "name": body["name"]}

    def checks_configurations_list(self, query, body):
        resource = (query.get("resourceType"), query.get("resourceId"))
        found = [  # without $expand=settings the service leaves the settings out
            {k: v for k, v in c.items() if k != "settings"}
            for c in self.state.checks
            if (c["resource"]["type"], c["resource"]["id"]) == resource
        ]
        return self.listing(found)

    def checks_configuration_add(self, query, body):
        check = {**body, "id": next(self.ids)}
        self.state.checks.append(check)
        return 200, check

    def serviceendpoint_endpoints_by_names(self, query, body):
        wanted = {n.lower() for n in query.get("endpointNames", "").split(",")}
        return self.listing(
            [{"name": n, "id": f"se-{n}"} for n in self.state.service_connections
             if n.lower() in wanted]
        )  # fmt: skip

    def core_team_members(self, query, body, projectId: str, teamId: str):  # noqa: N803
        if projectId != self.project or teamId not in self.state.teams:
            return 404, {"message": f"The team {teamId} does not exist."}
        members = self.state.teams[teamId].items()
        return self.listing([{"identity": {"id": i, "uniqueName": e}} for e, i in members])


def _handler(ado: FakeAzureDevOps) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            auth = self.headers.get("Authorization", "")
            status, payload = ado.handle(self.command, self.path, auth, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    return Handler
