//! `coe fmt`.

use crate::cli::args::FmtArgs;

pub fn run(_a: FmtArgs) -> Result<i32, String> {
    Err("`coe fmt` is not built yet".into())
}
