"""Jinja helpers cookiecutter loads from this template (see ``_extensions`` in cookiecutter.json).

Computed defaults and template facts live here. A default derived from a typed answer must be
valid for the system that receives it whatever the user typed (digits first, quotes, accents,
emoji, 80 characters), so each derivation cleans, shortens or prefixes, and is checked against
the same rules the pre-generation hook applies (``hooks/answer_rules.py`` and the generated
project's ``tools/backlog/naming.py``, loaded from their files: one copy of every rule).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

from jinja2.ext import Extension
from slugify import slugify

TEMPLATE_DIR = Path(__file__).resolve().parent
SLUG_MAX = 63
PACKAGE_MAX = 40
FALLBACK_SLUG = "ml-project"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = _load("ml_template_answer_rules", TEMPLATE_DIR / "hooks" / "answer_rules.py")
NAMING = _load("ml_template_naming", RULES.PROJECT_TEMPLATE / "tools" / "backlog" / "naming.py")


def next_monday_after(today: dt.date) -> dt.date:
    """The first Monday strictly after ``today``: sprints start on a fresh week, never mid-week."""
    return today + dt.timedelta(days=7 - today.weekday())


def project_slug(name: str) -> str:
    """Lower-case ASCII words joined by hyphens, starting with a letter, at most 63 characters,
    and not a name Azure DevOps reserves for iteration nodes (the slug names the sprints'
    folder): ``123 Go`` -> ``ml-123-go``, ``Café "Ñandú"`` -> ``cafe-nandu``,
    ``Web`` -> ``web-ml``."""
    slug = slugify(name, max_length=SLUG_MAX - 3, word_boundary=True) or FALLBACK_SLUG
    if not slug[0].isalpha():
        slug = f"ml-{slug}"
    if NAMING.check_node_name(slug):
        slug = f"{slug}-ml"
    return slug


def package_name(slug: str) -> str:
    """The slug as a Python identifier of at most 40 characters that shadows nothing the
    project imports: ``pandas`` -> ``pandas_ml``, ``test`` -> ``test_ml``."""
    base = re.sub(r"_+", "_", slug.replace("-", "_"))[:PACKAGE_MAX].strip("_") or "ml_project"
    if not base[0].isalpha():
        base = f"ml_{base}"[:PACKAGE_MAX].strip("_")
    if RULES.check_package(base) is None:
        return base
    candidate = f"{base[: PACKAGE_MAX - 3].rstrip('_')}_ml"
    return candidate if RULES.check_package(candidate) is None else "ml_project"


def _clean(text: str, forbidden: set[str]) -> str:
    kept = "".join(
        " " if ch in forbidden or not ch.isprintable() or ord(ch) > 0xFFFF else ch for ch in text
    )
    return " ".join(kept.split())


def ado_project_name(name: str, slug: str) -> str:
    """The project name as Azure DevOps accepts it: forbidden characters, emoji and control
    characters dropped, no leading ``_``/``.`` or trailing ``.``, at most 64 characters, not a
    reserved name. Falls back to the slug when nothing is left."""
    cleaned = _clean(name, NAMING.PROJECT_FORBIDDEN).lstrip("_. ")
    cleaned = cleaned[: NAMING.PROJECT_MAX].rstrip(". ") or slug[: NAMING.PROJECT_MAX]
    if NAMING.check_project_name(cleaned):
        cleaned = f"{cleaned[: NAMING.PROJECT_MAX - 3].rstrip('. ')} ML"
    return cleaned if NAMING.check_project_name(cleaned) is None else slug[: NAMING.PROJECT_MAX]


def ado_team_name(project: str) -> str:
    """``<project> Team``, cleaned of what team names may not hold, at most 64 characters."""
    suffix = " Team"
    base = _clean(project, NAMING.TEAM_FORBIDDEN).strip(". ")
    base = base[: NAMING.TEAM_MAX - len(suffix)].rstrip(". ") or "ML"
    team = f"{base}{suffix}"
    return team if NAMING.check_team_name(team) is None else "ML Team"


def azure_name(slug: str, prefix: str, limit: int) -> str:
    """``<prefix><slug>`` cut to ``limit`` characters without a trailing hyphen (AzureML
    workspace 33, compute 16, endpoint stem 27)."""
    return f"{prefix}{slug}"[:limit].rstrip("-")


class TemplateHelpers(Extension):
    """``next_monday()``: the default first sprint start. ``template_dir()``: the absolute path
    of this template, which hooks need to load shared rules even when cookiecutter was given a
    relative path such as ``.`` (its ``_repo_dir`` is then relative to the caller's folder,
    which the hook cannot know). Filters: the derived defaults above."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["next_monday"] = lambda: next_monday_after(dt.date.today()).isoformat()
        environment.globals["template_dir"] = lambda: str(TEMPLATE_DIR)
        environment.filters["project_slug"] = project_slug
        environment.filters["package_name"] = package_name
        environment.filters["ado_project_name"] = ado_project_name
        environment.filters["ado_team_name"] = ado_team_name
        environment.filters["azure_name"] = azure_name
