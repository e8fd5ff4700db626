"""Strict validation of ``backlog.yml``: every problem found, one line each, before any request.

Guarantee: ``load_spec`` returns a ``BacklogSpec`` only when the file breaks no rule; otherwise
it returns every problem as one line ``backlog.yml: <where>: <rule> (line N)``, e.g.
``backlog.yml: phases[2].stories[0].size: 'XXL' is not a size (known: XS, S, M, L, XL) (line 88)``.
Rules: no duplicate or unknown keys (with a "did you mean"), types, T-shirt sizes from the size
map, real dates on working days, 1-26 sprints of 1-4 weeks, phase ranges inside the sprints,
unique keys, no ceremony task above the task limit, names Azure DevOps accepts, links to files
that exist. The only I/O is reading the file and checking those links: no network, ever.
"""

from __future__ import annotations

from pathlib import Path

from backlog import fields as f
from backlog import naming
from backlog.fields import MISSING, At, Problems
from backlog.spec import (
    DAY_NAMES,
    QUERY_KINDS,
    SCRUM_OF_SCRUMS_KEY,
    SIZE_NAME_PATTERN,
    SPEC_VERSION,
    SPRINT_COUNT_RANGE,
    SPRINT_NUMBER_PLACEHOLDER,
    SPRINT_WEEKS_RANGE,
    TASK_MAX_DAYS_RANGE,
    BacklogSpec,
    CeremonySpec,
    PhaseSpec,
    QuerySpec,
    SprintSettings,
    StorySpec,
    ceremony_title,
    deliverables_title,
)
from backlog.strict_yaml import load

TOP_KEYS = (
    "version",
    "sprints",
    "sizes",
    "limits",
    "phases",
    "ceremonies",
    "sprint_checklist",
    "queries",
    "query_folder",
    "scrum_of_scrums",
)
SPRINT_KEYS = ("start", "length_weeks", "count", "working_days", "iteration_folder", "name_pattern")
LIMIT_KEYS = ("task_max_days", "hours_per_day")
PHASE_KEYS = ("key", "name", "goal", "deliverable", "sprints", "stories")
STORY_KEYS = ("key", "title", "size", "acceptance", "links", "description")
CEREMONY_KEYS = ("key", "name", "purpose", "agenda", "hours_per_sprint_week")
QUERY_KEYS = ("key", "name", "kind", "description")


def load_spec(path: Path, project_root: Path | None = None) -> tuple[BacklogSpec | None, list[str]]:
    """Read and validate a backlog file; story links are checked below ``project_root``.

    ``project_root`` defaults to the folder that holds ``backlog/``. An unreadable file is one
    problem line, never an exception.
    """
    path = Path(path)
    root = Path(project_root) if project_root is not None else path.resolve().parent.parent
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return None, [f"{path.name}: file: cannot be read ({reason})"]
    return parse_spec(content, source=path.name, project_root=root)


def parse_spec(
    content: str, *, source: str = "backlog.yml", project_root: Path | None = None
) -> tuple[BacklogSpec | None, list[str]]:
    """Validate backlog text; ``project_root=None`` skips only the check that links exist."""
    p = Problems(source)
    data, yaml_problems = load(content)
    for problem in yaml_problems:
        p.add(At(f"line {problem.line}" if problem.line else "file"), problem.message)
    if data is None:
        if not yaml_problems:
            p.add(At("file"), f"is empty; expected the keys {', '.join(TOP_KEYS)}")
        return None, p.lines
    spec = _document(data, p, project_root)
    return (spec, []) if spec is not None and not p.lines else (None, p.lines)


