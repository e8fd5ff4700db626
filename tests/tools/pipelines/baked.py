"""The project the pipeline helpers' tests run against: a default bake, made once per process.

The helpers (tools/pipelines/) are copied unrendered into every project, so their tests import
them from the template; what they read (project.yml, pipelines/, docs/) is a baked project's.
The bake is made at import, not in a fixture, because some tests are parametrized over its
pipeline files at collection time; it is removed when the process ends.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from bakery import bake_into

_FOLDER = Path(tempfile.mkdtemp(prefix="pipeline-tools-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
ROOT: Path = bake_into(_FOLDER)
