#ifndef NEATMSKIT_CHDF5_SHIM_H
#define NEATMSKIT_CHDF5_SHIM_H
// HDF5 C API (Debian: libhdf5-dev, pkg-config `hdf5`). Swift cannot import HDF5's macros
// (H5P_DEFAULT, H5T_NATIVE_*, H5F_ACC_*): these static inline getters expose them.
#include <hdf5.h>

static inline hid_t neatms_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t neatms_h5s_all(void) { return H5S_ALL; }
static inline hid_t neatms_h5e_default(void) { return H5E_DEFAULT; }
static inline unsigned neatms_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned neatms_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned neatms_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned neatms_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
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

#endif
