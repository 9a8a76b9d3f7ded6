//! Names, types and rules: parsed files → checked [`Model`] + diagnostics.
//! Knows nothing of Heat.

mod boot;
mod build;
pub mod catalogue;
pub mod config_fields;
mod eval;
pub mod explain;
mod labels;
pub mod model;
mod rules;
pub mod schema;
pub mod types;
pub mod value;

pub use build::stack_name;
pub use catalogue::Catalogue;
pub use model::Model;

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Unknown label keys are errors instead of warnings.
    pub deny_unknown_labels: bool,
    /// Labels coe accepts but does not act on are errors, not warnings.
    pub deny_unimplemented_labels: bool,
}

/// The result of checking a configuration.
#[derive(Debug, Default)]
pub struct Checked {
    pub model: Model,
    pub catalogue: Catalogue,
    pub diagnostics: Diagnostics,
}

/// Adds the embedded stdlib files to `sources`; returns their ids.
pub fn add_stdlib(sources: &mut SourceMap) -> Vec<FileId> {
    crate::stdlib::FILES
        .iter()
        .map(|(name, text)| sources.add_text(name, text))
        .collect()
}

/// Parses and checks the given user files together with the stdlib (which is
/// added to `sources`). Syntax errors in one file do not stop the others.
pub fn check_files(sources: &mut SourceMap, files: &[FileId], options: &Options) -> Checked {
    // The shared trees carry ids 0, 1, ...: usable when the stdlib has
    // those ids (added first, by the caller or here into an empty map).
    let stdlib_first = crate::stdlib::FILES
        .iter()
        .zip(sources.files())
        .filter(|((name, _), (_, f))| *name == f.name)
        .count()
        == crate::stdlib::FILES.len();
    let stdlib: Vec<FileId> = if stdlib_first {
        (0..crate::stdlib::FILES.len() as u32).map(FileId).collect()
    } else {
        add_stdlib(sources)
    };
    let shared = stdlib.first() == Some(&FileId(0));
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    let own = if shared { &[][..] } else { &stdlib[..] };
    for id in own.iter().chain(files) {
        let p = syntax::parse(*id, &sources.get(*id).text);
        diagnostics.extend(p.diagnostics);
        parsed.push(p.file);
    }
    let shared_trees = if shared { stdlib_trees() } else { &[] };
    let trees: Vec<&ast::File> = shared_trees.iter().chain(&parsed).collect();
    let mut checked = check_all(&trees, options);
    checked.diagnostics.extend(diagnostics);
    checked.diagnostics.sort();
    // From here on the sources are only shown: a secret label's value is
    // starred out, so no diagnostic's snippet can print it.
    for span in checked.model.secret_spans() {
        sources.redact(span);
    }
    checked
}

/// The stdlib's trees, with the file ids [`add_stdlib`] gives them (0, 1,
/// ...): parsed on first use, shared by every check in the process after.
pub fn stdlib_trees() -> &'static [ast::File] {
    static TREES: std::sync::OnceLock<Vec<ast::File>> = std::sync::OnceLock::new();
    TREES.get_or_init(|| {
        crate::stdlib::FILES
            .iter()
            .enumerate()
            .map(|(i, (_, text))| syntax::parse(FileId(i as u32), text).file)
            .collect()
    })
}

/// Checks parsed files (stdlib first, then the configuration).
pub fn check(files: &[ast::File], options: &Options) -> Checked {
    check_all(&files.iter().collect::<Vec<_>>(), options)
}

/// [`check`] over borrowed trees: a caller that keeps the stdlib parsed
/// (the language server) need not copy it for every check.
pub fn check_all(files: &[&ast::File], options: &Options) -> Checked {
    let mut diags: Vec<Diagnostic> = Vec::new();
    let items: Vec<&ast::Item> = files.iter().flat_map(|f| &f.items).collect();
    let lets = items.iter().filter_map(|i| match i {
        ast::Item::Let(l) => Some(l),
        _ => None,
    });
    let mut consts = eval::Constants::new(lets, &mut diags);
    consts.eval_all(&mut diags);
    let blocks: Vec<&ast::Block> = items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Block(b) => Some(b),
            _ => None,
        })
        .collect();

    let mut catalogue = Catalogue::default();
    consts.set_words_are_names(true);
    for b in blocks.iter().filter(|b| b.kind.name == "schema") {
        catalogue.schemas.load(b, &mut consts, &mut diags);
    }
    for b in &blocks {
        match b.kind.name.as_str() {
            "coe" => catalogue.load_coe(b, &mut consts, &mut diags),
            "driver" => catalogue.load_driver(b, &mut consts, &mut diags),
            "label" => catalogue.load_label(b, &mut consts, &mut diags),
            _ => {}
        }
    }
    consts.set_words_are_names(false);
    catalogue.cross_check(&mut diags);
    warn_shadowing(&consts, &catalogue, &mut diags);

    let mut builder = build::Builder::new(&catalogue, &mut consts, &mut diags);
    builder.model.unparsed = files.iter().flat_map(|f| f.unparsed.clone()).collect();
    for b in &blocks {
        builder.add(b);
    }
    let mut model = builder.finish();
    let mut options = options.clone();
    if let Some((settings, _)) = &model.settings
        && settings
            .str("unknown_labels")
            .is_some_and(|(s, _)| s == "error")
    {
        options.deny_unknown_labels = true;
    }
    if let Some((settings, _)) = &model.settings
        && settings
            .str("unimplemented_labels")
            .is_some_and(|(s, _)| s == "error")
    {
        options.deny_unimplemented_labels = true;
    }
    rules::run(&catalogue, &mut model, &options, &mut diags);

    let mut diagnostics = Diagnostics::new();
    diagnostics.extend(diags);
    diagnostics.sort();
    Checked {
        model,
        catalogue,
        diagnostics,
    }
}

/// Labels as a cluster sees them, without reporting (the boot rule needs them early).
fn labels_for_boot(cluster: &model::Cluster, template: &model::Template) -> Vec<model::LabelEntry> {
    labels::merge(cluster, template, &mut Vec::new())
}

/// A constant named like an enum member hides the member everywhere.
fn warn_shadowing(consts: &eval::Constants, catalogue: &Catalogue, diags: &mut Vec<Diagnostic>) {
    let mut members: Vec<&str> = Vec::new();
    for c in catalogue.coes.values() {
        members.push(&c.name);
        members.extend(c.network_drivers.iter().map(String::as_str));
        members.extend(c.volume_drivers.iter().map(String::as_str));
        members.extend(c.server_types.iter().map(String::as_str));
        members.extend(c.storage_drivers.iter().map(String::as_str));
    }
    for s in catalogue.schemas.blocks.values() {
        for a in s.attributes.values() {
            if let types::Ty::Member(Some(values)) | types::Ty::Store(values) = &a.ty {
                members.extend(values.iter().map(String::as_str));
            }
        }
    }
    for l in consts.names() {
        if members.contains(&l.name.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    crate::diag::Code(112),
                    l.name.span,
                    format!(
                        "constant `{}` hides the enum member of the same name",
                        l.name.name
                    ),
                )
                .with_label("every bare `{}` now means this constant".replace("{}", &l.name.name))
                .with_help("rename the constant, e.g. with a `_value` suffix"),
            );
        }
    }
}
