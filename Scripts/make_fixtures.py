#!/usr/bin/env python3
"""Make the committed Keras fixtures in Fixtures/keras/ with real Keras and h5py.

Run from the repository root with a Python that has the pinned packages of
Scripts/requirements-fixtures.txt (tensorflow-cpu, tf-keras, keras 3, h5py, numpy):

    python Scripts/make_fixtures.py            # writes Fixtures/keras/*, prints a manifest
    python Scripts/make_fixtures.py --check    # also cross-loads every file and checks the h5py2style headers

Everything is seeded and runs on one CPU thread, so the numbers are reproducible on one machine.
The Keras 2.2.4 + h5py 2.x layout cannot be produced by old Keras on a current Python; it is written
with plain h5py exactly as /work/shared/KERAS-LAYOUTS.md ("Keras 2.2.4 + h5py 2.x") describes:
vlen ASCII scalar attributes, fixed-length NULLPAD `S<n>` name lists, class `Model`, VarianceScaling,
L1L2, Adam with `lr`/`decay` and optimizer weights `Adam/iterations:0` + `training/Adam/Variable_N:0`.
Fixtures/keras/README.md lists what each file is for.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("PYTHONHASHSEED", "0")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.get_logger().setLevel("ERROR")

import tf_keras  # noqa: E402
import keras  # noqa: E402  (Keras 3)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "Fixtures" / "keras"
SEED = 20261128
FULL_N = 120
REDUCED_N = 16
CLASSES = ["High_quality", "Low_quality", "Noise"]
LAYER_NAMES = ["input_1", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dense_1",
               "dropout_1", "dense_prediction"]
WEIGHTED = ["conv2d_1", "conv2d_2", "dense_1", "dense_prediction"]

MANIFEST: list[tuple[str, str, str]] = []  # (file, writer, purpose)


def versions() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "tf_keras": tf_keras.__version__,
        "keras": keras.__version__,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
        "numpy": np.__version__,
    }


def record(name: str, writer: str, purpose: str) -> None:
    MANIFEST.append((name, writer, purpose))


def seed_all(offset: int = 0) -> None:
    tf_keras.utils.set_random_seed(SEED + offset)
    keras.utils.set_random_seed(SEED + offset)


# --------------------------------------------------------------------------------------------
# NeatMS-like input matrices
# --------------------------------------------------------------------------------------------

def peak_mask(n: int) -> np.ndarray:
    """NeatMS mask for margin 1: x_j evenly spaced over [start - w, end + w]; 1 where start <= x_j <= end."""
    j = np.arange(n, dtype=np.float64)
    pos = j * 3.0 / (n - 1)  # in units of the peak width w, from lo
    return ((pos >= 1.0 - 1e-12) & (pos <= 2.0 + 1e-12)).astype(np.float32)


def neatms_matrices(rng: np.random.Generator, count: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, 2, n, 1) float32 like NeatMS matrices plus class indices (0 high, 1 low, 2 noise).

    Row 0: a peak-like curve with baseline removed and max 1 (a Gaussian in the middle third for
    High_quality, a noisy/shifted one for Low_quality, pure noise for Noise). Row 1: the 0/1 mask
    whose middle third is 1."""
    mask = peak_mask(n)
    x = np.linspace(0.0, 3.0, n)
    X = np.zeros((count, 2, n, 1), dtype=np.float32)
    y = rng.integers(0, 3, size=count)
    for i in range(count):
        c = y[i]
        if c == 0:
            centre = rng.uniform(1.3, 1.7)
            sigma = rng.uniform(0.12, 0.3)
            curve = np.exp(-0.5 * ((x - centre) / sigma) ** 2) + rng.normal(0, 0.02, n)
        elif c == 1:
            centre = rng.uniform(0.9, 2.1)
            sigma = rng.uniform(0.2, 0.6)
            curve = 0.6 * np.exp(-0.5 * ((x - centre) / sigma) ** 2) + rng.normal(0, 0.15, n)
        else:
            curve = np.abs(rng.normal(0, 1.0, n))
        curve = curve - curve.min()
        curve = curve / curve.max()
        X[i, 0, :, 0] = curve.astype(np.float32)
        X[i, 1, :, 0] = mask
    return X, y


def one_hot(y: np.ndarray, k: int = 3) -> np.ndarray:
    return np.eye(k, dtype=np.float32)[y]


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def tfk_model(n: int, k: int = 3, dropout: float = 0.5, name: str = "model") -> "tf_keras.Model":
    """NeatMS create_model in tf-keras (functional, NeatMS's layer names)."""
    L = tf_keras.layers
    inp = L.Input(shape=(2, n, 1), name="input_1")
    x = L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1")(inp)
    x = L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1")(x)
    x = L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2")(x)
    x = L.Flatten(name="flatten_1")(x)
    x = L.Dense(128, activation="relu", kernel_regularizer=tf_keras.regularizers.l2(0.001),
                name="dense_1")(x)
    x = L.Dropout(dropout, name="dropout_1")(x)
    out = L.Dense(k, activation="softmax", name="dense_prediction")(x)
    return tf_keras.Model(inp, out, name=name)


def tfk_sequential(n: int, k: int = 3) -> "tf_keras.Sequential":
    L = tf_keras.layers
    return tf_keras.Sequential([
        L.InputLayer(input_shape=(2, n, 1), name="input_1"),
        L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1"),
        L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1"),
        L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2"),
        L.Flatten(name="flatten_1"),
        L.Dense(128, activation="relu", kernel_regularizer=tf_keras.regularizers.l2(0.001), name="dense_1"),
        L.Dropout(0.5, name="dropout_1"),
        L.Dense(k, activation="softmax", name="dense_prediction"),
    ], name="sequential")


