#!/usr/bin/env python3
"""Generate NeatMSKit's small synthetic LC-MS demo experiment into Fixtures/demo/.

Usage:  python3 Scripts/demo/make_demo_data.py [--out Fixtures/demo] [--seed 20261128] [--samples 4]
                                              [--features 120] [--run-end 270] [--cycle 0.8] [--noise 35]

The defaults write the committed demo. Another --seed and --samples (with --out elsewhere) write a separate
experiment from the same generator, e.g. the training data of Scripts/fixtures/train_default_model. --features,
--run-end (time of the last scan, s: a longer gradient), --cycle (MS1 cycle time, s) and --noise
(chemical-noise centroids per MS1 scan: bigger spectra) scale the runs up, e.g. Scripts/bench's
issue-sized run (one ~13 MB run with ~1,150 spectra and 5,600 peaks).

Needs only numpy and the standard library. Runs in .build/venv-neatms (made on first use from
Scripts/requirements/neatms.txt: numpy 1.26.4 on CPython 3.11), or in .build/venv-bench, which has the same
numpy; zlib's compressed bytes may differ with another zlib build, the decoded arrays do not. Everything is
drawn from one seeded numpy Generator, so a rerun writes the same files.

What it writes (see Fixtures/demo/README.md for the semantics):
  raw/sample_1.mzML ... raw/sample_4.mzML   centroided MS1 (+ a few DDA MS2), zlib, 64-bit floats,
                                            scan start time in seconds; samples 1-3 indexedmzML, 4 plain
  tables/mzmine_aligned.csv                 MZmine 2 aligned layout (RT in minutes, 0 = absent)
  tables/xcms_aligned.csv                   XCMS long layout with feature_id (RT in seconds)
  labels.csv                                ground truth per peak: sample,feature_id,mz,rt,label
  truth_details.csv                         the same peaks with the generator's shape kind and numbers
"""

import argparse
import base64
import hashlib
import io
import os
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neatmskit_scripts import venv  # noqa: E402

venv.use("neatms", "bench")

import numpy as np  # noqa: E402

from neatmskit_scripts.files import write_atomic  # noqa: E402
from neatmskit_scripts.paths import FIXTURES  # noqa: E402

# The software named in every mzML file's header. It is the name the committed demo files carry (the
# generator's path before Scripts/ was grouped by purpose): kept, so that a rerun writes the same bytes.
SOFTWARE_NAME = "NeatMSKit Scripts/make_demo_data.py"

SEED = 20261128
N_SAMPLES = 4
N_FEATURES = 120
RUN_START_S = 30.0          # first scan at 0.5 min
RUN_END_S = 270.0           # last scan before 4.5 min
CYCLE_S = 0.8               # MS1 cycle time
MS2_EVERY = 10              # two MS2 scans after every 10th MS1 scan
DETECTION_THRESHOLD = 100.0 # centroids below this intensity are not written (like a centroider's noise level)
N_CHEMICAL_NOISE = 35       # random chemical-noise centroids per MS1 scan
N_BACKGROUND_IONS = 20      # persistent background ions (present through the whole run)
N_BACKGROUND_FEATURES = 6
SCAN_TIME_UNIT = "second"   # unit of the mzML scan start times (--scan-time-unit)   # noise features whose window sits on a background ion
MZ_LOW, MZ_HIGH = 80.0, 950.0

# numpy 2 renamed trapz to trapezoid (same rule); the pinned numpy 1.26 has only trapz.
_trapezoid = getattr(np, "trapezoid", None) or getattr(np, "trapz")

LABELS = ("High_quality", "Low_quality", "Noise")
LABEL_FLIP_RATE = 0.04      # ground-truth labels moved to a neighbouring class (annotator disagreement)


# --------------------------------------------------------------------------------------------------
# Acquisition schedule
# --------------------------------------------------------------------------------------------------

def scan_schedule(rng):
    """Returns (ms1_times_s, spectra) where spectra is a list of (kind, time_s, ms1_index or None)."""
    spectra = []
    ms1_times = []
    t = RUN_START_S + rng.uniform(0.0, 0.3)
    while t < RUN_END_S:
        ms1_index = len(ms1_times)
        ms1_times.append(round(t, 4))
        spectra.append(("ms1", round(t, 4), ms1_index))
        if (ms1_index + 1) % MS2_EVERY == 0:
            spectra.append(("ms2", round(t + 0.27, 4), ms1_index))
            spectra.append(("ms2", round(t + 0.53, 4), ms1_index))
            t += CYCLE_S + 0.05  # the MS2 pair lengthens this cycle a little
        t += CYCLE_S + rng.normal(0.0, 0.01)
    return np.array(ms1_times), spectra


# --------------------------------------------------------------------------------------------------
# Peak shapes
# --------------------------------------------------------------------------------------------------

def emg(t, apex, sigma, tau):
    """Exponentially modified Gaussian sampled at t, scaled to a maximum of 1 (tau = 0: Gaussian).
    Computed as a numerical convolution on a 0.02 s grid, which needs no special functions."""
    if tau < 1e-3 * sigma:
        return np.exp(-0.5 * ((t - apex) / sigma) ** 2)
    dt = 0.02
    grid = np.arange(apex - 6.0 * sigma, apex + 6.0 * sigma + 12.0 * tau, dt)
    gauss = np.exp(-0.5 * ((grid - apex) / sigma) ** 2)
    kernel = np.exp(-np.arange(0.0, 12.0 * tau, dt) / tau)
    y = np.convolve(gauss, kernel)[: grid.size]
    y /= y.max()
    return np.interp(t, grid, y, left=0.0, right=0.0)


