//! `coe import`.

use crate::cli::args::ImportArgs;

pub fn run(_a: ImportArgs) -> Result<i32, String> {
    Err("`coe import` is not built yet".into())
}
