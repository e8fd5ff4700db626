"""Write work items through ``$batch``: chunks, temporary ids, per-item results, no duplicates.

- Changes go out in plan order (parents before children), at most ``batch_size`` (<= 200, the
  service's limit) per request. A new child of a parent created in the same request points at
  the parent's temporary (negative) id; a parent from an earlier request is referenced by its
  real id.
- ``$batch`` is not transactional: every sub-response is checked; a failed item is reported and
  its children are not sent.
- When an answer is lost (connection dropped, 5xx), the request may have been applied. Before
  anything is resent, ``reconcile`` re-reads the items by key and recomputes what is still
  missing or different, so a dropped connection can never create an item twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from backlog.ado.client import AdoClient
from backlog.ado.errors import AdoError, ConnectionLostError, ServerError
from backlog.diff import ItemChange

MAX_BATCH = 200
API_VERSION = "7.1"
PATCH_HEADERS = {"Content-Type": "application/json-patch+json"}
PARENT_LINK = "System.LinkTypes.Hierarchy-Reverse"


@dataclass
class ItemResult:
    key: str
    action: str  # create / update / retire
    ok: bool
    id: int | None = None
    error: str = ""


# Given keys whose outcome is unknown, return their fresh change (None: nothing left to do)
# and the real ids of every item that exists now.
Reconcile = Callable[[list[str]], tuple[dict[str, ItemChange | None], dict[str, int]]]


class BatchWriter:
    def __init__(
        self,
        client: AdoClient,
        *,
        batch_size: int = 100,
        area_path: str | None = None,
        reconcile: Reconcile,
        on_progress: Callable[[int], None] | None = None,
        max_reconciles: int = 5,
    ) -> None:
        self.client = client
        self.batch_size = max(1, min(batch_size, MAX_BATCH))
        self.area_path = area_path
        self.reconcile = reconcile
        self.on_progress = on_progress
        self.max_reconciles = max_reconciles
        self.batches_sent = 0

    def _work_item_url(self, item_id: int) -> str:
        return f"{self.client.org_url}/_apis/wit/workItems/{item_id}"

    def _create_request(self, change: ItemChange, temp_id: int, parent_ref: int | None) -> dict:
        # The temporary id as a string, like the documented batch example ("-1").
        body: list[dict[str, Any]] = [{"op": "add", "path": "/id", "value": str(temp_id)}]
        fields = dict(change.fields)
        if self.area_path and "System.AreaPath" not in fields:
            fields["System.AreaPath"] = self.area_path
        body += [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
        if change.tags:
            body.append({"op": "add", "path": "/fields/System.Tags", "value": change.tags})
        if parent_ref is not None:
            relation = {"rel": PARENT_LINK, "url": self._work_item_url(parent_ref)}
            body.append({"op": "add", "path": "/relations/-", "value": relation})
        project = quote(self.client.project, safe="")
        work_type = quote(change.type, safe="")
        uri = f"/{project}/_apis/wit/workitems/${work_type}?api-version={API_VERSION}"
        return {"method": "PATCH", "uri": uri, "headers": PATCH_HEADERS, "body": body}

    def _update_request(self, change: ItemChange, parent_ref: int | None) -> dict:
        body: list[dict[str, Any]] = [{"op": "test", "path": "/rev", "value": change.rev}]
        body += [
            {"op": "add", "path": f"/fields/{k}", "value": v} for k, v in change.fields.items()
        ]
        if change.tags is not None:
            body.append({"op": "replace", "path": "/fields/System.Tags", "value": change.tags})
        if change.reparent and parent_ref is not None:
            if change.parent_relation_index is not None:
                body.append({"op": "remove", "path": f"/relations/{change.parent_relation_index}"})
            relation = {"rel": PARENT_LINK, "url": self._work_item_url(parent_ref)}
            body.append({"op": "add", "path": "/relations/-", "value": relation})
        uri = f"/_apis/wit/workitems/{change.remote_id}?api-version={API_VERSION}"
        return {"method": "PATCH", "uri": uri, "headers": PATCH_HEADERS, "body": body}

    def write(self, changes: list[ItemChange], ids: dict[str, int]) -> list[ItemResult]:
        """Apply ``changes`` (plan order); ``ids`` maps keys of existing items to their ids."""
        ids = dict(ids)
        pending = [c for c in changes if c.action != "unchanged"]
        results: dict[str, ItemResult] = {}
        failed: set[str] = set()
        reconciles = 0
        rev_retried = False
        while pending:
            chunk, requests, temp_ids = [], [], {}
            for change in list(pending):
                if len(chunk) == self.batch_size:
                    break
                pending.remove(change)
                parent = change.parent_key
                if parent in failed or (parent and parent not in ids and parent not in temp_ids):
                    failed.add(change.key)
                    results[change.key] = ItemResult(
                        change.key, change.action, False, error=f"its parent {parent} failed"
                    )
                    continue
                parent_ref = temp_ids.get(parent) if parent else None
                if parent_ref is None and parent:
                    parent_ref = ids[parent]
                if change.action == "create":
                    temp_ids[change.key] = -(len(temp_ids) + 1)
                    requests.append(self._create_request(change, temp_ids[change.key], parent_ref))
                else:
                    requests.append(self._update_request(change, parent_ref))
                chunk.append(change)
            if not chunk:
                continue
            try:
                responses = self.client.send_batch(requests)
                self.batches_sent += 1
            except (ConnectionLostError, ServerError) as error:
                reconciles += 1
                if reconciles > self.max_reconciles:
                    for change in chunk + pending:
                        failed.add(change.key)
                        results[change.key] = ItemResult(
                            change.key, change.action, False, error=str(error)
                        )
                    break
                try:
                    pending = self._after_lost_answer(chunk, pending, ids, results)
                except AdoError as lost:  # cannot even read: stop, a re-run resumes by key
                    for change in chunk + pending:
                        results[change.key] = ItemResult(
                            change.key, change.action, False, error=f"unknown outcome: {lost}"
                        )
                    break
                continue
            stale = self._record(chunk, responses, ids, results, failed)
            if stale and not rev_retried:
                # Someone (or a link this run added) changed these items since they were read:
                # read them again and redo what is still needed, once.
                rev_retried = True
                try:
                    fresh, now_ids = self.reconcile([c.key for c in stale])
                except AdoError:
                    fresh, now_ids = {}, {}
                ids.update(now_ids)
                redo = [
                    c for c in (fresh.get(s.key) for s in stale) if c and c.action != "unchanged"
                ]
                for change in stale:
                    failed.discard(change.key)
                    if fresh.get(change.key) is None or fresh[change.key].action == "unchanged":
                        results[change.key] = ItemResult(
                            change.key, change.action, True, ids.get(change.key)
                        )
                pending = redo + pending
            if self.on_progress:
                self.on_progress(len(chunk))
        return list(results.values())

    def _after_lost_answer(
        self,
        chunk: list[ItemChange],
        pending: list[ItemChange],
        ids: dict[str, int],
        results: dict[str, ItemResult],
    ) -> list[ItemChange]:
        """Re-read the chunk by key; keep only what is still to do, in the original order."""
        fresh, now_ids = self.reconcile([c.key for c in chunk])
        ids.update(now_ids)
        redo = []
        for change in chunk:
            again = fresh.get(change.key)
            if again is None or again.action == "unchanged":
                results[change.key] = ItemResult(
                    change.key, change.action, True, ids.get(change.key)
                )
            else:
                redo.append(again)
        # Items queued after the chunk may point at a parent that now has a real id.
        return redo + pending

    def _record(
        self,
        chunk: list[ItemChange],
        responses: list[dict[str, Any]],
        ids: dict[str, int],
        results: dict[str, ItemResult],
        failed: set[str],
    ) -> list[ItemChange]:
        """Record each sub-response; return the updates refused for a stale revision (412)."""
        stale = []
        for index, change in enumerate(chunk):
            response = responses[index] if index < len(responses) else None
            code = int(response.get("code", 0)) if response else 0
            body = _decode(response.get("body") if response else None)
            if code == 200 and isinstance(body, dict) and isinstance(body.get("id"), int):
                ids[change.key] = body["id"]
                results[change.key] = ItemResult(change.key, change.action, True, body["id"])
            else:
                failed.add(change.key)
                message = body.get("message") if isinstance(body, dict) else None
                text = str(message or "no answer for this item")[:300]
                results[change.key] = ItemResult(
                    change.key, change.action, False, error=f"HTTP {code or 'none'}: {text}"
                )
                if code == 412 and change.action != "create":
                    stale.append(change)
        return stale


def _decode(body: Any) -> Any:
    """A sub-response body is a JSON document in a string."""
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return {"message": body}
    return body
