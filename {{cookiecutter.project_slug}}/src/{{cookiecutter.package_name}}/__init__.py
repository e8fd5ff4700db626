"""Train, evaluate and serve the penguin species classifier.

Each step is a module runnable as ``python -m <package>.<step>``: ``prepare``, ``train``,
``evaluate`` and ``score``. They take explicit input and output paths, so the same commands
run on a laptop, in the Makefile and as AzureML components. ``data`` holds the data schema,
``features`` the model's inputs, ``tracking`` the MLflow run handling.
"""
