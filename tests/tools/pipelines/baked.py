"""The project the pipeline helpers' tests run against: a default bake, made once per process.

The helpers (tools/pipelines/) are copied unrendered into every project, so their tests import
them from the template; what they read (project.yml, pipelines/, docs/) is a baked project's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bakery import bake_into

ROOT: Path = bake_into(Path(tempfile.mkdtemp(prefix="pipeline-tools-")))
