"""Entry point of ``python -m <package>.aml`` (see ``cli``)."""

from .cli import main

raise SystemExit(main())
