"""Entry point of ``python -m aml_tool`` (see ``cli``)."""

from .cli import main

raise SystemExit(main())
