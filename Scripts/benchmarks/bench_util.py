#!/usr/bin/env python3
"""Helpers for Scripts/bench (standard library only).

  bench_util.py first-line --runs R --out F.json -- CMD ARGS...
      Runs CMD R times; for each run records the seconds from process start to its first result (the
      first stdout line after a CSV header, i.e. the second line; or the first line when the output has one
      line) and to its exit, and the CPU seconds (user + system) it and its children used. Writes the
      medians (and all runs) as JSON. stdout of CMD is discarded
      after the first result; a non-zero exit is an error (its stderr is shown).
  bench_util.py timed --runs R [--warmup W] --out F.json -- CMD ARGS...
      Same, recording only the time to exit (for commands that write their results to a file).
      Both run the command W times untimed first (default 1).
  bench_util.py median-run OUT.json RUN.json...
      Of several runs of Scripts/benchmarks/bench_neatms.py (one JSON object each), writes the run with the median
      total_s to OUT.json, with "runs" and every run's total added (in the order given).
  bench_util.py merge-blocks OUT.json BLOCK.json...
      Merges blocks written by `timed` (in the order they ran) into one result: medians over every run,
      and each block's median total as "block_totals" (for paired ratios).
  bench_util.py report DIR
      Reads DIR/*.json written by Scripts/bench and prints the side-by-side table; writes the same table
      as Markdown to DIR/results.md.
"""
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd, want_first_line):
    """(seconds to the first result, seconds to exit, CPU seconds) of one run; one child at a time, so the
    change in RUSAGE_CHILDREN is this command's (a shell wrapper that execs counts as the command)."""
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = None
    lines = 0
    if want_first_line:
        for raw in proc.stdout:
            lines += 1
            if lines == 2:
                first = time.perf_counter() - t0
                break
    _, err = proc.communicate()
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
        raise SystemExit(f"command failed with exit code {proc.returncode}: {' '.join(cmd)}")
    if want_first_line and first is None:
        first = total
    return first, total, children_cpu() - cpu0


def timing(args, want_first_line):
    runs = 3
    warmup = 1
    out = None
    while args and args[0] != "--":
        if args[0] == "--runs":
            runs = int(args[1])
            args = args[2:]
        elif args[0] == "--warmup":
            warmup = int(args[1])
            args = args[2:]
        elif args[0] == "--out":
            out = args[1]
            args = args[2:]
        else:
            raise SystemExit(f"unknown option {args[0]}")
    cmd = args[1:]
    firsts, totals, cpus = [], [], []
    # Untimed first runs: the system settles after the previous (Python/TensorFlow) measurement, whose
    # hundreds of MB the kernel is still reclaiming; the first runs after it are 10-30% slower.
    for _ in range(warmup):
        run_once(cmd, want_first_line)
    for _ in range(runs):
        f, t, c = run_once(cmd, want_first_line)
        firsts.append(f)
        totals.append(t)
        cpus.append(c)
    result = {"command": cmd, "runs": runs, "total_s": statistics.median(totals), "totals": totals,
              "cpu_s": statistics.median(cpus), "cpus": cpus}
    if want_first_line:
        result["first_result_s"] = statistics.median(firsts)
        result["firsts"] = firsts
    with open(out, "w") as fh:
        json.dump(result, fh)
    print(json.dumps({k: v for k, v in result.items() if k not in ("command",)}))


