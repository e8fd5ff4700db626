"""Jinja extensions cookiecutter loads from this template (see ``_extensions`` in cookiecutter.json).

Only computed defaults live here; every rule about answers lives in ``hooks/pre_gen_project.py``.
"""

from __future__ import annotations

import datetime as dt

from jinja2.ext import Extension


def next_monday_after(today: dt.date) -> dt.date:
    """The first Monday strictly after ``today``: sprints start on a fresh week, never mid-week."""
    return today + dt.timedelta(days=7 - today.weekday())


class next_monday(Extension):  # noqa: N801 - cookiecutter names the extension by its class name
    """Adds ``next_monday()`` so the first sprint defaults to the Monday after baking."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["next_monday"] = lambda: next_monday_after(dt.date.today()).isoformat()
