#ifndef NEATMSKIT_CHDF5_SHIM_H
#define NEATMSKIT_CHDF5_SHIM_H
// HDF5 C API (Debian: libhdf5-dev, pkg-config `hdf5`). Swift cannot import HDF5's macros
// (H5P_DEFAULT, H5T_NATIVE_*, H5F_ACC_*, H5E_* codes, versioned names such as H5Lget_info):
// these static inline functions expose them. Each getter goes through the macro, which also runs H5open().
// Everything here exists in HDF5 1.10, 1.12 and 1.14.
#include <hdf5.h>

static inline hid_t neatms_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t neatms_h5s_all(void) { return H5S_ALL; }
static inline hid_t neatms_h5e_default(void) { return H5E_DEFAULT; }
static inline unsigned neatms_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned neatms_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned neatms_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned neatms_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned neatms_h5f_obj_all(void) { return H5F_OBJ_ALL; }
static inline unsigned neatms_h5f_obj_file(void) { return H5F_OBJ_FILE; }
static inline hid_t neatms_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t neatms_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t neatms_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t neatms_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t neatms_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t neatms_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t neatms_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t neatms_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t neatms_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t neatms_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t neatms_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline size_t neatms_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t neatms_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t neatms_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }

// Error minor codes used to classify failures.
static inline hid_t neatms_h5e_nothdf5(void) { return H5E_NOTHDF5; }
static inline hid_t neatms_h5e_truncated(void) { return H5E_TRUNCATED; }
static inline hid_t neatms_h5e_badfile(void) { return H5E_BADFILE; }
static inline hid_t neatms_h5e_readerror(void) { return H5E_READERROR; }
static inline hid_t neatms_h5e_seekerror(void) { return H5E_SEEKERROR; }
static inline hid_t neatms_h5e_notfound(void) { return H5E_NOTFOUND; }
static inline hid_t neatms_h5e_exists(void) { return H5E_EXISTS; }

/// The type of the link `name` in `loc` (H5L_TYPE_HARD/SOFT/EXTERNAL...) or -1 on failure.
/// H5Lget_info is a versioned macro from HDF5 1.12 on; the macro is resolved here, in C.
static inline int neatms_h5l_link_type(hid_t loc, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    return (int)info.type;
}

#endif
