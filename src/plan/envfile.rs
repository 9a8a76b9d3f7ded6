//! `-e FILE`: environment files merged after coe's own, as `openstack stack
//! create -e` does. Registry entries that name local files are read and sent
//! in `files` under the name they are written with.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One environment file, read and checked.
#[derive(Debug, Clone)]
pub struct EnvFile {
    pub path: PathBuf,
    pub doc: Map<String, Value>,
    /// Files its resource_registry names, by the name written in it.
    pub files: Vec<(String, String)>,
}

const KEYS: &[&str] = &[
    "parameters",
    "parameter_defaults",
    "resource_registry",
    "event_sinks",
    "parameter_merge_strategies",
    "encrypted_param_names",
];

impl EnvFile {
    pub fn load(path: &Path) -> Result<EnvFile, String> {
        let text = crate::source::read_text(path)
            .map_err(|e| format!("cannot read environment file {}: {e}", path.display()))?;
        let doc: Value = if text.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_saphyr::from_str(&text).map_err(|e| {
                format!("environment file {} is not valid YAML: {e}", path.display())
            })?
        };
        let Value::Object(doc) = doc else {
            return Err(format!(
                "environment file {} must be a mapping (parameters, parameter_defaults, resource_registry)",
                path.display()
            ));
        };
        for k in doc.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(format!(
                    "environment file {}: unknown section `{k}` (Heat knows {})",
                    path.display(),
                    KEYS.join(", ")
                ));
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut files = Vec::new();
        if let Some(reg) = doc.get("resource_registry").and_then(Value::as_object) {
            collect_files(reg, dir, path, &mut files)?;
        }
        Ok(EnvFile {
            path: path.to_path_buf(),
            doc,
            files,
        })
    }
}

/// A registry value names a file when it is not a type (`A::B`) or a URL.
fn names_a_file(v: &str) -> bool {
    !v.contains("::") && !v.contains("://")
}

fn collect_files(
    reg: &Map<String, Value>,
    dir: &Path,
    env: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), String> {
    for (k, v) in reg {
        match v {
            Value::String(s) if names_a_file(s) && k != "hooks" => {
                if out.iter().any(|(n, _)| n == s) {
                    continue;
                }
                let p = dir.join(s);
                let text = crate::source::read_text(&p).map_err(|e| {
                    format!(
                        "environment file {} maps `{k}` to `{s}`, which cannot be read ({}): {e}",
                        env.display(),
                        p.display()
                    )
                })?;
                out.push((s.clone(), text));
            }
            // `resources: {name: {Type: file}}` scopes entries to resources.
            Value::Object(inner) => collect_files(inner, dir, env, out)?,
            _ => {}
        }
    }
    Ok(())
}

/// Merges `extra` into `base` the way Heat merges environments: maps merge
/// key by key (the later file wins), everything else is replaced.
pub fn merge(base: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(e)) => merge(b, e),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_files_win_key_by_key() {
        let mut base =
            json!({"parameters": {"a": 1, "b": 2}, "resource_registry": {"X::Y": "x.yaml"}})
                .as_object()
                .unwrap()
                .clone();
        let extra = json!({"parameters": {"b": 3}, "resource_registry": {"OS::Nova::Server": "OS::Heat::None"}})
            .as_object()
            .unwrap()
            .clone();
        merge(&mut base, &extra);
        assert_eq!(
            Value::Object(base),
            json!({"parameters": {"a": 1, "b": 3}, "resource_registry": {"X::Y": "x.yaml", "OS::Nova::Server": "OS::Heat::None"}})
        );
    }

    #[test]
    fn registry_files_are_read_and_unknown_sections_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("stubs")).unwrap();
        std::fs::write(
            dir.join("stubs/s.yaml"),
            "heat_template_version: 2021-04-16\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("env.yaml"),
            "resource_registry:\n  OS::Nova::Server: stubs/s.yaml\n  OS::Neutron::Port: OS::Heat::None\n",
        )
        .unwrap();
        let e = EnvFile::load(&dir.join("env.yaml")).unwrap();
        assert_eq!(e.files.len(), 1);
        assert_eq!(e.files[0].0, "stubs/s.yaml");
        std::fs::write(dir.join("bad.yaml"), "paramters: {}\n").unwrap();
        let err = EnvFile::load(&dir.join("bad.yaml")).unwrap_err();
        assert!(err.contains("unknown section `paramters`"), "{err}");
        std::fs::write(
            dir.join("missing.yaml"),
            "resource_registry:\n  A::B: nope.yaml\n",
        )
        .unwrap();
        let err = EnvFile::load(&dir.join("missing.yaml")).unwrap_err();
        assert!(err.contains("nope.yaml"), "{err}");
    }
}
