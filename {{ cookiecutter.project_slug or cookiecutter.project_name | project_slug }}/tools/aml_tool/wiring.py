"""Checks of the pipeline wiring that azure-ai-ml's own validation lets through.

azure-ai-ml loads a pipeline whose step input is misspelt (the value is silently dropped),
whose binding names an output that does not exist, or whose pipeline input nobody uses. These
checks read the YAML as plain data and report each such problem as one line naming the file,
the key and the rule. The parsed pipeline (steps in dependency order, their bindings) is also
what ``local_run`` executes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.DOTALL)
# The service's rule for component names (azure-ai-ml does not check it offline).
COMPONENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,254}$")
PARENT_INPUT = re.compile(r"^parent\.inputs\.([A-Za-z_]\w*)$")
PARENT_OUTPUT = re.compile(r"^parent\.outputs\.([A-Za-z_]\w*)$")
# Paths in a pipeline input that name data in Azure; anything else is a local path.
REMOTE_PREFIXES = ("azureml:", "http://", "https://", "abfss://", "wasbs://", "adl://")
STEP_OUTPUT = re.compile(r"^parent\.jobs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_]\w*)$")


def expression(reference: str) -> str:
    """``reference`` written as an AzureML expression (dollar sign, double braces).

    Built from pieces because this file is itself a Jinja template when the project is baked.
    """
    return "$" + "{" * 2 + reference + "}" * 2


class DefinitionError(Exception):
    """A definition file that cannot be read as YAML; the message names the file and line."""


def read_yaml(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``; DefinitionError with the line of a syntax error."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise DefinitionError(f"{path}:{where} invalid YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(f"{path}: cannot be read ({error})") from None
    if not isinstance(document, dict):
        raise DefinitionError(f"{path}: expected a YAML mapping at the top level")
    return document


@dataclass(frozen=True)
class ComponentSpec:
    """A command component as plain data: its declared inputs/outputs and its command."""

    path: Path
    name: str
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    command: str
    code: Path | None

    @classmethod
    def read(cls, path: Path) -> ComponentSpec:
        document = read_yaml(path)
        code = document.get("code")
        return cls(
            path=path,
            name=str(document.get("name", "")),
            inputs=_declarations(document.get("inputs")),
            outputs=_declarations(document.get("outputs")),
            command=str(document.get("command", "")),
            code=(path.parent / code).resolve() if isinstance(code, str) else None,
        )

    def is_optional(self, name: str) -> bool:
        return bool(self.inputs.get(name, {}).get("optional", False))

    def required_inputs(self) -> list[str]:
        """Inputs that must be bound: neither optional nor with a default."""
        return [
            name
            for name, spec in self.inputs.items()
            if not spec.get("optional", False) and "default" not in spec
        ]


def _declarations(section: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(section, dict):
        return {}
    return {
        str(name): spec if isinstance(spec, dict) else {"default": spec}
        for name, spec in section.items()
    }


def check_component(spec: ComponentSpec) -> list[str]:
    """Problems of one component: its name, its command's references, its code folder."""
    where = spec.path.name
    problems = []
    if not COMPONENT_NAME.match(spec.name):
        problems.append(
            f"{where}: name {spec.name!r} must be lower-case letters, digits and '_', "
            "starting with a letter"
        )
    inside_optional = {
        reference
        for block in OPTIONAL_BLOCK.findall(spec.command)
        for reference in EXPRESSION.findall(block)
    }
    used = EXPRESSION.findall(spec.command)
    for reference in used:
        kind, _, name = reference.partition(".")
        declared = spec.inputs if kind == "inputs" else spec.outputs if kind == "outputs" else None
        if declared is None or name not in declared:
            problems.append(f"{where}: command uses {expression(reference)}, which is not declared")
        elif kind == "inputs" and spec.is_optional(name) and reference not in inside_optional:
            problems.append(
                f"{where}: optional input '{name}' must be used inside $[[ ]] in the command"
            )
    for kind, declared in (("inputs", spec.inputs), ("outputs", spec.outputs)):
        for name in declared:
            if f"{kind}.{name}" not in used:
                problems.append(f"{where}: {kind}.{name} is declared but the command never uses it")
    if spec.code is None or not spec.code.is_dir():
        problems.append(f"{where}: code folder {spec.code or '(none)'} does not exist")
    return problems


