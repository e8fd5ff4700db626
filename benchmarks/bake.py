"""Bake benchmark: median wall time of a `--no-input` bake and the number of files written.

    python benchmarks/bake.py [--runs 7]

The baseline measured in the same run is cookiecutter rendering the same template with its
hooks turned off, so the figure "hooks overhead" is what our validation and plan export cost.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
ANSWERS = {"first_sprint_start": "2027-01-04", "aml_endpoint_name": "penguin-bench-ab12"}


def bake_once(accept_hooks: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        project = cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context=ANSWERS,
            output_dir=out,
            accept_hooks=accept_hooks,
        )
        elapsed = time.perf_counter() - start
        files = sum(1 for p in Path(project).rglob("*") if p.is_file())
    return elapsed, files


def measure(runs: int, accept_hooks: bool) -> tuple[float, int]:
    bake_once(accept_hooks)  # warm-up: imports and disk cache
    results = [bake_once(accept_hooks) for _ in range(runs)]
    return statistics.median(t for t, _ in results), results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with_hooks, files = measure(args.runs, accept_hooks=True)
    without_hooks, files_plain = measure(args.runs, accept_hooks=False)
    print(f"runs per variant:            {args.runs}")
    print(f"median bake (hooks on):      {with_hooks:.3f} s, {files} files written")
    print(f"median bake (hooks off):     {without_hooks:.3f} s, {files_plain} files written")
    print(
        f"hooks overhead:              {with_hooks - without_hooks:+.3f} s "
        f"(ratio {with_hooks / without_hooks:.2f}x)"
    )


if __name__ == "__main__":
    main()
