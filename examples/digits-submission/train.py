#!/usr/bin/python3
"""Train the example digits model and save it as model.pkl beside this file.

Usage: /usr/bin/python3 train.py [BUNDLE_DIR]   (default: ../digits/bundle)
"""

import pickle
import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

HERE = Path(__file__).resolve().parent


def main() -> None:
    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "../digits/bundle"
    features = pd.read_csv(bundle / "train/train_features.csv")
    labels = pd.read_csv(bundle / "train/train_labels.csv")
    # Join on id rather than trusting the row order of two files.
    data = features.merge(labels, on="id", validate="one_to_one")
    x = data.drop(columns=["id", "label"])
    y = data["label"]
    print(f"training on {len(data)} images with {x.shape[1]} pixels each")

    # Pixels share one 0..16 scale, so an RBF kernel works on them unscaled.
    model = SVC(C=10, gamma=0.001)
    scores = cross_val_score(model, x, y, cv=5, scoring="accuracy")
    print(f"5-fold cross-validated accuracy: {scores.mean():.4f} (± {scores.std():.4f})")

    model.fit(x, y)
    # Keep the column order with the model: main.py selects the same columns in the same order.
    with (HERE / "model.pkl").open("wb") as f:
        pickle.dump({"model": model, "columns": list(x.columns)}, f)
    print(f"wrote {HERE / 'model.pkl'}")


if __name__ == "__main__":
    main()
