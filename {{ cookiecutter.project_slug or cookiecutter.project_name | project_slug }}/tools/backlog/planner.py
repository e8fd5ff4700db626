"""The planner: a validated ``backlog.yml`` plus ``project.yml`` in, the ``Plan`` out.

Pure and deterministic: no I/O, no clock (the first sprint's date comes from the file), the same
input gives the same plan, item for item. Guarantees the apply side relies on:

* sprints are contiguous, each starts on a working day and finishes on the last working day of
  its last week;
* items come parents first: the Epic, per phase its Feature then its stories, the cadence
  Feature, then per sprint its deliverables item then its ceremony tasks; keys are unique;
* every text that reaches Azure Boards as HTML is escaped (markupsafe), so a ``<script>`` typed
  in a goal or a checklist arrives as ``&lt;script&gt;``; titles are plain-text fields and stay
  as typed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable

from markupsafe import Markup

from backlog import naming
from backlog.config import ProjectConfig
from backlog.model import Plan, PlannedItem, PlannedIteration, PlannedQuery
from backlog.spec import (
    DAY_NAMES,
    BacklogSpec,
    CeremonySpec,
    PhaseSpec,
    SprintSettings,
    ceremony_title,
    deliverables_title,
)

EPIC_KEY = "epic"
CADENCE_KEY = "cadence"
CADENCE_TITLE = "Sprint rhythm: ceremonies and deliverables"
DELIVERABLES_TAG = "deliverables"
CEREMONY_TAG = "ceremony"
CADENCE_TAG = "cadence"
SOURCE_NOTE = (
    "Planned as code in backlog/backlog.yml of the project repository: change it there and "
    "run python -m backlog apply; the key tag, not the title, identifies this item."
)

_QUERY_DESCRIPTIONS = {
    "current_sprint_by_phase": "Work of the team's current sprint, by phase tag.",
    "tasks_over_limit": "Tasks estimated above {limit:g} hours ({days} working days): cut them.",
    "wip_per_person": "Work in progress per person: more than one item each hides the status.",
    "unsized_requirements": "Stories without a size: size them in T-shirt sizes in refinement.",
    "deliverables_by_sprint": "Each sprint's deliverable checklist, sprint by sprint.",
}


def build_plan(spec: BacklogSpec, config: ProjectConfig) -> Plan:
    """The whole board for ``spec`` and ``config``, in creation order."""
    iterations = plan_iterations(spec.sprints, spec.phases)
    items: list[PlannedItem] = [_epic(spec, config)]
    for phase in spec.phases:
        items.append(_phase_feature(phase, iterations))
        items.extend(_stories(phase, spec))
    items.append(_cadence(spec))
    for number, iteration in enumerate(iterations, start=1):
        items.append(_deliverables(number, iteration, spec))
        items.extend(_ceremonies(iteration, spec))
    members = config.team_members
    plan = Plan(
        project_slug=config.slug,
        project_name=config.name,
        iteration_folder=spec.sprints.iteration_folder,
        iterations=iterations,
        items=tuple(items),
        query_folder=spec.query_folder or default_query_folder(config.name, config.slug),
        queries=tuple(_query(q, spec) for q in spec.queries),
        working_days=spec.sprints.working_days,
        task_limit_hours=spec.task_limit_hours,
        wip_limit=len(members) or None,
        team_members=members,
        warnings=tuple(_warnings(spec, iterations, items)),
    )
    check_order(plan)
    return plan


def plan_iterations(
    sprints: SprintSettings, phases: tuple[PhaseSpec, ...] = ()
) -> tuple[PlannedIteration, ...]:
    """Back-to-back sprints; each finishes on the last working day before the next starts.

    A sprint's goal names the phases active in it.
    """
    length = dt.timedelta(weeks=sprints.length_weeks)
    result = []
    for number in range(1, sprints.count + 1):
        start = sprints.start + (number - 1) * length
        days = (start + dt.timedelta(days=offset) for offset in range(length.days))
        finish = max(d for d in days if DAY_NAMES[d.weekday()] in sprints.working_days)
        active = ", ".join(p.name for p in phases if p.is_active_in(number))
        goal = f"Phases: {active}" if active else ""
        name = sprints.sprint_name(number)
        result.append(PlannedIteration(sprint_key(number), name, start, finish, goal))
    return tuple(result)


def span_label(first: PlannedIteration, last: PlannedIteration) -> str:
    """``Sprint 2 to Sprint 4``, or just ``Sprint 2`` for a single sprint."""
    return first.name if first.key == last.key else f"{first.name} to {last.name}"


def sprint_key(number: int) -> str:
    return f"sprint-{number:02d}"


def story_sprint(index: int, count: int, phase: PhaseSpec) -> int:
    """Sprint number of the ``index``-th of ``count`` stories: spread evenly over the range."""
    width = phase.last_sprint - phase.first_sprint + 1
    return phase.first_sprint + (index * width) // count


def default_query_folder(project_name: str, slug: str) -> str:
    """``<project name> backlog`` without the characters a query folder may not hold."""
    kept = "".join(ch for ch in project_name if ch not in naming.QUERY_FORBIDDEN)
    name = " ".join(f"{kept} backlog".split())[: naming.QUERY_MAX].strip()
    return name if naming.check_query_name(name) is None else f"{slug} backlog"


def check_order(plan: Plan) -> None:
    """Raise ``ValueError`` unless keys are unique and every parent precedes its children."""
    seen: set[str] = set()
    sprints = {iteration.key for iteration in plan.iterations}
    for item in plan.items:
        if item.key in seen:
            raise ValueError(f"duplicate item key {item.key!r}")
        if item.parent_key is not None and item.parent_key not in seen:
            raise ValueError(f"{item.key!r} comes before its parent {item.parent_key!r}")
        if item.iteration_key is not None and item.iteration_key not in sprints:
            raise ValueError(f"{item.key!r} names an unknown sprint {item.iteration_key!r}")
        seen.add(item.key)


# --- HTML -------------------------------------------------------------------------------------


def paragraph(label: str, value: str) -> Markup:
    """``<p><b>label</b> value</p>`` with ``value`` escaped."""
    return Markup("<p><b>{}</b> {}</p>").format(label, value)


def checklist_html(entries: Iterable[str]) -> str:
    """An HTML list, each entry escaped: the form checklists take on Azure Boards."""
    rows = Markup("").join(Markup("<li>{}</li>").format(entry) for entry in entries)
    return str(Markup("<ul>{}</ul>").format(rows)) if rows else ""


def checklist_entries(list_html: str) -> list[str]:
    """The plain text of each entry of a list made by ``checklist_html`` (for text output)."""
    found = re.findall(r"<li>(.*?)</li>", list_html, flags=re.DOTALL)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", entry)).split()) for entry in found]


def _code_list(paths: Iterable[str]) -> Markup:
    rows = Markup("").join(Markup("<li><code>{}</code></li>").format(path) for path in paths)
    return Markup("<ul>{}</ul>").format(rows)


# --- items ------------------------------------------------------------------------------------


def _epic(spec: BacklogSpec, config: ProjectConfig) -> PlannedItem:
    phases = Markup("").join(
        Markup("<li><b>{}</b> (sprints {}-{}): {}</li>").format(
            phase.name, phase.first_sprint, phase.last_sprint, phase.deliverable
        )
        for phase in spec.phases
    )
    parts = [Markup("<p>{}</p>").format(config.description)] if config.description else []
    parts += [
        Markup("<p><b>Phases</b>, each ending in a deliverable:</p><ul>{}</ul>").format(phases),
        Markup("<p><i>{}</i></p>").format(SOURCE_NOTE),
    ]
    return PlannedItem(key=EPIC_KEY, role="epic", title=config.name, description_html=_join(parts))


def _phase_feature(phase: PhaseSpec, iterations: tuple[PlannedIteration, ...]) -> PlannedItem:
    first, last = iterations[phase.first_sprint - 1], iterations[phase.last_sprint - 1]
    when = f"{span_label(first, last)}, {first.start.isoformat()} to {last.finish.isoformat()}"
    description = _join(
        [
            paragraph("Goal:", phase.goal),
            paragraph("Deliverable:", phase.deliverable),
            paragraph("Planned:", when),
        ]
    )
    return PlannedItem(
        key=f"phase:{phase.key}",
        role="feature",
        title=phase.name,
        description_html=description,
        acceptance_html=checklist_html(
            [f"Deliverable shown to the team and stakeholders: {phase.deliverable}"]
        ),
        parent_key=EPIC_KEY,
        tags=(f"phase:{phase.key}",),
    )


def _stories(phase: PhaseSpec, spec: BacklogSpec) -> list[PlannedItem]:
    result = []
    for index, story in enumerate(phase.stories):
        parts = [Markup("<p>{}</p>").format(story.description)] if story.description else []
        parts.append(paragraph("Phase:", f"{phase.name}. Its deliverable: {phase.deliverable}"))
        if story.links:
            parts.append(
                Markup("<p><b>Where the work lives:</b></p>{}").format(_code_list(story.links))
            )
        parts.append(paragraph("T-shirt size:", story.size))
        number = story_sprint(index, len(phase.stories), phase)
        result.append(
            PlannedItem(
                key=f"story:{phase.key}:{story.key}",
                role="requirement",
                title=story.title,
                description_html=_join(parts),
                acceptance_html=checklist_html(story.acceptance),
                parent_key=f"phase:{phase.key}",
                iteration_key=sprint_key(number),
                tags=(f"phase:{phase.key}", f"size:{story.size}"),
                tshirt=story.size,
                size=spec.sizes[story.size],
            )
        )
    return result


def _cadence(spec: BacklogSpec) -> PlannedItem:
    weeks = spec.sprints.length_weeks
    rows = [
        f"{c.name}: {c.hours_per_sprint_week * weeks:g} h per sprint"
        for c in spec.planned_ceremonies()
    ]
    description = _join(
        [
            Markup(
                "<p>Every sprint has one item that carries what the sprint must deliver; its "
                "tasks are the sprint's ceremonies, held by the whole team.</p>"
            ),
            Markup("<p><b>Ceremonies</b></p>") + Markup(checklist_html(rows)),
        ]
    )
    return PlannedItem(
        key=CADENCE_KEY,
        role="feature",
        title=CADENCE_TITLE,
        description_html=description,
        parent_key=EPIC_KEY,
        tags=(CADENCE_TAG,),
    )


def _deliverables(number: int, iteration: PlannedIteration, spec: BacklogSpec) -> PlannedItem:
    active = [phase for phase in spec.phases if phase.is_active_in(number)]
    entries = list(spec.sprint_checklist)
    for phase in active:
        due = " (due this sprint)" if phase.last_sprint == number else ""
        entries.append(f"{phase.name} deliverable{due}: {phase.deliverable}")
    names = ", ".join(phase.name for phase in active) or "none"
    description = _join(
        [
            Markup(
                "<p>What {} ({} to {}) must deliver: the acceptance criteria are the "
                "checklist, reviewed in the sprint review.</p>"
            ).format(iteration.name, iteration.start.isoformat(), iteration.finish.isoformat()),
            paragraph("Phases active in this sprint:", names),
        ]
    )
    return PlannedItem(
        key=f"{iteration.key}:deliverables",
        role="requirement",
        title=deliverables_title(iteration.name),
        description_html=description,
        acceptance_html=checklist_html(entries),
        parent_key=CADENCE_KEY,
        iteration_key=iteration.key,
        tags=(DELIVERABLES_TAG,),
    )


def _ceremonies(iteration: PlannedIteration, spec: BacklogSpec) -> list[PlannedItem]:
    weeks = spec.sprints.length_weeks
    return [_ceremony(ceremony, iteration, weeks) for ceremony in spec.planned_ceremonies()]


def _ceremony(ceremony: CeremonySpec, iteration: PlannedIteration, weeks: int) -> PlannedItem:
    hours = ceremony.hours_per_sprint_week * weeks
    description = _join(
        [
            Markup("<p>{}</p>").format(ceremony.purpose),
            Markup("<p><b>Agenda</b></p>") + Markup(checklist_html(ceremony.agenda)),
            paragraph(
                "Time box:",
                f"{hours:g} h in this sprint ({ceremony.hours_per_sprint_week:g} h per week).",
            ),
        ]
    )
    return PlannedItem(
        key=f"{iteration.key}:ceremony:{ceremony.key}",
        role="task",
        title=ceremony_title(ceremony.name, iteration.name),
        description_html=description,
        parent_key=f"{iteration.key}:deliverables",
        iteration_key=iteration.key,
        tags=(CEREMONY_TAG,),
        estimate_hours=hours,
    )


def _query(query, spec: BacklogSpec) -> PlannedQuery:
    description = query.description or _QUERY_DESCRIPTIONS[query.kind].format(
        limit=spec.task_limit_hours, days=spec.task_max_days
    )
    return PlannedQuery(key=query.key, name=query.name, kind=query.kind, description=description)


def _warnings(spec, iterations, items: list[PlannedItem]) -> list[str]:
    """Plans that are valid but break a habit of the way of working."""
    warnings = [
        f"phase '{phase.key}' has no stories: add at least one that aims at its deliverable"
        for phase in spec.phases
        if not phase.stories
    ]
    busy = {item.iteration_key for item in items if item.key.startswith("story:")}
    warnings += [
        f"{iteration.name} has no story: every sprint should aim at a deliverable"
        for iteration in iterations
        if iteration.key not in busy
    ]
    return warnings


def _join(parts: Iterable[Markup]) -> str:
    return str(Markup("").join(parts))
