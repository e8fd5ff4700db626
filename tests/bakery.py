"""What the template's tests share as plain code (the fixtures are in conftest.py): where the
template is, the answers that make bakes reproducible, baking, and a baked project's
environment. A module of its own, because several conftest.py files exist under tests/ and
`from conftest import ...` would get whichever pytest loaded last."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
# The generated project's folder in the template. Its name falls back to the derived slug so
# that an empty project_slug reaches the pre-generation hook (and its one-line refusal)
# instead of cookiecutter's '"." directory already exists'.
PROJECT_DIR = "{{ cookiecutter.project_slug or cookiecutter.project_name | project_slug }}"
SHARED = TEMPLATE.parent / "shared"
# cookiecutter imports the template's local Jinja extension by module name when it renders
# a hook; tests that render hooks themselves need the template on the path the same way.
sys.path.insert(0, str(TEMPLATE))

# Answers that would otherwise depend on the day or on chance, fixed so bakes are reproducible.
STABLE_ANSWERS = {
    "first_sprint_start": "2027-01-04",
    "aml_endpoint_name": "penguin-classifier-ab12",
}


def bake_into(output_dir: Path, **answers) -> Path:
    """Bake the template with ``answers`` (hooks on) and return the project folder."""
    context = {**STABLE_ANSWERS, **answers}
    project = cookiecutter(
        str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)
    )
    return Path(project)


def project_env(project: Path, scratch: Path) -> dict[str, str]:
    """The environment a baked project's commands run in: this interpreter's, with every
    tool's state (MLflow store, SDK caches) kept in ``scratch``, never in HOME."""
    env = dict(os.environ)
    env.update(
        {
            "MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'mlflow.db'}",
            "AZURE_DEVOPS_CACHE_DIR": str(scratch / "ado-cache"),
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
            "RUFF_NO_CACHE": "true",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            # What `make` and an editable install put on the path: the package and the tools.
            "PYTHONPATH": os.pathsep.join(str(project / part) for part in ("src", "tools")),
        }
    )
    for secret in ("AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN"):
        env.pop(secret, None)
    return env
