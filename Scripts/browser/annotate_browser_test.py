#!/usr/bin/env python3
"""Drives `neatms annotate`'s real page in headless Chromium (Debian's chromium + chromium-driver, through
Python selenium) on the bundled demo:

 1. starts `neatms annotate --no-open --model Fixtures/neatms_default_model.h5` on Fixtures/demo with a fresh
    labels file, reads the URL (first stdout line);
 2. checks the server refuses a request without the token and one with another Host header (403);
 3. labels peaks with the keys 1/2/3, undoes one (u), skips one (s), until 30 peaks are labelled, checking
    after every key that the labels file already holds the label (before the next peak is used);
 4. checks the model's probabilities are shown, retrains with `r` (held-out accuracy shown) and saves the
    fine-tuned model from the page; takes the screenshot docs/annotate.png then (with --screenshot);
 5. kills the server with SIGKILL, restarts the same command, and checks the page resumes: 30 labelled, the
    shown peak unlabelled (the skipped one), the file unchanged, labelling goes on;
 6. runs `neatms dataset` and `neatms train` (2 epochs) on the labels file.

Ends with `N passed, M failed`; exit status 1 on any failure.

    Scripts/browser/annotate_browser_test.py NEATMS_BINARY [--screenshot docs/annotate.png]
"""
import csv
import http.client
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

root = pathlib.Path(__file__).resolve().parents[2]
demo = root / "Fixtures" / "demo"
results = {"passed": 0, "failed": 0}


def check(condition, what):
    if condition:
        results["passed"] += 1
        print(f"ok   {what}")
    else:
        results["failed"] += 1
        print(f"FAIL {what}")
    return condition


