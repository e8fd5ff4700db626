"""Execute the non-work-item part of a change set: sprints, team subscriptions, queries, board.

Each creating write is guarded the same way as work items: when its answer is lost, the
resource is looked up before anything is resent, and "already exists" counts as done.
Resources that do not depend on each other (the sprints of one folder, their subscriptions,
the queries of one folder) are written a few at a time, since Azure DevOps has no batch
endpoint for them and one-by-one would make the wall time a sum of round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from backlog.ado.client import AdoClient
from backlog.ado.errors import AdoError, AuthError, ConnectionLostError, HttpError, ServerError
from backlog.diff import ChangeSet, IterationChange, QueryChange
from backlog.model import Plan

ATTEMPTS = 4
# What the service says when a team has no backlog iteration (the az CLI matches the second),
# and TF400497, its answer for a backlog iteration path that is no longer valid.
NO_BACKLOG_ITERATION = ("rootIterationId", "TF400497")


@dataclass
class Outcome:
    kind: str  # "sprint", "subscription", "query", "query folder", "folder", "WIP limit"
    name: str
    action: str  # create / update
    ok: bool
    error: str = ""


def create_once(create: Callable[[], Any], find: Callable[[], Any | None]) -> Any:
    """Create a resource exactly once, even when an answer is lost or it already exists."""
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            return create()
        except HttpError as error:
            if error.status not in (400, 409):
                raise
            existing = find()  # "already exists" (409, or 400 on some servers): goal met
            if existing is None:
                raise
            return existing
        except (ConnectionLostError, ServerError) as error:
            last = error
            existing = find()
            if existing is not None:
                return existing
    raise last if last else AdoError("create failed")


def in_parallel(tasks: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Run independent tasks, at most ``workers`` at a time; results in task order.

    An AuthError in any task is raised once all have finished (nothing is left half-sent).
    """
    if workers <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result() for future in futures]


class Executor:
    def __init__(
        self, client: AdoClient, plan: Plan, on_step: Callable[[str], None], workers: int = 4
    ) -> None:
        self.client = client
        self.plan = plan
        self.on_step = on_step
        self.workers = workers
        self.outcomes: list[Outcome] = []

    def _record(self, kind: str, name: str, action: str, run: Callable[[], Any]) -> Any:
        """Run one write and remember its outcome; None when it failed (AuthError escapes)."""
        self.on_step(f"{action} {kind} {name}")
        try:
            result = run()
        except AuthError:
            raise
        except AdoError as error:
            self.outcomes.append(Outcome(kind, name, action, False, str(error)))
            return None
        self.outcomes.append(Outcome(kind, name, action, True))
        return result if result is not None else True

    # -- iterations --------------------------------------------------------------------------
    def _folder_nodes(self) -> list[str]:
        return self.plan.iteration_folder.split("\\")

    def _find_node(self, path: str) -> dict[str, Any] | None:
        return self.client.iteration_node(path, depth=0)

    def ensure_folder(self) -> None:
        """Create the ML project's iteration folder (each level), known to be missing."""
        parent = ""
        for name in self._folder_nodes():
            path = f"{parent}/{name}" if parent else name
            create_once(
                lambda p=parent, n=name: self.client.create_iteration_node(p, n, None, None),
                lambda p=path: self._find_node(p),
            )
            parent = path

    def iterations(self, changes: ChangeSet) -> None:
        """Create or re-date the sprints, then add the new ones to the team."""
        folder = "/".join(self._folder_nodes())
        if changes.create_folder and not self._record(
            "folder", self.plan.iteration_folder, "create", self.ensure_folder
        ):
            return
        nodes = in_parallel(
            [lambda c=c: self._sprint_node(c, folder) for c in changes.iterations], self.workers
        )
        to_subscribe = [
            (change, node["identifier"])
            for change, node in zip(changes.iterations, nodes, strict=True)
            if change.subscribe and node and node.get("identifier")
        ]
        tasks = [
            lambda c=c, i=i: self._record("subscription", c.name, "create",
                                          lambda: self._subscribe(str(i)))
            for c, i in to_subscribe
        ]  # fmt: skip
        # The first one alone: a team without a backlog iteration is fixed once, not N times.
        in_parallel(tasks[:1], 1)
        in_parallel(tasks[1:], self.workers)

    def _sprint_node(self, change: IterationChange, folder: str) -> dict[str, Any] | None:
        path = f"{folder}/{change.name}"
        if change.action == "unchanged":
            return {"identifier": change.identifier}

        def create() -> dict[str, Any]:
            node = create_once(
                lambda: self.client.create_iteration_node(
                    folder, change.name, change.start, change.finish
                ),
                lambda: self._find_node(path),
            )
            # A node found after a lost answer or a conflict may carry other dates.
            if (node.get("start"), node.get("finish")) != (change.start, change.finish):
                node = self.client.update_iteration_dates(path, change.start, change.finish)
            return node

        def update() -> dict[str, Any]:
            return self.client.update_iteration_dates(path, change.start, change.finish)

        run = create if change.action == "create" else update
        node = self._record("sprint", change.name, change.action, run)
        return node if isinstance(node, dict) else None

    def _subscribe(self, identifier: str) -> None:
        try:
            self.client.subscribe_iteration(identifier)
        except HttpError as error:
            known = any(text in error.service_message for text in NO_BACKLOG_ITERATION)
            if error.status != 400 and not known:
                raise
            # A team without a backlog iteration cannot take sprints: give it the iteration
            # root (what the web UI proposes), then subscribe. Any other 400 is the caller's.
            if self.client.backlog_iteration_id() is not None:
                if not known:
                    raise
            else:
                root = self.client.iteration_node("", depth=0)
                if root is None:
                    raise
                self.client.set_backlog_iteration(str(root["identifier"]))
            self.client.subscribe_iteration(identifier)

    # -- shared queries ----------------------------------------------------------------------
    def queries(self, changes: ChangeSet) -> None:
        folder_path = f"Shared Queries/{self.plan.query_folder}"
        if changes.create_query_folder:
            created = self._record(
                "query folder",
                self.plan.query_folder,
                "create",
                lambda: create_once(
                    lambda: self.client.create_query(
                        "Shared Queries", self.plan.query_folder, None
                    ),
                    lambda: self.client.query_folder(folder_path),
                ),
            )
            if not created:
                return
        in_parallel([lambda c=c: self._query(c, folder_path) for c in changes.queries],
                    self.workers)  # fmt: skip

    def _query(self, change: QueryChange, folder_path: str) -> None:
        if change.action == "create":

            def find() -> dict[str, Any] | None:
                folder = self.client.query_folder(folder_path) or {"children": []}
                return next(
                    (c for c in folder["children"] if c["name"].lower() == change.name.lower()),
                    None,
                )

            self._record(
                "query",
                change.name,
                "create",
                lambda: create_once(
                    lambda: self.client.create_query(folder_path, change.name, change.wiql), find
                ),
            )
        elif change.action == "update":
            self._record(
                "query",
                change.name,
                "update",
                lambda: self.client.update_query_wiql(str(change.remote_id), change.wiql),
            )

    # -- board -------------------------------------------------------------------------------
    def board(self, changes: ChangeSet) -> None:
        board = changes.board
        if board is None or board.action == "unchanged":
            return
        self._record(
            "WIP limit",
            f"{board.board} ({board.limit})",
            "update",
            lambda: self.client.update_board_columns(board.board, list(board.columns)),
        )
