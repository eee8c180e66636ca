#!/usr/bin/env python3
"""Interop check: real Keras opens every model file NeatMSKit wrote during the Swift tests.

Usage (Scripts/test runs it after `swift test`). Runs in .build/venv-keras (made on first use from
Scripts/requirements/keras.txt: tf-keras 2.21, Keras 3.15, h5py, numpy):

    NEATMSKIT_INTEROP_DIR=.build/interop python3 Scripts/interop/interop_check.py [DIR]
    python3 Scripts/interop/interop_check.py --self-test   # exercises this checker on Fixtures/ (no Swift needed)

Manifest format (shared with Tests/TestSupport/Interop.swift, `InteropManifest.record`)
-----------------------------------------------------------------------------------------
The interop directory (argument, else $NEATMSKIT_INTEROP_DIR, else `.build/interop`) holds the files
NeatMSKit wrote plus their manifest entries, one JSON object per file in `manifest.d/*.json` (one file
per entry, so parallel tests never write the same file) and/or a JSON list in `manifest.json`:

    {
      "file": "convert_a_to_h5.h5",          # path relative to the interop directory (or absolute)
      "kind": "h5",                          # "h5" full model (Keras 2 legacy layout), "keras" (.keras zip),
                                             # "weights_h5" (weights only: Keras 2 layout, or Keras 3
                                             #  layout when the name ends in .weights.h5), "hdf5" (plain HDF5),
                                             # "onnx" (onnx.checker + onnxruntime), "safetensors" (the
                                             #  safetensors package; see check_onnx_entry / check_safetensors_entry)
      "source": "Fixtures/keras/reduced_tfkeras2_full.h5",   # what it was made from (repo-relative or
                                             # absolute), or null for a model NeatMSKit created/trained
      "architecture": "Fixtures/keras/...",  # optional: model whose architecture a weights_h5 is loaded into
                                             # (defaults to source)
      "test": "KerasFormatTests.convertRoundTrip",           # optional, shown in the output
      "expect": { ... }                      # optional, see below
    }

`expect` keys (all optional):
    same_weights          bool, default true when source is given: every weight array bit-identical to the
                          source's (each file read with the same loader where possible) and predictions on a
                          fixed input within 1e-5; false for files trained from the source.
    predictions_file      HDF5 in the interop dir with float32 datasets X (N,2,n[,1]) and P (N,k) that
                          NeatMSKit computed: Keras's predict(X) must agree with P within `atol`.
    atol                  tolerance for predictions_file (default 1e-5).
    classes               int: number of output units.
    optimizer             "Adam" | "SGD": class tf-keras restores with compile=True (h5 only).
    learning_rate         float: the restored optimizer's learning rate (relative 1e-6).
    optimizer_iterations  int: the iteration count tf-keras restores.
    optimizer_state_from_source   true: tf-keras restores slot variables (m, v / momentum) bit-identical
                          to those it restores from the source file (matched by layer/weight/slot).
    optimizer_state_restored  true: tf-keras restores every slot stored in optimizer_weights (m, v /
                          momentum) bit-identical, and one train_on_batch step from it advances the
                          iteration count by one (h5 only; Keras can continue training).
    trainable             {"conv2d_1": false, ...}: layer trainable flags after loading.
    (hdf5 with a source: every dataset and attribute of the source must exist with the same element /
                          string type (fixed/vlen, ASCII/UTF-8, padding), shape and value, bit for bit;
                          expect.ignore = ["/data/i16", "/@bool_scalar"] skips paths / path@attribute.)
    datasets (hdf5)       {"X": {"dtype": "float32", "shape": [4,2,16,1], "values": [...flat...], "atol": 0}}
    attributes (hdf5)     {"/": {"classes": ["A", "B"]}, "X": {"unit": "min"}}: decoded values must equal.

Every check prints one line `PASS <file>: <what>` or `FAIL <file>: <what>: <reason>`; the last line is
exactly `N passed, M failed`. Exit status 1 when M > 0 or when nothing was checked (no entries means the
Swift tests did not write files, which is a failure).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neatmskit_scripts import venv  # noqa: E402
from neatmskit_scripts.network import quiet_tensorflow  # noqa: E402

venv.use("keras")
quiet_tensorflow()

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from neatmskit_scripts.paths import REPO  # noqa: E402
PRED_ATOL = 1e-5


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, label: str, what: str) -> None:
        self.passed += 1
        print(f"PASS {label}: {what}", flush=True)

    def fail(self, label: str, what: str, reason: str) -> None:
        self.failed += 1
        reason = " ".join(str(reason).split())
        if len(reason) > 300:
            reason = reason[:297] + "..."
        print(f"FAIL {label}: {what}: {reason}", flush=True)

    def check(self, label: str, what: str, ok: bool, reason: str = "") -> bool:
        if ok:
            self.ok(label, what)
        else:
            self.fail(label, what, reason)
        return ok


# --------------------------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------------------------

_modules: dict[str, object] = {}


def module(loader: str):
    """tf_keras or keras (3), imported lazily (TensorFlow takes seconds to import)."""
    if loader not in _modules:
        if loader == "tf_keras":
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")
            import tf_keras

            _modules[loader] = tf_keras
        else:
            import keras

            _modules[loader] = keras
    return _modules[loader]


def has_training_config(path: Path) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return "training_config" in f.attrs
    except Exception:  # noqa: BLE001
        return False


def load_model(loader: str, path: Path, compile_: bool):
    return module(loader).models.load_model(str(path), compile=compile_)


def must_load_compiled(path: Path, src_path: Path | None) -> bool:
    """Keras 3 must open `path` with compile=True when it opens the source of the same format that way;
    the Keras 2.2.4 layout (`keras_version` 2.2.x, documented as compile=False in Keras 3) is exempt."""
    if src_path is None or src_path.suffix != path.suffix:
        return False
    if path.suffix == ".h5":
        try:
            with h5py.File(path, "r") as f:
                version = f.attrs.get("keras_version", b"")
            version = version.decode() if isinstance(version, bytes) else str(version)
            if version.startswith("2.2"):
                return False
        except Exception:  # noqa: BLE001
            return False
    return loads_compiled("keras3", src_path)


def loads_compiled(loader: str, path: Path | None) -> bool:
    """True when `loader` opens the model file `path` with compile=True (False without a path or for a
    file without training config)."""
    if path is None or not path.exists() or path.suffix not in (".h5", ".keras"):
        return False
    if path.suffix == ".h5" and not has_training_config(path):
        return False
    try:
        load_model(loader, path, True)
        return True
    except Exception:  # noqa: BLE001
        return False


def load_any(path: Path, prefer: str):
    """A model from `path` with `prefer`, falling back to the other loader (compile=False)."""
    errors = []
    for loader in (prefer, "keras3" if prefer == "tf_keras" else "tf_keras"):
        try:
            return load_model(loader, path, False), loader
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{loader}: {type(exc).__name__}: {exc}")
    raise RuntimeError("; ".join(errors))


def weights_by_layer(model) -> dict[str, list[np.ndarray]]:
    return {l.name: [np.asarray(w) for w in l.get_weights()] for l in model.layers if l.get_weights()}


def compare_weights(out_model, src_model) -> tuple[bool, str]:
    out_w, src_w = weights_by_layer(out_model), weights_by_layer(src_model)
    if sorted(out_w) != sorted(src_w):
        return False, f"weighted layers {sorted(out_w)} != source {sorted(src_w)}"
    count = 0
    for name, src_list in src_w.items():
        got = out_w[name]
        if len(got) != len(src_list):
            return False, f"{name}: {len(got)} arrays != source {len(src_list)}"
        for i, (a, b) in enumerate(zip(got, src_list)):
            if a.shape != b.shape or a.dtype != b.dtype:
                return False, f"{name}[{i}]: {a.dtype}{a.shape} != source {b.dtype}{b.shape}"
            if a.tobytes() != b.tobytes():
                diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
                return False, f"{name}[{i}] {a.shape}: not bit-identical (max |diff| {diff:.3g})"
            count += 1
    return True, f"{count} arrays"


def fixed_input(model, count: int = 16) -> np.ndarray:
    shape = tuple(int(d) for d in model.input_shape[1:])
    rng = np.random.default_rng(1234)
    return rng.random((count,) + shape, dtype=np.float64).astype(np.float32)


def predict(model, X: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(X, batch_size=len(X), verbose=0), dtype=np.float64)


def optimizer_variables(model) -> list:
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return []
    v = opt.variables
    return list(v() if callable(v) else v)


def slot_key(name: str) -> str | None:
    """Normalise an optimizer variable name to `slot:layer/weight` (tf-keras new and legacy optimizers)."""
    name = re.sub(r"^(Adam|SGD|adam|sgd|training/Adam)/", "", name.split(":")[0])
    m = re.match(r"^(m|v|momentum|velocity)/(.+)$", name)  # new optimizers: m/conv2d_1/kernel
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    m = re.match(r"^(.+)/(m|v|momentum)$", name)  # legacy optimizers: conv2d_1/kernel/m
    if m:
        return f"{m.group(2)}:{m.group(1)}"
    return None


def resolve(base: Path, rel: str) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else base / p


# --------------------------------------------------------------------------------------------
# Entry checks
# --------------------------------------------------------------------------------------------

def check_model_entry(rep: Report, entry: dict, path: Path, label: str) -> None:
    kind = entry["kind"]
    expect = entry.get("expect") or {}
    source = entry.get("source")
    src_path = resolve(REPO, source) if source else None
    same_weights = expect.get("same_weights", src_path is not None)
    if src_path is not None and not src_path.exists():
        rep.fail(label, "source exists", f"{src_path} not found")
        src_path = None

    # Which loaders must open the file.
    if kind == "h5":
        loaders = ["tf_keras", "keras3"]
    else:  # keras
        loaders = ["keras3"]

    models = {}
    for loader in loaders:
        compile_ = kind == "keras" or has_training_config(path)
        what = f"{loader}.load_model(compile={compile_})"
        try:
            models[loader] = load_model(loader, path, compile_)
            rep.ok(label, what)
        except Exception as exc:  # noqa: BLE001
            if loader == "keras3" and compile_ and not must_load_compiled(path, src_path):
                # Keras 3 refuses Keras 2.2-era training configs (`lr`, `decay`) and legacy .h5 losses
                # given as strings ('mse'); that is allowed only where it refuses the source in the same
                # format too: what Keras loads with compile=True, ours must match.
                try:
                    models[loader] = load_model(loader, path, False)
                    rep.ok(label, f"keras3.load_model(compile=False) (compile=True refused: "
                                  f"{type(exc).__name__}: {str(exc)[:80]})")
                    continue
                except Exception as exc2:  # noqa: BLE001
                    exc = exc2
            rep.fail(label, what, f"{type(exc).__name__}: {exc}")
    run_model_checks(rep, label, models, src_path, same_weights, expect, kind, path)


def check_weights_entry(rep: Report, entry: dict, path: Path, label: str) -> None:
    expect = entry.get("expect") or {}
    source = entry.get("source")
    arch = entry.get("architecture") or source
    src_path = resolve(REPO, source) if source else None
    same_weights = expect.get("same_weights", src_path is not None)
    if not arch:
        rep.fail(label, "architecture", "a weights_h5 entry needs 'source' or 'architecture'")
        return
    arch_path = resolve(REPO, arch)
    keras3_layout = path.name.endswith(".weights.h5")
    loaders = ["keras3"] if keras3_layout else ["tf_keras", "keras3"]
    models = {}
    for loader in loaders:
        what = f"{loader} model.load_weights into {arch_path.name}"
        try:
            model = load_model(loader, arch_path, False)
        except Exception as exc:  # noqa: BLE001
            # The architecture file may be of the other generation (e.g. a .keras for tf_keras).
            if loader == "tf_keras" and "keras3" in loaders:
                print(f"note {label}: tf_keras cannot build {arch_path.name} ({type(exc).__name__}); "
                      "keras3 only")
                continue
            rep.fail(label, what, f"architecture: {type(exc).__name__}: {exc}")
            continue
        try:
            model.load_weights(str(path))
            models[loader] = model
            rep.ok(label, what)
        except Exception as exc:  # noqa: BLE001
            rep.fail(label, what, f"{type(exc).__name__}: {exc}")
    run_model_checks(rep, label, models, src_path, same_weights, expect, "weights_h5")


def run_model_checks(rep: Report, label: str, models: dict, src_path: Path | None, same_weights: bool,
                     expect: dict, kind: str, path: Path | None = None) -> None:
    for loader, model in models.items():
        if src_path is not None:
            try:
                src, src_loader = load_any(src_path, loader)
            except Exception as exc:  # noqa: BLE001
                rep.fail(label, f"[{loader}] load source {src_path.name}", str(exc))
                src = None
            if src is not None:
                names = [(l.name, type(l).__name__) for l in model.layers if type(l).__name__ != "InputLayer"]
                src_names = [(l.name, type(l).__name__) for l in src.layers if type(l).__name__ != "InputLayer"]
                rep.check(label, f"[{loader}] layers (name, class) equal {src_path.name}'s",
                          names == src_names, f"{names} != {src_names}")
                if same_weights:
                    ok, detail = compare_weights(model, src)
                    rep.check(label, f"[{loader}] weights bit-identical to {src_path.name} "
                                     f"(read with {src_loader}): {detail}" if ok else
                              f"[{loader}] weights bit-identical to {src_path.name}", ok, detail)
                    try:
                        X = fixed_input(src)
                        dp = float(np.max(np.abs(predict(model, X) - predict(src, X))))
                        rep.check(label, f"[{loader}] predictions within {PRED_ATOL} of the source's "
                                         f"(max |dp| {dp:.3g})", dp <= PRED_ATOL, f"max |dp| {dp:.3g}")
                    except Exception as exc:  # noqa: BLE001
                        rep.fail(label, f"[{loader}] predictions", f"{type(exc).__name__}: {exc}")
                if expect.get("optimizer_state_from_source") and loader == "tf_keras" and kind == "h5":
                    check_optimizer_state(rep, label, model, src_path)
        if "predictions_file" in expect:
            check_predictions_file(rep, label, loader, model, expect)
        if "classes" in expect:
            units = int(model.output_shape[-1])
            rep.check(label, f"[{loader}] {units} output classes", units == int(expect["classes"]),
                      f"expected {expect['classes']}")
        if "trainable" in expect:
            got = {name: model.get_layer(name).trainable for name in expect["trainable"]}
            rep.check(label, f"[{loader}] trainable flags {got}", got == expect["trainable"],
                      f"expected {expect['trainable']}")
        if loader == "tf_keras" and kind == "h5":
            check_optimizer_expectations(rep, label, model, expect)
        # Last: it trains the loaded model one step.
        if expect.get("optimizer_state_restored") and loader == "tf_keras" and kind == "h5" and path:
            check_optimizer_state_restored(rep, label, model, path)


def check_optimizer_expectations(rep: Report, label: str, model, expect: dict) -> None:
    opt = getattr(model, "optimizer", None)
    if "optimizer" in expect:
        name = type(opt).__name__ if opt is not None else "None"
        rep.check(label, f"[tf_keras] optimizer {name}", name == expect["optimizer"], f"expected {expect['optimizer']}")
    if "learning_rate" in expect and opt is not None:
        lr = float(np.asarray(opt.learning_rate if hasattr(opt, "learning_rate") else opt.lr))
        want = float(expect["learning_rate"])
        rep.check(label, f"[tf_keras] learning rate {lr:.8g}", abs(lr - want) <= 1e-6 * abs(want),
                  f"expected {want}")
    if "optimizer_iterations" in expect and opt is not None:
        it = int(np.asarray(opt.iterations))
        rep.check(label, f"[tf_keras] optimizer iterations {it}", it == int(expect["optimizer_iterations"]),
                  f"expected {expect['optimizer_iterations']}")


def check_optimizer_state(rep: Report, label: str, model, src_path: Path) -> None:
    try:
        src = load_model("tf_keras", src_path, True)
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, "[tf_keras] optimizer state", f"source {src_path.name}: {type(exc).__name__}: {exc}")
        return
    ours = {slot_key(v.name): np.asarray(v) for v in optimizer_variables(model) if slot_key(v.name)}
    theirs = {slot_key(v.name): np.asarray(v) for v in optimizer_variables(src) if slot_key(v.name)}
    if not theirs:
        rep.fail(label, "[tf_keras] optimizer state", f"source {src_path.name} restores no slot variables")
        return
    if set(ours) != set(theirs):
        rep.fail(label, "[tf_keras] optimizer state", f"slots {sorted(ours)} != source {sorted(theirs)}")
        return
    bad = [k for k in theirs if ours[k].shape != theirs[k].shape or ours[k].tobytes() != theirs[k].tobytes()]
    rep.check(label, f"[tf_keras] optimizer state bit-identical to {src_path.name}'s ({len(theirs)} slots)",
              not bad, f"differs in {bad[:4]}")


def check_optimizer_state_restored(rep: Report, label: str, model, path: Path) -> None:
    """Slots stored in the file's optimizer_weights == what tf-keras restored; then one training step."""
    stored = {}
    try:
        with h5py.File(path, "r") as f:
            if "optimizer_weights" in f:
                f["optimizer_weights"].visititems(
                    lambda name, obj: stored.__setitem__(slot_key(name), np.asarray(obj))
                    if isinstance(obj, h5py.Dataset) and slot_key(name) else None)
        restored = {slot_key(v.name): np.asarray(v) for v in optimizer_variables(model) if slot_key(v.name)}
        bad = [k for k in stored if k not in restored or restored[k].tobytes() != stored[k].tobytes()]
        rep.check(label, f"[tf_keras] optimizer restores the file's {len(stored)} slots bit-identical",
                  not bad, f"differs or missing: {bad[:4]}")
        before = int(np.asarray(model.optimizer.iterations))
        X = fixed_input(model, 4)
        Y = np.eye(int(model.output_shape[-1]), dtype=np.float32)[np.arange(4) % int(model.output_shape[-1])]
        loss = model.train_on_batch(X, Y)
        loss = float(np.asarray(loss[0] if isinstance(loss, (list, tuple)) else loss))
        after = int(np.asarray(model.optimizer.iterations))
        rep.check(label, f"[tf_keras] continues training (iterations {before} -> {after}, loss {loss:.4g})",
                  after == before + 1 and np.isfinite(loss), f"iterations {before} -> {after}, loss {loss}")
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, "[tf_keras] optimizer state restored", f"{type(exc).__name__}: {exc}")


