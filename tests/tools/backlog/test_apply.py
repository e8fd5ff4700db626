"""``run_apply`` against the local Azure DevOps server: the whole board, per process."""

from __future__ import annotations

import dataclasses
import time

import pytest
from backlog.process import profile_for
from fake_ado import FakeAdo
from fake_ado.harness import apply
from fake_ado.state import PARENT

PROCESSES = ["agile", "scrum", "basic", "cmmi", "inherited-agile"]


def items_by_key(ado: FakeAdo, plan) -> dict[str, dict]:
    prefix = f"ml-key:{plan.project_slug}:"
    found = {}
    for item in ado.org.project.items.values():
        for tag in item["fields"].get("System.Tags", "").split("; "):
            if tag.startswith(prefix):
                assert tag[len(prefix) :] not in found, f"duplicate key {tag}"
                found[tag[len(prefix) :]] = item
    return found


def parent_of(ado: FakeAdo, item: dict) -> dict | None:
    links = [r["url"] for r in item["relations"] if r["rel"] == PARENT]
    return ado.org.project.items[int(links[0].rsplit("/", 1)[-1])] if links else None


@pytest.mark.parametrize("process", PROCESSES)
def test_apply_creates_the_whole_board_and_a_second_run_writes_nothing(plan, process):
    profile = profile_for(process.removeprefix("inherited-"))
    with FakeAdo(process) as ado:
        first = apply(ado, plan)
        assert first.code == 0, first.out + first.err
        project = ado.org.project
        team = next(iter(project.teams.values()))
        folder = project.node(plan.iteration_folder)
        # Sprints are created a few at a time; the board orders them by their dates.
        assert sorted((n.start, n.finish, n.name) for n in folder.children) == [
            (s.start.isoformat(), s.finish.isoformat(), s.name) for s in plan.iterations
        ]
        assert set(team.subscribed) == {n.identifier for n in folder.children}
        items = items_by_key(ado, plan)
        assert set(items) == {i.key for i in plan.items}
        for planned in plan.items:
            item = items[planned.key]
            fields = item["fields"]
            assert fields["System.WorkItemType"] == profile.type_of(planned.role)
            assert fields["System.Title"] == planned.title
            assert plan.project_tag in fields["System.Tags"].split("; ")
            parent = parent_of(ado, item)
            assert (parent and parent["id"]) == (
                items[planned.parent_key]["id"] if planned.parent_key else None
            )
            if planned.iteration_key:
                sprint = plan.iteration(planned.iteration_key).name
                expected = f"{project.name}\\{plan.iteration_folder}\\{sprint}"
                assert fields["System.IterationPath"] == expected
            if planned.role == "requirement" and planned.size is not None:
                assert fields[profile.size_field] == planned.size
                assert f"size:{planned.tshirt}" in fields["System.Tags"]
            if planned.role == "task":
                for name in profile.task_estimate_fields:
                    assert fields[name] == planned.estimate_hours
        ceremonies = [i for i in plan.items if i.key.split(":")[1:2] == ["ceremony"]]
        assert ceremonies and all(i.parent_key.endswith(":deliverables") for i in ceremonies)
        shared = project.query_at(f"Shared Queries/{plan.query_folder}")
        assert sorted(q.name for q in shared.children) == sorted(q.name for q in plan.queries)
        assert ado.violations == []

        second = apply(ado, plan)
        assert second.code == 0
        assert second.writes == 0
        # WIQL, work items, types, team iterations, query folder, the base in the project's
        # properties (+ board columns with members)
        budget = 6 + (1 if plan.wip_limit else 0)
        sent = [(r.method, r.path) for r in ado.requests[-second.requests :]]
        assert second.requests <= budget, sent
        assert "created 0, updated 0" in second.out


def test_the_wip_limit_is_one_per_team_member_on_in_progress_columns(plan):
    members = ("ana@example.org", "bo@example.org", "cy@example.org")
    with_team = dataclasses.replace(plan, wip_limit=len(members), team_members=members)
    with FakeAdo("scrum") as ado:
        assert apply(ado, with_team).code == 0
        columns = next(iter(ado.org.project.teams.values())).columns
        assert [(c["columnType"], c["itemLimit"]) for c in columns] == [
            ("incoming", 0),
            ("inProgress", 3),
            ("inProgress", 3),
            ("outgoing", 0),
        ]
        again = apply(ado, with_team)
        assert again.writes == 0 and again.code == 0


def test_dry_run_reads_prints_and_writes_nothing(plan):
    with FakeAdo("agile") as ado:
        run = apply(ado, plan, dry_run=True)
        assert run.code == 0 and run.writes == 0
        assert "+ Epic: " in run.out and "would be created" in run.out
        assert ado.org.project.items == {}


def test_an_edited_title_is_one_update_and_nothing_else(plan):
    story = next(i for i in plan.items if i.role == "requirement")
    edited = dataclasses.replace(
        plan,
        items=tuple(
            dataclasses.replace(i, title="Renamed story") if i is story else i for i in plan.items
        ),
    )
    with FakeAdo("agile") as ado:
        assert apply(ado, plan).code == 0
        before = len(ado.org.project.items)
        run = apply(ado, edited)
        assert run.code == 0 and "updated 1," in run.out
        assert run.writes == 2  # one $batch, then the base records the new title
        assert len(ado.org.project.items) == before
        assert items_by_key(ado, plan)[story.key]["fields"]["System.Title"] == "Renamed story"


