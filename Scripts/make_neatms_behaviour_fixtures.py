#!/usr/bin/env python3
"""Fixtures for NeatMSKit's batches, threshold, prediction labels, export and matrix options, produced by
NeatMS 0.9's own code (NN_handler.create_batches, get_true_vs_false_positive_df, get_threshold,
predict_peaks, Experiment.export_csv, Sample.create_interpolated_chromatograms).

The network is replaced by a stub that returns fixed probabilities, so no TensorFlow is needed; the
probabilities are multiples of 1/64 (exact in float32) and stored as integers.

Run in the venv described in Scripts/make_neatms_datapath_fixtures.py:
    /work/venv-neatms/bin/python Scripts/make_neatms_behaviour_fixtures.py ../shared/data Fixtures/neatms
"""
import contextlib, io, json, os, pathlib, random, sys, types

import numpy as np

# create_batches imports to_categorical from tensorflow.keras.utils; only its output shape matters here.
tf = types.ModuleType("tensorflow"); keras = types.ModuleType("tensorflow.keras"); utils = types.ModuleType("tensorflow.keras.utils")
utils.to_categorical = lambda y, num_classes=None: np.eye(int(num_classes or (max(y) + 1 if len(y) else 1)))[np.asarray(y, dtype=int)]
tf.keras = keras; keras.utils = utils
sys.modules.update({"tensorflow": tf, "tensorflow.keras": keras, "tensorflow.keras.utils": utils})

import NeatMS as ntms
from sklearn.metrics import auc

shared = pathlib.Path(sys.argv[1]).resolve()
out = pathlib.Path(sys.argv[2]).resolve()
out.mkdir(parents=True, exist_ok=True)


