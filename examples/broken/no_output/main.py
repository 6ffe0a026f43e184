"""Broken on purpose: writes the predictions into the working directory, then exits 0.

The mistake: "submission.csv" relative to the working directory (/code_execution/src) instead of
the output folder (/code_execution/submission). The run succeeds but leaves no predictions.
"""

import csv
import os
from pathlib import Path

data_dir = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))

with (data_dir / "test_features.csv").open(newline="") as f:
    ids = [row["id"] for row in csv.DictReader(f)]
print(f"read {len(ids)} rows", flush=True)

with open("submission.csv", "w", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["id", "label"])
    writer.writerows([i, 1] for i in ids)
print(f"wrote {len(ids)} predictions to {Path('submission.csv').resolve()}")
