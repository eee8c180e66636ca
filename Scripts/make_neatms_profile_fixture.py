#!/usr/bin/env python3
"""NeatMS 0.9 on profile data: reference matrices for NeatMSKit's centroiding of profile spectra.

NeatMS reads spectra with pymzml's `peaks("centroided")`, which centroids profile spectra. This script picks
peaks in ../shared/data/mzml-variants/profile-data-zlib-indexed-compressed.mzML (6 MS1 profile spectra),
writes them as an MZmine table, loads that with the real NeatMS 0.9 and records the matrices it builds.

Writes (atomically) into Fixtures/neatms/profile/:
  mzmine_aligned.csv              the table: 16 peaks around intense centroids of the first MS1 spectrum,
                                  12 spanning all six MS1 scans (valid) and 4 spanning three (invalid:
                                  fewer than 5 scans);
  neatms_reference_matrices.h5    what NeatMS feeds its CNN for the valid peaks (layout of
                                  ../shared/data/lcms/*/neatms_reference_matrices.h5, as written by
                                  Scripts/check_demo_with_neatms.py).

Usage: /work/venv-demo/bin/python Scripts/make_neatms_profile_fixture.py [--shared ../shared/data]
       (the venv of Scripts/requirements-demo.txt: neatms 0.9 --no-deps, numpy 1.26, pandas 1.5.3, pymzml)
"""
import argparse
import logging
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pymzml

from check_demo_with_neatms import MARGIN, MATRIX_SIZE, load, neatms_matrices

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Fixtures" / "neatms" / "profile"
FILE = "profile-data-zlib-indexed-compressed.mzML"
COLUMNS = ["Peak m/z", "Peak RT", "Peak RT start", "Peak RT end", "Peak height", "Peak area", "Peak m/z min",
           "Peak m/z max"]


def pick_peaks(path):
    """(mz, rt_start, rt_end) of the table's peaks."""
    spectra = [s for s in pymzml.run.Reader(str(path)) if s.ms_level == 1]
    times = [s.scan_time_in_minutes() for s in spectra]
    centroids = [s.peaks("centroided") for s in spectra]
    first = centroids[0]
    # Intense centroids of the first spectrum that have a centroid within 5 mDa in every MS1 spectrum.
    order = np.argsort(first[:, 1])[::-1]
    chosen = []
    for index in order:
        mz = float(first[index, 0])
        if any(abs(mz - other) < 0.05 for other in chosen):
            continue
        if all(np.any(np.abs(c[:, 0] - mz) < 0.005) for c in centroids):
            chosen.append(mz)
        if len(chosen) == 16:
            break
    chosen.sort()
    whole = (round(times[0] - 0.002, 6), round(times[-1] + 0.002, 6))
    part = (round(times[1] - 0.002, 6), round(times[3] + 0.002, 6))
    return [(mz, *(part if i % 4 == 3 else whole)) for i, mz in enumerate(chosen)]


def write_table(peaks, path):
    lines = ["row m/z,row retention time," + ",".join(f"{FILE} {c}" for c in COLUMNS) + ","]
    for mz, start, end in peaks:
        rt = round((start + end) / 2, 6)
        values = [f"{mz:.6f}", f"{rt}", f"{start}", f"{end}", "1000.0", "100.0", f"{mz - 0.005:.6f}",
                  f"{mz + 0.005:.6f}"]
        lines.append(f"{mz:.6f},{rt}," + ",".join(values) + ",")
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    source = (args.shared / "mzml-variants" / FILE).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    table = OUT / "mzmine_aligned.csv"
    write_table(pick_peaks(source), table)

    with tempfile.TemporaryDirectory() as raw:
        os.symlink(source, os.path.join(raw, FILE))
        experiment = load(raw, str(table), "mzmine")
        (sample,) = experiment.samples
        batch, valid, positions = neatms_matrices(sample)
    assert np.isfinite(batch).all(), "NeatMS produced NaN matrices"
    out_tmp = OUT / ".neatms_reference_matrices.h5.tmp"
    with h5py.File(out_tmp, "w") as h5:
        h5.attrs["description"] = (
            f"Peak matrices as NeatMS 0.9 feeds them to its CNN (matrice_size={MATRIX_SIZE}, margin={MARGIN}, "
            f"min_scan_num=5) for Fixtures/neatms/profile/mzmine_aligned.csv on ../shared/data/mzml-variants/{FILE} "
            "(profile spectra, centroided by pymzml). Written by Scripts/make_neatms_profile_fixture.py.")
        g = h5.create_group(FILE)
        g.create_dataset("X", data=batch, dtype="float32")
        g.create_dataset("peak_index_in_sample", data=np.array(positions, dtype=np.int64))
        for field, attr in (("mz", "mz"), ("RT_min", "RT"), ("rt_start_min", "rt_start"), ("rt_end_min", "rt_end"),
                            ("mz_min", "mz_min"), ("mz_max", "mz_max"), ("height", "height"), ("area", "area")):
            g.create_dataset(field, data=np.array([getattr(p, attr) for p in valid], dtype=np.float64))
        g.create_dataset("scan_number", data=np.array([p.scan_number for p in valid], dtype=np.int64))
    os.replace(out_tmp, OUT / "neatms_reference_matrices.h5")
    print(f"{FILE}: {len(sample.peak_list)} peaks, {len(valid)} valid; wrote {OUT}")


if __name__ == "__main__":
    main()