def load(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError:
            return None


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def report(folder):
    meta = load(folder, "meta.json") or {}
    rows = []  # (section, measure, neatmskit, other, ratio, target)

    def ratio(swift, other, higher_is_better):
        if swift is None or other is None or swift == 0 or other == 0:
            return None
        return swift / other if higher_is_better else other / swift

    ks = load(folder, "keras_network.json")
    ss = load(folder, "swift_network.json")
    cs = load(folder, "swift_coldstart.json")
    ck = load(folder, "keras_coldstart.json")
    network_measured = any((ks, ss, cs, ck))  # not with --data-only
    for key, label, target in (
        ("inference_b32_per_s", "inference, batch 32 (matrices/s)", "≥ 2×"),
        ("inference_b1024_per_s", "inference, batch 1024 (matrices/s)", "≥ 1.2×"),
        ("train_b32_per_s", "training, 1 epoch, batch 32 (samples/s)", "≥ 2×"),
    ):
        s = ss.get(key) if ss else None
        k = ks.get(key) if ks else None
        rows.append(("Network vs Keras", label, fmt(s), fmt(k), ratio(s, k, True), target))
    for key, label in (
        ("inference_b32_per_cpu_s", "inference, batch 32 (matrices per CPU-s)"),
        ("inference_b1024_per_cpu_s", "inference, batch 1024 (matrices per CPU-s)"),
        ("train_b32_per_cpu_s", "training, batch 32 (samples per CPU-s)"),
    ):
        s = ss.get(key) if ss else None
        k = ks.get(key) if ks else None
        rows.append(("Network vs Keras", label, fmt(s), fmt(k), ratio(s, k, True), ""))
    s = cs.get("first_result_s") if cs else None
    k = ck.get("first_result_s") if ck else None
    n = meta.get("coldstart_matrices")
    rows.append(("Network vs Keras", f"cold start: predict {n} matrices, to first result (s)", fmt(s), fmt(k),
                 ratio(s, k, False), "≥ 10×"))
    # The whole `neatms predict --matrices` process against Keras's in-process predict alone.
    sw = load(folder, "swift_predict_whole.json")
    kw = load(folder, "keras_predict_whole.json")
    if sw or kw:
        count = (kw or {}).get("count", "?")
        s = sw.get("total_s") if sw else None
        for batch, target in ((32, ""), (1024, "≥ 1.2×")):
            k = kw.get(f"predict_b{batch}_s") if kw else None
            rows.append(("Network vs Keras",
                         f"whole `neatms predict --matrices` of {count} vs Keras's in-process predict, batch {batch} (s)",
                         fmt(s), fmt(k), ratio(s, k, False), target))
        s = sw.get("cpu_s") if sw else None
        k = kw.get("predict_b1024_cpu_s") if kw else None
        rows.append(("Network vs Keras", "the same, CPU time (CPU-s; Keras batch 1024)", fmt(s), fmt(k),
                     ratio(s, k, False), ""))

    for ds in meta.get("datasets", []):
        name = ds["name"]
        nm = load(folder, f"neatms_{name}.json")
        sw = load(folder, f"swift_{name}.json")
        if not nm and not sw and not load(folder, f"swift_extract_{name}.json"):
            continue  # not measured (--network-only)
        mb = (nm or {}).get("mzml_bytes", ds.get("mzml_bytes", 0)) / 1e6
        peaks = (nm or {}).get("peaks") or ds.get("peaks")
        s_total = sw.get("total_s") if sw else None
        n_total = nm.get("total_s") if nm else None
        section = f"Data path vs NeatMS 0.9: {name} ({ds['samples']} runs, {mb:.1f} MB, {peaks} peaks)"
        rows.append((section, "whole predict (s)", fmt(s_total), fmt(n_total), ratio(s_total, n_total, False), "≥ 20×"))
        # Other load on a shared machine only ever adds time: the fastest run of each side is the least
        # disturbed measurement of the same work.
        s_best = min(sw["totals"]) if sw and sw.get("totals") else None
        n_best = min(nm["totals"]) if nm and nm.get("totals") else None
        if s_best and n_best:
            rows.append((section, "whole predict, fastest run of each side (s)", fmt(s_best), fmt(n_best),
                         ratio(s_best, n_best, False), ""))
        # Pairs: each NeatMS run against the NeatMSKit runs right after it (the sides take turns).
        pairs = list(zip(nm.get("totals", []), sw.get("block_totals", []))) if nm and sw else []
        if pairs:
            paired = statistics.median(n / s for n, s in pairs if s)
            rows.append((section, f"whole predict, paired ratio (median of {len(pairs)} turns)", "", "", paired, ""))
        runs = (nm or {}).get("samples") or ds.get("samples")
        rows.append((section, "per run (s/run)", fmt(s_total / runs if s_total and runs else None),
                     fmt(n_total / runs if n_total and runs else None), ratio(s_total, n_total, False), ""))
        rows.append((section, "per MB of mzML (s/MB)", fmt(s_total / mb if s_total and mb else None),
                     fmt(n_total / mb if n_total and mb else None), ratio(s_total, n_total, False), ""))
        rows.append((section, "per peak (ms/peak)", fmt(1e3 * s_total / peaks if s_total and peaks else None),
                     fmt(1e3 * n_total / peaks if n_total and peaks else None), ratio(s_total, n_total, False), ""))
        se = load(folder, f"swift_extract_{name}.json")
        if nm or se:
            s_ex = se.get("total_s") if se else None
            n_ex = nm.get("extract_s") if nm else None
            rows.append((section, "reading + matrix extraction only (s)", fmt(s_ex), fmt(n_ex),
                         ratio(s_ex, n_ex, False), ""))
        # CPU seconds (every thread): time the machine's other tenants take from a process is not counted.
        s_cpu = sw.get("cpu_s") if sw else None
        n_cpu = nm.get("cpu_s") if nm else None
        if s_cpu or n_cpu:
            rows.append((section, "whole predict, CPU time of all threads (CPU-s)", fmt(s_cpu), fmt(n_cpu),
                         ratio(s_cpu, n_cpu, False), ""))
        if nm:
            rows.append((section, "NeatMS: whole predict incl. Python/TensorFlow import (s)", "",
                         fmt(nm.get("total_with_import_s")), ratio(s_total, nm.get("total_with_import_s"), False), ""))

    if not network_measured:
        rows = [row for row in rows if row[0] != "Network vs Keras"]
    headers = ("measure", "NeatMSKit", "Keras / NeatMS", "ratio", "target")
    md = [f"# NeatMSKit benchmark ({meta.get('date', '?')})", "",
          f"Machine: {meta.get('machine', '?')}; threads per side: {meta.get('threads', '?')}; "
          f"load average at start: {meta.get('load', '?')}.",
          f"Versions: {meta.get('versions', '?')}. Model (both sides): `{meta.get('model', '?')}`.",
          "Ratio: how many times faster NeatMSKit is (above 1 = NeatMSKit faster). Rates are wall-clock unless "
          "marked CPU-s (work per second of the process's CPU time, robust to other load on the machine).", ""]
    notes = meta.get("notes", [])
    text = []
    current = None
    for section, label, s, k, r, target in rows:
        if section != current:
            current = section
            md += ["", f"## {section}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            text += ["", section, f"  {'measure':52s} {'NeatMSKit':>12s} {'Keras/NeatMS':>13s} {'ratio':>8s}  target"]
        rs = f"{r:.2f}×" if r else "n/a"
        md.append(f"| {label} | {s} | {k} | {rs} | {target} |")
        text.append(f"  {label:52s} {s:>12s} {k:>13s} {rs:>8s}  {target}")
    if notes:
        md += ["", "Notes:", ""] + [f"- {n}" for n in notes]
        text += ["", "Notes:"] + [f"  - {n}" for n in notes]
    with open(os.path.join(folder, "results.md"), "w") as fh:
        fh.write("\n".join(md) + "\n")
    print("\n".join(text))
    print(f"\n(written to {os.path.join(folder, 'results.md')})")


def median_run(out, paths):
    in_order = [json.load(open(path)) for path in paths]
    runs = sorted(in_order, key=lambda run: run["total_s"])
    median = dict(runs[len(runs) // 2], runs=len(runs), totals=[run["total_s"] for run in in_order])
    with open(out, "w") as handle:
        json.dump(median, handle)


def merge_blocks(out, paths):
    blocks = [json.load(open(path)) for path in paths]
    totals = [t for block in blocks for t in block["totals"]]
    cpus = [c for block in blocks for c in block.get("cpus", [])]
    merged = {"command": blocks[0]["command"], "runs": len(totals), "total_s": statistics.median(totals),
              "totals": totals, "block_totals": [block["total_s"] for block in blocks]}
    if cpus:
        merged.update(cpu_s=statistics.median(cpus), cpus=cpus)
    with open(out, "w") as handle:
        json.dump(merged, handle)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "first-line":
        timing(args, True)
    elif command == "timed":
        timing(args, False)
    elif command == "median-run":
        median_run(args[0], args[1:])
    elif command == "merge-blocks":
        merge_blocks(args[0], args[1:])
    elif command == "report":
        report(args[0])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
