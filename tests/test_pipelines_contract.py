"""The Azure DevOps requests of ``create_pipelines.py`` against the official REST specifications.

The generated project keeps the operations it uses in ``pipelines/scripts/ado_operations.json``;
its client builds every request from that table, and its local test server refuses anything
else. Here the table itself is checked against ``shared/azure-devops-rest-specs``: the route and
method exist, each query parameter is documented for that operation, the api-version is the
documented value, with ``-preview`` exactly where the operation is a preview. And the table is
what the client calls: no operation used that is not listed, none listed that is not used.
Skipped only when ``shared/azure-devops-rest-specs`` is not next to the repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
SPECS = TEMPLATE.parent / "shared" / "azure-devops-rest-specs"
SCRIPTS = TEMPLATE / "{{cookiecutter.project_slug}}" / "pipelines" / "scripts"
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
