"""NeatMS's network, defined once, in tf-keras (the Keras 2 API NeatMS was written for) or Keras 3.

NeatMS 0.9's NN_handler.create_model builds, for matrices of shape (2, n, 1) (n = matrice_size, 120 by
default) and k classes: Conv2D 32 (5x5, same, ReLU) → MaxPooling2D (1x2) → Conv2D 64 (3x3, same, ReLU)
→ Flatten → Dense 128 (ReLU, L2 0.001 on the kernel) → Dropout 0.5 → Dense k (softmax), with NeatMS's
layer names, compiled with Adam lr 1e-5, categorical cross-entropy, metrics accuracy and mae.

Layers are made and called in that order (functional) or made first and then stacked (Sequential), as
the committed Keras fixtures were made: with seeded initialisers the order fixes the initial weights.
"""

import os
import warnings

LAYER_NAMES = ["input_1", "conv2d_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dense_1", "dropout_1",
               "dense_prediction"]


def neatms_network(K, n=120, classes=3, dropout=0.5, name=None, sequential=False):
    """NeatMS's network, uncompiled. K: the Keras module (`tf_keras` or `keras`). `name`: the model's
    name (default: the Keras default). `sequential`: a Sequential model with an explicit InputLayer."""
    L = K.layers
    if sequential:
        return K.Sequential([
            L.InputLayer(input_shape=(2, n, 1), name="input_1"),
            L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1"),
            L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1"),
            L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2"),
            L.Flatten(name="flatten_1"),
            L.Dense(128, activation="relu", kernel_regularizer=K.regularizers.l2(0.001), name="dense_1"),
            L.Dropout(dropout, name="dropout_1"),
            L.Dense(classes, activation="softmax", name="dense_prediction"),
        ], name=name or "sequential")
    inp = L.Input(shape=(2, n, 1), name="input_1")
    x = L.Conv2D(32, (5, 5), padding="same", activation="relu", name="conv2d_1")(inp)
    x = L.MaxPooling2D(pool_size=(1, 2), name="max_pooling2d_1")(x)
    x = L.Conv2D(64, (3, 3), padding="same", activation="relu", name="conv2d_2")(x)
    x = L.Flatten(name="flatten_1")(x)
    x = L.Dense(128, activation="relu", kernel_regularizer=K.regularizers.l2(0.001), name="dense_1")(x)
    x = L.Dropout(dropout, name="dropout_1")(x)
    out = L.Dense(classes, activation="softmax", name="dense_prediction")(x)
    return K.Model(inp, out) if name is None else K.Model(inp, out, name=name)


def compile_neatms(K, model, lr=1e-5, optimizer="adam", momentum=0.0, metrics=("accuracy", "mae")):
    """Compiles as NeatMS does (Adam lr 1e-5, categorical cross-entropy, accuracy and mae), or with
    another learning rate, SGD with momentum, or other metrics."""
    if optimizer == "adam":
        opt = K.optimizers.Adam(learning_rate=lr)
    else:
        opt = K.optimizers.SGD(learning_rate=lr, momentum=momentum)
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=list(metrics))
    return model


def quiet_tensorflow():
    """Call before TensorFlow or Keras is imported: TensorFlow's C++ log off, Keras 3 on TensorFlow, no GPU
    (CPU results are the reference), Python warnings off."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    warnings.filterwarnings("ignore")
