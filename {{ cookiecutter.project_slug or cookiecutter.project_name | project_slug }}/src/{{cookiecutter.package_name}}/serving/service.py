"""The model behind the endpoints: load it once, answer requests with classes and probabilities.

``ScoringService.handle`` never raises for a bad request: it returns (400, {"error": ...})
with the one-line reason, so a client learns what to fix instead of getting a bare 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..model_io import load_model
from ..promotion import PromotionError, find_mlflow_model_dir
from ..score import PREDICTION_COLUMN, PROBABILITY_PREFIX, score_frame
from .request import RequestError, parse_request


class ModelNotFoundError(RuntimeError):
    """The deployment's model folder holds no usable MLflow model."""


class ScoringService:
    """A loaded model and the request/response contract of the online endpoint."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @classmethod
    def from_model_root(cls, root: Path) -> ScoringService:
        """Load the one MLflow model under ``root`` (AzureML's AZUREML_MODEL_DIR)."""
        try:
            model_dir = find_mlflow_model_dir(root)
        except PromotionError as error:
            raise ModelNotFoundError(str(error)) from None
        return cls(load_model(model_dir, "AZUREML_MODEL_DIR"))

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The score step's own output: prediction and one probability column per class."""
        return score_frame(self.model, frame)

    def predict(self, frame: pd.DataFrame) -> dict[str, Any]:
        """JSON-ready predictions: one species and one probability per class for each row."""
        scored = self.score(frame)
        classes = [str(label) for label in self.model.classes_]
        probabilities = scored[[f"{PROBABILITY_PREFIX}{label}" for label in classes]]
        return {
            "predictions": [str(label) for label in scored[PREDICTION_COLUMN]],
            "probabilities": [
                dict(zip(classes, map(float, row), strict=True))
                for row in probabilities.itertuples(index=False)
            ],
        }

    def handle(self, payload: str | bytes | dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one request."""
        try:
            frame = parse_request(payload)
        except RequestError as error:
            return 400, {"error": str(error)}
        return 200, self.predict(frame)
