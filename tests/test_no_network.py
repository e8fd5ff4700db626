"""A baked project makes no network call its user did not ask for: the ML steps a user runs
first reach nothing beyond loopback, and MLflow's usage telemetry is off unless the user turns
it back on. The detector itself is shown to see such a call (a check that cannot fail proves
nothing). The project's whole suite runs the same way in test_bake.py."""

from __future__ import annotations

import sys

from offline import namespace_available


def test_the_first_make_targets_reach_no_network(bake_fresh, run_in):
    network = []
    result = run_in(
        bake_fresh(), "make", "evaluate", "score", f"PYTHON={sys.executable}", network_log=network
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert network == [], "\n".join(network)


def test_the_detector_sees_mlflow_telemetry_when_a_user_turns_it_on(bake_fresh, run_in):
    """The opt-in the README documents (MLFLOW_DISABLE_TELEMETRY=false) really sends it, and
    the offline harness names the host: so an empty log above means no call was made."""
    network = []
    result = run_in(
        bake_fresh(),
        "env",
        "MLFLOW_DISABLE_TELEMETRY=false",
        "make",
        "train",
        f"PYTHON={sys.executable}",
        network_log=network,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert any("mlflow-telemetry" in line for line in network), network


def test_offline_runs_use_a_network_namespace_where_the_machine_allows_it():
    """CI runs as root: the namespace must be there, so 'offline' is not only the audit hook."""
    import os

    if os.geteuid() == 0:
        assert namespace_available()
