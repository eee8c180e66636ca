#!/usr/bin/env python3
"""`neatms convert` in every direction, timed (run by `Scripts/bench --convert-only`; standard library only).

  bench_convert.py --neatms BIN [--model MODEL.h5] [--runs R] [--warmup W] [--out DIR]

Makes MODEL (default: NeatMS's bundled Fixtures/neatms_default_model.h5) in every format NeatMSKit writes
(.h5, .keras, .onnx, .safetensors, Keras 3 .weights.h5, Keras 2 weights .h5) with BIN, then times
`BIN convert IN OUT --force` for every direction from each full-model format to every other format, and from each
weights-only format (with --architecture) back to a full model: each direction W untimed runs (default 1), then
R timed runs (default 7); the median wall time (process start to exit) and the median CPU time (user + system)
are reported. Each run is a whole process, so the figures include process start and reading and writing the files.

Output: a Markdown table on stdout and in DIR/convert.md, the raw figures in DIR/convert.json (default DIR:
.build/bench). The load average (`/proc/loadavg`) before and after is recorded: on a shared machine other work
inflates wall times, CPU time much less.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import run_once  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name in the table, file name, extra convert options when written (the format follows from the name).
FULL = [("keras-h5", "model.h5", []), ("keras", "model.keras", []), ("onnx", "model.onnx", []),
        ("safetensors", "model.safetensors", [])]
WEIGHTS = [("keras-weights", "model.weights.h5", []),
           ("keras-weights-h5", "legacy_weights.h5", ["--to", "keras-weights-h5"])]


def loadavg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "n/a"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--neatms", required=True)
    p.add_argument("--model", default=os.path.join(ROOT, "Fixtures", "neatms_default_model.h5"))
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--out", default=os.path.join(ROOT, ".build", "bench"))
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-convert-", dir=a.out)
    files = {}
    # The source in each format (the .h5 as given; the others written from it).
    src = os.path.join(work, "model.h5")
    run_once([a.neatms, "convert", a.model, src, "--force"], False)
    files["keras-h5"] = src
    for name, fname, extra in FULL[1:] + WEIGHTS:
        path = os.path.join(work, fname)
        run_once([a.neatms, "convert", src, path, "--force"] + extra, False)
        files[name] = path

    directions = []  # (from, to, command)
    for src_name, _, _ in FULL:
        for dst_name, fname, extra in FULL + WEIGHTS:
            if dst_name == src_name:
                continue
            out = os.path.join(work, "out_" + fname)
            directions.append((src_name, dst_name, [a.neatms, "convert", files[src_name], out, "--force"] + extra))
    for src_name, _, _ in WEIGHTS:
        out = os.path.join(work, "out_model.h5")
        directions.append((src_name, "keras-h5 (--architecture)",
                           [a.neatms, "convert", files[src_name], out, "--architecture", files["keras"], "--force"]))

    load_before = loadavg()
    started = time.time()
    rows = []
    for src_name, dst_name, cmd in directions:
        for _ in range(a.warmup):
            run_once(cmd, False)
        walls, cpus = [], []
        for _ in range(a.runs):
            _, wall, cpu = run_once(cmd, False)
            walls.append(wall)
            cpus.append(cpu)
        rows.append({"from": src_name, "to": dst_name, "command": cmd[1:], "runs": a.runs,
                     "wall_s": statistics.median(walls), "walls": walls,
                     "cpu_s": statistics.median(cpus), "cpus": cpus})
        print(f"{src_name} -> {dst_name}: wall {rows[-1]['wall_s'] * 1000:.1f} ms, "
              f"CPU {rows[-1]['cpu_s'] * 1000:.1f} ms", file=sys.stderr)
    load_after = loadavg()
    sizes = {name: os.path.getsize(path) for name, path in files.items()}
    meta = {"model": os.path.relpath(a.model, ROOT) if a.model.startswith(ROOT) else os.path.basename(a.model),
            "binary": os.path.relpath(a.neatms, ROOT) if a.neatms.startswith(ROOT) else a.neatms,
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
            "loadavg_before": load_before, "loadavg_after": load_after,
            "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)), "sizes": sizes}

    lines = [f"# `neatms convert` in every direction ({meta['model']})", "",
             f"{meta['machine']}; {a.runs} timed runs after {a.warmup} untimed, medians; "
             f"load average (1, 5, 15 min) {load_before} before, {load_after} after; started {meta['started_utc']} UTC.",
             "Each run is a whole process (start, read, convert, write atomically, exit).", "",
             "File sizes: " + ", ".join(f"{k} {v:,} bytes" for k, v in sizes.items()), "",
             "| from | to | wall (ms) | CPU (ms) |", "|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['from']} | {r['to']} | {r['wall_s'] * 1000:.1f} | {r['cpu_s'] * 1000:.1f} |")
    worst = max(rows, key=lambda r: r["wall_s"])
    lines += ["", f"Slowest direction: {worst['from']} → {worst['to']}, {worst['wall_s'] * 1000:.1f} ms wall "
              f"({worst['cpu_s'] * 1000:.1f} ms CPU)."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "convert.md"), "w") as fh:
        fh.write(text)
    with open(os.path.join(a.out, "convert.json"), "w") as fh:
        json.dump({"meta": meta, "directions": rows}, fh, indent=1)
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)
    print(text, end="")


if __name__ == "__main__":
    main()
