"""List the steps a pipeline job runs, with its templates expanded as Azure Pipelines would.

    python tools/pipelines/pipeline_steps.py pipelines/pr-validation.yml
    python tools/pipelines/pipeline_steps.py pipelines/pr-validation.yml --json \
        --var System.PullRequest.SourceBranch=refs/heads/experiment/1234-gbm

Templates (steps, jobs, stages, variables) are inserted with their typed parameters bound and
checked; ``${{ each }}``, ``${{ if/elseif/else }}`` and ``${{ parameters.x }}`` are evaluated
at "compile time" here. ``$(macro)`` variables are substituted from the pipeline's own
variables and from ``--var NAME=VALUE``; the ones left (set by the agent at run time) are
reported per step, so a caller can tell exactly what it would still have to provide.

The tests use this to run the pull-request job's commands on this very checkout: what the
pipeline runs and what ``make`` runs locally cannot drift apart unnoticed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline_yaml import (
    EXPRESSION,
    ExpressionError,
    PipelineYamlError,
    is_expression,
    load,
    render,
    truthy,
)

MACRO = re.compile(r"\$\(([A-Za-z_][\w.\-]*)\)")
STEP_KINDS = ("script", "bash", "pwsh", "powershell", "task", "checkout", "download", "publish")
TEMPLATE_SECTIONS = ("steps", "jobs", "stages", "variables")
RUN_ONCE_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


class TemplateError(ValueError):
    """A template reference Azure Pipelines would refuse (missing file, bad parameters)."""


@dataclass(frozen=True)
class Context:
    """Where an expansion happens: the file (for relative template paths) and its scope."""

    file: Path
    scope: dict[str, Any]

    def with_names(self, **names: Any) -> Context:
        return Context(self.file, {**self.scope, **names})


@dataclass
class Step:
    """One step of a job after expansion, with the parts a runner or a test needs."""

    kind: str
    display_name: str
    task: str | None = None
    script: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    condition: str | None = None
    unresolved: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


# --- expansion -------------------------------------------------------------------------------


def _directive(key: str) -> str:
    return EXPRESSION.fullmatch(key.strip()).group(1).strip()


def _branch(key: str, directive: str, chain_done: bool | None, ctx: Context):
    """(is this if/elseif/else branch taken?, the chain's state after it)."""
    word = directive.split(None, 1)[0]
    if word != "if" and chain_done is None:
        raise ExpressionError(f"{key!r} does not follow an if")
    if word == "if":
        chain_done = False
    if chain_done:
        taken = False
    elif word == "else":
        taken = True
    else:
        taken = truthy(render("${{ " + directive.split(None, 1)[1] + " }}", ctx.scope))
    return taken, (None if word == "else" else chain_done or taken)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def expand(node: Any, ctx: Context) -> Any:
    """``node`` with every template reference, directive and ``${{ }}`` value resolved."""
    if isinstance(node, str):
        return render(node, ctx.scope) if "${{" in node else node
    if isinstance(node, list):
        return _expand_list(node, ctx)
    if isinstance(node, dict):
        return _expand_dict(node, ctx)
    return node


def _expand_list(items: list[Any], ctx: Context) -> list[Any]:
    out: list[Any] = []
    chain_done: bool | None = None  # None: no if-chain open; else: has a branch been taken?
    for item in items:
        if isinstance(item, dict) and len(item) == 1 and is_expression(next(iter(item))):
            key, body = next(iter(item.items()))
            directive = _directive(key)
            word = directive.split(None, 1)[0]
            if word == "each":
                match = re.fullmatch(r"each\s+(\w+)\s+in\s+(.+)", directive, re.DOTALL)
                if not match:
                    raise ExpressionError(f"cannot read {key!r}")
                collection = render("${{ " + match.group(2) + " }}", ctx.scope)
                for element in _items(collection):
                    out.extend(_items(expand(body, ctx.with_names(**{match.group(1): element}))))
                chain_done = None
            elif word in {"if", "elseif", "else"}:
                taken, chain_done = _branch(key, directive, chain_done, ctx)
                if taken:
                    out.extend(_items(expand(body, ctx)))
            else:
                raise ExpressionError(f"the directive {key!r} is not supported by this checker")
            continue
        chain_done = None
        if (
            isinstance(item, dict)
            and "template" in item
            and set(item) <= {"template", "parameters"}
        ):
            out.extend(expand_template_reference(item, ctx))
        elif is_expression(item):
            out.extend(_items(render(item, ctx.scope)))
        else:
            out.append(expand(item, ctx))
    return out


def _expand_dict(node: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    chain_done: bool | None = None
    if "variables" in node:
        out["variables"] = expand(node["variables"], ctx)
        known = {**ctx.scope.get("variables", {}), **variable_values(out["variables"])}
        ctx = ctx.with_names(variables=known)
    for key, value in node.items():
        if key == "variables":
            continue
        if is_expression(key):
            directive = _directive(key)
            if directive.split(None, 1)[0] not in {"if", "elseif", "else"}:
                raise ExpressionError(f"the mapping directive {key!r} is not supported")
            taken, chain_done = _branch(key, directive, chain_done, ctx)
            if taken:
                out.update(expand(value, ctx) or {})
            continue
        chain_done = None
        out[render(key, ctx.scope) if "${{" in key else key] = expand(value, ctx)
    return out


def declared_parameters(template: Any) -> dict[str, dict[str, Any]]:
    """A template's parameters by name: ``{"type": ..., "default": ..., "values": ...}``."""
    raw = template.get("parameters") if isinstance(template, dict) else None
    if isinstance(raw, dict):  # the old untyped form: name -> default
        return {name: {"type": "object", "default": value} for name, value in raw.items()}
    return {p["name"]: p for p in raw or [] if isinstance(p, dict) and "name" in p}


def _check_type(template: Path, name: str, spec: dict[str, Any], value: Any) -> None:
    if isinstance(value, str) and "${{" in value:
        return  # computed from a loop variable: its type is only known while the loop runs
    kind = str(spec.get("type", "string"))
    ok = {
        "boolean": isinstance(value, bool) or str(value).lower() in {"true", "false"},
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "string": not isinstance(value, dict | list),
    }.get(kind, True)
    if kind.endswith("List") or kind in {"stage", "job", "step", "deployment"}:
        ok = isinstance(value, list | dict)
    if not ok:
        raise TemplateError(f"{template}: parameter {name!r} must be a {kind}, got {value!r}")
    allowed = spec.get("values")
    if allowed and value not in allowed:
        raise TemplateError(
            f"{template}: parameter {name!r} must be one of {allowed}, got {value!r}"
        )


def bind_parameters(template_path: Path, template: Any, passed: dict[str, Any]) -> dict[str, Any]:
    """Declared parameters with defaults and passed values; unknown or missing ones refused."""
    declared = declared_parameters(template)
    unknown = sorted(set(passed) - set(declared))
    if unknown:
        raise TemplateError(f"{template_path}: no parameter named {', '.join(unknown)}")
    bound = {}
    for name, spec in declared.items():
        if name in passed:
            bound[name] = passed[name]
        elif "default" in spec:
            bound[name] = spec["default"]
        else:
            raise TemplateError(f"{template_path}: parameter {name!r} has no default and no value")
        _check_type(template_path, name, spec, bound[name])
    return bound


def expand_template_reference(item: dict[str, Any], ctx: Context) -> list[Any]:
    """The expanded list a ``- template: file`` entry stands for."""
    reference = str(render(item["template"], ctx.scope))
    if "@" in reference:
        raise TemplateError(
            f"{ctx.file}: templates from other repositories ({reference}) are not expanded"
        )
    path = (ctx.file.parent / reference).resolve()
    if not path.is_file():
        raise TemplateError(f"{ctx.file}: the template {reference} does not exist ({path})")
    template = load(path) or {}
    passed = expand(item.get("parameters") or {}, ctx)
    parameters = bind_parameters(path, template, passed)
    inner = Context(path, {"parameters": parameters, "variables": ctx.scope.get("variables", {})})
    sections = [key for key in TEMPLATE_SECTIONS if key in template]
    if len(sections) != 1:
        raise TemplateError(
            f"{path}: a template must hold exactly one of {', '.join(TEMPLATE_SECTIONS)}"
        )
    return _items(expand(template[sections[0]], inner))


def variable_values(variables: Any) -> dict[str, str]:
    """Name -> value of an expanded ``variables:`` section (groups are left out: runtime only)."""
    if isinstance(variables, dict):
        return {str(k): str(v) for k, v in variables.items()}
    values = {}
    for entry in variables or []:
        if isinstance(entry, dict) and "name" in entry:
            values[str(entry["name"])] = str(entry.get("value", ""))
    return values


def expand_pipeline(path: Path) -> dict[str, Any]:
    """The whole pipeline with templates and compile-time expressions resolved."""
    document = load(path) or {}
    defaults = {name: spec.get("default") for name, spec in declared_parameters(document).items()}
    return expand(
        {k: v for k, v in document.items() if k != "parameters"},
        Context(path.resolve(), {"parameters": defaults, "variables": {}}),
    )


# --- jobs and steps -----------------------------------------------------------------------


def jobs(pipeline: dict[str, Any]) -> list[tuple[str | None, dict[str, Any], dict[str, str]]]:
    """(stage name, job, the variables the job sees) for every job of an expanded pipeline."""
    root_vars = variable_values(pipeline.get("variables"))
    if "steps" in pipeline:
        return [(None, {"job": "Job", "steps": pipeline["steps"]}, root_vars)]
    found = []
    stages = pipeline.get("stages") or [{"stage": None, "jobs": pipeline.get("jobs", [])}]
    for stage in stages:
        stage_vars = {**root_vars, **variable_values(stage.get("variables"))}
        for job in stage.get("jobs") or []:
            found.append(
                (stage.get("stage"), job, {**stage_vars, **variable_values(job.get("variables"))})
            )
    return found


def job_name(job: dict[str, Any]) -> str:
    return str(job.get("job") or job.get("deployment") or "Job")


def raw_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    if "steps" in job:
        return job["steps"] or []
    run_once = ((job.get("strategy") or {}).get("runOnce")) or {}
    return [step for hook in RUN_ONCE_HOOKS for step in (run_once.get(hook) or {}).get("steps", [])]


def substitute(text: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """``text`` with known ``$(name)`` macros replaced, and the names left unresolved."""
    missing: list[str] = []

    def _one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return variables[name]
        missing.append(name)
        return match.group(0)

    return MACRO.sub(_one, text), missing


def to_step(raw: dict[str, Any], variables: dict[str, str]) -> Step:
    kind = next((k for k in STEP_KINDS if k in raw), "unknown")
    unresolved: list[str] = []

    def sub(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text, missing = substitute(value, variables)
        unresolved.extend(m for m in missing if m not in unresolved)
        return text

    inputs = {k: sub(v) for k, v in (raw.get("inputs") or {}).items()}
    script = raw.get(kind) if kind in {"script", "bash", "pwsh", "powershell"} else None
    script = script if script is not None else inputs.get("inlineScript")
    return Step(
        kind=kind,
        display_name=substitute(
            str(raw.get("displayName") or raw.get("name") or raw.get(kind)), variables
        )[0],
        task=raw.get("task"),
        script=sub(script) if script is not None else None,
        inputs=inputs,
        env={k: sub(str(v)) for k, v in (raw.get("env") or {}).items()},
        condition=raw.get("condition"),
        unresolved=unresolved,
        raw=raw,
    )


def job_steps(
    pipeline_file: Path, job: str | None = None, extra: dict[str, str] | None = None
) -> list[Step]:
    """The steps of ``job`` (or of the only job) in ``pipeline_file``, macros substituted."""
    found = jobs(expand_pipeline(pipeline_file))
    if job is not None:  # JOB, or STAGE.JOB when several stages have a job of that name
        found = [e for e in found if job in (job_name(e[1]), f"{e[0]}.{job_name(e[1])}")]
    if len(found) != 1:
        names = [
            f"{stage}.{job_name(j)}" if stage else job_name(j)
            for stage, j, _ in jobs(expand_pipeline(pipeline_file))
        ]
        raise TemplateError(f"{pipeline_file}: pick one job with --job (jobs: {', '.join(names)})")
    _, chosen, variables = found[0]
    variables = {**variables, **(extra or {})}
    return [to_step(raw, variables) for raw in raw_steps(chosen)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipeline", type=Path)
    parser.add_argument("--job", help="JOB or STAGE.JOB (needed when the pipeline has several)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", action="store_true", help="print JSON for tools")
    args = parser.parse_args(argv)
    bad = [v for v in args.var if "=" not in v]
    if bad:
        print(f"--var must be NAME=VALUE, got {bad[0]!r}", file=sys.stderr)
        return 2
    extra = dict(v.split("=", 1) for v in args.var)
    try:
        steps = job_steps(args.pipeline, args.job, extra)
    except (OSError, PipelineYamlError, TemplateError, ExpressionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps(
                [{k: v for k, v in asdict(s).items() if k != "raw"} for s in steps], indent=2
            )
        )
        return 0
    for number, step in enumerate(steps, 1):
        print(f"{number:2}. [{step.task or step.kind}] {step.display_name}")
        if step.script:
            for line in step.script.strip().splitlines():
                print(f"      {line}")
        if step.unresolved:
            print(f"      (set at run time: {', '.join(step.unresolved)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
