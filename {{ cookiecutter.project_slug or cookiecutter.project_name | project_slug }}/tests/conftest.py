"""What every test of this project shares."""

import os

# Test modules import MLflow before this project's package (which turns MLflow's usage
# telemetry off for every step); the tests must not phone home either.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
