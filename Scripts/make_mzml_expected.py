#!/usr/bin/env python3
"""Reference values for NeatMSKit's mzML reader (Tests/MassSpecTests), from independent Python readers.

Writes
  Fixtures/mzml/expected.json          what pymzml (NeatMS's reader) or pyteomics reads from every file of
                                       ../shared/data/mzml-variants and ../shared/data/lcms/*/mzML, and the
                                       expected values of the synthetic files below;
  Fixtures/mzml/synthetic/*.mzML(.gz)  small files this script writes: every array encoding (zlib, 32/64-bit,
                                       MS-Numpress linear/pic/slof with and without zlib, referenceable param
                                       groups, wrapped base64), scan start time with the unit given only by its
                                       UO accession, interleaved MS2 (with a corrupt array that must never be
                                       decoded), and one file per error case.

Per shared file: number of MS1 spectra, first/last scan start time in minutes, and for the first, middle and
last MS1 spectrum its id, array length, sum of m/z, sum of intensity and first three (m/z, intensity) pairs.
pymzml is tried first (it is what NeatMS uses); where it fails the error is recorded and pyteomics (with psims
and pynumpress) is the reference. Each reader runs in a subprocess: pynumpress aborts the process on corrupt
input. Files no reader can read, or that hold no MS1 spectrum, carry the error NeatMSKit must report.

Numpress values of the synthetic files are encoded and decoded with pynumpress (the reference C++ codec).

Usage: python Scripts/make_mzml_expected.py [--shared ../shared/data]   (in a venv with Scripts/requirements-mzml.txt)
"""
import argparse
import base64
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Fixtures" / "mzml"
SYNTHETIC_DIR = OUT_DIR / "synthetic"

# What NeatMSKit must report for shared files that hold no readable MS1 spectrum (MzMLError.Kind).
EXPECTED_ERRORS = {
    "mzml-variants/empty.mzML": ("emptyFile", "zero bytes"),
    "mzml-variants/empty_XML.mzML": ("noSpectraOfLevel", "its only spectrum has an empty ms level"),
    "mzml-variants/indexed-broken.mzML": ("malformedXML", "content after the root element"),
    "mzml-variants/mini.chrom.mzML": ("chromatogramsOnly", "chromatograms, no spectra"),
    "mzml-variants/numpress-pic-corrupt.mzML": ("corruptArray", "truncated MS-Numpress pic array"),
}


# ----------------------------------------------------------------------------------------------------------
# Reading with pymzml / pyteomics (run in a subprocess: `--probe READER PATH` prints one JSON object)

