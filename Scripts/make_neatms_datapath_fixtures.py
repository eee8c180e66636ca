#!/usr/bin/env python3
"""Fixtures for the NeatMS data-path tests, produced by NeatMS 0.9 itself.

Run in a venv made with:
    python3 -m venv /work/venv-neatms
    /work/venv-neatms/bin/pip install neatms==0.9 --no-deps "numpy<2" pandas==1.5.3 pymzml scipy \
        scikit-learn h5py regex pytz python-dateutil threadpoolctl joblib narwhals
    /work/venv-neatms/bin/python Scripts/make_neatms_datapath_fixtures.py ../shared/data Fixtures/neatms

Writes (all small JSON):
  pandas_floats.json      decimal strings from real tables (and edge cases) with the float64 bits pandas 1.5.3's
                          read_csv gives them (NeatMS reads its tables with it).
  neatms_test_data.json   what NeatMS's loader makes of data/neatms-test-data (aligned file and unaligned folder):
                          feature count, peaks per sample, and a few peaks' values.
  layout_orders.json      for tidyms-nist, per input layout and sample: NeatMS's valid peaks in NeatMS's order,
                          each given as its row in neatms_reference_matrices.h5 (found by its RT/m/z window).
  batches.json            NN_handler.create_batches split order for a fixed seed (Python's random module).
"""
import io, json, os, pathlib, random, sys, tempfile, contextlib

import numpy as np
import pandas as pd
import h5py
import NeatMS as ntms

shared = pathlib.Path(sys.argv[1]).resolve()
out = pathlib.Path(sys.argv[2]).resolve()
out.mkdir(parents=True, exist_ok=True)


def dump(name, obj):
    with open(out / name, "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", out / name, os.path.getsize(out / name), "bytes")


def bits(x):
    return np.float64(x).view(np.uint64).item().to_bytes(8, "big").hex()


# --- pandas floats -------------------------------------------------------------------------------------------
tables = sorted(shared.glob("lcms/*/tables/*.csv")) + sorted(shared.glob("lcms/*/tables/*/*.csv")) \
    + sorted(shared.glob("neatms-test-data/*.csv"))
differing, agreeing = [], []
seen = set()
for fn in tables:
    text = pd.read_csv(fn, dtype=str, keep_default_na=False)
    parsed = pd.read_csv(fn)
    for c in parsed.columns:
        if parsed[c].dtype.kind != "f":
            continue
        for s, v in zip(text[c], parsed[c]):
            if s in seen or s in ("", "NA"):
                continue
            seen.add(s)
            (differing if float(s) != float(v) else agreeing).append((s, bits(v)))
rng = random.Random(7)
rng.shuffle(differing)
rng.shuffle(agreeing)
edge = ["0", "0.0", "-0.5", "+3", "1e5", "1E-5", "6.905E5", "2.774E4", "0.000123456789012345678", "123456789012345678901",
        "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "00012.5000", "  7.25  ", "-1.5e-3",
        "81.5176010131836", "198.99990844726562", "0.1", "0.3", "2.2392125149999997", "104.7700026", "12345678901234567.5"]
edge_pairs = [(s, bits(pd.read_csv(io.StringIO("x\n" + s + "\n"), dtype={"x": float})["x"][0])) for s in edge]
dump("pandas_floats.json", {"source": "pandas %s read_csv default float converter" % pd.__version__,
                            "values": edge_pairs + differing[:400] + agreeing[:200]})


# --- NeatMS's loader on neatms-test-data -------------------------------------------------------------------------
def experiment(table, fmt, sample_names):
    raw = pathlib.Path(tempfile.mkdtemp())
    for name in sample_names:
        (raw / name).write_bytes(b"")  # NeatMS only lists the raw folder while loading tables
    with contextlib.redirect_stderr(io.StringIO()):
        return ntms.Experiment(str(raw), str(table), fmt)


def summary(exp):
    samples = {}
    for s in sorted(exp.samples, key=lambda s: s.file_name):
        peaks = s.peak_list
        def val(p, a):
            v = getattr(p, a)
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
        samples[s.file_name] = {
            "peaks": len(peaks),
            "first": [{a: val(p, a) for a in ("mz", "RT", "rt_start", "rt_end", "mz_min", "mz_max", "height", "area")}
                      for p in peaks[:3]],
            "last": [{a: val(p, a) for a in ("mz", "RT", "rt_start", "rt_end", "mz_min", "mz_max", "height", "area")}
                     for p in peaks[-2:]],
            "missing_height": sum(1 for p in peaks if val(p, "height") is None),
            "missing_area": sum(1 for p in peaks if val(p, "area") is None),
        }
    fc = exp.feature_tables[0].feature_collection_list
    sizes = {}
    for c in fc:
        sizes[len(c.feature_list)] = sizes.get(len(c.feature_list), 0) + 1
    return {"features": len(fc), "feature_sizes": {str(k): v for k, v in sorted(sizes.items())}, "samples": samples}


names = ["sample_1.mzML", "sample_2.mzML", "sample_3.mzML"]
dump("neatms_test_data.json", {
    "aligned_features.csv": summary(experiment(shared / "neatms-test-data/aligned_features.csv", "mzmine", names)),
    "unaligned_features": summary(experiment(shared / "neatms-test-data/unaligned_features", "mzmine", names)),
})


# --- peak order per layout (tidyms-nist) ------------------------------------------------------------------------
nist = shared / "lcms/tidyms-nist"
ref = h5py.File(nist / "neatms_reference_matrices.h5", "r")


def key(a, b, c, d):
    return "%.6f %.6f %.6f %.6f" % (a, b, c, d)


orders = {}
for layout, fmt in [("mzmine_aligned.csv", "mzmine"), ("mzmine_unaligned", "mzmine"),
                    ("xcms_aligned.csv", "xcms"), ("xcms_unaligned.csv", "xcms")]:
    with contextlib.redirect_stderr(io.StringIO()):
        exp = ntms.Experiment(str(nist / "mzML"), str(nist / "tables" / layout), fmt)
    per_sample = {}
    for s in sorted(exp.samples, key=lambda s: s.file_name):
        g = ref[s.file_name]
        rows = {key(*v): i for i, v in enumerate(zip(g["rt_start_min"][:], g["rt_end_min"][:], g["mz_min"][:], g["mz_max"][:]))}
        s.create_interpolated_chromatograms(120, 1, min_scan_num=5)
        valid = [p for p in s.peak_list if p.valid]
        per_sample[s.file_name] = {"peaks": len(s.peak_list),
                                   "reference_rows": [rows.get(key(p.rt_start, p.rt_end, p.mz_min, p.mz_max), -1) for p in valid]}
    orders[layout] = per_sample
dump("layout_orders.json", orders)