def sample_kind(rng, base, on_background):
    """Per-sample realised kind of a feature: mostly the feature's base class, sometimes another."""
    r = rng.uniform()
    if on_background:  # a feature picked on a persistent background ion
        return "noise_background" if r < 0.85 else "lq_low_sn"
    if base == "High_quality":
        if r < 0.80:
            return "hq"
        return rng.choice(["lq_low_sn", "lq_jagged", "noise_flat", "lq_tailing"])
    if base == "Low_quality":
        if r < 0.12:
            return "hq"
        if r < 0.20:
            return rng.choice(["noise_flat", "noise_bump"])
        return rng.choice(["lq_split", "lq_shoulder", "lq_tailing", "lq_jagged", "lq_low_sn",
                           "lq_truncated", "lq_interference", "lq_fronting"])
    # Noise
    if r < 0.10:
        return rng.choice(["lq_low_sn", "lq_jagged"])
    return rng.choice(["noise_flat", "noise_spikes", "noise_drift", "noise_bump", "noise_sparse"])


def base_label(kind):
    if kind == "hq":
        return "High_quality"
    if kind.startswith("lq_"):
        return "Low_quality"
    return "Noise"


# --------------------------------------------------------------------------------------------------
# One peak in one sample: the signal it adds to the raw data and its table row
# --------------------------------------------------------------------------------------------------

class PeakRecord:
    __slots__ = ("feature", "sample", "kind", "label", "present", "mz", "rt_s", "rt_start_s", "rt_end_s", "rt_start_j", "rt_end_j",
                 "mz_min", "mz_max", "height", "area", "area_bc", "sn", "details", "points")


def seconds_text(j):
    """Bound j on the 0.06 s grid written in seconds (XCMS)."""
    return f"{(6 * j) // 100}.{(6 * j) % 100:02d}"


def minutes_text(j):
    """The same bound written in minutes (MZmine): j / 1000 min."""
    return f"{j // 1000}.{j % 1000:03d}"


def snap_window(start_s, end_s, ms1_times, rng):
    """Places the window's bounds on a 0.06 s grid, clearly between scans, such that the XCMS value in
    seconds divided by 60 is bit for bit the MZmine value in minutes (so both tables give NeatMS the
    same peaks), and such that NeatMS's margin bounds rt_start - w, rt_end + w also fall between scans.
    Returns the grid indices (j_start, j_end): bound = j * 0.06 s = j / 1000 min."""
    times_min = ms1_times / 60.0

    def good(j):
        m = float(minutes_text(j))
        return float(seconds_text(j)) / 60.0 == m and np.min(np.abs(ms1_times - m * 60.0)) >= 0.05

    def candidates(x):
        j0 = int(round(x / 0.06))
        for d in range(0, 400):
            for j in ((j0 + d, j0 - d) if d else (j0,)):
                if j > 0 and good(j):
                    yield j

    js = next(candidates(start_s))
    for je in candidates(end_s):
        if je - js < 20:
            continue
        s, e = float(minutes_text(js)), float(minutes_text(je))
        w = e - s
        lo, hi = s - w, e + w
        if np.min(np.abs(times_min - lo)) >= 1e-5 and np.min(np.abs(times_min - hi)) >= 1e-5:
            return js, je
    raise RuntimeError("no window bounds found")


def mz_with_error(rng, mz, intensity, ppm_sigma):
    """Measured centroid m/z: the error grows at low intensity, as on an Orbitrap or TOF."""
    scale = ppm_sigma * np.minimum(4.0, np.sqrt(2.0e4 / np.maximum(intensity, 1.0)))
    scale = np.maximum(scale, 0.6 * ppm_sigma)
    return mz * (1.0 + rng.normal(0.0, 1.0, size=np.shape(intensity)) * scale * 1e-6)