def test_items_dropped_from_the_file_are_reported_and_removed_only_with_prune(plan):
    dropped = next(i for i in plan.items if i.role == "requirement")
    smaller = dataclasses.replace(plan, items=tuple(i for i in plan.items if i is not dropped))
    with FakeAdo("agile") as ado:
        assert apply(ado, plan).code == 0
        kept = apply(ado, smaller)
        assert kept.code == 0 and "No longer in backlog.yml" in kept.out and dropped.key in kept.out
        assert items_by_key(ado, plan)[dropped.key]["fields"]["System.State"] == "New"
        pruned = apply(ado, smaller, prune=True)
        assert pruned.code == 0
        assert items_by_key(ado, plan)[dropped.key]["fields"]["System.State"] == "Removed"


def test_a_team_without_a_backlog_iteration_gets_one_before_its_sprints(plan):
    with FakeAdo("agile", backlog_iteration=False) as ado:
        run = apply(ado, plan)
        assert run.code == 0, run.out + run.err
        team = next(iter(ado.org.project.teams.values()))
        assert team.backlog_iteration == ado.org.project.iterations.identifier
        assert len(team.subscribed) == len(plan.iterations)


def test_wrong_credentials_exit_3_with_one_line_naming_the_scopes(plan):
    with FakeAdo("agile") as ado:
        run = apply(ado, plan, environ={"AZURE_DEVOPS_EXT_PAT": "not-the-pat"})
        assert run.code == 3
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "401" in lines[0] and "vso.work_write" in lines[0]
        assert "Traceback" not in run.err + run.out


def test_a_missing_permission_exits_3_and_names_it(plan):
    with FakeAdo("agile") as ado:
        ado.faults.forbidden = {"wit.node_create"}
        run = apply(ado, plan)
        assert run.code == 3
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "403" in lines[0] and "Create child nodes" in lines[0]


def test_an_organization_that_does_not_exist_exits_2(plan):
    with FakeAdo("agile") as ado:
        run = apply(ado, plan, org_url=ado.url.rsplit("/", 1)[0] + "/no-such-org")
    assert run.code == 2, run.out + run.err
    assert "VS800075" in run.err and len(run.err.strip().splitlines()) == 1


def test_an_organization_url_where_nothing_answers_exits_2(plan):
    with FakeAdo("agile") as gone:
        url = gone.url
    with FakeAdo("agile") as ado:  # the harness needs a server for its PAT; the URL is dead
        run = apply(ado, plan, org_url=url)
    assert run.code == 2, run.out + run.err
    assert "cannot reach" in run.err and "--org-url" in run.err


@pytest.mark.parametrize("option", ["project", "team"])
def test_an_unknown_project_or_team_exits_2_naming_it(plan, option):
    with FakeAdo("agile") as ado:
        run = apply(ado, plan, **{option: "Nope"})
        assert run.code == 2 and "Nope" in run.err


class ExpiringCredential:
    """A TokenCredential whose tokens are always close to expiry: each request needs a new one."""

    def __init__(self, server: FakeAdo) -> None:
        self.server = server
        self.calls = 0

    def get_token(self, *scopes: str, **_: object):
        from collections import namedtuple

        assert scopes == ("499b84ac-1321-427f-aa17-267ca6975798/.default",)
        self.calls += 1
        token = f"entra-token-{self.calls}"
        self.server.org.tokens.add(token)
        return namedtuple("AccessToken", "token expires_on")(token, int(time.time()) + 60)


def test_without_a_pat_an_entra_token_is_used_and_refreshed_before_it_expires(plan):
    with FakeAdo("agile") as ado:
        credential = ExpiringCredential(ado)
        run = apply(ado, plan, environ={}, token_credential=credential)
        assert run.code == 0, run.err
        assert credential.calls > 1  # renewed: each token was within 5 minutes of expiry
        assert "Microsoft Entra token" in run.out


def test_a_rejected_item_fails_alone_its_children_wait_and_a_rerun_finishes(plan):
    from fake_ado.harness import tiny_plan

    good = tiny_plan()
    bad = dataclasses.replace(
        good,
        items=tuple(
            dataclasses.replace(i, title=" ") if i.key == "sprint-01:deliverables" else i
            for i in good.items
        ),
    )
    with FakeAdo("agile") as ado:
        run = apply(ado, bad)
        assert run.code == 1
        assert "failed 2" in run.out
        assert "item sprint-01:deliverables: HTTP 400: TF401320" in run.out
        # Its child was in the same $batch, pointing at the failed item's temporary id.
        assert "failed: item sprint-01:ceremony:planning: HTTP" in run.out
        assert len(ado.org.project.items) == len(good.items) - 2  # the rest of the batch landed
        again = apply(ado, good)
        assert again.code == 0 and "created 2," in again.out


class NoCredential:
    def get_token(self, *scopes: str, **_: object):
        raise RuntimeError("DefaultAzureCredential failed to retrieve a token.\nAttempted: ...")


def test_no_pat_and_no_azure_login_exits_3_with_one_line(plan):
    with FakeAdo("agile") as ado:
        run = apply(ado, plan, environ={}, token_credential=NoCredential())
        assert run.code == 3
        lines = run.err.strip().splitlines()
        assert len(lines) == 1 and "AZURE_DEVOPS_EXT_PAT" in lines[0] and "az login" in lines[0]
        assert ado.requests == []  # nothing was sent without a credential
