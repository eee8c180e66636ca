#!/usr/bin/env python3
"""NeatMSKit's peak matrices against NeatMS 0.9's on issue-sized runs with XCMS tables as XCMS writes them.

Usage: python3 Scripts/interop/xcms_parity_check.py [--neatms .build/debug/neatms] [--work .build/xcms-parity]

Runs in .build/venv-neatms (made on first use from Scripts/requirements/neatms.txt: the real NeatMS 0.9,
numpy 1.26.4, pandas 1.5.3, pymzml 2.6.1, h5py). Run by Scripts/test.

1. Scripts/demo/make_demo_data.py writes three issue-sized runs (963 MS1 + 192 MS2 spectra, ~1,000
   centroids per scan, ~5,600 peaks each, like a ~1,200-scan Q Exactive run) with their scan start times in
   minutes as msconvert writes Thermo runs (`8.8434315`). Made once into WORK/gen (kept while the generator
   arguments are unchanged).
2. From the generator's peaks, tables as XCMS gives them: each peak's `rtmin`/`rtmax` are the scan times of
   its first and last scan and `rt` that of its apex, in seconds as mzR computes them (the minutes times 60
   in binary: `530.6058899999999`), `mzmin`/`mzmax` the exact m/z of its outermost centroids, every
   number written with up to 17 significant digits (the shortest text that reads back to the same double,
   as data.table::fwrite and readr write them), in write.csv's layout (quoted header and strings, row
   names `CP00001`, `NA` for missing values). (a) run 1 alone, unaligned (no `feature_id`); (b) runs 2 and 3,
   aligned (`feature_id` `FT0001`..., a few peaks `NA`: in no feature; `rt_adjusted`/`rtmin_adjusted`/
   `rtmax_adjusted` as after adjustRtime). The same peaks in MZmine 2's aligned layout (minutes) too.
3. NeatMS 0.9 loads each table (ntms.Experiment) and computes, per sample, the batch NN_handler feeds its
   model (create_interpolated_chromatograms(120, 1, min_scan_num=5)); `neatms extract` computes ours.
   NeatMS's results are cached in WORK (keyed by the SHA-256 of the table and raw files).
4. Every peak's validity (has a matrix or not) must agree, and every matrix must be equal bit for bit, as
   must the peak's window values (rt_start, rt_end, mz_min, mz_max, RT, mz, height, area) as float64 bits.

Prints per table the counts and ends with `N passed, M failed` (one check per peak); exits 1 on any failure.
"""
import argparse
import contextlib
import hashlib
import io
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from neatmskit_scripts import venv  # noqa: E402

venv.use("neatms")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from neatmskit_scripts.files import write_atomic  # noqa: E402
from neatmskit_scripts.neatms_reference import PEAK_FIELDS, load_quietly, neatms_matrices  # noqa: E402
from neatmskit_scripts.paths import REPO, display  # noqa: E402

GENERATOR_ARGS = ["--seed", "20261203", "--samples", "3", "--features", "5600", "--run-end", "1200", "--cycle", "1.1",
                  "--noise", "700", "--scan-time-unit", "minute"]
UNALIGNED_SAMPLES = ["sample_1.mzML"]
ALIGNED_SAMPLES = ["sample_2.mzML", "sample_3.mzML"]
RT_SHIFT_S = {"sample_2.mzML": 1.7, "sample_3.mzML": -2.3}  # what adjustRtime would have moved each run by


