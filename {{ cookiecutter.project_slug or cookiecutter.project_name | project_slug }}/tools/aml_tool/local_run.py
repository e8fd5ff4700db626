"""Run a pipeline's steps on this machine with exactly the commands AzureML would run.

For each step, in dependency order, the component's ``command:`` is taken from its YAML and
its ``inputs.x``/``outputs.x`` expressions are replaced by local paths and values, the way
AzureML replaces them by mounted paths: a pipeline input that is a registered data asset
(``azureml:<name>@latest``) becomes the local file its definition in aml/data/ uploads; a step
output becomes a fresh folder ``<work dir>/<step>/<output>``. ``$[[ ... ]]`` parts are kept
only when their optional input has a value. The command runs from the project root with the
component's code folder (src/) first on PYTHONPATH, as ``make`` targets do: AzureML runs it in
a snapshot of that folder, so the commands must (and do) get every path as an argument.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .definitions import referenced_name
from .wiring import (
    EXPRESSION,
    OPTIONAL_BLOCK,
    PARENT_INPUT,
    STEP_OUTPUT,
    DefinitionError,
    PipelineSpec,
    Step,
    expression,
    read_yaml,
)


class LocalRunError(Exception):
    """A step could not be run or failed; the message names the step and the reason."""


@dataclass(frozen=True)
class StepRun:
    """One executed step: its command line, exit code, time taken and output folders."""

    step: str
    argv: list[str]
    returncode: int
    seconds: float
    outputs: dict[str, Path]
    stdout: str
    stderr: str


def local_data_assets(aml_dir: Path) -> dict[str, Path]:
    """Registered data asset name -> the local file or folder its definition uploads."""
    assets = {}
    for path in sorted((aml_dir / "data").glob("*.yml")):
        document = read_yaml(path)
        assets[str(document.get("name"))] = (path.parent / str(document.get("path"))).resolve()
    return assets


def render_command(command: str, values: dict[str, str | None]) -> str:
    """``command`` with its ``inputs.x``/``outputs.x`` expressions replaced from ``values``.

    A ``$[[ ... ]]`` block is kept (without its brackets) only when every reference in it
    has a value, as AzureML does for optional inputs. A reference without a value outside
    such a block is an error.
    """

    def keep_block(match: Any) -> str:
        references = EXPRESSION.findall(match.group(1))
        return match.group(1) if all(values.get(r) is not None for r in references) else ""

    kept = OPTIONAL_BLOCK.sub(keep_block, command)

    def substitute(match: Any) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise LocalRunError(f"command needs {expression(match.group(1))}, which has no value")
        return shlex.quote(value)

    return EXPRESSION.sub(substitute, kept)


class LocalPipelineRun:
    """Executes a parsed pipeline step by step; see the module docstring."""

    def __init__(
        self,
        pipeline: PipelineSpec,
        work_dir: Path,
        *,
        data_assets: dict[str, Path],
        overrides: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.pipeline = pipeline
        self.project_root = pipeline.path.parent.parent.parent
        self.work_dir = work_dir
        self.data_assets = data_assets
        self.overrides = overrides or {}
        self.env = env
        self.echo = echo
        self.outputs: dict[str, dict[str, Path]] = {}

    def pipeline_input(self, name: str) -> str | None:
        if name in self.overrides:
            return self.overrides[name]
        spec = self.pipeline.inputs.get(name, {})
        if "path" in spec:
            asset = referenced_name(spec["path"])
            if asset is None:
                return str((self.pipeline.path.parent / spec["path"]).resolve())
            if asset not in self.data_assets:
                raise LocalRunError(f"pipeline input '{name}': no aml/data/ definition of {asset}")
            return str(self.data_assets[asset])
        value = spec.get("default")
        return None if value is None else str(value)

    def bind(self, step: Step, name: str, value: Any) -> str | None:
        """The local value of one step input binding."""
        override = self.overrides.get(f"{step.name}.{name}")
        if override is not None:
            return override
        text = str(value)
        references = EXPRESSION.findall(text)
        if not references:
            return text
        if len(references) > 1 or text.strip() != expression(references[0]):
            raise LocalRunError(f"{step.name}.inputs.{name}: only a single binding is supported")
        parent = PARENT_INPUT.match(references[0])
        if parent:
            return self.pipeline_input(parent.group(1))
        output = STEP_OUTPUT.match(references[0])
        if output and output.group(1) in self.outputs:
            return str(self.outputs[output.group(1)][output.group(2)])
        raise LocalRunError(f"{step.name}.inputs.{name}: cannot resolve {text}")

    def run_step(self, step: Step) -> StepRun:
        component = step.component
        if step.kind != "command":
            raise LocalRunError(
                f"step '{step.name}' is a {step.kind} node; it runs on AzureML only"
            )
        values: dict[str, str | None] = {}
        for name, spec in component.inputs.items():
            if name in step.inputs or f"{step.name}.{name}" in self.overrides:
                values[f"inputs.{name}"] = self.bind(step, name, step.inputs.get(name))
            elif spec.get("default") is not None:
                values[f"inputs.{name}"] = str(spec["default"])
        outputs = {}
        for name in component.outputs:
            folder = self.work_dir / step.name / name
            if folder.exists() and any(folder.iterdir()):
                raise LocalRunError(f"output folder {folder} is not empty; use a new work folder")
            folder.mkdir(parents=True, exist_ok=True)  # AzureML mounts an empty folder
            outputs[name] = folder
            values[f"outputs.{name}"] = str(folder.resolve())
        argv = shlex.split(render_command(component.command, values))
        if argv and argv[0] == "python":
            argv[0] = sys.executable
        if component.code is None or not component.code.is_dir():
            raise LocalRunError(f"step '{step.name}': code folder {component.code} not found")
        env = dict(self.env if self.env is not None else os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(component.code), env.get("PYTHONPATH")])
        )
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            cwd=self.project_root,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        self.outputs[step.name] = outputs
        return StepRun(step.name, argv, done.returncode, seconds, outputs, done.stdout, done.stderr)

    def run(self) -> list[StepRun]:
        """Run every step in order; stop at the first failing one (LocalRunError)."""
        runs = []
        for step in self.pipeline.order():
            result = self.run_step(step)
            runs.append(result)
            last_line = (result.stdout.strip().splitlines() or [""])[-1]
            self.echo(
                f"[{result.step}] exit {result.returncode} in {result.seconds:.1f}s {last_line}"
            )
            if result.returncode != 0:
                lines = result.stderr.strip().splitlines() or ["(no error output)"]
                raise LocalRunError(
                    f"step '{result.step}' failed with exit code {result.returncode}: {lines[-1]}"
                )
        return runs


def run_locally(
    pipeline_path: Path,
    work_dir: Path,
    *,
    overrides: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
) -> list[StepRun]:
    """Parse ``pipeline_path`` and run all its steps into ``work_dir`` (see module doc)."""
    try:
        pipeline = PipelineSpec.read(pipeline_path)
        assets = local_data_assets(pipeline_path.parent.parent)
    except DefinitionError as error:
        raise LocalRunError(str(error)) from None
    runner = LocalPipelineRun(
        pipeline, work_dir, data_assets=assets, overrides=overrides, env=env, echo=echo
    )
    return runner.run()
