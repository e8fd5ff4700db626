"""The validated content of ``backlog.yml``, as plain immutable data.

``schema.load_spec`` is the only producer: an instance of ``BacklogSpec`` exists only when the
file passed every rule, so the planner never re-checks anything. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

SPEC_VERSION = 1

# Keys become tags ("phase:<key>") and parts of key tags, so they stay short, lower-case and
# free of characters that tags, WIQL or URLs treat specially.
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
KEY_MAX = 64
SIZE_NAME_PATTERN = re.compile(r"^[A-Z]{1,4}$")

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

QUERY_KINDS = (
    "current_sprint_by_phase",
    "tasks_over_limit",
    "wip_per_person",
    "unsized_requirements",
    "deliverables_by_sprint",
)

SPRINT_COUNT_RANGE = (1, 26)
SPRINT_WEEKS_RANGE = (1, 4)
TASK_MAX_DAYS_RANGE = (1, 5)  # the way of working caps a task at one week of five days
SPRINT_NUMBER_PLACEHOLDER = "{n}"
SCRUM_OF_SCRUMS_KEY = "scrum-of-scrums"
TITLE_MAX = 255  # System.Title


def deliverables_title(sprint_name: str) -> str:
    """Title of the item that carries a sprint's deliverable checklist."""
    return f"{sprint_name} deliverables"


def ceremony_title(ceremony_name: str, sprint_name: str) -> str:
    """Title of one ceremony task; the sprint keeps equal ceremonies apart in queries."""
    return f"{ceremony_name} ({sprint_name})"


@dataclass(frozen=True)
class SprintSettings:
    start: dt.date
    length_weeks: int
    count: int
    working_days: tuple[str, ...]
    iteration_folder: str
    name_pattern: str

    def sprint_name(self, number: int) -> str:
        """The sprint's iteration name; plain replacement, so no other brace is interpreted."""
        return self.name_pattern.replace(SPRINT_NUMBER_PLACEHOLDER, str(number))


@dataclass(frozen=True)
class StorySpec:
    key: str
    title: str
    size: str
    acceptance: tuple[str, ...]
    links: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class PhaseSpec:
    key: str
    name: str
    goal: str
    deliverable: str
    first_sprint: int
    last_sprint: int
    stories: tuple[StorySpec, ...]

    def is_active_in(self, sprint_number: int) -> bool:
        return self.first_sprint <= sprint_number <= self.last_sprint


@dataclass(frozen=True)
class CeremonySpec:
    key: str
    name: str
    purpose: str
    agenda: tuple[str, ...]
    hours_per_sprint_week: float


@dataclass(frozen=True)
class QuerySpec:
    key: str
    name: str
    kind: str
    description: str = ""


@dataclass(frozen=True)
class BacklogSpec:
    version: int
    sprints: SprintSettings
    sizes: dict[str, float]  # in file order, smallest first
    task_max_days: int
    hours_per_day: float
    phases: tuple[PhaseSpec, ...]
    ceremonies: tuple[CeremonySpec, ...]
    sprint_checklist: tuple[str, ...]
    queries: tuple[QuerySpec, ...]
    query_folder: str | None = None
    scrum_of_scrums: bool = False

    @property
    def task_limit_hours(self) -> float:
        return self.task_max_days * self.hours_per_day

    def planned_ceremonies(self) -> tuple[CeremonySpec, ...]:
        """The ceremonies held every sprint: Scrum of Scrums only when the file switches it on."""
        return tuple(
            c for c in self.ceremonies if c.key != SCRUM_OF_SCRUMS_KEY or self.scrum_of_scrums
        )
