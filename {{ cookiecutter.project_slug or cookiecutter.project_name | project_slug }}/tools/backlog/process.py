"""What differs between the Azure Boards processes, as data.

The plan speaks of roles (epic, feature, requirement, task); a profile says which work item
type and fields each role uses in a process. Inherited processes are mapped to the system
process they derive from (``parentProcessTypeId``), so a customised Agile project behaves like
Agile. Facts from the process guidance and field reference of Azure Boards.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessProfile:
    name: str
    type_id: str  # the system process's template type id
    types: dict[str, str]  # role -> work item type name
    size_field: str  # numeric size on the requirement type
    task_estimate_fields: tuple[str, ...]  # fields a task's hours are written to
    in_progress_state: str  # the requirement/task state that means "being worked on"
    order_field: str  # backlog order

    def type_of(self, role: str) -> str:
        return self.types[role]


_SCHEDULING = "Microsoft.VSTS.Scheduling."

AGILE = ProcessProfile(
    name="Agile",
    type_id="adcc42ab-9882-485e-a3ed-7678f01f66bc",
    types={"epic": "Epic", "feature": "Feature", "requirement": "User Story", "task": "Task"},
    size_field=_SCHEDULING + "StoryPoints",
    task_estimate_fields=(_SCHEDULING + "OriginalEstimate", _SCHEDULING + "RemainingWork"),
    in_progress_state="Active",
    order_field="Microsoft.VSTS.Common.StackRank",
)
SCRUM = ProcessProfile(
    name="Scrum",
    type_id="6b724908-ef14-45cf-84f8-768b5384da45",
    types={
        "epic": "Epic",
        "feature": "Feature",
        "requirement": "Product Backlog Item",
        "task": "Task",
    },
    size_field=_SCHEDULING + "Effort",
    task_estimate_fields=(_SCHEDULING + "RemainingWork",),
    in_progress_state="Committed",
    order_field="Microsoft.VSTS.Common.BacklogPriority",
)
# Basic has no Feature level: phases become Epics' children of type Issue would lose the phase
# level, so the phase Features are created as Epics there (Epic -> Issue -> Task is its tree).
BASIC = ProcessProfile(
    name="Basic",
    type_id="b8a3a935-7e91-48b8-a94c-606d37c3e9f2",
    types={"epic": "Epic", "feature": "Epic", "requirement": "Issue", "task": "Task"},
    size_field=_SCHEDULING + "Effort",
    task_estimate_fields=(_SCHEDULING + "RemainingWork",),
    in_progress_state="Doing",
    order_field="Microsoft.VSTS.Common.StackRank",
)
CMMI = ProcessProfile(
    name="CMMI",
    type_id="27450541-8e31-4150-9947-dc59f998fc01",
    types={"epic": "Epic", "feature": "Feature", "requirement": "Requirement", "task": "Task"},
    size_field=_SCHEDULING + "Size",
    task_estimate_fields=(_SCHEDULING + "OriginalEstimate", _SCHEDULING + "RemainingWork"),
    in_progress_state="Active",
    order_field="Microsoft.VSTS.Common.StackRank",
)

PROFILES = {p.name.lower(): p for p in (AGILE, SCRUM, BASIC, CMMI)}
BY_TYPE_ID = {p.type_id: p for p in (AGILE, SCRUM, BASIC, CMMI)}


def profile_for(name_or_type_id: str) -> ProcessProfile:
    """The profile for a process name ("Agile") or a system process type id."""
    key = name_or_type_id.strip()
    profile = PROFILES.get(key.lower()) or BY_TYPE_ID.get(key.lower())
    if profile is None:
        known = ", ".join(p.name for p in PROFILES.values())
        raise ValueError(f"unknown process {name_or_type_id!r}: expected one of {known}")
    return profile
