"""Inference for the digits competition: the code a participant submits, zipped with model.pkl.

Reads the test features from HOLDOUT_DATA (default /code_execution/data) and writes
submission.csv to HOLDOUT_OUTPUT (default /code_execution/submission).
"""

import os
import pickle
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data"))
OUTPUT_DIR = Path(os.environ.get("HOLDOUT_OUTPUT", "/code_execution/submission"))


def main() -> None:
    started = time.monotonic()
    with (HERE / "model.pkl").open("rb") as f:
        saved = pickle.load(f)
    model, columns = saved["model"], saved["columns"]
    print(f"loaded model from {HERE / 'model.pkl'}")

    features = pd.read_csv(DATA_DIR / "test_features.csv")
    print(f"read {len(features)} rows from {DATA_DIR / 'test_features.csv'}")

    predictions = model.predict(features[columns])
    submission = pd.DataFrame({"id": features["id"], "label": predictions.astype(int)})

    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    submission.to_csv(OUTPUT_DIR / "submission.csv", index=False)
    print(f"wrote {len(submission)} predictions to {OUTPUT_DIR / 'submission.csv'}")
    print(f"done in {time.monotonic() - started:.2f}s")


if __name__ == "__main__":
    main()