def check_predictions_file(rep: Report, label: str, loader: str, model, expect: dict) -> None:
    pf = resolve(INTEROP_DIR, expect["predictions_file"])
    atol = float(expect.get("atol", PRED_ATOL))
    try:
        with h5py.File(pf, "r") as f:
            X = np.asarray(f["X"], dtype=np.float32)
            P = np.asarray(f["P"], dtype=np.float64)
        if X.ndim == 3:
            X = X[..., None]
        dp = float(np.max(np.abs(predict(model, X) - P)))
        rep.check(label, f"[{loader}] predictions within {atol} of NeatMSKit's {pf.name} "
                         f"({len(X)} rows, max |dp| {dp:.3g})", dp <= atol, f"max |dp| {dp:.3g}")
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, f"[{loader}] predictions_file {pf.name}", f"{type(exc).__name__}: {exc}")


def decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [decode(v) for v in value.tolist()] if value.ndim else decode(value.item())
    if isinstance(value, (list, tuple)):
        return [decode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def type_text(tid) -> str:
    """A comparable description of an HDF5 datatype (string kind and padding included)."""
    if isinstance(tid, h5py.h5t.TypeStringID):
        size = "vlen" if tid.is_variable_str() else f"fixed{tid.get_size()}"
        cset = "utf8" if tid.get_cset() == h5py.h5t.CSET_UTF8 else "ascii"
        pad = {h5py.h5t.STR_NULLTERM: "nullterm", h5py.h5t.STR_NULLPAD: "nullpad",
               h5py.h5t.STR_SPACEPAD: "spacepad"}.get(tid.get_strpad(), "?")
        return f"string {size} {cset} {pad}"
    return str(tid.dtype)


def attr_info(obj, name: str) -> tuple[str, tuple, object]:
    aid = h5py.h5a.open(obj.id, name.encode())
    return type_text(aid.get_type()), aid.get_space().shape, decode(obj.attrs[name])


def compare_hdf5(out, src, ignore: set[str]) -> tuple[list[str], tuple[int, int]]:
    """Every dataset and attribute of `src` (but those in `ignore`: "/path" or "/path@attr") must exist in
    `out` with the same type, shape and value."""
    problems: list[str] = []
    counts = [0, 0]

    def compare_attrs(path: str, o, s) -> None:
        for name in s.attrs:
            if f"{path}@{name}" in ignore:
                continue
            counts[1] += 1
            if name not in o.attrs:
                problems.append(f"{path}@{name} missing")
                continue
            try:
                got, want = attr_info(o, name), attr_info(s, name)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{path}@{name}: {type(exc).__name__}: {exc}")
                continue
            for what, a, b in zip(("type", "shape", "value"), got, want):
                same = (np.array_equal(np.asarray(a), np.asarray(b)) if what == "value" and
                        not isinstance(b, (str, list)) else a == b)
                if not same:
                    problems.append(f"{path}@{name} {what} {str(a)[:60]} != {str(b)[:60]}")
                    break

    def visit(path: str, s) -> None:
        if path in ignore:
            return
        o = out.get(path) if path != "/" else out
        if o is None:
            problems.append(f"{path} missing")
            return
        compare_attrs(path, o, s)
        if isinstance(s, h5py.Dataset):
            counts[0] += 1
            if not isinstance(o, h5py.Dataset):
                problems.append(f"{path} is not a dataset")
                return
            if type_text(o.id.get_type()) != type_text(s.id.get_type()) or o.shape != s.shape:
                problems.append(f"{path} {type_text(o.id.get_type())}{o.shape} != "
                                f"{type_text(s.id.get_type())}{s.shape}")
                return
            a, b = o[()], s[()]
            if isinstance(a, np.ndarray) and a.dtype.kind not in "OSU":
                same = a.tobytes() == b.tobytes()
            else:
                same = decode(a) == decode(b)
            if not same:
                problems.append(f"{path} values differ")
        else:
            for child in s:
                visit(f"{path.rstrip('/')}/{child}", s[child])

    visit("/", src)
    return problems, (counts[0], counts[1])


def check_hdf5_entry(rep: Report, entry: dict, path: Path, label: str) -> None:
    expect = entry.get("expect") or {}
    try:
        f = h5py.File(path, "r")
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, "h5py opens it", f"{type(exc).__name__}: {exc}")
        return
    with f:
        rep.ok(label, "h5py opens it")
        if entry.get("source"):
            src_path = resolve(REPO, entry["source"])
            try:
                with h5py.File(src_path, "r") as src:
                    problems, counts = compare_hdf5(f, src, set(expect.get("ignore") or []))
                rep.check(label, f"{counts[0]} datasets and {counts[1]} attributes equal {src_path.name}'s "
                                 "(values bit for bit, element and string types)", not problems,
                          "; ".join(problems[:4]) + (f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""))
            except Exception as exc:  # noqa: BLE001
                rep.fail(label, f"compare with {src_path}", f"{type(exc).__name__}: {exc}")
        for name, spec in (expect.get("datasets") or {}).items():
            what = f"dataset {name}"
            if name not in f or not isinstance(f[name], h5py.Dataset):
                rep.fail(label, what, "missing")
                continue
            d = f[name]
            problems = []
            if "dtype" in spec and np.dtype(d.dtype) != np.dtype(spec["dtype"]):
                problems.append(f"dtype {d.dtype} != {spec['dtype']}")
            if "shape" in spec and list(d.shape) != list(spec["shape"]):
                problems.append(f"shape {list(d.shape)} != {spec['shape']}")
            if "values" in spec and not problems:
                got = np.asarray(d[()]).astype(np.float64).ravel()
                want = np.asarray(spec["values"], dtype=np.float64).ravel()
                atol = float(spec.get("atol", 0))
                if got.shape != want.shape:
                    problems.append(f"{got.size} values != {want.size}")
                elif not np.all(np.abs(got - want) <= atol):
                    problems.append(f"values differ (max |diff| {float(np.max(np.abs(got - want))):.3g} > {atol})")
            rep.check(label, f"{what} {d.dtype}{list(d.shape)}", not problems, "; ".join(problems))
        for obj_name, attrs in (expect.get("attributes") or {}).items():
            if obj_name not in f:
                rep.fail(label, f"attributes of {obj_name}", "object missing")
                continue
            obj = f[obj_name]
            for key, want in attrs.items():
                what = f"attribute {obj_name}@{key}"
                if key not in obj.attrs:
                    rep.fail(label, what, "missing")
                    continue
                got = decode(obj.attrs[key])
                if isinstance(want, list) and not isinstance(got, list):
                    got = [got]
                rep.check(label, f"{what} = {json.dumps(got)[:80]}", got == want, f"expected {json.dumps(want)[:120]}")


