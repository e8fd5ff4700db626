"""``plan`` on a terminal: lines wrapped between words to the terminal's width; whole otherwise."""

from __future__ import annotations

import io
import re

import pytest
from backlog import cli
from backlog.process import profile_for
from backlog.render import output_width, render_plan, wrap_line


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_plan_on_a_terminal_fits_the_width_without_breaking_a_word(
    columns, plan, monkeypatch, capsys
):
    monkeypatch.setenv("COLUMNS", str(columns))
    terminal = FakeTerminal()
    monkeypatch.setattr(cli.sys, "stdout", terminal)

    assert cli.main(["plan"]) == 0

    wrapped = terminal.getvalue()
    whole = render_plan(plan, profile_for("agile"))
    assert max(len(line) for line in whole.splitlines()) > columns, "something to wrap"
    assert max(len(line) for line in wrapped.splitlines()) <= columns
    assert words(wrapped) == words(whole), "every word intact, in order"
    assert len(wrapped.splitlines()) > len(whole.splitlines())


def test_a_wrapped_line_continues_deeper_than_it_started():
    line = "    [M] Profile the raw data - row counts, missing values, distributions  (phase 2)"

    pieces = wrap_line(line, 40)

    assert pieces[0].startswith("    [M] Profile")
    assert all(re.match(r" {8}\S", piece) for piece in pieces[1:]), pieces
    assert words(" ".join(pieces)) == words(line)
    assert "2027-01-04" in wrap_line("  Sprint 1  2027-01-04 .. 2027-01-15  [sprint-01]", 20)[1]


def test_a_file_or_pipe_gets_whole_lines_even_with_columns_set(plan, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "60")  # pytest-xdist and some CI runners export it

    assert cli.main(["plan"]) == 0

    assert capsys.readouterr().out == render_plan(plan, profile_for("agile"))
    assert output_width(io.StringIO()) is None


def test_a_tiny_terminal_is_wrapped_at_a_usable_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "12")

    assert output_width(FakeTerminal()) == 40
