"""The plan as readable text: what ``python -m backlog plan`` prints.

Guarantee: every sprint (name and dates), every item of the plan and every query appears, so a
reader sees exactly what ``apply`` will make sure exists. The process only changes the work
item type names and the size field's name. Pure: returns a string, wrapped on word
boundaries to ``width`` when given (``output_width`` picks it: the terminal's, or none for a
file or pipe, so lines stay whole for grep and diff).
"""

from __future__ import annotations

import shutil
import textwrap
from typing import TextIO

from backlog.model import Plan, PlannedItem
from backlog.planner import checklist_entries
from backlog.process import ProcessProfile

SIZE_LABELS = {"StoryPoints": "story points", "Effort": "effort", "Size": "size"}
MIN_WIDTH = 40  # narrower than this, indents would leave no room for words
CONTINUATION = "    "  # a wrapped line continues this much deeper than where it started


def size_label(profile: ProcessProfile) -> str:
    return SIZE_LABELS.get(profile.size_field.rsplit(".", 1)[-1], "size")


def output_width(stream: TextIO) -> int | None:
    """The terminal's width (COLUMNS first, as shells set it); None for a file or pipe.

    A pipe is not wrapped even when COLUMNS is set: tools such as pytest-xdist export it.
    """
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return None
    return max(MIN_WIDTH, shutil.get_terminal_size().columns)


def wrap_line(line: str, width: int | None) -> list[str]:
    """``line`` in pieces of at most ``width`` columns, broken between words (only a word
    longer than a whole line is cut)."""
    if width is None or len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    return textwrap.wrap(
        line.lstrip(" "),
        width,
        initial_indent=indent,
        subsequent_indent=indent + CONTINUATION,
        break_on_hyphens=False,  # dates, keys and sprint names stay whole
    )


def render_plan(plan: Plan, profile: ProcessProfile, width: int | None = None) -> str:
    lines: list[str] = []
    add = lines.append
    epic = plan.item("epic")
    first, last = plan.iterations[0], plan.iterations[-1]
    add(f"Backlog plan for {plan.project_name} ({profile.name} process)")
    add(
        f"{len(plan.iterations)} sprints from {first.start.isoformat()} to "
        f"{last.finish.isoformat()}, under the iteration folder '{plan.iteration_folder}'"
    )
    add("")
    add(f"{profile.type_of('epic')}: {epic.title}")
    for item in plan.items:
        if item.role == "feature" and item.parent_key == "epic":
            children = [c for c in plan.items if c.parent_key == item.key]
            add(f"  {profile.type_of('feature')}: {item.title}  ({_count(children, 'item')})")
    for iteration in plan.iterations:
        add("")
        add(
            f"{iteration.name}  {iteration.start.isoformat()} .. {iteration.finish.isoformat()}"
            f"  [{iteration.key}]"
        )
        _sprint(lines, plan, iteration.key, profile)
    add("")
    add(f"Shared queries in 'Shared Queries/{plan.query_folder}':")
    for query in plan.queries:
        add(f"  {query.name}  ({query.kind})")
    if not plan.queries:
        add("  (none)")
    add("")
    if plan.wip_limit:
        add(
            f"WIP limit: {plan.wip_limit} on the in-progress column "
            f"(one item per person for {_count(plan.team_members, 'team member')})"
        )
    else:
        add("WIP limit: not set (add team_members in project.yml to limit it to one per person)")
    for warning in plan.warnings:
        add(f"warning: {warning}")
    return "".join(f"{piece}\n" for line in lines for piece in wrap_line(line, width))


def _sprint(lines: list[str], plan: Plan, sprint: str, profile: ProcessProfile) -> None:
    add = lines.append
    stories = [i for i in plan.items if i.iteration_key == sprint and i.key.startswith("story:")]
    requirement = profile.type_of("requirement")
    label = size_label(profile)
    add(f"  Stories ({requirement}):")
    for story in stories:
        phase = story.parent_key.split(":", 1)[1] if story.parent_key else ""
        add(f"    [{story.tshirt}] {story.title}  ({label} {story.size:g}; phase {phase})")
    if not stories:
        add("    (none)")
    deliverables = plan.item(f"{sprint}:deliverables")
    add(f"  {requirement}: {deliverables.title}")
    for entry in checklist_entries(deliverables.acceptance_html):
        add(f"    [ ] {entry}")
    tasks = [i for i in plan.items if i.parent_key == deliverables.key]
    if tasks:
        total = sum(t.estimate_hours or 0 for t in tasks)
        add(f"    {profile.type_of('task')}s (ceremonies, {total:g} h):")
    for task in tasks:
        add(f"      {task.title}  {task.estimate_hours:g} h")


def _count(values: list[PlannedItem] | tuple[str, ...], noun: str) -> str:
    return f"{len(values)} {noun}{'' if len(values) == 1 else 's'}"
