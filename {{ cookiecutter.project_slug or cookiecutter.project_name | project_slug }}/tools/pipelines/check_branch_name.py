"""Check a branch name against the team's branch model (docs/branch-model.md).

    python tools/pipelines/check_branch_name.py experiment/1234-gradient-boosting
    python tools/pipelines/check_branch_name.py refs/heads/data/57-add-weather-source

A work branch is ``<type>/<work item id>-<slug>``: the type says what kind of work it is, the
id links it to its Azure Boards item, the slug says what it is about. Besides those, ``main``
and ``release/<version>`` are allowed.

Guarantee: exit 0 for a name that follows the model; otherwise exit 1 with one line that names
the rule the name breaks and shows valid examples (exit 2 when no name is given). Standard
library only, so it runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import sys

# What each branch type is for, and what happens to it (keep in step with docs/branch-model.md).
WORK_TYPES = {
    "data": "code that ingests or creates datasets; merged",
    "explore": "one exploration; its pull request is closed, not merged",
    "experiment": "one modelling attempt; merged only when it succeeds",
    "model": "productionizing a successful experiment; merged",
    "docs": "charter, plans, reports and the hypothesis and decisions logs; merged",
}
LONG_LIVED = ("main",)
RELEASE = re.compile(r"release/\d+(\.\d+){0,2}")
WORK_ITEM = re.compile(r"[1-9]\d{0,8}")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
SLUG_MAX = 50
EXAMPLES = (
    "experiment/1234-gradient-boosting, data/57-add-weather-source, "
    "explore/311-missing-sex-values, model/1290-serve-random-forest, docs/1260-results-report, "
    "main, release/1.2"
)
RULE = "a branch is <type>/<work item id>-<slug> with type " + ", ".join(WORK_TYPES)


def branch_problem(ref: str) -> str | None:
    """None when ``ref`` follows the branch model, else the rule it breaks (one sentence)."""
    name = ref.strip().removeprefix("refs/heads/")
    if not name:
        return "the branch name is empty"
    if name in LONG_LIVED or RELEASE.fullmatch(name):
        return None
    if name.startswith("release/"):
        return "a release branch is release/<major>[.<minor>[.<patch>]], e.g. release/1.2"
    kind, slash, rest = name.partition("/")
    if not slash:
        return f"'{name}' has no type: {RULE}"
    if kind not in WORK_TYPES:
        return f"'{kind}/' is not a branch type of this project: {RULE}"
    item, dash, slug = rest.partition("-")
    if not WORK_ITEM.fullmatch(item):
        return (
            f"'{name}' does not start with a work item id after '{kind}/' "
            f"(the item's number, e.g. {kind}/1234-short-description): {RULE}"
        )
    if not dash or not slug:
        return f"'{name}' has no slug after the work item id, e.g. {kind}/{item}-short-description"
    if not SLUG.fullmatch(slug):
        return (
            f"the slug '{slug}' must be lower-case letters and digits joined by single "
            "hyphens (no capitals, underscores, dots or slashes)"
        )
    if len(slug) > SLUG_MAX:
        return f"the slug '{slug}' is longer than {SLUG_MAX} characters"
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: check_branch_name.py BRANCH (e.g. experiment/1234-gradient-boosting)",
            file=sys.stderr,
        )
        return 2
    problem = branch_problem(args[0])
    if problem is None:
        print(f"branch name ok: {args[0]}")
        return 0
    # On an Azure Pipelines agent (TF_BUILD is set) the line also becomes the run's error summary.
    marker = "##vso[task.logissue type=error]" if os.environ.get("TF_BUILD") else ""
    print(f"{marker}branch name rejected: {problem}. Valid examples: {EXAMPLES}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
