//! What the cloud commands (plan, apply, destroy, list, stats) share:
//! compiling the targets, reaching Heat, confirming, and drawing progress.

use crate::check::{self, Options};
use crate::cli::args::{ChangeOpts, CloudOpts, TargetOpts};
use crate::cli::configuration::Configuration;
use crate::cli::error::{Error, unknown_cluster};
use crate::cli::exit;
use crate::compile;
use crate::diag::render;
use crate::heat::Heat;
use crate::heat::auth::Connection;
use crate::plan::envfile::EnvFile;
use crate::plan::{self, Target};
use crate::source::SourceMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Checked and compiled sources, ready to plan.
pub struct Prepared {
    pub sources: SourceMap,
    /// The clusters in scope, as apply will send them.
    pub targets: Vec<Target>,
    pub config: String,
    pub paths: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
    /// The stack names of every declared cluster when the run covers the
    /// whole configuration; `None` when `--cluster` or a file narrowed it,
    /// and stacks outside the scope are neither planned nor pruned.
    pub declared: Option<Vec<String>>,
}

/// Checks and compiles; prints diagnostics and returns the exit code when
/// the configuration has errors.
pub fn prepare(paths: &[PathBuf], t: &TargetOpts) -> Result<Result<Prepared, i32>, Error> {
    let conf = Configuration::of(paths, t.config_name.as_deref())?;
    let envs = t
        .env_files
        .iter()
        .map(|p| EnvFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut sources, ids) = super::commands::load(&conf.files)?;
    let checked = check::check_files(&mut sources, &ids, &Options::default());
    let color = super::commands::use_color(crate::cli::args::Color::Auto);
    // The checker's warnings come first, before anything is planned.
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Warning)
        .cloned()
        .collect();
    if !warnings.is_empty() && !checked.diagnostics.has_errors() {
        eprint!("{}", render::human::render(&sources, &warnings, color));
        eprintln!("{}", render::human::summary(&warnings));
        if t.deny_warnings {
            eprintln!(
                "coe: error: nothing was planned: --deny-warnings, and the configuration has warnings"
            );
            return Ok(Err(exit::FAILED));
        }
    }
    let in_files = conf.clusters_in_scope(&checked.model, &sources);
    for name in &t.clusters {
        if !in_files.contains(&name.as_str()) {
            let among = match conf.only_files {
                Some(_) => "in the files given",
                None => "in the configuration",
            };
            return Err(unknown_cluster(name, in_files.iter().copied(), among));
        }
    }
    let narrowed = !t.clusters.is_empty() || conf.only_files.is_some();
    let scope: Vec<String> = if t.clusters.is_empty() {
        in_files.iter().map(|n| n.to_string()).collect()
    } else {
        t.clusters.clone()
    };
    let declared = (!narrowed).then(|| {
        checked
            .model
            .clusters
            .iter()
            .filter_map(|c| c.effective.as_ref().map(|e| e.stack_name.clone()))
            .collect()
    });
    // Nothing in scope compiles to nothing, but the configuration's errors
    // are still reported (compile_only returns them before anything else).
    let bundles = if scope.is_empty() && !checked.diagnostics.has_errors() {
        Vec::new()
    } else {
        match compile::compile_only(&checked, &sources, &scope) {
            Ok(b) => b,
            Err(diags) => {
                eprint!("{}", render::human::render(&sources, &diags, color));
                eprintln!("{}", render::human::summary(&diags));
                return Ok(Err(exit::FAILED));
            }
        }
    };
    let targets = plan::targets(&bundles, &envs, &conf.name)?;
    Ok(Ok(Prepared {
        sources,
        targets,
        config: conf.name,
        paths: paths.to_vec(),
        env_files: t.env_files.clone(),
        declared,
    }))
}

/// The plan's options for this run. `--prune` needs the whole
/// configuration: a narrowed run cannot tell a cluster left out from one no
/// longer declared.
pub fn plan_options(p: &Prepared, c: ChangeOpts) -> Result<plan::Options, Error> {
    if c.prune && p.declared.is_none() {
        return Err(Error::usage(
            "--prune deletes the stacks of clusters no longer declared, so it needs the whole configuration: give the directory and no --cluster",
        ));
    }
    Ok(plan::Options {
        prune: c.prune,
        adopt: c.adopt,
        allow_downtime: c.allow_downtime,
        declared: p.declared.clone(),
    })
}

/// Reaches Heat: `--heat-url` directly, or through Keystone.
pub fn connect(c: &CloudOpts) -> Result<Heat, Error> {
    connect_full(c).map(|(heat, _)| heat)
}

