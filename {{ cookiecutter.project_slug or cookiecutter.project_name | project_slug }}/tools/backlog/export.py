"""Offline exports of the plan: the Azure Boards CSV import file and a Markdown roadmap.

* ``csv_rows``: the format of Boards > Queries > Import work items. Hierarchy by column
  (``Title 1`` .. ``Title 4``), each child row directly below its parent; tags include the
  project and key tags, so a later ``apply`` adopts the imported items instead of duplicating
  them. Teams that cannot grant API access import this file by hand. The import refuses an
  Iteration Path that does not exist yet: ``iterations_to_create`` lists the sprints to make
  first, and ``iterations=False`` leaves the column out (items land in the default iteration).
* ``render_markdown``: the plan with a mermaid gantt roadmap (a section and bar per phase, a
  section of sprints with their deliverables milestones), fenced for Azure Repos/GitHub or for a
  project wiki.

Pure functions plus ``write_text_atomically``; standard library and markupsafe only.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
import stat
import tempfile
from pathlib import Path

from backlog.model import Plan, PlannedItem
from backlog.planner import checklist_entries
from backlog.process import ProcessProfile
from backlog.spec import BacklogSpec

CSV_IMPORT_LIMIT = 1000  # work items per import file (Azure Boards)
# Field display names, as the CSV import matches columns to fields by name.
FIELD_NAMES = {
    "StoryPoints": "Story Points",
    "Effort": "Effort",
    "Size": "Size",
    "OriginalEstimate": "Original Estimate",
    "RemainingWork": "Remaining Work",
}
# Only Agile's User Story and Scrum's PBI have an Acceptance Criteria field on the requirement
# type; for CMMI and Basic the checklist is appended to the description instead.
PROCESSES_WITH_ACCEPTANCE = frozenset({"Agile", "Scrum"})
_GANTT_ESCAPES = str.maketrans({":": "#58;", "#": "#35;", ";": "#59;", "<": "#60;", ">": "#62;"})
_MARKDOWN_SPECIAL = "\\`*_[]|"
# Mermaid draws a section's name in a fixed left margin (75 px by default): a long name runs
# into the bars, so sections get short names and bars carry at most this many characters.
GANTT_LABEL_MAX = 40


class ExportError(ValueError):
    """The plan cannot be exported in this format; the message is one line."""


def _field_name(reference: str) -> str:
    return FIELD_NAMES[reference.rsplit(".", 1)[-1]]


def ordered_with_depth(plan: Plan) -> list[tuple[PlannedItem, int]]:
    """Items depth-first (each child right after its parent), with depth 1 for roots."""
    children: dict[str | None, list[PlannedItem]] = {}
    for item in plan.items:
        children.setdefault(item.parent_key, []).append(item)
    result: list[tuple[PlannedItem, int]] = []

    def visit(item: PlannedItem, depth: int) -> None:
        result.append((item, depth))
        for child in children.get(item.key, ()):
            visit(child, depth + 1)

    for root in children.get(None, ()):
        visit(root, 1)
    return result


def csv_rows(
    plan: Plan, profile: ProcessProfile, ado_project: str, *, iterations: bool = True
) -> list[list[str]]:
    """Header plus one row per work item, in import order; ``iterations=False``: no sprints."""
    ordered = ordered_with_depth(plan)
    if len(ordered) > CSV_IMPORT_LIMIT:
        raise ExportError(
            f"the plan has {len(ordered)} work items; Azure Boards imports at most "
            f"{CSV_IMPORT_LIMIT} per file (reduce sprints.count or stories)"
        )
    depth = max(d for _, d in ordered)
    with_acceptance = profile.name in PROCESSES_WITH_ACCEPTANCE
    estimates = [_field_name(f) for f in profile.task_estimate_fields]
    header = ["ID", "Work Item Type", *(f"Title {level}" for level in range(1, depth + 1))]
    header += ["Iteration Path"] if iterations else []
    header += ["Tags", "Description"]
    header += ["Acceptance Criteria"] if with_acceptance else []
    header += [_field_name(profile.size_field), *estimates]
    rows = [header]
    for item, level in ordered:
        titles = [""] * depth
        titles[level - 1] = item.title
        description = item.description_html
        if not with_acceptance and item.acceptance_html:
            description += "<h3>Acceptance checklist</h3>" + item.acceptance_html
        row = ["", profile.type_of(item.role), *titles]
        row += [_iteration_path(plan, item, ado_project)] if iterations else []
        row += ["; ".join([plan.project_tag, plan.key_tag(item.key), *item.tags]), description]
        row += [item.acceptance_html] if with_acceptance else []
        row += [_number(item.size)]
        row += [_number(item.estimate_hours)] * len(estimates)
        rows.append(row)
    return rows


def render_csv(
    plan: Plan, profile: ProcessProfile, ado_project: str, *, iterations: bool = True
) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(plan, profile, ado_project, iterations=iterations))
    return buffer.getvalue()


def iterations_to_create(plan: Plan, ado_project: str) -> list[str]:
    """The iteration paths the CSV names, with dates: they must exist before the import."""
    return [
        f"{ado_project}\\{plan.iteration_folder}\\{i.name}  {i.start} .. {i.finish}"
        for i in plan.iterations
    ]


def render_markdown(
    plan: Plan, spec: BacklogSpec, profile: ProcessProfile, *, wiki: bool = False
) -> str:
    """The plan for people: roadmap, phases, sprint by sprint, queries and board rules."""
    out: list[str] = []
    add = out.append
    add(f"# {_md(plan.project_name)}: backlog plan")
    add("")
    add(
        "Generated from `backlog/backlog.yml` by `python -m backlog export --format md`; edit "
        "that file and export again rather than editing this page."
    )
    add("")
    add("## Roadmap")
    add("")
    add("::: mermaid" if wiki else "```mermaid")
    out.extend(gantt_lines(plan, spec))
    add(":::" if wiki else "```")
    add("")
    add("## Phases")
    add("")
    add("| Phase | Sprints | Goal | Deliverable |")
    add("| --- | --- | --- | --- |")
    for phase in spec.phases:
        span = f"{phase.first_sprint}-{phase.last_sprint}"
        add(f"| {_md(phase.name)} | {span} | {_md(phase.goal)} | {_md(phase.deliverable)} |")
    for iteration in plan.iterations:
        _markdown_sprint(out, plan, iteration, profile)
    add("")
    add(f"## Shared queries (Shared Queries/{_md(plan.query_folder)})")
    add("")
    out.extend(f"- **{_md(q.name)}**: {_md(q.description)}" for q in plan.queries)
    add("")
    add("## Board rules")
    add("")
    add(f"- No task above {plan.task_limit_hours:g} hours; stories are sized in T-shirt sizes.")
    if plan.wip_limit:
        add(f"- WIP limit {plan.wip_limit} on the in-progress column: one item per person.")
    else:
        add("- One item in progress per person (add team members in project.yml for a limit).")
    return "\n".join(out) + "\n"


def gantt_lines(plan: Plan, spec: BacklogSpec) -> list[str]:
    """A mermaid gantt: a section and bar per phase, then one section of sprints and milestones.

    Sections are named "Phase N" and "Sprints" (short enough for mermaid's label margin); a
    bar carries its phase's name, shortened when long - the Phases table has it in full. The
    axis shows the year when the plan crosses one.
    """
    sprints = plan.iterations
    crosses_year = sprints[0].start.year != sprints[-1].finish.year
    lines = [
        "gantt",
        f"    title {_gantt(plan.project_name)} roadmap",
        "    dateFormat YYYY-MM-DD",
        f"    axisFormat {'%d %b %Y' if crosses_year else '%d %b'}",
    ]
    for number, phase in enumerate(spec.phases, start=1):
        first, last = sprints[phase.first_sprint - 1], sprints[phase.last_sprint - 1]
        lines.append(f"    section Phase {number}")
        lines.append(f"    {_gantt_label(phase.name)} :{first.start}, {_day_after(last.finish)}")
    lines.append("    section Sprints")
    for iteration in sprints:
        lines.append(
            f"    {_gantt_label(iteration.name)} :{iteration.start}, {_day_after(iteration.finish)}"
        )
        milestone = plan.item(f"{iteration.key}:deliverables").title
        lines.append(f"    {_gantt_label(milestone)} :milestone, {iteration.finish}, 0d")
    return lines


def write_text_atomically(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` completely or not at all (temp file, then rename).

    The file gets the mode a plain ``open()`` would give it (0666 less the umask), or keeps
    the mode of the file it replaces: mkstemp's 0600 would hide an export from the team.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it; set straight back
        os.umask(umask)
        return 0o666 & ~umask


def _markdown_sprint(out: list[str], plan: Plan, iteration, profile: ProcessProfile) -> None:
    add = out.append
    add("")
    add(f"## {_md(iteration.name)}: {iteration.start} to {iteration.finish}")
    add("")
    stories = [
        i for i in plan.items if i.iteration_key == iteration.key and i.key.startswith("story:")
    ]
    if stories:
        add(f"| {profile.type_of('requirement')} | Phase | Size |")
        add("| --- | --- | --- |")
        for story in stories:
            phase = plan.item(story.parent_key).title
            add(f"| {_md(story.title)} | {_md(phase)} | {story.tshirt} ({story.size:g}) |")
    else:
        add("No stories planned in this sprint.")
    deliverables = plan.item(f"{iteration.key}:deliverables")
    add("")
    add(f"**{_md(deliverables.title)}**")
    add("")
    out.extend(f"- [ ] {_md(entry)}" for entry in checklist_entries(deliverables.acceptance_html))
    tasks = [i for i in plan.items if i.parent_key == deliverables.key]
    if tasks:
        add("")
        add("Ceremonies: " + ", ".join(f"{_md(t.title)} {t.estimate_hours:g} h" for t in tasks))


def _iteration_path(plan: Plan, item: PlannedItem, ado_project: str) -> str:
    if item.iteration_key is None:
        return ""
    return "\\".join([ado_project, plan.iteration_folder, plan.iteration(item.iteration_key).name])


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _day_after(day: dt.date) -> str:
    # mermaid ends a bar at the start of its end date, so an inclusive finish needs one more day
    return (day + dt.timedelta(days=1)).isoformat()


def _gantt(value: str) -> str:
    """Mermaid gantt text: ':' '#' ';' are syntax there and '<' '>' markup: entity codes."""
    return " ".join(value.translate(_GANTT_ESCAPES).split())


def _gantt_label(value: str) -> str:
    text = " ".join(value.split())
    if len(text) > GANTT_LABEL_MAX:
        text = text[: GANTT_LABEL_MAX - 1].rstrip() + "\u2026"
    return _gantt(text)


def _md(value: str) -> str:
    """Markdown text that shows as typed: HTML escaped, Markdown punctuation backslashed."""
    escaped = html.escape(" ".join(value.split()), quote=False)
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in escaped)
