"""A bake carries exactly what its answers chose, in code, comments and docs: no file, module,
folder, endpoint or phase that the answers left out is named anywhere in the project.

What "left out" means is derived, not listed by hand: every file some combination holds and
this one does not (tests/expected_files.py) gives its path, its file name and its module name;
every folder only such files live in gives its name. A few concepts that have no file of their
own (an endpoint's name, the A/B test's traffic split) are added per answer.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
from expected_files import expected_files
from test_bake import MATRIX, _test_id

COMBINATIONS = [
    (ab, deployment)
    for ab in (True, False)
    for deployment in ("online", "batch", "none")
    if deployment == "online" or not ab
]
EVERY_FILE = set().union(*(expected_files(ab_testing=a, deployment=d) for a, d in COMBINATIONS))
# Not the bake's own choice: the bundled raw data, and the template's tools (tools/: machinery
# that knows every kind of endpoint whichever one this bake has; what a bake holds is decided
# by the team's files, which are all checked).
SAME_IN_EVERY_BAKE = ("data/raw/", "tools/")
TEXT_SUFFIXES = {".py", ".md", ".yml", ".yaml", ".toml", ".json", ".cfg", ".txt", ".ipynb", ""}

# Concepts without a file of their own, per answer left out: (where, pattern).
CONCEPTS = {
    "no-ab": [
        ("", r"\bab_testing\b"),
        ("", r"\bab-design\b"),
        ("pipelines/", r"\bA/B\b"),
        ("aml/", r"\bA/B\b"),
        ("project.yml", r"\bA/B\b"),
    ],
    "none": [
        ("", r"\bendpoint_name\b"),
        ("", r"\baml (?:deploy|traffic|mirror|rollback|promote)\b"),
        ("", r"\bnotifyUsers\b"),
        ("", r"\bdeploy\.yml\b"),
    ],
    "batch": [
        ("", r"\baml (?:traffic|mirror|rollback|promote)\b"),
        ("", r"\bblue\.yml\b|\bgreen\.yml\b"),
    ],
    "online": [
        ("", r"\bendpoints/batch\b"),
    ],
}


def absent_names(present: set[str]) -> set[str]:
    """Paths, file names, module names and folders of the files this bake left out, each
    only when nothing present carries the same name."""
    missing = EVERY_FILE - present
    present_names = {PurePosixPath(p).name for p in present}
    present_folders = {str(parent) for p in present for parent in PurePosixPath(p).parents}
    names = set()
    for path in map(PurePosixPath, missing):
        names.add(str(path))
        if path.name not in present_names and path.name != "__init__.py":
            names.add(path.name)
            if path.suffix == ".py":
                names.add(path.stem)
        for parent in path.parents:
            if str(parent) != "." and str(parent) not in present_folders:
                names.add(str(parent))
    return names


def concept_patterns(ab: bool, deployment: str) -> list[tuple[str, str]]:
    patterns = [] if ab else list(CONCEPTS["no-ab"])
    if deployment == "none":
        patterns += CONCEPTS["none"] + CONCEPTS["batch"] + CONCEPTS["online"]
    elif deployment == "batch":
        patterns += CONCEPTS["batch"]
    else:
        patterns += CONCEPTS["online"]
    return patterns


def references(project: Path, ab: bool, deployment: str) -> list[str]:
    present = expected_files(ab_testing=ab, deployment=deployment)
    names = sorted(absent_names(present), key=len, reverse=True)
    by_name = (
        re.compile("|".join(rf"(?<![\w.-]){re.escape(n)}(?![\w-]|\.\w)" for n in names))
        if names
        else None
    )
    concepts = [(where, re.compile(p)) for where, p in concept_patterns(ab, deployment)]
    found = []
    for relative in sorted(present):
        path = project / relative
        if path.suffix not in TEXT_SUFFIXES or relative.startswith(SAME_IN_EVERY_BAKE):
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            hits = [m.group(0) for m in by_name.finditer(line)] if by_name else []
            hits += [
                m.group(0)
                for where, pattern in concepts
                if relative.startswith(where)
                for m in pattern.finditer(line)
            ]
            found += [f"{relative}:{number}: {hit}  <- {line.strip()[:100]}" for hit in hits]
    return found


@pytest.mark.parametrize("answers", MATRIX, ids=[_test_id(a) for a in MATRIX])
def test_nothing_the_answers_left_out_is_named(bake, answers):
    ab = answers["include_ab_testing"] == "yes"
    found = references(bake(**answers), ab, answers["deployment"])
    assert found == [], "references to what this bake does not hold:\n" + "\n".join(found)


def test_the_checker_finds_a_planted_reference(bake, tmp_path):
    """A reference to a left-out module and to a left-out file are both reported."""
    import shutil

    project = tmp_path / "copy"
    shutil.copytree(bake(include_ab_testing="no", deployment="none"), project)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nSee ab_testing and pipelines/deploy.yml.\n")
    found = references(project, False, "none")
    assert any("ab_testing" in line and line.startswith("README.md") for line in found)
    assert any("pipelines/deploy.yml" in line for line in found)
