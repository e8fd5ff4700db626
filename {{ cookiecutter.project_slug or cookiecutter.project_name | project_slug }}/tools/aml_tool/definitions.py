"""Offline validation of every AzureML definition in aml/, without an Azure account.

Each file is loaded with azure-ai-ml's own ``load_*`` function for its kind (the folder it is
in decides the kind) and components and jobs go through ``MLClient.<ops>.validate`` with a
credential that refuses to be used, so nothing can reach Azure. Then come the checks
azure-ai-ml does not make: the wiring (``wiring.py``), that code folders and scoring scripts
exist, and that every name refers to something defined here or in project.yml (environment,
data asset, compute and, in a project that deploys, endpoint and model). What belongs in aml/
follows project.yml's ``project.deployment``: only that kind's endpoint folder. Every problem
is one line naming the file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .config import WorkspaceConfig
from .wiring import (
    ComponentSpec,
    DefinitionError,
    PipelineSpec,
    check_component,
    check_pipeline,
    read_yaml,
)

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
REFERENCE = re.compile(r"^azureml:([^@:/]+)(?:@[\w.-]+|:[\w.-]+)?$")
BOILERPLATE = ("Visit this link", "The easiest way to author")


class OfflineCredential:
    """A credential that refuses every token request: offline validation never calls Azure."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise RuntimeError("offline validation must not call Azure")


@dataclass
class Report:
    """What was checked (file, kind) and every problem found (one line each)."""

    checked: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def kind_of(relative: PurePosixPath, deployment: str | None = None) -> str | None:
    """The kind of definition a file is, from where it sits in aml/; None when unknown.

    ``deployment`` is what the project deploys: only its endpoint folder is known (an
    endpoints/batch/ folder in an online project is a leftover). None accepts either kind.
    """
    parts = relative.parts
    folder = parts[0]
    if parts == ("environment", "environment.yml"):
        return "environment"
    if parts == ("environment", "conda.yml"):
        return "conda"
    simple = {"data": "data", "compute": "compute", "components": "component"}
    if len(parts) == 2 and folder in simple:
        return simple[folder]
    if len(parts) == 2 and folder in ("pipelines", "jobs"):
        return "job"
    served = ("online", "batch") if deployment is None else (deployment,)
    if len(parts) == 3 and folder == "endpoints" and parts[1] in served:
        role = "endpoint" if relative.name == "endpoint.yml" else "deployment"
        return f"{parts[1]}_{role}"
    return None


def definition_loaders() -> dict[str, Callable[[Path], Any]]:
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    from azure.ai import ml

    try:  # `type: model` batch deployments; not re-exported at the top level of azure.ai.ml
        from azure.ai.ml import load_model_batch_deployment
    except ImportError:
        from azure.ai.ml.entities._load_functions import load_model_batch_deployment

    return {
        "environment": ml.load_environment,
        "data": ml.load_data,
        "compute": ml.load_compute,
        "component": ml.load_component,
        "job": ml.load_job,
        "online_endpoint": ml.load_online_endpoint,
        "online_deployment": ml.load_online_deployment,
        "batch_endpoint": ml.load_batch_endpoint,
        "batch_deployment": load_model_batch_deployment,
    }


def condense(error: Exception, limit: int = 3) -> str:
    """azure-ai-ml's multi-line validation error as one line: 'field: message; ...'.

    Its JSON body lists every branch of a union type that did not match; the leaves that
    name an unknown or missing field come first and at most ``limit`` are shown.
    """
    text = str(error)
    start, end = text.find("{"), text.rfind("}")
    details = None
    if start != -1 and end > start:
        try:
            details = json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            details = None
    if isinstance(details, dict):
        errors = details.get("errors")
        if isinstance(errors, list):
            leaves = [(str(item.get("path")), str(item.get("message"))) for item in errors]
        else:
            leaves = list(dict.fromkeys(_leaves(details, "")))
        leaves.sort(key=lambda leaf: not leaf[1].endswith(("Unknown field.", "required field.")))
        shown = "; ".join(f"{path}: {message}" for path, message in leaves[:limit])
        more = f" (and {len(leaves) - limit} more)" if len(leaves) > limit else ""
        return shown + more
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith(BOILERPLATE)]
    return " ".join(kept) or type(error).__name__


def _leaves(value: Any, path: str) -> list[tuple[str, str]]:
    """(dotted path, message) for every message in a marshmallow error structure."""
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            name = path if key in (None, "_schema", "null") else f"{path}.{key}".strip(".")
            found += _leaves(item, name)
        return found
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    return [(path or "(file)", str(value))]


