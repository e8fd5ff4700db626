"""Data tests as code: expectation suites for every dataset the project reads.

- ``suites/``: one module per dataset, each defining ``SUITE`` (see README.md here).
- ``runner``: runs suites with great-expectations (imported there, and only there).
- ``profile``: the reference profile in ``data/reference/`` and the drift checks against it.
- ``report``: the Markdown, HTML and JSON report CI publishes.

The command line is ``python -m <package>.validate_data``. Importing this package is cheap:
great-expectations is loaded only when suites actually run.
"""
