"""Backlog apply benchmark: requests, writes and wall time against a naive client, same run.

    python benchmarks/backlog_apply.py [--latency-ms 50]

Bakes the default project (hooks off), starts its local Azure DevOps server with a fixed
latency per request, and applies the default backlog twice: with ``python -m backlog apply``'s
code, and with a NAIVE client written here as the baseline (one request per work item create
and one per parent link, the other resources one request each, as simple loaders do). Both must
leave the same board. Then the product re-applies onto its finished board (a no-op), and the
three-way base is read both ways: the product's one read of the project's properties, and the
naive way, one revisions request per work item (to find the values the tool itself wrote).
Targets: >= 5x fewer requests, <= 0.2x the naive wall time, a first apply in <= 27 requests
(the budget before the three-way sync), a no-op re-apply in <= 6 requests (5 reads of the
board + 1 of the base) and 0 writes. Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
ANSWERS = {"first_sprint_start": "2027-01-04", "aml_endpoint_name": "penguin-bench-ab12"}
PAT = "benchmark-pat"


def bake(template: Path, out: Path) -> Path:
    project = cookiecutter(
        str(template), no_input=True, extra_context=ANSWERS, output_dir=str(out), accept_hooks=False
    )
    return Path(project)


def load_plan(project: Path):
    from backlog.config import load_config
    from backlog.planner import build_plan
    from backlog.schema import load_spec

    spec, problems = load_spec(project / "backlog" / "backlog.yml", project_root=project)
    if problems:
        raise SystemExit("\n".join(problems))
    return build_plan(spec, load_config(project))


class NaiveClient:
    """The baseline: no reads, no batching, every item and every link its own request."""

    def __init__(self, ado, plan) -> None:
        import requests

        self.ado, self.plan = ado, plan
        self.project = ado.org.project.name
        self.team = next(iter(ado.org.project.teams.values())).name
        self.session = requests.Session()
        token = base64.b64encode(f":{PAT}".encode()).decode()
        self.session.headers["Authorization"] = f"Basic {token}"

    def _call(self, method: str, route: str, version: str, body=None) -> dict:
        url = f"{self.ado.url}/{route}"
        response = self.session.request(method, url, params={"api-version": version}, json=body)
        response.raise_for_status()
        return response.json()

    def _one(self, request: dict) -> dict:
        import json

        answer = self._call("PATCH", "_apis/wit/$batch", "7.1", [request])["value"][0]
        if answer["code"] != 200:
            raise RuntimeError(answer["body"])
        return json.loads(answer["body"])

    def read_base_from_revisions(self) -> int:
        """The naive base read: every revision of every item (who wrote which value)."""
        project = quote(self.project, safe="")
        for item_id in sorted(self.ado.org.project.items):
            self._call("GET", f"{project}/_apis/wit/workItems/{item_id}/revisions", "7.1")
        return len(self.ado.org.project.items)

    def run(self) -> None:
        from backlog import diff, wiql
        from backlog.process import profile_for
        from backlog.snapshot import Snapshot

        plan, p, t = self.plan, quote(self.project, safe=""), quote(self.team, safe="")
        nodes = f"{p}/_apis/wit/classificationnodes/iterations"
        self._call("POST", nodes, "7.1", {"name": plan.iteration_folder})
        for sprint in plan.iterations:
            dates = {
                "startDate": f"{sprint.start.isoformat()}T00:00:00Z",
                "finishDate": f"{sprint.finish.isoformat()}T00:00:00Z",
            }
            node = self._call(
                "POST",
                f"{nodes}/{quote(plan.iteration_folder)}",
                "7.1",
                {"name": sprint.name, "attributes": dates},
            )
            self._call(
                "POST",
                f"{p}/{t}/_apis/work/teamsettings/iterations",
                "7.1",
                {"id": node["identifier"]},
            )
        types = self._call("GET", f"{p}/_apis/wit/workitemtypes", "7.1")["value"]
        profile = profile_for(self.ado.org.project.process.name)
        known = Snapshot(
            type_fields={
                x["name"]: frozenset(f["referenceName"] for f in x["fields"]) for x in types
            }
        )
        ids: dict[str, int] = {}
        for item in plan.items:  # one request per item create ...
            fields = diff.desired_fields(item, plan, profile, known, self.project)
            fields["System.Tags"] = "; ".join(diff.desired_tags(item, plan))
            body = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
            kind = quote(profile.type_of(item.role), safe="")
            ids[item.key] = self._one(
                {
                    "method": "PATCH",
                    "uri": f"/{p}/_apis/wit/workitems/${kind}?api-version=7.1",
                    "headers": {"Content-Type": "application/json-patch+json"},
                    "body": body,
                }
            )["id"]
        for item in plan.items:  # ... and one per parent link
            if item.parent_key:
                link = {
                    "rel": "System.LinkTypes.Hierarchy-Reverse",
                    "url": f"{self.ado.url}/_apis/wit/workItems/{ids[item.parent_key]}",
                }
                self._one(
                    {
                        "method": "PATCH",
                        "uri": f"/_apis/wit/workitems/{ids[item.key]}?api-version=7.1",
                        "headers": {"Content-Type": "application/json-patch+json"},
                        "body": [{"op": "add", "path": "/relations/-", "value": link}],
                    }
                )
        queries = f"{p}/_apis/wit/queries"
        self._call(
            "POST",
            f"{queries}/Shared%20Queries",
            "7.1",
            {"name": plan.query_folder, "isFolder": True},
        )
        for query in plan.queries:
            text = wiql.query_wiql(query, plan, profile, project=self.project, team=self.team)
            self._call(
                "POST",
                f"{queries}/{quote('Shared Queries/' + plan.query_folder, safe='')}",
                "7.1",
                {"name": query.name, "wiql": text},
            )


def measure(latency_s: float, plan, run) -> tuple[float, int, int, object]:
    """(wall seconds, requests, writes, the server's normalized board) of one run."""
    from fake_ado import FakeAdo, Faults, dump

    with FakeAdo("agile", pat=PAT) as ado:
        ado.set_faults(Faults(latency_s=latency_s))
        start = time.perf_counter()
        run(ado)
        elapsed = time.perf_counter() - start
        requests = list(ado.requests)
        board = dump(ado.org.project)
        noop, revisions = None, None
        if getattr(run, "noop", None):
            before = len(ado.requests)
            run.noop(ado)
            noop = ado.requests[before:]
            before = len(ado.requests)
            start = time.perf_counter()
            NaiveClient(ado, run.plan).read_base_from_revisions()
            revisions = (len(ado.requests) - before, time.perf_counter() - start)
    return elapsed, len(requests), sum(r.is_write for r in requests), (board, noop, revisions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="template to bake")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["AZURE_DEVOPS_CACHE_DIR"] = str(Path(scratch) / "sdk-cache")
        project = bake(args.template, Path(scratch))
        sys.path.insert(0, str(project / "tools"))  # the generated project's backlog tool
        sys.path.insert(0, str(TEMPLATE / "tests" / "tools" / "backlog"))  # its test server
        from backlog.apply import ApplyOptions, run_apply

        plan = load_plan(project)

        def product(ado) -> None:
            options = ApplyOptions(
                org_url=ado.url,
                project=ado.org.project.name,
                team=next(iter(ado.org.project.teams.values())).name,
                environ={"AZURE_DEVOPS_EXT_PAT": PAT},
            )
            out = io.StringIO()
            if run_apply(plan, options, out=out) != 0:
                raise SystemExit(f"apply failed:\n{out.getvalue()}")

        product.noop = product  # type: ignore[attr-defined]
        product.plan = plan  # type: ignore[attr-defined]
        ours_s, ours_req, ours_writes, (ours_board, noop, revisions) = measure(
            latency, plan, product
        )
        naive_s, naive_req, naive_writes, (naive_board, _, _) = measure(
            latency, plan, lambda ado: NaiveClient(ado, plan).run()
        )
    noop_req, noop_writes = len(noop), sum(r.is_write for r in noop)
    base_req = sum(r.op == "core.project_properties" for r in noop)
    revisions_req, revisions_s = revisions
    req_ratio, time_ratio = naive_req / ours_req, ours_s / naive_s
    checks = [
        (req_ratio >= 5, f"requests: naive / apply = {req_ratio:.1f}x (target >= 5x)"),
        (time_ratio <= 0.2, f"wall time: apply / naive = {time_ratio:.2f}x (target <= 0.2x)"),
        (ours_req <= 27, f"first apply: {ours_req} requests (target <= 27)"),
        (noop_req <= 6, f"no-op re-apply: {noop_req} requests (target <= 6)"),
        (noop_writes == 0, f"no-op re-apply: {noop_writes} writes (target 0)"),
        (ours_board == naive_board, "same board from both clients"),
    ]
    print(
        f"default backlog: {len(plan.items)} work items, {len(plan.iterations)} sprints, "
        f"{len(plan.queries)} queries; {args.latency_ms:g} ms latency per request"
    )
    print(f"{'':16}{'requests':>10}{'writes':>8}{'wall s':>9}")
    print(f"{'apply':16}{ours_req:>10}{ours_writes:>8}{ours_s:>9.2f}")
    print(f"{'naive client':16}{naive_req:>10}{naive_writes:>8}{naive_s:>9.2f}")
    print(f"{'no-op re-apply':16}{noop_req:>10}{noop_writes:>8}")
    print(
        f"base read: {base_req} request (project properties) vs {revisions_req} "
        f"(revisions, one per item, {revisions_s:.2f} s): {revisions_req / max(base_req, 1):.0f}x"
    )
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