def referenced_name(value: Any) -> str | None:
    """'name' from 'azureml:name@latest' / 'azureml:name:3' / 'azureml:name'; else None."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def validate_definitions(aml_dir: Path, config: WorkspaceConfig | None = None) -> Report:
    """Validate every file under ``aml_dir``; never raises for a bad definition, reports it."""
    report = Report()
    if not aml_dir.is_dir():
        report.problems.append(f"{aml_dir}: folder not found (run from the project root)")
        return report
    from azure.ai.ml import MLClient

    loaders = definition_loaders()
    client = MLClient(
        OfflineCredential(),
        subscription_id=config.subscription_id if config else PLACEHOLDER_SUBSCRIPTION,
        resource_group_name=config.resource_group if config else "offline",
        workspace_name=config.workspace if config else "offline",
    )
    documents: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path in sorted(p for p in aml_dir.rglob("*") if p.is_file()):
        relative = PurePosixPath(path.relative_to(aml_dir).as_posix())
        if path.suffix in (".md", ".json"):
            if path.suffix == ".json":
                _check_json(path, relative, report)
            continue
        kind = kind_of(relative, config.deployment if config else None)
        if kind is None:
            report.problems.append(f"aml/{relative}: not a known kind of AzureML definition here")
            continue
        try:
            document = read_yaml(path)
        except DefinitionError as error:
            report.problems.append(str(error).replace(str(path), f"aml/{relative}"))
            continue
        if kind != "conda" and not path.read_text(encoding="utf-8").startswith("$schema:"):
            report.problems.append(f"aml/{relative}: the first line must be its $schema: line")
        documents.setdefault(kind, []).append((path, document))
        if kind == "conda":
            _check_conda(document, relative, report)
            continue
        try:
            entity = loaders[kind](path)
            result = None
            if kind == "component":
                result = client.components.validate(entity)
            elif kind == "job":
                result = client.jobs.validate(entity)
            if result is not None and not result.passed:
                report.problems.append(f"aml/{relative}: {result.error_messages}")
        except Exception as error:  # noqa: BLE001 - any load error is a finding, not a crash
            report.problems.append(f"aml/{relative}: {condense(error)}")
            continue
        report.checked.append((f"aml/{relative}", type(entity).__name__))
        folder = f"aml/{relative.parent}/"
        report.problems.extend(folder + problem for problem in _own_checks(kind, path))
    report.problems.extend(check_names(aml_dir, documents, config))
    return report


def _own_checks(kind: str, path: Path) -> list[str]:
    try:
        if kind == "component":
            return check_component(ComponentSpec.read(path))
        if kind == "job":
            return check_pipeline(PipelineSpec.read(path))
        if kind.endswith("_deployment"):
            return _check_scoring_code(path, read_yaml(path))
    except DefinitionError as error:
        return [str(error).replace(f"{path.parent}/", "")]
    return []


def _check_scoring_code(path: Path, document: dict[str, Any]) -> list[str]:
    configuration = document.get("code_configuration") or {}
    code = path.parent / str(configuration.get("code", ""))
    script = code / str(configuration.get("scoring_script", ""))
    if not code.is_dir():
        return [f"{path.name}: code folder {configuration.get('code')!r} does not exist"]
    if not script.is_file():
        return [f"{path.name}: scoring script {configuration.get('scoring_script')!r} not found"]
    return []


def _check_json(path: Path, relative: PurePosixPath, report: Report) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.problems.append(f"aml/{relative}: invalid JSON ({error})")


def _check_conda(document: dict[str, Any], relative: PurePosixPath, report: Report) -> None:
    dependencies = document.get("dependencies")
    pip = [d for d in dependencies or [] if isinstance(d, dict) and "pip" in d]
    if not isinstance(dependencies, list) or not pip:
        report.problems.append(f"aml/{relative}: needs dependencies: with a pip: list")
    else:
        report.checked.append((f"aml/{relative}", "conda specification"))


def check_names(
    aml_dir: Path,
    documents: dict[str, list[tuple[Path, dict[str, Any]]]],
    config: WorkspaceConfig | None,
) -> list[str]:
    """Every name that refers to another definition or to project.yml must match it."""
    problems = []

    def names(kind: str) -> set[str]:
        return {str(doc.get("name")) for _, doc in documents.get(kind, [])}

    def expect(path: Path, key: str, value: Any, allowed: set[str], what: str) -> None:
        name = referenced_name(value) if str(value).startswith("azureml:") else value
        if name not in allowed:
            shown = ", ".join(sorted(allowed)) or "none defined"
            where = path.relative_to(aml_dir).as_posix()
            problems.append(f"aml/{where}: {key} {value!r} is not {what} ({shown})")

    environments, computes = names("environment"), names("compute")
    if config is not None:
        for path, doc in documents.get("compute", []):
            expected = {config.compute_name}
            expect(path, "name", doc.get("name"), expected, "project.yml's compute_name")
            expect(path, "size", doc.get("size"), {config.vm_size}, "project.yml's vm_size")
        computes = {config.compute_name}
    for path, doc in documents.get("component", []):
        expect(path, "environment", doc.get("environment"), environments, "the environment")
    for path, doc in documents.get("job", []):
        compute = (doc.get("settings") or {}).get("default_compute")
        expect(path, "settings.default_compute", compute, computes, "the compute cluster")
        for name, spec in (doc.get("inputs") or {}).items():
            if isinstance(spec, dict) and str(spec.get("path", "")).startswith("azureml:"):
                expect(path, f"inputs.{name}.path", spec["path"], names("data"), "a data asset")
    model_names = {
        str(doc.get("inputs", {}).get("model_name", {}).get("default"))
        for _, doc in documents.get("component", [])
        if isinstance(doc.get("inputs", {}).get("model_name"), dict)
    }
    for served in ("online", "batch"):
        endpoints = names(f"{served}_endpoint")
        for path, doc in documents.get(f"{served}_deployment", []):
            expect(path, "endpoint_name", doc.get("endpoint_name"), endpoints, "the endpoint")
            expect(path, "environment", doc.get("environment"), environments, "the environment")
            expect(path, "model", doc.get("model"), model_names, "the registered model name")
            if "compute" in doc:
                expect(path, "compute", doc.get("compute"), computes, "the compute cluster")
    return problems