def make_peak(rng, feature, sample_index, kind, ms1_times):
    """Builds one sample's peak of a feature. Returns a PeakRecord whose .points is a list of
    (ms1_index, mz, intensity) centroids this peak adds to the raw file."""
    p = PeakRecord()
    p.feature = feature
    p.sample = sample_index
    p.kind = kind
    p.details = {}
    mz0 = feature["mz"]
    apex = feature["rt_s"] + feature["rt_shift"][sample_index] + rng.normal(0.0, 0.4)
    sigma = feature["sigma_s"] * rng.uniform(0.9, 1.1)
    height = feature["height"] * feature["sample_factor"][sample_index]
    noise_sd = rng.uniform(60.0, 250.0)
    ppm_sigma = feature["ppm_sigma"]
    t = ms1_times
    signal = np.zeros_like(t)
    extra_points = []  # (index, mz, intensity) for interfering ions
    tau = 0.0
    start = end = None
    label_notes = []

    def gaussian(a, s):
        return np.exp(-0.5 * ((t - a) / s) ** 2)

    baseline_level = 0.0 if rng.uniform() < 0.45 else rng.uniform(0.5, 3.0) * noise_sd
    multiplicative = rng.uniform(0.02, 0.08)
    dropout = 0.0

    if kind == "hq":
        tau = sigma * abs(rng.normal(0.0, 0.45))
        signal = height * emg(t, apex, sigma, tau)
        sn = height / noise_sd
        if sn < 15.0:  # keep High_quality peaks clearly above the noise, but not all far above
            height = noise_sd * rng.uniform(15.0, 60.0)
            signal = height * emg(t, apex, sigma, tau)
        start = apex - rng.uniform(2.0, 3.0) * sigma
        end = apex + rng.uniform(2.0, 3.0) * sigma + 2.0 * tau
    elif kind == "lq_split":
        delta = rng.uniform(2.3, 3.6) * sigma
        ratio = rng.uniform(0.35, 1.0)
        signal = height * (gaussian(apex, sigma) + ratio * gaussian(apex + delta, sigma))
        start = apex - rng.uniform(2.0, 2.8) * sigma
        end = apex + delta + rng.uniform(2.0, 2.8) * sigma
        p.details.update(delta_sigma=delta / sigma, ratio=ratio)
    elif kind == "lq_shoulder":
        delta = rng.uniform(1.0, 1.6) * sigma * rng.choice([-1.0, 1.0])
        ratio = rng.uniform(0.3, 0.7)
        signal = height * (gaussian(apex, sigma) + ratio * gaussian(apex + delta, 0.8 * sigma))
        start = apex - rng.uniform(2.2, 3.0) * sigma - max(0.0, -delta)
        end = apex + rng.uniform(2.2, 3.0) * sigma + max(0.0, delta)
        p.details.update(delta_sigma=delta / sigma, ratio=ratio)
    elif kind == "lq_tailing":
        tau = sigma * rng.uniform(1.4, 4.0)
        signal = height * emg(t, apex, sigma, tau)
        start = apex - rng.uniform(2.0, 2.8) * sigma
        end = apex + rng.uniform(1.5, 3.0) * tau
        p.details.update(tau_sigma=tau / sigma)
    elif kind == "lq_fronting":
        tau = sigma * rng.uniform(1.4, 3.0)
        signal = height * emg(2.0 * apex - t, apex, sigma, tau)
        start = apex - rng.uniform(1.5, 3.0) * tau
        end = apex + rng.uniform(2.0, 2.8) * sigma
        p.details.update(tau_sigma=tau / sigma)
    elif kind == "lq_jagged":
        signal = height * gaussian(apex, sigma)
        multiplicative = rng.uniform(0.25, 0.55)
        dropout = rng.uniform(0.1, 0.35)
        start = apex - rng.uniform(2.0, 3.0) * sigma
        end = apex + rng.uniform(2.0, 3.0) * sigma
        p.details.update(jag=multiplicative, dropout=dropout)
    elif kind == "lq_low_sn":
        height = noise_sd * rng.uniform(3.0, 9.0)
        baseline_level = rng.uniform(1.0, 3.0) * noise_sd
        signal = height * gaussian(apex, sigma)
        start = apex - rng.uniform(2.0, 3.0) * sigma
        end = apex + rng.uniform(2.0, 3.0) * sigma
    elif kind == "lq_truncated":
        tau = sigma * abs(rng.normal(0.0, 0.3))
        signal = height * emg(t, apex, sigma, tau)
        if rng.uniform() < 0.5:   # the window misses the rising edge
            start = apex + rng.uniform(-0.6, 0.4) * sigma
            end = apex + rng.uniform(2.5, 3.5) * sigma + tau
        else:                     # the window misses the falling edge
            start = apex - rng.uniform(2.5, 3.5) * sigma
            end = apex + rng.uniform(-0.4, 0.6) * sigma
    elif kind == "lq_interference":
        signal = height * gaussian(apex, sigma)
        delta = rng.uniform(1.6, 3.0) * sigma * rng.choice([-1.0, 1.0])
        ratio = rng.uniform(0.4, 1.5)
        # An isobaric ion inside the m/z window elutes beside the peak, inside its RT window.
        mz_other = mz0 * (1.0 + rng.uniform(-3.0, 3.0) * 1e-6)
        other = height * ratio * gaussian(apex + delta, sigma * rng.uniform(0.8, 1.2))
        for i in np.nonzero(other > DETECTION_THRESHOLD)[0]:
            extra_points.append((i, mz_other, other[i]))
        start = apex - rng.uniform(2.0, 2.8) * sigma - max(0.0, -delta)
        end = apex + rng.uniform(2.0, 2.8) * sigma + max(0.0, delta)
        p.details.update(delta_sigma=delta / sigma, ratio=ratio)
    elif kind.startswith("noise_"):
        width = rng.uniform(3.5, 7.0) * sigma
        start = apex - width / 2
        end = apex + width / 2
        baseline_level = rng.uniform(1.0, 3.5) * noise_sd
        height = 0.0
        if kind == "noise_spikes":
            for _ in range(int(rng.integers(1, 3))):
                i = int(np.argmin(np.abs(t - rng.uniform(start - 0.3 * width, end + 0.3 * width))))
                signal[i] += noise_sd * rng.uniform(6.0, 25.0)
        elif kind == "noise_drift":
            slope = rng.uniform(3.0, 10.0) * noise_sd / width * rng.choice([-1.0, 1.0])
            signal = np.clip(slope * (t - apex) + rng.uniform(1.0, 3.0) * noise_sd * 2.0, 0.0, None)
            p.details.update(drift=slope * width / noise_sd)
        elif kind == "noise_bump":
            bump = noise_sd * rng.uniform(0.8, 3.0)
            signal = bump * gaussian(apex, sigma * rng.uniform(1.0, 2.0))
            p.details.update(bump_sn=bump / noise_sd)
        elif kind == "noise_background":
            # The window sits on a persistent background ion (written by the caller): no signal of its own.
            pass
        elif kind == "noise_sparse":
            baseline_level = rng.uniform(0.0, 0.5) * noise_sd
    else:
        raise ValueError(kind)

    # Peak table window: clearly between scans; keep inside the run.
    start = max(start, RUN_START_S + 2.0)
    end = min(end, RUN_END_S - 2.0)
    if end - start < 2.0:
        end = start + 2.0
    p.rt_start_j, p.rt_end_j = snap_window(start, end, ms1_times, rng)
    start, end = float(seconds_text(p.rt_start_j)), float(seconds_text(p.rt_end_j))
    width = end - start

    # Emit this peak's own trace across its NeatMS margin window and a bit beyond.
    span = (t >= start - 1.6 * width) & (t <= end + 1.6 * width)
    idx = np.nonzero(span)[0]
    points = []
    if kind != "noise_background":
        base = baseline_level * (1.0 + 0.15 * np.sin((t[idx] - apex) / 23.0))
        clean = signal[idx] * (1.0 + rng.normal(0.0, multiplicative, size=idx.size))
        intensity = clean + base + rng.normal(0.0, noise_sd, size=idx.size)
        keep = intensity > DETECTION_THRESHOLD
        if dropout > 0:
            keep &= rng.uniform(size=idx.size) > dropout
        mzs = mz_with_error(rng, mz0, intensity, ppm_sigma)
        for i, m, v, k in zip(idx, mzs, intensity, keep):
            if k:
                points.append((int(i), float(m), float(v)))
    for i, m_true, v in extra_points:
        v = v * (1.0 + rng.normal(0.0, 0.04))
        if v > DETECTION_THRESHOLD:
            points.append((int(i), float(mz_with_error(rng, m_true, np.array([v]), ppm_sigma)[0]), float(v)))
    p.points = [(i, np.float64(np.float32(m)), np.float64(np.float32(v))) for i, m, v in points]
    p.mz = mz0
    p.rt_start_s, p.rt_end_s = start, end
    p.label = base_label(kind)
    # Annotators disagree near class borders: a few labels go to the neighbouring class.
    if rng.uniform() < LABEL_FLIP_RATE:
        p.label = {"High_quality": "Low_quality", "Noise": "Low_quality",
                   "Low_quality": str(rng.choice(["High_quality", "Noise"]))}[p.label]
        p.details["flipped"] = 1.0
    return p


