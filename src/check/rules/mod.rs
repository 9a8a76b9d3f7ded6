//! The cluster rules. Each file checks one area and reports every problem it
//! finds; none stops at the first.

mod cloud;
mod counts;
mod drivers;
mod names;

use super::Options;
use super::catalogue::Catalogue;
use super::model::Model;
use crate::diag::Diagnostic;

pub fn run(
    catalogue: &Catalogue,
    model: &mut Model,
    options: &Options,
    diags: &mut Vec<Diagnostic>,
) {
    let drivers = drivers::check_templates(catalogue, model, options, diags);
    for cluster in &mut model.clusters {
        if let Some(eff) = &mut cluster.effective {
            eff.driver = drivers[eff.template].clone();
        }
    }
    names::check(model, diags);
    for i in 0..model.clusters.len() {
        counts::check(catalogue, model, i, diags);
        drivers::check_cluster(catalogue, model, i, options, diags);
        cloud::check_cluster(catalogue, model, i, diags);
    }
    for t in &model.templates {
        cloud::check_template_refs(model, t, diags);
    }
    cloud::check_quotas(model, diags);
}
