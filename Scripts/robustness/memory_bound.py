#!/usr/bin/env python3
"""Peak memory of `neatms predict --raw` as the experiment grows, checked against README's bound.

    Scripts/robustness/memory_bound.py [--neatms .build/release/neatms] [--samples 25,50,100,200] [--jobs 1,2]
                                       [--generated] [--check]

Each run is `neatms predict --model Fixtures/neatms_default_model.h5 --raw R --features T --format xcms
--threshold 0.22 --jobs J -o OUT`; the peak RSS of every (samples, jobs) pair is printed as a table (ru_maxrss
from wait4: what `/usr/bin/time -v` calls "Maximum resident set size").

The experiment:
- default: the committed 4-sample demo (Fixtures/demo) repeated — sample_k.mzML links to the demo's sample
  ((k-1) mod 4) + 1 and the XCMS table repeats that sample's peaks — so only the standard library is needed
  (Scripts/test runs `--neatms .build/debug/neatms --samples 4,32 --jobs 2 --check` this way);
- --generated: a fresh experiment of max(--samples) runs made once by the demo generator
  (Scripts/demo/make_demo_data.py --samples N --out .build/memory/demo-N, numpy in .build/venv-neatms);
  fewer samples are its first N runs (their mzML files and table rows).

--check exits 1 when a run fails or its peak RSS exceeds README's bound,
    BASE_MB + PER_SAMPLE_MB × samples + PER_JOB_MB × (jobs − 1),
with the constants below (generous against the release-build figures README gives: a debug build must pass too).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "Fixtures" / "demo"
MODEL = REPO / "Fixtures" / "neatms_default_model.h5"

BASE_MB = 90
PER_SAMPLE_MB = 0.2
PER_JOB_MB = 20


def bound_mb(samples, jobs):
    return BASE_MB + PER_SAMPLE_MB * samples + PER_JOB_MB * (jobs - 1)


def read_table(path):
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    return rows[0], rows[1:]


def write_experiment(folder, samples, source_raw, source_table, name_of):
    """Writes folder/raw (links) and folder/table.csv for `samples` runs; name_of(k) is the source sample
    file (k from 1) whose mzML and table rows run k uses."""
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    header, rows = read_table(source_table)
    sample_col = header.index("sample")
    name_col = header.index("sample_name")
    by_name = {}
    for row in rows:
        by_name.setdefault(row[name_col], []).append(row)
    out_rows = []
    for k in range(1, samples + 1):
        source = name_of(k)
        target = raw / f"sample_{k}.mzML"
        if not target.exists():
            os.symlink(source_raw / source, target)
        for row in by_name.get(source, []):
            copy = list(row)
            copy[sample_col] = str(k)
            copy[name_col] = f"sample_{k}.mzML"
            out_rows.append(copy)
    with open(folder / "table.csv", "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(out_rows)
    return raw, folder / "table.csv"


def generated_source(samples):
    out = REPO / ".build" / "memory" / f"demo-{samples}"
    if not (out / "tables" / "xcms_aligned.csv").exists():
        script = REPO / "Scripts" / "demo" / "make_demo_data.py"
        subprocess.run([sys.executable, str(script), "--samples", str(samples), "--out", str(out)], check=True)
    return out


def peak_rss_mb(neatms, raw, table, jobs, out):
    """Runs predict and returns (peak RSS in MB, wall seconds): ru_maxrss from wait4, as /usr/bin/time -v
    reports it (the process itself, not the child that reads HDF5 files first)."""
    command = [str(neatms), "predict", "--model", str(MODEL), "--raw", str(raw), "--features", str(table),
               "--format", "xcms", "--threshold", "0.22", "--jobs", str(jobs), "-o", str(out)]
    began = time.monotonic()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if process.returncode != 0:
        lines = [line for line in stderr.splitlines() if line.startswith("neatms:")]
        raise SystemExit(f"memory_bound: predict failed (exit {process.returncode}): {lines[-1:] or stderr[-300:]}")
    return usage.ru_maxrss / 1024, time.monotonic() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--neatms", default=str(REPO / ".build" / "release" / "neatms"))
    parser.add_argument("--samples", default="25,50,100,200")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--generated", action="store_true", help="use the demo generator's experiment")
    parser.add_argument("--check", action="store_true", help="exit 1 above the bound")
    args = parser.parse_args()
    sample_counts = [int(n) for n in args.samples.split(",")]
    job_counts = [int(n) for n in args.jobs.split(",")]

    if args.generated:
        source = generated_source(max(sample_counts))
        source_raw, source_table = source / "raw", source / "tables" / "xcms_aligned.csv"
        name_of = lambda k: f"sample_{k}.mzML"  # noqa: E731
        origin = f"demo generator, {max(sample_counts)} runs"
    else:
        source_raw, source_table = DEMO / "raw", DEMO / "tables" / "xcms_aligned.csv"
        name_of = lambda k: f"sample_{(k - 1) % 4 + 1}.mzML"  # noqa: E731
        origin = "committed demo repeated"

    failures = 0
    print(f"neatms predict --raw peak RSS ({origin}; {args.neatms})")
    print("| samples | jobs | peak RSS | wall time | bound |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="neatms-memory-") as temp:
        for samples in sample_counts:
            raw, table = write_experiment(Path(temp) / f"n{samples}", samples, source_raw, source_table, name_of)
            for jobs in job_counts:
                rss, elapsed = peak_rss_mb(args.neatms, raw, table, jobs, Path(temp) / f"n{samples}-j{jobs}.csv")
                limit = bound_mb(samples, jobs)
                over = rss > limit
                failures += over
                print(f"| {samples} | {jobs} | {rss:.0f} MB | {elapsed:.1f} s | {limit:.0f} MB{' EXCEEDED' if over else ''} |",
                      flush=True)
    if args.check and failures:
        print(f"memory_bound: {failures} run(s) above the bound", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
