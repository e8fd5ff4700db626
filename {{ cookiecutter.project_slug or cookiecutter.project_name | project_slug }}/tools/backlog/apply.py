"""``python -m backlog apply``: read Azure Boards, print the change set, execute exactly it.

Phases: connect and read (process, items, sprints, queries, board) -> diff -> print -> write
(sprints, work items via ``$batch``, queries, WIP limit) -> summary. Exit codes: 0 everything
is in place (or, with --dry-run, the change set was printed); 1 some change failed (the summary
names it; a re-run finishes the job); 2 bad organization, project or team; 3 authentication or
permission (one line naming the scope to grant). The credential never reaches the output.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from backlog import diff
from backlog.ado import auth
from backlog.ado.batch import BatchWriter, ItemResult
from backlog.ado.client import AdoClient
from backlog.ado.errors import AdoError, AuthError, ConfigError, ConnectionLostError, HttpError
from backlog.ado.executor import Executor, Outcome
from backlog.ado.progress import Progress
from backlog.ado.reader import index_items, read_items, read_state
from backlog.ado.retry import RetryPolicy
from backlog.base import patch_document
from backlog.landed import next_base
from backlog.model import Plan
from backlog.process import ProcessProfile
from backlog.threeway import MISSING, Conflict, conflict_line, shown

SYMBOL = {"create": "+", "update": "~", "retire": "-", "unchanged": "="}


@dataclass
class ApplyOptions:
    org_url: str
    project: str
    team: str
    dry_run: bool = False
    prune: bool = False
    prefer_file: bool = False  # a conflict gets the file's value instead of keeping the board's
    output: str = "text"  # "text" or "json"
    batch_size: int = 100
    parallel_requests: int = 4  # independent writes (sprints, queries) and reads at a time
    # Seams for tests and the benchmark; defaults are what a user gets.
    retry_policy: RetryPolicy | None = None
    timeout_s: float = 60.0
    environ: Mapping[str, str] | None = None  # where the PAT is read from (default os.environ)
    token_credential: Any = None  # replaces DefaultAzureCredential


def default_client(options: ApplyOptions) -> AdoClient:
    creds = auth.credentials(options.environ, options.token_credential)
    return AdoClient(
        options.org_url,
        options.project,
        options.team,
        creds,
        options.retry_policy,
        options.timeout_s,
    )


def run_apply(
    plan: Plan,
    options: ApplyOptions,
    *,
    out: TextIO = sys.stdout,
    client_factory: Callable[[ApplyOptions], AdoClient] | None = None,
) -> int:
    """Bring Azure Boards to ``plan``; returns the exit code (see the module docstring)."""
    text = options.output != "json"
    progress = Progress(enabled=text)
    say: Callable[[str], None] = (lambda line: print(line, file=out)) if text else _silent
    try:
        client = (client_factory or default_client)(options)
        if client.policy.on_wait is None:
            client.policy.on_wait = progress.note
        say(
            f"Reading Azure Boards: {options.org_url} project '{options.project}' "
            f"team '{options.team}' ({auth.describe(options.environ)})"
        )
        profile, snapshot = read_state(client, plan, options.parallel_requests)
    except AdoError as error:
        return _fail_early(error, options, out)
    changes = _changes(plan, profile, snapshot, options)
    folders = (plan.iteration_folder, plan.query_folder)
    if snapshot.base_problem:
        say(f"warning: {snapshot.base_problem}")
    for line in describe(changes, profile, plan, options):
        say(line)
    if options.dry_run:
        return _finish(changes, [], [], client, options, out, profile, folders)
    try:
        item_results, outcomes = [], []
        if changes.writes():
            item_results, outcomes = _execute(
                client, plan, profile, snapshot, changes, options, progress, say
            )
        outcomes += record_base(client, plan, snapshot, changes, item_results, outcomes)
    except AuthError as error:
        progress.stop()
        print(str(error), file=sys.stderr)
        return 3
    except AdoError as error:  # e.g. the service stopped answering: a re-run resumes by key
        progress.stop()
        print(f"stopped: {error}", file=sys.stderr)
        item_results, outcomes = [], []
    return _finish(changes, item_results, outcomes, client, options, out, profile, folders)


def _changes(plan: Plan, profile: ProcessProfile, snapshot, options: ApplyOptions):
    """The change set for ``snapshot``, merged three-way with the base read with it."""
    return diff.compute(
        plan,
        profile,
        snapshot,
        project=options.project,
        team=options.team,
        prune=options.prune,
        base=snapshot.base,
        prefer_file=options.prefer_file,
    )


def _silent(_line: str) -> None:
    return None


def _fail_early(error: AdoError, options: ApplyOptions, out: TextIO) -> int:
    if isinstance(error, AuthError):
        code, line = 3, str(error)
    elif isinstance(error, ConfigError):
        code, line = 2, str(error)
    elif isinstance(error, ConnectionLostError):
        code = 2
        line = (
            f"cannot reach {options.org_url}: check the organization URL (--org-url or "
            f"AZURE_DEVOPS_ORG_URL) and the network ({error})"
        )
    elif isinstance(error, HttpError) and error.status in (400, 404):
        code = 2
        line = (
            f"Azure DevOps cannot find or read project '{options.project}' / team "
            f"'{options.team}' at {options.org_url}: {error.service_message or error}"
        )
    else:
        code, line = 1, f"could not read Azure Boards: {error}"
    print(line, file=sys.stderr)
    if options.output == "json":
        print(json.dumps({"ok": False, "exit_code": code, "error": line}), file=out)
    return code


def _execute(client, plan, profile, snapshot, changes, options, progress, say):
    executor = Executor(client, plan, progress.note, options.parallel_requests)
    if any(c.action != "unchanged" or c.subscribe for c in changes.iterations):
        say("Writing sprints")
        executor.iterations(changes)
    item_changes = [c for c in changes.items if c.action != "unchanged"]
    results: list[ItemResult] = []
    if item_changes:
        say(f"Writing {len(item_changes)} work item changes in batches of {options.batch_size}")
        area = (
            client.team_default_area() if any(c.action == "create" for c in item_changes) else None
        )

        def reconcile(keys: list[str]):
            keyed, unkeyed = read_items(client, plan)
            by_key, duplicates = index_items(keyed)
            fresh_snapshot = dataclasses.replace(
                snapshot, items=by_key, unkeyed=tuple(unkeyed), duplicates=tuple(duplicates)
            )
            fresh = _changes(plan, profile, fresh_snapshot, options)
            wanted = set(keys)
            return (
                {c.key: c for c in fresh.items if c.key in wanted},
                {k: r.id for k, r in by_key.items()},
            )

        writer = BatchWriter(
            client,
            batch_size=options.batch_size,
            area_path=area,
            reconcile=reconcile,
            on_progress=progress.advance,
        )
        progress.start("work items", len(item_changes))
        results = writer.write(list(changes.items), {k: r.id for k, r in snapshot.items.items()})
        progress.stop()
    if changes.create_query_folder or any(c.action != "unchanged" for c in changes.queries):
        say("Writing shared queries")
        executor.queries(changes)
    executor.board(changes)
    return results, executor.outcomes


def record_base(client, plan, snapshot, changes, item_results, outcomes) -> list[Outcome]:
    """Store the base for what landed, after the board writes; nothing when it is unchanged.

    A write that failed keeps its old base entry, so a fault mid-apply never records a value
    the board does not hold; a base that could not be stored heals on the next run (the
    fields that landed then equal the file, which is recorded again).
    """
    done = {("item", r.key) for r in item_results if r.ok}
    done |= {(o.kind, o.name) for o in outcomes if o.ok}
    board = changes.board
    if board is not None and ("WIP limit", f"{board.board} ({board.limit})") in done:
        done.add(("WIP limit", board.board))
    new = next_base(changes, snapshot.base, lambda kind, name: (kind, name) in done)
    patch = patch_document(new, plan.project_slug, snapshot.base_properties)
    if patch is None:
        return []
    outcome = Outcome("base", "project properties", "update", True)
    try:
        project_id = snapshot.project_id or str(client.project_info()["id"])
        client.set_project_properties(project_id, patch)
    except AuthError:
        raise
    except AdoError as error:
        outcome.ok, outcome.error = False, str(error)
    return [outcome]


def describe(
    changes: diff.ChangeSet, profile: ProcessProfile, plan: Plan, options: ApplyOptions
) -> list[str]:
    """The printed change set: what will be created (+), updated (~) or retired (-)."""
    lines = [f"Process: {profile.name} ({', '.join(sorted(set(profile.types.values())))})"]
    folder = f"{options.project}\\Iteration\\{plan.iteration_folder}"
    lines.append(
        f"Sprints under {folder}:" + (" create the folder" if changes.create_folder else "")
    )
    lines += _section(
        [
            (
                c.action,
                f"{c.name}  {c.start} .. {c.finish}" + ("  + add to team" if c.subscribe else ""),
            )
            for c in changes.iterations
        ],
        force=[c.subscribe for c in changes.iterations],
    )
    lines.append("Work items:")
    lines += _section(
        [
            (
                c.action,
                f"{c.type}: {c.title}  [{c.key}]"
                + (f"  ({', '.join(c.changed)})" if c.changed else ""),
            )
            for c in changes.items
        ]
    )
    lines.append(
        f"Shared Queries/{plan.query_folder}:"
        + (" create the folder" if changes.create_query_folder else "")
    )
    lines += _section([(c.action, c.name) for c in changes.queries])
    if changes.board is not None:
        lines.append(
            f"Board '{changes.board.board}': WIP limit {changes.board.limit} "
            f"on in-progress columns ({changes.board.action})"
        )
    elif plan.wip_limit:
        lines.append("Board: no requirement board found for the team; WIP limit skipped")
    if changes.kept:
        lines.append("Kept as the team's edits (backlog.yml did not change them):")
        for kept in changes.kept:
            value = shown(kept.board, iteration=kept.field == "iteration")
            lines.append(f"  = [{kept.key}] {kept.title!r} {kept.field}: {value}")
    lines += [conflict_line(c) for c in changes.conflicts]
    if changes.orphans:
        note = "retired (--prune)" if options.prune else "kept; --prune retires work items"
        lines.append(f"No longer in backlog.yml ({note}):")
        lines += [f"  ? {o}" for o in changes.orphans]
    lines += [f"warning: {w}" for w in changes.warnings]
    return lines


def _section(entries: list[tuple[str, str]], force: list[bool] | None = None) -> list[str]:
    shown = [
        f"  {SYMBOL[a]} {text}"
        for i, (a, text) in enumerate(entries)
        if a != "unchanged" or (force and force[i])
    ]
    unchanged = sum(1 for a, _ in entries if a == "unchanged")
    if unchanged:
        shown.append(f"  = {unchanged} unchanged")
    return shown


def _planned(changes: diff.ChangeSet, plan_folders: tuple[str, str]) -> list[tuple[str, str, str]]:
    """Every write of the change set as (kind, name, action), named as the executor names it."""
    folder, query_folder = plan_folders
    planned = [("item", c.key, c.action) for c in changes.items]
    planned += [("folder", folder, "create")] if changes.create_folder else []
    planned += [("sprint", c.name, c.action) for c in changes.iterations]
    planned += [("subscription", c.name, "create") for c in changes.iterations if c.subscribe]
    planned += [("query folder", query_folder, "create")] if changes.create_query_folder else []
    planned += [("query", c.name, c.action) for c in changes.queries]
    board = changes.board
    if board is not None:
        planned.append(("WIP limit", f"{board.board} ({board.limit})", board.action))
    return planned


def _finish(changes, item_results, outcomes, client, options, out, profile, folders) -> int:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    failures: list[str] = []
    done = {("item", r.key): r for r in item_results}
    done.update({(o.kind, o.name): o for o in outcomes})
    for kind, name, action in _planned(changes, folders):
        if action == "unchanged" or options.dry_run:
            counts["unchanged" if action == "unchanged" else _counted(action)] += 1
            continue
        result = done.get((kind, name))
        if result is None or not result.ok:
            counts["failed"] += 1
            failures.append(f"{kind} {name}: {result.error if result else 'not attempted'}")
        else:
            counts[_counted(action)] += 1
    for outcome in outcomes:
        if outcome.kind == "base" and not outcome.ok:
            counts["failed"] += 1
            failures.append(f"base (the last-applied values) not recorded: {outcome.error}")
    verb = "would be " if options.dry_run else ""
    summary = (
        f"{'Dry run: ' if options.dry_run else ''}{verb}created {counts['created']}, "
        f"{verb}updated {counts['updated']}, unchanged {counts['unchanged']}, "
        f"failed {counts['failed']}; conflicts {len(changes.conflicts)}; "
        f"team edits kept {len(changes.kept)}; orphans {len(changes.orphans)}; "
        f"{client.stats.requests} requests ({client.stats.writes} writes)"
    )
    code = 1 if counts["failed"] else 0
    if options.output == "json":
        print(
            json.dumps(
                {
                    "ok": code == 0,
                    "exit_code": code,
                    "process": profile.name,
                    "dry_run": options.dry_run,
                    "summary": counts,
                    "failures": failures,
                    "orphans": list(changes.orphans),
                    "conflicts": [_conflict_json(c) for c in changes.conflicts],
                    "team_edits_kept": [dataclasses.asdict(k) for k in changes.kept],
                    "requests": client.stats.requests,
                    "writes": client.stats.writes,
                },
                indent=2,
            ),
            file=out,
        )
    else:
        for line in failures:
            print(f"failed: {line}", file=out)
        if changes.conflicts and not options.prefer_file:
            print(
                "Conflicts keep the board's value. Resolve each in backlog.yml (take the "
                "board's value, or keep the base to leave it to the team), or re-run with "
                "--prefer-file to write the file's values.",
                file=out,
            )
        print(summary, file=out)
        if code:
            print(
                "Re-run `python -m backlog apply` to finish: it only does what is missing.",
                file=out,
            )
    return code


def _counted(action: str) -> str:
    return "created" if action == "create" else "updated"


def _conflict_json(conflict: Conflict) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies, and a copy of MISSING is no longer MISSING.
    values = {f.name: getattr(conflict, f.name) for f in dataclasses.fields(conflict)}
    return {k: None if v is MISSING else v for k, v in values.items()}
