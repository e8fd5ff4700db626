"""The promotion gate: a new model is registered only when it beats the registered one.

Three parts, kept apart so each can be tested without Azure:

- ``decide``: the rule itself, a pure function of the numbers;
- ``ModelRegistry``: what the gate needs from a model registry (the latest version, downloaded
  to a local folder, and registering a new version). ``LocalFolderRegistry`` below keeps models
  in a folder (tests, laptops); ``aml.registry.AzureMLRegistry`` is the workspace's registry;
- ``register.py``: the step that evaluates the registered model on the same test rows as the
  candidate, asks ``decide`` and registers through the registry.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

# AzureML asset names: letters, digits, '-', '_', '.', starting with a letter or digit.
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


class PromotionError(Exception):
    """The gate cannot decide: an input is unusable. The message names the input and the rule."""


@dataclass(frozen=True)
class RegisteredModel:
    """One version of a registered model, with its MLflow model available in ``path``."""

    name: str
    version: str
    path: Path


class ModelRegistry(Protocol):
    """What the promotion gate needs from a model registry."""

    def latest(self, name: str) -> RegisteredModel | None:
        """The newest version of ``name``, downloaded locally; None when none is registered."""
        ...

    def register(self, name: str, model_dir: Path, *, tags: dict[str, str]) -> str:
        """Register the MLflow model in ``model_dir`` as a new version of ``name``; its version."""
        ...


@dataclass(frozen=True)
class Decision:
    """The gate's verdict and the numbers it was taken on (written to decision.json)."""

    register: bool
    reason: str
    metric: str
    candidate: float
    champion: float | None
    champion_version: str | None
    min_improvement: float
    data_passed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line with the verdict and both numbers, for logs."""
        verdict = "REGISTER" if self.register else "KEEP CURRENT MODEL"
        champion = (
            "none registered"
            if self.champion is None
            else f"registered v{self.champion_version} {self.metric}={self.champion:.4f}"
        )
        return (
            f"{verdict}: candidate {self.metric}={self.candidate:.4f}, {champion}, "
            f"min improvement {self.min_improvement:g}; {self.reason}"
        )


def decide(
    metric: str,
    candidate: float,
    champion: float | None,
    *,
    champion_version: str | None = None,
    min_improvement: float = 0.0,
    data_passed: bool = True,
) -> Decision:
    """Decide whether the candidate replaces the registered model (higher metric is better).

    Registers when the data passed validation and either nothing is registered yet or the
    candidate beats the registered model by MORE than ``min_improvement``: a tie keeps the
    registered model, so re-running the pipeline on unchanged data registers nothing new.
    Raises PromotionError for a metric value that is not a finite number.
    """
    for label, value in (("candidate", candidate), ("registered model", champion)):
        if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
            raise PromotionError(f"{label} {metric} must be a finite number, got {value!r}")
    if not math.isfinite(min_improvement) or min_improvement < 0:
        raise PromotionError(f"min_improvement must be >= 0, got {min_improvement!r}")

    def verdict(register: bool, reason: str) -> Decision:
        return Decision(
            register=register,
            reason=reason,
            metric=metric,
            candidate=float(candidate),
            champion=None if champion is None else float(champion),
            champion_version=champion_version,
            min_improvement=float(min_improvement),
            data_passed=data_passed,
        )

    if not data_passed:
        return verdict(False, "the data report says the data failed validation")
    if champion is None:
        return verdict(True, "no model is registered yet")
    if candidate > champion + min_improvement:
        return verdict(True, "the candidate is better on the same test rows")
    return verdict(False, "the candidate is not better on the same test rows")


def find_mlflow_model_dir(root: Path) -> Path:
    """The one folder under ``root`` (or ``root`` itself) that holds an MLflow ``MLmodel`` file.

    Registries and AzureML deployments place a model's files a level or two below the folder
    they hand over (``<root>/<name>/<artifact folder>``); this finds it wherever it is. Raises
    PromotionError when there is no model or more than one.
    """
    found = sorted(path.parent for path in Path(root).rglob("MLmodel") if path.is_file())
    if not found:
        raise PromotionError(f"no MLflow model (MLmodel file) under {root}")
    if len(found) > 1:
        listed = ", ".join(str(path) for path in found[:3])
        raise PromotionError(f"more than one MLflow model under {root}: {listed}")
    return found[0]


def check_model_name(name: str) -> str:
    """``name`` if it is a valid registry name, else PromotionError naming the rule."""
    if not MODEL_NAME.match(name):
        raise PromotionError(
            f"model name {name!r} must be 1-255 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return name


class LocalFolderRegistry:
    """A model registry in a folder: ``<root>/<name>/<version>/model`` + ``registration.json``.

    Versions are 1, 2, 3...; a version appears only once its copy is complete (it is copied
    under a temporary name and renamed), so a crash never leaves a half-registered model.
    """

    REGISTRATION_FILE = "registration.json"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _versions(self, name: str) -> list[int]:
        folder = self.root / check_model_name(name)
        if not folder.is_dir():
            return []
        return sorted(
            int(entry.name)
            for entry in folder.iterdir()
            if entry.name.isdigit() and (entry / self.REGISTRATION_FILE).is_file()
        )

    def latest(self, name: str) -> RegisteredModel | None:
        versions = self._versions(name)
        if not versions:
            return None
        version = str(versions[-1])
        return RegisteredModel(name, version, self.root / name / version / "model")

    def register(self, name: str, model_dir: Path, *, tags: dict[str, str]) -> str:
        versions = self._versions(name)
        version = str(versions[-1] + 1 if versions else 1)
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=folder))
        try:
            shutil.copytree(model_dir, staging / "model")
            registration = {
                "name": name,
                "version": version,
                "registered_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tags": tags,
            }
            (staging / self.REGISTRATION_FILE).write_text(
                json.dumps(registration, indent=2) + "\n", encoding="utf-8"
            )
            staging.rename(folder / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return version

    def registration(self, name: str, version: str) -> dict[str, Any]:
        """The registration record of one version (tags, time), for inspection and tests."""
        path = self.root / name / version / self.REGISTRATION_FILE
        return json.loads(path.read_text(encoding="utf-8"))
