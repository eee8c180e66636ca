#!/usr/bin/env python3
"""Kill `neatms train --checkpoint CKPT --resume` with SIGKILL at random moments, resume, and check that
every finished run's model equals an uninterrupted run's bit for bit.

Standard library only (plus `h5diff` from hdf5-tools for the comparison). The training data is made from
the committed demo experiment with `neatms dataset`. Usage:

    Scripts/robustness/kill_resume.py [--kills 200] [--neatms .build/release/neatms] [--seed S]

Prints one line per finished round and a closing summary; exits 1 when any round differs.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def same(a, b, objects):
    """h5diff compares the values exactly (no tolerance given); exit 0 means no differences."""
    for obj in objects:
        r = subprocess.run(["h5diff", a, b, obj, obj], capture_output=True, text=True)
        if r.returncode != 0:
            return False, f"{obj}: {r.stdout.strip().splitlines()[-1:] or r.stderr.strip()}"
    return True, ""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=200)
    p.add_argument("--neatms", default=os.path.join(ROOT, ".build", "release", "neatms"))
    p.add_argument("--seed", type=int, default=None, help="seed of the kill moments (default: random, printed)")
    p.add_argument("--epochs", type=int, default=16)
    args = p.parse_args()
    if not os.access(args.neatms, os.X_OK):
        sys.exit(f"kill_resume.py: {args.neatms}: not an executable (build with swift build -c release, or pass --neatms)")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="neatmskit-kill-resume-")
    demo = os.path.join(ROOT, "Fixtures", "demo")
    peaks = os.path.join(work, "peaks.h5")
    subprocess.run([args.neatms, "dataset", "--raw", os.path.join(demo, "raw"), "--features",
                    os.path.join(demo, "tables", "mzmine_aligned.csv"), "--format", "mzmine", "--matrix-size", "32",
                    "--labels", os.path.join(demo, "labels.csv"), "-o", peaks],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def command(out, ckpt):
        return [args.neatms, "train", "--data", peaks, "--epochs", str(args.epochs), "--batch-size", "16",
                "--lr", "0.001", "--seed", "11", "--early-stopping", "8", "--checkpoint", ckpt, "--resume", "-o", out]

    ref, ref_ckpt = os.path.join(work, "reference.h5"), os.path.join(work, "reference.ckpt.h5")
    began = time.monotonic()
    subprocess.run(command(ref, ref_ckpt), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    duration = time.monotonic() - began
    print(f"kill_resume: kill-moment seed {seed}; uninterrupted run {duration:.2f} s ({args.epochs} epochs)")

    kills = resumed_kills = rounds = failures = 0
    out, ckpt = os.path.join(work, "killed.h5"), os.path.join(work, "killed.ckpt.h5")
    while kills < args.kills:
        rounds += 1
        for f in (out, ckpt):
            if os.path.exists(f):
                os.remove(f)
        round_kills = 0
        while True:
            had_checkpoint = os.path.exists(ckpt)
            child = subprocess.Popen(command(out, ckpt), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                status = child.wait(timeout=rng.uniform(0, duration * 0.5))
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait()
                kills += 1
                round_kills += 1
                resumed_kills += had_checkpoint
                continue
            if status != 0:
                print(f"round {rounds}: neatms train exited with {status}")
                failures += 1
            break
        ok, why = same(ref, out, ["/model_weights", "/optimizer_weights"])
        if ok:
            ok, why = same(os.path.join(work, "reference.validation.h5"), os.path.join(work, "killed.validation.h5"), ["/"])
        leftovers = [n for n in os.listdir(work) if n.endswith(".tmp")]
        if leftovers:
            ok, why = False, f"temporary files left: {leftovers}"
        failures += not ok
        print(f"round {rounds}: {round_kills} kills, {'bit-identical' if ok else 'DIFFERS: ' + why}", flush=True)
    print(f"kill_resume: {kills} kills ({resumed_kills} of runs resumed from a checkpoint) in {rounds} rounds; "
          f"{rounds - failures} of {rounds} results bit-identical to the uninterrupted run")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
