"""The workspace's model registry behind the promotion gate's ``ModelRegistry`` protocol.

Used by the register step inside an AzureML job (``--registry azureml``). The job finds its
workspace in the variables AzureML sets (``AZUREML_ARM_*``) and authenticates as:

1. the identity that submitted the pipeline, when the step runs with ``identity:
   user_identity`` (aml/pipelines/train.yml does this for the register step);
2. else the compute cluster's managed identity, when one is assigned;
3. else whatever ``DefaultAzureCredential`` finds (a laptop with ``az login``).

No credential is ever read from or written to a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .promotion import PromotionError, RegisteredModel, check_model_name, find_mlflow_model_dir

JOB_WORKSPACE_VARIABLES = (
    "AZUREML_ARM_SUBSCRIPTION",
    "AZUREML_ARM_RESOURCEGROUP",
    "AZUREML_ARM_WORKSPACE_NAME",
)


def job_credential() -> Any:
    """The credential an AzureML job should use to call its own workspace (see module doc)."""
    if os.environ.get("OBO_ENDPOINT"):
        from azure.ai.ml.identity import AzureMLOnBehalfOfCredential

        return AzureMLOnBehalfOfCredential()
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    client_id = os.environ.get("DEFAULT_IDENTITY_CLIENT_ID")
    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class AzureMLRegistry:
    """``ModelRegistry`` over ``MLClient.models``: list, download and register MLflow models.

    Every Azure error becomes a PromotionError with one line naming the model and the call.
    """

    def __init__(self, client: Any, download_root: Path | None = None) -> None:
        self.client = client
        self.download_root = Path(download_root or tempfile.mkdtemp(prefix="registered-model-"))

    @classmethod
    def from_job_environment(cls) -> AzureMLRegistry:
        """The registry of the workspace the current AzureML job runs in."""
        missing = [name for name in JOB_WORKSPACE_VARIABLES if not os.environ.get(name)]
        if missing:
            raise PromotionError(
                f"--registry azureml works inside an AzureML job only ({missing[0]} is not "
                "set); pass a folder to use a local registry"
            )
        from azure.ai.ml import MLClient

        client = MLClient(
            job_credential(),
            subscription_id=os.environ["AZUREML_ARM_SUBSCRIPTION"],
            resource_group_name=os.environ["AZUREML_ARM_RESOURCEGROUP"],
            workspace_name=os.environ["AZUREML_ARM_WORKSPACE_NAME"],
        )
        return cls(client)

    def latest(self, name: str) -> RegisteredModel | None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        check_model_name(name)
        try:
            versions = [str(model.version) for model in self.client.models.list(name=name)]
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise PromotionError(
                f"listing versions of model {name}: {_first_line(error)}"
            ) from None
        numbered = [version for version in versions if version.isdigit()]
        if not numbered:
            return None
        version = max(numbered, key=int)
        target = self.download_root / f"{name}-{version}"
        try:
            self.client.models.download(name=name, version=version, download_path=str(target))
        except AzureError as error:
            raise PromotionError(
                f"downloading model {name} v{version}: {_first_line(error)}"
            ) from None
        return RegisteredModel(name, version, find_mlflow_model_dir(target))

    def register(self, name: str, model_dir: Path, *, tags: dict[str, str]) -> str:
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Model
        from azure.core.exceptions import AzureError

        model = Model(
            name=check_model_name(name),
            path=str(model_dir),
            type=AssetTypes.MLFLOW_MODEL,
            tags=tags,
            description="Registered by the training pipeline's promotion gate.",
        )
        try:
            created = self.client.models.create_or_update(model)
        except AzureError as error:
            raise PromotionError(f"registering model {name}: {_first_line(error)}") from None
        return str(created.version)
