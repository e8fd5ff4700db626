"""The plan: what the backlog should look like on Azure Boards, independent of any process.

The planner (pure) builds a ``Plan`` from ``backlog.yml`` and ``project.yml``. The apply step
reads the board, maps each item's ``role`` to the work item type of the project's process
(Agile, Scrum, Basic, CMMI or one inherited from them), diffs, and executes exactly the change
set it prints. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["epic", "feature", "requirement", "task"]

# Every item this tool creates carries two tags: the project tag (one WIQL query finds all of a
# project's items) and its key tag (its identity; titles may change freely). Tags are
# case-insensitive in Azure DevOps, so keys are lower-case.
PROJECT_TAG_PREFIX = "ml-backlog:"
KEY_TAG_PREFIX = "ml-key:"


@dataclass(frozen=True)
class PlannedIteration:
    """One sprint: an iteration node below the ML project's own iteration folder."""

    key: str  # "sprint-01"
    name: str  # "Sprint 1"
    start: dt.date  # a working day
    finish: dt.date  # the last working day of the sprint, inclusive
    goal: str = ""


@dataclass(frozen=True)
class PlannedItem:
    """A work item. ``parent_key`` always names an item earlier in ``Plan.items``."""

    key: str  # stable identity, e.g. "phase:research", "sprint-01:ceremony:planning"
    role: Role
    title: str
    description_html: str = ""  # built with escaping; safe to send as System.Description
    acceptance_html: str = ""  # checklist as an HTML list; empty when none
    parent_key: str | None = None
    iteration_key: str | None = None  # a PlannedIteration.key, or None for the backlog root
    tags: tuple[str, ...] = ()  # e.g. ("phase:research", "size:M"); key tags are added by apply
    tshirt: str | None = None  # "XS".."XL" for requirements
    size: float | None = None  # numeric size from the T-shirt map (StoryPoints/Effort/Size)
    estimate_hours: float | None = None  # tasks: original/remaining work in hours


@dataclass(frozen=True)
class PlannedQuery:
    """A shared query. ``kind`` selects the WIQL the apply step builds for the process."""

    key: str  # "current-sprint-by-phase"
    name: str  # shown in Shared Queries/<folder>/
    kind: Literal[
        "current_sprint_by_phase",
        "tasks_over_limit",
        "wip_per_person",
        "unsized_requirements",
        "deliverables_by_sprint",
    ]
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """Everything ``apply`` will make sure exists, in creation order."""

    project_slug: str  # the ML project's identity on a shared Azure DevOps project
    project_name: str
    iteration_folder: str  # node under <project>\\Iteration that holds this project's sprints
    iterations: tuple[PlannedIteration, ...]
    items: tuple[PlannedItem, ...]  # parents before children
    query_folder: str  # folder under "Shared Queries"
    queries: tuple[PlannedQuery, ...]
    working_days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")
    task_limit_hours: float = 40.0  # no task above 5 working days of 8 hours
    wip_limit: int | None = None  # in-progress column limit: one per team member, when given
    team_members: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def project_tag(self) -> str:
        return f"{PROJECT_TAG_PREFIX}{self.project_slug}"

    def key_tag(self, item_key: str) -> str:
        return f"{KEY_TAG_PREFIX}{self.project_slug}:{item_key}"

    def item(self, key: str) -> PlannedItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def iteration(self, key: str) -> PlannedIteration:
        for iteration in self.iterations:
            if iteration.key == key:
                return iteration
        raise KeyError(key)
