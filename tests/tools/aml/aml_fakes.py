"""Fakes that stand in for ``MLClient`` in the AzureML tool's tests (a plain module: conftest is
for fixtures).

They keep state in memory, record every call and raise azure-core's own exceptions where the
real service would, so the code under test takes the same paths as against a workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError

REAL_LOOKING_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


class Done:
    """What ``begin_*`` returns: a poller whose result is immediate."""

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


class RefusingCredential:
    """A credential with no login behind it, as DefaultAzureCredential without az login."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")


class WorkingCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return SimpleNamespace(token="not-a-real-token", expires_on=2**31)


@dataclass
class Named:
    """get/list over a dict of named things; unknown names raise ResourceNotFoundError."""

    items: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str | None = None, **kwargs: Any) -> Any:
        if name not in self.items:
            raise ResourceNotFoundError(f"{name} not found")
        return self.items[name]

    def list(self, **kwargs: Any) -> list[Any]:
        return list(self.items.values())


class FakeJobs:
    def __init__(self, statuses: list[str] | None = None) -> None:
        self.submitted: list[Any] = []
        self.statuses = list(statuses or ["Completed"])

    def create_or_update(self, job: Any) -> Any:
        self.submitted.append(job)
        return SimpleNamespace(name="job-1", studio_url="https://ml.azure.com/runs/job-1")

    def get(self, name: str) -> Any:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return SimpleNamespace(name=name, status=status)


class FakeOnlineEndpoints(Named):
    def __init__(self, endpoints: dict[str, Any]) -> None:
        super().__init__(endpoints)
        self.updates: list[dict[str, Any]] = []
        self.deleted: list[str] = []

    def begin_create_or_update(self, endpoint: Any) -> Done:
        self.updates.append(
            {"traffic": dict(endpoint.traffic or {}), "mirror": dict(endpoint.mirror_traffic or {})}
        )
        self.items[endpoint.name] = endpoint
        return Done(endpoint)

    def begin_delete(self, name: str) -> Done:
        self.get(name)
        self.deleted.append(name)
        del self.items[name]
        return Done()


class FakeOnlineDeployments(Named):
    """Deployments with a model; records each (name, model) deployed and how many endpoint
    updates had happened at that moment, so tests can check the order of operations."""

    def __init__(self, names: tuple[str, ...], endpoints: FakeOnlineEndpoints) -> None:
        super().__init__({n: SimpleNamespace(name=n, model=f"azureml:m:{n}") for n in names})
        self.endpoints = endpoints
        self.deployed: list[tuple[str, str, int]] = []
        self.deleted: list[str] = []

    def begin_create_or_update(self, deployment: Any) -> Done:
        self.deployed.append((deployment.name, deployment.model, len(self.endpoints.updates)))
        self.items[deployment.name] = deployment
        return Done(deployment)

    def begin_delete(self, name: str, **where: str) -> Done:
        self.get(name)
        self.deleted.append(name)
        del self.items[name]
        return Done()


class FakeClient:
    """Just enough of MLClient for the tool's commands."""

    def __init__(
        self,
        *,
        computes: tuple[str, ...] = (),
        environments: tuple[str, ...] = (),
        endpoint: Any = None,
        deployments: tuple[str, ...] = ("blue", "green"),
        statuses: list[str] | None = None,
        models: tuple[str, ...] = (),
    ) -> None:
        self.compute = Named({name: SimpleNamespace(name=name) for name in computes})
        self.environments = Named({name: SimpleNamespace(name=name) for name in environments})
        self.models = Named({name: SimpleNamespace(name=name) for name in models})
        self.jobs = FakeJobs(statuses)
        endpoints = {endpoint.name: endpoint} if endpoint is not None else {}
        self.online_endpoints = FakeOnlineEndpoints(endpoints)
        self.online_deployments = FakeOnlineDeployments(deployments, self.online_endpoints)


def endpoint(name: str, traffic: dict[str, int], mirror: dict[str, int] | None = None) -> Any:
    """An online endpoint as ``online_endpoints.get`` returns it."""
    return SimpleNamespace(name=name, traffic=dict(traffic), mirror_traffic=dict(mirror or {}))
