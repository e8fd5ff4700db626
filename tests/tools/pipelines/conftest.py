"""The pipeline helpers are standalone scripts that import each other by module name, so their
folder (the template's own copy, the same as every project's) goes on sys.path here."""

from __future__ import annotations

import sys

from bakery import PROJECT_DIR, TEMPLATE

sys.path.insert(0, str(TEMPLATE / PROJECT_DIR / "tools" / "pipelines"))
