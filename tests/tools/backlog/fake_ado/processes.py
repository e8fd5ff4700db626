"""The four system processes as the local Azure DevOps server models them.

Types, their fields and states, and the requirement board's columns, from the process guidance
and field reference of Azure Boards (Agile, Scrum, Basic, CMMI). An inherited process reuses the
system process it extends, under its own type id.
"""

from __future__ import annotations

from dataclasses import dataclass

S = "Microsoft.VSTS.Scheduling."
C = "Microsoft.VSTS.Common."
SYSTEM_FIELDS = frozenset(
    {
        "System.Id",
        "System.Rev",
        "System.Title",
        "System.Description",
        "System.State",
        "System.Reason",
        "System.AssignedTo",
        "System.AreaPath",
        "System.IterationPath",
        "System.Tags",
        "System.WorkItemType",
        "System.TeamProject",
        "System.CreatedDate",
        "System.CreatedBy",
        "System.ChangedDate",
        "System.ChangedBy",
        "System.History",
        "System.Parent",
        "System.BoardColumn",
        "System.CommentCount",
    }
)
LINK_FIELDS = frozenset({"System.Links.LinkType"})
NUMERIC = frozenset(
    {
        S + "StoryPoints",
        S + "Effort",
        S + "Size",
        S + "OriginalEstimate",
        S + "RemainingWork",
        S + "CompletedWork",
        C + "StackRank",
        C + "BacklogPriority",
        C + "BusinessValue",
        C + "Priority",
    }
)
HTML_FIELDS = frozenset({"System.Description", C + "AcceptanceCriteria"})


@dataclass(frozen=True)
class WorkItemType:
    name: str
    fields: frozenset[str]
    states: tuple[tuple[str, str], ...]  # (name, category); the first is the initial state

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.states)


@dataclass(frozen=True)
class Process:
    name: str
    type_id: str
    types: dict[str, WorkItemType]
    board: str  # the requirement backlog's board
    board_columns: tuple[tuple[str, str, str], ...]  # (name, columnType, state)
    requirement_type: str
    parent_type_id: str | None = None


def _t(name: str, extra: set[str], states: list[tuple[str, str]]) -> WorkItemType:
    return WorkItemType(name, SYSTEM_FIELDS | frozenset(extra), tuple(states))


