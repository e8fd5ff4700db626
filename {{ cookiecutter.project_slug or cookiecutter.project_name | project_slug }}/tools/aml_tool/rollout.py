"""Releases on AzureML endpoints: the online endpoint's blue/green deployments and traffic,
and the batch endpoint's deployment (the registered model, made the endpoint's default).

blue is the production deployment, green the candidate. The traffic rules (whole
percentages, live shares summing to 100, at most 50% mirrored, never mirroring to a
deployment that takes live traffic) are checked here, before any call, by pure functions.
The same module serves both kinds (the tools are the same in every project); which one a
project uses is its aml/endpoints/ folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import WorkspaceConfig
from .definitions import referenced_name
from .workspace import AmlError, first_line, require_asset

SLOTS = ("blue", "green")
MAX_MIRROR = 50  # AzureML's limit for mirrored (shadow) traffic


def traffic_split(blue: int, green: int) -> dict[str, int]:
    """Live traffic shares; AmlError unless both are 0-100 and they sum to 100."""
    for slot, share in (("blue", blue), ("green", green)):
        if not 0 <= share <= 100:
            raise AmlError(f"--{slot} must be between 0 and 100, got {share}")
    if blue + green != 100:
        raise AmlError(f"--blue and --green must add up to 100, got {blue} + {green}")
    return {"blue": blue, "green": green}


def mirror_split(green: int) -> dict[str, int]:
    """The share of live requests copied to green (its answers are discarded)."""
    if not 0 <= green <= MAX_MIRROR:
        raise AmlError(f"--green must be between 0 and {MAX_MIRROR} for mirroring, got {green}")
    return {"green": green}


ROLLBACK = {"blue": 100, "green": 0}


def check_transition(
    current_traffic: dict[str, int],
    current_mirror: dict[str, int],
    existing: set[str],
    *,
    traffic: dict[str, int] | None,
    mirror: dict[str, int] | None,
) -> None:
    """AmlError when the requested traffic cannot be applied to the endpoint as it is."""
    wanted = {**(traffic or {}), **(mirror or {})}
    for slot, share in wanted.items():
        if share > 0 and slot not in existing:
            raise AmlError(
                f"deployment '{slot}' does not exist on the endpoint; deploy it first "
                f"(python -m {__package__} deploy --slot {slot})"
            )
    live = traffic if traffic is not None else current_traffic
    mirrored = mirror if mirror is not None else current_mirror
    for slot, share in mirrored.items():
        if share > 0 and live.get(slot, 0) > 0:
            raise AmlError(
                f"'{slot}' would get {live[slot]}% live and {share}% mirrored traffic; stop "
                f"mirroring first (mirror --{slot} 0) or keep its live share at 0"
            )


def set_traffic(
    client: Any,
    endpoint_name: str,
    *,
    traffic: dict[str, int] | None = None,
    mirror: dict[str, int] | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Apply live and/or mirrored traffic shares to the online endpoint in one update."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    try:
        endpoint = client.online_endpoints.get(endpoint_name)
    except ResourceNotFoundError:
        raise AmlError(
            f"online endpoint '{endpoint_name}' not found; create it with "
            f"`python -m {__package__} deploy --slot blue`"
        ) from None
    existing = {str(d.name) for d in client.online_deployments.list(endpoint_name=endpoint_name)}
    check_transition(
        dict(endpoint.traffic or {}),
        dict(endpoint.mirror_traffic or {}),
        existing,
        traffic=traffic,
        mirror=mirror,
    )
    if traffic is not None:
        endpoint.traffic = dict(traffic)
    if mirror is not None:
        endpoint.mirror_traffic = {slot: share for slot, share in mirror.items() if share > 0}
    try:
        client.online_endpoints.begin_create_or_update(endpoint).result()
    except HttpResponseError as error:
        raise AmlError(
            f"updating traffic of '{endpoint_name}' failed: {first_line(error)}"
        ) from None
    echo(f"{endpoint_name}: live traffic {endpoint.traffic}, mirrored {endpoint.mirror_traffic}")


def _pin_model(deployment: Any, client: Any, model_version: str) -> str:
    """Point the deployment at exactly ``model_version``; the model reference used. A release
    names its version (the training run's decision), never ``@latest``: what dev tested is
    what prod gets, however long the prod approval waits."""
    # azure-ai-ml's loader drops the "azureml:" of the file's reference; put it back to parse.
    reference = f"azureml:{str(deployment.model).removeprefix('azureml:')}"
    name = referenced_name(reference) if isinstance(deployment.model, str) else None
    if name is None:
        raise AmlError(f"deployment {deployment.name}: model must be azureml:<name>@latest")
    if not str(model_version).isdigit():
        raise AmlError(f"--model-version must be a version number, got {model_version!r}")
    require_asset(client, "model", name)
    deployment.model = f"azureml:{name}:{model_version}"
    return str(deployment.model)


def version_of(model: str) -> str | None:
    """The version in 'azureml:name:7' or in the service's '.../models/name/versions/7'."""
    match = re.search(r"(?::|/versions/)(\d+)$", model)
    return match.group(1) if match else None


def _place(deployment: Any, config: WorkspaceConfig) -> None:
    """The environment's endpoint and size replace the ones written in the YAML file."""
    deployment.endpoint_name = config.endpoint_name
    deployment.instance_count = config.instance_count


def deploy_online(
    client: Any,
    aml_dir: Path,
    config: WorkspaceConfig,
    slot: str,
    model_version: str,
    echo: Callable[[str], None] = print,
) -> None:
    """Create the environment's endpoint if needed, then create or update deployment ``slot``
    with ``model_version``. Live traffic is never changed here: a new endpoint serves nothing
    until the release's traffic steps (or promotion) give a tested deployment its share."""
    from azure.ai.ml import load_online_deployment, load_online_endpoint
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    folder = aml_dir / "endpoints" / "online"
    endpoint = load_online_endpoint(folder / "endpoint.yml")
    endpoint.name = config.endpoint_name
    try:
        client.online_endpoints.get(endpoint.name)
    except ResourceNotFoundError:
        echo(f"creating online endpoint {endpoint.name} (no traffic yet)...")
        client.online_endpoints.begin_create_or_update(endpoint).result()
    deployment = load_online_deployment(folder / f"{slot}.yml")
    _place(deployment, config)
    deployment.instance_type = config.instance_type
    model = _pin_model(deployment, client, model_version)
    echo(f"deploying {slot} with {model} to {endpoint.name} (this takes several minutes)...")
    try:
        client.online_deployments.begin_create_or_update(deployment).result()
    except HttpResponseError as error:
        raise AmlError(f"deployment {slot} failed: {first_line(error)}") from None


def promote_green(
    client: Any,
    aml_dir: Path,
    config: WorkspaceConfig,
    model_version: str,
    echo: Callable[[str], None] = print,
) -> None:
    """Deploy the release's version to blue, after checking green carries that version.

    Traffic is not touched: the pipeline smoke-tests blue directly, then sends it all live
    traffic and retires green. On a first release blue does not exist yet and is created here.
    """
    from azure.core.exceptions import ResourceNotFoundError

    name = config.endpoint_name
    try:
        green = client.online_deployments.get(name="green", endpoint_name=name)
    except ResourceNotFoundError:
        raise AmlError(
            f"endpoint '{name}' has no green deployment to promote; deploy one first "
            "(deploy --slot green --model-version N)"
        ) from None
    if version_of(str(green.model)) != str(model_version):
        raise AmlError(
            f"green serves {green.model}, not version {model_version}: promote only what "
            "this release tested"
        )
    deploy_online(client, aml_dir, config, "blue", model_version, echo)


def roll_back(client: Any, endpoint_name: str, echo: Callable[[str], None] = print) -> None:
    """All live traffic to blue, mirroring off. Without a blue (a first release that failed)
    there is nothing to go back to: the endpoint keeps serving nothing and green is deleted,
    so no untested model is left billing or reachable."""
    existing = {str(d.name) for d in client.online_deployments.list(endpoint_name=endpoint_name)}
    if "blue" in existing:
        set_traffic(client, endpoint_name, traffic=ROLLBACK, mirror={}, echo=echo)
        return
    echo(f"{endpoint_name}: no blue deployment (first release); nothing is served")
    if "green" in existing:
        set_traffic(client, endpoint_name, traffic={"green": 0}, mirror={}, echo=echo)
        _delete(client, endpoint_name, "green", echo)


def retire_green(client: Any, endpoint_name: str, echo: Callable[[str], None] = print) -> None:
    """Delete green once the release is promoted: an idle deployment still bills per hour."""
    endpoint = client.online_endpoints.get(endpoint_name)
    live = dict(endpoint.traffic or {}).get("green", 0) + dict(endpoint.mirror_traffic or {}).get(
        "green", 0
    )
    if live:
        raise AmlError(f"green still gets {live}% of {endpoint_name}'s traffic; not deleted")
    _delete(client, endpoint_name, "green", echo)


def tear_down(client: Any, endpoint_name: str, echo: Callable[[str], None] = print) -> None:
    """Delete the whole endpoint (dev, after its smoke test): nothing is left billing."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        client.online_endpoints.begin_delete(name=endpoint_name).result()
    except ResourceNotFoundError:
        echo(f"{endpoint_name}: already deleted")
        return
    echo(f"{endpoint_name}: deleted")


def _delete(client: Any, endpoint_name: str, slot: str, echo: Callable[[str], None]) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        client.online_deployments.begin_delete(name=slot, endpoint_name=endpoint_name).result()
    except ResourceNotFoundError:
        return
    echo(f"{endpoint_name}: deployment {slot} deleted")


def deploy_batch(
    client: Any,
    aml_dir: Path,
    config: WorkspaceConfig,
    model_version: str,
    echo: Callable[[str], None] = print,
) -> None:
    """Create the environment's batch endpoint if needed, deploy ``model_version`` on the
    environment's cluster, and make the deployment the endpoint's default."""
    from azure.ai.ml import load_batch_endpoint
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    from .definitions import definition_loaders

    folder = aml_dir / "endpoints" / "batch"
    endpoint = load_batch_endpoint(folder / "endpoint.yml")
    endpoint.name = config.endpoint_name
    try:
        endpoint = client.batch_endpoints.get(endpoint.name)
    except ResourceNotFoundError:
        echo(f"creating batch endpoint {endpoint.name}...")
        client.batch_endpoints.begin_create_or_update(endpoint).result()
    deployment = definition_loaders()["batch_deployment"](folder / "deployment.yml")
    _place(deployment, config)
    deployment.compute = f"azureml:{config.compute_name}"
    model = _pin_model(deployment, client, model_version)
    echo(f"deploying {deployment.name} with {model} to {endpoint.name}...")
    try:
        client.batch_deployments.begin_create_or_update(deployment).result()
        endpoint = client.batch_endpoints.get(endpoint.name)
        endpoint.defaults = {"deployment_name": deployment.name}
        client.batch_endpoints.begin_create_or_update(endpoint).result()
    except HttpResponseError as error:
        raise AmlError(f"batch deployment failed: {first_line(error)}") from None
    echo(f"{endpoint.name}: default deployment is {deployment.name}")