# --------------------------------------------------------------------------------------------
# ONNX and safetensors entries (Interchange): onnxruntime and the safetensors package
# --------------------------------------------------------------------------------------------

ENTRY_KINDS = ("h5", "keras", "weights_h5", "hdf5", "onnx", "safetensors")


def keras_input_shape(model) -> tuple:
    return tuple(int(d) for d in model.input_shape[1:])


def check_onnx_entry(rep: Report, entry: dict, path: Path, label: str) -> None:
    """An ONNX file NeatMSKit exported: onnx.checker (full check, shape inference) accepts it; onnxruntime runs it
    on expect.predictions_file's X and matches NeatMSKit's P within atol; with a source Keras model, the input is
    (batch, H, W, C) as Keras's, onnxruntime matches Keras's predictions too, and every initializer
    `<layer>/kernel|bias` is the source's weight bit for bit (Conv kernels transposed back to Keras's layout)."""
    import onnx
    import onnxruntime as ort

    expect = entry.get("expect") or {}
    atol = float(expect.get("atol", PRED_ATOL))
    proto = onnx.load(str(path))
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    try:
        onnx.checker.check_model(proto, full_check=True)
        rep.ok(label, f"onnx.checker.check_model(full_check=True) (IR {proto.ir_version}, opset {opset})")
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, "onnx.checker.check_model(full_check=True)", f"{type(exc).__name__}: {exc}")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    rep.check(label, "one input, one output", len(inputs) == 1 and len(session.get_outputs()) == 1,
              f"{len(inputs)} inputs, {len(session.get_outputs())} outputs")
    X = R = None
    if "predictions_file" in expect:
        pf = resolve(INTEROP_DIR, expect["predictions_file"])
        with h5py.File(pf, "r") as f:
            X = np.asarray(f["X"], dtype=np.float32)
            P = np.asarray(f["P"], dtype=np.float64)
        (R,) = session.run(None, {inputs[0].name: X})
        dp = float(np.max(np.abs(np.asarray(R, dtype=np.float64) - P)))
        rep.check(label, f"onnxruntime {ort.__version__} output within {atol} of NeatMSKit's {pf.name} "
                         f"({len(X)} rows, max |dp| {dp:.3g})", R.shape == P.shape and dp <= atol,
                  f"shape {R.shape} vs {P.shape}, max |dp| {dp:.3g}")
    source = entry.get("source")
    if not source:
        return
    src, loader = load_any(resolve(REPO, source), "tf_keras")
    shape = tuple(d if isinstance(d, int) else None for d in inputs[0].shape)
    rep.check(label, f"input {inputs[0].name} {shape} = (batch,) + Keras input {keras_input_shape(src)}",
              shape[1:] == keras_input_shape(src), f"Keras input {keras_input_shape(src)}")
    if X is not None and R is not None:
        dk = float(np.max(np.abs(np.asarray(R, dtype=np.float64) - predict(src, X))))
        rep.check(label, f"onnxruntime output within {atol} of [{loader}] predict of the source (max |dp| {dk:.3g})",
                  dk <= atol, f"max |dp| {dk:.3g}")
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    count, problems = 0, []
    for layer, arrays in weights_by_layer(src).items():
        for i, want in enumerate(arrays):
            name = f"{layer}/{'kernel' if i == 0 else 'bias'}"
            got = inits.get(name)
            if got is not None and got.ndim == 4:
                got = np.transpose(got, (2, 3, 1, 0))  # ONNX Conv (out, in, kh, kw) -> Keras (kh, kw, in, out)
            if got is None or got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
                problems.append(name)
            count += 1
    rep.check(label, f"{count} initializers bit-identical to the source's weights", not problems,
              f"differ or missing: {problems}")


