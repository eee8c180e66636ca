#!/usr/bin/env python3
"""Load NeatMSKit's demo experiment with the real NeatMS 0.9 and record what it computes.

Usage:  python3 Scripts/demo/check_demo_with_neatms.py [--demo Fixtures/demo]

Runs in .build/venv-neatms (made on first use from Scripts/requirements/neatms.txt: CPython 3.11,
neatms==0.9 without its declared dependencies, numpy 1.26.4, pandas 1.5.3, pymzml 2.6.1, h5py 3.14).
No TensorFlow is needed: the peak matrices are built exactly as NN_handler.predict_peaks builds them
(Sample.create_interpolated_chromatograms, then Peak.get_formatted_chromatogram for every valid peak, in
the sample's peak order).

Writes (atomically) into the demo folder:
  neatms_reference.json            versions, per sample: peaks loaded, valid peaks, MS1 spectra, labels
  neatms_reference_matrices.h5     per sample (group = raw file name): X (N, 2, 120, 1) float32 for the
                                   valid peaks plus peak_index_in_sample, feature_id, mz, RT_min,
                                   rt_start_min, rt_end_min, mz_min, mz_max, height, area, scan_number
                                   (the layout of the reference data's lcms/*/neatms_reference_matrices.h5,
                                   plus feature_id = the MZmine row of the peak)
It also checks, and fails loudly otherwise, that pymzml reads every file, that the XCMS table gives
NeatMS exactly the same peaks (bounds bit for bit) as the MZmine table, and that every labels.csv row
names a peak of the table.
"""

import argparse
import csv
import json
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neatmskit_scripts import venv  # noqa: E402

venv.use("neatms")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pymzml  # noqa: E402

from neatmskit_scripts.files import atomic_path  # noqa: E402
from neatmskit_scripts.neatms_reference import (MARGIN, MATRIX_SIZE, MIN_SCAN_NUM, load,  # noqa: E402
                                                neatms_matrices, write_reference_group)
from neatmskit_scripts.paths import FIXTURES  # noqa: E402

GENERATOR = "Scripts/demo/check_demo_with_neatms.py"


