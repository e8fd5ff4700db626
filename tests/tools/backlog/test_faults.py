"""Throttling, faults and crashes: the board always ends exactly as a clean run leaves it."""

from __future__ import annotations

import dataclasses

import pytest
from fake_ado import FakeAdo, Faults, dump
from fake_ado.harness import apply, fast_policy


@pytest.fixture(scope="module")
def clean_board(plan) -> dict:
    """The normalized board after one fault-free run: what every faulty run must end with."""
    with FakeAdo("agile") as ado:
        assert apply(ado, plan).code == 0
        return dump(ado.org.project)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def keys_are_unique(ado: FakeAdo) -> bool:
    keys = [i["key"] for i in dump(ado.org.project)["items"]]
    return len(keys) == len(set(keys))


def test_429_waits_the_retry_after_the_service_sends_then_resends(plan, clean_board):
    sleeps = Sleeps()
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"wit.batch": ["429"]}, retry_after="0.04"))
        run = apply(ado, plan, retry_policy=fast_policy(sleep=sleeps))
        assert run.code == 0, run.out + run.err
        assert 0.04 in sleeps.calls
        batches = [r for r in ado.requests if r.op == "wit.batch"]
        assert [r.status for r in batches] == [429, 200]
        assert dump(ado.org.project) == clean_board


def test_a_huge_retry_after_is_capped(plan):
    sleeps = Sleeps()
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"wit.wiql": ["503"]}, retry_after="3600"))
        run = apply(ado, plan, retry_policy=fast_policy(sleep=sleeps, max_retry_after_s=0.02))
        assert run.code == 0
        assert max(sleeps.calls) == 0.02


def test_a_batch_whose_answer_was_lost_is_reconciled_not_resent(plan, clean_board):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"wit.batch": ["drop"]}))
        run = apply(ado, plan)
        assert run.code == 0, run.out + run.err
        assert [r.op for r in ado.requests].count("wit.batch") == 1  # applied once, never resent
        assert keys_are_unique(ado)
        assert dump(ado.org.project) == clean_board


def test_a_503_without_retry_after_after_the_batch_was_applied_creates_no_duplicates(
    plan, clean_board
):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"wit.batch": ["503-applied"]}))
        run = apply(ado, plan)
        assert run.code == 0, run.out + run.err
        batches = [r for r in ado.requests if r.op == "wit.batch"]
        assert [r.status for r in batches] == [503]  # reconciled by key, never resent
        assert keys_are_unique(ado)
        assert dump(ado.org.project) == clean_board


def test_a_sign_in_page_instead_of_the_batch_answer_exits_3_without_a_traceback(plan):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"wit.batch": ["203"]}))
        run = apply(ado, plan)
        assert run.code == 3, run.out + run.err
        assert "Traceback" not in run.out + run.err
        batch = next(r for r in ado.requests if r.op == "wit.batch")
        assert batch.headers.get("X-TFS-FedAuthRedirect") == "Suppress"


def test_a_batch_sent_without_suppress_would_get_a_sign_in_page(plan, clean_board):
    with FakeAdo("agile") as ado:  # what a failing credential gets when it does not ask
        ado.set_faults(Faults(on_op={"wit.batch": ["203-unless-suppressed"]}))
        run = apply(ado, plan)
        assert run.code == 0, run.out + run.err
        assert dump(ado.org.project) == clean_board


def test_an_answer_the_sdk_cannot_read_is_an_error_not_a_traceback(plan):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(on_op={"work.team_iterations": ["bad-date"]}))
        run = apply(ado, plan)
        assert run.code != 0
        assert "Traceback" not in run.out + run.err
        assert "unexpected data" in run.err, run.err


def test_lost_answers_to_sprint_and_query_creation_create_nothing_twice(plan, clean_board):
    with FakeAdo("agile") as ado:
        faults = {
            "wit.node_create": ["drop", "", "drop"],
            "wit.query_create": ["drop", "drop"],
            "work.team_iteration_add": ["drop"],
            "wit.batch": ["503", "drop"],
        }
        ado.set_faults(Faults(on_op=faults))
        run = apply(ado, plan)
        assert run.code == 0, run.out + run.err
        assert dump(ado.org.project) == clean_board


def test_a_low_rate_limit_budget_slows_the_client_down(plan):
    sleeps = Sleeps()
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(rate_limit_remaining=3))
        run = apply(ado, plan, retry_policy=fast_policy(sleep=sleeps, slow_down_s=0.003))
        assert run.code == 0
        assert sleeps.calls.count(0.003) >= 10  # one pause per answer that reports a low budget


def test_a_run_killed_after_some_batches_is_finished_by_the_next_run(plan, clean_board):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(crash_after_batches=3))
        crashed = apply(ado, plan, batch_size=10)
        assert crashed.code == 1
        assert 0 < len(ado.org.project.items) < len(plan.items)
        ado.set_faults(Faults())
        resumed = apply(ado, plan, batch_size=10)
        assert resumed.code == 0, resumed.out + resumed.err
        assert "created 0," not in resumed.out  # it did finish the work
        assert keys_are_unique(ado)
        assert dump(ado.org.project) == clean_board
        assert apply(ado, plan).writes == 0


# One request at a time makes a seed replay the same faults on the same requests; the last two
# cases run the parallel writes under random faults too (order varies, the outcome must not).
@pytest.mark.parametrize(("seed", "workers"), [(s, 1) for s in range(1, 7)] + [(7, 4), (8, 4)])
def test_random_429_503_and_dropped_connections_end_like_a_clean_run(
    plan, clean_board, seed, workers
):
    with FakeAdo("agile") as ado:
        ado.set_faults(Faults(random_rate=0.2, seed=seed, retry_after="0"))
        codes = []
        for _ in range(4):  # a run may give up on a fault; the next one resumes by key
            codes.append(apply(ado, plan, batch_size=20, parallel_requests=workers).code)
            if codes[-1] == 0:
                break
        assert codes[-1] == 0, codes
        assert any(r.fault for r in ado.requests), "the seed injected no fault"
        assert keys_are_unique(ado)
        ado.set_faults(Faults())
        assert dump(ado.org.project) == clean_board
        assert apply(ado, plan).writes == 0


def test_an_item_edited_between_read_and_write_is_read_again_and_updated(plan):
    story = next(i for i in plan.items if i.role == "requirement")
    edited = dataclasses.replace(
        plan,
        items=tuple(
            dataclasses.replace(i, title="Renamed") if i is story else i for i in plan.items
        ),
    )
    with FakeAdo("agile") as ado:
        assert apply(ado, plan).code == 0
        ado.set_faults(Faults(edits_before_batch=1))
        run = apply(ado, edited)
        assert run.code == 0, run.out
        batches = [r for r in ado.requests if r.op == "wit.batch"]
        assert len(batches) == 3  # the first apply, the refused update (412), the retry
        titles = [i["fields"]["System.Title"] for i in ado.org.project.items.values()]
        assert titles.count("Renamed") == 1
