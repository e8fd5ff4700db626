"""Jinja helpers cookiecutter loads from this template (see ``_extensions`` in cookiecutter.json).

Only computed defaults and template facts live here; every rule about answers lives in
``hooks/pre_gen_project.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2.ext import Extension

TEMPLATE_DIR = Path(__file__).resolve().parent


def next_monday_after(today: dt.date) -> dt.date:
    """The first Monday strictly after ``today``: sprints start on a fresh week, never mid-week."""
    return today + dt.timedelta(days=7 - today.weekday())


class TemplateHelpers(Extension):
    """``next_monday()``: the default first sprint start. ``template_dir()``: the absolute path
    of this template, which hooks need to load shared rules even when cookiecutter was given a
    relative path such as ``.`` (its ``_repo_dir`` is then relative to the caller's folder,
    which the hook cannot know)."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["next_monday"] = lambda: next_monday_after(dt.date.today()).isoformat()
        environment.globals["template_dir"] = lambda: str(TEMPLATE_DIR)
