//! What the cloud commands (plan, apply, destroy, list, stats) share:
//! compiling the targets, reaching Heat, confirming, and drawing progress.

use crate::check::{self, Options};
use crate::cli::args::{CloudOpts, TargetOpts};
use crate::cli::exit;
use crate::compile;
use crate::diag::render;
use crate::heat::Heat;
use crate::plan::envfile::EnvFile;
use crate::plan::{self, Target};
use crate::source::SourceMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Checked and compiled sources, ready to plan.
pub struct Prepared {
    pub sources: SourceMap,
    pub targets: Vec<Target>,
    pub config: String,
    pub paths: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
}

/// Checks and compiles; prints diagnostics and returns the exit code when
/// the configuration has errors.
pub fn prepare(paths: &[PathBuf], t: &TargetOpts) -> Result<Result<Prepared, i32>, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let config = match &t.config_name {
        Some(c) => c.clone(),
        None => config_name(&paths[0]),
    };
    if config.is_empty()
        || !config
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "configuration name `{config}` must be letters, digits, `-`, `_` or `.`; give one with --config-name"
        ));
    }
    let envs = t
        .env_files
        .iter()
        .map(|p| EnvFile::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut sources, ids) = super::commands::load(&paths)?;
    let checked = check::check_files(&mut sources, &ids, &Options::default());
    let color = super::commands::use_color(crate::cli::args::Color::Auto);
    let bundles = match compile::compile_only(&checked, &sources, &t.clusters) {
        Ok(b) => b,
        Err(diags) => {
            eprint!("{}", render::human::render(&sources, &diags, color));
            eprintln!("{}", render::human::summary(&diags));
            return Ok(Err(exit::FAILED));
        }
    };
    for name in &t.clusters {
        if !bundles.iter().any(|b| &b.cluster == name) {
            return Err(format!("no cluster named `{name}`"));
        }
    }
    let targets = plan::targets(&bundles, &envs, &config)?;
    Ok(Ok(Prepared {
        sources,
        targets,
        config,
        paths,
        env_files: t.env_files.clone(),
    }))
}

/// The default configuration name: the directory's name, or the file's stem.
pub fn config_name(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = if abs.is_dir() {
        abs.file_name()
    } else {
        abs.file_stem()
    };
    name.map(|n| {
        n.to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Reaches Heat: `--heat-url` directly, or through Keystone.
pub fn connect(c: &CloudOpts) -> Result<Heat, String> {
    let mut heat = super::cloud::connect(c)?;
    heat.poll = seconds(c.poll_interval, 0.05, 60.0);
    heat.attempts = c.retry_attempts.clamp(1, 20);
    heat.backoff = seconds(c.retry_backoff, 0.0, 60.0);
    heat.landing = seconds(c.landing_wait, 0.0, 3600.0);
    Ok(heat)
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

impl Ui {
    pub fn new() -> Ui {
        let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Ui {
            bars: live.then(|| (indicatif::MultiProgress::new(), Mutex::new(Vec::new()))),
        }
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
