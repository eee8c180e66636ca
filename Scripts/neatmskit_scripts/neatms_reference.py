"""What the real NeatMS 0.9 computes: its loader and the peak matrices its CNN is fed (no TensorFlow).

Used in the venv of Scripts/requirements/neatms.txt; NeatMS, numpy and h5py are imported on first use.
"""
import contextlib
import io
import json

MATRIX_SIZE = 120  # NN_handler's matrice_size
MARGIN = 1
MIN_SCAN_NUM = 5

# The per-peak datasets of a reference-matrices group (`neatms_reference_matrices.h5`): name and the
# NeatMS Peak attribute it holds.
PEAK_FIELDS = (("mz", "mz"), ("RT_min", "RT"), ("rt_start_min", "rt_start"), ("rt_end_min", "rt_end"),
               ("mz_min", "mz_min"), ("mz_max", "mz_max"), ("height", "height"), ("area", "area"))


def load(raw, table, fmt):
    """ntms.Experiment(raw folder, feature table, "mzmine" | "xcms" | ...)."""
    import NeatMS as ntms

    return ntms.Experiment(str(raw), str(table), fmt)


def load_quietly(raw, table, fmt, fresh_ids=False):
    """`load` with NeatMS's progress on stderr swallowed; `fresh_ids`: feature IDs as in a new session."""
    import NeatMS as ntms

    if fresh_ids:
        ntms.FeatureCollection.feature_collection_counter = 0
    with contextlib.redirect_stderr(io.StringIO()):
        return load(raw, table, fmt)


def neatms_matrices(sample):
    """Exactly the batch NN_handler.predict_peaks feeds the model for this sample: (batch (N, 2, 120, 1)
    float32, the valid peaks, their positions in the sample's peak list)."""
    import numpy as np

    for peak in sample.peak_list:
        peak.formatted_chromatograms = []
    sample.create_interpolated_chromatograms(MATRIX_SIZE, MARGIN, min_scan_num=MIN_SCAN_NUM)
    data, valid, positions = [], [], []
    for position, peak in enumerate(sample.peak_list):
        if peak.valid:
            frame = peak.get_formatted_chromatogram(MATRIX_SIZE, MARGIN)
            data.append([frame[0], frame[1]])
            valid.append(peak)
            positions.append(position)
    batch = np.asarray(data).reshape(len(data), 2, MATRIX_SIZE, 1).astype("float32")
    return batch, valid, positions


def write_reference_group(h5, name, batch, valid, positions, feature_ids=None):
    """One sample's group of a `neatms_reference_matrices.h5`: X, peak_index_in_sample, [feature_id],
    the PEAK_FIELDS of each valid peak, scan_number."""
    import numpy as np

    g = h5.create_group(name)
    g.create_dataset("X", data=batch, dtype="float32")
    g.create_dataset("peak_index_in_sample", data=np.array(positions, dtype=np.int64))
    if feature_ids is not None:
        g.create_dataset("feature_id", data=np.array(feature_ids, dtype=np.int64))
    for field, attr in PEAK_FIELDS:
        g.create_dataset(field, data=np.array([getattr(p, attr) for p in valid], dtype=np.float64))
    g.create_dataset("scan_number", data=np.array([p.scan_number for p in valid], dtype=np.int64))
    return g


def dump_json(folder, name, obj):
    """Writes `obj` as compact JSON (plus a newline) to folder/name, atomically, and says so."""
    from .files import write_atomic

    path = folder / name
    write_atomic(path, (json.dumps(obj, separators=(",", ":")) + "\n").encode())
    print("wrote", path, path.stat().st_size, "bytes")
