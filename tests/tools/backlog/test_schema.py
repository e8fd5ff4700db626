"""backlog.yml is validated strictly: each broken file yields exactly the expected one-line
messages (field and rule), and the CLI stops before planning or sending anything."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types
from collections.abc import Callable

import pytest
import yaml
from backlog import cli, naming
from backlog.schema import TOP_KEYS, load_spec, parse_spec
from backlog.spec import QUERY_KINDS

LINE_SUFFIX = re.compile(r" \(line \d+\)$")
WEEKDAYS = "monday, tuesday, wednesday, thursday, friday"


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True)


def without_lines(problems: list[str]) -> list[str]:
    return [LINE_SUFFIX.sub("", problem) for problem in problems]


def _set(path: str, value: object) -> Callable[[dict], None]:
    """An edit that sets ``data[a][b]...`` given as ``"a.b.0.c"``."""

    def edit(data: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = data
        for part in parents:
            node = node[part]
        node[int(last) if isinstance(last, int) else last] = value

    return edit


def _rename_key(path: str, old: str, new: str) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        node = data
        for part in path.split(".") if path else []:
            node = node[int(part) if part.isdigit() else part]
        node[new] = node.pop(old)

    return edit


def _saturday(data: dict) -> None:
    start = dt.date.fromisoformat(data["sprints"]["start"])
    data["sprints"]["start"] = (start + dt.timedelta(days=(5 - start.weekday()) % 7)).isoformat()


def _saturday_message(data: dict) -> str:
    return f"{data['sprints']['start']} is a Saturday, not a working day (working days: {WEEKDAYS})"


def _range_beyond_count(data: dict) -> None:
    count = data["sprints"]["count"]
    data["phases"][2]["sprints"] = [count, count + 1]


def _drop_scrum_of_scrums(data: dict) -> None:
    data["ceremonies"] = [c for c in data["ceremonies"] if c["key"] != "scrum-of-scrums"]
    data["scrum_of_scrums"] = True


def _duplicate_story_key(data: dict) -> None:
    stories = data["phases"][0]["stories"]
    stories[1]["key"] = stories[0]["key"]


def _ceremony_too_long(data: dict) -> None:
    data["ceremonies"][0]["hours_per_sprint_week"] = 41


# (id, edit, expected problems without their "(line N)" suffix; a callable gets the edited data)
CASES = [
    ("size-not-in-map", _set("phases.2.stories.0.size", "XXL"),
     ["backlog.yml: phases[2].stories[0].size: 'XXL' is not a size (known: XS, S, M, L, XL)"]),
    ("start-not-a-working-day", _saturday,
     [lambda d: f"backlog.yml: sprints.start: {_saturday_message(d)}"]),
    ("sprint-count-too-high", _set("sprints.count", 27),
     ["backlog.yml: sprints.count: 27 must be a whole number from 1 to 26"]),
    ("sprint-count-not-a-number", _set("sprints.count", "six"),
     ["backlog.yml: sprints.count: 'six' must be a whole number from 1 to 26"]),
    ("sprint-length-too-long", _set("sprints.length_weeks", 5),
     ["backlog.yml: sprints.length_weeks: 5 must be a whole number from 1 to 4"]),
    ("phase-range-beyond-sprints", _range_beyond_count,
     [lambda d: f"backlog.yml: phases[2].sprints: [{d['sprints']['count']}, "
      f"{d['sprints']['count'] + 1}] must satisfy 1 <= first <= last <= {d['sprints']['count']} "
      f"(sprints.count is {d['sprints']['count']})"]),
    ("duplicate-phase-key", _set("phases.1.key", "research"),
     ["backlog.yml: phases[1].key: 'research' is already used by phases[0]"]),
    ("duplicate-story-key", _duplicate_story_key,
     [lambda d: f"backlog.yml: phases[0].stories[1].key: {d['phases'][0]['stories'][0]['key']!r} "
      "is already used by phases[0].stories[0]"]),
    ("key-with-capitals", _set("phases.1.key", "Data_Exploration"),
     ["backlog.yml: phases[1].key: 'Data_Exploration' is not a key: use lower-case letters, "
      "digits and '-', starting with a letter or digit, at most 64 characters"]),
    ("ceremony-over-task-limit", _ceremony_too_long,
     [lambda d: f"backlog.yml: ceremonies[0].hours_per_sprint_week: 41 h a week x "
      f"{d['sprints']['length_weeks']} weeks = {41 * d['sprints']['length_weeks']} h exceeds the "
      "task limit of 40 h (limits.task_max_days 5 x limits.hours_per_day 8)"]),
    ("iteration-name-azure-rejects", _set("sprints.name_pattern", "Sprint: {n}"),
     [f"backlog.yml: sprints.name_pattern: sprint name 'Sprint: 1': "
      f"{naming.check_node_name('Sprint: 1')}"]),
    ("name-pattern-without-number", _set("sprints.name_pattern", "Sprint"),
     ["backlog.yml: sprints.name_pattern: must contain {n}, the sprint number"]),
    ("query-name-azure-rejects", _set("queries.1.name", "Tasks > 5 days"),
     [f"backlog.yml: queries[1].name: 'Tasks > 5 days': "
      f"{naming.check_query_name('Tasks > 5 days')}"]),
    ("query-kind-misspelled", _set("queries.2.kind", "wip_per_persons"),
     ["backlog.yml: queries[2].kind: 'wip_per_persons' is not a query kind; did you mean "
      f"'wip_per_person'? (known: {', '.join(QUERY_KINDS)})"]),
    ("duplicate-query-name", _set("queries.1.name", "Current sprint by phase"),
     ["backlog.yml: queries[1].name: 'Current sprint by phase' is already used by queries[0]"]),
    ("link-to-missing-file", _set("phases.0.stories.0.links", ["docs/no-such-file.md"]),
     ["backlog.yml: phases[0].stories[0].links[0]: 'docs/no-such-file.md' does not exist in the "
      "project (paths are relative to its root)"]),
    ("link-outside-project", _set("phases.0.stories.0.links", ["../secrets.txt"]),
     ["backlog.yml: phases[0].stories[0].links[0]: '../secrets.txt' must stay inside the project "
      "(no '..')"]),
    ("unknown-story-key", _set("phases.0.stories.0.owner", "ana"),
     ["backlog.yml: phases[0].stories[0].owner: unknown key (known: key, title, size, acceptance, "
      "links, description)"]),
    ("misspelled-story-key", _rename_key("phases.0.stories.0", "size", "sise"),
     ["backlog.yml: phases[0].stories[0].sise: unknown key; did you mean 'size'? (known: key, "
      "title, size, acceptance, links, description)",
      "backlog.yml: phases[0].stories[0]: 'size' is required"]),
    ("misspelled-top-level-key", _rename_key("", "phases", "phase"),
     [f"backlog.yml: phase: unknown key; did you mean 'phases'? (known: {', '.join(TOP_KEYS)})",
      "backlog.yml: file: 'phases' is required"]),
    ("misspelled-working-day", _set("sprints.working_days.2", "wednsday"),
     ["backlog.yml: sprints.working_days[2]: 'wednsday' is not a day name; did you mean "
      "'wednesday'?"]),
    ("sizes-not-increasing", _set("sizes.L", 2),
     ["backlog.yml: sizes.L: 2 must be larger than M (3)"]),
    ("task-limit-above-a-week", _set("limits.task_max_days", 6),
     ["backlog.yml: limits.task_max_days: 6 must be a whole number from 1 to 5"]),
    ("scrum-of-scrums-without-ceremony", _drop_scrum_of_scrums,
     ["backlog.yml: scrum_of_scrums: is true, so a ceremony with key 'scrum-of-scrums' is needed"]),
    ("multi-line-title", _set("phases.0.stories.0.title", "Two\nlines"),
     ["backlog.yml: phases[0].stories[0].title: a work item title must be one line without "
      "control characters"]),
    ("unsupported-version", _set("version", 2),
     ["backlog.yml: version: 2 is not supported (this tool reads version 1)"]),
    ("empty-acceptance", _set("phases.1.stories.0.acceptance", []),
     ["backlog.yml: phases[1].stories[0].acceptance: must not be empty"]),
]  # fmt: skip


@pytest.fixture
def guarded(monkeypatch):
    """Replace planning and the apply step with recorders: nothing may reach them."""
    calls: list[str] = []
    fake_apply = types.ModuleType("backlog.apply")
    fake_apply.ApplyOptions = lambda **options: options
    fake_apply.run_apply = lambda *args, **kwargs: calls.append("run_apply") or 0
    monkeypatch.setitem(sys.modules, "backlog.apply", fake_apply)
    monkeypatch.setattr(cli, "build_plan", lambda *args: calls.append("build_plan"))
    return calls


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_file_is_reported_exactly_and_stops_everything(
    edit, expected, backlog_data, project_root, tmp_path, guarded, capsys
):
    edit(backlog_data)
    expected = [e(backlog_data) if callable(e) else e for e in expected]
    path = tmp_path / "backlog.yml"
    path.write_text(dump(backlog_data), encoding="utf-8")

    spec, problems = load_spec(path, project_root=project_root)

    assert spec is None
    assert without_lines(problems) == expected
    assert all(LINE_SUFFIX.search(problem) for problem in problems if "file:" not in problem)

    org = ["--org-url", "https://dev.azure.com/contoso"]
    code = cli.main(["apply", "--root", str(project_root), "--file", str(path), *org])
    stderr = capsys.readouterr().err
    assert code == 2
    assert guarded == []
    for message in expected:
        assert message in stderr


def test_unreal_date_typed_without_quotes_is_one_clear_problem(backlog_text, project_root):
    text = re.sub(r"(?m)^  start: .*$", "  start: 2025-02-30", backlog_text, count=1)

    _, problems = parse_spec(text, project_root=project_root)

    assert without_lines(problems) == [
        "backlog.yml: sprints.start: '2025-02-30' is not a real date (no such day in the calendar)"
    ]


def test_duplicate_key_names_both_lines(backlog_text, project_root):
    lines = backlog_text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("size: "))
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    lines.insert(first + 1, f"{indent}size: L")

    _, problems = parse_spec("\n".join(lines), project_root=project_root)

    assert problems == [
        f"backlog.yml: line {first + 2}: duplicate key 'size' (first defined on line {first + 1})"
    ]


def test_problem_points_at_the_line_of_the_bad_value(backlog_data, project_root):
    backlog_data["phases"][2]["stories"][0]["size"] = "XXL"
    text = dump(backlog_data)

    _, problems = parse_spec(text, project_root=project_root)

    line = int(re.search(r"\(line (\d+)\)$", problems[0]).group(1))
    assert text.splitlines()[line - 1].strip() == "size: XXL"


def test_every_problem_of_a_file_is_reported_in_one_run(backlog_data, project_root):
    backlog_data["sprints"]["length_weeks"] = 0
    backlog_data["phases"][0]["stories"][0]["size"] = "XXL"
    backlog_data["queries"][0]["kind"] = "everything"

    _, problems = parse_spec(dump(backlog_data), project_root=project_root)

    assert [p.split(":")[1].strip() for p in problems] == [
        "sprints.length_weeks",
        "phases[0].stories[0].size",
        "queries[0].kind",
    ]


def test_invalid_yaml_is_one_line_with_its_position(project_root):
    _, problems = parse_spec("version: 1\nsprints: [1, 2\nsizes: {}\n", project_root=project_root)

    assert len(problems) == 1
    assert re.match(r"^backlog\.yml: line \d+: invalid YAML: ", problems[0])


def test_empty_file_names_the_expected_keys(project_root):
    _, problems = parse_spec("", project_root=project_root)

    assert problems == [f"backlog.yml: file: is empty; expected the keys {', '.join(TOP_KEYS)}"]


def test_the_shipped_file_is_valid(backlog_path, project_root):
    spec, problems = load_spec(backlog_path, project_root=project_root)

    assert problems == []
    assert spec is not None and spec.phases