def keras3_layer_paths(model) -> list:
    """(path, layer) as Keras 3 names a Functional model's layers in its weights files: the InputLayer first,
    snake_case class names, `_1`, `_2`, ... for repeats."""
    layers = [None] + [l for l in model.layers if l.__class__.__name__ != "InputLayer"]
    used, out = {}, []
    for layer in layers:
        cls = "InputLayer" if layer is None else layer.__class__.__name__
        base = re.sub(r"\W+", "", cls)
        base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", base)
        base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
        out.append((base if base not in used else f"{base}_{used[base] + 1}", layer))
        used[base] = used.get(base, -1) + 1
    return out


def check_safetensors_entry(rep: Report, entry: dict, path: Path, label: str) -> None:
    """A safetensors file NeatMSKit exported: the safetensors package (numpy) reads it; every tensor is float32 and
    bit-identical to the source Keras model's weight of that name (`<layer>/<kernel|bias>` or Keras 3's
    `layers/<path>/vars/<i>`), no tensor missing or extra; the Keras model config in __metadata__ builds in Keras 3
    and, given these tensors, predicts as the source within 1e-5."""
    import safetensors
    from safetensors import safe_open
    from safetensors.numpy import load_file

    tensors = load_file(str(path))
    with safe_open(str(path), framework="np") as f:
        metadata = f.metadata() or {}
    rep.ok(label, f"safetensors {safetensors.__version__} load_file: {len(tensors)} tensors, "
                  f"metadata keys {sorted(metadata)}")
    source = entry.get("source")
    if not source:
        return
    src, loader = load_any(resolve(REPO, source), "tf_keras")
    keras3_style = any(n.startswith("layers/") and "/vars/" in n for n in tensors)
    expected = {}
    if keras3_style:
        for p, layer in keras3_layer_paths(src):
            for i, w in enumerate(layer.get_weights() if layer is not None else []):
                expected[f"layers/{p}/vars/{i}"] = np.asarray(w)
    else:
        for layer, arrays in weights_by_layer(src).items():
            for i, w in enumerate(arrays):
                expected[f"{layer}/{'kernel' if i == 0 else 'bias'}"] = w
    rep.check(label, f"tensor names = the source's weights ({'Keras 3' if keras3_style else 'Keras 2'} naming)",
              sorted(tensors) == sorted(expected),
              f"missing {sorted(set(expected) - set(tensors))}, extra {sorted(set(tensors) - set(expected))}")
    bad = [n for n, w in expected.items() if n in tensors and (
        tensors[n].dtype != np.float32 or tensors[n].shape != w.shape or tensors[n].tobytes() != w.tobytes())]
    rep.check(label, f"{len(expected)} tensors bit-identical to [{loader}] source weights", not bad, f"differ: {bad}")
    config = metadata.get("keras_model_config")
    if config is None:
        return
    keras3 = module("keras3")
    try:
        built = keras3.models.model_from_json(config)
    except Exception as exc:  # noqa: BLE001
        rep.fail(label, "keras3 model_from_json(__metadata__ keras_model_config)", f"{type(exc).__name__}: {exc}")
        return
    names = [l.name for l in built.layers if l.__class__.__name__ != "InputLayer"]
    src_names = [l.name for l in src.layers if l.__class__.__name__ != "InputLayer"]
    rep.check(label, "keras3 model_from_json(keras_model_config): the source's layers", names == src_names,
              f"{names} != {src_names}")
    if names != src_names:
        return
    by_name = {l.name: l for l in built.layers}
    if keras3_style:
        for p, layer in keras3_layer_paths(src):
            if layer is not None and layer.get_weights():
                by_name[layer.name].set_weights([tensors[f"layers/{p}/vars/{i}"]
                                                 for i in range(len(layer.get_weights()))])
    else:
        for layer, arrays in weights_by_layer(src).items():
            by_name[layer].set_weights([tensors[f"{layer}/{'kernel' if i == 0 else 'bias'}"]
                                        for i in range(len(arrays))])
    X = fixed_input(src, 8)
    dp = float(np.max(np.abs(predict(built, X) - predict(src, X))))
    rep.check(label, f"keras3 model from the metadata with these tensors predicts as the source (max |dp| {dp:.3g})",
              dp <= PRED_ATOL, f"max |dp| {dp:.3g}")