def _document(data: object, p: Problems, root: Path | None) -> BacklogSpec | None:
    top = At("")
    doc = f.mapping(data, top, p, TOP_KEYS, optional=("query_folder", "scrum_of_scrums"))
    if doc is None:
        return None
    version, version_at = f.field(doc, "version", top)
    if version is not MISSING and (isinstance(version, bool) or version != SPEC_VERSION):
        p.add(version_at, f"{version!r} is not supported (this tool reads version {SPEC_VERSION})")
    sprints = _sprints(*f.field(doc, "sprints", top), p)
    sizes = _sizes(*f.field(doc, "sizes", top), p)
    limits = _limits(*f.field(doc, "limits", top), p)
    count = sprints.count if sprints else None

    phases, phases_at = f.field(doc, "phases", top)
    phase_list = f.listing(phases, phases_at, p, non_empty=True)
    phase_specs = [_phase(v, at, count, sizes, root, p) for v, at in f.items(phase_list, phases_at)]
    f.unique(phase_list, "key", phases_at, p)

    ceremonies, ceremonies_at = f.field(doc, "ceremonies", top)
    ceremony_list = f.listing(ceremonies, ceremonies_at, p)
    ceremony_specs = [
        _ceremony(v, at, sprints, limits, p) for v, at in f.items(ceremony_list, ceremonies_at)
    ]
    f.unique(ceremony_list, "key", ceremonies_at, p)

    checklist = f.texts(*f.field(doc, "sprint_checklist", top), p, non_empty=True)

    queries, queries_at = f.field(doc, "queries", top)
    query_list = f.listing(queries, queries_at, p)
    query_specs = [_query(v, at, p) for v, at in f.items(query_list, queries_at)]
    f.unique(query_list, "key", queries_at, p)
    f.unique(query_list, "name", queries_at, p)

    folder, folder_at = f.field(doc, "query_folder", top)
    query_folder = None
    if folder is not MISSING:
        query_folder = f.text(folder, folder_at, p)
        f.named(naming.check_query_name, query_folder, folder_at, p)

    flag, flag_at = f.field(doc, "scrum_of_scrums", top)
    scrum_of_scrums = False if flag is MISSING else f.boolean(flag, flag_at, p)
    if scrum_of_scrums and SCRUM_OF_SCRUMS_KEY not in {c.key for c in ceremony_specs if c}:
        p.add(flag_at, f"is true, so a ceremony with key '{SCRUM_OF_SCRUMS_KEY}' is needed")

    if p.lines:
        return None
    return BacklogSpec(
        version=SPEC_VERSION,
        sprints=sprints,
        sizes=sizes,
        task_max_days=limits[0],
        hours_per_day=limits[1],
        phases=tuple(phase_specs),
        ceremonies=tuple(ceremony_specs),
        sprint_checklist=tuple(checklist),
        queries=tuple(query_specs),
        query_folder=query_folder,
        scrum_of_scrums=bool(scrum_of_scrums),
    )


def _sprints(value: object, at: At, p: Problems) -> SprintSettings | None:
    node = f.mapping(value, at, p, SPRINT_KEYS)
    if node is None:
        return None
    days = f.day_names(*f.field(node, "working_days", at), p)
    count = f.whole(*f.field(node, "count", at), p, *SPRINT_COUNT_RANGE)
    weeks = f.whole(*f.field(node, "length_weeks", at), p, *SPRINT_WEEKS_RANGE)
    start_value, start_at = f.field(node, "start", at)
    start = f.date(start_value, start_at, p)
    weekday = DAY_NAMES[start.weekday()] if start is not None else None
    if weekday is not None and days and weekday not in days:
        p.add(
            start_at,
            f"{start.isoformat()} is a {weekday.capitalize()}, not a working day "
            f"(working days: {', '.join(days)})",
        )
        start = None
    folder_value, folder_at = f.field(node, "iteration_folder", at)
    folder = f.text(folder_value, folder_at, p)
    if not f.named(naming.check_node_name, folder, folder_at, p):
        folder = None
    pattern_value, pattern_at = f.field(node, "name_pattern", at)
    pattern = f.text(pattern_value, pattern_at, p)
    if pattern is not None and SPRINT_NUMBER_PLACEHOLDER not in pattern:
        p.add(pattern_at, f"must contain {SPRINT_NUMBER_PLACEHOLDER}, the sprint number")
        pattern = None
    if None in (days, count, weeks, start, folder, pattern):
        return None
    settings = SprintSettings(start, weeks, count, days, folder, pattern)
    for number in range(1, count + 1):
        name = settings.sprint_name(number)
        problem = naming.check_iteration_path([folder, name])
        problem = problem or f.title_problem(deliverables_title(name))
        if problem:  # every name comes from the same pattern: one report is enough
            p.add(pattern_at, f"sprint name {name!r}: {problem}")
            return None
    return settings


def _sizes(value: object, at: At, p: Problems) -> dict[str, float] | None:
    if value is MISSING:
        return None
    if not isinstance(value, dict) or not value:
        p.add(at, "must map T-shirt sizes to numbers, e.g. {XS: 1, S: 2, M: 3, L: 5, XL: 8}")
        return None
    sizes: dict[str, float] = {}
    ok = True
    for name, number in value.items():
        here = at.key(value, str(name))
        if not isinstance(name, str) or not SIZE_NAME_PATTERN.match(name):
            p.add(here, f"{name!r} is not a size name (1 to 4 capital letters, e.g. XS, M, XL)")
            ok = False
        elif not f.is_number(number) or number <= 0:
            p.add(here, f"{number!r} must be a positive number")
            ok = False
        elif sizes and number <= list(sizes.values())[-1]:
            smaller, smaller_value = list(sizes.items())[-1]
            p.add(here, f"{number!r} must be larger than {smaller} ({smaller_value:g})")
            ok = False
        else:
            sizes[name] = float(number)
    return sizes if ok else None


def _limits(value: object, at: At, p: Problems) -> tuple[int, float] | None:
    node = f.mapping(value, at, p, LIMIT_KEYS)
    if node is None:
        return None
    days = f.whole(*f.field(node, "task_max_days", at), p, *TASK_MAX_DAYS_RANGE)
    hours = f.positive(*f.field(node, "hours_per_day", at), p, unit="hours", high=24)
    return None if days is None or hours is None else (days, hours)


