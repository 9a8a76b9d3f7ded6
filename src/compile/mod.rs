//! Checked model → the bundle Heat's stack-create API takes: the top-level
//! template, nested templates and scripts (`files`), the environment, the
//! create request and a source map back to the `.coe` lines. Pure: no I/O.

mod bundle;
pub mod label_lines;
mod params;
mod registry;
mod sourcemap;
mod templates;

pub use templates::shipped_script;
mod yaml;

pub use bundle::{Bundle, OutputFile};
pub use params::{ParamValue, Params};
pub use sourcemap::{SourceMapEntry, SourceMapFile};

use crate::check::Checked;
use crate::diag::{Code, Diagnostic};
use crate::source::SourceMap;

/// Tag on every stack coe creates, so plan and apply can find its stacks.
pub const MANAGED_TAG: &str = "coe-managed";

/// Compiles every cluster of a checked configuration that has no errors.
/// Returns the bundles in declaration order, or the diagnostics that stop it.
pub fn compile(checked: &Checked, sources: &SourceMap) -> Result<Vec<Bundle>, Vec<Diagnostic>> {
    compile_only(checked, sources, &[])
}

/// Like [`compile`], for the named clusters only (all when `only` is empty).
pub fn compile_only(
    checked: &Checked,
    sources: &SourceMap,
    only: &[String],
) -> Result<Vec<Bundle>, Vec<Diagnostic>> {
    if checked.diagnostics.has_errors() {
        return Err(checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect());
    }
    let mut bundles = Vec::new();
    let mut errors = Vec::new();
    let mut rendered = templates::Cache::default();
    for cluster in &checked.model.clusters {
        if !only.is_empty() && !only.contains(&cluster.name) {
            continue;
        }
        let Some(eff) = &cluster.effective else {
            continue;
        };
        let Some(driver) = eff
            .driver
            .as_deref()
            .and_then(|d| checked.catalogue.drivers.get(d))
        else {
            errors.push(
                Diagnostic::new(
                    Code(601),
                    cluster.span,
                    format!("cluster `{}` has no driver to build it", cluster.name),
                )
                .with_label("no driver")
                .with_help("run `coe check` to see why no driver was chosen"),
            );
            continue;
        };
        let Some(family) = templates::family(&driver.coe) else {
            errors.push(
                Diagnostic::new(
                    Code(601),
                    cluster.span,
                    format!(
                        "coe cannot build `{}` clusters (driver `{}`)",
                        driver.coe, driver.name
                    ),
                )
                .with_label("no Heat templates for this COE")
                .with_help(format!(
                    "coe builds {}; use one of those COEs",
                    templates::FAMILIES.join(", ")
                )),
            );
            continue;
        };
        let cloud = eff.cloud.map(|c| &checked.model.clouds[c]);
        let version = cloud
            .and_then(|c| c.heat_template_version())
            .unwrap_or(templates::DEFAULT_HEAT_VERSION)
            .to_string();
        if version.as_str() < templates::MIN_HEAT_VERSION {
            let span = cloud
                .and_then(|c| c.fields.explicit("heat_template_version"))
                .map(|v| v.span)
                .unwrap_or(cluster.span);
            errors.push(
                Diagnostic::new(
                    Code(602),
                    span,
                    format!("coe's templates need heat_template_version {} or newer, the cloud declares {version}", templates::MIN_HEAT_VERSION),
                )
                .with_label("too old for coe's templates")
                .with_help("use `newton` or a later release if the cloud's Heat supports it"),
            );
            continue;
        }
        let params = params::parameters(&checked.model, &checked.catalogue, cluster, eff, driver);
        let registry = registry::resource_registry(&checked.model, eff);
        // The templates are embedded and tested for every driver: a failure here is a bug.
        let bundle = bundle::assemble(
            cluster,
            eff,
            driver,
            family,
            &version,
            params,
            registry,
            sources,
            &mut rendered,
        )
        .unwrap_or_else(|e| {
            panic!(
                "stdlib Heat templates for `{}` are broken: {e}",
                driver.name
            )
        });
        bundles.push(bundle);
    }
    if errors.is_empty() {
        Ok(bundles)
    } else {
        Err(errors)
    }
}
