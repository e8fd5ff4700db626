"""tools/ is the template's part of every project: copied as it is in the template, so it is
the same in every bake whatever the answers, and its tests here test what each project runs.
What differs between projects (aml_tool's commands follow what the project deploys) is read
from the project's own project.yml at run time, never rendered in.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from bakery import PROJECT_DIR
from test_bake import MATRIX, _test_id

TOOLS = Path(__file__).resolve().parents[2] / PROJECT_DIR / "tools"


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize("answers", MATRIX, ids=[_test_id(a) for a in MATRIX])
def test_every_bake_carries_the_templates_tools_unchanged(bake, answers):
    assert tree(bake(**answers) / "tools") == tree(TOOLS)


def test_the_tools_say_they_are_managed_by_the_template():
    readme = (TOOLS / "README.md").read_text(encoding="utf-8")
    assert "managed by the template" in readme and "cruft update" in readme


# Jinja's statements and cookiecutter's variables; Azure Pipelines' own ${{ }} is not one.
JINJA_MARKER = re.compile(
    r"\{%-?\s*(if|elif|else|endif|for|endfor|set|raw)\b|\{\{[^}]*cookiecutter\."
)


def test_no_tool_holds_a_template_marker():
    # tools/ is copied unrendered: a marker would reach every project as it is and break it.
    marked = [
        f"{p.relative_to(TOOLS)}: {match.group(0)}"
        for p in sorted(TOOLS.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
        for match in [JINJA_MARKER.search(p.read_text(encoding="utf-8"))]
        if match
    ]
    assert marked == []
