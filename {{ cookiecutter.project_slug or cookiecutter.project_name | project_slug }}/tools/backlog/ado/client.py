"""The Azure DevOps adapter: the only module that imports ``azure.devops``.

It returns plain dicts and lists, so nothing else depends on the SDK's models. Every request
goes through one transport hook that counts it and hands it to ``transport.py`` (api-version
in the query string, status codes to the errors of ``errors.py``, pacing). The SDK's location
discovery is skipped: its route table is filled from operations.json. The SDK's own urllib3
retries are switched off: they ignore 429 and, depending on the urllib3 version, may resend a
POST blindly - retry.py decides instead.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backlog.ado import transport

if not os.environ.get("AZURE_DEVOPS_CACHE_DIR"):
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = transport.sdk_cache_dir()

# The SDK reads AZURE_DEVOPS_CACHE_DIR when it is imported, hence the late imports.
from azure.devops._models import ApiResourceLocation  # noqa: E402
from azure.devops.client import Client as SdkClient  # noqa: E402
from azure.devops.connection import Connection  # noqa: E402
from azure.devops.v7_1.core import models as core_models  # noqa: E402
from azure.devops.v7_1.work import models as work_models  # noqa: E402
from azure.devops.v7_1.work_item_tracking import models as wit_models  # noqa: E402
from msrest.exceptions import (  # noqa: E402
    ClientRequestError,
    DeserializationError,
    SerializationError,
)
from msrest.universal_http import ClientRequest  # noqa: E402
from urllib3 import Retry  # noqa: E402

from backlog.ado import retry  # noqa: E402
from backlog.ado.errors import AdoError, ConnectionLostError, HttpError, ServerError  # noqa: E402
from backlog.ado.results import Stats, date_only, node_dict  # noqa: E402

BATCH_API_VERSION = "7.1"
OPERATIONS = Path(__file__).with_name("operations.json")
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


def _date_attributes(start: str | None, finish: str | None) -> dict[str, str | None]:
    """Iteration dates as the spec types them (format: date-time), midnight UTC."""
    return {
        "startDate": f"{start}T00:00:00Z" if start else None,
        "finishDate": f"{finish}T00:00:00Z" if finish else None,
    }


class _Connection(Connection):
    """An SDK connection whose every client goes through ``harden``, with no discovery.

    The SDK would first ask the organization for its resource areas and its route table
    (OPTIONS /_apis, GET /_apis/ResourceAreas): neither is in the REST specification. On
    dev.azure.com every area used here is served at the organization URL, and the routes
    come from operations.json (see ``prefill_locations``).
    """

    def __init__(self, base_url: str, creds: Any, harden: Callable[[Any], Any]) -> None:
        super().__init__(base_url=base_url, creds=creds)
        self._harden = harden

    def _get_client_instance(self, client_class: Any) -> Any:
        return self._harden(super()._get_client_instance(client_class))

    def _get_resource_areas(self, force: bool = False) -> Any:
        return []  # every client then uses the organization URL


def _operation_locations() -> list[ApiResourceLocation]:
    """The SDK's route table, built from operations.json (location id, area, resource, route)."""
    found: dict[str, ApiResourceLocation] = {}
    for op in json.loads(OPERATIONS.read_text(encoding="utf-8"))["operations"]:
        if op.get("location_id") and op["location_id"] not in found:
            found[op["location_id"]] = ApiResourceLocation(
                id=op["location_id"],
                area=op["area"],
                resource_name=op["resource"],
                route_template=op["route"],
                resource_version=1,
                min_version=1.0,
                max_version=7.1,
                released_version="7.1",
            )
    return list(found.values())


def prefill_locations(org_url: str) -> None:
    """Fill the SDK's location cache for ``org_url`` so it never sends OPTIONS /_apis."""
    SdkClient._locations_cache[SdkClient._normalize_url(org_url)] = _operation_locations()


