{% if cookiecutter.deployment == "online" -%}
"""Entry script of the managed online deployments (aml/endpoints/online/blue.yml, green.yml).
{%- else -%}
"""Entry script for a managed online deployment (AzureML's inference server), kept ready.
{%- endif %}

AzureML's inference server loads this file by path and calls ``init()`` once, then ``run()``
per request. The model is the registered MLflow model AzureML places under
``AZUREML_MODEL_DIR``; the request is checked against the data schema and a bad one gets an
HTTP 400 with a one-line reason. The work is done by ``serving.service``; this file only
makes the package importable (the server loads it outside the package) and adapts replies.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

# <code folder>/<package>/serving/score.py: the code folder must be importable.
CODE_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parents[1].name
logger = logging.getLogger(__name__)
_service: Any = None


def _service_module() -> Any:
    if str(CODE_ROOT) not in sys.path:
        sys.path.insert(0, str(CODE_ROOT))
    return importlib.import_module(f"{PACKAGE}.serving.service")


def init() -> None:
    """Load the model once per worker; fail loudly (the deployment then reports unhealthy)."""
    global _service
    model_root = os.environ.get("AZUREML_MODEL_DIR")
    if not model_root:
        raise RuntimeError("AZUREML_MODEL_DIR is not set: AzureML sets it to the model folder")
    _service = _service_module().ScoringService.from_model_root(Path(model_root))
    logger.info("model loaded from %s", model_root)


def run(raw_data: str | bytes) -> Any:
    """Predictions for one request, or an HTTP 400 naming what is wrong with it."""
    if _service is None:
        raise RuntimeError("init() must run before run()")
    status, body = _service.handle(raw_data)
    if status == 200:
        return body
    logger.info("rejected request: %s", body.get("error"))
    return _http_response(body, status)


def _http_response(body: dict[str, Any], status: int) -> Any:
    """An HTTP response with ``status`` when the inference server is present, else ``body``."""
    try:
        from azureml_inference_server_http.api.aml_response import AMLResponse
    except ImportError:  # outside AzureML (tests, laptops) there is no HTTP layer
        return body
    return AMLResponse(body, status, json_str=True)
