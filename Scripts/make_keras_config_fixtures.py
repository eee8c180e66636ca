#!/usr/bin/env python3
"""Write the Keras config JSON fixtures in Fixtures/keras/configs/ with real tf-keras and Keras 3.

Each file is exactly what Keras stores: `model.to_json()` (= the `.h5` `model_config`), a `.keras`
archive's `config.json`, or the `training_config` attribute of a legacy `.h5`. The Swift tests parse
them (KerasFormatTests/ConfigTests.swift) and never need Python.

Usage: /work/venv-keras/bin/python Scripts/make_keras_config_fixtures.py [OUTDIR]
Pinned: tensorflow-cpu 2.21.0, tf-keras 2.21.0, keras 3.15.1, h5py 3.14 (printed on run).
"""
import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import h5py  # noqa: E402
import keras  # noqa: E402  (Keras 3)
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Fixtures", "keras", "configs")
os.makedirs(OUT, exist_ok=True)
print(f"tensorflow {tf.__version__}, tf_keras {tf_keras.__version__}, keras {keras.__version__}, h5py {h5py.__version__}")


def write(name, text):
    data = json.loads(text)  # validate; store exactly what Keras wrote
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
    print(f"  {name}: {data.get('class_name', 'training_config')}")


def neatms(K, n=16, **compile_kwargs):
    L = K.layers
    inp = L.Input(shape=(2, n, 1), name="input_1")
    x = L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1")(inp)
    x = L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1")(x)
    x = L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2")(x)
    x = L.Flatten(name="flatten_1")(x)
    x = L.Dense(128, activation="relu", kernel_regularizer=K.regularizers.l2(0.001), name="dense_1")(x)
    x = L.Dropout(0.5, name="dropout_1")(x)
    out = L.Dense(3, activation="softmax", name="dense_prediction")(x)
    return K.Model(inp, out)


def legacy_training_config(model):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.h5")
        model.save(path)
        with h5py.File(path, "r") as f:
            tc = f.attrs["training_config"]
            return tc.decode() if isinstance(tc, bytes) else tc


def keras3_config_json(model):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.keras")
        model.save(path)
        with zipfile.ZipFile(path) as z:
            return z.read("config.json").decode()


# --- tf-keras 2.x -------------------------------------------------------------------------------
K = tf_keras
L = K.layers
m = neatms(K)
m.compile(loss="categorical_crossentropy", optimizer=K.optimizers.Adam(learning_rate=1e-5), metrics=["accuracy", "mae"])
write("tfkeras_functional.json", m.to_json())
write("tfkeras_training_adam.json", legacy_training_config(m))
m.compile(loss="categorical_crossentropy", optimizer=K.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
          metrics=["accuracy"])
write("tfkeras_training_sgd.json", legacy_training_config(m))
m.compile(loss="categorical_crossentropy", optimizer=K.optimizers.legacy.Adam(learning_rate=1e-4, decay=1e-3),
          metrics=["accuracy"])
write("tfkeras_training_legacy_adam_decay.json", legacy_training_config(m))

seq = K.Sequential([L.Conv2D(4, (1, 3), input_shape=(2, 16, 1), name="c"), L.Flatten(name="f"),
                    L.Dense(3, activation="softmax", name="d")])
write("tfkeras_sequential_first_layer_shape.json", seq.to_json())
seq2 = K.Sequential([L.InputLayer(input_shape=(2, 16, 1), name="in"), L.Conv2D(4, (1, 3), strides=(1, 2), name="c"),
                     L.Flatten(name="f"), L.Dense(3, name="d")])
seq2.layers[0].trainable = False
write("tfkeras_sequential_input_layer.json", seq2.to_json())

# Refused architectures: one unsupported feature each.
inp = L.Input(shape=(2, 16, 1), name="input_1")
a = L.Conv2D(4, (1, 3), padding="same", name="left")(inp)
b = L.Conv2D(4, (1, 3), padding="same", name="right")(inp)
write("bad_branching.json", K.Model(inp, L.Add(name="add")([a, b])).to_json())


def one_conv(name, **kwargs):
    i = L.Input(shape=(2, 16, 1), name="input_1")
    o = L.Conv2D(4, (1, 3), name="conv2d_1", **kwargs)(i)
    write(name, K.Model(i, L.Flatten(name="flatten_1")(o)).to_json())


one_conv("bad_dilation.json", dilation_rate=(1, 2))
one_conv("bad_activation.json", activation="elu")
one_conv("bad_float16.json", dtype="float16")
i = L.Input(shape=(2, 16, 1), name="input_1")
write("bad_batchnorm.json", K.Model(i, L.BatchNormalization(name="batch_normalization")(i)).to_json())

# --- Keras 3 -------------------------------------------------------------------------------------
K = keras
L = K.layers
m = neatms(K)
m.compile(loss="categorical_crossentropy", optimizer=K.optimizers.Adam(learning_rate=1e-5), metrics=["accuracy", "mae"])
write("keras3_functional_config.json", keras3_config_json(m))
write("keras3_training_adam.json", legacy_training_config(m))
m.compile(loss="categorical_crossentropy", optimizer=K.optimizers.SGD(learning_rate=0.05, momentum=0.5),
          metrics=["accuracy"])
write("keras3_sgd_config.json", keras3_config_json(m))
seq = K.Sequential([K.Input(shape=(2, 16, 1)), L.Conv2D(4, (1, 3), name="c"), L.MaxPooling2D((1, 2), name="p"),
                    L.Flatten(name="f"), L.Dense(3, activation="sigmoid", name="d")])
write("keras3_sequential_config.json", keras3_config_json(seq))
