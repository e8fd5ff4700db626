"""Backlog as code for Azure Boards: ``backlog/backlog.yml`` is the plan, ``python -m backlog``
validates it, prints it, exports it (CSV import, Markdown roadmap) and applies it idempotently.

Importing the package imports nothing: the offline commands run on the standard library,
PyYAML and markupsafe, and only ``apply`` loads the ``backlog`` extra (see README.md).
"""
