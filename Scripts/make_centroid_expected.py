#!/usr/bin/env python3
"""Reference centroids for NeatMSKit's profile-spectrum centroiding (Tests/MassSpecTests), from pymzml.

NeatMS reads every MS1 spectrum with pymzml's `spectrum.peaks("centroided")`: a spectrum that carries the
"profile spectrum" term (MS:1000128) is centroided by pymzml's three-point Gauss fit, any other spectrum is
returned as stored. This script records what pymzml returns, so that NeatMSKit can be held to it.

Writes
  Fixtures/mzml/synthetic/profile.mzML   small profile spectra made to hit every branch of pymzml's fit:
                                         a maximum at position 1 (pymzml skips positions 0 and 1), uneven
                                         spacing (skipped), equal neighbours (pymzml raises the right one by
                                         1%), neighbours of zero intensity, a maximum at the last point,
                                         plateaus, 32-bit arrays, and noisy Gaussian profiles; plus the same
                                         arrays marked "centroid spectrum" (returned unchanged);
  Fixtures/mzml/centroided.json          per MS1 spectrum of that file: every centroid pymzml returns; per MS1
                                         spectrum of ../shared/data/mzml-variants/profile-data-zlib-indexed-
                                         compressed.mzML: the number of raw points and centroids, the sums of
                                         centroid m/z and intensity, and every 50th centroid.

Usage: python Scripts/make_centroid_expected.py [--shared ../shared/data]
       (in a venv with Scripts/requirements-mzml.txt)
"""
import argparse
import json
from pathlib import Path

import numpy as np

from make_mzml_expected import OUT_DIR, SYNTHETIC_DIR, document, encode, level, rt, version, write_atomic

PROFILE = '<cvParam cvRef="MS" accession="MS:1000128" name="profile spectrum" value=""/>'
CENTROID = '<cvParam cvRef="MS" accession="MS:1000127" name="centroid spectrum" value=""/>'
SHARED_PROFILE = "mzml-variants/profile-data-zlib-indexed-compressed.mzML"


def array_xml(role_accession, role_name, values, scheme):
    text, _ = encode(values, scheme)
    bits = ("MS:1000523", "64-bit float") if scheme.startswith("f64") else ("MS:1000521", "32-bit float")
    return (
        f'<binaryDataArray encodedLength="{len(text)}">'
        f'<cvParam cvRef="MS" accession="{bits[0]}" name="{bits[1]}" value=""/>'
        '<cvParam cvRef="MS" accession="MS:1000574" name="zlib compression" value=""/>'
        f'<cvParam cvRef="MS" accession="{role_accession}" name="{role_name}" value=""/>'
        f"<binary>{text}</binary></binaryDataArray>"
    )


def spectrum_xml(index, kind_term, mz, intensity, scheme):
    arrays = [
        array_xml("MS:1000514", "m/z array", mz, scheme),
        array_xml("MS:1000515", "intensity array", intensity, scheme),
    ]
    return (
        f'<spectrum index="{index}" id="scan={index + 1}" defaultArrayLength="{len(mz)}">\n'
        f"  {level(1)}{kind_term}\n"
        f'  <scanList count="1"><scan>{rt(str(1.5 + index), "UO:0000031", "minute")}</scan></scanList>\n'
        f'  <binaryDataArrayList count="2">\n    ' + "\n    ".join(arrays) + "\n  </binaryDataArrayList>\n"
        "</spectrum>"
    )


def crafted_profiles():
    """(mz, intensity, scheme) of the synthetic profile spectra."""
    cases = []
    # Every branch of the fit, at hand-picked positions.
    mz = 100.0 + 0.01 * np.arange(24)
    intensity = [1, 5, 2, 3, 9, 4, 0, 6, 6, 6, 2, 1, 4, 9, 4, 0.5, 20, 8, 0, 7, 3, 2, 5, 30]
    cases.append((mz, np.asarray(intensity, dtype=float), "f64+zlib"))
    # Uneven spacing around maxima: one ratio above 10 (skipped), one just below (kept).
    mz = np.array([200.0, 200.01, 200.02, 200.5, 200.51, 200.52, 200.53, 200.62, 200.63, 200.64])
    intensity = np.array([1.0, 2.0, 8.0, 3.0, 2.0, 5.0, 9.0, 4.0, 9.0, 1.0])
    cases.append((mz, intensity, "f64+zlib"))
    # Noisy Gaussian profile peaks on a baseline, 64- and 32-bit.
    rng = np.random.default_rng(20261129)
    mz = np.sort(rng.uniform(300.0, 302.0, 400))
    intensity = 50 + rng.normal(0, 5, mz.size).clip(-40, 40)
    for centre, height, width in ((300.3, 5e4, 0.004), (300.9, 2e3, 0.006), (301.5, 8e5, 0.003)):
        intensity += height * np.exp(-0.5 * ((mz - centre) / width) ** 2)
    cases.append((mz, intensity, "f64+zlib"))
    cases.append((mz, intensity, "f32+zlib"))
    # Too short to hold a centroid.
    cases.append((np.array([400.0, 400.01, 400.02]), np.array([1.0, 5.0, 1.0]), "f64+zlib"))
    return cases


def pymzml_peaks(path):
    """[(id, raw point count, centroids as [[mz, intensity], ...])] of the MS1 spectra of `path`."""
    import pymzml

    result = []
    for spectrum in pymzml.run.Reader(str(path)):
        if spectrum.ms_level != 1:
            continue
        raw = spectrum.peaks("raw")
        centroids = spectrum.peaks("centroided")
        result.append((spectrum.ID, len(raw), [[float(mz), float(i)] for mz, i in centroids]))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    args = parser.parse_args()

    cases = crafted_profiles()
    spectra = [spectrum_xml(i, PROFILE, mz, intensity, scheme) for i, (mz, intensity, scheme) in enumerate(cases)]
    spectra += [spectrum_xml(len(cases) + i, CENTROID, mz, intensity, scheme)
                for i, (mz, intensity, scheme) in enumerate(cases[:2])]
    path = SYNTHETIC_DIR / "profile.mzML"
    write_atomic(path, document(spectra).encode())
    synthetic = [{"id": ident, "raw_points": count, "centroids": peaks} for ident, count, peaks in pymzml_peaks(path)]

    shared = []
    for ident, count, peaks in pymzml_peaks(args.shared / SHARED_PROFILE):
        values = np.asarray(peaks, dtype=float).reshape(-1, 2)
        shared.append({
            "id": ident, "raw_points": count, "centroid_count": len(peaks),
            "sum_mz": float(values[:, 0].sum()), "sum_intensity": float(values[:, 1].sum()),
            "sampled_centroids": [[i, peaks[i][0], peaks[i][1]] for i in range(0, len(peaks), 50)],
        })
    result = {
        "generator": "Scripts/make_centroid_expected.py",
        "readers": [version("pymzml"), version("numpy")],
        "synthetic": {"file": "synthetic/profile.mzML", "spectra": synthetic},
        "shared": {"file": SHARED_PROFILE, "spectra": shared},
    }
    write_atomic(OUT_DIR / "centroided.json", (json.dumps(result, indent=1) + "\n").encode())
    print(f"wrote {OUT_DIR / 'centroided.json'} and {path}")


if __name__ == "__main__":
    main()