def finish_table_values(rng, p, ms1_times, ms1_arrays):
    """MZmine-like per-peak values measured on the raw data written: m/z bounds from the centroids near the
    peak's m/z inside its window, height and area from the summed chromatogram inside those bounds."""
    start, end = p.rt_start_s, p.rt_end_s
    width = end - start
    inside = [i for i in range(ms1_times.size) if start <= ms1_times[i] <= end]
    margin = [i for i in range(ms1_times.size) if start - width - 1.0 <= ms1_times[i] <= end + width + 1.0]
    mz0 = p.mz
    tol = mz0 * 12e-6
    near = np.concatenate([ms1_arrays[i][np.abs(ms1_arrays[i][:, 0] - mz0) <= tol] for i in inside]) \
        if inside else np.zeros((0, 2))
    if near.shape[0]:
        lo, hi = near[:, 0].min(), near[:, 0].max()
        p.mz = float(np.sum(near[:, 0] * near[:, 1]) / np.sum(near[:, 1]))
    else:
        lo, hi = mz0 - mz0 * 4e-6, mz0 + mz0 * 4e-6
    pad = mz0 * rng.uniform(0.5, 2.0) * 1e-6
    p.mz_min = round(lo - pad, 6)
    p.mz_max = round(hi + pad, 6)
    # No centroid within 1e-6 of a bound: comparisons stay unambiguous for every parser and reader.
    around = np.concatenate([ms1_arrays[i][:, 0] for i in margin]) if margin else np.zeros(0)
    around = around[np.abs(around - mz0) < 0.1]
    for _ in range(20):
        if around.size == 0 or np.min(np.abs(around - float(f"{p.mz_min:.6f}"))) > 1e-6:
            break
        p.mz_min = round(p.mz_min - 2e-6, 6)
    for _ in range(20):
        if around.size == 0 or np.min(np.abs(around - float(f"{p.mz_max:.6f}"))) > 1e-6:
            break
        p.mz_max = round(p.mz_max + 2e-6, 6)
    ts, ys = [], []
    for i in inside:
        arr = ms1_arrays[i]
        sel = (arr[:, 0] >= p.mz_min) & (arr[:, 0] <= p.mz_max)
        if sel.any():
            ts.append(ms1_times[i])
            ys.append(float(arr[sel, 1].sum()))
    if ys:
        ts, ys = np.array(ts), np.array(ys)
        p.height = float(ys.max())
        p.rt_s = float(ts[int(np.argmax(ys))])
        p.area = float(_trapezoid(ys, ts)) if ys.size > 1 else float(ys[0])
        p.area_bc = float(_trapezoid(ys - ys.min(), ts)) if ys.size > 1 else 0.0
        noise = np.std(ys[: max(2, ys.size // 5)]) if ys.size > 3 else 0.0
        p.sn = float(p.height / noise) if noise > 0 else float("nan")
    else:
        p.height = float(DETECTION_THRESHOLD)
        p.rt_s = 0.5 * (start + end)
        p.area = float(DETECTION_THRESHOLD * width)
        p.area_bc = 0.0
        p.sn = float("nan")
    p.rt_s = round(p.rt_s, 3)
    p.height = round(p.height, 1) or 1.0
    p.area = round(p.area, 1) or 1.0
    p.area_bc = round(p.area_bc, 1)


# --------------------------------------------------------------------------------------------------
# mzML writing
# --------------------------------------------------------------------------------------------------

def encode_array(values):
    raw = np.asarray(values, dtype="<f8").tobytes()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def binary_array_xml(values, kind, indent):
    enc = encode_array(values)
    if kind == "mz":
        name = '<cvParam cvRef="MS" accession="MS:1000514" name="m/z array" value="" unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>'
    else:
        name = '<cvParam cvRef="MS" accession="MS:1000515" name="intensity array" value="" unitCvRef="MS" unitAccession="MS:1000131" unitName="number of detector counts"/>'
    pad = " " * indent
    return (
        f'{pad}<binaryDataArray encodedLength="{len(enc)}">\n'
        f'{pad}  <cvParam cvRef="MS" accession="MS:1000523" name="64-bit float" value=""/>\n'
        f'{pad}  <cvParam cvRef="MS" accession="MS:1000574" name="zlib compression" value=""/>\n'
        f'{pad}  {name}\n'
        f'{pad}  <binary>{enc}</binary>\n'
        f'{pad}</binaryDataArray>\n'
    )


def spectrum_xml(index, native_id, ms_level, time_s, mz, intensity, precursor=None):
    mz = np.asarray(mz, dtype=np.float64)
    intensity = np.asarray(intensity, dtype=np.float64)
    out = io.StringIO()
    out.write(f'      <spectrum index="{index}" id="{native_id}" defaultArrayLength="{mz.size}">\n')
    if ms_level == 1:
        out.write('        <cvParam cvRef="MS" accession="MS:1000579" name="MS1 spectrum" value=""/>\n')
    else:
        out.write('        <cvParam cvRef="MS" accession="MS:1000580" name="MSn spectrum" value=""/>\n')
    out.write(f'        <cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="{ms_level}"/>\n')
    out.write('        <cvParam cvRef="MS" accession="MS:1000130" name="positive scan" value=""/>\n')
    out.write('        <cvParam cvRef="MS" accession="MS:1000127" name="centroid spectrum" value=""/>\n')
    out.write('        <scanList count="1">\n')
    out.write('          <cvParam cvRef="MS" accession="MS:1000795" name="no combination" value=""/>\n')
    out.write('          <scan>\n')
    if SCAN_TIME_UNIT == "minute":
        # As msconvert writes Thermo runs: minutes, up to 7 decimals (e.g. 8.8434315).
        out.write(f'            <cvParam cvRef="MS" accession="MS:1000016" name="scan start time" value="{time_s / 60.0:.7f}" unitCvRef="UO" unitAccession="UO:0000031" unitName="minute"/>\n')
    else:
        out.write(f'            <cvParam cvRef="MS" accession="MS:1000016" name="scan start time" value="{time_s:.4f}" unitCvRef="UO" unitAccession="UO:0000010" unitName="second"/>\n')
    out.write('          </scan>\n')
    out.write('        </scanList>\n')
    if ms_level == 2:
        out.write('        <precursorList count="1">\n')
        out.write('          <precursor>\n')
        out.write('            <isolationWindow>\n')
        out.write(f'              <cvParam cvRef="MS" accession="MS:1000827" name="isolation window target m/z" value="{precursor:.6f}" unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>\n')
        out.write('              <cvParam cvRef="MS" accession="MS:1000828" name="isolation window lower offset" value="0.5" unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>\n')
        out.write('              <cvParam cvRef="MS" accession="MS:1000829" name="isolation window upper offset" value="0.5" unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>\n')
        out.write('            </isolationWindow>\n')
        out.write('            <selectedIonList count="1">\n')
        out.write('              <selectedIon>\n')
        out.write(f'                <cvParam cvRef="MS" accession="MS:1000744" name="selected ion m/z" value="{precursor:.6f}" unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>\n')
        out.write('                <cvParam cvRef="MS" accession="MS:1000041" name="charge state" value="1"/>\n')
        out.write('              </selectedIon>\n')
        out.write('            </selectedIonList>\n')
        out.write('            <activation>\n')
        out.write('              <cvParam cvRef="MS" accession="MS:1000422" name="beam-type collision-induced dissociation" value=""/>\n')
        out.write('              <cvParam cvRef="MS" accession="MS:1000045" name="collision energy" value="30.0" unitCvRef="UO" unitAccession="UO:0000266" unitName="electronvolt"/>\n')
        out.write('            </activation>\n')
        out.write('          </precursor>\n')
        out.write('        </precursorList>\n')
    out.write('        <binaryDataArrayList count="2">\n')
    out.write(binary_array_xml(mz, "mz", 10))
    out.write(binary_array_xml(intensity, "i", 10))
    out.write('        </binaryDataArrayList>\n')
    out.write('      </spectrum>\n')
    return out.getvalue()


def chromatogram_xml(times_s, tic):
    times_min = np.asarray(times_s, dtype=np.float64)
    out = io.StringIO()
    out.write(f'      <chromatogram index="0" id="TIC" defaultArrayLength="{times_min.size}">\n')
    out.write('        <cvParam cvRef="MS" accession="MS:1000235" name="total ion current chromatogram" value=""/>\n')
    out.write('        <binaryDataArrayList count="2">\n')
    enc_t = encode_array(times_min)
    enc_i = encode_array(tic)
    out.write(f'          <binaryDataArray encodedLength="{len(enc_t)}">\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000523" name="64-bit float" value=""/>\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000574" name="zlib compression" value=""/>\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000595" name="time array" value="" unitCvRef="UO" unitAccession="UO:0000010" unitName="second"/>\n')
    out.write(f'            <binary>{enc_t}</binary>\n')
    out.write('          </binaryDataArray>\n')
    out.write(f'          <binaryDataArray encodedLength="{len(enc_i)}">\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000523" name="64-bit float" value=""/>\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000574" name="zlib compression" value=""/>\n')
    out.write('            <cvParam cvRef="MS" accession="MS:1000515" name="intensity array" value="" unitCvRef="MS" unitAccession="MS:1000131" unitName="number of detector counts"/>\n')
    out.write(f'            <binary>{enc_i}</binary>\n')
    out.write('          </binaryDataArray>\n')
    out.write('        </binaryDataArrayList>\n')
    out.write('      </chromatogram>\n')
    return out.getvalue()


def write_mzml(path, run_id, spectra_xml, native_ids, chrom_xml, indexed):
    """Writes an mzML 1.1 file; indexed=True wraps it in indexedmzML with byte offsets and SHA-1."""
    head = io.StringIO()
    head.write('<?xml version="1.0" encoding="utf-8"?>\n')
    if indexed:
        head.write('<indexedmzML xmlns="http://psi.hupo.org/ms/mzml" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://psi.hupo.org/ms/mzml http://psidev.info/files/ms/mzML/xsd/mzML1.1.2_idx.xsd">\n')
    head.write(f'<mzML xmlns="http://psi.hupo.org/ms/mzml" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://psi.hupo.org/ms/mzml http://psidev.info/files/ms/mzML/xsd/mzML1.1.0.xsd" id="{run_id}" version="1.1.0">\n')
    head.write('  <cvList count="2">\n')
    head.write('    <cv id="MS" fullName="Proteomics Standards Initiative Mass Spectrometry Ontology" version="4.1.30" URI="https://raw.githubusercontent.com/HUPO-PSI/psi-ms-CV/master/psi-ms.obo"/>\n')
    head.write('    <cv id="UO" fullName="Unit Ontology" version="09:04:2014" URI="https://raw.githubusercontent.com/bio-ontology-research-group/unit-ontology/master/unit.obo"/>\n')
    head.write('  </cvList>\n')
    head.write('  <fileDescription>\n')
    head.write('    <fileContent>\n')
    head.write('      <cvParam cvRef="MS" accession="MS:1000579" name="MS1 spectrum" value=""/>\n')
    head.write('      <cvParam cvRef="MS" accession="MS:1000580" name="MSn spectrum" value=""/>\n')
    head.write('      <cvParam cvRef="MS" accession="MS:1000127" name="centroid spectrum" value=""/>\n')
    head.write('    </fileContent>\n')
    head.write('  </fileDescription>\n')
    head.write('  <softwareList count="1">\n')
    head.write('    <software id="neatmskit_make_demo_data" version="1.0">\n')
    head.write(f'      <cvParam cvRef="MS" accession="MS:1000799" name="custom unreleased software tool" value="{SOFTWARE_NAME}"/>\n')
    head.write('    </software>\n')
    head.write('  </softwareList>\n')
    head.write('  <instrumentConfigurationList count="1">\n')
    head.write('    <instrumentConfiguration id="IC1">\n')
    head.write('      <cvParam cvRef="MS" accession="MS:1001911" name="Q Exactive" value=""/>\n')
    head.write('      <componentList count="3">\n')
    head.write('        <source order="1"><cvParam cvRef="MS" accession="MS:1000073" name="electrospray ionization" value=""/></source>\n')
    head.write('        <analyzer order="2"><cvParam cvRef="MS" accession="MS:1000484" name="orbitrap" value=""/></analyzer>\n')
    head.write('        <detector order="3"><cvParam cvRef="MS" accession="MS:1000624" name="inductive detector" value=""/></detector>\n')
    head.write('      </componentList>\n')
    head.write('    </instrumentConfiguration>\n')
    head.write('  </instrumentConfigurationList>\n')
    head.write('  <dataProcessingList count="1">\n')
    head.write('    <dataProcessing id="synthetic">\n')
    head.write('      <processingMethod order="0" softwareRef="neatmskit_make_demo_data">\n')
    head.write('        <cvParam cvRef="MS" accession="MS:1000544" name="Conversion to mzML" value=""/>\n')
    head.write('      </processingMethod>\n')
    head.write('    </dataProcessing>\n')
    head.write('  </dataProcessingList>\n')
    head.write(f'  <run id="{run_id}" defaultInstrumentConfigurationRef="IC1">\n')
    head.write(f'    <spectrumList count="{len(spectra_xml)}" defaultDataProcessingRef="synthetic">\n')

    buf = bytearray(head.getvalue().encode("utf-8"))
    spec_offsets = []
    for xml in spectra_xml:
        spec_offsets.append(len(buf) + 6)  # the spectrum element starts after its 6-space indent
        buf += xml.encode("utf-8")
    buf += b'    </spectrumList>\n'
    buf += b'    <chromatogramList count="1" defaultDataProcessingRef="synthetic">\n'
    chrom_offset = len(buf) + 6
    buf += chrom_xml.encode("utf-8")
    buf += b'    </chromatogramList>\n'
    buf += b'  </run>\n'
    buf += b'</mzML>\n'
    if indexed:
        index_offset = len(buf)
        idx = io.StringIO()
        idx.write('<indexList count="2">\n')
        idx.write('  <index name="spectrum">\n')
        for nid, off in zip(native_ids, spec_offsets):
            idx.write(f'    <offset idRef="{nid}">{off}</offset>\n')
        idx.write('  </index>\n')
        idx.write('  <index name="chromatogram">\n')
        idx.write(f'    <offset idRef="TIC">{chrom_offset}</offset>\n')
        idx.write('  </index>\n')
        idx.write('</indexList>\n')
        idx.write(f'<indexListOffset>{index_offset}</indexListOffset>\n')
        idx.write('<fileChecksum>')
        buf += idx.getvalue().encode("utf-8")
        digest = hashlib.sha1(bytes(buf)).hexdigest()
        buf += f'{digest}</fileChecksum>\n</indexedmzML>\n'.encode("utf-8")
    write_atomic(path, bytes(buf))


# --------------------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------------------

def make_features(rng, background_mz):
    features = []
    bases = rng.choice(list(LABELS), size=N_FEATURES, p=[0.47, 0.25, 0.28])
    n_neighbour_pairs = 14
    i = 0
    while len(features) < N_FEATURES:
        base = str(bases[len(features)])
        mz = float(rng.uniform(MZ_LOW + 20, MZ_HIGH - 30))
        f = dict(
            base=base,
            mz=mz,
            rt_s=float(rng.uniform(RUN_START_S + 20, RUN_END_S - 25)),
            sigma_s=float(rng.uniform(3.0, 15.0) / 2.355),
            height=float(np.exp(rng.uniform(np.log(4e3), np.log(3e6)))),
            ppm_sigma=float(rng.uniform(1.0, 2.5)),
            rt_shift=rng.normal(0.0, 1.2, size=N_SAMPLES),
            sample_factor=np.exp(rng.normal(0.0, 0.35, size=N_SAMPLES)),
            absent=rng.uniform(size=N_SAMPLES) < 0.12,
        )
        features.append(f)
        # Co-eluting neighbours in m/z: a second feature a few tens of mDa away at nearly the same RT,
        # outside this feature's m/z window but inside any careless wider one.
        if i < n_neighbour_pairs and len(features) < N_FEATURES:
            g = dict(f)
            g["base"] = str(bases[len(features)])
            g["mz"] = mz + float(rng.choice([-1.0, 1.0]) * rng.uniform(0.008, 0.03))
            g["rt_s"] = f["rt_s"] + float(rng.uniform(-4.0, 4.0))
            g["height"] = float(np.exp(rng.uniform(np.log(4e3), np.log(3e6))))
            g["rt_shift"] = f["rt_shift"] + rng.normal(0.0, 0.3, size=N_SAMPLES)
            g["sample_factor"] = np.exp(rng.normal(0.0, 0.35, size=N_SAMPLES))
            g["absent"] = rng.uniform(size=N_SAMPLES) < 0.12
            features.append(g)
        i += 1
    for f in features:
        if f["absent"].all():
            f["absent"][0] = False
    # Some noise features are a peak picker's windows on persistent background ions.
    singles = [f for f in features[2 * n_neighbour_pairs:] if f["base"] == "Noise"]
    for k, f in enumerate(singles[:N_BACKGROUND_FEATURES]):
        f["mz"] = float(background_mz[k])
        f["background"] = k
    features.sort(key=lambda f: f["mz"])  # MZmine lists rows by m/z here
    for k, f in enumerate(features):
        f["row"] = k
    return features


def make_background(rng, ms1_times, background_mz):
    ions = []
    for mz in background_mz:
        level = float(np.exp(rng.uniform(np.log(400.0), np.log(2e4))))
        walk = np.cumsum(rng.normal(0.0, 0.02, size=ms1_times.size))
        walk = np.convolve(walk, np.ones(25) / 25.0, mode="same")
        trend = level * np.exp(walk) * (1.0 + rng.normal(0.0, 0.12, size=ms1_times.size))
        ions.append(dict(mz=mz, intensity=trend))
    return ions


def main():
    global SEED, N_SAMPLES, N_FEATURES, RUN_END_S, CYCLE_S, N_CHEMICAL_NOISE, SCAN_TIME_UNIT  # the module constants are the defaults; options replace them for this run
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(FIXTURES / "demo"))
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED}, the committed demo)")
    parser.add_argument("--samples", type=int, default=N_SAMPLES, help=f"number of runs (default {N_SAMPLES})")
    parser.add_argument("--features", type=int, default=N_FEATURES, help=f"feature table rows (default {N_FEATURES})")
    parser.add_argument("--run-end", type=float, default=RUN_END_S, help=f"time of the last scan in seconds (default {RUN_END_S:g})")
    parser.add_argument("--cycle", type=float, default=CYCLE_S, help=f"MS1 cycle time in seconds (default {CYCLE_S})")
    parser.add_argument("--noise", type=float, default=N_CHEMICAL_NOISE,
                        help=f"mean chemical-noise centroids per MS1 scan (default {N_CHEMICAL_NOISE})")
    parser.add_argument("--scan-time-unit", choices=("second", "minute"), default=SCAN_TIME_UNIT,
                        help="unit of the mzML scan start times (default second; Thermo runs converted by msconvert "
                             "give minutes, e.g. 8.8434315)")
    args = parser.parse_args()
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    if args.features < 40:
        parser.error("--features must be at least 40 (the neighbour pairs and background features need them)")
    if not 120 <= args.run_end <= 36000:
        parser.error("--run-end must be between 120 and 36000 seconds")
    if not 0.15 <= args.cycle <= 5.0:
        parser.error("--cycle must be between 0.15 and 5 seconds")
    if not 0 <= args.noise <= 1e5:
        parser.error("--noise must be between 0 and 100000")
    SEED, N_SAMPLES, SCAN_TIME_UNIT = args.seed, args.samples, args.scan_time_unit
    N_FEATURES, RUN_END_S, CYCLE_S, N_CHEMICAL_NOISE = args.features, args.run_end, args.cycle, args.noise
    out = os.path.normpath(args.out)
    rng = np.random.default_rng(SEED)
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, zlib {zlib.ZLIB_RUNTIME_VERSION}, seed {SEED}")

    background_mz = rng.uniform(MZ_LOW + 20, MZ_HIGH - 30, size=N_BACKGROUND_IONS)
    features = make_features(rng, background_mz)
    sample_names = [f"sample_{k + 1}.mzML" for k in range(N_SAMPLES)]
    peaks = {}  # (row, sample) -> PeakRecord

    for s, sample_name in enumerate(sample_names):
        srng = np.random.default_rng([SEED, s + 1])
        ms1_times, spectra = scan_schedule(srng)
        n = ms1_times.size
        background = make_background(srng, ms1_times, background_mz)
        scan_points = [[] for _ in range(n)]  # per MS1 scan: list of (mz, intensity)
        # Chemical noise: random m/z in every scan.
        for i in range(n):
            k = int(srng.poisson(N_CHEMICAL_NOISE))
            mzs = srng.uniform(MZ_LOW, MZ_HIGH, size=k)
            ints = np.exp(srng.normal(np.log(350.0), 0.6, size=k))
            scan_points[i].extend(zip(mzs, ints))
        # Persistent background ions.
        for ion in background:
            for i in range(n):
                v = ion["intensity"][i]
                if v > DETECTION_THRESHOLD and srng.uniform() < 0.93:
                    m = float(mz_with_error(srng, ion["mz"], np.array([v]), 2.0)[0])
                    scan_points[i].append((m, v))
        # Peaks.
        sample_peaks = []
        for f in features:
            kind = sample_kind(srng, f["base"], f.get("background") is not None)
            p = make_peak(srng, f, s, kind, ms1_times)
            p.present = not f["absent"][s]
            if not p.present and srng.uniform() < 0.5:
                p.points = []  # undetected and not there at all
            for i, m, v in p.points:
                scan_points[i].append((m, v))
            sample_peaks.append(p)
        # The MS1 spectra as written: float32-representable values, sorted by m/z.
        ms1_arrays = []
        for i in range(n):
            arr = np.array(scan_points[i], dtype=np.float64).reshape(-1, 2)
            arr[:, 0] = arr[:, 0].astype(np.float32)
            arr[:, 1] = arr[:, 1].astype(np.float32)
            order = np.argsort(arr[:, 0], kind="stable")
            ms1_arrays.append(arr[order])
        # Table values measured on those spectra.
        for p in sample_peaks:
            finish_table_values(srng, p, ms1_times, ms1_arrays)
            peaks[(p.feature["row"], s)] = p

        # Assemble spectra.
        spectra_xml, native_ids, tic, times = [], [], [], []
        for index, (kind, time_s, ms1_index) in enumerate(spectra):
            nid = f"scan={index + 1}"
            native_ids.append(nid)
            if kind == "ms1":
                arr = ms1_arrays[ms1_index]
                spectra_xml.append(spectrum_xml(index, nid, 1, time_s, arr[:, 0], arr[:, 1]))
                tic.append(float(arr[:, 1].sum()))
            else:
                arr = ms1_arrays[ms1_index]
                # DDA: fragment one of the most intense ions of the preceding MS1 scan.
                top = np.argsort(arr[:, 1])[::-1]
                pick = int(top[0 if spectra[index - 1][0] == "ms1" else 1])
                precursor = float(arr[pick, 0])
                k = int(srng.integers(8, 25))
                frag_mz = np.sort(srng.uniform(50.0, precursor - 10.0, size=k)).astype(np.float32).astype(np.float64)
                frag_i = np.exp(srng.normal(np.log(2e3), 1.0, size=k)).astype(np.float32).astype(np.float64)
                spectra_xml.append(spectrum_xml(index, nid, 2, time_s, frag_mz, frag_i, precursor=precursor))
                tic.append(float(frag_i.sum()))
            times.append(time_s)
        path = os.path.join(out, "raw", sample_name)
        write_mzml(path, sample_name[:-5], spectra_xml, native_ids, chromatogram_xml(times, tic), indexed=(s < N_SAMPLES - 1))
        print(f"{sample_name}: {n} MS1 + {len(spectra) - n} MS2 spectra, "
              f"{sum(len(a) for a in ms1_arrays)} MS1 centroids, {os.path.getsize(path) / 1e6:.2f} MB")

    write_tables(out, features, sample_names, peaks)


