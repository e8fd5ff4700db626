"""tools/ is the template's part of every project: copied as it is in the template, so it is
the same in every bake whatever the answers, and its tests here test what each project runs.

Not yet aml_tool/: its commands still follow the deployment answer at bake time (the online
traffic commands exist only with an online endpoint), so it is rendered like the team's files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from bakery import PROJECT_DIR
from test_bake import MATRIX, _test_id

TOOLS = Path(__file__).resolve().parents[2] / PROJECT_DIR / "tools"


RENDERED = {"aml_tool"}


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.relative_to(root).parts[0] not in RENDERED
    }


@pytest.mark.parametrize("answers", MATRIX, ids=[_test_id(a) for a in MATRIX])
def test_every_bake_carries_the_templates_tools_unchanged(bake, answers):
    assert tree(bake(**answers) / "tools") == tree(TOOLS)


def test_the_tools_say_they_are_managed_by_the_template():
    readme = (TOOLS / "README.md").read_text(encoding="utf-8")
    assert "managed by the template" in readme and "cruft update" in readme