def start_server(neatms, labels):
    process = subprocess.Popen(
        [neatms, "annotate", "--raw", str(demo / "raw"), "--features", str(demo / "tables" / "mzmine_aligned.csv"),
         "--format", "mzmine", "--labels", str(labels), "--seed", "1", "--no-open",
         "--model", str(root / "Fixtures" / "neatms_default_model.h5")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit(f"neatms annotate printed {url!r} first, not its URL; stderr: {process.stderr.read()}")
    return process, url


def raw_status(url, host=None, token=True):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = "/api/state" + ("?" + parts.query if token else "")
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or parts.netloc)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, json.loads(body or b"{}")


def file_labels(labels):
    with open(labels, newline="") as f:
        return [(r["sample"], r["feature_id"], r["label"]) for r in csv.DictReader(f)]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--window-size=1400,1000"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def body_data(driver, name):
    return driver.find_element(By.TAG_NAME, "body").get_attribute("data-" + name)


def wait_idle(driver):
    WebDriverWait(driver, 20).until(lambda d: body_data(d, "ready") == "1" and body_data(d, "busy") == "0")


def press(driver, key):
    driver.find_element(By.TAG_NAME, "body").send_keys(key)
    wait_idle(driver)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    neatms = os.path.abspath(sys.argv[1])
    screenshot = None
    if "--screenshot" in sys.argv:
        screenshot = pathlib.Path(sys.argv[sys.argv.index("--screenshot") + 1])
    work = pathlib.Path(tempfile.mkdtemp(prefix="annotate-browser-"))
    labels = work / "labels.csv"
    classes = ["High_quality", "Low_quality", "Noise"]

    server, url = start_server(neatms, labels)
    driver = browser()
    try:
        status, body = raw_status(url, token=False)
        check(status == 403 and "token" in body.get("error", ""), "a request without the token gets 403 with a message")
        status, body = raw_status(url, host="rebound.example:%d" % urllib.parse.urlsplit(url).port)
        check(status == 403 and "Host" in body.get("error", ""), "a request with another Host header gets 403 with a message")

        started = time.monotonic()
        driver.get(url)
        wait_idle(driver)
        check(driver.find_elements(By.CSS_SELECTOR, "#plot svg path"), "the page draws the chromatogram")
        print(f"     first peak on screen {time.monotonic() - started:.3f} s after loading the page")

        expected = []  # (sample, feature, label) in labelling order
        key_presses = 0
        undone = skipped = False
        while len(expected) < 30:
            sample, feature = body_data(driver, "sample"), body_data(driver, "feature")
            if len(expected) == 10 and not skipped:
                press(driver, "s")
                skipped_peak = (sample, feature)
                skipped = True
                check((body_data(driver, "sample"), body_data(driver, "feature")) != skipped_peak,
                      "s skips to another peak")
                check(len(file_labels(labels)) == 10, "a skip writes no label")
                continue
            label_index = key_presses % 3
            press(driver, str(label_index + 1))
            key_presses += 1
            expected.append((sample, feature, classes[label_index]))
            in_file = file_labels(labels)
            if in_file != expected:
                check(False, f"after key {key_presses} the file holds the labels so far")
                break
            if len(expected) == 20 and not undone:
                press(driver, "u")
                undone = True
                expected.pop()
                check(file_labels(labels) == expected, "u removes the last label from the file")
                check((body_data(driver, "sample"), body_data(driver, "feature")) == (sample, feature),
                      "u shows the peak whose label it removed")
        check(file_labels(labels) == expected, "30 keyboard labels are in the file, in labelling order")
        check(driver.find_element(By.ID, "labelled").text == "30", "the progress line counts 30")
        press(driver, Keys.ARROW_LEFT)
        check(body_data(driver, "label") != "", "← shows the previous (labelled) peak with its label")
        press(driver, Keys.ARROW_RIGHT)
        check(len(driver.find_elements(By.CSS_SELECTOR, "#probs .prob")) == 3, "the model's three probabilities are shown")

        press(driver, "r")
        WebDriverWait(driver, 300).until(lambda d: body_data(d, "rounds") == "1" and "retraining" not in d.find_element(By.ID, "rounds").text)
        wait_idle(driver)
        rounds = driver.find_element(By.ID, "rounds").text
        check("round 1: held-out accuracy" in rounds, f"r retrains in the background and shows the held-out accuracy ({rounds})")
        driver.find_element(By.ID, "save").click()
        WebDriverWait(driver, 60).until(lambda d: "saved" in d.find_element(By.ID, "message").text)
        check((work / "labels.retrained.h5").exists(), "the page saves the fine-tuned model as labels.retrained.h5")
        if screenshot:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(screenshot))
            print(f"     wrote {screenshot}")

        server.send_signal(signal.SIGKILL)
        server.wait()
        check(file_labels(labels) == expected, "after SIGKILL the file holds all 30 labels")

        server, url = start_server(neatms, labels)
        driver.get(url)
        wait_idle(driver)
        check(driver.find_element(By.ID, "labelled").text == "30", "restarted: the page shows 30 labelled")
        shown = (body_data(driver, "sample"), body_data(driver, "feature"))
        check(shown == skipped_peak, "restarted: it resumes at the first unlabelled peak (the skipped one)")
        check(body_data(driver, "label") == "", "restarted: the shown peak is unlabelled")
        press(driver, "2")
        expected.append((shown[0], shown[1], "Low_quality"))
        check(file_labels(labels) == expected, "restarted: labelling goes on in the same file")
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
            check(server.returncode == 0, f"SIGINT ends the server cleanly (exit {server.returncode})")
        except subprocess.TimeoutExpired:
            server.kill()
            check(False, "SIGINT ends the server within 10 s")

    peaks = work / "peaks.h5"
    dataset = subprocess.run(
        [neatms, "dataset", "--raw", str(demo / "raw"), "--features", str(demo / "tables" / "mzmine_aligned.csv"),
         "--format", "mzmine", "--labels", str(labels), "-o", str(peaks)], capture_output=True, text=True)
    check(dataset.returncode == 0, "neatms dataset reads the labels file" + (": " + dataset.stderr if dataset.returncode else ""))
    train = subprocess.run(
        [neatms, "train", "--data", str(peaks), "--model", str(root / "Fixtures" / "neatms_default_model.h5"),
         "--freeze-first", "4", "--lr", "1e-4", "--epochs", "2", "--validation-split", "0.1", "-o", str(work / "tuned.h5")],
        capture_output=True, text=True)
    check(train.returncode == 0 and (work / "tuned.h5").exists(),
          "neatms train fine-tunes on them" + (": " + train.stderr if train.returncode else ""))
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