def k3_model(n: int, k: int = 3) -> "keras.Model":
    """The same network in Keras 3."""
    L = keras.layers
    inp = keras.Input(shape=(2, n, 1), name="input_1")
    x = L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1")(inp)
    x = L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1")(x)
    x = L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2")(x)
    x = L.Flatten(name="flatten_1")(x)
    x = L.Dense(128, activation="relu", kernel_regularizer=keras.regularizers.l2(0.001), name="dense_1")(x)
    x = L.Dropout(0.5, name="dropout_1")(x)
    out = L.Dense(k, activation="softmax", name="dense_prediction")(x)
    return keras.Model(inp, out)


def compile_neatms(model, lr: float = 1e-5, optimizer: str = "adam", momentum: float = 0.0) -> None:
    mod = tf_keras if isinstance(model, tf_keras.Model) else keras
    if optimizer == "adam":
        opt = mod.optimizers.Adam(learning_rate=lr)
    else:
        opt = mod.optimizers.SGD(learning_rate=lr, momentum=momentum)
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy", "mae"])


def pretrain(model, n: int, samples: int, epochs: int, seed_offset: int) -> None:
    """Move the weights away from initialisation (biases non-zero) with a throwaway Adam(1e-3)."""
    rng = np.random.default_rng(SEED + seed_offset)
    X, y = neatms_matrices(rng, samples, n)
    compile_neatms(model, lr=1e-3)
    model.fit(X, one_hot(y), batch_size=32, epochs=epochs, shuffle=False, verbose=0)


def tfk_weights_by_layer(model) -> dict[str, list[np.ndarray]]:
    return {l.name: [np.array(w) for w in l.get_weights()] for l in model.layers if l.get_weights()}


# --------------------------------------------------------------------------------------------
# Keras 2.2.4 + h5py 2.x imitation
# --------------------------------------------------------------------------------------------

