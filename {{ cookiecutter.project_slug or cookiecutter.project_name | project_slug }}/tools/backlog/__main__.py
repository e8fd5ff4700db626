"""Entry point of ``python -m backlog``; see ``backlog.cli`` for the commands."""

from backlog.cli import main

raise SystemExit(main())
