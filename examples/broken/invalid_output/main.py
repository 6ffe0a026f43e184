"""Broken on purpose: drops the first test row and misnames the label column.

The mistakes: skipping the header twice (csv.DictReader already consumed it, then `rows[1:]`
drops a real row, so one id is missing) and writing the header "id,prediction" where the
submission format says "id,label". Every prediction is the digit 1.
"""

import csv
import os
from pathlib import Path

data_dir = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))
output_dir = Path(os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission"))

with (data_dir / "test_features.csv").open(newline="") as f:
    rows = list(csv.DictReader(f))
print(f"read {len(rows)} rows", flush=True)

output_dir.mkdir(parents=True, exist_ok=True)
with (output_dir / "submission.csv").open("w", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["id", "prediction"])
    for row in rows[1:]:
        writer.writerow([row["id"], 1])
print(f"wrote {len(rows) - 1} predictions")