def peak_key(peak):
    return (peak.rt_start, peak.rt_end, peak.mz_min, peak.mz_max)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", default=str(FIXTURES / "demo"), help="the demo folder (default Fixtures/demo)")
    args = parser.parse_args()
    demo = os.path.normpath(args.demo)
    raw = os.path.join(demo, "raw")
    logging.basicConfig(level=logging.WARNING)

    versions = {
        "python": sys.version.split()[0],
        "neatms": "0.9",
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pymzml": pymzml.__version__,
        "h5py": h5py.__version__,
    }
    print("versions:", versions)

    # 1. pymzml reads every file (NeatMS's own reader), MS1 and MS2 counted.
    spectra_counts = {}
    for name in sorted(os.listdir(raw)):
        run = pymzml.run.Reader(os.path.join(raw, name))
        ms1 = ms2 = points = 0
        first = last = None
        first_peaks = None
        ids = []
        for spec in run:
            if not isinstance(spec, pymzml.spec.Spectrum):
                continue
            if spec.ms_level == 1:
                ms1 += 1
                peaks = spec.peaks("centroided")
                points += peaks.shape[0]
                t = spec.scan_time_in_minutes()
                if first is None:
                    first = t
                    first_peaks = peaks[:3]
                last = t
                ids.append(spec.ID)
            elif spec.ms_level == 2:
                ms2 += 1
        # Full-precision values (JSON keeps Python's repr), so a reader can be checked bit for bit.
        spectra_counts[name] = dict(ms1_spectra=ms1, ms2_spectra=ms2, ms1_centroids=points,
                                    first_rt_min=first, last_rt_min=last,
                                    first_ms1_scan=int(ids[0]), last_ms1_scan=int(ids[-1]),
                                    first_ms1_mz=[float(v) for v in first_peaks[:, 0]],
                                    first_ms1_intensity=[float(v) for v in first_peaks[:, 1]])
    print("pymzml:", spectra_counts)

    # 2. Load with NeatMS through the MZmine table and build the matrices.
    exp = load(raw, os.path.join(demo, "tables", "mzmine_aligned.csv"), "mzmine")
    samples = sorted(exp.samples, key=lambda s: s.file_name)
    feature_of = {}
    for collection in exp.feature_tables[0].feature_collection_list:
        for feature in collection.feature_list:
            for peak in feature.peak_list:
                feature_of[peak.id] = collection.id - exp.feature_tables[0].feature_collection_list[0].id

    results = {}
    with atomic_path(os.path.join(demo, "neatms_reference_matrices.h5")) as out_tmp, h5py.File(out_tmp, "w") as h5:
        h5.attrs["description"] = (
            "Peak matrices exactly as NeatMS 0.9 feeds them to its CNN (matrice_size=120, margin=1, "
            f"min_scan_num=5), one group per sample, table tables/mzmine_aligned.csv, raw files raw/. "
            f"Written by {GENERATOR}.")
        for sample in samples:
            batch, valid, positions = neatms_matrices(sample)
            assert np.isfinite(batch).all(), f"{sample.file_name}: NeatMS produced NaN matrices"
            write_reference_group(h5, sample.file_name, batch, valid, positions,
                                  feature_ids=[feature_of[p.id] for p in valid])
            invalid = [feature_of[p.id] for p in sample.peak_list if not p.valid]
            results[sample.file_name] = dict(peaks=len(sample.peak_list), valid_peaks=len(valid),
                                             invalid_peaks=len(invalid), invalid_feature_ids=invalid,
                                             **spectra_counts[sample.file_name])
            print(f"{sample.file_name}: {len(sample.peak_list)} peaks, {len(valid)} valid")

    # 3. The XCMS table gives NeatMS the same peaks, in the same order, with bit-identical bounds.
    exp_x = load(raw, os.path.join(demo, "tables", "xcms_aligned.csv"), "xcms")
    by_name = {s.file_name: s for s in exp_x.samples}
    for sample in samples:
        a = [peak_key(p) for p in sample.peak_list]
        b = [peak_key(p) for p in by_name[sample.file_name].peak_list]
        assert len(a) == len(b), f"{sample.file_name}: MZmine {len(a)} peaks, XCMS {len(b)}"
        diff = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
        assert not diff, f"{sample.file_name}: XCMS bounds differ from MZmine at {diff[:3]}"
    print("XCMS table: same peaks, same order, identical bounds")

    # 4. pandas parsed the MZmine bounds exactly as a correctly rounded parser does.
    table = pd.read_csv(os.path.join(demo, "tables", "mzmine_aligned.csv"), dtype=str)
    mismatches = []
    for column in table.columns:
        if column.startswith("Unnamed"):
            continue
        strings = table[column].astype(str)
        pandas_values = pd.read_csv(os.path.join(demo, "tables", "mzmine_aligned.csv"), usecols=[column])[column]
        mismatches += [(column, s) for s, v in zip(strings, pandas_values) if float(s) != v]
    assert not mismatches, f"pandas parsed {len(mismatches)} MZmine cells differently from float(): {mismatches[:5]}"
    print("MZmine table: every cell parsed by pandas equals Python's float()")

    # 5. Labels: every row names a peak of the table; count labels of valid peaks.
    valid_sets = {}
    with h5py.File(os.path.join(demo, "neatms_reference_matrices.h5"), "r") as h5:
        for name in h5:
            valid_sets[name] = set(int(x) for x in h5[name]["feature_id"][()])
    peaks_in_table = {(s.file_name, feature_of[p.id]) for s in samples for p in s.peak_list}
    label_counts = {"all": {}, "valid": {}}
    with open(os.path.join(demo, "labels.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        key = (row["sample"], int(row["feature_id"]))
        assert key in peaks_in_table, f"labels.csv names no peak of the table: {key}"
        label_counts["all"][row["label"]] = label_counts["all"].get(row["label"], 0) + 1
        if key[1] in valid_sets[key[0]]:
            label_counts["valid"][row["label"]] = label_counts["valid"].get(row["label"], 0) + 1
    assert len(rows) == len(peaks_in_table), "labels.csv does not label every peak"
    print("labels:", label_counts)

    report = dict(
        description=f"What NeatMS 0.9 computes from Fixtures/demo ({GENERATOR}).",
        versions=versions,
        matrice_size=MATRIX_SIZE, margin=MARGIN, min_scan_num=MIN_SCAN_NUM,
        features=len(exp.feature_tables[0].feature_collection_list),
        peaks=sum(r["peaks"] for r in results.values()),
        valid_peaks=sum(r["valid_peaks"] for r in results.values()),
        labelled_peaks=len(rows),
        labels=label_counts,
        xcms_table_same_peaks=True,
        samples=results,
    )
    with atomic_path(os.path.join(demo, "neatms_reference.json")) as tmp, open(tmp, "w") as f:
        json.dump(report, f, indent=2, sort_keys=False)
        f.write("\n")
    print(f"total: {report['peaks']} peaks, {report['valid_peaks']} valid")


if __name__ == "__main__":
    main()
