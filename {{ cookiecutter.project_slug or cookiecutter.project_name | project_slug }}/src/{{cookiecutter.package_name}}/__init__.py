"""Train, evaluate and serve the penguin species classifier.

Each step is a module runnable as ``python -m <package>.<step>``: ``prepare``, ``train``,
``evaluate`` and ``score``. They take explicit input and output paths, so the same commands
run on a laptop, in the Makefile and as AzureML components. ``data`` holds the data schema,
``features`` the model's inputs, ``tracking`` the MLflow run handling.
"""

import os

# No network call the user did not ask for: MLflow 3 sends usage telemetry to
# config.mlflow-telemetry.io from every process that imports it, unless told not to. Every
# step imports this package before MLflow, so this one line covers the laptop, the Makefile,
# the tests and the AzureML jobs. To send it: export MLFLOW_DISABLE_TELEMETRY=false.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
