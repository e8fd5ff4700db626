"""The Azure DevOps requests of ``create_pipelines.py`` against the official REST specifications.

The generated project keeps the operations it uses in ``tools/pipelines/ado_operations.json``;
its client builds every request from that table, and its local test server refuses anything
else. Here the table itself is checked against ``shared/azure-devops-rest-specs``: the route and
method exist, each query parameter is documented for that operation, the api-version is the
documented value, with ``-preview`` exactly where the operation is a preview. And the table is
what the client calls: no operation used that is not listed, none listed that is not used.
Then a recorded run in a bake (create everything, run again) is checked request by request:
route, query, api-version and the body against the operation's body schema (policy settings,
a free-form JObject in the spec, against the official example of the same policy type).
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
SPECS = TEMPLATE.parent / "shared" / "azure-devops-rest-specs"
SCRIPTS = TEMPLATE / PROJECT_DIR / "tools" / "pipelines"
TOOL_TESTS = TEMPLATE / "tests" / "tools" / "pipelines"  # the local server, with the tests
TABLE = SCRIPTS / "ado_operations.json"
pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"{SPECS} is not there")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def shape(route: str) -> str:
    """A route with every parameter as {} and no organization segment, lower-case."""
    route = re.sub(r"^/?\{organization\}/", "", route)
    return re.sub(r"\{[^}]*\}", "{}", route).strip("/").lower()


@pytest.fixture(scope="module")
def operations() -> list[dict[str, Any]]:
    return load_json(TABLE)["operations"]


@pytest.fixture(scope="module")
def specs(operations) -> dict[str, dict[str, Any]]:
    return {op["spec"]: load_json(SPECS / op["spec"]) for op in operations}


def documented(spec: dict[str, Any], op: dict[str, Any]) -> tuple[dict, list[dict]]:
    """(operation, its resolved parameters) of the spec for ``op``; fails when there is none."""
    for path, item in spec["paths"].items():
        if shape(path) == shape(op["route"]) and op["method"].lower() in item:
            operation = item[op["method"].lower()]
            params = []
            for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if "$ref" in param:
                    param = spec["parameters"][param["$ref"].rsplit("/", 1)[-1]]
                params.append(param)
            return operation, params
    pytest.fail(f"{op['name']}: {op['method']} {op['route']} is not in {op['spec']}")


def documented_version(params: list[dict]) -> str:
    api = next(p for p in params if p.get("name") == "api-version")
    assert api.get("in") == "query" and api.get("required"), api
    return re.search(r"set to '([^']+)'", api["description"])[1]


def test_every_operation_route_and_method_is_in_its_spec(specs, operations):
    assert operations, "the table is empty"
    for op in operations:
        # Route params are single segments with the spec's names, so the client fills them.
        spec_paths = [p for p in specs[op["spec"]]["paths"] if shape(p) == shape(op["route"])]
        operation, _ = documented(specs[op["spec"]], op)
        names = set(re.findall(r"\{(\w+)\}", op["route"]))
        assert any(names <= set(re.findall(r"\{(\w+)\}", p)) for p in spec_paths), op["name"]
        assert operation.get("operationId"), op["name"]
        scopes = {s for entry in operation.get("security", []) for s in entry.get("oauth2", [])}
        assert set(op["scopes"]) == scopes, f"{op['name']}: scopes {op['scopes']}, spec {scopes}"


def test_every_query_parameter_is_documented_for_its_operation(specs, operations):
    for op in operations:
        _, params = documented(specs[op["spec"]], op)
        in_query = {p["name"] for p in params if p.get("in") == "query"} - {"api-version"}
        assert set(op["query"]) <= in_query, (
            f"{op['name']}: {sorted(set(op['query']) - in_query)} are not query parameters of "
            f"{op['method']} {op['route']} (documented: {sorted(in_query)})"
        )
        required = {p["name"] for p in params if p.get("in") == "query" and p.get("required")}
        assert required - {"api-version"} <= set(op["query"]), op["name"]


def test_api_version_is_the_documented_one_with_preview_exactly_where_the_op_is_a_preview(
    specs, operations
):
    for op in operations:
        operation, params = documented(specs[op["spec"]], op)
        assert op["api_version"] == documented_version(params), op["name"]
        preview = bool(operation.get("x-ms-preview"))
        assert ("-preview" in op["api_version"]) == preview, (
            f"{op['name']}: api-version {op['api_version']}, the spec's x-ms-preview is {preview}"
        )


def test_branch_policies_are_looked_up_on_the_route_that_filters_by_repository_and_branch(
    specs, operations
):
    # policy/configurations takes only scope, policyType, $top and continuationToken: sent
    # there, repositoryId and refName were ignored and any policy counted as existing (#11).
    lookup = next(op for op in operations if op["name"] == "git.policy_configurations_list")
    assert lookup["method"] == "GET"
    assert shape(lookup["route"]) == "{}/_apis/git/policy/configurations"
    assert {"repositoryId", "refName", "policyType"} <= set(lookup["query"])
    unfiltered = {"spec": "policy/7.1/policy.json", "method": "GET"}
    _, params = documented(
        load_json(SPECS / unfiltered["spec"]),
        {**unfiltered, "name": "policy list", "route": "{project}/_apis/policy/configurations"},
    )
    assert "repositoryId" not in {p["name"] for p in params}, "the spec changed: re-check #11"


def test_the_client_calls_exactly_the_operations_of_the_table(operations):
    source = "\n".join(
        (SCRIPTS / name).read_text(encoding="utf-8")
        for name in ("ado_rest.py", "create_pipelines.py")
    )
    called = set(re.findall(r'self\.call\(\s*"([\w.]+)"', source))
    listed = {op["name"] for op in operations}
    assert called - listed == set(), "called, but not in the table"
    assert listed - called == set(), "in the table, but never called"


# Runs inside a baked project: create everything, then re-run; the requests as JSON.
DRIVER = r"""
import contextlib, io, json, os, sys
sys.path.insert(0, "tools/pipelines")
import yaml
import create_pipelines
sys.path.insert(0, sys.argv[1])
from fake_pipelines_server import FakeAzureDevOps

