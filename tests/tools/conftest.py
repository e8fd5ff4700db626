"""The template's tools (the generated project's tools/ folder) are Jinja-free and copied
unrendered into every bake, so their tests import them from the template itself."""

from __future__ import annotations

import sys
from pathlib import Path

from bakery import PROJECT_DIR

TOOLS = Path(__file__).resolve().parents[2] / PROJECT_DIR / "tools"
sys.path.insert(0, str(TOOLS))
