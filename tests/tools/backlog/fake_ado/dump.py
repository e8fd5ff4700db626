"""A normalized dump of the server's state: equal dumps mean equal boards, whatever the ids."""

from __future__ import annotations

from typing import Any

from fake_ado.state import PARENT, Project

# Ids, revisions, dates and who saved last differ between equal boards.
VOLATILE = {
    "System.Id",
    "System.Rev",
    "System.CreatedDate",
    "System.ChangedDate",
    "System.ChangedBy",
    "System.CreatedBy",
}


def _key(item: dict[str, Any]) -> str:
    tags = [t.strip() for t in str(item["fields"].get("System.Tags", "")).split(";")]
    keys = sorted(t for t in tags if t.lower().startswith("ml-key:"))
    return "|".join(keys) or f"untagged:{item['fields'].get('System.Title')}"


def dump(project: Project) -> dict[str, Any]:
    """Iterations, subscriptions, items (by key, parent by key), queries and board limits."""
    by_id = {i: _key(item) for i, item in project.items.items()}
    items = []
    for item_id, item in project.items.items():
        parents = [r["url"] for r in item["relations"] if r["rel"] == PARENT]
        parent = by_id.get(int(parents[0].rsplit("/", 1)[-1])) if parents else None
        fields = {k: v for k, v in item["fields"].items() if k not in VOLATILE}
        items.append({"key": by_id[item_id], "parent": parent, "fields": fields})
    nodes = []
    stack = [(project.iterations, [])]
    while stack:
        node, trail = stack.pop()
        nodes.append(("\\".join(trail), node.start, node.finish))
        stack.extend((c, [*trail, c.name]) for c in node.children)
    teams = {}
    for team in project.teams.values():
        paths = [project.node_by_identifier(i) for i in team.subscribed]
        teams[team.name] = {
            "iterations": sorted("\\".join(project.node_path(n)) for n in paths if n),
            "columns": [(c["name"], c["itemLimit"]) for c in team.columns],
        }
    queries = []
    stack_q = [project.queries]
    while stack_q:
        query = stack_q.pop()
        queries.append((project.query_path(query), query.wiql))
        stack_q.extend(query.children)
    return {
        "items": sorted(items, key=lambda i: i["key"]),
        "iterations": sorted(nodes, key=lambda n: n[0]),
        "teams": teams,
        "queries": sorted(queries, key=lambda q: q[0]),
    }
