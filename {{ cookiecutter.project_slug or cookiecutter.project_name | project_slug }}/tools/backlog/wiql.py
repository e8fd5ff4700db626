"""The WIQL of the shared queries and of the one query that finds this project's items.

Pure string building; standard library only. Every value the user typed reaches WIQL through
``literal``, which doubles single quotes - WIQL's only escape - so a name such as
``O'Brien's model`` stays one string and cannot end the literal early.
"""

from __future__ import annotations

from backlog.model import Plan, PlannedQuery
from backlog.process import ProcessProfile

# The state a Task is in while someone works on it (process guidance of each process).
TASK_IN_PROGRESS = {"Agile": "Active", "Scrum": "In Progress", "Basic": "Doing", "CMMI": "Active"}
_COLUMNS = (
    "[System.Id], [System.WorkItemType], [System.Title], [System.State], "
    "[System.AssignedTo], [System.IterationPath], [System.Tags]"
)


def literal(value: str) -> str:
    """A WIQL string literal: quoted, with every ``'`` doubled."""
    return "'" + value.replace("'", "''") + "'"


def items_of_project(project_tag: str) -> str:
    """Every work item carrying the project tag (the apply step verifies tags exactly)."""
    return (
        "SELECT [System.Id] FROM WorkItems "
        f"WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS {literal(project_tag)} "
        "ORDER BY [System.Id]"
    )


def iteration_folder_path(project: str, folder: str) -> str:
    """The iteration path value of the ML project's sprint folder, as work items store it."""
    return f"{project}\\{folder}"


def query_wiql(
    query: PlannedQuery, plan: Plan, profile: ProcessProfile, *, project: str, team: str
) -> str:
    """The WIQL of one shared query, in the process's own types, fields and states."""
    folder = literal(iteration_folder_path(project, plan.iteration_folder))
    tag = literal(plan.project_tag)
    not_removed = "[System.State] <> 'Removed'"
    requirement = literal(profile.type_of("requirement"))
    if query.kind == "current_sprint_by_phase":
        # A tree: each phase (a Feature, an Epic on Basic) with its items in the current sprint.
        team_path = f"[{project}]\\{team}"
        current = f"@CurrentIteration({literal(team_path)})"
        return (
            f"SELECT {_COLUMNS} FROM WorkItemLinks WHERE "
            f"([Source].[System.TeamProject] = @project "
            f"AND [Source].[System.WorkItemType] = {literal(profile.type_of('feature'))} "
            f"AND [Source].[System.Tags] CONTAINS {tag}) "
            "AND ([System.Links.LinkType] = 'System.LinkTypes.Hierarchy-Forward') "
            f"AND ([Target].[System.IterationPath] = {current} "
            f"AND [Target].{not_removed}) "
            "ORDER BY [System.Title] MODE (MustContain)"
        )
    if query.kind == "tasks_over_limit":
        estimate = profile.task_estimate_fields[0]
        return (
            f"SELECT {_COLUMNS}, [{estimate}] FROM WorkItems "
            "WHERE [System.TeamProject] = @project AND [System.WorkItemType] = 'Task' "
            f"AND [{estimate}] > {plan.task_limit_hours:g} "
            f"AND [System.IterationPath] UNDER {folder} AND {not_removed} "
            f"ORDER BY [{estimate}] DESC"
        )
    if query.kind == "wip_per_person":
        states = sorted({profile.in_progress_state, TASK_IN_PROGRESS[profile.name]})
        in_progress = ", ".join(literal(s) for s in states)
        return (
            f"SELECT {_COLUMNS} FROM WorkItems "
            "WHERE [System.TeamProject] = @project "
            f"AND [System.State] IN ({in_progress}) AND [System.AssignedTo] <> '' "
            f"AND ([System.IterationPath] UNDER {folder} OR [System.Tags] CONTAINS {tag}) "
            "ORDER BY [System.AssignedTo], [System.ChangedDate] DESC"
        )
    if query.kind == "unsized_requirements":
        return (
            f"SELECT {_COLUMNS}, [{profile.size_field}] FROM WorkItems "
            f"WHERE [System.TeamProject] = @project AND [System.WorkItemType] = {requirement} "
            f"AND [{profile.size_field}] = '' AND {not_removed} "
            f"AND ([System.IterationPath] UNDER {folder} OR [System.Tags] CONTAINS {tag}) "
            # each sprint's deliverables item is a requirement with no size, by design
            "AND [System.Tags] NOT CONTAINS 'deliverables' "
            "ORDER BY [System.IterationPath], [System.Title]"
        )
    if query.kind == "deliverables_by_sprint":
        return (
            f"SELECT {_COLUMNS} FROM WorkItems "
            "WHERE [System.TeamProject] = @project "
            f"AND [System.Tags] CONTAINS {tag} AND [System.Tags] CONTAINS 'deliverables' "
            f"AND {not_removed} ORDER BY [System.IterationPath], [System.Title]"
        )
    raise ValueError(f"unknown query kind {query.kind!r}")
