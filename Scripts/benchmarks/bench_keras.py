#!/usr/bin/env python3
"""The Keras side of Scripts/bench: the NeatMS network on TensorFlow CPU (tf_keras).

  bench_keras.py network --threads N [--count 10000] [--model M.h5]
      inference matrices/s at batch 32 and 1024 over `count` random (2, 120, 1) matrices (model.predict,
      median of 3 timed runs after a warm-up) and training samples/s for one epoch of `count` at batch 32
      (the second epoch of a fit, so graph tracing is not counted). Prints one JSON object; `*_per_s`
      are wall-clock rates, `*_per_cpu_s` the same work divided by the process's CPU time (all threads),
      which stays meaningful when other programs load the machine.
  bench_keras.py predict --threads N --model M.h5 --matrices F.h5 [--dataset X]
      what `neatms predict --model M --matrices F` does, in Python: load the model, read the matrices,
      predict, print `index,High_quality,Low_quality,Noise` CSV rows. Used for the cold-start timing.
  bench_keras.py predict-timed --threads N --model M.h5 --matrices F.h5 [--dataset X] [--runs 3]
      Keras's in-process `model.predict` on the file's matrices at batch 32 (Keras's default, NeatMS's)
      and 1024: after loading the model, reading the file and one untimed predict, the median seconds
      (wall and CPU) of `runs` predicts of all the matrices. Prints one JSON object. The other side of
      the whole `neatms predict --matrices` process (start, reading, network, CSV) in Scripts/bench.

Environment: tensorflow-cpu + tf_keras (Keras 2 API, as NeatMS uses) + h5py: Scripts/bench runs it in
.build/venv-bench (Scripts/requirements/bench.txt) or BENCH_VENV. Threads are fixed with
tf.config.threading (intra-op N, inter-op 1) before anything runs.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neatmskit_scripts.network import compile_neatms, neatms_network  # noqa: E402


def set_threads(n):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(n)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def network(args):
    tf = set_threads(args.threads)
    import numpy as np
    import tf_keras as keras
    keras.utils.set_random_seed(1)
    model = keras.models.load_model(args.model) if args.model else neatms_network(keras)
    compile_neatms(keras, model)
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 1.0, size=(args.count, 2, 120, 1)).astype(np.float32)
    x[:, 1] = (x[:, 1] > 0.66).astype(np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 3, size=args.count), 3)
    result = {"tensorflow": tf.__version__, "tf_keras": keras.__version__, "threads": args.threads,
              "count": args.count}
    for batch in (32, 1024):
        model.predict(x[: max(batch, 256)], batch_size=batch, verbose=0)  # warm-up: tracing, allocation
        times, cpu = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            model.predict(x, batch_size=batch, verbose=0)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        result[f"inference_b{batch}_per_s"] = args.count / sorted(times)[1]
        result[f"inference_b{batch}_per_cpu_s"] = args.count / sorted(cpu)[1]

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

            self.cpu = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0, self.c0 = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.t0)
            self.cpu.append(time.process_time() - self.c0)

    timer = EpochTimer()
    model.fit(x, y, batch_size=32, epochs=2, shuffle=True, verbose=0, callbacks=[timer])
    result["train_b32_per_s"] = args.count / timer.times[-1]
    result["train_b32_per_cpu_s"] = args.count / timer.cpu[-1]
    result["train_first_epoch_s"] = timer.times[0]
    print(json.dumps(result))


def model_and_matrices(args):
    """The model (not compiled) and the file's matrices as (N, H, W, C) float32, threads fixed first."""
    set_threads(args.threads)
    import h5py
    import numpy as np
    import tf_keras as keras
    model = keras.models.load_model(args.model, compile=False)
    with h5py.File(args.matrices, "r") as f:
        x = np.asarray(f[args.dataset][()], dtype=np.float32)
    return model, x[..., None] if x.ndim == 3 else x


def predict(args):
    model, x = model_and_matrices(args)
    p = model.predict(x, batch_size=32, verbose=0)
    out = sys.stdout
    out.write("index,High_quality,Low_quality,Noise\n")
    for i, row in enumerate(p):
        out.write(f"{i}," + ",".join(f"{v:.9g}" for v in row) + "\n")
    out.flush()


def predict_timed(args):
    model, x = model_and_matrices(args)
    result = {"count": int(x.shape[0]), "threads": args.threads}
    for batch in (32, 1024):
        model.predict(x, batch_size=batch, verbose=0)  # untimed: tracing, allocation
        times, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            model.predict(x, batch_size=batch, verbose=0)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        result[f"predict_b{batch}_s"] = sorted(times)[len(times) // 2]
        result[f"predict_b{batch}_cpu_s"] = sorted(cpu)[len(cpu) // 2]
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    n = sub.add_parser("network")
    n.add_argument("--threads", type=int, default=1)
    n.add_argument("--count", type=int, default=10000)
    n.add_argument("--model")
    p = sub.add_parser("predict")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", required=True)
    p.add_argument("--matrices", required=True)
    p.add_argument("--dataset", default="X")
    t = sub.add_parser("predict-timed")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--model", required=True)
    t.add_argument("--matrices", required=True)
    t.add_argument("--dataset", default="X")
    t.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    {"network": network, "predict": predict, "predict-timed": predict_timed}[args.command](args)


if __name__ == "__main__":
    main()