def summarise(spectra):
    """spectra: list of (id, rt_minutes, mz array, intensity array) of the MS1 spectra in file order."""
    n = len(spectra)
    result = {"ms1_count": n}
    if n == 0:
        return result
    result["first_rt_min"] = spectra[0][1]
    result["last_rt_min"] = spectra[-1][1]
    picks = sorted({0, n // 2, n - 1})
    result["spectra"] = [
        {
            "ms1_ordinal": k,
            "id": spectra[k][0],
            "rt_min": spectra[k][1],
            "length": int(len(spectra[k][2])),
            "mz_sum": math.fsum(float(x) for x in spectra[k][2]),
            "intensity_sum": math.fsum(float(x) for x in spectra[k][3]),
            "first_points": [[float(m), float(i)] for m, i in zip(spectra[k][2][:3], spectra[k][3][:3])],
        }
        for k in picks
    ]
    return result


def probe_pymzml(path):
    import pymzml

    spectra = []
    for s in pymzml.run.Reader(path):
        if s.ms_level == 1:
            spectra.append((s.element.get("id"), float(s.scan_time_in_minutes()), np.asarray(s.mz), np.asarray(s.i)))
    return summarise(spectra)


def probe_pyteomics(path):
    from pyteomics import mzml

    source = gzip.open(path, "rb") if path.endswith(".gz") else path
    spectra = []
    with mzml.read(source, decode_binary=True) as reader:
        for s in reader:
            if s.get("ms level") != 1 and not (s.get("ms level") is None and "MS1 spectrum" in s):
                continue
            start = s["scanList"]["scan"][0]["scan start time"]
            unit = getattr(start, "unit_info", None)
            if unit in ("minute", "UO:0000031"):
                rt = float(start)
            elif unit in ("second", "UO:0000010"):
                rt = float(start) / 60
            else:
                raise ValueError(f"unknown scan start time unit {unit!r}")
            spectra.append((s["id"], rt, s["m/z array"], s["intensity array"]))
    return summarise(spectra)


def run_probe(reader, path):
    """(summary, None) or (None, error message)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--probe", reader, str(path)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode == 0:
        return json.loads(proc.stdout.strip().splitlines()[-1]), None
    lines = [line for line in (proc.stdout + proc.stderr).strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if proc.returncode < 0:
        return None, f"process killed by signal {-proc.returncode} ({last})"
    return None, last


def version(module):
    from importlib.metadata import version as v

    return f"{module} {v(module)}"


def shared_entries(shared):
    files = sorted((shared / "mzml-variants").iterdir()) + sorted((shared / "lcms").glob("*/mzML/*.mzML"))
    entries = {}
    for path in files:
        rel = str(path.relative_to(shared))
        entry = {}
        summary, error = run_probe("pymzml", path)
        if summary is not None:
            entry["reference"] = version("pymzml")
        else:
            entry["pymzml_error"] = error
            summary, error = run_probe("pyteomics", path)
            if summary is not None:
                entry["reference"] = version("pyteomics")
            else:
                entry["pyteomics_error"] = error
        if summary is not None:
            entry.update(summary)
        if rel in EXPECTED_ERRORS:
            entry["expected_error"], entry["why"] = EXPECTED_ERRORS[rel]
        elif summary is None or summary["ms1_count"] == 0:
            raise SystemExit(f"{rel}: no reference values and no expected error")
        entries[rel] = entry
        print(f"{rel}: {entry.get('reference', 'error')} {entry.get('ms1_count', '')} {entry.get('expected_error', '')}")
    return entries


# ----------------------------------------------------------------------------------------------------------
# Synthetic files

CV = {
    "mz": ("MS:1000514", "m/z array"),
    "intensity": ("MS:1000515", "intensity array"),
    "f32": ("MS:1000521", "32-bit float"),
    "f64": ("MS:1000523", "64-bit float"),
    "none": ("MS:1000576", "no compression"),
    "zlib": ("MS:1000574", "zlib compression"),
    "linear": ("MS:1002312", "MS-Numpress linear prediction compression"),
    "pic": ("MS:1002313", "MS-Numpress positive integer compression"),
    "slof": ("MS:1002314", "MS-Numpress short logged float compression"),
    "linear+zlib": ("MS:1002746", "MS-Numpress linear prediction compression followed by zlib compression"),
    "pic+zlib": ("MS:1002747", "MS-Numpress positive integer compression followed by zlib compression"),
    "slof+zlib": ("MS:1002748", "MS-Numpress short logged float compression followed by zlib compression"),
}


def cv(key, value=""):
    accession, name = CV[key]
    return f'<cvParam cvRef="MS" accession="{accession}" name="{name}" value="{value}"/>'


def encode(values, scheme):
    """(base64 text, values a correct reader decodes) for one array and encoding scheme."""
    import pynumpress

    values = np.asarray(values, dtype=np.float64)
    if scheme in ("f64", "f64+zlib"):
        raw, decoded = values.astype("<f8").tobytes(), values
    elif scheme in ("f32", "f32+zlib"):
        raw, decoded = values.astype("<f4").tobytes(), values.astype(np.float32).astype(np.float64)
    elif scheme.startswith("linear"):
        raw = pynumpress.encode_linear(values, pynumpress.optimal_linear_fixed_point(values)).tobytes()
        decoded = pynumpress.decode_linear(np.frombuffer(raw, dtype=np.uint8))
    elif scheme.startswith("slof"):
        raw = pynumpress.encode_slof(values, pynumpress.optimal_slof_fixed_point(values)).tobytes()
        decoded = pynumpress.decode_slof(np.frombuffer(raw, dtype=np.uint8))
    elif scheme.startswith("pic"):
        raw = pynumpress.encode_pic(values).tobytes()
        decoded = pynumpress.decode_pic(np.frombuffer(raw, dtype=np.uint8))
    else:
        raise ValueError(scheme)
    if scheme.endswith("+zlib"):
        raw = zlib.compress(raw)
    return base64.b64encode(raw).decode("ascii"), [float(x) for x in decoded]


def array_params(scheme):
    kind = scheme.split("+")[0]
    if kind in ("f32", "f64"):
        return [cv(kind), cv("zlib" if scheme.endswith("+zlib") else "none")]
    return [cv("f64"), cv(scheme)]


def binary_array(role, scheme, text, array_length=None, param_group=None):
    length = f' arrayLength="{array_length}"' if array_length is not None else ""
    params = [f'<referenceableParamGroupRef ref="{param_group}"/>'] if param_group else array_params(scheme)
    return (
        f'<binaryDataArray encodedLength="{len(text)}"{length}>{cv(role)}{"".join(params)}'
        f"<binary>{text}</binary></binaryDataArray>"
    )


def spectrum(index, ident, default_length, level_params, rt_param, arrays, precursor=False):
    precursor_xml = (
        '<precursorList count="1"><precursor><selectedIonList count="1"><selectedIon>'
        '<cvParam cvRef="MS" accession="MS:1000744" name="selected ion m/z" value="301.2"/>'
        "</selectedIon></selectedIonList></precursor></precursorList>"
        if precursor else ""
    )
    scan = f'<scanList count="1"><scan>{rt_param}</scan></scanList>' if rt_param else ""
    return (
        f'<spectrum index="{index}" id="{ident}" defaultArrayLength="{default_length}">\n'
        f'  {"".join(level_params)}\n  {scan}\n  {precursor_xml}\n'
        f'  <binaryDataArrayList count="{len(arrays)}">\n    ' + "\n    ".join(arrays) + "\n  </binaryDataArrayList>\n"
        "</spectrum>"
    )


def rt(value, accession=None, name=None):
    unit = (f' unitCvRef="UO" unitAccession="{accession}"' if accession else "") + (
        f' unitName="{name}"' if name else "")
    return f'<cvParam cvRef="MS" accession="MS:1000016" name="scan start time" value="{value}"{unit}/>'


def level(n):
    return f'<cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="{n}"/>'


MS1_TERM = '<cvParam cvRef="MS" accession="MS:1000579" name="MS1 spectrum" value=""/>'


def document(spectra, groups=""):
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0">\n'
        '<cvList count="2"><cv id="MS" fullName="PSI-MS" URI="https://purl.obolibrary.org/obo/ms.obo"/>'
        '<cv id="UO" fullName="Unit Ontology" URI="https://purl.obolibrary.org/obo/uo.obo"/></cvList>\n'
        f"{groups}"
        '<run id="synthetic">\n'
        f'<spectrumList count="{len(spectra)}">\n' + "\n".join(spectra) + "\n</spectrumList>\n</run>\n</mzML>\n"
    )


def synthetic_encodings():
    """One file exercising every supported encoding; returns (xml, expected MS1 spectra)."""
    rng = np.random.default_rng(20240611)
    ms1 = []  # (id, rt minutes, mz, intensity)
    spectra = []

    def peaks(n):
        mz = np.sort(rng.uniform(100, 900, n)).round(5)
        intensity = rng.uniform(1e3, 5e6, n).round(0)
        return mz, intensity

    # 0: MS1 by "ms level"; RT in seconds given only by UO accession; f64+zlib / f32.
    mz, inten = peaks(7)
    (tm, dm), (ti, di) = encode(mz, "f64+zlib"), encode(inten, "f32")
    spectra.append(spectrum(0, "scan=101", 7, [level(1)], rt("12.0", "UO:0000010"),
                            [binary_array("mz", "f64+zlib", tm), binary_array("intensity", "f32", ti)]))
    ms1.append(("scan=101", 12.0 / 60, dm, di))
    # 1: MS2 with a corrupt m/z array: a reader that skips MS2 without decoding never sees it.
    spectra.append(spectrum(1, "scan=102", 3, [level(2)], rt("12.5", "UO:0000010", "second"),
                            [binary_array("mz", "f64+zlib", "@@not base64@@"),
                             binary_array("intensity", "f64", "@@")], precursor=True))
    # 2: MS1 only by the "MS1 spectrum" term; RT in minutes only by UO accession; Numpress linear / slof.
    mz, inten = peaks(9)
    (tm, dm), (ti, di) = encode(mz, "linear"), encode(inten, "slof")
    spectra.append(spectrum(2, "scan=103", 9, [MS1_TERM], rt("0.25", "UO:0000031"),
                            [binary_array("mz", "linear", tm), binary_array("intensity", "slof", ti)]))
    ms1.append(("scan=103", 0.25, dm, di))
    # 3: RT unit only by name; Numpress linear+zlib / pic+zlib.
    mz, inten = peaks(11)
    (tm, dm), (ti, di) = encode(mz, "linear+zlib"), encode(inten, "pic+zlib")
    spectra.append(spectrum(3, "scan=104", 11, [level(1)], rt("15", name="second"),
                            [binary_array("mz", "linear+zlib", tm), binary_array("intensity", "pic+zlib", ti)]))
    ms1.append(("scan=104", 15 / 60, dm, di))
    # 4: encodings through referenceableParamGroupRef, base64 wrapped over lines, arrayLength overriding
    #    defaultArrayLength; Numpress slof+zlib / pic.
    mz, inten = peaks(6)
    (tm, dm), (ti, di) = encode(mz, "slof+zlib"), encode(inten, "pic")
    wrap = lambda t: "\n" + "\n".join(t[i:i + 16] for i in range(0, len(t), 16)) + "\n"
    spectra.append(spectrum(4, "scan=105", 999, [level(1)], rt("16", "UO:0000010", "second"),
                            [binary_array("mz", "slof+zlib", wrap(tm), 6, "mzSlofZlib"),
                             binary_array("intensity", "pic", wrap(ti), 6, "intensityPic")]))
    ms1.append(("scan=105", 16 / 60, dm, di))
    # 5: an MS1 spectrum without points.
    spectra.append(spectrum(5, "scan=106", 0, [level(1)], rt("17", "UO:0000010", "second"),
                            [binary_array("mz", "f64", ""), binary_array("intensity", "f64", "")]))
    ms1.append(("scan=106", 17 / 60, [], []))
    # 6: f32+zlib / f64, id without "scan=" (scan number from "index=").
    mz, inten = peaks(5)
    (tm, dm), (ti, di) = encode(mz, "f32+zlib"), encode(inten, "f64")
    spectra.append(spectrum(6, "index=6", 5, [level(1)], rt("0.3", "UO:0000031", "minute"),
                            [binary_array("mz", "f32+zlib", tm), binary_array("intensity", "f64", ti)]))
    ms1.append(("index=6", 0.3, dm, di))

    groups = (
        '<referenceableParamGroupList count="2">'
        f'<referenceableParamGroup id="mzSlofZlib">{"".join(array_params("slof+zlib"))}</referenceableParamGroup>'
        f'<referenceableParamGroup id="intensityPic">{"".join(array_params("pic"))}</referenceableParamGroup>'
        "</referenceableParamGroupList>\n"
    )
    expected = [
        {"id": i, "rt_min": r, "mz": [float(x) for x in m], "intensity": [float(x) for x in n]}
        for i, r, m, n in ms1
    ]
    return document(spectra, groups), expected


def one_spectrum_file(arrays, default_length=3, rt_param=rt("60", "UO:0000010", "second"), level_n=1, ident="scan=7"):
    return document([spectrum(0, ident, default_length, [level(level_n)], rt_param, arrays)])


def spectrum_open_at_end(text):
    """The id of the spectrum whose start tag the text holds without its end tag (a file cut there), or None."""
    start = text.rfind("<spectrum ")
    if start < 0 or "</spectrum>" in text[start:]:
        return None
    match = re.search(r'id="([^"]*)"', text[start:])
    return match.group(1) if match else None


def gzip_prefix_text(data):
    """What a reader gets from a gzip stream cut short: the text its bytes inflate to."""
    return zlib.decompressobj(wbits=31).decompress(data).decode(errors="replace")


def error_files():
    """name -> (file contents, expected error kind, expected spectrum id or None)."""
    ok_mz, _ = encode([100.0, 200.0, 300.0], "f64")
    ok_int, _ = encode([1.0, 2.0, 3.0], "f64")
    good = [binary_array("mz", "f64", ok_mz), binary_array("intensity", "f64", ok_int)]
    four, _ = encode([1.0, 2.0, 3.0, 4.0], "f64")
    nan_intensity, _ = encode([1.0, float("nan"), 3.0], "f64")
    inf_mz, _ = encode([100.0, 200.0, float("inf")], "f64+zlib")
    truncated_linear = base64.b64encode(base64.b64decode(encode([100.0, 200.0, 300.0], "linear")[0])[:13]).decode()
    not_zlib = base64.b64encode(b"\x00" * 24).decode()
    broken = one_spectrum_file(good).replace("</scanList>", "</scanLis>")
    cut = one_spectrum_file(good)[: one_spectrum_file(good).index(ok_mz) + 8]
    cut_gzip = gzip.compress(one_spectrum_file(good).encode(), mtime=0)[:300]
    return {
        "bad-base64.mzML": (one_spectrum_file([binary_array("mz", "f64", "AAAA*AAA"), good[1]]), "corruptArray", "scan=7"),
        "bad-zlib.mzML": (one_spectrum_file([binary_array("mz", "f64+zlib", not_zlib), good[1]]), "corruptArray", "scan=7"),
        "numpress-truncated.mzML": (one_spectrum_file([binary_array("mz", "linear", truncated_linear), good[1]]),
                                    "corruptArray", "scan=7"),
        "length-not-default.mzML": (one_spectrum_file([binary_array("mz", "f64", four), good[1]]), "corruptArray", "scan=7"),
        "mz-intensity-lengths-differ.mzML": (
            one_spectrum_file([good[0], binary_array("intensity", "f64", four, 4)]), "invalidSpectrum", "scan=7"),
        "no-scan-start-time.mzML": (one_spectrum_file(good, rt_param=""), "invalidSpectrum", "scan=7"),
        "rt-without-unit.mzML": (one_spectrum_file(good, rt_param=rt("60")), "invalidSpectrum", "scan=7"),
        # Not-a-number and infinite points are refused, naming the spectrum.
        "nan-intensity.mzML": (one_spectrum_file([good[0], binary_array("intensity", "f64", nan_intensity)]),
                               "corruptArray", "scan=7"),
        "inf-mz-zlib.mzML": (one_spectrum_file([binary_array("mz", "f64+zlib", inf_mz), good[1]]), "corruptArray", "scan=7"),
        "ms2-only.mzML": (one_spectrum_file(good, level_n=2), "noSpectraOfLevel", None),
        # The mismatched end tag lies inside spectrum scan=7, so the error names it; the file is not truncated.
        "broken-xml.mzML": (broken, "malformedXML", "scan=7"),
        # Cut inside the m/z array's base64 text of spectrum scan=7: a truncated file, inside that spectrum.
        "truncated.mzML": (cut, "malformedXML", spectrum_open_at_end(cut)),
        "not-mzml.mzML": ('<?xml version="1.0"?>\n<html><body/></html>\n', "notMzML", None),
        "truncated.mzML.gz": (cut_gzip, "malformedXML", spectrum_open_at_end(gzip_prefix_text(cut_gzip))),
    }


def write_atomic(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def synthetic_entries():
    entries = {}
    xml, expected = synthetic_encodings()
    write_atomic(SYNTHETIC_DIR / "encodings.mzML", xml.encode())
    write_atomic(SYNTHETIC_DIR / "encodings.mzML.gz", gzip.compress(xml.encode(), mtime=0))
    for name in ("encodings.mzML", "encodings.mzML.gz"):
        entries[name] = {"ms1": expected}
        summary, error = run_probe("pymzml", SYNTHETIC_DIR / name)
        entries[name]["pymzml"] = "reads it" if summary is not None else f"fails: {error}"
    for name, (text, kind, spectrum_id) in error_files().items():
        write_atomic(SYNTHETIC_DIR / "errors" / name, text if isinstance(text, bytes) else text.encode())
        entries[f"errors/{name}"] = {"expected_error": kind, "spectrum_id": spectrum_id}
    return entries


def numpress_cases():
    """Reference encodings of each Numpress codec by pynumpress, with its decoded values."""
    import pynumpress

    def case(codec, values, fixed_point=None):
        values = np.asarray(values, dtype=np.float64)
        if codec == "linear":
            fp = pynumpress.optimal_linear_fixed_point(values) if fixed_point is None else fixed_point
            raw = pynumpress.encode_linear(values, fp)
            decoded = pynumpress.decode_linear(raw)
        elif codec == "slof":
            fp = pynumpress.optimal_slof_fixed_point(values) if fixed_point is None else fixed_point
            raw = pynumpress.encode_slof(values, fp)
            decoded = pynumpress.decode_slof(raw)
        else:
            raw = pynumpress.encode_pic(values)
            decoded = pynumpress.decode_pic(raw)
        return {"codec": codec, "values": [float(x) for x in values],
                "encoded_base64": base64.b64encode(np.asarray(raw, dtype=np.uint8).tobytes()).decode(),
                "decoded": [float(x) for x in decoded]}

    rng = np.random.default_rng(7)
    return [
        case("linear", [], fixed_point=1000.0),
        case("linear", [100.0, 100.0001]),
        case("linear", np.sort(rng.uniform(100, 1000, 40))),
        case("linear", [500.0, 400.0, 450.0, 300.0, 301.0, 900.0, 10.0]),  # negative residuals
        case("linear", [1.0, 2.0, 3.0, 4.0, 5.0], fixed_point=1000.0),  # all-zero residuals
        case("pic", []),
        case("pic", [0.0, 1.0, 15.0, 16.0, 255.0, 4096.0, 65535.0, 1e6, 2147483000.0]),
        case("pic", rng.uniform(0, 1e7, 25).round()),
        case("slof", [], fixed_point=10.0),
        case("slof", [0.0, 1.0, 10.0, 1234.5, 5e6]),
        case("slof", rng.uniform(0, 1e8, 25)),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--probe", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        reader, path = args.probe
        print(json.dumps({"pymzml": probe_pymzml, "pyteomics": probe_pyteomics}[reader](path)))
        return
    result = {
        "generator": "Scripts/make_mzml_expected.py",
        "readers": [version("pymzml"), version("pyteomics"), version("pynumpress"), version("numpy")],
        "shared": shared_entries(args.shared.resolve()),
        "synthetic": synthetic_entries(),
        "numpress": numpress_cases(),
    }
    write_atomic(OUT_DIR / "expected.json", (json.dumps(result, indent=1) + "\n").encode())
    print(f"wrote {OUT_DIR / 'expected.json'}")


if __name__ == "__main__":
    main()
