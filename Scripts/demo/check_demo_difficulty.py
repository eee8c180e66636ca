#!/usr/bin/env python3
"""How hard is the demo? 5-fold cross-validated NeatMS network on the demo's NeatMS matrices.

Usage:  python3 Scripts/demo/check_demo_difficulty.py [--demo Fixtures/demo] [--epochs 50]

Needs tensorflow-cpu + tf_keras + h5py: runs in .build/venv-bench (made on first use from
Scripts/requirements/bench.txt: TensorFlow 2.21, tf_keras 2.21).
Trains NeatMS's network (NeatMS's NN_handler.create_model) from scratch with Adam lr 1e-3 on 4/5 of the labelled valid
peaks of Fixtures/demo/neatms_reference_matrices.h5 and predicts the remaining fifth, five times, then
prints the ROC AUC of P(High_quality) for High_quality against the rest and the confusion counts.
It only prints: the figures go into Fixtures/demo/README.md by hand.
"""
import argparse
import csv
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neatmskit_scripts import venv  # noqa: E402

venv.use("bench")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

from neatmskit_scripts.network import compile_neatms, neatms_network  # noqa: E402
from neatmskit_scripts.paths import FIXTURES  # noqa: E402


def network():
    """NeatMS's network, compiled with Adam lr 1e-3 and accuracy only."""
    return compile_neatms(keras, neatms_network(keras), lr=1e-3, metrics=["accuracy"])


def roc_auc(score, positive):
    order = np.argsort(-score, kind="stable")
    pos = positive[order]
    tp = np.concatenate([[0.0], np.cumsum(pos) / pos.sum()])
    fp = np.concatenate([[0.0], np.cumsum(~pos) / (~pos).sum()])
    return float(np.sum((fp[1:] - fp[:-1]) * (tp[1:] + tp[:-1]) / 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", default=str(FIXTURES / "demo"), help="the demo folder (default Fixtures/demo)")
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    labels = {}
    with open(os.path.join(args.demo, "labels.csv"), newline="") as f:
        for row in csv.DictReader(f):
            labels[(row["sample"], int(row["feature_id"]))] = row["label"]
    xs, ys = [], []
    with h5py.File(os.path.join(args.demo, "neatms_reference_matrices.h5"), "r") as h5:
        for sample in sorted(h5):
            for x, feature in zip(h5[sample]["X"][()], h5[sample]["feature_id"][()]):
                xs.append(x)
                ys.append(labels[(sample, int(feature))])
    x = np.asarray(xs, dtype=np.float32)
    classes = sorted(set(ys))
    y = np.array([classes.index(v) for v in ys])
    keras.utils.set_random_seed(1)
    perm = np.random.default_rng(1).permutation(len(y))
    folds = np.array_split(perm, 5)
    probabilities = np.zeros((len(y), len(classes)))
    for k, test in enumerate(folds):
        train = np.setdiff1d(perm, test)
        model = network()
        model.fit(x[train], keras.utils.to_categorical(y[train], len(classes)), epochs=args.epochs,
                  batch_size=32, verbose=0)
        probabilities[test] = model.predict(x[test], verbose=0)
        print(f"fold {k + 1}/5 done")
    hq = classes.index("High_quality")
    print(f"{len(y)} labelled valid peaks; classes {classes}")
    print(f"ROC AUC (High_quality vs rest, 5-fold CV): {roc_auc(probabilities[:, hq], y == hq):.3f}")
    print(f"accuracy: {(probabilities.argmax(1) == y).mean():.3f}")
    print("confusion (rows = truth, columns = predicted):")
    for i, c in enumerate(classes):
        print(f"  {c:13s}", [int(np.sum((y == i) & (probabilities.argmax(1) == j))) for j in range(len(classes))])


if __name__ == "__main__":
    main()
