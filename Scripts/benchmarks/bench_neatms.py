#!/usr/bin/env python3
"""The NeatMS 0.9 side of Scripts/bench's data-path comparison.

  bench_neatms.py --threads N --model M.h5 --raw DIR --features TABLE [--format mzmine] [--threshold 0.22]

Times what `neatms predict --raw DIR --features TABLE --model M --threshold T` does, with the real NeatMS:
ntms.Experiment(raw, table, format) (table loading), NN_handler(...).create_model(model=M) (Keras model
load), predict_peaks(T) (pymzml reading, matrix extraction, prediction, labelling) and export_csv.
The time spent in Sample.create_interpolated_chromatograms (reading + extraction) and in the model's
predict is measured separately by wrapping those two calls. Prints one JSON object.

Environment: neatms==0.9 (without its declared dependencies), numpy 1.26, pandas 1.5.3, pymzml,
tensorflow-cpu and tf_keras: Scripts/bench runs it in .build/venv-bench (Scripts/requirements/bench.txt) or
BENCH_NEATMS_VENV. TF_USE_LEGACY_KERAS=1 makes NeatMS's `tensorflow.keras` the Keras 2 API it was written for.
"""
import argparse
import json
import logging
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", required=True)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--format", default="mzmine")
    parser.add_argument("--threshold", type=float, default=0.22)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("pymzml").setLevel(logging.ERROR)

    # NeatMS and Keras print progress on stdout: keep stdout for the JSON result only.
    result_stream = sys.stdout
    sys.stdout = sys.stderr
    t_start = time.perf_counter()
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import NeatMS as ntms
    from NeatMS.sample import Sample
    t_imported = time.perf_counter()

    phases = {"extract_s": 0.0, "predict_s": 0.0}
    original_extract = Sample.create_interpolated_chromatograms

    def timed_extract(self, *a, **k):
        t0 = time.perf_counter()
        try:
            return original_extract(self, *a, **k)
        finally:
            phases["extract_s"] += time.perf_counter() - t0

    Sample.create_interpolated_chromatograms = timed_extract

    t0 = time.perf_counter()
    cpu0 = time.process_time()  # every thread of this process (TensorFlow's too)
    experiment = ntms.Experiment(args.raw, args.features, args.format)
    t_loaded = time.perf_counter()
    handler = ntms.NN_handler(experiment, matrice_size=120, margin=1)
    handler.create_model(model=args.model)
    model = handler.class_model
    original_predict = model.predict

    def timed_predict(*a, **k):
        t1 = time.perf_counter()
        try:
            return original_predict(*a, **k)
        finally:
            phases["predict_s"] += time.perf_counter() - t1

    model.predict = timed_predict
    t_model = time.perf_counter()
    handler.predict_peaks(args.threshold)
    t_predicted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        experiment.export_csv(os.path.join(tmp, "results.csv"))
    t_end = time.perf_counter()
    cpu_end = time.process_time()

    peaks = sum(len(s.peak_list) for s in experiment.samples)
    valid = sum(1 for s in experiment.samples for p in s.peak_list if p.valid)
    size = sum(os.path.getsize(os.path.join(args.raw, f)) for f in os.listdir(args.raw)
               if f.lower().endswith(".mzml"))
    print(json.dumps({
        "samples": len(experiment.samples), "peaks": peaks, "valid_peaks": valid, "mzml_bytes": size,
        "import_s": t_imported - t_start, "table_load_s": t_loaded - t0, "model_load_s": t_model - t_loaded,
        "predict_peaks_s": t_predicted - t_model, "export_s": t_end - t_predicted,
        "extract_s": phases["extract_s"], "network_predict_s": phases["predict_s"],
        "total_s": t_end - t0, "total_with_import_s": t_end - t_start, "cpu_s": cpu_end - cpu0,
    }), file=result_stream)


if __name__ == "__main__":
    sys.exit(main())