def number(x):
    """A double as XCMS's tables give it: the shortest text that reads back to it (<= 17 digits), NA for NaN."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "NA"
    return repr(float(x))


def quoted(s):
    return '"' + s.replace('"', '""') + '"'


def generate(work):
    gen = work / "gen"
    stamp = gen / "generator-args.txt"
    if stamp.is_file() and stamp.read_text() == " ".join(GENERATOR_ARGS):
        return gen
    print("== generating three issue-sized runs into", display(gen), flush=True)
    subprocess.run(["rm", "-rf", str(gen)], check=True)
    env = dict(os.environ, NEATMSKIT_SCRIPTS_NO_VENV="1")
    subprocess.run([sys.executable, str(REPO / "Scripts/demo/make_demo_data.py"), "--out", str(gen), *GENERATOR_ARGS],
                   check=True, env=env)
    stamp.write_text(" ".join(GENERATOR_ARGS))
    return gen


def ms1_scans(path):
    """(times in minutes as pymzml gives them, list of sorted m/z arrays) of the run's MS1 spectra."""
    import pymzml

    times, mzs = [], []
    # pymzml's notes on a file without an index
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for spec in pymzml.run.Reader(str(path)):
            if spec.ms_level == 1:
                times.append(spec.scan_time_in_minutes())
                mzs.append(np.sort(np.asarray(spec.mz, dtype=np.float64)))
    return np.array(times), mzs