VARIANCE_SCALING = {"class_name": "VarianceScaling",
                    "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}


def keras224_model_config(n: int, k: int = 3) -> dict:
    """model.to_json() of Keras 2.2.4's NeatMS model (key order as 2.2.4's get_config emitted)."""

    def conv(name, filters, ks, inbound):
        return {"name": name, "class_name": "Conv2D", "config": {
            "name": name, "trainable": True, "filters": filters, "kernel_size": [ks, ks],
            "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1],
            "activation": "relu", "use_bias": True, "kernel_initializer": VARIANCE_SCALING,
            "bias_initializer": ZEROS, "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None},
            "inbound_nodes": [[[inbound, 0, 0, {}]]]}

    def dense(name, units, activation, regularizer, inbound):
        return {"name": name, "class_name": "Dense", "config": {
            "name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
            "kernel_initializer": VARIANCE_SCALING, "bias_initializer": ZEROS,
            "kernel_regularizer": regularizer, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None},
            "inbound_nodes": [[[inbound, 0, 0, {}]]]}

    l1l2 = {"class_name": "L1L2", "config": {"l1": 0.0, "l2": float(np.float32(0.001))}}
    layers = [
        {"name": "input_1", "class_name": "InputLayer", "config": {
            "batch_input_shape": [None, 2, n, 1], "dtype": "float32", "sparse": False, "name": "input_1"},
         "inbound_nodes": []},
        conv("conv2d_1", 32, 5, "input_1"),
        {"name": "max_pooling2d_1", "class_name": "MaxPooling2D", "config": {
            "name": "max_pooling2d_1", "trainable": True, "pool_size": [1, 2], "padding": "valid",
            "strides": [1, 2], "data_format": "channels_last"},
         "inbound_nodes": [[["conv2d_1", 0, 0, {}]]]},
        conv("conv2d_2", 64, 3, "max_pooling2d_1"),
        {"name": "flatten_1", "class_name": "Flatten", "config": {
            "name": "flatten_1", "trainable": True, "data_format": "channels_last"},
         "inbound_nodes": [[["conv2d_2", 0, 0, {}]]]},
        dense("dense_1", 128, "relu", l1l2, "flatten_1"),
        {"name": "dropout_1", "class_name": "Dropout", "config": {
            "name": "dropout_1", "trainable": True, "rate": 0.5, "noise_shape": None, "seed": None},
         "inbound_nodes": [[["dense_1", 0, 0, {}]]]},
        dense("dense_prediction", k, "softmax", None, "dropout_1"),
    ]
    return {"class_name": "Model", "config": {
        "name": "model_1", "layers": layers,
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_prediction", 0, 0]]}}


def keras224_training_config(lr: float = 1e-5) -> dict:
    f = lambda v: float(np.float32(v))  # noqa: E731  (2.2.4 read these from float32 backend variables)
    return {"optimizer_config": {"class_name": "Adam", "config": {
        "lr": f(lr), "beta_1": f(0.9), "beta_2": f(0.999), "decay": 0.0, "epsilon": 1e-07,
        "amsgrad": False}},
        "loss": "categorical_crossentropy", "metrics": ["accuracy", "mae"],
        "sample_weight_mode": None, "loss_weights": None}


def vlen_ascii_attr(obj, name: str, value: str) -> None:
    """What h5py 2.x made of a Python 2/3 `bytes` scalar: a variable-length ASCII string."""
    obj.attrs.create(name, value.encode("ascii"), dtype=h5py.string_dtype("ascii"))


def fixed_attr(obj, name: str, value: str) -> None:
    """A fixed-length NULLPAD ASCII scalar (np.bytes_)."""
    obj.attrs[name] = np.bytes_(value.encode("ascii"))


def fixed_list_attr(obj, name: str, values: list[str]) -> None:
    """What h5py 2.x made of a list of bytes (numpy.asarray): fixed `S<maxlen>` NULLPAD; empty -> f64 (0,)."""
    if values:
        obj.attrs[name] = np.asarray([v.encode("ascii") for v in values])
    else:
        obj.attrs[name] = np.asarray([], dtype=np.float64)


def write_h5py2style(path: Path, n: int, weights: dict[str, list[np.ndarray]],
                     adam_state: dict | None, fixedlen: bool) -> None:
    """Keras 2.2.4 `save_model` as run on h5py 2.x (or the all-fixed-length variant)."""
    scalar = fixed_attr if fixedlen else vlen_ascii_attr
    model_config = json.dumps(keras224_model_config(n))
    training_config = json.dumps(keras224_training_config())
    with h5py.File(path, "w") as f:  # h5py default libver='earliest': superblock v0, symbol-table groups
        scalar(f, "keras_version", "2.2.4")
        scalar(f, "backend", "tensorflow")
        scalar(f, "model_config", model_config)
        mw = f.create_group("model_weights")
        fixed_list_attr(mw, "layer_names", LAYER_NAMES)
        scalar(mw, "backend", "tensorflow")
        scalar(mw, "keras_version", "2.2.4")
        for layer in LAYER_NAMES:
            g = mw.create_group(layer)
            ws = weights.get(layer, [])
            names = [f"{layer}/{w}:0" for w in ("kernel", "bias")][: len(ws)]
            fixed_list_attr(g, "weight_names", names)
            for wname, value in zip(names, ws):
                d = g.create_dataset(wname, value.shape, dtype=value.dtype)
                d[...] = value
        scalar(f, "training_config", training_config)
        if adam_state is not None:
            ow = f.create_group("optimizer_weights")
            m, v = adam_state["m"], adam_state["v"]
            blocks = [("m", m), ("v", v), ("vhat", [np.zeros((1,), np.float32)] * len(m))]
            names = ["Adam/iterations:0"]
            values = [np.array(adam_state["iterations"], dtype=np.int64)]
            idx = 0
            for _, block in blocks:
                for arr in block:
                    names.append("training/Adam/Variable:0" if idx == 0 else f"training/Adam/Variable_{idx}:0")
                    values.append(arr)
                    idx += 1
            fixed_list_attr(ow, "weight_names", names)
            for wname, value in zip(names, values):
                d = ow.create_dataset(wname, value.shape, dtype=value.dtype)
                d[...] = value


def tfk_adam_state(model) -> dict:
    """iterations + m, v per trainable variable (kernel, bias per weighted layer, in layer order)."""
    opt = model.optimizer
    # tf-keras 2.x (non-legacy) Adam keeps _momentums / _velocities aligned with trainable_variables.
    m = [np.array(x) for x in opt._momentums]
    v = [np.array(x) for x in opt._velocities]
    return {"iterations": int(opt.iterations.numpy()), "m": m, "v": v}


# --------------------------------------------------------------------------------------------
# Writers of each fixture
# --------------------------------------------------------------------------------------------

def save_tfk(model, name: str, include_optimizer: bool = True) -> Path:
    path = OUT / name
    if path.exists():
        path.unlink()
    model.save(path, include_optimizer=include_optimizer, save_format="h5")
    return path


def make_full() -> None:
    seed_all(1)
    model = tfk_model(FULL_N)
    pretrain(model, FULL_N, samples=512, epochs=2, seed_offset=101)
    compile_neatms(model, lr=1e-5)  # NeatMS's compile; fresh (unbuilt) Adam: state = iteration only
    save_tfk(model, "neatms_tfkeras2_full.h5", include_optimizer=True)
    record("neatms_tfkeras2_full.h5", "tf-keras model.save (h5)",
           "full-size NeatMS model (n=120, k=3), trained 2 epochs on synthetic matrices; training_config "
           "Custom>Adam lr 1e-5, optimizer_weights = iteration:0 only (Adam not built, keeps the file ~4 MB)")
    reference_forward("reference_forward_full.h5", "neatms_tfkeras2_full.h5", FULL_N, seed_offset=201,
                      with_layers=False)


def reference_forward(name: str, model_file: str, n: int, seed_offset: int, with_layers: bool) -> None:
    model = tf_keras.models.load_model(OUT / model_file, compile=False)
    rng = np.random.default_rng(SEED + seed_offset)
    X, y = neatms_matrices(rng, 8, n)
    P = model.predict(X, batch_size=8, verbose=0).astype(np.float32)
    with h5py.File(OUT / name, "w") as f:
        f.attrs["model"] = model_file
        f.attrs["writer"] = f"tf-keras {tf_keras.__version__} model.predict(batch_size=8), float32"
        f.create_dataset("X", data=X)
        f.create_dataset("P", data=P)
        f.create_dataset("y", data=y.astype(np.int64))
        if with_layers:
            for layer in model.layers[1:]:
                sub = tf_keras.Model(model.input, layer.output)
                f.create_dataset(f"layers/{layer.name}", data=sub.predict(X, batch_size=8, verbose=0))
    record(name, "h5py from tf-keras predict",
           f"forward reference for {model_file}: X (8,2,{n},1) NeatMS-like matrices, P (8,3) Keras "
           "probabilities, y (8) the synthetic classes" + (", layers/<name> every layer's output" if with_layers else ""))


def make_reduced() -> "tf_keras.Model":
    """(a) tf-keras full model with Adam state, (b) save_weights, (e) h5py2style x2 and the references."""
    seed_all(2)
    model = tfk_model(REDUCED_N)
    pretrain(model, REDUCED_N, samples=512, epochs=2, seed_offset=102)
    compile_neatms(model, lr=1e-5)
    rng = np.random.default_rng(SEED + 103)
    X, y = neatms_matrices(rng, 384, REDUCED_N)
    model.fit(X, one_hot(y), batch_size=32, epochs=1, shuffle=False, verbose=0)  # 12 Adam(1e-5) steps
    save_tfk(model, "reduced_tfkeras2_full.h5")
    record("reduced_tfkeras2_full.h5", "tf-keras model.save (h5)",
           "(a) reduced NeatMS model n=16: Functional, Custom>Adam lr 1e-5 with state "
           "(iteration:0 = 12, Adam/m/<layer>/<w>:0 and Adam/v/<layer>/<w>:0)")
    b = OUT / "reduced_tfkeras2_weights.h5"
    if b.exists():
        b.unlink()
    model.save_weights(b)
    record("reduced_tfkeras2_weights.h5", "tf-keras model.save_weights (h5)", "(b) weights-only, same weights as (a)")

    weights = tfk_weights_by_layer(model)
    state = tfk_adam_state(model)
    write_h5py2style(OUT / "reduced_h5py2style.h5", REDUCED_N, weights, state, fixedlen=False)
    record("reduced_h5py2style.h5", "h5py (Keras 2.2.4 + h5py 2.x imitation)",
           "(e) NeatMS-era layout: vlen ASCII scalars, fixed S16/S17/S27 NULLPAD name lists, class Model, "
           "Adam lr/decay, optimizer_weights Adam/iterations:0 + training/Adam/Variable_N:0 "
           "(m = (a)'s m, v = (a)'s v, vhat zeros(1)); weights = (a)'s")
    write_h5py2style(OUT / "reduced_h5py2style_fixedlen.h5", REDUCED_N, weights, None, fixedlen=True)
    record("reduced_h5py2style_fixedlen.h5", "h5py", "(e') as (e) but every string attribute fixed-length "
           "NULLPAD ASCII, no optimizer_weights")
    reference_forward("reference_forward_reduced.h5", "reduced_tfkeras2_full.h5", REDUCED_N, seed_offset=202,
                      with_layers=True)
    return model


def make_keras3(src: "tf_keras.Model") -> None:
    """(c) .keras and .weights.h5, (d) Keras 3 legacy .h5, all with (a)'s weights."""
    seed_all(3)
    m3 = k3_model(REDUCED_N)
    by_name = tfk_weights_by_layer(src)
    for layer in m3.layers:
        if layer.name in by_name:
            layer.set_weights(by_name[layer.name])
    compile_neatms(m3, lr=1e-5)
    for name in ("reduced_keras3.keras", "reduced_keras3.weights.h5", "reduced_keras3_legacy.h5"):
        if (OUT / name).exists():
            (OUT / name).unlink()
    m3.save(OUT / "reduced_keras3.keras")
    m3.save_weights(OUT / "reduced_keras3.weights.h5")
    m3.save(OUT / "reduced_keras3_legacy.h5")
    record("reduced_keras3.keras", "Keras 3 model.save (.keras zip)",
           "(c) weights = (a)'s; layers/<snake_case class>[_N]/vars/<i>; optimizer vars iteration + lr (unbuilt)")
    record("reduced_keras3.weights.h5", "Keras 3 model.save_weights", "(c) bare Keras 3 weights file, = model.weights.h5 in the .keras")
    record("reduced_keras3_legacy.h5", "Keras 3 model.save (legacy h5)",
           "(d) batch_shape, dict inbound_nodes, flat input_layers, names without :0; optimizer adam/iteration + adam/learning_rate")


def make_sequential(src: "tf_keras.Model") -> None:
    seed_all(4)
    model = tfk_sequential(REDUCED_N)
    by_name = tfk_weights_by_layer(src)
    for layer in model.layers:
        if layer.name in by_name:
            layer.set_weights(by_name[layer.name])
    compile_neatms(model, lr=1e-5)
    save_tfk(model, "reduced_sequential.h5")
    record("reduced_sequential.h5", "tf-keras model.save (h5)",
           "(f) Sequential (class_name Sequential, no InputLayer in layer_names), weights = (a)'s")


def make_sgd(src: "tf_keras.Model") -> None:
    seed_all(5)
    model = tfk_model(REDUCED_N)
    model.set_weights(src.get_weights())
    compile_neatms(model, lr=1e-2, optimizer="sgd", momentum=0.9)
    rng = np.random.default_rng(SEED + 105)
    X, y = neatms_matrices(rng, 96, REDUCED_N)
    model.fit(X, one_hot(y), batch_size=32, epochs=1, shuffle=False, verbose=0)  # 3 steps
    save_tfk(model, "reduced_sgd_full.h5")
    record("reduced_sgd_full.h5", "tf-keras model.save (h5)",
           "(g) Custom>SGD lr 1e-2 momentum 0.9 with state (iteration:0 = 3, SGD/m/<layer>/<w>:0)")


def tiny_tfk(name: str, conv_kwargs: dict, extra=None, input_shape=(2, 8, 1)) -> None:
    seed_all(6)
    L = tf_keras.layers
    inp = L.Input(shape=input_shape, name="input_1")
    x = L.Conv2D(4, (3, 3), padding="same", name="conv2d_1", **conv_kwargs)(inp)
    if extra is not None:
        x = extra(x)
    x = L.Flatten(name="flatten_1")(x)
    out = L.Dense(3, activation="softmax", name="dense_prediction")(x)
    model = tf_keras.Model(inp, out, name="model")
    compile_neatms(model)
    save_tfk(model, name)


def make_unsupported() -> None:
    L = tf_keras.layers
    tiny_tfk("unsupported_batchnorm.h5", {"activation": "relu"},
             extra=lambda x: L.BatchNormalization(name="batch_normalization_1")(x))
    record("unsupported_batchnorm.h5", "tf-keras", "error test: a BatchNormalization layer (batch_normalization_1)")
    tiny_tfk("unsupported_dilation.h5", {"activation": "relu", "dilation_rate": (2, 2)})
    record("unsupported_dilation.h5", "tf-keras", "error test: conv2d_1 has dilation_rate [2, 2]")
    tiny_tfk("unsupported_channels_first.h5", {"activation": "relu", "data_format": "channels_first"},
             input_shape=(1, 2, 8))
    record("unsupported_channels_first.h5", "tf-keras", "error test: conv2d_1 has data_format channels_first")
    tiny_tfk("unsupported_elu.h5", {"activation": "elu"})
    record("unsupported_elu.h5", "tf-keras", "error test: conv2d_1 has activation elu")

    seed_all(7)
    model = tfk_model(4)  # same names as the reduced model; dense_1 kernel (256,128) instead of (1024,128)
    path = OUT / "reduced_weights_dense1_mismatch.h5"
    if path.exists():
        path.unlink()
    model.save_weights(path)
    record("reduced_weights_dense1_mismatch.h5", "tf-keras save_weights",
           "weights-only with NeatMS layer names from an n=4 model: only dense_1 kernel differs from "
           "the n=16 model ((256,128) vs (1024,128)); for mismatch errors and --skip-mismatch")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 2x2 RGB
    raw = b"".join(b"\x00" + bytes([255, 0, 0, 0, 255, 0]) for _ in range(2))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def make_bad_files() -> None:
    src = (OUT / "unsupported_elu.h5").read_bytes()
    (OUT / "truncated.h5").write_bytes(src[: len(src) // 2])
    record("truncated.h5", "Python (bytes)", "the first half of a valid tf-keras full-model file (unsupported_elu.h5)")
    (OUT / "png_renamed.h5").write_bytes(tiny_png())
    record("png_renamed.h5", "Python (raw bytes + zlib)", "a valid 2x2 RGB PNG named .h5")
    (OUT / "empty.h5").write_bytes(b"")
    record("empty.h5", "Python", "0 bytes")
    with h5py.File(OUT / "no_model_config.h5", "w") as f:
        f.attrs["keras_version"] = "2.21.0"
        f.attrs["backend"] = "tensorflow"
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = [b"dense_prediction"]
        g = mw.create_group("dense_prediction")
        g.attrs["weight_names"] = [b"dense_prediction/kernel:0", b"dense_prediction/bias:0"]
        g.create_dataset("dense_prediction/kernel:0", data=np.ones((4, 3), np.float32))
        g.create_dataset("dense_prediction/bias:0", data=np.zeros((3,), np.float32))
    record("no_model_config.h5", "h5py", "valid HDF5 with /model_weights (one Dense) but no model_config attribute")


def store_weights(group, model) -> None:
    for layer in model.layers:
        ws = layer.get_weights()
        for wname, value in zip(("kernel", "bias"), ws):
            group.create_dataset(f"{layer.name}/{wname}", data=np.array(value))


def make_training_references(src: "tf_keras.Model") -> None:
    """reduced_dropout0.h5 + one Adam step and two SGD steps on a fixed batch (also with frozen convs)."""
    seed_all(8)
    model = tfk_model(REDUCED_N, dropout=0.0)
    model.set_weights(src.get_weights())
    compile_neatms(model, lr=1e-3)
    save_tfk(model, "reduced_dropout0.h5")  # training_config Adam lr 1e-3, unbuilt optimizer
    record("reduced_dropout0.h5", "tf-keras model.save (h5)",
           "reduced model with dropout rate 0, weights = (a)'s, compiled Adam(1e-3) (no state): the 'before' "
           "of reference_adam_step.h5 and reference_sgd_steps.h5")
    rng = np.random.default_rng(SEED + 108)
    X, yi = neatms_matrices(rng, 32, REDUCED_N)
    Y = one_hot(yi)

    def run(optimizer: str, lr: float, momentum: float, steps: int, frozen: bool):
        tf_keras.backend.clear_session()
        m = tf_keras.models.load_model(OUT / "reduced_dropout0.h5", compile=False)
        if frozen:
            m.get_layer("conv2d_1").trainable = False
            m.get_layer("conv2d_2").trainable = False
        compile_neatms(m, lr=lr, optimizer=optimizer, momentum=momentum)
        results = [m.train_on_batch(X, Y) for _ in range(steps)]
        return m, np.array(results, dtype=np.float64)  # (steps, 3): loss, accuracy, mae

    before = tf_keras.models.load_model(OUT / "reduced_dropout0.h5", compile=False)
    before_w = tfk_weights_by_layer(before)

    for fname, optimizer, lr, momentum, steps in (("reference_adam_step.h5", "adam", 1e-3, 0.0, 1),
                                                  ("reference_sgd_steps.h5", "sgd", 1e-2, 0.9, 2)):
        with h5py.File(OUT / fname, "w") as f:
            f.attrs["model"] = "reduced_dropout0.h5"
            f.attrs["optimizer"] = "Adam" if optimizer == "adam" else "SGD"
            f.attrs["learning_rate"] = lr
            if optimizer == "adam":
                f.attrs["beta_1"], f.attrs["beta_2"], f.attrs["epsilon"] = 0.9, 0.999, 1e-7
            else:
                f.attrs["momentum"] = momentum
            f.attrs["steps"] = steps
            f.attrs["writer"] = (f"tf-keras {tf_keras.__version__} train_on_batch x{steps} on the same batch "
                                 "(loss = mean categorical cross-entropy + 0.001*sum(dense_1 kernel^2), "
                                 "computed before each update)")
            f.create_dataset("X", data=X)
            f.create_dataset("y", data=Y)
            variants = (("", False), ("frozen/", True)) if optimizer == "adam" else (("", False),)
            for variant, frozen in variants:
                m, res = run(optimizer, lr, momentum, steps, frozen)
                f.create_dataset(f"{variant}loss", data=res[:, 0])
                f.create_dataset(f"{variant}accuracy", data=res[:, 1])
                f.create_dataset(f"{variant}mae", data=res[:, 2])
                store_weights(f.require_group(f"{variant}after"), m)
                after = tfk_weights_by_layer(m)
                for layer in ("conv2d_1", "conv2d_2"):
                    same = all(np.array_equal(a, b) for a, b in zip(after[layer], before_w[layer]))
                    assert same == frozen, f"{fname} {variant}{layer}: frozen={frozen} but unchanged={same}"
                assert not np.array_equal(after["dense_1"][0], before_w["dense_1"][0])
            if "frozen" in f:
                f["frozen"].attrs["frozen_layers"] = ["conv2d_1", "conv2d_2"]
        record(fname, "h5py from tf-keras train_on_batch",
               f"{'Adam' if optimizer == 'adam' else 'SGD'} reference: X (32,2,16,1), y one-hot (32,3); "
               f"loss/accuracy/mae ({steps},) as Keras reported; after/<layer>/<kernel|bias> after {steps} step(s) "
               f"{'Adam(lr 1e-3)' if optimizer == 'adam' else 'SGD(lr 1e-2, momentum 0.9)'} from reduced_dropout0.h5"
               + ("; frozen/ the same with conv2d_1 and conv2d_2 trainable=False (their after = before)"
                  if optimizer == "adam" else ""))


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------

LOAD_MATRIX = {
    # file: (tf_keras compile=True, tf_keras compile=False, keras3 compile=True, keras3 compile=False)
    "neatms_tfkeras2_full.h5": (True, True, True, True),
    "reduced_tfkeras2_full.h5": (True, True, True, True),
    "reduced_keras3_legacy.h5": (False, False, True, True),
    "reduced_h5py2style.h5": (True, True, False, True),
    "reduced_h5py2style_fixedlen.h5": (True, True, False, True),
    "reduced_keras3.keras": (False, False, True, True),
    "reduced_sequential.h5": (True, True, True, True),
    "reduced_sgd_full.h5": (True, True, True, True),
    "reduced_dropout0.h5": (True, True, True, True),
}


def opt_vars(optimizer) -> list:
    """Optimizer variables (a property in new optimizers, a method in tf-keras' legacy ones)."""
    v = optimizer.variables
    return list(v() if callable(v) else v)


def check_loading() -> list[str]:
    failures = []
    rng = np.random.default_rng(SEED + 999)
    ref = tf_keras.models.load_model(OUT / "reduced_tfkeras2_full.h5", compile=False)
    Xr, _ = neatms_matrices(rng, 4, REDUCED_N)
    Pr = ref.predict(Xr, verbose=0)
    for name, expected in LOAD_MATRIX.items():
        results = []
        for (loader, mod), compile_ in [((l, m), c) for l, m in (("tf_keras", tf_keras), ("keras3", keras))
                                        for c in (True, False)]:
            try:
                model = mod.models.load_model(OUT / name, compile=compile_)
                ok = True
                note = ""
                if model.input_shape[2] == REDUCED_N and name != "reduced_sgd_full.h5":
                    dp = float(np.max(np.abs(model.predict(Xr, verbose=0) - Pr)))
                    note = f" max|dp|={dp:.2g}"
                    ok = dp == 0.0
                if compile_ and getattr(model, "optimizer", None) is not None:
                    note += f" optimizer={type(model.optimizer).__name__} vars={len(opt_vars(model.optimizer))}"
            except Exception as exc:  # noqa: BLE001
                ok, note = False, f" {type(exc).__name__}: {str(exc)[:90]}"
            results.append(ok)
            print(f"  {name:34s} {loader:8s} compile={compile_!s:5s} {'OK  ' if ok else 'FAIL'}{note}")
        if tuple(results) != expected:
            failures.append(f"{name}: loaders gave {results}, expected {list(expected)}")
    # Weights-only files.
    for wfile, mod in (("reduced_tfkeras2_weights.h5", tf_keras), ("reduced_keras3.weights.h5", keras)):
        model = tfk_model(REDUCED_N) if mod is tf_keras else k3_model(REDUCED_N)
        model.load_weights(OUT / wfile)
        dp = float(np.max(np.abs(model.predict(Xr, verbose=0) - Pr)))
        print(f"  {wfile:34s} load_weights max|dp|={dp:.2g}")
        if dp != 0.0:
            failures.append(f"{wfile}: predictions differ by {dp}")
    # e's optimizer state restores (a)'s m and v exactly in tf-keras.
    a = tf_keras.models.load_model(OUT / "reduced_tfkeras2_full.h5")
    e = tf_keras.models.load_model(OUT / "reduced_h5py2style.h5")
    a_vars = {v.name: np.array(v) for v in opt_vars(a.optimizer)}
    e_vars = [np.array(v) for v in opt_vars(e.optimizer)]
    a_sorted = sorted((x.tobytes() for x in a_vars.values()))
    e_sorted = sorted((x.tobytes() for x in e_vars))
    print(f"  optimizer vars: a={len(a_vars)} e={len(e_vars)} identical={a_sorted == e_sorted}")
    if a_sorted != e_sorted:
        failures.append("reduced_h5py2style.h5: optimizer state restored by tf-keras differs from (a)'s")
    return failures


EXPECTED_HEADER_TYPES = {
    # (object path, attribute): expected DATATYPE text from h5dump -H
    ("/", "backend"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("/", "keras_version"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("/", "model_config"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("/", "training_config"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("model_weights", "backend"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("model_weights", "keras_version"): "STRSIZE H5T_VARIABLE; STRPAD H5T_STR_NULLTERM; CSET H5T_CSET_ASCII;",
    ("model_weights", "layer_names"): "STRSIZE 16; STRPAD H5T_STR_NULLPAD; CSET H5T_CSET_ASCII; ( 8 )",
    ("conv2d_1", "weight_names"): "STRSIZE 17; STRPAD H5T_STR_NULLPAD; CSET H5T_CSET_ASCII; ( 2 )",
    ("dense_1", "weight_names"): "STRSIZE 16; STRPAD H5T_STR_NULLPAD; CSET H5T_CSET_ASCII; ( 2 )",
    ("dropout_1", "weight_names"): "H5T_IEEE_F64LE ( 0 )",
    ("optimizer_weights", "weight_names"): "STRSIZE 27; STRPAD H5T_STR_NULLPAD; CSET H5T_CSET_ASCII; ( 25 )",
}


def trim_h5dump(dump: str) -> list[str]:
    """`h5dump -H` in the doc's trimmed form: CTYPE lines dropped, ATTRIBUTE/DATASET blocks on one line."""
    out: list[str] = []
    lines = [l for l in dump.splitlines() if "CTYPE" not in l]
    i = 0
    while i < len(lines):
        s = lines[i]
        stripped = s.strip()
        if stripped.startswith("ATTRIBUTE ") or stripped.startswith("DATASET "):
            indent = s[: len(s) - len(s.lstrip())]
            depth, parts = 0, []
            while True:
                t = lines[i].strip()
                depth += t.count("{") - t.count("}")
                parts.append(t)
                if depth <= 0:
                    break
                i += 1
            text = " ".join(parts)
            text = text.replace("H5T_STRING { ", "H5T_STRING { ").replace("{ STRSIZE", "{ STRSIZE")
            # h5dump puts DATATYPE and DATASPACE on separate lines; the doc joins them with two spaces.
            text = text.replace(" DATASPACE", "  DATASPACE").replace("; }  DATASPACE", "; }  DATASPACE")
            out.append(indent + " ".join(text.split(" ")))
        else:
            out.append(s)
        i += 1
    return [" ".join(l.split()) for l in out]


def compare_with_doc_dump(trimmed: list[str], doc: str, doc_name: str, our_name: str,
                          substitutions: dict[str, str]) -> list[str]:
    """Every non-elided line of the doc's header dump of `doc_name` must appear, in order, in ours
    (after `substitutions`, e.g. the n=120 shapes and sizes -> n=16)."""
    start = doc.index(f'HDF5 "{doc_name}"')
    block = doc[start: doc.index("```", start)].splitlines()
    expected = []
    for line in block:
        line = line.replace(doc_name, our_name)
        for old, new in substitutions.items():
            line = line.replace(old, new)
        if "same pattern as above" in line:
            line = line.split("{")[0] + "{"
        expected.append(" ".join(line.split()))
    ours = [l.replace('"Fixtures/keras/', '"') for l in trimmed]
    failures, pos, matched = [], 0, 0
    for line in expected:
        try:
            pos = ours.index(line, pos) + 1
            matched += 1
        except ValueError:
            failures.append(f"h5dump -H of {our_name} lacks the doc's line {line!r}")
    print(f"  h5dump -H {our_name}: {matched}/{len(expected)} lines of KERAS-LAYOUTS.md's {doc_name} dump "
          "found in order")
    return failures[:5]


def check_h5py2style_header() -> list[str]:
    failures = []
    if shutil.which("h5dump") is None:
        return ["h5dump not found (apt-get install hdf5-tools)"]
    # Parse by walking h5py instead of brace-matching h5dump's nesting, then confirm with h5dump's text.
    path = OUT / "reduced_h5py2style.h5"
    dump = subprocess.run(["h5dump", "-H", str(path.relative_to(REPO))], capture_output=True, text=True,
                          check=True, cwd=REPO).stdout
    with h5py.File(path, "r") as f:
        owners = {"/": f, "model_weights": f["model_weights"], "conv2d_1": f["model_weights/conv2d_1"],
                  "dense_1": f["model_weights/dense_1"], "dropout_1": f["model_weights/dropout_1"],
                  "optimizer_weights": f["optimizer_weights"]}
        for (owner, attr), expected in EXPECTED_HEADER_TYPES.items():
            aid = h5py.h5a.open(owners[owner].id, attr.encode())
            t = aid.get_type()
            space = aid.get_space()
            shape = space.shape
            if isinstance(t, h5py.h5t.TypeStringID):
                size = "H5T_VARIABLE" if t.is_variable_str() else str(t.get_size())
                pad = {h5py.h5t.STR_NULLTERM: "H5T_STR_NULLTERM", h5py.h5t.STR_NULLPAD: "H5T_STR_NULLPAD",
                       h5py.h5t.STR_SPACEPAD: "H5T_STR_SPACEPAD"}[t.get_strpad()]
                cset = {h5py.h5t.CSET_ASCII: "H5T_CSET_ASCII", h5py.h5t.CSET_UTF8: "H5T_CSET_UTF8"}[t.get_cset()]
                got = f"STRSIZE {size}; STRPAD {pad}; CSET {cset};"
            else:
                got = "H5T_IEEE_F64LE" if t.get_size() == 8 and t.get_class() == h5py.h5t.FLOAT else f"class {t.get_class()}"
            if shape:
                got += f" ( {', '.join(map(str, shape))} )"
            ok = got == expected
            print(f"  {'OK  ' if ok else 'FAIL'} {owner}@{attr}: {got}")
            if not ok:
                failures.append(f"reduced_h5py2style.h5 {owner}@{attr}: {got} != {expected}")
    trimmed = trim_h5dump(dump)
    doc = REPO.parent / "shared" / "KERAS-LAYOUTS.md"
    if doc.exists():
        failures += compare_with_doc_dump(trimmed, doc.read_text(), "neatms_h5py2style.h5",
                                          "reduced_h5py2style.h5", {"7680": "1024"})
        fixed = OUT / "reduced_h5py2style_fixedlen.h5"
        fixed_dump = subprocess.run(["h5dump", "-H", str(fixed.relative_to(REPO))], capture_output=True,
                                    text=True, check=True, cwd=REPO).stdout
        config_len = len(json.dumps(keras224_model_config(REDUCED_N)))
        failures += compare_with_doc_dump(trim_h5dump(fixed_dump), doc.read_text(),
                                          "neatms_h5py2style_fixedlen.h5", "reduced_h5py2style_fixedlen.h5",
                                          {"7680": "1024", "STRSIZE 3416;": f"STRSIZE {config_len};"})
        # A file of another layout must not pass this comparison (guards the comparison itself).
        print("  (guard: the tf-keras file compared as if it were h5py2style must not match)")
        other = subprocess.run(["h5dump", "-H", "Fixtures/keras/reduced_tfkeras2_full.h5"], capture_output=True,
                               text=True, check=True, cwd=REPO).stdout
        if not compare_with_doc_dump([l.replace("reduced_tfkeras2_full.h5", "reduced_h5py2style.h5")
                                      for l in trim_h5dump(other)], doc.read_text(), "neatms_h5py2style.h5",
                                     "reduced_h5py2style.h5", {"7680": "1024"}):
            failures.append("the h5dump comparison accepted the tf-keras file as h5py2style (comparison broken)")
    else:
        print("  (KERAS-LAYOUTS.md not beside the checkout: h5dump text not compared)")
    sb = path.read_bytes()[8]
    print(f"  superblock version {sb}")
    if sb != 0:
        failures.append(f"superblock version {sb} != 0")
    # Full-size JSON equals the one KERAS-LAYOUTS.md prints (when the doc is beside the checkout).
    if doc.exists():
        text = doc.read_text()
        start = text.index('{"class_name": "Model"', text.index("```json"))
        documented = text[start: text.index("\n", start)]
        mine = json.dumps(keras224_model_config(FULL_N))
        print(f"  n=120 model_config equals KERAS-LAYOUTS.md: {mine == documented} ({len(mine)} bytes)")
        if mine != documented:
            failures.append("keras224_model_config(120) differs from KERAS-LAYOUTS.md's JSON")
        tc = json.dumps(keras224_training_config())
        print(f"  training_config {len(tc)} bytes (doc: 313)")
        if len(tc) != 313:
            failures.append(f"training_config is {len(tc)} bytes, doc says 313")
    return failures


# --------------------------------------------------------------------------------------------

REFERENCE_NOTES = [
    "## Reference files (plain HDF5 written by h5py; strings are vlen UTF-8)",
    "",
    "* `reference_forward_full.h5`, `reference_forward_reduced.h5`: `X` float32 (8, 2, n, 1), `P` float32 (8, 3)",
    "  = tf-keras `predict` of the model named by the root attribute `model`, `y` int64 (8) synthetic classes;",
    "  the reduced one also has `layers/<layer name>` = that layer's output for `X` (channels last).",
    "* `reference_adam_step.h5`: root attributes `model` (= `reduced_dropout0.h5`, the weights before), `optimizer`",
    "  `Adam`, `learning_rate` 1e-3, `beta_1` 0.9, `beta_2` 0.999, `epsilon` 1e-7, `steps` 1; datasets `X` float32",
    "  (32, 2, 16, 1), `y` float32 (32, 3) one-hot, `loss`/`accuracy`/`mae` float64 (steps,) as `train_on_batch`",
    "  returned them (loss = mean categorical cross-entropy + 0.001 * sum(dense_1 kernel^2), before the update),",
    "  `after/<layer>/kernel` and `after/<layer>/bias` float32 after the step; `frozen/` holds the same for the run",
    "  with `conv2d_1` and `conv2d_2` trainable=False (its conv weights equal the before weights bit for bit).",
    "* `reference_sgd_steps.h5`: the same for `SGD(learning_rate=1e-2, momentum=0.9)` (attribute `momentum`),",
    "  two `train_on_batch` calls on the same batch; `loss` etc. have 2 entries; no `frozen/`.",
    "",
    "## Which real loader opens which file (checked by `make_fixtures.py --check`)",
    "",
    "| file | tf_keras load_model | Keras 3 load_model |",
    "|---|---|---|",
    "| `neatms_tfkeras2_full.h5`, `reduced_tfkeras2_full.h5`, `reduced_sequential.h5`, `reduced_sgd_full.h5`, "
    "`reduced_dropout0.h5` | yes | yes (optimizer state dropped) |",
    "| `reduced_h5py2style.h5`, `reduced_h5py2style_fixedlen.h5` | yes (legacy Adam; m and v restored from (e)) "
    "| compile=False only (`lr` refused) |",
    "| `reduced_keras3_legacy.h5` | no (`batch_shape`) | yes |",
    "| `reduced_keras3.keras` | no | yes |",
    "| `reduced_tfkeras2_weights.h5` | load_weights | load_weights |",
    "| `reduced_keras3.weights.h5` | no | load_weights |",
    "",
]


def write_readme(vers: dict[str, str]) -> None:
    lines = [
        "# Fixtures/keras",
        "",
        "Made by `Scripts/make_fixtures.py` (do not edit by hand; rerun the script). Versions used:",
        "",
        "| package | version |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in vers.items()],
        "",
        "Synthetic NeatMS-like matrices: row 0 a peak curve in [0, 1] (baseline removed, max 1), row 1 the",
        "0/1 mask whose middle third is 1 (NeatMS margin 1). Reduced models use matrix size n = 16 with NeatMS's",
        "layer names (dense_1 kernel (1024, 128)); the full-size one n = 120. All runs are seeded and single-threaded.",
        "",
        "| file | bytes | writer | what it is for |", "|---|---:|---|---|",
    ]
    for name, writer, purpose in MANIFEST:
        size = (OUT / name).stat().st_size
        lines.append(f"| `{name}` | {size:,} | {writer} | {purpose} |")
    total = sum((OUT / n).stat().st_size for n, _, _ in MANIFEST)
    lines += ["", f"Total: {total:,} bytes.", "", *REFERENCE_NOTES]
    (OUT / "README.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="cross-load every file and check the h5py2style header")
    parser.add_argument("--check-only", action="store_true", help="only run the checks on existing files")
    args = parser.parse_args()
    vers = versions()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.check_only:
        make_full()
        src = make_reduced()
        make_keras3(src)
        make_sequential(src)
        make_sgd(src)
        make_unsupported()
        make_bad_files()
        make_training_references(src)
        write_readme(vers)
        total = 0
        print("\nmanifest:")
        for name, writer, _ in MANIFEST:
            size = (OUT / name).stat().st_size
            total += size
            print(f"  {size:>10,}  {name:40s} {writer}")
        print(f"  {total:>10,}  total")
    failures: list[str] = []
    if args.check or args.check_only:
        print("\ncross-loading:")
        failures += check_loading()
        print("\nh5py2style header:")
        failures += check_h5py2style_header()
        for f in failures:
            print("FAIL " + f)
        print("checks: " + ("all passed" if not failures else f"{len(failures)} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
