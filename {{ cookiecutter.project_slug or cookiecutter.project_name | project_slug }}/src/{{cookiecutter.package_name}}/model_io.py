"""Saving and loading the trained model as an MLflow model directory (sklearn flavour, skops).

skops, unlike pickle, refuses to build any type that is not on an allow-list. The list this
project trusts is ``TRUSTED_TYPES`` below, kept in code and reviewed like code: it is written
into the model's MLmodel file (so MLflow's own loader works) but ``load_model`` here ignores
the copy inside a model directory, which anyone who can write the directory could widen.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import mlflow.sklearn
import pandas as pd
import skops.io
from mlflow.models import Model, infer_signature
from sklearn.pipeline import Pipeline
from skops.io.exceptions import UntrustedTypesFoundException

from .cli import StepError, UsageError

# The types skops does not trust by default that a fitted RandomForest pipeline contains.
# sklearn.tree._tree.Tree holds raw node indices that sklearn reads without bounds checks, so
# only load model directories this project's own training wrote.
TRUSTED_TYPES: tuple[str, ...] = ("numpy.dtype", "sklearn.tree._tree.Tree")

MLMODEL_FILE = "MLmodel"


class ModelFileError(StepError):
    """A model directory that cannot be used; the message names the flag and the reason."""

    exit_code = 2


def check_model_output_dir(path: Path, flag: str) -> None:
    """Refuse early to write into a directory that holds something other than a model.

    An empty or missing directory, or one holding an earlier MLflow model (replaced by
    ``save_model``), is fine; anything else raises UsageError so no unrelated file is lost.
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag}: {path} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not (path / MLMODEL_FILE).is_file():
        raise UsageError(f"{flag}: {path} is not empty and holds no MLflow model; not replacing")


def save_model(pipeline: Pipeline, example: pd.DataFrame, output_dir: Path) -> None:
    """Save ``pipeline`` as an MLflow model into ``output_dir``, replacing an earlier model.

    The model gets an input signature and an input example taken from ``example`` (training
    features), skops serialization and pinned requirements. It is staged in a temporary
    directory first, so a failure leaves ``output_dir`` as it was.
    """
    check_model_output_dir(output_dir, "--model-output")
    signature = infer_signature(example, pipeline.predict(example))
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / "model"
        mlflow.sklearn.save_model(
            pipeline,
            staged,
            serialization_format="skops",
            skops_trusted_types=list(TRUSTED_TYPES),
            signature=signature,
            input_example=example.head(5),
            # Explicit requirements: MLflow's inference would import the model in a
            # subprocess (seconds per save) and pick up whatever else is installed.
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        )
        output_dir.mkdir(parents=True, exist_ok=True)
        # Clear the contents, not the directory: in AzureML it is a mount point.
        for entry in output_dir.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.copytree(staged, output_dir, dirs_exist_ok=True)


def load_model(model_dir: Path, flag: str = "--model") -> Pipeline:
    """Load a model directory written by ``save_model`` and return the sklearn Pipeline.

    Raises ModelFileError naming ``flag`` when the directory is missing, is not an MLflow
    model, was not saved with skops, or contains a type outside TRUSTED_TYPES.
    """
    if not model_dir.is_dir():
        raise ModelFileError(f"{flag}: directory not found: {model_dir}")
    mlmodel = model_dir / MLMODEL_FILE
    if not mlmodel.is_file():
        raise ModelFileError(f"{flag}: {model_dir} is not an MLflow model (no {MLMODEL_FILE})")
    flavour = Model.load(str(mlmodel)).flavors.get("sklearn")
    if flavour is None:
        raise ModelFileError(f"{flag}: {model_dir} has no sklearn flavour")
    if flavour.get("serialization_format") != "skops":
        found = flavour.get("serialization_format")
        raise ModelFileError(f"{flag}: {model_dir} is serialized as {found!r}; only skops loads")
    model_file = model_dir / flavour["pickled_model"]
    try:
        model = skops.io.load(model_file, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        untrusted = sorted(set(skops.io.get_untrusted_types(file=model_file)) - set(TRUSTED_TYPES))
        raise ModelFileError(f"{flag}: {model_dir} contains untrusted types {untrusted}") from None
    except FileNotFoundError:
        raise ModelFileError(f"{flag}: {model_dir} lacks {flavour['pickled_model']}") from None
    if not isinstance(model, Pipeline):
        raise ModelFileError(f"{flag}: {model_dir} holds a {type(model).__name__}, not a Pipeline")
    return model
