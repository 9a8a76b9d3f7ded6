//! The formatter (see `coe fmt`).