def write_tables(out, features, sample_names, peaks):
    # MZmine 2 aligned table (RT in minutes; 0 = absent; trailing comma on every line).
    header = ["row m/z", "row retention time"]
    for name in sample_names:
        header += [f"{name} Peak m/z", f"{name} Peak RT", f"{name} Peak RT start", f"{name} Peak RT end",
                   f"{name} Peak height", f"{name} Peak area", f"{name} Peak m/z min", f"{name} Peak m/z max"]
    lines = [",".join(header) + ","]
    xcms_rows = []
    label_rows = []
    detail_rows = []
    for f in features:
        present = [peaks[(f["row"], s)] for s in range(len(sample_names)) if peaks[(f["row"], s)].present]
        row_mz = np.mean([p.mz for p in present])
        row_rt = np.mean([p.rt_s / 60.0 for p in present])
        cells = [f"{row_mz:.6f}", f"{row_rt:.6f}"]
        for s, name in enumerate(sample_names):
            p = peaks[(f["row"], s)]
            if not p.present:
                cells += ["0"] * 8
                continue
            cells += [f"{p.mz:.6f}", f"{p.rt_s / 60.0:.6f}", minutes_text(p.rt_start_j), minutes_text(p.rt_end_j),
                      f"{p.height:.1f}", f"{p.area:.1f}", f"{p.mz_min:.6f}", f"{p.mz_max:.6f}"]
            xcms_rows.append((s, f["row"], p))
            label_rows.append((name, f["row"], p))
        lines.append(",".join(cells) + ",")
    write_atomic(os.path.join(out, "tables", "mzmine_aligned.csv"), ("\n".join(lines) + "\n").encode())

    # XCMS long table: one row per peak, sorted by sample then m/z like chromPeaks(); RT in seconds.
    xcms_rows.sort(key=lambda r: (r[0], r[2].mz))
    lines = ["mz,mzmin,mzmax,rt,rtmin,rtmax,into,intb,maxo,sn,sample,sample_name,feature_id"]
    for s, row, p in xcms_rows:
        sn = "NA" if not np.isfinite(p.sn) else f"{p.sn:.1f}"
        lines.append(",".join([
            f"{p.mz:.6f}", f"{p.mz_min:.6f}", f"{p.mz_max:.6f}", f"{p.rt_s:.3f}", seconds_text(p.rt_start_j),
            seconds_text(p.rt_end_j), f"{p.area:.1f}", f"{p.area_bc:.1f}", f"{p.height:.1f}", sn, str(s + 1),
            sample_names[s], f"FT{row:04d}"]))
    write_atomic(os.path.join(out, "tables", "xcms_aligned.csv"), ("\n".join(lines) + "\n").encode())

    # Ground truth.
    label_rows.sort(key=lambda r: (r[0], r[1]))
    lines = ["sample,feature_id,mz,rt,label"]
    details = ["sample,feature_id,mz,rt,label,kind,feature_base_class,params"]
    for name, row, p in label_rows:
        lines.append(f"{name},{row},{p.mz:.4f},{p.rt_s / 60.0:.3f},{p.label}")
        params = ";".join(f"{k}={v:.3g}" for k, v in sorted(p.details.items()))
        details.append(f"{name},{row},{p.mz:.4f},{p.rt_s / 60.0:.3f},{p.label},{p.kind},{p.feature['base']},{params}")
    write_atomic(os.path.join(out, "labels.csv"), ("\n".join(lines) + "\n").encode())
    write_atomic(os.path.join(out, "truth_details.csv"), ("\n".join(details) + "\n").encode())

    counts = {lab: sum(1 for _, _, p in label_rows if p.label == lab) for lab in LABELS}
    print(f"{len(features)} features, {len(label_rows)} labelled peaks: " +
          ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
