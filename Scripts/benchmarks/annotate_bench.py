#!/usr/bin/env python3
"""Benchmark of `neatms annotate` (not a test): how soon the first peak is there, and how long the server
takes for each next peak.

 1. Start → first peak: the time from starting `neatms annotate --no-open` on Fixtures/demo to the first
    answer of /api/state (the page's first request: table read, queue ordered, the first peak's chromatograms
    in all four samples built), and, when selenium and Debian's chromium are there, to the page having drawn
    it in headless Chromium.
 2. Each next peak: 100 labels through POST /api/label; the server's own time for each (its Server-Timing
    header: writing and syncing LABELS.csv, finding the next peak, building its view) and the round trip.
 3. Retraining: 300 peaks labelled with the demo's true labels (Fixtures/demo/labels.csv), then one round
    with the bundled model: the time until the round (and the new probabilities) is done.
 4. A 10,000-peak experiment: the demo's MZmine table repeated 24 times (2,880 features, 10,368 peaks, m/z
    shifted by 1e-4 per copy, against the same four mzML files): start → first peak again.

Run with a release build (as Scripts/quickstart builds it):

    swift build -c release --static-swift-stdlib --product neatms
    .build/venv-browser/bin/python Scripts/benchmarks/annotate_bench.py .build/release/neatms
"""
import http.client
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

root = pathlib.Path(__file__).resolve().parents[2]
demo = root / "Fixtures" / "demo"


def start(neatms, table, labels, extra=()):
    t0 = time.monotonic()
    process = subprocess.Popen(
        [neatms, "annotate", "--raw", str(demo / "raw"), "--features", str(table), "--format", "mzmine",
         "--labels", str(labels), "--no-open", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()
    return process, url, t0


def request(url, method, path, body=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"X-Token": urllib.parse.parse_qs(parts.query)["token"][0]}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = json.loads(response.read())
    timing = response.getheader("Server-Timing") or ""
    connection.close()
    server_ms = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
    return response.status, data, server_ms


def first_peak(neatms, table, label):
    with tempfile.TemporaryDirectory() as work:
        process, url, t0 = start(neatms, table, pathlib.Path(work) / "labels.csv")
        try:
            status, data, _ = request(url, "GET", "/api/state")
            elapsed = time.monotonic() - t0
            assert status == 200 and data["peak"], data
            print(f"{label}: start → first peak served {elapsed * 1000:.0f} ms "
                  f"({data['progress']['queue']} peaks in the queue)")
        finally:
            process.terminate()
            process.wait()


def first_peak_in_browser(neatms):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        print("browser: selenium not installed (use .build/venv-browser/bin/python): skipped")
        return
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.get("about:blank")  # the browser itself is up before the clock starts
    with tempfile.TemporaryDirectory() as work:
        process, url, t0 = start(neatms, demo / "tables" / "mzmine_aligned.csv", pathlib.Path(work) / "labels.csv")
        try:
            served = time.monotonic()
            driver.get(url)
            loaded = time.monotonic()
            WebDriverWait(driver, 30).until(
                lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
            drawn = time.monotonic()
            print(f"demo in headless Chromium: start → first peak drawn {(drawn - t0) * 1000:.0f} ms "
                  f"(URL printed after {(served - t0) * 1000:.0f} ms, page loaded after {(loaded - t0) * 1000:.0f} ms)")
        finally:
            driver.quit()
            process.terminate()
            process.wait()


def next_peaks(neatms, count=100):
    classes = ["High_quality", "Low_quality", "Noise"]
    with tempfile.TemporaryDirectory() as work:
        process, url, _ = start(neatms, demo / "tables" / "mzmine_aligned.csv", pathlib.Path(work) / "labels.csv")
        try:
            _, data, _ = request(url, "GET", "/api/state")
            server, wall = [], []
            for i in range(count):
                t = time.monotonic()
                status, data, ms = request(url, "POST", "/api/label",
                                           {"position": data["peak"]["position"], "label": classes[i % 3]})
                wall.append((time.monotonic() - t) * 1000)
                assert status == 200, data
                server.append(ms)
            server.sort()
            wall.sort()
            print(f"next peak ({count} labels on the demo): server median {statistics.median(server):.1f} ms, "
                  f"p95 {server[int(0.95 * count) - 1]:.1f} ms, max {server[-1]:.1f} ms; "
                  f"round trip median {statistics.median(wall):.1f} ms")
        finally:
            process.terminate()
            process.wait()


def retrain(neatms, count=300):
    import csv
    with open(demo / "labels.csv", newline="") as f:
        truth = {(r["sample"], r["feature_id"]): r["label"] for r in csv.DictReader(f)}
    with tempfile.TemporaryDirectory() as work:
        process, url, _ = start(neatms, demo / "tables" / "mzmine_aligned.csv", pathlib.Path(work) / "labels.csv",
                                ["--model", str(root / "Fixtures" / "neatms_default_model.h5")])
        try:
            _, data, _ = request(url, "GET", "/api/state")
            for _ in range(count):
                peak = data["peak"]
                _, data, _ = request(url, "POST", "/api/label", {"position": peak["position"],
                                                                 "label": truth[(peak["sample"], peak["feature"])]})
            t = time.monotonic()
            request(url, "POST", "/api/retrain")
            while True:
                _, data, _ = request(url, "GET", "/api/retrain")
                if not data["retrain"]["running"]:
                    break
                time.sleep(0.05)
            r = data["retrain"]["rounds"][-1]
            print(f"retrain on {count} labels (the demo's true labels): round done after {time.monotonic() - t:.2f} s "
                  f"(training {r['seconds']:.2f} s on {r['trained']} peaks, held-out accuracy "
                  f"{r['heldOutAccuracy'] * 100:.1f} % on {r['heldOut']})")
        finally:
            process.terminate()
            process.wait()


def big_table(folder):
    source = (demo / "tables" / "mzmine_aligned.csv").read_text().splitlines()
    header, rows = source[0], source[1:]
    lines = [header]
    for copy in range(24):
        for row in rows:
            cells = row.split(",")
            # Shift every m/z column (row m/z, Peak m/z, Peak m/z min/max) by copy × 1e-4.
            names = header.split(",")
            for i, name in enumerate(names):
                if (name == "row m/z" or name.endswith("Peak m/z") or name.endswith("Peak m/z min")
                        or name.endswith("Peak m/z max")) and cells[i] not in ("", "0"):
                    cells[i] = repr(float(cells[i]) + copy * 1e-4)
            lines.append(",".join(cells))
    path = pathlib.Path(folder) / "mzmine_10k.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    neatms = os.path.abspath(sys.argv[1])
    first_peak(neatms, demo / "tables" / "mzmine_aligned.csv", "demo")
    first_peak_in_browser(neatms)
    next_peaks(neatms)
    retrain(neatms)
    with tempfile.TemporaryDirectory() as folder:
        first_peak(neatms, big_table(folder), "10,368-peak table")


if __name__ == "__main__":
    main()
