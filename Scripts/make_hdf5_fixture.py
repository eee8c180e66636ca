#!/usr/bin/env python3
"""Writes Fixtures/hdf5/strings_and_types.h5 with h5py: every string kind and element type the Swift HDF5 layer
must read, plus a name list split by Keras's own `save_attributes_to_hdf5_group` (name0, name1, ...).

Run:  /work/venv-keras/bin/python Scripts/make_hdf5_fixture.py [output.h5]
Prints the versions used and every value written; Tests/HDF5Tests/FixtureTests.swift asserts exactly these.
All values are deterministic (no randomness), so re-running gives the same content.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py
import numpy as np
import keras
from keras.src.legacy.saving.legacy_h5_format import save_attributes_to_hdf5_group

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "hdf5", "strings_and_types.h5")
print(f"h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}, numpy {np.__version__}, keras {keras.__version__}")


def fixed_string_type(size, pad, cset):
    """A low-level fixed-length string type with the given padding and character set."""
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(size)
    tid.set_strpad(pad)
    tid.set_cset(cset)
    return tid


def attr_lowlevel(obj, name, tid, values, shape):
    """Writes an attribute with an explicit HDF5 type (for kinds h5py's high-level API does not make)."""
    space = h5py.h5s.create_simple(shape) if shape else h5py.h5s.create(h5py.h5s.SCALAR)
    attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
    data = np.array(values, dtype=f"S{tid.get_size()}").reshape(shape)
    attr.write(data, mtype=tid)


with h5py.File(out, "w") as f:  # h5py default: libver earliest, like Keras
    a = f.attrs
    # Variable-length strings.
    a["vlen_utf8_scalar"] = "café ✓ データ"                      # str -> vlen UTF-8 scalar
    a["vlen_ascii_scalar"] = b'{"class_name": "Model"}'          # bytes -> vlen ASCII scalar
    a["vlen_utf8_empty"] = ""                                    # empty vlen UTF-8
    a["vlen_ascii_array"] = np.array([b"conv2d_1", b"", b"dense_1/kernel:0"], dtype=h5py.string_dtype("ascii"))
    a["vlen_utf8_array"] = np.array(["α", "", "naïve", "🙂"], dtype=h5py.string_dtype("utf-8"))
    # Fixed-length strings: numpy S<n> -> NULLPAD ASCII ("dense_prediction" fills all 16 bytes: no NUL).
    a["fixed_nullpad_array"] = np.array([b"input_1", b"dense_prediction", b""])
    a["fixed_nullpad_scalar"] = np.bytes_(b"tensorflow")
    a["fixed_utf8_array"] = np.array(["é".encode(), "ü✓".encode()], dtype=h5py.string_dtype("utf-8", 8))
    attr_lowlevel(f, "fixed_nullterm_scalar",
                  fixed_string_type(8, h5py.h5t.STR_NULLTERM, h5py.h5t.CSET_ASCII), [b"2.2.4"], ())
    attr_lowlevel(f, "fixed_nullterm_array",
                  fixed_string_type(6, h5py.h5t.STR_NULLTERM, h5py.h5t.CSET_ASCII), [b"abc", b"abcde", b""], (3,))
    attr_lowlevel(f, "fixed_spacepad_scalar",
                  fixed_string_type(7, h5py.h5t.STR_SPACEPAD, h5py.h5t.CSET_ASCII), [b"pad"], ())
    # Keras's empty name list: numpy's empty float64 array.
    a["empty_f64"] = np.asarray([])
    # Numbers.
    a["i64_scalar"] = np.int64(-1234567890123)
    a["f64_scalar"] = np.float64(0.1)
    a["f32_array"] = np.array([1.5, -2.25, 1e-5], dtype=np.float32)
    a["i32_matrix"] = np.arange(6, dtype=np.int32).reshape(2, 3) - 2
    a["u8_array"] = np.array([0, 7, 255], dtype=np.uint8)
    a["i16_array"] = np.array([-300, 300], dtype=np.int16)
    a["bool_scalar"] = np.bool_(True)                            # an enum: reported as unsupported
    a["null_f64"] = h5py.Empty("f8")                             # H5S_NULL dataspace: reported as unsupported

    # Groups and datasets; ':' in names; nested paths.
    w = f.create_group("model_weights/dense_1/dense_1")
    w.create_dataset("kernel:0", data=(np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 4)
    w.create_dataset("bias:0", data=np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32))
    f["model_weights/dense_1"].attrs["weight_names"] = [b"dense_1/kernel:0", b"dense_1/bias:0"]
    f.create_group("model_weights/flatten_1").attrs["weight_names"] = np.asarray([])
    f.create_dataset("optimizer_weights/Adam/iterations:0", data=np.int64(42))
    d = f.create_group("data")
    d.create_dataset("f64", data=np.linspace(0.0, 1.0, 5))
    d.create_dataset("i32", data=np.arange(6, dtype=np.int32).reshape(2, 3) * -3)
    d.create_dataset("i64", data=np.array([2**40, -7], dtype=np.int64))
    d.create_dataset("u8", data=np.arange(250, 256, dtype=np.uint8))
    d.create_dataset("i16", data=np.array([-2, 3], dtype=np.int16))
    d.create_dataset("cube", data=np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    d["cube"].attrs["units"] = "a.u."

    # A name list over 64,512 bytes, split by Keras itself into names0, names1, ...
    big = [f"layer_{i:05d}/kernel_with_a_long_name:0".encode() for i in range(2000)]
    save_attributes_to_hdf5_group(f["model_weights"], "big_names", big)

with h5py.File(out, "r") as f:
    for name in sorted(f.attrs):
        v = f.attrs[name]
        print(f"/@{name}: {v!r} type={f.attrs.get_id(name).get_type().__class__.__name__}")
    print("model_weights attrs:", sorted(f["model_weights"].attrs))
    big_attrs = [n for n in sorted(f["model_weights"].attrs) if n.startswith("big_names")]
    for n in big_attrs:
        v = f["model_weights"].attrs[n]
        print(f"  {n}: {len(v)} items, dtype {v.dtype}, first {v[0]!r}, last {v[-1]!r}")

    def show(name, obj):
        if isinstance(obj, h5py.Dataset):
            print(f"/{name}: {obj.dtype} {obj.shape} {obj[()].tolist()!r}")
        else:
            print(f"/{name}/ (group)")
    f.visititems(show)
print(f"wrote {out} ({os.path.getsize(out)} bytes)")
