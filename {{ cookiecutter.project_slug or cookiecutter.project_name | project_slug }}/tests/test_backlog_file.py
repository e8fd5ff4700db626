"""The team's backlog file: valid by the tool's strict rules, and planned into sprints.

The backlog tool itself (tools/backlog/) is tested in the template's CI; this project tests
its own data: the file the team edits and the board it would produce.
"""

from __future__ import annotations

from pathlib import Path

from backlog.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_backlog_file_is_valid(capsys):
    assert main(["validate", "--root", str(ROOT)]) == 0, capsys.readouterr().err


def test_plan_shows_every_sprint_of_the_file(capsys):
    from backlog.config import load_config
    from backlog.planner import build_plan
    from backlog.schema import load_spec

    spec, problems = load_spec(ROOT / "backlog" / "backlog.yml", project_root=ROOT)
    assert not problems, problems
    sprints = build_plan(spec, load_config(ROOT)).iterations

    assert main(["plan", "--root", str(ROOT)]) == 0
    shown = capsys.readouterr().out
    assert sprints, "the plan has no sprint"
    assert [s.name for s in sprints if s.name not in shown] == []