AGILE_FLOW = [
    ("New", "Proposed"),
    ("Active", "InProgress"),
    ("Resolved", "Resolved"),
    ("Closed", "Completed"),
    ("Removed", "Removed"),
]
AGILE = Process(
    "Agile",
    "adcc42ab-9882-485e-a3ed-7678f01f66bc",
    {
        "Epic": _t(
            "Epic",
            {
                S + "Effort",
                C + "BusinessValue",
                C + "AcceptanceCriteria",
                C + "StackRank",
                C + "Priority",
            },
            AGILE_FLOW,
        ),
        "Feature": _t(
            "Feature",
            {
                S + "Effort",
                C + "BusinessValue",
                C + "AcceptanceCriteria",
                C + "StackRank",
                C + "Priority",
            },
            AGILE_FLOW,
        ),
        "User Story": _t(
            "User Story",
            {S + "StoryPoints", C + "AcceptanceCriteria", C + "StackRank", C + "Priority"},
            AGILE_FLOW,
        ),
        "Task": _t(
            "Task",
            {
                S + "OriginalEstimate",
                S + "RemainingWork",
                S + "CompletedWork",
                C + "Activity",
                C + "StackRank",
                C + "Priority",
            },
            [
                ("New", "Proposed"),
                ("Active", "InProgress"),
                ("Closed", "Completed"),
                ("Removed", "Removed"),
            ],
        ),
        "Bug": _t("Bug", {S + "StoryPoints", C + "StackRank", C + "Priority"}, AGILE_FLOW),
    },
    "Stories",
    (
        ("New", "incoming", "New"),
        ("Active", "inProgress", "Active"),
        ("Resolved", "inProgress", "Resolved"),
        ("Closed", "outgoing", "Closed"),
    ),
    "User Story",
)
SCRUM_FLOW = [
    ("New", "Proposed"),
    ("In Progress", "InProgress"),
    ("Done", "Completed"),
    ("Removed", "Removed"),
]
SCRUM = Process(
    "Scrum",
    "6b724908-ef14-45cf-84f8-768b5384da45",
    {
        "Epic": _t(
            "Epic",
            {S + "Effort", C + "BusinessValue", C + "AcceptanceCriteria", C + "BacklogPriority"},
            SCRUM_FLOW,
        ),
        "Feature": _t(
            "Feature",
            {S + "Effort", C + "BusinessValue", C + "AcceptanceCriteria", C + "BacklogPriority"},
            SCRUM_FLOW,
        ),
        "Product Backlog Item": _t(
            "Product Backlog Item",
            {S + "Effort", C + "BusinessValue", C + "AcceptanceCriteria", C + "BacklogPriority"},
            [
                ("New", "Proposed"),
                ("Approved", "Proposed"),
                ("Committed", "InProgress"),
                ("Done", "Completed"),
                ("Removed", "Removed"),
            ],
        ),
        "Task": _t(
            "Task",
            {S + "RemainingWork", C + "Activity", C + "BacklogPriority"},
            [
                ("To Do", "Proposed"),
                ("In Progress", "InProgress"),
                ("Done", "Completed"),
                ("Removed", "Removed"),
            ],
        ),
        "Bug": _t("Bug", {S + "Effort", C + "BacklogPriority"}, SCRUM_FLOW),
    },
    "Backlog items",
    (
        ("New", "incoming", "New"),
        ("Approved", "inProgress", "Approved"),
        ("Committed", "inProgress", "Committed"),
        ("Done", "outgoing", "Done"),
    ),
    "Product Backlog Item",
)
BASIC_FLOW = [("To Do", "Proposed"), ("Doing", "InProgress"), ("Done", "Completed")]
BASIC = Process(
    "Basic",
    "b8a3a935-7e91-48b8-a94c-606d37c3e9f2",
    {
        "Epic": _t("Epic", {S + "Effort", C + "StackRank", C + "Priority"}, BASIC_FLOW),
        "Issue": _t("Issue", {S + "Effort", C + "StackRank", C + "Priority"}, BASIC_FLOW),
        "Task": _t(
            "Task",
            {S + "RemainingWork", C + "Activity", C + "StackRank", C + "Priority"},
            BASIC_FLOW,
        ),
    },
    "Issues",
    (
        ("To Do", "incoming", "To Do"),
        ("Doing", "inProgress", "Doing"),
        ("Done", "outgoing", "Done"),
    ),
    "Issue",
)
CMMI_FLOW = [
    ("Proposed", "Proposed"),
    ("Active", "InProgress"),
    ("Resolved", "Resolved"),
    ("Closed", "Completed"),
]
CMMI = Process(
    "CMMI",
    "27450541-8e31-4150-9947-dc59f998fc01",
    {
        "Epic": _t(
            "Epic",
            {
                S + "Effort",
                C + "BusinessValue",
                C + "AcceptanceCriteria",
                C + "StackRank",
                C + "Priority",
            },
            CMMI_FLOW + [("Removed", "Removed")],
        ),
        "Feature": _t(
            "Feature",
            {
                S + "Effort",
                C + "BusinessValue",
                C + "AcceptanceCriteria",
                C + "StackRank",
                C + "Priority",
            },
            CMMI_FLOW + [("Removed", "Removed")],
        ),
        "Requirement": _t(
            "Requirement",
            {S + "Size", "Microsoft.VSTS.CMMI.RequirementType", C + "StackRank", C + "Priority"},
            CMMI_FLOW,
        ),
        "Task": _t(
            "Task",
            {
                S + "OriginalEstimate",
                S + "RemainingWork",
                S + "CompletedWork",
                C + "Discipline",
                C + "StackRank",
                C + "Priority",
            },
            CMMI_FLOW,
        ),
        "Bug": _t("Bug", {S + "Size", C + "StackRank", C + "Priority"}, CMMI_FLOW),
    },
    "Requirements",
    (
        ("Proposed", "incoming", "Proposed"),
        ("Active", "inProgress", "Active"),
        ("Resolved", "inProgress", "Resolved"),
        ("Closed", "outgoing", "Closed"),
    ),
    "Requirement",
)

SYSTEM = {p.name.lower(): p for p in (AGILE, SCRUM, BASIC, CMMI)}
ALL_FIELDS = frozenset().union(*(t.fields for p in SYSTEM.values() for t in p.types.values()))


def inherited(base: Process, name: str, type_id: str) -> Process:
    """A customised process that extends ``base`` (same types, its own id)."""
    return Process(
        name,
        type_id,
        dict(base.types),
        base.board,
        base.board_columns,
        base.requirement_type,
        parent_type_id=base.type_id,
    )


def process_named(name: str) -> Process:
    """ "agile", "scrum", "basic", "cmmi" or "inherited-<base>" (e.g. "inherited-agile")."""
    if name.startswith("inherited-"):
        base = SYSTEM[name.removeprefix("inherited-")]
        return inherited(base, f"{base.name} for ML", "7c0d6c5e-1a2b-4c3d-9e8f-0a1b2c3d4e5f")
    return SYSTEM[name]