class AdoClient:
    """Typed-enough access to the few Azure DevOps operations the backlog needs."""

    def __init__(
        self,
        org_url: str,
        project: str,
        team: str,
        creds: Any,
        policy: retry.RetryPolicy | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.project = project
        self.team = team
        self.policy = policy or retry.RetryPolicy()
        self.timeout_s = timeout_s
        self.stats = Stats()
        prefill_locations(self.org_url)
        self._connection = _Connection(self.org_url, creds, self._harden)
        self._team_context = work_models.TeamContext(project=project, team=team)
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.RLock()
        self.known_project_id: str | None = None  # set once the project was read

    # -- transport ---------------------------------------------------------------------------
    def _harden(self, sdk_client: Any) -> Any:
        no_retries = Retry(total=0, raise_on_status=False)
        no_retries.BACKOFF_MAX = 0  # msrest reads this attribute when it logs its policy
        sdk_client.config.retry_policy.policy = no_retries
        sdk_client.config.connection.timeout = self.timeout_s
        # msrest builds its requests session when the client is constructed, with the default
        # policy already mounted: replace it on the live adapters too.
        pipeline = getattr(sdk_client._client.config, "pipeline", None)
        driver = getattr(getattr(pipeline, "_sender", None), "driver", None)
        session = getattr(driver, "session", None)
        for adapter in getattr(session, "adapters", {}).values():
            adapter.max_retries = no_retries

        def send_request(request, headers=None, content=None, media_type=None, **config):
            return self._transport(sdk_client, request, headers, content, config)

        sdk_client._send_request = send_request
        return sdk_client

    def _transport(self, sdk_client: Any, request: Any, headers: Any, content: Any, config: Any):
        operation, headers, write = transport.prepare(request, headers)
        self.stats.count(write)
        try:
            response = sdk_client._client.send(
                request=request, headers=headers, content=content, **config
            )
        except ClientRequestError as error:
            # The message of the underlying error names the URL only; no header is included.
            raise ConnectionLostError(f"{operation}: no answer from Azure DevOps") from error
        transport.check(operation, response, self.policy)
        return response

    def connect(self) -> None:
        """Build the SDK clients once, before requests go out in parallel."""
        self._client("wit")
        self._client("work")

    def _client(self, kind: str) -> Any:
        with self._clients_lock:
            return self._client_locked(kind)

    def _client_locked(self, kind: str) -> Any:
        if kind not in self._clients:
            factory = self._connection.clients_v7_1
            getter = {
                "wit": factory.get_work_item_tracking_client,
                "work": factory.get_work_client,
                "core": factory.get_core_client,
                "process": factory.get_work_item_tracking_process_client,
            }[kind]
            self._clients[kind] = retry.call(
                getter, policy=self.policy, idempotent=True, what="connect"
            )
        return self._clients[kind]

    def _call(
        self,
        what: str,
        kind: str,
        method: str,
        *args: Any,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call an SDK method with retries; ``idempotent=None`` marks a read."""

        def run() -> Any:
            try:
                return getattr(self._client(kind), method)(*args, **kwargs)
            except (DeserializationError, SerializationError) as error:
                # An answer (or a body) the SDK's models cannot map: an error, not a traceback.
                raise AdoError(f"{what}: unexpected data from Azure DevOps: {error}") from None

        return retry.call(run, policy=self.policy, idempotent=idempotent is not False, what=what)

    # -- project and process -----------------------------------------------------------------
    def project_info(self) -> dict[str, Any]:
        """id, name and (when the server sends capabilities) the process template type id."""
        project = self._call(
            "read project", "core", "get_project", self.project, include_capabilities=True
        )
        template = (project.capabilities or {}).get("processTemplate", {})
        self.known_project_id = str(project.id).lower() if project.id else None
        return {
            "id": project.id,
            "name": project.name,
            "process_type_id": template.get("templateTypeId"),
        }

    def project_properties(self, project_id: str, keys: list[str] | None = None) -> dict[str, Any]:
        """The project's properties (``keys`` may hold ``*`` wildcards); name -> value."""
        props = self._call(
            "read project properties", "core", "get_project_properties", project_id, keys
        )
        return {p.name: p.value for p in props or []}

    def set_project_properties(self, project_id: str, operations: list[dict[str, Any]]) -> None:
        """One JSON Patch of ``add``/``remove`` operations; idempotent (a resend sets the same)."""
        document = [
            core_models.JsonPatchOperation(op=o["op"], path=o["path"], value=o.get("value"))
            for o in operations
        ]
        self._call(
            "record the sync base",
            "core",
            "set_project_properties",
            project_id,
            document,
            idempotent=True,
        )

    def process(self, type_id: str) -> dict[str, Any]:
        info = self._call("read process", "process", "get_process_by_its_id", type_id)
        return {
            "type_id": info.type_id,
            "name": info.name,
            "parent_type_id": info.parent_process_type_id,
        }

    def work_item_types(self) -> dict[str, dict[str, Any]]:
        """type name -> {"fields": set of reference names, "states": {name: category}}."""
        types = self._call("read work item types", "wit", "get_work_item_types", self.project)
        return {
            t.name: {
                "fields": {f.reference_name for f in (t.fields or [])},
                "states": {s.name: s.category for s in (t.states or [])},
            }
            for t in types or []
            if not t.is_disabled
        }

    # -- work items --------------------------------------------------------------------------
    def wiql_ids(self, query: str) -> list[int]:
        result = self._call(
            "query work items",
            "wit",
            "query_by_wiql",
            wit_models.Wiql(query=query),
            team_context=self._team_context,
        )
        return [ref.id for ref in result.work_items or []]

    def work_items(self, ids: list[int]) -> list[dict[str, Any]]:
        """Fields and relations of ``ids``, 200 per request (the service's limit)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 200):
            request = wit_models.WorkItemBatchGetRequest(
                ids=ids[start : start + 200], expand="relations", error_policy="omit"
            )
            items = self._call(
                "read work items", "wit", "get_work_items_batch", request, self.project
            )
            found += [
                {
                    "id": item.id,
                    "rev": item.rev,
                    "fields": dict(item.fields or {}),
                    "relations": [{"rel": r.rel, "url": r.url} for r in (item.relations or [])],
                }
                for item in items or []
                if item is not None  # None: deleted since the query
            ]
        return found

    def send_batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One ``$batch`` call; the list of sub-responses ({code, body}) in request order.

        Not retried here after a lost answer: the caller reconciles by key first.
        """
        wit = self._client("wit")

        def send(method: str) -> Any:
            request = ClientRequest(method=method, url=wit._client.format_url("_apis/wit/$batch"))
            request.format_parameters({"api-version": BATCH_API_VERSION})
            headers = {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-TFS-FedAuthRedirect": "Suppress",  # a failing credential gets 401, not HTML
            }
            return wit._send_request(request, headers=headers, content=requests)

        def send_patch_or_post() -> Any:
            try:
                return send("PATCH")
            except HttpError as error:
                if error.status != 405:  # older servers only take the POST form
                    raise
                return send("POST")

        response = retry.call(
            send_patch_or_post, policy=self.policy, idempotent=False, what="write work items"
        )
        try:
            answer = response.json()
        except ValueError:
            raise ServerError("PATCH _apis/wit/$batch", response.status_code, "not JSON") from None
        if not isinstance(answer, dict):
            raise ServerError("PATCH _apis/wit/$batch", response.status_code, "unexpected answer")
        return list(answer.get("value") or [])

    # -- iterations and team settings ----------------------------------------------------------
    def team_iterations(self) -> list[dict[str, Any]]:
        iterations = self._call(
            "read team iterations", "work", "get_team_iterations", self._team_context
        )
        return [
            {
                "id": it.id,
                "name": it.name,
                "path": it.path,
                "start": date_only(it.attributes.start_date if it.attributes else None),
                "finish": date_only(it.attributes.finish_date if it.attributes else None),
                "url": it.url or "",
            }
            for it in iterations or []
        ]

    def iteration_node(self, path: str, depth: int = 1) -> dict[str, Any] | None:
        """The node at ``path`` below the iteration root with its children; None when absent."""
        try:
            node = self._call(
                "read iterations",
                "wit",
                "get_classification_node",
                self.project,
                "iterations",  # the spec's TreeStructureGroup enum value
                path=path or None,
                depth=depth,
            )
        except HttpError as error:
            if error.status == 404:
                return None
            raise
        return node_dict(node)

    def create_iteration_node(
        self, parent_path: str, name: str, start: str | None, finish: str | None
    ) -> dict[str, Any]:
        attributes = _date_attributes(start, finish) if start else None
        body = wit_models.WorkItemClassificationNode(name=name, attributes=attributes)
        node = self._call(
            f"create iteration {name}",
            "wit",
            "create_or_update_classification_node",
            body,
            self.project,
            "iterations",  # the spec's TreeStructureGroup enum value
            path=parent_path or None,
            idempotent=False,
        )
        return node_dict(node)

    def update_iteration_dates(self, path: str, start: str, finish: str) -> dict[str, Any]:
        body = wit_models.WorkItemClassificationNode(attributes=_date_attributes(start, finish))
        node = self._call(
            f"update iteration {path}",
            "wit",
            "update_classification_node",
            body,
            self.project,
            "iterations",  # the spec's TreeStructureGroup enum value
            path=path,
            idempotent=True,
        )
        return node_dict(node)

    def subscribe_iteration(self, identifier: str) -> None:
        body = work_models.TeamSettingsIteration(id=identifier)
        # Idempotent: subscribing twice leaves one subscription.
        self._call(
            "add iteration to team",
            "work",
            "post_team_iteration",
            body,
            self._team_context,
            idempotent=True,
        )

    def backlog_iteration_id(self) -> str | None:
        settings = self._call("read team settings", "work", "get_team_settings", self._team_context)
        backlog = settings.backlog_iteration
        # A team without one gets the empty GUID from the service, not a missing object.
        return backlog.id if backlog and backlog.id and backlog.id != EMPTY_GUID else None

    def set_backlog_iteration(self, identifier: str) -> None:
        patch = work_models.TeamSettingsPatch(backlog_iteration=identifier)
        self._call(
            "set team backlog iteration",
            "work",
            "update_team_settings",
            patch,
            self._team_context,
            idempotent=True,
        )

    def team_default_area(self) -> str | None:
        values = self._call("read team areas", "work", "get_team_field_values", self._team_context)
        return values.default_value if values else None

    # -- shared queries ----------------------------------------------------------------------
    def query_folder(self, path: str) -> dict[str, Any] | None:
        """The folder at ``path`` with its queries' wiql; None when it does not exist."""
        try:
            folder = self._call(
                "read shared queries",
                "wit",
                "get_query",
                self.project,
                path,
                expand="wiql",
                depth=1,
            )
        except HttpError as error:
            if error.status == 404:
                return None
            raise
        children = [
            {"id": c.id, "name": c.name, "wiql": c.wiql, "is_folder": bool(c.is_folder)}
            for c in folder.children or []
        ]
        return {"id": folder.id, "path": folder.path, "children": children}

    def create_query(self, parent_path: str, name: str, wiql: str | None) -> dict[str, Any]:
        body = wit_models.QueryHierarchyItem(name=name, wiql=wiql, is_folder=wiql is None)
        created = self._call(
            f"create query {name}",
            "wit",
            "create_query",
            body,
            self.project,
            parent_path,
            idempotent=False,
        )
        return {"id": created.id, "name": created.name}

    def update_query_wiql(self, query_id: str, wiql: str) -> None:
        body = wit_models.QueryHierarchyItem(wiql=wiql)
        self._call(
            "update query", "wit", "update_query", body, self.project, query_id, idempotent=True
        )

    # -- boards ------------------------------------------------------------------------------
    def backlog_levels(self) -> list[dict[str, Any]]:
        levels = self._call("read backlogs", "work", "get_backlogs", self._team_context)
        return [{"id": b.id, "name": b.name, "type": str(b.type or "")} for b in levels or []]

    def board_columns(self, board: str) -> list[dict[str, Any]]:
        columns = self._call(
            "read board columns", "work", "get_board_columns", self._team_context, board
        )
        return [c.serialize() for c in columns or []]

    def update_board_columns(self, board: str, columns: list[dict[str, Any]]) -> None:
        models = [work_models.BoardColumn.deserialize(c) for c in columns]
        self._call(
            "update board columns",
            "work",
            "update_board_columns",
            models,
            self._team_context,
            board,
            idempotent=True,
        )
