"""The Azure DevOps requests of ``python -m backlog apply`` against the official REST specification.

Two checks: every operation listed in the generated project's ``tools/backlog/ado/operations.json``
exists in the 7.1 specification (path, method, api-version), and every request a full apply
sends to the local test server - first run, re-run, edits, prune, a WIP limit, a team without a
backlog iteration, an inherited process - matches a documented operation and has the body shape
of that operation's body parameter. ``$batch`` is documented on learn.microsoft.com (Work Item
Batch Update) but absent from the 7.1 OpenAPI files: its envelope is checked against that page
and each patch against the specification's JsonPatchOperation.
Skipped only when ``shared/azure-devops-rest-specs`` is not next to the repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from bakery import PROJECT_DIR

TEMPLATE = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).resolve().parents[2] / "shared" / "azure-devops-rest-specs"
BACKLOG_TOOL = TEMPLATE / PROJECT_DIR / "tools" / "backlog"
OPERATIONS = BACKLOG_TOOL / "ado" / "operations.json"
# The local Azure DevOps server lives with the tool's tests, in the template.
TOOL_TESTS = TEMPLATE / "tests" / "tools" / "backlog"
SPEC_FILES = {
    "wit": "wit/7.1/workItemTracking.json",
    "work": "work/7.1/work.json",
    "core": "core/7.1/core.json",
    "processes": "processes/7.1/workItemTrackingProcess.json",
}
pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"{SPECS} is not there")

# Runs inside a baked project: a full apply story against the local server, requests as JSON.
DRIVER = r"""
import dataclasses, datetime, json, sys
from pathlib import Path
from backlog.config import load_config
from backlog.planner import build_plan
from backlog.schema import load_spec
sys.path.insert(0, sys.argv[2])
from fake_ado import FakeAdo
from fake_ado.harness import apply

spec, problems = load_spec(Path("backlog/backlog.yml"), project_root=Path("."))
assert not problems, problems
plan = build_plan(spec, load_config(Path(".")))
plan = dataclasses.replace(plan, wip_limit=2, team_members=("a@example.org", "b@example.org"))
first = plan.iterations[0]
edited = dataclasses.replace(
    plan,
    task_limit_hours=32.0,  # a query's WIQL changes
    iterations=(dataclasses.replace(first, finish=first.finish - datetime.timedelta(days=1)),
                *plan.iterations[1:]),
    items=tuple(dataclasses.replace(i, title=i.title + " (edited)") if i.role == "epic" else i
                for i in plan.items if i.key != plan.items[-1].key),
)
codes = []
person_pats = {"person-pat": "Pat Person <p@x.org>"}
with FakeAdo(sys.argv[1], backlog_iteration=False, people=person_pats) as ado:
    codes.append(apply(ado, plan).code)
    codes.append(apply(ado, plan).code)
    # A person edits on the board (second identity), then the file changes the same title:
    # a conflict, kept, then written with --prefer-file; the base is read and written each time.
    from team_story import Person
    epic = next(i for i in ado.org.project.items.values()
                if i["fields"]["System.WorkItemType"] == "Epic")
    person = Person(ado, "person-pat")
    person.edit_item(epic["id"], {"System.Title": "Renamed on the board"})
    person.changed_by(epic["id"])
    codes.append(apply(ado, edited, prune=True).code)
    codes.append(apply(ado, edited, prune=True, prefer_file=True).code)
    records = [
        {"op": r.op, "method": r.method, "path": r.path,
         "api_version": r.query.get("api-version"),
         "content_type": r.headers.get("Content-Type", ""), "body": r.body, "status": r.status}
        for r in ado.requests
    ]
