"""Run ``run_apply`` against a local server the way the CLI does, fast and captured."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

# The SDK reads its cache directory when first imported: keep test runs out of the user's,
# in a private directory removed when the test process ends.
if not os.environ.get("AZURE_DEVOPS_CACHE_DIR"):
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="backlog-tests-sdk-")
    atexit.register(shutil.rmtree, os.environ["AZURE_DEVOPS_CACHE_DIR"], True)

from backlog.ado.retry import RetryPolicy  # noqa: E402
from backlog.apply import ApplyOptions, run_apply  # noqa: E402
from backlog.model import Plan  # noqa: E402

from fake_ado.server import FakeAdo  # noqa: E402


def fast_policy(**overrides: Any) -> RetryPolicy:
    """Retries with millisecond waits, so fault tests take seconds, not minutes."""
    values = dict(
        max_attempts=8,
        max_retry_after_s=0.05,
        backoff_base_s=0.001,
        backoff_max_s=0.01,
        slow_down_s=0.001,
    )
    values.update(overrides)
    return RetryPolicy(**values)


@dataclass
class Run:
    code: int
    out: str
    err: str
    requests: int  # what the server received during this run
    writes: int


def apply(ado: FakeAdo, plan: Plan, **options: Any) -> Run:
    """Apply ``plan`` to ``ado``'s project and team with its PAT; options override defaults."""
    project = ado.org.project
    settings: dict[str, Any] = dict(
        org_url=ado.url,
        project=project.name,
        team=next(iter(project.teams.values())).name,
        environ={"AZURE_DEVOPS_EXT_PAT": ado.org.pat},
        retry_policy=fast_policy(),
        timeout_s=10.0,
    )
    settings.update(options)
    before = len(ado.requests)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_apply(plan, ApplyOptions(**settings), out=out)
    sent = ado.requests[before:]
    return Run(code, out.getvalue(), err.getvalue(), len(sent), sum(r.is_write for r in sent))


def tiny_plan(**overrides: Any) -> Plan:
    """A small hand-made plan: one epic, one phase, two stories, one sprint with a ceremony."""
    import datetime as dt

    from backlog.model import PlannedItem, PlannedIteration, PlannedQuery

    sprint = PlannedIteration("sprint-01", "Sprint 1", dt.date(2030, 1, 7), dt.date(2030, 1, 18))
    items = (
        PlannedItem("epic", "epic", "Tiny project", "<p>The project.</p>"),
        PlannedItem(
            "phase:research",
            "feature",
            "Research",
            "<p>Find out.</p>",
            parent_key="epic",
            tags=("phase:research",),
        ),
        PlannedItem(
            "story:research:charter",
            "requirement",
            "Write the charter",
            "<p>Charter.</p>",
            "<ul><li>Goals have targets</li></ul>",
            parent_key="phase:research",
            iteration_key="sprint-01",
            tags=("phase:research", "size:M"),
            tshirt="M",
            size=3.0,
        ),
        PlannedItem(
            "story:research:data",
            "requirement",
            "List the data sources",
            "<p>Data.</p>",
            "<ul><li>Owners known</li></ul>",
            parent_key="phase:research",
            iteration_key="sprint-01",
            tags=("phase:research", "size:S"),
            tshirt="S",
            size=2.0,
        ),
        PlannedItem(
            "cadence", "feature", "Sprint rhythm: ceremonies and deliverables", parent_key="epic"
        ),
        PlannedItem(
            "sprint-01:deliverables",
            "requirement",
            "Sprint 1 deliverables",
            acceptance_html="<ul><li>Working code</li></ul>",
            parent_key="cadence",
            iteration_key="sprint-01",
            tags=("deliverables",),
        ),
        PlannedItem(
            "sprint-01:ceremony:planning",
            "task",
            "Sprint planning (Sprint 1)",
            "<p>Plan.</p>",
            parent_key="sprint-01:deliverables",
            iteration_key="sprint-01",
            tags=("ceremony",),
            estimate_hours=4.0,
        ),
    )
    queries = (
        PlannedQuery("current-sprint", "Current sprint by phase", "current_sprint_by_phase"),
        PlannedQuery("tasks-over-limit", "Tasks over five days", "tasks_over_limit"),
        PlannedQuery("wip-per-person", "Work in progress per person", "wip_per_person"),
        PlannedQuery("unsized-stories", "Stories without a size", "unsized_requirements"),
        PlannedQuery("deliverables", "Deliverables by sprint", "deliverables_by_sprint"),
    )
    values: dict[str, Any] = dict(
        project_slug="tiny",
        project_name="Tiny project",
        iteration_folder="tiny",
        iterations=(sprint,),
        items=items,
        query_folder="Tiny backlog",
        queries=queries,
    )
    values.update(overrides)
    return Plan(**values)