@dataclass(frozen=True)
class Step:
    """One job of a pipeline: its component and what its inputs/outputs are bound to."""

    name: str
    kind: str  # "command" or "sweep"
    component: ComponentSpec
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    search_space: dict[str, Any]

    def upstream(self) -> set[str]:
        """Names of the steps whose outputs this step reads."""
        found = set()
        for value in self.inputs.values():
            for reference in EXPRESSION.findall(str(value)):
                match = STEP_OUTPUT.match(reference)
                if match:
                    found.add(match.group(1))
        return found


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline job as plain data: its inputs, outputs and steps."""

    path: Path
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    steps: dict[str, Step]

    @classmethod
    def read(cls, path: Path) -> PipelineSpec:
        document = read_yaml(path)
        jobs = document.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            raise DefinitionError(f"{path}: a pipeline needs a 'jobs:' mapping of steps")
        steps = {}
        for name, job in jobs.items():
            if not isinstance(job, dict):
                raise DefinitionError(f"{path}: jobs.{name} must be a mapping")
            kind = str(job.get("type", "command"))
            reference = job.get("trial" if kind == "sweep" else "component")
            if not isinstance(reference, str) or not (path.parent / reference).is_file():
                raise DefinitionError(
                    f"{path}: jobs.{name} refers to component file {reference!r}, "
                    "which does not exist"
                )
            steps[str(name)] = Step(
                name=str(name),
                kind=kind,
                component=ComponentSpec.read((path.parent / reference).resolve()),
                inputs=dict(job.get("inputs") or {}),
                outputs=dict(job.get("outputs") or {}),
                search_space=dict(job.get("search_space") or {}),
            )
        return cls(
            path=path,
            inputs=_declarations(document.get("inputs")),
            outputs=_declarations(document.get("outputs")),
            steps=steps,
        )

    def order(self) -> list[Step]:
        """The steps so that each comes after every step it reads from (a cycle raises)."""
        done: list[str] = []
        pending = dict(self.steps)
        while pending:
            ready = [
                name for name, step in pending.items() if step.upstream() <= set(done) | {name}
            ]
            if not ready:
                raise DefinitionError(f"{self.path}: steps {sorted(pending)} depend on each other")
            for name in ready:
                done.append(name)
                del pending[name]
        return [self.steps[name] for name in done]


def check_pipeline(pipeline: PipelineSpec) -> list[str]:
    """Problems of the pipeline's wiring (see the module docstring)."""
    where = pipeline.path.name
    problems = []
    used_inputs: set[str] = set()
    for step in pipeline.steps.values():
        component = step.component
        prefix = f"{where}: jobs.{step.name}"
        for name, value in step.inputs.items():
            if name not in component.inputs:
                problems.append(
                    f"{prefix}.inputs.{name} is not an input of {component.path.name} "
                    f"(inputs: {', '.join(component.inputs)})"
                )
            for reference in EXPRESSION.findall(str(value)):
                problems += _check_binding(pipeline, step, f"{prefix}.inputs.{name}", reference)
                parent = PARENT_INPUT.match(reference)
                if parent:
                    used_inputs.add(parent.group(1))
        for name, value in step.outputs.items():
            if name not in component.outputs:
                problems.append(
                    f"{prefix}.outputs.{name} is not an output of {component.path.name} "
                    f"(outputs: {', '.join(component.outputs)})"
                )
            for reference in EXPRESSION.findall(str(value)):
                match = PARENT_OUTPUT.match(reference)
                if not match or match.group(1) not in pipeline.outputs:
                    problems.append(
                        f"{prefix}.outputs.{name} is bound to {expression(reference)}, "
                        "which is not a declared pipeline output"
                    )
        for name in step.search_space:
            if name not in component.inputs:
                problems.append(
                    f"{prefix}.search_space.{name} is not an input of {component.path.name}"
                )
        bound = set(step.inputs) | set(step.search_space)
        for name in component.required_inputs():
            if name not in bound:
                problems.append(f"{prefix}: required input '{name}' is not bound")
    for name, spec in pipeline.inputs.items():
        if name not in used_inputs:
            problems.append(f"{where}: pipeline input '{name}' is not used by any step")
        local = str(spec.get("path", "azureml:"))
        if not local.startswith(REMOTE_PREFIXES) and not (pipeline.path.parent / local).exists():
            problems.append(f"{where}: inputs.{name}.path {local!r} does not exist")
    try:
        pipeline.order()
    except DefinitionError as error:
        problems.append(str(error))
    return problems


def _check_binding(pipeline: PipelineSpec, step: Step, key: str, reference: str) -> list[str]:
    parent = PARENT_INPUT.match(reference)
    if parent:
        if parent.group(1) not in pipeline.inputs:
            return [
                f"{pipeline.path.name}: {key} reads pipeline input '{parent.group(1)}', "
                "which is not declared under inputs:"
            ]
        return []
    output = STEP_OUTPUT.match(reference)
    if not output:
        return [f"{pipeline.path.name}: {key} has an unsupported binding {expression(reference)}"]
    source, name = output.groups()
    if source == step.name or source not in pipeline.steps:
        return [f"{pipeline.path.name}: {key} reads from step '{source}', which does not exist"]
    if name not in pipeline.steps[source].component.outputs:
        declared = ", ".join(pipeline.steps[source].component.outputs)
        return [
            f"{pipeline.path.name}: {key} reads output '{name}' of step '{source}', "
            f"which has only: {declared}"
        ]
    return []
