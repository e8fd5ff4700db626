"""The workspace-backed registry, against a fake ``MLClient.models`` (no Azure)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from {{ cookiecutter.package_name }} import (
    azureml_registry as registry,
)
from {{ cookiecutter.package_name }}.promotion import (
    PromotionError,
)


class FakeModels:
    """Versions of one model; downloads copy ``source`` into AzureML's nested layout."""

    def __init__(self, versions: list[str], source: Path, failure: Exception | None = None):
        self.versions = versions
        self.source = source
        self.failure = failure
        self.downloaded: list[str] = []
        self.created: list = []

    def list(self, name: str):
        if self.failure is not None:
            raise self.failure
        return [SimpleNamespace(name=name, version=version) for version in self.versions]

    def download(self, name: str, version: str, download_path: str) -> None:
        self.downloaded.append(version)
        shutil.copytree(self.source, Path(download_path) / name / "model_output")

    def create_or_update(self, model):
        self.created.append(model)
        return SimpleNamespace(name=model.name, version=str(len(self.versions) + 1))


def make_registry(tmp_path: Path, models: FakeModels) -> registry.AzureMLRegistry:
    return registry.AzureMLRegistry(SimpleNamespace(models=models), tmp_path / "downloads")


def test_latest_is_the_highest_version_number_downloaded(tmp_path, good_model):
    models = FakeModels(["1", "9", "10"], good_model)

    latest = make_registry(tmp_path, models).latest("penguins")

    assert (latest.name, latest.version) == ("penguins", "10")
    assert models.downloaded == ["10"]
    assert (latest.path / "MLmodel").is_file()


@pytest.mark.parametrize(
    "models",
    [FakeModels([], Path(".")), FakeModels(["1"], Path("."), ResourceNotFoundError("none"))],
    ids=["no versions", "model not found"],
)
def test_latest_is_none_when_nothing_is_registered(tmp_path, models):
    assert make_registry(tmp_path, models).latest("penguins") is None


def test_azure_errors_become_one_line(tmp_path):
    failure = HttpResponseError("Forbidden\nlong service details\nmore")
    models = FakeModels(["1"], Path("."), failure)

    with pytest.raises(PromotionError) as caught:
        make_registry(tmp_path, models).latest("penguins")

    assert str(caught.value) == "listing versions of model penguins: Forbidden"


def test_register_creates_an_mlflow_model_version(tmp_path, good_model):
    models = FakeModels(["1", "2"], good_model)

    version = make_registry(tmp_path, models).register("penguins", good_model, tags={"a": "b"})

    (created,) = models.created
    assert version == "3"
    assert (created.name, created.type, created.tags) == ("penguins", "mlflow_model", {"a": "b"})
    assert Path(created.path) == good_model


def test_outside_a_job_the_azureml_registry_says_what_to_do(monkeypatch):
    for name in registry.JOB_WORKSPACE_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(PromotionError, match="works inside an AzureML job only"):
        registry.AzureMLRegistry.from_job_environment()


def test_job_credential_prefers_the_submitting_identity(monkeypatch):
    from azure.ai.ml.identity import AzureMLOnBehalfOfCredential
    from azure.identity import ManagedIdentityCredential

    monkeypatch.setenv("OBO_ENDPOINT", "http://localhost:1/obo")
    assert isinstance(registry.job_credential(), AzureMLOnBehalfOfCredential)
    monkeypatch.delenv("OBO_ENDPOINT")
    monkeypatch.setenv("DEFAULT_IDENTITY_CLIENT_ID", "00000000-0000-0000-0000-0000000000aa")
    assert isinstance(registry.job_credential(), ManagedIdentityCredential)