/// [`connect`], keeping the login too (its catalog reaches Barbican and
/// Keystone for the clusters' credentials).
pub fn connect_full(c: &CloudOpts) -> Result<(Heat, Connection), Error> {
    let conn = super::cloud::login(c).map_err(Error::failed)?;
    let mut heat = Heat::new(&conn.heat_url, conn.token.clone(), conn.http.clone());
    heat.poll = seconds(c.poll_interval, 0.05, 60.0);
    heat.attempts = c.retry_attempts.clamp(1, 20);
    heat.backoff = seconds(c.retry_backoff, 0.0, 60.0);
    heat.landing = seconds(c.landing_wait, 0.0, 3600.0);
    Ok((heat, conn))
}

/// Seconds from a flag, kept within bounds (NaN counts as the lower one).
fn seconds(v: f64, lo: f64, hi: f64) -> Duration {
    Duration::from_secs_f64(if v.is_nan() { lo } else { v.clamp(lo, hi) })
}

/// Asks before changing anything; `--yes` skips it. Without a terminal
/// there is nobody to ask, so the answer is no.
pub fn confirm(question: &str, yes: bool) -> Result<bool, String> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "{question} needs confirmation, and standard input is not a terminal; pass --yes to go ahead"
        ));
    }
    print!("{question} Only `yes` goes ahead: ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim() == "yes")
}

/// Progress on a terminal: one spinner line per cluster; elsewhere
/// (CI, pipes): one plain line per event.
/// One spinner per cluster, by name.
type Bars = (
    indicatif::MultiProgress,
    Mutex<Vec<(String, indicatif::ProgressBar)>>,
);

pub struct Ui {
    bars: Option<Bars>,
}

/// The live area while there is one, for notes printed meanwhile.
static LIVE: Mutex<Option<indicatif::MultiProgress>> = Mutex::new(None);

/// A note for the person at the terminal (Ctrl-C, say): above the live
/// lines while they are drawn, never over them.
pub fn note(text: &str) {
    match LIVE.lock().ok().and_then(|l| l.clone()) {
        Some(multi) => {
            let _ = multi.println(text);
        }
        None => eprintln!("{text}"),
    }
}

impl Ui {
    pub fn new() -> Ui {
        let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bars = live.then(|| (indicatif::MultiProgress::new(), Mutex::new(Vec::new())));
        if let Some((multi, _)) = &bars {
            *LIVE.lock().expect("live") = Some(multi.clone());
        }
        Ui { bars }
    }

    fn bar(&self, cluster: &str) -> Option<indicatif::ProgressBar> {
        let (multi, bars) = self.bars.as_ref()?;
        let mut bars = bars.lock().expect("bars");
        if let Some((_, b)) = bars.iter().find(|(c, _)| c == cluster) {
            return Some(b.clone());
        }
        let b = multi.add(indicatif::ProgressBar::new_spinner());
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {prefix:.bold} {elapsed:>4} {wide_msg}",
            )
            .expect("template"),
        );
        b.set_prefix(cluster.to_string());
        b.enable_steady_tick(Duration::from_millis(120));
        bars.push((cluster.to_string(), b.clone()));
        Some(b)
    }

    pub fn finish(&self, cluster: &str, line: &str) {
        match self.bar(cluster) {
            Some(b) => b.finish_with_message(line.to_string()),
            None => eprintln!("[{cluster}] {line}"),
        }
    }

    /// Ends the live area: its lines are erased and printed once more as
    /// plain lines, so whatever is printed next starts on a line of its
    /// own and nothing redraws over it.
    pub fn close(&self) {
        let Some((multi, bars)) = &self.bars else {
            return;
        };
        let bars = std::mem::take(&mut *bars.lock().expect("bars"));
        let _ = multi.clear();
        for (cluster, b) in bars {
            eprintln!("[{cluster}] {:>4}s {}", b.elapsed().as_secs(), b.message());
        }
        *LIVE.lock().expect("live") = None;
    }
}

impl crate::apply::Progress for Ui {
    fn started(&self, cluster: &str, verb: &str) {
        match self.bar(cluster) {
            Some(b) => b.set_message(verb.to_string()),
            None => eprintln!("[{cluster}] {verb}"),
        }
    }

    fn event(&self, cluster: &str, line: &str) {
        match self.bar(cluster) {
            Some(b) => b.set_message(line.to_string()),
            None => eprintln!("[{cluster}] {line}"),
        }
    }
}
