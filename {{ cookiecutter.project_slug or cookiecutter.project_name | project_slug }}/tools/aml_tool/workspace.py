"""Talking to the real workspace: login, assets, job submission and waiting.

Every Azure failure the user can fix (not logged in, wrong workspace, unknown compute, an
asset not created yet, a failed job) becomes an AmlError with one line that says what to do.
``connect`` takes the credential as a parameter: tests pass fakes, nothing here is global.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import WorkspaceConfig
from .definitions import PLACEHOLDER_SUBSCRIPTION, condense

MANAGEMENT_SCOPE = "https://management.azure.com/.default"
TERMINAL = {"Completed": True, "Failed": False, "Canceled": False, "NotResponding": False}
LOGIN_HINT = (
    "not logged in to Azure: run `az login` (in CI: an AzureCLI task with a service "
    "connection, or AZURE_CLIENT_ID/AZURE_TENANT_ID with workload identity federation)"
)


class AmlError(Exception):
    """An Azure-side problem the user can fix; the message says what and how."""


def first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def default_credential() -> Any:
    """azure-identity's chain (environment, workload identity, managed identity, az login)."""
    from azure.identity import DefaultAzureCredential

    # Each credential it tries logs a warning when it is not set up; the one line we print
    # when none worked says what to do instead.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)

    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def connect(config: WorkspaceConfig, credential: Any = None, client_class: Any = None) -> Any:
    """An MLClient for the workspace of project.yml, after checking login and workspace."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
    )

    if config.subscription_id == PLACEHOLDER_SUBSCRIPTION:
        raise AmlError(
            "project.yml: azureml.subscription_id is still the placeholder; set your "
            "subscription id (az account show --query id -o tsv)"
        )
    credential = credential if credential is not None else default_credential()
    try:
        credential.get_token(MANAGEMENT_SCOPE)
    except ClientAuthenticationError:
        raise AmlError(LOGIN_HINT) from None
    if client_class is None:
        from azure.ai.ml import MLClient

        client_class = MLClient
    client = client_class(
        credential,
        subscription_id=config.subscription_id,
        resource_group_name=config.resource_group,
        workspace_name=config.workspace,
    )
    try:
        client.workspaces.get(config.workspace)
    except ResourceNotFoundError:
        raise AmlError(
            f"{config.where} not found in subscription {config.subscription_id}: check the "
            "azureml section of project.yml"
        ) from None
    except HttpResponseError as error:
        raise AmlError(f"cannot open {config.where}: {first_line(error)}") from None
    return client


def require_compute(client: Any, config: WorkspaceConfig) -> None:
    """AmlError naming the existing clusters when project.yml's compute does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        client.compute.get(config.compute_name)
    except ResourceNotFoundError:
        existing = sorted(str(compute.name) for compute in client.compute.list())
        raise AmlError(
            f"compute '{config.compute_name}' not found in {config.where} (existing: "
            f"{', '.join(existing) or 'none'}); create it with `python -m {__package__} setup` "
            "or fix azureml.compute_name in project.yml"
        ) from None


def require_asset(client: Any, kind: str, name: str) -> None:
    """AmlError when a registered environment/data/model named ``name`` does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    operations = getattr(
        client, {"environment": "environments", "data": "data"}.get(kind, "models")
    )
    try:
        operations.get(name=name, label="latest")
    except ResourceNotFoundError:
        fix = (
            "run the training pipeline first (submit)"
            if kind == "model"
            else f"create it with `python -m {__package__} setup`"
        )
        raise AmlError(f"{kind} '{name}' is not registered in the workspace: {fix}") from None


def setup_workspace(
    client: Any, aml_dir: Path, echo: Callable[[str], None] = print, compute_name: str = ""
) -> None:
    """Create or update the compute cluster (named ``compute_name`` when given: a release
    environment's own cluster), the environment and the raw data asset."""
    from azure.ai.ml import load_compute, load_data, load_environment

    compute = load_compute(aml_dir / "compute" / "cluster.yml")
    compute.name = compute_name or compute.name
    echo(f"compute {compute.name}: creating or updating ({compute.size}, min 0 nodes)...")
    client.compute.begin_create_or_update(compute).result()
    environment = client.environments.create_or_update(
        load_environment(aml_dir / "environment" / "environment.yml")
    )
    echo(f"environment {environment.name} version {environment.version}")
    for path in sorted((aml_dir / "data").glob("*.yml")):
        data = client.data.create_or_update(load_data(path))
        echo(f"data asset {data.name} version {data.version}")


def load_pipeline(path: Path, overrides: dict[str, Any]) -> Any:
    """The pipeline job in ``path`` with ``inputs.<name>`` overrides applied."""
    from azure.ai.ml import load_job

    try:
        return load_job(path, params_override=[overrides] if overrides else None)
    except Exception as error:  # noqa: BLE001 - azure-ai-ml raises many types for bad YAML
        raise AmlError(f"{path}: {condense(error)}") from None


def submit_job(client: Any, job: Any, echo: Callable[[str], None] = print) -> Any:
    """Submit ``job``; prints and returns the created job (name, studio URL)."""
    from azure.core.exceptions import HttpResponseError

    try:
        created = client.jobs.create_or_update(job)
    except HttpResponseError as error:
        raise AmlError(f"submitting the job failed: {first_line(error)}") from None
    echo(f"submitted {created.name}: {created.studio_url}")
    return created


def wait_for_job(
    client: Any,
    name: str,
    timeout_minutes: float,
    *,
    poll_seconds: float = 30,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    echo: Callable[[str], None] = print,
) -> bool:
    """Poll job ``name`` until it ends; True when it completed. AmlError on timeout."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + timeout_minutes * 60
    last = None
    while True:
        status = str(client.jobs.get(name).status)
        if status != last:
            echo(f"{name}: {status}")
            last = status
        if status in TERMINAL:
            return TERMINAL[status]
        if clock() >= deadline:
            raise AmlError(
                f"job {name} is still {status} after {timeout_minutes:g} minutes; it keeps "
                "running in the workspace (see its studio page)"
            )
        sleep(poll_seconds)
