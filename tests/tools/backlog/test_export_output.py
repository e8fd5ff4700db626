"""Where exports go: ``--output -`` is stdout, files get a normal mode, and the CSV says which
sprints must exist before Boards imports it (or leaves them out with ``--no-iterations``)."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest
from backlog import cli
from backlog.export import iterations_to_create, write_text_atomically

needs_posix_modes = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def _no_project_override(monkeypatch):
    monkeypatch.delenv(cli.ENV_PROJECT, raising=False)


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("fmt", ["csv", "md"])
def test_output_dash_writes_the_export_to_stdout_and_no_file(
    fmt, project_root, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    root = ["--root", str(project_root)]

    assert cli.main(["export", "--format", fmt, "--output", "-", "--project", "P", *root]) == 0

    captured = capsys.readouterr()
    assert list(tmp_path.iterdir()) == [], "no file named '-'"
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(captured.out)))
        assert rows[0][:2] == ["ID", "Work Item Type"]
    else:
        assert captured.out.startswith("# ") and "```mermaid" in captured.out
    assert "wrote stdout" in captured.err and "wrote" not in captured.out


@needs_posix_modes
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_export_gets_the_mode_open_would_give_it(tmp_path, umask, mask, expected):
    umask(mask)
    target = tmp_path / "plan.md"

    write_text_atomically(target, "text\n")

    assert mode_of(target) == expected
    assert target.read_text(encoding="utf-8") == "text\n"


@needs_posix_modes
def test_replacing_an_export_keeps_the_existing_files_mode(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "plan.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)

    write_text_atomically(target, "new\n")

    assert mode_of(target) == 0o640
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"], "no temporary file left"


def test_csv_export_lists_the_iterations_to_create_before_the_import(tmp_path, plan, capsys):
    target = tmp_path / "plan.csv"

    assert cli.main(["export", "--format", "csv", "--output", str(target), "--project", "P"]) == 0

    out = capsys.readouterr().out
    assert "Create these sprints before the import" in out and "--no-iterations" in out
    for iteration in plan.iterations:
        path = f"P\\{plan.iteration_folder}\\{iteration.name}"
        assert f"  {path}  {iteration.start} .. {iteration.finish}" in out
    paths = {r["Iteration Path"] for r in csv.DictReader(io.StringIO(target.read_text("utf-8")))}
    assert paths - {""} == {line.split("  ")[0] for line in iterations_to_create(plan, "P")}


def test_no_iterations_leaves_the_column_out_and_lists_nothing(tmp_path, plan, capsys):
    target = tmp_path / "plan.csv"

    argv = ["export", "--format", "csv", "--output", str(target), "--no-iterations"]
    assert cli.main(argv) == 0

    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert "Iteration Path" not in rows[0]
    assert {"Work Item Type", "Title 1"} <= set(rows[0])
    assert len(rows) == len(plan.items)
    assert "Create these sprints" not in out