def read_entries(directory: Path, rep: Report) -> list[dict]:
    entries = []
    paths = sorted(glob.glob(str(directory / "manifest.d" / "*.json")))
    if (directory / "manifest.json").exists():
        paths.append(str(directory / "manifest.json"))
    for p in paths:
        try:
            data = json.loads(Path(p).read_text())
        except Exception as exc:  # noqa: BLE001
            rep.fail(Path(p).name, "manifest entry is JSON", f"{type(exc).__name__}: {exc}")
            continue
        for e in data if isinstance(data, list) else [data]:
            if not isinstance(e, dict) or "file" not in e or e.get("kind") not in ENTRY_KINDS:
                rep.fail(Path(p).name, "manifest entry", f"needs file and kind {'|'.join(ENTRY_KINDS)}: {e!r}"[:200])
                continue
            entries.append(e)
    return entries


INTEROP_DIR = REPO / ".build" / "interop"


def run(directory: Path) -> Report:
    global INTEROP_DIR
    INTEROP_DIR = directory
    rep = Report()
    if not directory.is_dir():
        rep.fail(str(directory), "interop directory exists", "missing: the Swift tests did not write files")
        return rep
    entries = read_entries(directory, rep)
    print(f"interop check: {len(entries)} entries in {directory}", flush=True)
    recorded = {resolve(directory, e["file"]).resolve() for e in entries}
    recorded |= {resolve(directory, e["expect"]["predictions_file"]).resolve()
                 for e in entries if isinstance(e.get("expect"), dict) and "predictions_file" in e["expect"]}
    for p in sorted(directory.rglob("*")):
        if p.is_file() and "manifest.d" not in p.parts and p.name != "manifest.json" and p.resolve() not in recorded:
            print(f"note {p.relative_to(directory)}: no manifest entry, not checked "
                  "(record it with InteropManifest.record)", flush=True)
    if not entries:
        rep.fail(str(directory), "manifest entries", "none: the Swift tests did not write files")
        return rep
    for entry in entries:
        path = resolve(directory, entry["file"])
        label = entry["file"] + (f" ({entry['test']})" if entry.get("test") else "")
        if not path.exists():
            rep.fail(label, "file exists", f"{path} not found")
            continue
        try:
            if entry["kind"] in ("h5", "keras"):
                check_model_entry(rep, entry, path, label)
            elif entry["kind"] == "weights_h5":
                check_weights_entry(rep, entry, path, label)
            elif entry["kind"] == "onnx":
                check_onnx_entry(rep, entry, path, label)
            elif entry["kind"] == "safetensors":
                check_safetensors_entry(rep, entry, path, label)
            else:
                check_hdf5_entry(rep, entry, path, label)
        except Exception as exc:  # noqa: BLE001
            rep.fail(label, "check", f"{type(exc).__name__}: {exc} | " + traceback.format_exc(limit=2))
    return rep