print(json.dumps({"codes": codes, "org": ado.org.name, "requests": records}))
"""


def route_regex(route: str) -> re.Pattern[str]:
    """A route template as a regex: {x} is one segment, /{*x} an optional tail."""
    pattern = ""
    for part in re.split(r"(/?\{\*?\w+\})", route):
        if part.lstrip("/").startswith("{*"):
            pattern += "(?:/.*)?"
        elif part.lstrip("/").startswith("{"):
            pattern += ("/" if part.startswith("/") else "") + "[^/]+"
        else:
            pattern += re.escape(part)
    return re.compile(pattern, re.IGNORECASE)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    return {name: load_json(SPECS / file) for name, file in SPEC_FILES.items()}


@pytest.fixture(scope="module")
def operations() -> list[dict]:
    return load_json(OPERATIONS)["operations"]


def shape(route: str) -> str:
    """A route with every parameter as {} and no organization segment, lower-case."""
    route = re.sub(r"^/?\{organization\}/", "", route)
    return re.sub(r"\{\*?[^}]*\}", "{}", route).strip("/").lower()


def spec_operation(spec: dict, op: dict) -> tuple[dict, dict] | None:
    """(path item, operation) of the spec that documents ``op``, or None."""
    for path, item in spec["paths"].items():
        if shape(path) == shape(op["route"]) and op["method"].lower() in item:
            return item, item[op["method"].lower()]
    return None


def parameters(spec: dict, path_item: dict, operation: dict) -> list[dict]:
    found = []
    for param in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in param:
            param = spec["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        found.append(param)
    return found


def documented_version(params: list[dict]) -> str:
    api = next(p for p in params if p.get("name") == "api-version")
    return re.search(r"set to '([^']+)'", api.get("description", ""))[1]


def version_accepted(sent: str | None, documented: str) -> bool:
    """Exactly the documented value (a strict server accepts nothing else)."""
    return sent == documented


def resolve(schema: dict, definitions: dict) -> dict:
    while "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        merged["properties"] = dict(schema.get("properties", {}))
        for part in schema["allOf"]:
            merged["properties"].update(resolve(part, definitions).get("properties", {}))
        return merged
    return schema


def shape_problems(value: Any, schema: dict, definitions: dict, where: str) -> list[str]:
    """Where ``value`` does not have the shape of ``schema`` (types, known keys, enums)."""
    schema = resolve(schema, definitions)
    kind = schema.get("type")
    if "enum" in schema:
        allowed = {str(e) for e in schema["enum"]}  # exact: a strict server is case-sensitive
        return [] if str(value) in allowed else [f"{where}: {value!r} not in {allowed}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        return [
            p
            for i, v in enumerate(value)
            for p in shape_problems(v, schema.get("items", {}), definitions, f"{where}[{i}]")
        ]
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        props = schema.get("properties")
        if props is None:  # a free-form map
            return []
        problems = [
            f"{where}: missing required {r}" for r in schema.get("required", []) if r not in value
        ]
        for key, item in value.items():
            if key not in props:
                problems.append(f"{where}: {key} is not a property of the documented body")
            else:
                problems += shape_problems(item, props[key], definitions, f"{where}.{key}")
        return problems
    python_types = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}
    if kind in python_types and not isinstance(value, python_types[kind]):
        return [f"{where}: expected {kind}, got {value!r}"]
    return []


def test_every_listed_operation_is_in_the_specification(specs, operations):
    for op in operations:
        if op["spec"] is None:
            assert op.get("source"), f"{op['name']}: an operation outside the spec names its source"
            continue
        found = spec_operation(specs[op["spec"]], op)
        assert found, f"{op['name']}: {op['method']} {op['route']} is not in {op['spec']}"
        scopes = {s for entry in found[1].get("security", []) for s in entry.get("oauth2", [])}
        assert op["scope"] in scopes, f"{op['name']}: scope {op['scope']}, the spec says {scopes}"
        documented = documented_version(parameters(specs[op["spec"]], *found))
        assert version_accepted(op["api_version"], documented), (
            f"{op['name']}: api-version {op['api_version']}, the spec documents {documented}"
        )


def test_batch_is_documented_outside_the_openapi_files(specs, operations):
    batch = next(op for op in operations if op["name"] == "wit.batch")
    assert spec_operation(specs["wit"], batch) is None, "the spec now has $batch: check it there"
    assert "WorkItemBatchUpdate" in batch["source"]


def batch_problems(body: Any, definitions: dict) -> list[str]:
    """The Work Item Batch Update envelope, each patch checked against JsonPatchOperation."""
    if not isinstance(body, list) or not 1 <= len(body) <= 200:
        return ["$batch: the body must be an array of 1 to 200 requests"]
    # The spec types JsonPatchOperation.value as "object" but describes it as "either a
    # primitive or a JToken": a title is a string, a size a number.
    patch_operation = dict(definitions["JsonPatchOperation"])
    patch_operation["properties"] = {**patch_operation["properties"], "value": {}}
    problems = []
    for i, sub in enumerate(body):
        where = f"$batch[{i}]"
        if set(sub) != {"method", "uri", "headers", "body"}:
            problems.append(f"{where}: keys {sorted(sub)}")
            continue
        if sub["method"] != "PATCH":
            problems.append(f"{where}: method {sub['method']}")
        if not re.match(
            r"^(/[^/]+)?/_apis/wit/workitems/(\$[^/?]+|\d+)\?api-version=7\.1$", sub["uri"]
        ):
            problems.append(f"{where}: uri {sub['uri']}")
        if sub["headers"] != {"Content-Type": "application/json-patch+json"}:
            problems.append(f"{where}: headers {sub['headers']}")
        problems += shape_problems(
            sub["body"], {"type": "array", "items": patch_operation}, definitions, f"{where}.body"
        )
        problems += [  # the documented example sends the temporary id as the string "-1"
            f"{where}: /id {patch.get('value')!r} is not a string"
            for patch in sub["body"] if isinstance(patch, dict) and patch.get("path") == "/id"
            and not isinstance(patch.get("value"), str)
        ]  # fmt: skip
    return problems


@pytest.mark.parametrize("process", ["inherited-agile", "scrum"])
def test_a_recorded_apply_sends_only_documented_requests_with_documented_bodies(
    bake, run_in, specs, operations, process
):
    project = bake()
    result = run_in(project, "python", "-c", DRIVER, process, str(TOOL_TESTS), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = json.loads(result.stdout.strip().splitlines()[-1])
    assert recorded["codes"] == [0, 0, 0, 0]
    by_name = {op["name"]: op for op in operations}
    seen = set()
    for request in recorded["requests"]:
        op = by_name.get(request["op"])
        assert op, f"undocumented request {request['method']} {request['path']}"
        seen.add(op["name"])
        path = request["path"].split("/", 2)[2]  # drop the organization segment
        assert route_regex(op["route"]).fullmatch(path), f"{path} does not fit {op['route']}"
        # A {*path} tail holds several segments with plain slashes, as in the spec's examples.
        assert "%2f" not in path.lower(), path
        if op["spec"] is None:
            if op["api_version"]:  # documented outside the spec, still in the query string
                assert request["api_version"] == op["api_version"], request
            if op["name"] == "wit.batch":
                assert request["content_type"].startswith("application/json")
                assert batch_problems(request["body"], specs["wit"]["definitions"]) == []
            continue
        path_item, documented = spec_operation(specs[op["spec"]], op)
        params = parameters(specs[op["spec"]], path_item, documented)
        # In the query string (the spec's "in: query, required"), with the documented value.
        assert version_accepted(request["api_version"], documented_version(params)), request
        body_param = next((p for p in params if p.get("in") == "body"), None)
        if body_param is None:
            assert request["body"] is None, f"{op['name']} sends a body the spec does not take"
            continue
        consumes = documented.get("consumes", [])
        assert not consumes or request["content_type"].startswith(tuple(consumes)), (
            f"{op['name']}: Content-Type {request['content_type']}, the spec takes {consumes}"
        )
        definitions = specs[op["spec"]]["definitions"]
        schema = body_param["schema"]
        if schema.get("$ref", "").endswith("/JsonPatchDocument"):
            # An object "allOf" an array in the spec: in JSON, an array of patch operations,
            # whose value is "either a primitive or a JToken" (a property value is a string).
            operation = dict(definitions["JsonPatchOperation"])
            operation["properties"] = {**operation["properties"], "value": {}}
            schema = {"type": "array", "items": operation}
        problems = shape_problems(request["body"], schema, definitions, op["name"])
        assert problems == []
    must_be_seen = {
        "wit.batch",
        "wit.wiql",
        "wit.work_items_batch_get",
        "wit.node_create",
        "wit.node_update",
        "work.team_iteration_add",
        "work.team_settings_update",
        "wit.query_create",
        "wit.query_update",
        "work.board_columns_update",
        "core.project_properties",
        "core.project_properties_set",
        "wit.revisions",
    }
    assert must_be_seen <= seen, must_be_seen - seen
