"""meta: the meta-checks tests/run.py runs, one module per kind (see run.py)."""
