"""Broken on purpose: reads a file name that exists on the author's machine but not in the run.

The mistake: the test features are /code_execution/data/test_features.csv, not test.csv. Python
prints a FileNotFoundError traceback and exits with status 1.
"""

import csv
import os
from pathlib import Path

data_dir = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))
print(f"reading test data from {data_dir}", flush=True)
with (data_dir / "test.csv").open(newline="") as f:
    rows = list(csv.DictReader(f))
print(f"read {len(rows)} rows")
