{% if cookiecutter.deployment == "batch" -%}
"""Entry script of the batch deployment (aml/endpoints/batch/deployment.yml).
{%- else -%}
"""Entry script for an AzureML batch deployment of the model, kept ready.
{%- endif %}

AzureML calls ``init()`` once per worker and ``run(mini_batch)`` with a list of CSV files.
Each file is read with the same schema checks as ``python -m <package>.score`` (a missing or
mistyped column fails that file with a message naming it) and scored; the returned rows are
appended to the job's predictions.csv, each with the name of the file it came from.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

CODE_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parents[1].name
logger = logging.getLogger(__name__)
_service: Any = None


def _package_module(name: str) -> Any:
    if str(CODE_ROOT) not in sys.path:
        sys.path.insert(0, str(CODE_ROOT))
    return importlib.import_module(f"{PACKAGE}.{name}")


def init() -> None:
    """Load the model once per worker."""
    global _service
    model_root = os.environ.get("AZUREML_MODEL_DIR")
    if not model_root:
        raise RuntimeError("AZUREML_MODEL_DIR is not set: AzureML sets it to the model folder")
    _service = _package_module("serving.service").ScoringService.from_model_root(Path(model_root))
    logger.info("model loaded from %s", model_root)


def run(mini_batch: list[str]) -> pd.DataFrame:
    """Scored rows of every file in ``mini_batch`` as one DataFrame (one row per input row)."""
    if _service is None:
        raise RuntimeError("init() must run before run()")
    data = _package_module("data")
    features = _package_module("features").FEATURE_COLUMNS
    frames = []
    for file in mini_batch:
        scored = _service.score(data.read_features(Path(file), features))
        scored.insert(0, "source_file", Path(file).name)
        frames.append(scored)
    logger.info("scored %d files", len(frames))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