# --------------------------------------------------------------------------------------------
# Self-test: exercise the checker with Fixtures/ standing in for NeatMSKit's output.
# --------------------------------------------------------------------------------------------

def self_test() -> int:
    fx = REPO / "Fixtures" / "keras"
    tmp = Path(tempfile.mkdtemp(prefix="interop-selftest-"))
    try:
        (tmp / "manifest.d").mkdir()
        good = [
            ("a.h5", "reduced_tfkeras2_full.h5", "h5", "Fixtures/keras/reduced_tfkeras2_full.h5",
             {"optimizer": "Adam", "optimizer_iterations": 12, "learning_rate": 1e-5,
              "optimizer_state_from_source": True, "classes": 3}),
            ("e.h5", "reduced_h5py2style.h5", "h5", "Fixtures/keras/reduced_tfkeras2_full.h5",
             {"optimizer_state_from_source": True}),
            ("c.keras", "reduced_keras3.keras", "keras", "Fixtures/keras/reduced_tfkeras2_full.h5", {}),
            ("b.h5", "reduced_tfkeras2_weights.h5", "weights_h5", "Fixtures/keras/reduced_tfkeras2_full.h5", {}),
            ("c.weights.h5", "reduced_keras3.weights.h5", "weights_h5", "Fixtures/keras/reduced_keras3.keras", {}),
            ("strings.h5", "../hdf5/strings_and_types.h5", "hdf5", "Fixtures/hdf5/strings_and_types.h5",
             {"ignore": ["/data/i16"]}),
            ("ref.h5", "reference_forward_reduced.h5", "hdf5", None,
             {"datasets": {"P": {"dtype": "float32", "shape": [8, 3]}, "X": {"shape": [8, 2, 16, 1]}},
              "attributes": {"/": {"model": "reduced_tfkeras2_full.h5"}}}),
        ]
        bad = [
            # A vlen string attribute rewritten as fixed-length must fail the object-by-object comparison.
            ("strings_bad.h5", "../hdf5/strings_and_types.h5", "hdf5", "Fixtures/hdf5/strings_and_types.h5",
             {"ignore": ["/data/i16"]}),
            # A perturbed weight must fail bit-identity and predictions; an unloadable file must fail to load.
            ("perturbed.h5", "reduced_tfkeras2_full.h5", "h5", "Fixtures/keras/reduced_tfkeras2_full.h5", {}),
            ("notkeras.h5", "no_model_config.h5", "h5", None, {}),
            ("wrongattr.h5", "reference_forward_reduced.h5", "hdf5", None,
             {"attributes": {"/": {"model": "something_else.h5"}}}),
        ]
        if not (fx / "../hdf5/strings_and_types.h5").exists():
            good = [g for g in good if g[0] != "strings.h5"]
            bad = [b for b in bad if b[0] != "strings_bad.h5"]
        for i, (name, fixture, kind, source, expect) in enumerate(good + bad):
            shutil.copy(fx / fixture, tmp / name)
            (tmp / "manifest.d" / f"{i:02d}.json").write_text(json.dumps(
                {"file": name, "kind": kind, "source": source, "expect": expect, "test": "self-test"}))
        # predictions_file written as NeatMSKit would: X and P of the forward reference.
        with h5py.File(fx / "reference_forward_reduced.h5", "r") as f, h5py.File(tmp / "pred.h5", "w") as g:
            g["X"] = f["X"][()]
            g["P"] = f["P"][()]
        (tmp / "manifest.d" / "99.json").write_text(json.dumps(
            {"file": "a2.h5", "kind": "h5", "source": None,
             "expect": {"predictions_file": "pred.h5", "classes": 3}}))
        shutil.copy(fx / "reduced_tfkeras2_full.h5", tmp / "a2.h5")
        if (tmp / "strings_bad.h5").exists():
            with h5py.File(tmp / "strings_bad.h5", "r+") as f:
                name = next(n for n in f.attrs if type_text(h5py.h5a.open(f.id, n.encode()).get_type())
                            .startswith("string vlen") and h5py.h5a.open(f.id, n.encode()).get_space().shape == ())
                value = decode(f.attrs[name])
                del f.attrs[name]
                f.attrs[name] = np.bytes_(value.encode("utf-8"))
        with h5py.File(tmp / "perturbed.h5", "r+") as f:
            d = f["model_weights/dense_1/dense_1/bias:0"]
            v = d[()]
            v[0] += 1e-3
            d[...] = v
        rep = run(tmp)
        print(f"{rep.passed} passed, {rep.failed} failed")
        # Expected: the bad entries fail (perturbed: weights + predictions for 2 loaders = 4; notkeras:
        # 2 loaders; wrongattr: 1; strings_bad: 1 when the HDF5 fixture is present), nothing else.
        expected_failures = 7 + (1 if (tmp / "strings_bad.h5").exists() else 0)
        ok = rep.failed == expected_failures and rep.passed > 0
        print(f"self-test: {'OK' if ok else 'BROKEN'} (expected exactly {expected_failures} failures)")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Load every model file NeatMSKit wrote with real Keras.")
    parser.add_argument("directory", nargs="?", help="interop directory (default $NEATMSKIT_INTEROP_DIR or .build/interop)")
    parser.add_argument("--self-test", action="store_true", help="check the checker against Fixtures/")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    directory = Path(args.directory or os.environ.get("NEATMSKIT_INTEROP_DIR") or REPO / ".build" / "interop")
    rep = run(directory.resolve())
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed > 0 or rep.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
