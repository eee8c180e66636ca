#!/usr/bin/env python3
"""Groups the inputs a fuzz run saved (crash-*, timeout-*, leak-*, oom-*) by stack and says where each group is.

    Scripts/robustness/fuzz_findings.py HARNESS ARTIFACT...      (standard library only; Scripts/fuzz --keep-going
                                                                 runs it on the inputs its run saved)

Each input is run once more by the harness alone (AddressSanitizer's slow unwinder, so that stacks go through
libhdf5, which has no frame pointers; a hang is stopped after 5 s, enough to see where it loops). A finding is
the kind (hang, leak, the AddressSanitizer report, a signal) and the first three frames below the sanitizer,
libFuzzer and libc, then the outermost named frame of that library (the API call; for a hang only the last three
named frames, the call path into the loop, wherever the timer stopped it). It is "in libhdf5" when that first
frame is in libhdf5 and "in NeatMSKit" when it is in this checkout's Sources/ (the first NeatMSKit frame of a
libhdf5 finding is shown as the call that reached it).
For each finding: how many inputs had it and the smallest of them. Exits 1 if any finding is in NeatMSKit's
code or could not be placed, so that a run with only libhdf5 findings passes.
"""

import os
import re
import subprocess
import sys

FRAME = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ (?:in (\S+) )?(.*)$")
RUNTIME = ("compiler-rt", "llvm-project", "/libc.so", "libc.so.6", "libstdc++", "libgcc_s", "ld-linux")


def frames(block):
    """(function, location) of the first stack in `block`."""
    out = []
    for line in block.splitlines():
        m = FRAME.match(line)
        if m:
            if m.group(1) == "0" and out:
                break
            out.append((m.group(2) or "", m.group(3)))
        elif out and not line.strip():
            break
    return out


def module(location):
    if "libhdf5" in location:
        return "libhdf5"
    if "/Fuzz/Sources/" in location:
        return "harness"
    if "/Sources/" in location:
        return "NeatMSKit"
    if any(r in location for r in RUNTIME):
        return "runtime"
    return "other"


def short(function, location):
    if function and "libhdf5" in location:
        return function
    if "libhdf5" in location:
        return "libhdf5+" + location.split("+")[-1].split(")")[0]
    m = re.search(r"(Sources/.*?:\d+)", location)
    if m:
        return m.group(1)
    return function or location


def classify(harness, path):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=60:symbolize=1:" + env.get(
        "ASAN_OPTIONS", ""
    )
    run = subprocess.run(
        [harness, "-timeout=5", "-rss_limit_mb=2560", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
        errors="replace",
    )
    log = run.stdout
    if run.returncode == 0:
        return ("does not reproduce", "-", "", "")
    kind = "crash"
    start = 0
    for pattern, name in [
        (r"ERROR: libFuzzer: timeout", "hang"),
        (r"ERROR: LeakSanitizer: detected memory leaks", "leak"),
        (r"ERROR: libFuzzer: out-of-memory", "out-of-memory"),
        (r"ERROR: AddressSanitizer: requested allocation size", "allocation-size-too-big"),
        (r"ERROR: AddressSanitizer: out of memory", "out-of-memory"),
        (r"ERROR: AddressSanitizer: ([\w-]+)", None),
        (r"ERROR: libFuzzer: deadly signal", "signal"),
        (r"Fatal error", "Swift trap"),
    ]:
        m = re.search(pattern, log)
        if m:
            kind = name or m.group(1)
            start = m.start()
            break
    stack = frames(log[start:])
    own = [(f, loc) for f, loc in stack if module(loc) not in ("runtime", "other")]
    if not own:
        return (kind, "unknown", "", "")
    where = module(own[0][1])
    region = []
    for f, loc in own:
        if module(loc) != where:
            break
        region.append((f, loc))
    named = [short(f, loc) for f, loc in region if f and "+0x" not in short(f, loc)]
    if kind == "hang":
        # Stopped anywhere inside the loop: the call path into it is what stays the same.
        key = "… ← " + " ← ".join(named[-3:])
    else:
        key = " ← ".join(short(f, loc) for f, loc in region[:3])
        if named and named[-1] not in key:
            key += " … ← " + named[-1]
    caller = next((short(f, loc) for f, loc in own if module(loc) == "NeatMSKit"), "")
    return (kind, where, key, caller)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    harness, paths = sys.argv[1], sys.argv[2:]
    groups = {}
    for path in paths:
        finding = classify(harness, path)
        groups.setdefault(finding, []).append(path)
    bad = False
    print("| kind | where | first frames | reached from | inputs | smallest input |")
    print("|---|---|---|---|---:|---|")
    for (kind, where, key, caller), inputs in sorted(groups.items(), key=lambda g: -len(g[1])):
        smallest = min(inputs, key=os.path.getsize)
        size = os.path.getsize(smallest)
        print(f"| {kind} | {where} | {key} | {caller} | {len(inputs)} | {os.path.basename(smallest)} ({size} B) |")
        if where not in ("libhdf5", "-"):
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
