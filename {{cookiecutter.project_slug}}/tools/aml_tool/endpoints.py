"""Deployments and the blue/green traffic of the online endpoint (and the batch deployment).

blue is the production deployment, green the candidate of an A/B test. The traffic rules
(whole percentages, live shares summing to 100, at most 50% mirrored, never mirroring to a
deployment that takes live traffic) are checked here, before any call, by pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _pin_model(deployment: Any, client: Any, model_version: str | None) -> str:
    """Point the deployment at ``model_version`` (or the latest); the model reference used."""
    name = referenced_name(deployment.model) if isinstance(deployment.model, str) else None
    if name is None:
        raise AmlError(f"deployment {deployment.name}: model must be azureml:<name>@latest")
    require_asset(client, "model", name)
    if model_version is not None:
        deployment.model = f"azureml:{name}:{model_version}"
    return str(deployment.model)


def deploy_online(
    client: Any,
    aml_dir: Path,
    slot: str,
    model_version: str | None,
    echo: Callable[[str], None] = print,
) -> None:
    """Create the endpoint if needed, then create or update deployment ``slot``.

    The first deployment of a new endpoint gets all traffic; otherwise traffic is left as
    it is (a new green gets none until ``traffic`` or ``mirror`` gives it some).
    """
    from azure.ai.ml import load_online_deployment, load_online_endpoint
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    folder = aml_dir / "endpoints" / "online"
    endpoint = load_online_endpoint(folder / "endpoint.yml")
    try:
        client.online_endpoints.get(endpoint.name)
        created = False
    except ResourceNotFoundError:
        echo(f"creating online endpoint {endpoint.name}...")
        client.online_endpoints.begin_create_or_update(endpoint).result()
        created = True
    deployment = load_online_deployment(folder / f"{slot}.yml")
    model = _pin_model(deployment, client, model_version)
    echo(f"deploying {slot} with {model} (this takes several minutes)...")
    try:
        client.online_deployments.begin_create_or_update(deployment).result()
    except HttpResponseError as error:
        raise AmlError(f"deployment {slot} failed: {first_line(error)}") from None
    if created:
        set_traffic(client, endpoint.name, traffic={slot: 100}, echo=echo)


def promote_green(
    client: Any, aml_dir: Path, endpoint_name: str, echo: Callable[[str], None] = print
) -> None:
    """Make green's model the current one: deploy it to blue, then send all live traffic to
    blue with mirroring off. Green then serves nothing, so the next candidate can be deployed
    to it without touching a single live request, and a rollback means the promoted model."""
    from azure.ai.ml import load_online_deployment
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    try:
        green = client.online_deployments.get(name="green", endpoint_name=endpoint_name)
    except ResourceNotFoundError:
        raise AmlError(
            f"endpoint '{endpoint_name}' has no green deployment to promote; "
            "deploy one first (deploy --slot green)"
        ) from None
    blue = load_online_deployment(aml_dir / "endpoints" / "online" / "blue.yml")
    blue.model = green.model
    echo(f"promoting {green.model}: deploying it to blue (this takes several minutes)...")
    try:
        client.online_deployments.begin_create_or_update(blue).result()
    except HttpResponseError as error:
        raise AmlError(f"deployment blue failed: {first_line(error)}") from None
    set_traffic(client, endpoint_name, traffic=ROLLBACK, mirror={}, echo=echo)


def deploy_batch(
    client: Any, aml_dir: Path, model_version: str | None, echo: Callable[[str], None] = print
) -> None:
    """Create the batch endpoint if needed, deploy, and make the deployment its default."""
    from azure.ai.ml import load_batch_endpoint
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    from .definitions import definition_loaders

    folder = aml_dir / "endpoints" / "batch"
    endpoint = load_batch_endpoint(folder / "endpoint.yml")
    try:
        endpoint = client.batch_endpoints.get(endpoint.name)
    except ResourceNotFoundError:
        echo(f"creating batch endpoint {endpoint.name}...")
        client.batch_endpoints.begin_create_or_update(endpoint).result()
    deployment = definition_loaders()["batch_deployment"](folder / "deployment.yml")
    model = _pin_model(deployment, client, model_version)
    echo(f"deploying {deployment.name} with {model}...")
    try:
        client.batch_deployments.begin_create_or_update(deployment).result()
        endpoint = client.batch_endpoints.get(endpoint.name)
        endpoint.defaults = {"deployment_name": deployment.name}
        client.batch_endpoints.begin_create_or_update(endpoint).result()
    except HttpResponseError as error:
        raise AmlError(f"batch deployment failed: {first_line(error)}") from None
    echo(f"{endpoint.name}: default deployment is {deployment.name}")
