//! The embedded Heat templates and scripts of `stdlib/heat/`, and their rendering.

include!(concat!(env!("OUT_DIR"), "/heat_files.rs"));

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Rendered = (Arc<str>, Arc<BTreeMap<String, String>>);

/// Rendered families by (family, driver, version): clusters that share them
/// share one copy, so a large configuration costs one render per driver.
#[derive(Default)]
pub struct Cache {
    done: HashMap<(String, String, String), Rendered>,
}

impl Cache {
    pub fn get(&mut self, family: &str, ctx: &Context) -> Result<Rendered, String> {
        let key = (
            family.to_string(),
            ctx.driver.to_string(),
            ctx.heat_template_version.to_string(),
        );
        if let Some(r) = self.done.get(&key) {
            return Ok(r.clone());
        }
        let (top, files) = render(family, ctx)?;
        let r: Rendered = (Arc::from(top), Arc::new(files));
        self.done.insert(key, r.clone());
        Ok(r)
    }
}

/// COEs coe has templates for; the directory under `stdlib/heat/` has the same name.
pub const FAMILIES: &[&str] = &["kubernetes", "swarm-mode", "mesos"];
/// The oldest HOT version the templates are written for (conditions, map_merge).
pub const MIN_HEAT_VERSION: &str = "2016-10-14";
/// Used when the cloud block does not say.
pub const DEFAULT_HEAT_VERSION: &str = "2018-08-31";

pub fn family(coe: &str) -> Option<&'static str> {
    FAMILIES.iter().copied().find(|f| *f == coe)
}

/// What the templates may depend on structurally; values are parameters.
pub struct Context<'a> {
    pub heat_template_version: &'a str,
    pub driver: &'a str,
    pub coe: &'a str,
    pub os_distro: &'a str,
    pub user_data_format: &'a str,
}

/// Renders one family: `template.yaml`, and `files` with every other template
/// and script under its bare file name (the bundle is flat; see stdlib/heat/README.md).
pub fn render(family: &str, ctx: &Context) -> Result<(String, BTreeMap<String, String>), String> {
    let mut env = minijinja::Environment::new();
    // A block tag's line leaves nothing behind: no stray blank lines where
    // `{% if %}` picks a structure, no indentation before it.
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| format!("template syntax: {e}"))?,
    );
    // Macros every family imports (`{% import "macros/x.j2" as x %}`);
    // they are not files of the bundle.
    for (path, text) in HEAT_FILES.iter().filter(|(p, _)| p.starts_with("macros/")) {
        env.add_template(path, text)
            .map_err(|e| format!("stdlib/heat/{path}: {e}"))?;
    }
    let mut top = None;
    let mut files = BTreeMap::new();
    for (path, text) in HEAT_FILES {
        let (dir, name) = path.split_once('/').unwrap_or(("", path));
        if !(dir == "scripts" || dir == family || dir == "common") || name.contains('/') {
            continue;
        }
        let bundle_path = name.trim_end_matches(".j2").to_string();
        if dir == family && bundle_path == "cluster.yaml" {
            top = Some(render_one(&env, path, text, ctx)?);
            continue;
        }
        let body = if path.ends_with(".j2") {
            render_one(&env, path, text, ctx)?
        } else if path.ends_with(".sh") {
            shipped_script(text)
        } else {
            text.to_string()
        };
        if files.insert(bundle_path.clone(), body).is_some() {
            return Err(format!(
                "two stdlib/heat files are both named `{bundle_path}` in one bundle"
            ));
        }
    }
    let top = top.ok_or_else(|| format!("stdlib/heat/{family}/cluster.yaml.j2 is missing"))?;
    // Ship only the scripts this family's templates read (scripts/ is shared).
    let used: Vec<String> = files
        .keys()
        .filter(|name| !name.ends_with(".yaml"))
        .filter(|name| {
            std::iter::once(&top)
                .chain(
                    files
                        .iter()
                        .filter(|(k, _)| k.ends_with(".yaml"))
                        .map(|(_, v)| v),
                )
                .any(|t| t.contains(name.as_str()))
        })
        .cloned()
        .collect();
    files.retain(|name, _| name.ends_with(".yaml") || used.contains(name));
    Ok((top, files))
}

/// A node script as the nodes get it: without its comment lines, blank
/// lines and indentation (the shebang stays). Scripts travel in user data,
/// which Nova caps at 64 KiB of base64, and Ignition percent-encodes them
/// on the way (a space costs three bytes): what helps people read
/// `stdlib/heat/scripts` is not for the nodes. Heredoc bodies and lines
/// inside a quoted string that spans lines are kept as they are; a test
/// checks that bash parses every script the same before and after.
pub fn shipped_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut heredoc: Option<String> = None;
    let mut quote: Option<char> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(end) = &heredoc {
            out.push_str(line);
            out.push('\n');
            if line == end {
                heredoc = None;
            }
            continue;
        }
        let code = i == 0 || quote.is_some();
        let trimmed = line.trim_start();
        if !code && (trimmed.starts_with('#') || trimmed.is_empty()) {
            continue;
        }
        out.push_str(if code { line } else { trimmed });
        out.push('\n');
        let (after, starts) = scan_line(line, quote);
        quote = after;
        heredoc = starts;
    }
    out
}

/// The quote a line of shell leaves open (given the one it starts in), and
/// the delimiter of a heredoc it starts. Enough of bash's quoting for the
/// scripts coe ships: quotes, backslashes, comments and `<<WORD`.
fn scan_line(line: &str, mut quote: Option<char>) -> (Option<char>, Option<String>) {
    let chars: Vec<char> = line.chars().collect();
    let mut heredoc = None;
    let mut prev = ' ';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                }
            }
            Some(_) => match c {
                '\\' => i += 1,
                '"' => quote = None,
                _ => {}
            },
            None => match c {
                '\\' => i += 1,
                '\'' | '"' => quote = Some(c),
                '#' if matches!(prev, ' ' | '\t' | ';' | '(') => break,
                '<' if chars.get(i + 1) == Some(&'<')
                    && chars.get(i + 2) != Some(&'<')
                    && prev != '<' =>
                {
                    let rest: String = chars[i + 2..].iter().collect();
                    let word: String = rest
                        .trim_start_matches('-')
                        .trim_start()
                        .trim_start_matches(['\'', '"'])
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !word.is_empty() && heredoc.is_none() {
                        heredoc = Some(word);
                    }
                    i += 1;
                }
                _ => {}
            },
        }
        prev = c;
        i += 1;
    }
    (quote, heredoc)
}

fn render_one(
    env: &minijinja::Environment,
    path: &str,
    text: &str,
    ctx: &Context,
) -> Result<String, String> {
    let mut out = env
        .render_str(
            text,
            minijinja::context! {
                heat_template_version => ctx.heat_template_version,
                driver => ctx.driver,
                coe => ctx.coe,
                os_distro => ctx.os_distro,
                user_data_format => ctx.user_data_format,
            },
        )
        .map_err(|e| format!("stdlib/heat/{path}: {e}"))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}
