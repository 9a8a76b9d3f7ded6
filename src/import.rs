//! Magnum JSON → `.coe` (see `coe import`).