def dump(name, obj):
    with open(out / name, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", out / name, os.path.getsize(out / name), "bytes")


def experiment(name, table="mzmine_aligned.csv", fmt="mzmine"):
    base = shared / "lcms" / name
    ntms.FeatureCollection.feature_collection_counter = 0  # feature IDs as in a fresh session
    with contextlib.redirect_stderr(io.StringIO()):
        return ntms.Experiment(str(base / "mzML"), str(base / "tables" / table), fmt)


def f32(values):
    return [float(np.float32(v)) for v in values]


# --- Python's random ---------------------------------------------------------------------------------------
rand = {}
for seed in [0, 1, 42, 20261128, 2**32 + 5]:
    random.seed(seed)
    bits = [random.getrandbits(32) for _ in range(5)]
    items = list(range(20))
    random.shuffle(items)
    below = [random.randrange(1000) for _ in range(5)]
    rand[str(seed)] = {"getrandbits32": bits, "shuffle20": items, "randbelow1000": below}

# --- matrix options ----------------------------------------------------------------------------------------
options = []
for name, sample_name, size, margin, min_scans in [("mzmine-workshop", "171103_PMA_TK_QC_04.mzML", 50, 0.5, 3),
                                                   ("tidyms-nist", "NZ_20200226_011.mzML", 33, 0, 8),
                                                   ("tidyms-nist", "NZ_20200226_005.mzML", 200, 2.5, 20)]:
    exp = experiment(name)
    s = [s for s in exp.samples if s.file_name == sample_name][0]
    s.create_interpolated_chromatograms(size, margin, min_scan_num=min_scans)
    valid = [(i, p) for i, p in enumerate(s.peak_list) if p.valid]
    picks = valid[:: max(1, len(valid) // 6)][:6]
    options.append({"experiment": name, "sample": sample_name, "size": size, "margin": margin, "min_scans": min_scans,
                    "peaks": len(s.peak_list), "valid_positions": [i for i, _ in valid],
                    "scan_numbers": [int(p.scan_number) for _, p in valid],
                    "matrices": {str(i): f32(np.asarray(p.get_formatted_chromatogram(size, margin)).reshape(-1)) for i, p in picks}})

# --- batches: a labelling of tidyms-nist, then create_batches with fixed seeds ---------------------------
exp = experiment("tidyms-nist")
first_collection = exp.feature_tables[0].feature_collection_list[0].id
rows = {}
for c in exp.feature_tables[0].feature_collection_list:
    for f in c.feature_list:
        for p in f.peak_list:
            rows[p.id] = c.id - first_collection  # every row holds a peak, so collection index = table row
lines = ["sample,feature_id,mz,rt,label"]
labelled = []
names = ["High_quality", "High_quality", "High_quality", "Low_quality", "Low_quality", "Noise", "Noise"]
for s in sorted(exp.samples, key=lambda s: s.file_name):
    s.create_interpolated_chromatograms(120, 1, min_scan_num=5)
    for i, p in enumerate(s.peak_list):
        if i % 3 == 0 or not p.valid:
            label = names[(i * 5 + len(s.file_name)) % 7]
            labelled.append((p, label))
            lines.append("%s,%d,%.4f,%.3f,%s" % (s.file_name, rows[p.id], p.mz, p.RT, label))
table = exp.feature_tables[0].annotation_table
for p, label in labelled:
    table.set_peak_label(p, label)
sample_names = sorted(s.file_name for s in exp.samples)
position = {p.id: (sample_names.index(p.sample.file_name), i) for s in exp.samples for i, p in enumerate(s.peak_list)}
handler = ntms.NN_handler(exp)
batches = []
for seed, split, normalise, merge in [(1, 0.1, False, []), (42, 0.2, True, []), (7, 0.15, True, [["Low_quality", "Noise"], "Bad"]),
                                      (2026, 0.125, False, [["High_quality", "Low_quality"], "Peak"])]:
    handler.label_list = sorted(handler.labels)
    random.seed(seed)
    handler.create_batches(validation_split=split, normalise_class=normalise, merge_classes=merge)
    batches.append({"samples": sample_names, "seed": seed, "validation_split": split, "normalise_class": normalise,
                    "merge": merge, "classes": handler.label_list,
                    **{k: [list(position[i]) for i in handler.__dict__[k + "_batch"]["ids"]] for k in ("test", "validation", "training")},
                    "training_labels": handler.training_batch["label_str"]})

# --- threshold ---------------------------------------------------------------------------------------------
rng = np.random.default_rng(5)
n = 300
true_classes = rng.integers(0, 3, n)
probs = []
for c in true_classes:
    w = rng.integers(1, 20, 3).astype(float)
    w[c] += rng.integers(0, 60)
    k = np.floor(w / w.sum() * 64).astype(int)
    k[np.argmax(k)] += 64 - k.sum()
    probs.append(k.tolist())
probs = np.array(probs)


class StubModel:
    def __init__(self, table):
        self.table = table

    def predict(self, x):
        return (self.table[x[:, 0, 0, 0].astype(int)] / 64.0).astype(np.float32)


handler.label_list = ["High_quality", "Low_quality", "Noise"]
handler.X_validation = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
handler.y_validation = np.eye(3)[true_classes]
handler.class_model = StubModel(probs)
df = handler.get_true_vs_false_positive_df()
roc = df.sort_values(by=["Probablity_threshold"], ascending=False)
threshold = {"true_classes": true_classes.tolist(), "probabilities_64ths": probs.tolist(),
             "table": df[["Probablity_threshold", "True", "False", "False_low", "False_noise"]].values.tolist(),
             "threshold": float(handler.get_threshold()), "auc": float(auc(roc["False"], roc["True"]))}

# --- prediction labels and export ------------------------------------------------------------------------
exports = {}
for name in ["mzmine-workshop", "tidyms-nist"]:
    exp = experiment(name)
    h = ntms.NN_handler(exp)
    rng = np.random.default_rng(11)
    per_sample = {}

    class SampleModel:
        def predict(self, batch):
            k = rng.integers(0, 40, (batch.shape[0], 3))
            k[:, 0] += (batch[:, 0, 50:70, 0].mean(axis=1) * 30).astype(int)
            k = (k * 64 // k.sum(axis=1, keepdims=True))
            k[:, 2] += 64 - k.sum(axis=1)
            per_sample[current[0]] = k.tolist()
            return (k / 64.0).astype(np.float32)

    current = [None]
    h.class_model = SampleModel()
    original = ntms.Sample.create_interpolated_chromatograms

    def tracking(self, *a, **kw):
        current[0] = self.file_name
        return original(self, *a, **kw)

    ntms.Sample.create_interpolated_chromatograms = tracking
    h.predict_peaks(0.22)
    ntms.Sample.create_interpolated_chromatograms = original
    labels = {s.file_name: "".join(p.prediction.label[0] for p in s.peak_list if p.valid) for s in exp.samples}
    csvs = {}
    small = name == "tidyms-nist"
    for key, kwargs in [("default", dict(export_properties=["label"]) if small else {}),
                        ("documented", dict(export_classes=["High_quality", "Low_quality"], min_group_classes=["High_quality"], min_group_size=0.75,
                                            **(dict(export_properties=["mz", "label"]) if small else {}))),
                        ("properties", dict(export_classes=["Noise", "Low_quality"], min_group_size=2,
                                            export_properties=["label", "peak_rt_start", "peak_mz_max", "mz", "peak_mz", "area", "peak_rt_end", "peak_mz_min", "peak_rt"]))]:
        target = out / ".export.tmp.csv"
        exp.export_csv(str(target), **kwargs)
        csvs[key] = target.read_text()
        target.unlink()
    exports[name] = {"threshold": 0.22, "probabilities_64ths": per_sample, "labels": labels, "csv": csvs}

dump("behaviour.json", {"python_random": rand, "matrix_options": options, "labels_csv": "\n".join(lines) + "\n",
                        "batches": batches, "threshold": threshold, "export": exports})