def xcms_peaks(gen, sample, scans):
    """The generator's peaks of `sample` with XCMS's values: scan-time bounds and centroid m/z bounds."""
    import csv

    times, mzs = scans
    peaks = []
    with open(gen / "tables" / "xcms_aligned.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["sample_name"] != sample:
                continue
            lo, hi = float(row["rtmin"]) / 60, float(row["rtmax"]) / 60
            inside = np.nonzero((times >= lo) & (times <= hi))[0]
            if inside.size == 0:
                continue
            first, last = int(inside[0]), int(inside[-1])
            apex = int(np.argmin(np.abs(times - float(row["rt"]) / 60)))
            mz_lo, mz_hi = float(row["mzmin"]), float(row["mzmax"])
            found = []
            for i in range(first, last + 1):
                a = mzs[i]
                found.append(a[np.searchsorted(a, mz_lo, "left"):np.searchsorted(a, mz_hi, "right")])
            found = np.concatenate(found)
            if found.size:
                mz_lo, mz_hi = float(found.min()), float(found.max())
            sn = float(row["sn"]) if row["sn"] != "NA" else float("nan")
            peaks.append(dict(
                feature=row["feature_id"], mz=float(row["mz"]), mzmin=mz_lo, mzmax=mz_hi,
                # seconds as mzR gives them: the mzML's minutes times 60 in binary floating point
                rt=float(times[apex]) * 60, rtmin=float(times[first]) * 60, rtmax=float(times[last]) * 60,
                rt_min=float(times[apex]), rtmin_min=float(times[first]), rtmax_min=float(times[last]),
                into=float(row["into"]), intb=float(row["intb"]), maxo=float(row["maxo"]), sn=sn))
    peaks.sort(key=lambda p: p["mz"])  # chromPeaks() order within a sample
    return peaks


def write_xcms(path, per_sample, aligned):
    header = ["", "mz", "mzmin", "mzmax", "rt", "rtmin", "rtmax", "into", "intb", "maxo", "sn", "sample", "sample_name"]
    if aligned:
        header += ["feature_id", "rt_adjusted", "rtmin_adjusted", "rtmax_adjusted"]
    lines = [",".join(quoted(h) for h in header)]
    n = 0
    for index, (sample, peaks) in enumerate(per_sample.items()):
        for p in peaks:
            n += 1
            cells = [quoted(f"CP{n:05d}")] + [number(p[k]) for k in ("mz", "mzmin", "mzmax", "rt", "rtmin", "rtmax", "into",
                                                                       "intb", "maxo", "sn")]
            cells += [str(index + 1), quoted(sample)]
            if aligned:
                # A few peaks XCMS's correspondence left out of every feature.
                cells.append("NA" if n % 53 == 7 else quoted(p["feature"]))
                shift = RT_SHIFT_S[sample]
                cells += [number(p["rt"] + shift), number(p["rtmin"] + shift), number(p["rtmax"] + shift)]
            lines.append(",".join(cells))
    write_atomic(path, ("\n".join(lines) + "\n").encode())
    return n


def write_mzmine(path, per_sample, aligned):
    """The same peaks in MZmine 2's aligned layout (minutes; one row per feature, 0 where a sample has none;
    in the aligned set the peaks without a feature are rows of their own, as in the XCMS table)."""
    samples = list(per_sample)
    rows = {}
    n = 0
    for sample, peaks in per_sample.items():
        for p in peaks:
            n += 1
            key = p["feature"] if aligned and n % 53 != 7 else f"{sample}:{n}"
            rows.setdefault(key, {})[sample] = p
    header = ["row m/z", "row retention time"]
    for s in samples:
        header += [f"{s} Peak m/z", f"{s} Peak RT", f"{s} Peak RT start", f"{s} Peak RT end", f"{s} Peak height",
                   f"{s} Peak area", f"{s} Peak m/z min", f"{s} Peak m/z max"]
    lines = [",".join(header) + ","]
    for key in sorted(rows):
        members = rows[key]
        row_mz = np.mean([p["mz"] for p in members.values()])
        row_rt = np.mean([p["rt_min"] for p in members.values()])
        cells = [number(row_mz), number(row_rt)]
        for s in samples:
            p = members.get(s)
            if p is None:
                cells += ["0"] * 8
            else:
                cells += [number(p[k]) for k in ("mz", "rt_min", "rtmin_min", "rtmax_min", "maxo", "into", "mzmin", "mzmax")]
        lines.append(",".join(cells) + ",")
    write_atomic(path, ("\n".join(lines) + "\n").encode())


def sha256(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def neatms_reference(work, name, raw, table, fmt):
    """NeatMS 0.9's matrices for the table (cached in WORK/neatms-NAME.h5 by the inputs' SHA-256)."""
    raws = sorted(raw.iterdir())
    import pandas
    import pymzml

    import NeatMS

    versions = f"NeatMS {getattr(NeatMS, '__version__', '0.9')}, numpy {np.__version__}, pandas {pandas.__version__}, " \
        f"pymzml {pymzml.__version__}"
    key = sha256([table, *raws]) + " " + fmt + " " + versions
    out = work / f"neatms-{name}.h5"
    if out.is_file():
        with h5py.File(out, "r") as f:
            if f.attrs.get("inputs") == key:
                return out
    print(f"== NeatMS 0.9: {name} ({fmt})", flush=True)
    with contextlib.redirect_stdout(io.StringIO()):
        exp = load_quietly(raw, table, fmt)
    tmp = out.with_suffix(".tmp")
    with h5py.File(tmp, "w") as f:
        for sample in exp.samples:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                batch, valid, positions = neatms_matrices(sample)
            g = f.create_group(sample.file_name)
            g.create_dataset("X", data=batch)
            g.create_dataset("peak_index_in_sample", data=np.array(positions, dtype=np.int64))
            g.attrs["peaks"] = len(sample.peak_list)
            for field, attr in PEAK_FIELDS:
                g.create_dataset(field, data=np.array([getattr(p, attr) for p in valid], dtype=np.float64))
        f.attrs["inputs"] = key
    tmp.rename(out)
    return out


def compare(name, reference, ours):
    passed = failed = 0
    with h5py.File(reference, "r") as ref, h5py.File(ours, "r") as mine:
        if sorted(ref) != sorted(mine):
            print(f"  {name}: samples differ: NeatMS {sorted(ref)}, NeatMSKit {sorted(mine)}")
            return 0, 1
        for sample in sorted(ref):
            r, m = ref[sample], mine[sample]
            n = int(r.attrs["peaks"])
            r_valid = [int(i) for i in r["peak_index_in_sample"][:]]
            m_valid = [int(i) for i in m["peak_index_in_sample"][:]]
            m_invalid = [int(i) for i in m["invalid_peak_index_in_sample"][:]] if "invalid_peak_index_in_sample" in m else []
            if len(m_valid) + len(m_invalid) != n:
                print(f"  {name} {sample}: NeatMS has {n} peaks, NeatMSKit {len(m_valid) + len(m_invalid)}")
                failed += 1
            r_set, m_set = set(r_valid), set(m_valid)
            only_r, only_m = sorted(r_set - m_set), sorted(m_set - r_set)
            rx, mx = r["X"][:], m["X"][:]
            m_row = {p: i for i, p in enumerate(m_valid)}
            fields = {field: (r[field][:], m[field][:]) for field, _ in PEAK_FIELDS}
            matrix_differ, values_differ = [], []
            for i, p in enumerate(r_valid):
                if p not in m_row:
                    continue
                j = m_row[p]
                if rx[i].tobytes() != mx[j].tobytes():
                    matrix_differ.append(p)
                elif any(a[i:i + 1].view(np.uint64)[0] != b[j:j + 1].view(np.uint64)[0]
                         and not (np.isnan(a[i]) and np.isnan(b[j])) for a, b in fields.values()):
                    values_differ.append(p)
                else:
                    passed += 1
            if [p for p in r_valid if p in m_set] != [p for p in m_valid if p in r_set]:
                print(f"  {name} {sample}: the valid peaks are in another order")
                failed += 1
            invalid_both = n - len(r_set | m_set)
            passed += invalid_both
            failed += len(matrix_differ) + len(values_differ) + len(only_r) + len(only_m)
            equal = len(r_valid) - len(only_r) - len(matrix_differ) - len(values_differ)
            print(f"  {name} {sample}: {n} peaks; {equal} of {len(r_valid)} NeatMS matrices equal bit for bit with "
                  f"their window values, {len(matrix_differ)} matrices differ, {len(values_differ)} only in window "
                  f"values; {invalid_both} invalid in both; valid only in NeatMS {len(only_r)}, only in NeatMSKit "
                  f"{len(only_m)}")
            for p in (matrix_differ + values_differ + only_r + only_m)[:5]:
                print(f"    peak {p}: " + ("matrix differs" if p in matrix_differ else
                                            "window values differ" if p in values_differ else
                                            "valid in NeatMS only" if p in only_r else "valid in NeatMSKit only"))
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neatms", type=pathlib.Path, default=REPO / ".build/debug/neatms")
    parser.add_argument("--work", type=pathlib.Path, default=REPO / ".build/xcms-parity")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    gen = generate(work)

    sets = [("unaligned", UNALIGNED_SAMPLES, False), ("aligned", ALIGNED_SAMPLES, True)]
    tables = []
    for label, samples, aligned in sets:
        raw = work / f"raw-{label}"
        raw.mkdir(exist_ok=True)
        for s in samples:
            link = raw / s
            if not link.exists():
                link.symlink_to(gen / "raw" / s)
        per_sample = {s: xcms_peaks(gen, s, ms1_scans(gen / "raw" / s)) for s in samples}
        xcms = work / f"xcms_{label}.csv"
        count = write_xcms(xcms, per_sample, aligned)
        mzmine = work / f"mzmine_{label}.csv"
        write_mzmine(mzmine, per_sample, aligned)
        print(f"== {label}: {', '.join(samples)}: {count} peaks ({display(xcms)}, {display(mzmine)})", flush=True)
        tables += [(f"xcms-{label}", raw, xcms, "xcms"), (f"mzmine-{label}", raw, mzmine, "mzmine")]

    total_passed = total_failed = 0
    for name, raw, table, fmt in tables:
        reference = neatms_reference(work, name, raw, table, fmt)
        ours = work / f"neatmskit-{name}.h5"
        ours.unlink(missing_ok=True)
        result = subprocess.run([str(args.neatms), "extract", "--raw", str(raw), "--features", str(table), "--format", fmt,
                                 "-o", str(ours)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            print(f"  {name}: neatms extract failed: {result.stderr.strip()}")
            total_failed += 1
            continue
        passed, failed = compare(name, reference, ours)
        total_passed += passed
        total_failed += failed
    print(f"xcms_parity_check: {total_passed} passed, {total_failed} failed")
    sys.exit(1 if total_failed else 0)


if __name__ == "__main__":
    main()