config = yaml.safe_load(open("project.yml", encoding="utf-8"))
slug, team = config["project"]["slug"], config["azure_devops"]["team"]
os.environ["AZURE_DEVOPS_EXT_PAT"] = "contract-pat"
codes = []
with FakeAzureDevOps("contract-pat", project="Fabrikam Fiber") as ado:
    ado.state.repositories = {slug: "repo-guid"}
    ado.state.teams = {team: {"ada@example.org": "ada-guid"}}
    argv = ["--org-url", ado.url, "--project", "Fabrikam Fiber", "--repository", slug,
            "--prod-approver", "ada@example.org", "--yes"]
    for _ in range(2):
        with contextlib.redirect_stdout(io.StringIO()):
            codes.append(create_pipelines.main(argv, root=create_pipelines.ROOT))
    records = [vars(r) for r in ado.requests]
print(json.dumps({"codes": codes, "violations": ado.violations, "requests": records}))
"""


def route_regex(route: str) -> re.Pattern[str]:
    """A route template as a regex: each {x} is one path segment."""
    parts = re.split(r"\{\w+\}", route)
    return re.compile("[^/]+".join(re.escape(p) for p in parts) + "$", re.IGNORECASE)


def settings_problems(body: dict[str, Any]) -> None:
    """A policy's settings against the official example of the same policy type: the type id
    is one the examples use, every setting the example sends is there, scope keys alike."""
    examples, scope_keys = {}, set()
    for file in sorted((SPECS / "policy/7.1/httpExamples/configurations").glob("POST__*.json")):
        example = load_json(file)["parameters"]["body"]
        examples[example["type"]["id"]] = example["settings"]
        scope_keys |= {key for entry in example["settings"]["scope"] for key in entry}
    example = examples.get(body["type"]["id"])
    assert example, f"policy type {body['type']['id']} has no official example"
    assert set(example) <= set(body["settings"]), (body["settings"], example)
    for entry in body["settings"]["scope"]:
        assert set(entry) <= scope_keys, (entry, scope_keys)


def test_a_recorded_run_sends_documented_requests_with_documented_bodies(
    bake, run_in, specs, operations
):
    from test_ado_contract import shape_problems

    project = bake(deployment="online")
    result = run_in(project, "python", "-c", DRIVER, str(TOOL_TESTS), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    recorded = json.loads(result.stdout.strip().splitlines()[-1])
    assert recorded["codes"] == [0, 0] and recorded["violations"] == []
    by_name = {op["name"]: op for op in operations}
    seen = set()
    for request in recorded["requests"]:
        op = by_name[request["op"]]
        seen.add(op["name"])
        path = request["path"].split("/", 2)[2]  # drop the organization segment
        assert route_regex(op["route"]).match(path), f"{path} does not fit {op['route']}"
        operation, params = documented(specs[op["spec"]], op)
        assert request["query"]["api-version"] == documented_version(params), request
        in_query = {p["name"] for p in params if p.get("in") == "query"}
        assert set(request["query"]) <= in_query, request
        body_param = next((p for p in params if p.get("in") == "body"), None)
        if body_param is None:
            assert request["body"] is None, f"{op['name']} sends a body the spec does not take"
            continue
        body, schema = request["body"], body_param["schema"]
        if op["name"] == "checks.configuration_add":
            # The documented body is the base type; an Approval check is its subtype.
            assert body["type"]["name"] == "Approval", body["type"]
            schema = {"$ref": "#/definitions/ApprovalCheckConfiguration"}
        if op["name"] == "policy.configuration_create":
            settings_problems(body)
            body = {**body, "settings": {}}  # a JObject in the spec: checked just above
        if op["name"] == "pipelines.create":
            # The spec's CreatePipelineConfigurationParameters lists only `type`; the YAML
            # path and repository are checked by the project's own tests.
            body = {**body, "configuration": {"type": body["configuration"]["type"]}}
        problems = shape_problems(body, schema, specs[op["spec"]]["definitions"], op["name"])
        assert problems == []
    assert seen == set(by_name), set(by_name) - seen
