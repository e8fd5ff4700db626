"""The Azure DevOps adapter: the only module that imports ``azure.devops``.

It returns plain dicts and lists, so nothing else depends on the SDK's models. Every request
goes through one transport hook that counts it, turns status codes into the errors of
``errors.py`` (keeping Retry-After, which the SDK would drop) and paces the client on low
``X-RateLimit-Remaining``. The SDK's own urllib3 retries are switched off: they ignore 429 and,
depending on the urllib3 version, may resend a POST blindly - retry.py decides instead.
"""

from __future__ import annotations

import getpass
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def _sdk_cache_dir() -> str:
    """Where the SDK may cache its location tables (no secrets): never HOME.

    One directory per user in the temp dir, reused for the SDK's 12 hours so a re-run skips
    two discovery requests - but only while it is a real directory that this user owns and
    nobody else can write: the cache holds the URLs requests (with credentials) are sent to.
    Otherwise a fresh private directory for this run.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    path = os.path.join(tempfile.gettempdir(), f"backlog-azure-devops-cache-{user}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
        private = stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077
        if hasattr(os, "getuid"):
            private = private and info.st_uid == os.getuid()
    except OSError:
        private = False
    return path if private else tempfile.mkdtemp(prefix="backlog-azure-devops-cache-")


if not os.environ.get("AZURE_DEVOPS_CACHE_DIR"):
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = _sdk_cache_dir()

# The SDK reads AZURE_DEVOPS_CACHE_DIR when it is imported, hence the late imports.
from azure.devops._file_cache import RESOURCE_CACHE  # noqa: E402
from azure.devops.connection import Connection  # noqa: E402
from azure.devops.v7_1.location.location_client import LocationClient  # noqa: E402
from azure.devops.v7_1.work import models as work_models  # noqa: E402
from azure.devops.v7_1.work_item_tracking import models as wit_models  # noqa: E402
from msrest.exceptions import ClientRequestError  # noqa: E402
from msrest.universal_http import ClientRequest  # noqa: E402
from urllib3 import Retry  # noqa: E402

from backlog.ado import retry  # noqa: E402
from backlog.ado.errors import (  # noqa: E402
    AuthError,
    ConfigError,
    ConnectionLostError,
    HttpError,
    ServerError,
    ThrottledError,
    auth_message,
)
from backlog.ado.results import (  # noqa: E402
    Stats,
    date_only,
    node_dict,
    number,
    service_message,
)

READ_POSTS = ("/_apis/wit/wiql", "/_apis/wit/workitemsbatch")
BATCH_API_VERSION = "7.1"


class _Connection(Connection):
    """An SDK connection whose every client goes through ``harden``, location client included."""

    def __init__(self, base_url: str, creds: Any, harden: Callable[[Any], Any]) -> None:
        super().__init__(base_url=base_url, creds=creds)
        self._harden = harden

    def _get_client_instance(self, client_class: Any) -> Any:
        return self._harden(super()._get_client_instance(client_class))

    def _get_resource_areas(self, force: bool = False) -> Any:
        if self._resource_areas is None or force:
            location = self._harden(LocationClient(self.base_url, self._creds))
            cached = RESOURCE_CACHE.get(location.normalized_url)
            if cached and not force:
                self._resource_areas = location._base_deserialize.deserialize_data(
                    cached, "[ResourceAreaInfo]"
                )
            else:
                self._resource_areas = location.get_resource_areas() or []
                RESOURCE_CACHE[location.normalized_url] = location._base_serialize.serialize_data(
                    self._resource_areas, "[ResourceAreaInfo]"
                )
        return self._resource_areas

    def _get_deployment_resource_area_from_sps(self, resource_id: str) -> Any:
        # The SDK would ask app.vssps.visualstudio.com; an organization URL that does not list
        # the area itself is a configuration problem, not a reason to call another host.
        raise ConfigError(f"{self.base_url} does not serve the API area {resource_id}")


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
        self._connection = _Connection(self.org_url, creds, self._harden)
        self._team_context = work_models.TeamContext(project=project, team=team)
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.RLock()

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
        path = urlsplit(request.url).path
        operation = f"{request.method} {path}"
        self.stats.count(
            request.method not in ("GET", "OPTIONS", "HEAD")
            and not path.lower().endswith(READ_POSTS)
        )
        try:
            response = sdk_client._client.send(
                request=request, headers=headers, content=content, **config
            )
        except ClientRequestError as error:
            # The message of the underlying error names the URL only; no header is included.
            raise ConnectionLostError(f"{operation}: no answer from Azure DevOps") from error
        status = response.status_code
        if status in (429, 503):
            raise ThrottledError(operation, status, number(response.headers.get("Retry-After")))
        message, type_key = service_message(response)
        if status in (401, 403):
            raise AuthError(auth_message(operation, status, message))
        if status >= 500:
            raise ServerError(operation, status, message)
        if status >= 300:
            raise HttpError(operation, status, message, type_key)
        self.policy.pace(response.headers)
        return response

    def connect(self) -> None:
        """Fetch the location tables once, before requests go out in parallel."""
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
            return getattr(self._client(kind), method)(*args, **kwargs)

        return retry.call(run, policy=self.policy, idempotent=idempotent is not False, what=what)

    # -- project and process -----------------------------------------------------------------
    def project_info(self) -> dict[str, Any]:
        """id, name and (when the server sends capabilities) the process template type id."""
        project = self._call(
            "read project", "core", "get_project", self.project, include_capabilities=True
        )
        template = (project.capabilities or {}).get("processTemplate", {})
        return {
            "id": project.id,
            "name": project.name,
            "process_type_id": template.get("templateTypeId"),
        }

    def project_properties(self, project_id: str) -> dict[str, str]:
        props = self._call("read project properties", "core", "get_project_properties", project_id)
        return {p.name: p.value for p in props or []}

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
                ids=ids[start : start + 200], expand="Relations", error_policy="Omit"
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
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
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
        return list(response.json().get("value") or [])

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
                "Iterations",
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
        attributes = {"startDate": start, "finishDate": finish} if start else None
        body = wit_models.WorkItemClassificationNode(name=name, attributes=attributes)
        node = self._call(
            f"create iteration {name}",
            "wit",
            "create_or_update_classification_node",
            body,
            self.project,
            "Iterations",
            path=parent_path or None,
            idempotent=False,
        )
        return node_dict(node)

    def update_iteration_dates(self, path: str, start: str, finish: str) -> dict[str, Any]:
        body = wit_models.WorkItemClassificationNode(
            attributes={"startDate": start, "finishDate": finish}
        )
        node = self._call(
            f"update iteration {path}",
            "wit",
            "update_classification_node",
            body,
            self.project,
            "Iterations",
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
        return backlog.id if backlog and backlog.id else None

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
