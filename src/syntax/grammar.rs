//! The pest parser generated from `grammar/coe.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/coe.pest"]
pub struct CoeParser;