def _phase(value, at: At, count, sizes, root, p: Problems) -> PhaseSpec | None:
    node = f.mapping(value, at, p, PHASE_KEYS, optional=("stories",))
    if node is None:
        return None
    key_value, key_at = f.field(node, "key", at)
    key = f.key(key_value, key_at, p)
    if key is not None and not f.named(naming.check_tag, f"phase:{key}", key_at, p):
        key = None
    name = f.title(*f.field(node, "name", at), p)
    goal = f.text(*f.field(node, "goal", at), p)
    deliverable = f.text(*f.field(node, "deliverable", at), p)
    span = f.sprint_range(*f.field(node, "sprints", at), p, count)
    stories, stories_at = f.field(node, "stories", at)
    story_list = [] if stories is MISSING else f.listing(stories, stories_at, p)
    story_specs = [_story(v, s_at, sizes, root, p) for v, s_at in f.items(story_list, stories_at)]
    f.unique(story_list, "key", stories_at, p)
    if None in (key, name, goal, deliverable, span, story_list) or None in story_specs:
        return None
    return PhaseSpec(key, name, goal, deliverable, span[0], span[1], tuple(story_specs))


def _story(value, at: At, sizes, root, p: Problems) -> StorySpec | None:
    node = f.mapping(value, at, p, STORY_KEYS, optional=("links", "description"))
    if node is None:
        return None
    key = f.key(*f.field(node, "key", at), p)
    title = f.title(*f.field(node, "title", at), p)
    size, size_at = f.field(node, "size", at)
    if (
        size is not MISSING
        and sizes is not None
        and (not isinstance(size, str) or size not in sizes)
    ):
        p.add(size_at, f"{size!r} is not a size (known: {', '.join(sizes)})")
        size = None
    acceptance = f.texts(*f.field(node, "acceptance", at), p, non_empty=True)
    links_value, links_at = f.field(node, "links", at)
    links = [] if links_value is MISSING else f.texts(links_value, links_at, p)
    for index, link in enumerate(links or ()):
        if not f.repo_path(link, links_at.item(links_value, index), p, root):
            links = None
    description_value, description_at = f.field(node, "description", at)
    description = (
        "" if description_value is MISSING else f.text(description_value, description_at, p)
    )
    if None in (key, title, acceptance, links, description) or size in (None, MISSING):
        return None
    return StorySpec(key, title, size, tuple(acceptance), tuple(links), description)


def _ceremony(value, at: At, sprints, limits, p: Problems) -> CeremonySpec | None:
    node = f.mapping(value, at, p, CEREMONY_KEYS)
    if node is None:
        return None
    key = f.key(*f.field(node, "key", at), p)
    name_value, name_at = f.field(node, "name", at)
    name = f.title(name_value, name_at, p)
    if name is not None and sprints is not None:
        longest = ceremony_title(name, sprints.sprint_name(sprints.count))
        if problem := f.title_problem(longest):
            p.add(name_at, f"task title {longest!r}: {problem}")
            name = None
    purpose = f.text(*f.field(node, "purpose", at), p)
    agenda = f.texts(*f.field(node, "agenda", at), p, non_empty=True)
    hours_value, hours_at = f.field(node, "hours_per_sprint_week", at)
    hours = f.positive(hours_value, hours_at, p, unit="hours")
    if hours is not None and sprints is not None and limits is not None:
        estimate, limit = hours * sprints.length_weeks, limits[0] * limits[1]
        if estimate > limit:
            p.add(
                hours_at,
                f"{hours:g} h a week x {sprints.length_weeks} weeks = {estimate:g} h exceeds "
                f"the task limit of {limit:g} h (limits.task_max_days {limits[0]} x "
                f"limits.hours_per_day {limits[1]:g})",
            )
            hours = None
    if None in (key, name, purpose, agenda, hours):
        return None
    return CeremonySpec(key, name, purpose, tuple(agenda), hours)


def _query(value, at: At, p: Problems) -> QuerySpec | None:
    node = f.mapping(value, at, p, QUERY_KEYS, optional=("description",))
    if node is None:
        return None
    key = f.key(*f.field(node, "key", at), p)
    name_value, name_at = f.field(node, "name", at)
    name = f.text(name_value, name_at, p)
    if not f.named(naming.check_query_name, name, name_at, p):
        name = None
    kind, kind_at = f.field(node, "kind", at)
    if kind is not MISSING and kind not in QUERY_KINDS:
        hint = f.did_you_mean(kind, QUERY_KINDS)
        p.add(kind_at, f"{kind!r} is not a query kind{hint} (known: {', '.join(QUERY_KINDS)})")
        kind = None
    description_value, description_at = f.field(node, "description", at)
    description = (
        "" if description_value is MISSING else f.text(description_value, description_at, p)
    )
    if None in (key, name, kind, description) or kind is MISSING:
        return None
    return QuerySpec(key, name, kind, description)
