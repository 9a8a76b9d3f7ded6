//! Where the settings for reaching a cloud come from, resolved the way the OpenStack tools
//! (openstacksdk, openstackclient) do: command-line flags, then `OS_*` environment variables,
//! then the selected cloud of `clouds.yaml` with `secure.yaml` merged into it. No network.
//!
//! Files are searched like openstacksdk: `$OS_CLIENT_CONFIG_FILE` first, then `clouds.yaml`
//! (or `.yml`, `.json`) in the current directory, `$XDG_CONFIG_HOME/openstack`,
//! `~/.config/openstack`, `/etc/xdg/openstack` and `/etc/openstack`; the first file found
//! wins. `secure.yaml` is searched the same way on its own (`$OS_CLIENT_SECURE_FILE` first)
//! and merged deeply into the clouds of `clouds.yaml`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::auth::{ConnectError, ConnectErrorKind};
use super::secret::Secret;

/// The command-line flags that choose and override a cloud.
#[derive(Debug, Default, Clone)]
pub struct CloudArgs {
    /// `--os-cloud NAME`: a cloud of clouds.yaml (beats `OS_CLOUD`).
    pub os_cloud: Option<String>,
    /// `--heat-url URL`: Heat's base URL (`…/v1/<project>`); alone, a Heat without Keystone.
    pub heat_url: Option<String>,
    /// `--insecure`: skip TLS verification.
    pub insecure: bool,
    /// `--cacert FILE`: a PEM bundle to trust besides the system roots.
    pub cacert: Option<PathBuf>,
    /// `--interface public|internal|admin`: which catalog endpoint.
    pub interface: Option<String>,
    /// `--region NAME`: which region's endpoint.
    pub region: Option<String>,
}

/// The process environment, injectable for tests.
#[derive(Clone)]
pub struct Env {
    /// Environment variables; only `OS_*` and `XDG_CONFIG_HOME` are read.
    pub vars: HashMap<String, String>,
    /// The home folder (for `~/.config/openstack`), if known.
    pub home: Option<PathBuf>,
    /// The current directory (for `./clouds.yaml` and relative paths).
    pub cwd: PathBuf,
}

impl Env {
    /// A set, non-empty variable.
    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for Env {
    // Values may be passwords or tokens: only the names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("Env")
            .field("vars", &names)
            .field("home", &self.home)
            .field("cwd", &self.cwd)
            .finish()
    }
}

/// A Keystone domain, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainRef {
    Id(String),
    Name(String),
}

/// A Keystone user, by id or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// A Keystone project, by id or by name within a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// What a password or token login asks to be scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// No scope asked for: Keystone scopes to the user's default project, if any.
    Unscoped,
    Project(ProjectRef),
    Domain(DomainRef),
}

/// An application credential, by id or by name of one of a user's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCredRef {
    Id(String),
    Name { name: String, user: UserRef },
}

/// How to get a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// Keystone v3 `password`.
    Password {
        user: UserRef,
        password: Secret,
        scope: Scope,
    },
    /// Keystone v3 `application_credential` (pre-scoped to its project).
    ApplicationCredential {
        credential: AppCredRef,
        secret: Secret,
    },
    /// Keystone v3 `token`: an existing token, rescoped if a scope is given.
    Token { token: Secret, scope: Scope },
    /// `auth_type: admin_token` (or `token_endpoint`): this token is sent to Heat as it is,
    /// Keystone is not asked.
    AdminToken { token: Secret },
    /// No Keystone and no token: a Heat in noauth mode.
    None,
}

/// Everything `auth::connect` needs, resolved from flags, environment and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Keystone's v3 URL (always ends in `/v3`); `None` without Keystone.
    pub auth_url: Option<String>,
    pub auth: AuthMethod,
    /// The region of the orchestration endpoint; `None` picks the first.
    pub region: Option<String>,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// A PEM bundle trusted besides the system roots.
    pub cacert: Option<PathBuf>,
    /// Skip TLS verification.
    pub insecure: bool,
    /// Heat's URL instead of the catalog's (`{project_id}`, `%(project_id)s` and
    /// `$(project_id)s` are replaced); required without Keystone.
    pub heat_url: Option<String>,
    /// Where the settings came from, for humans; never holds a secret.
    pub source: String,
}

impl Profile {
    /// True when a Keystone login is needed.
    pub fn uses_keystone(&self) -> bool {
        matches!(
            self.auth,
            AuthMethod::Password { .. }
                | AuthMethod::ApplicationCredential { .. }
                | AuthMethod::Token { .. }
        )
    }
}

impl fmt::Display for DomainRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainRef::Id(id) => write!(f, "domain id {id}"),
            DomainRef::Name(name) => write!(f, "domain {name}"),
        }
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserRef::Id(id) => write!(f, "user id `{id}`"),
            UserRef::Name { name, domain } => write!(f, "user `{name}` ({domain})"),
        }
    }
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectRef::Id(id) => write!(f, "project id `{id}`"),
            ProjectRef::Name { name, domain } => write!(f, "project `{name}` ({domain})"),
        }
    }
}

impl fmt::Display for AppCredRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppCredRef::Id(id) => write!(f, "application credential `{id}`"),
            AppCredRef::Name { name, user } => {
                write!(f, "application credential `{name}` of {user}")
            }
        }
    }
}

fn config_error(message: impl Into<String>, help: impl Into<String>) -> ConnectError {
    ConnectError::new(ConnectErrorKind::Config, message, help)
}

// ------------------------------------------------------------------ layers

/// One source of settings: canonical key → (value, where it was spelled).
/// Deliberately not `Debug`: values include passwords.
struct Layer {
    values: HashMap<&'static str, (String, String)>,
}

impl Layer {
    fn new() -> Layer {
        Layer {
            values: HashMap::new(),
        }
    }

    fn set(&mut self, key: &'static str, value: String, spelled: String) {
        self.values.insert(key, (value, spelled));
    }

    fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }
}

/// Flags beat the environment, which beats the cloud's entry in clouds.yaml.
struct Layers {
    flags: Layer,
    env: Layer,
    file: Layer,
    /// Spellings actually used (`OS_PASSWORD`, `--region`, …), for `Profile::source`.
    used: std::cell::RefCell<Vec<(usize, String)>>,
}

impl Layers {
    fn all(&self) -> [&Layer; 3] {
        [&self.flags, &self.env, &self.file]
    }

    fn note(&self, layer: usize, spelled: &str) {
        let mut used = self.used.borrow_mut();
        if !used.iter().any(|(l, s)| *l == layer && s == spelled) {
            used.push((layer, spelled.to_string()));
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        for (i, layer) in self.all().into_iter().enumerate() {
            if let Some((value, spelled)) = layer.values.get(key) {
                self.note(i, spelled);
                return Some(value.clone());
            }
        }
        None
    }

    fn has(&self, key: &str) -> bool {
        self.all().iter().any(|l| l.has(key))
    }

    /// The first layer that sets either key decides; within it the id wins over the name.
    fn id_or_name(&self, id_key: &str, name_key: &str) -> Option<IdOrName> {
        for (i, layer) in self.all().into_iter().enumerate() {
            if let Some((value, spelled)) = layer.values.get(id_key) {
                self.note(i, spelled);
                return Some(IdOrName::Id(value.clone()));
            }
            if let Some((value, spelled)) = layer.values.get(name_key) {
                self.note(i, spelled);
                return Some(IdOrName::Name(value.clone()));
            }
        }
        None
    }

    fn domain(&self, id_key: &str, name_key: &str) -> Option<DomainRef> {
        self.id_or_name(id_key, name_key).map(|d| match d {
            IdOrName::Id(id) => DomainRef::Id(id),
            IdOrName::Name(name) => DomainRef::Name(name),
        })
    }

    /// A user or project domain: its own keys, then `domain_id`/`domain_name`, then
    /// `OS_DEFAULT_DOMAIN`, then the `default` domain (as openstackclient does).
    fn domain_with_fallback(&self, id_key: &str, name_key: &str) -> DomainRef {
        self.domain(id_key, name_key)
            .or_else(|| self.domain("domain_id", "domain_name"))
            .or_else(|| self.get("default_domain").map(DomainRef::Id))
            .unwrap_or_else(|| DomainRef::Id("default".to_string()))
    }

    /// The spellings used, grouped by source, for `Profile::source`.
    fn used_in(&self, layer: usize) -> Vec<String> {
        let mut names: Vec<String> = self
            .used
            .borrow()
            .iter()
            .filter(|(l, _)| *l == layer)
            .map(|(_, s)| s.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

enum IdOrName {
    Id(String),
    Name(String),
}

const FLAGS: usize = 0;
const ENV: usize = 1;

/// `OS_*` variable → canonical key. Earlier rows win over later ones for the same key.
const ENV_KEYS: &[(&str, &str)] = &[
    ("OS_AUTH_TYPE", "auth_type"),
    ("OS_AUTH_PLUGIN", "auth_type"),
    ("OS_AUTH_URL", "auth_url"),
    ("OS_USERNAME", "username"),
    ("OS_USER_ID", "user_id"),
    ("OS_PASSWORD", "password"),
    ("OS_USER_DOMAIN_NAME", "user_domain_name"),
    ("OS_USER_DOMAIN_ID", "user_domain_id"),
    ("OS_PROJECT_NAME", "project_name"),
    ("OS_TENANT_NAME", "project_name"),
    ("OS_PROJECT_ID", "project_id"),
    ("OS_TENANT_ID", "project_id"),
    ("OS_PROJECT_DOMAIN_NAME", "project_domain_name"),
    ("OS_PROJECT_DOMAIN_ID", "project_domain_id"),
    ("OS_DOMAIN_NAME", "domain_name"),
    ("OS_DOMAIN_ID", "domain_id"),
    ("OS_DEFAULT_DOMAIN", "default_domain"),
    ("OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"),
    (
        "OS_APPLICATION_CREDENTIAL_NAME",
        "application_credential_name",
    ),
    (
        "OS_APPLICATION_CREDENTIAL_SECRET",
        "application_credential_secret",
    ),
    ("OS_TOKEN", "token"),
    ("OS_AUTH_TOKEN", "token"),
    ("OS_REGION_NAME", "region_name"),
    ("OS_ORCHESTRATION_INTERFACE", "interface"),
    ("OS_INTERFACE", "interface"),
    ("OS_ENDPOINT_TYPE", "interface"),
    ("OS_CACERT", "cacert"),
    ("OS_INSECURE", "insecure"),
    ("OS_ORCHESTRATION_ENDPOINT_OVERRIDE", "heat_url"),
    ("OS_ENDPOINT", "endpoint"),
];

/// clouds.yaml key (top level of a cloud, or under `auth:`) → canonical key.
/// Earlier rows win over later ones for the same key.
const FILE_KEYS: &[(&str, &str)] = &[
    ("auth_type", "auth_type"),
    ("auth_plugin", "auth_type"),
    ("auth_url", "auth_url"),
    ("username", "username"),
    ("user_name", "username"),
    ("user_id", "user_id"),
    ("password", "password"),
    ("user_domain_name", "user_domain_name"),
    ("user_domain_id", "user_domain_id"),
    ("project_name", "project_name"),
    ("tenant_name", "project_name"),
    ("project_id", "project_id"),
    ("tenant_id", "project_id"),
    ("project_domain_name", "project_domain_name"),
    ("project_domain_id", "project_domain_id"),
    ("domain_name", "domain_name"),
    ("domain_id", "domain_id"),
    ("default_domain", "default_domain"),
    ("application_credential_id", "application_credential_id"),
    ("application_credential_name", "application_credential_name"),
    (
        "application_credential_secret",
        "application_credential_secret",
    ),
    ("token", "token"),
    ("auth_token", "token"),
    ("region_name", "region_name"),
    ("orchestration_interface", "interface"),
    ("orchestration_endpoint_type", "interface"),
    ("interface", "interface"),
    ("endpoint_type", "interface"),
    ("cacert", "cacert"),
    ("insecure", "insecure"),
    ("orchestration_endpoint_override", "heat_url"),
    ("endpoint_override", "heat_url"),
    ("endpoint", "endpoint"),
];

fn env_layer(env: &Env) -> Layer {
    let mut layer = Layer::new();
    for (var, key) in ENV_KEYS {
        if layer.has(key) {
            continue;
        }
        if let Some(value) = env.var(var) {
            layer.set(key, value.to_string(), var.to_string());
        }
    }
    layer
}

fn flags_layer(args: &CloudArgs) -> Layer {
    let mut layer = Layer::new();
    let mut set = |key, value: &Option<String>, flag: &str| {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            layer.set(key, v.to_string(), flag.to_string());
        }
    };
    set("heat_url", &args.heat_url, "--heat-url");
    set("interface", &args.interface, "--interface");
    set("region_name", &args.region, "--region");
    set(
        "cacert",
        &args.cacert.as_ref().map(|p| p.display().to_string()),
        "--cacert",
    );
    if args.insecure {
        layer.set("insecure", "true".to_string(), "--insecure".to_string());
    }
    layer
}

/// A YAML scalar as a string; `None` for null.
fn scalar(value: &Value, what: &str, origin: &str) -> Result<Option<String>, ConnectError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(config_error(
            format!("`{what}` in {origin} must be a single value"),
            format!("write `{what}` as a string in {origin}"),
        )),
    }
}

/// Keys as openstacksdk normalises them: `-` and `_` are the same.
fn normalize_key(key: &str) -> String {
    key.replace('-', "_")
}

fn file_layer(cloud: &Map<String, Value>, origin: &str) -> Result<Layer, ConnectError> {
    let mut top: HashMap<String, &Value> = HashMap::new();
    for (k, v) in cloud {
        top.insert(normalize_key(k), v);
    }
    let mut auth: HashMap<String, &Value> = HashMap::new();
    match top.get("auth") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                auth.insert(normalize_key(k), v);
            }
        }
        Some(_) => {
            return Err(config_error(
                format!("`auth` in {origin} is not a mapping"),
                "write the credentials as keys under `auth:` (auth_url, username, password, …)",
            ));
        }
    }
    let mut layer = Layer::new();
    for (file_key, key) in FILE_KEYS {
        if layer.has(key) {
            continue;
        }
        // Values under `auth:` win over the same key at the top level of the cloud.
        let found = auth
            .get(*file_key)
            .map(|v| (v, format!("auth.{file_key}")))
            .or_else(|| top.get(*file_key).map(|v| (v, file_key.to_string())));
        if let Some((value, spelled)) = found
            && let Some(text) = scalar(value, &spelled, origin)?
            && !text.is_empty()
        {
            layer.set(key, text, spelled);
        }
    }
    // `verify: false` is `insecure: true`; a path is a CA bundle.
    if !layer.has("insecure")
        && let Some(verify) = top.get("verify")
    {
        match verify {
            Value::Bool(b) => layer.set("insecure", (!b).to_string(), "verify".into()),
            other => {
                if let Some(text) = scalar(other, "verify", origin)? {
                    match parse_bool(&text) {
                        Some(b) => layer.set("insecure", (!b).to_string(), "verify".into()),
                        None if !layer.has("cacert") => layer.set("cacert", text, "verify".into()),
                        None => {}
                    }
                }
            }
        }
    }
    for (key, what) in [("cert", "client certificates"), ("key", "client keys")] {
        if top.contains_key(key) {
            return Err(config_error(
                format!("{what} (`{key}` in {origin}) are not supported"),
                format!(
                    "remove `{key}` from {origin}; coe authenticates with Keystone credentials only"
                ),
            ));
        }
    }
    if let Some(v) = top.get("identity_api_version")
        && let Some(text) = scalar(v, "identity_api_version", origin)?
        && !text.starts_with('3')
    {
        return Err(config_error(
            format!("{origin} asks for identity API version {text}; coe speaks Keystone v3 only"),
            "set `identity_api_version: 3` (every supported Keystone serves v3)",
        ));
    }
    Ok(layer)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

// ------------------------------------------------------------------ files

/// The folders searched for clouds.yaml and secure.yaml, in openstacksdk's order.
fn search_dirs(env: &Env) -> Vec<PathBuf> {
    let mut dirs = vec![env.cwd.clone()];
    if let Some(xdg) = env.var("XDG_CONFIG_HOME") {
        dirs.push(Path::new(xdg).join("openstack"));
    }
    if let Some(home) = &env.home {
        dirs.push(home.join(".config").join("openstack"));
    }
    dirs.push(PathBuf::from("/etc/xdg/openstack"));
    dirs.push(PathBuf::from("/etc/openstack"));
    let mut unique = Vec::new();
    for d in dirs {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    unique
}

/// Candidate files: the override variable first, then `<dir>/<stem>.{yaml,yml,json}`.
fn candidates(env: &Env, override_var: &str, stem: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(path) = env.var(override_var) {
        files.push(absolute(env, Path::new(path)));
    }
    for dir in search_dirs(env) {
        for ext in ["yaml", "yml", "json"] {
            files.push(dir.join(format!("{stem}.{ext}")));
        }
    }
    files
}

fn absolute(env: &Env, path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = &env.home
    {
        return home.join(rest);
    }
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        env.cwd.join(path)
    }
}

struct Loaded {
    path: PathBuf,
    doc: Value,
}

fn find_and_load(
    env: &Env,
    override_var: &str,
    stem: &str,
) -> Result<Option<Loaded>, ConnectError> {
    for path in candidates(env, override_var, stem) {
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            config_error(
                format!("cannot read {}: {e}", path.display()),
                format!(
                    "make {} readable, or point {override_var} at another file",
                    path.display()
                ),
            )
        })?;
        let doc = parse_config(&path, &text)?;
        if !doc.is_object() {
            return Err(config_error(
                format!("{} is not a mapping with a `clouds:` key", path.display()),
                format!(
                    "start {} with `clouds:` and one entry per cloud",
                    path.display()
                ),
            ));
        }
        return Ok(Some(Loaded { path, doc }));
    }
    Ok(None)
}

fn parse_config(path: &Path, text: &str) -> Result<Value, ConnectError> {
    let is_json = path.extension().is_some_and(|e| e == "json");
    let result: Result<Value, String> = if is_json {
        serde_json::from_str(text).map_err(|e| format!("line {}, column {}", e.line(), e.column()))
    } else {
        serde_saphyr::from_str::<Value>(text).map_err(|e| match e.location() {
            // Only the position: the parser's message may quote the line, and the line
            // may hold a password.
            Some(loc) => format!("line {}, column {}", loc.line(), loc.column()),
            None => "unknown position".to_string(),
        })
    };
    let value = result.map_err(|at| {
        config_error(
            format!(
                "{} is not valid {} ({at})",
                path.display(),
                if is_json { "JSON" } else { "YAML" }
            ),
            format!("fix the syntax of {} at {at}", path.display()),
        )
    })?;
    Ok(if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    })
}

/// Deep merge as openstacksdk's `merge_clouds`: mappings merge, everything else is replaced.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn clouds_of(doc: &Value) -> Option<&Map<String, Value>> {
    doc.get("clouds").and_then(Value::as_object)
}

fn searched_list(env: &Env) -> String {
    candidates(env, "OS_CLIENT_CONFIG_FILE", "clouds")
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What was read from files for the selected cloud.
struct FileCloud {
    name: String,
    entry: Map<String, Value>,
    clouds_path: Option<PathBuf>,
    secure_path: Option<PathBuf>,
    auto_selected: bool,
    /// `OS_CLOUD` or `--os-cloud`.
    chosen_by: Option<&'static str>,
}

/// Loads clouds.yaml + secure.yaml and picks the cloud. `name` is `None` when no cloud was
/// asked for: then the only cloud of clouds.yaml is used, if there is exactly one.
fn load_cloud(
    env: &Env,
    name: Option<(&str, &'static str)>,
) -> Result<Option<FileCloud>, ConnectError> {
    let clouds = find_and_load(env, "OS_CLIENT_CONFIG_FILE", "clouds")?;
    if clouds.is_none() && name.is_none() {
        return Ok(None);
    }
    let secure = find_and_load(env, "OS_CLIENT_SECURE_FILE", "secure")?;
    let mut doc = clouds
        .as_ref()
        .map(|c| c.doc.clone())
        .unwrap_or_else(|| Value::Object(Map::new()));
    if let Some(s) = &secure {
        merge(&mut doc, &s.doc);
    }
    let clouds_path = clouds.as_ref().map(|c| c.path.clone());
    let secure_path = secure.as_ref().map(|s| s.path.clone());
    if let Some(c) = &clouds
        && c.doc
            .get("clouds")
            .is_some_and(|v| !v.is_object() && !v.is_null())
    {
        return Err(config_error(
            format!("`clouds` in {} is not a mapping", c.path.display()),
            "write one entry per cloud under `clouds:`",
        ));
    }
    let empty = Map::new();
    let all = clouds_of(&doc).unwrap_or(&empty);
    let asked_by = name.map(|(_, origin)| origin);
    let (name, auto_selected) = match name {
        Some((n, _)) => (n.to_string(), false),
        None => {
            if all.len() != 1 {
                return Ok(None);
            }
            (all.keys().next().cloned().unwrap_or_default(), true)
        }
    };
    let Some(entry) = all.get(&name) else {
        let asked_by = asked_by.unwrap_or("the only cloud");
        return Err(match &clouds_path {
            Some(path) => {
                let mut names: Vec<&String> = all.keys().collect();
                names.sort();
                let listed = if names.is_empty() {
                    "it defines no clouds".to_string()
                } else {
                    format!(
                        "its clouds are {}",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                config_error(
                    format!("cloud `{name}` ({asked_by}) is not in {}", path.display()),
                    format!("{listed}; fix the name, or add `{name}:` under `clouds:`"),
                )
            }
            None => config_error(
                format!("cloud `{name}` ({asked_by}) was asked for, but no clouds.yaml was found"),
                format!(
                    "write a clouds.yaml with a `{name}:` entry under `clouds:`; searched: {}",
                    searched_list(env)
                ),
            ),
        });
    };
    let Some(entry) = entry.as_object() else {
        return Err(config_error(
            format!(
                "cloud `{name}` in {} is not a mapping",
                display_opt(&clouds_path)
            ),
            "write the cloud's settings (auth:, region_name:, …) as keys under its name",
        ));
    };
    Ok(Some(FileCloud {
        name,
        entry: entry.clone(),
        clouds_path,
        secure_path,
        auto_selected,
        chosen_by: asked_by,
    }))
}

fn display_opt(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "secure.yaml".to_string())
}

/// Applies `regions:` (a list of names or `{name, values}`): validates the region asked for
/// and merges its `values` into the cloud. Returns the region the file implies, if any.
fn apply_regions(
    entry: &mut Map<String, Value>,
    asked: Option<&str>,
    origin: &str,
) -> Result<(), ConnectError> {
    let Some(regions) = entry.get("regions").cloned() else {
        return Ok(());
    };
    let Value::Array(list) = regions else {
        return Err(config_error(
            format!("`regions` in {origin} is not a list"),
            "write `regions:` as a list of region names",
        ));
    };
    let mut named: Vec<(String, Option<Value>)> = Vec::new();
    for item in &list {
        match item {
            Value::String(s) => named.push((s.clone(), None)),
            Value::Object(m) => match m.get("name").and_then(Value::as_str) {
                Some(n) => named.push((n.to_string(), m.get("values").cloned())),
                None => {
                    return Err(config_error(
                        format!("an entry of `regions` in {origin} has no `name`"),
                        "give every entry of `regions:` a `name:`",
                    ));
                }
            },
            _ => {
                return Err(config_error(
                    format!("an entry of `regions` in {origin} is neither a name nor a mapping"),
                    "write `regions:` as a list of region names",
                ));
            }
        }
    }
    if named.is_empty() {
        return Ok(());
    }
    let chosen = match asked {
        Some(r) => named.iter().find(|(n, _)| n == r).ok_or_else(|| {
            config_error(
                format!("region `{r}` is not one of the regions of {origin}"),
                format!(
                    "pick one of {} (region names are case-sensitive)",
                    named
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?,
        None => &named[0],
    };
    let (region, values) = chosen.clone();
    if let Some(values) = values {
        let mut as_value = Value::Object(std::mem::take(entry));
        merge(&mut as_value, &values);
        if let Value::Object(m) = as_value {
            *entry = m;
        }
    }
    entry.insert("region_name".to_string(), Value::String(region));
    Ok(())
}

// ------------------------------------------------------------------ resolve

/// Resolves flags, environment and files into one profile. Reads files, never the network.
pub fn resolve(args: &CloudArgs, env: &Env) -> Result<Profile, ConnectError> {
    let flags = flags_layer(args);
    let env_values = env_layer(env);

    // Which cloud of clouds.yaml, if any.
    let asked: Option<(&str, &'static str)> = match (args.os_cloud.as_deref(), env.var("OS_CLOUD"))
    {
        (Some(n), _) if !n.is_empty() => Some((n, "--os-cloud")),
        (_, Some(n)) => Some((n, "OS_CLOUD")),
        _ => None,
    };
    let env_has_target = env_values.has("auth_url") || env_values.has("endpoint");
    let file_cloud = if asked.is_some() || (!env_has_target && !flags.has("heat_url")) {
        load_cloud(env, asked)?
    } else {
        None
    };

    let mut file = Layer::new();
    let mut file_origin = String::new();
    let mut vendor_profile = None;
    if let Some(fc) = &file_cloud {
        file_origin = format!("cloud `{}` of {}", fc.name, display_opt(&fc.clouds_path));
        let mut entry = fc.entry.clone();
        let asked_region = flags
            .values
            .get("region_name")
            .or_else(|| env_values.values.get("region_name"))
            .map(|(v, _)| v.as_str());
        apply_regions(&mut entry, asked_region, &file_origin)?;
        vendor_profile = entry
            .get("profile")
            .or_else(|| entry.get("cloud"))
            .and_then(Value::as_str)
            .map(str::to_string);
        file = file_layer(&entry, &file_origin)?;
    }

    let layers = Layers {
        flags,
        env: env_values,
        file,
        used: Default::default(),
    };
    let origin_hint = if file_cloud.is_some() {
        format!("`auth:` of {file_origin}")
    } else {
        "the environment".to_string()
    };

    let auth_url = layers.get("auth_url");
    let auth_type = layers
        .get("auth_type")
        .map(|t| t.trim().to_ascii_lowercase());
    let kind = match auth_type.as_deref() {
        Some("password" | "v3password") => Kind::Password,
        Some("v3applicationcredential" | "applicationcredential" | "v3_application_credential") => {
            Kind::AppCred
        }
        Some("token" | "v3token") => Kind::Token,
        Some("admin_token" | "token_endpoint" | "v3adminendpoint") => Kind::AdminToken,
        Some("none" | "noauth" | "") => Kind::None,
        Some(t @ ("v2password" | "v2token")) => {
            return Err(config_error(
                format!("auth_type `{t}` is Keystone v2, which coe does not speak"),
                "use `auth_type: password` (or `v3password`) with a v3 auth_url",
            ));
        }
        Some(other) => {
            return Err(config_error(
                format!("auth_type `{other}` is not supported"),
                "use one of `password`, `v3applicationcredential`, `token`, `admin_token` or `none`",
            ));
        }
        None => infer_kind(&layers, auth_url.is_some()),
    };
    if auth_type.is_none()
        && kind == Kind::None
        && !layers.has("heat_url")
        && !layers.has("endpoint")
    {
        return Err(no_cloud_error(env, file_cloud.is_some(), &file_origin));
    }

    let heat_url = match kind {
        Kind::None | Kind::AdminToken => layers.all().into_iter().enumerate().find_map(|(i, l)| {
            let (v, s) = l
                .values
                .get("heat_url")
                .or_else(|| l.values.get("endpoint"))?;
            layers.note(i, s);
            Some(v.clone())
        }),
        _ => layers.get("heat_url"),
    };
    let heat_url = heat_url.map(|u| normalize_heat_url(&u)).transpose()?;

    let keystone = matches!(kind, Kind::Password | Kind::AppCred | Kind::Token);
    let auth_url = if keystone {
        let Some(raw) = auth_url else {
            let mut help = format!("set OS_AUTH_URL, or `auth_url` in {origin_hint}");
            if let Some(p) = &vendor_profile {
                help.push_str(&format!(
                    " (vendor profiles such as `profile: {p}` are not supported: copy its auth_url)"
                ));
            }
            return Err(config_error("no Keystone URL (auth_url) is set", help));
        };
        Some(normalize_auth_url(&raw)?)
    } else {
        None
    };

    let auth = match kind {
        Kind::Password => {
            let user = user_ref(&layers).ok_or_else(|| {
                config_error(
                    "no user name for the password login",
                    format!("set OS_USERNAME, or `username` in {origin_hint}"),
                )
            })?;
            let password = layers.get("password").ok_or_else(|| {
                config_error(
                    format!("no password for {user}"),
                    format!("set OS_PASSWORD, or `password` in {origin_hint} (or in secure.yaml)"),
                )
            })?;
            AuthMethod::Password {
                user,
                password: Secret::new(password),
                scope: scope(&layers),
            }
        }
        Kind::AppCred => {
            let credential = match layers
                .id_or_name("application_credential_id", "application_credential_name")
            {
                Some(IdOrName::Id(id)) => AppCredRef::Id(id),
                Some(IdOrName::Name(name)) => {
                    let user = user_ref(&layers).ok_or_else(|| {
                        config_error(
                            format!("application credential `{name}` is given by name, but no user is set"),
                            format!("set OS_USERNAME (or `username` in {origin_hint}), or give the credential's id instead"),
                        )
                    })?;
                    AppCredRef::Name { name, user }
                }
                None => {
                    return Err(config_error(
                        "no application credential id or name is set",
                        format!(
                            "set OS_APPLICATION_CREDENTIAL_ID, or `application_credential_id` in {origin_hint}"
                        ),
                    ));
                }
            };
            let secret = layers.get("application_credential_secret").ok_or_else(|| {
                config_error(
                    format!("no secret for {credential}"),
                    format!("set OS_APPLICATION_CREDENTIAL_SECRET, or `application_credential_secret` in {origin_hint} (or in secure.yaml)"),
                )
            })?;
            AuthMethod::ApplicationCredential {
                credential,
                secret: Secret::new(secret),
            }
        }
        Kind::Token | Kind::AdminToken => {
            let token = layers.get("token").map(Secret::new).ok_or_else(|| {
                config_error(
                    "token authentication is asked for, but no token is set",
                    format!("set OS_TOKEN, or `token` in {origin_hint}"),
                )
            })?;
            if kind == Kind::Token {
                AuthMethod::Token {
                    token,
                    scope: scope(&layers),
                }
            } else {
                AuthMethod::AdminToken { token }
            }
        }
        Kind::None => AuthMethod::None,
    };
    if !keystone && heat_url.is_none() {
        return Err(config_error(
            "without Keystone (auth_type none or admin_token) Heat's URL must be given",
            format!(
                "pass `--heat-url http://HOST:8004/v1/PROJECT`, set OS_ENDPOINT, or `endpoint_override` in {origin_hint}"
            ),
        ));
    }

    let interface = match layers.get("interface") {
        Some(i) => normalize_interface(&i)?,
        None => "public".to_string(),
    };
    let region = layers.get("region_name");
    let insecure = match layers.get("insecure") {
        Some(v) => parse_bool(&v).ok_or_else(|| {
            config_error(
                format!("`{v}` is not a yes/no value for insecure"),
                "use `true` or `false` (OS_INSECURE, `insecure`, `verify`)",
            )
        })?,
        None => false,
    };
    let cacert = layers.get("cacert").map(|c| absolute(env, Path::new(&c)));

    let source = describe_source(&layers, file_cloud.as_ref(), keystone);
    Ok(Profile {
        auth_url,
        auth,
        region,
        interface,
        cacert,
        insecure,
        heat_url,
        source,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Password,
    AppCred,
    Token,
    AdminToken,
    None,
}

/// No `auth_type`: the first source (flags, environment, file) that holds a secret (an
/// application credential secret, a password or a token) decides, as a leftover `OS_USERNAME`
/// must not turn an application-credential cloud into a password login. Without a Keystone
/// URL and Keystone credentials, a token is sent to Heat as it is (when Heat's URL is
/// given), or nothing is.
fn infer_kind(layers: &Layers, has_auth_url: bool) -> Kind {
    const APP_CRED: [&str; 3] = [
        "application_credential_secret",
        "application_credential_id",
        "application_credential_name",
    ];
    const USER: [&str; 3] = ["password", "username", "user_id"];
    let keystone_credentials = APP_CRED.iter().chain(USER.iter()).any(|k| layers.has(k));
    if !has_auth_url && !keystone_credentials {
        let has_heat_url = layers.has("heat_url") || layers.has("endpoint");
        return match (layers.has("token"), has_heat_url) {
            (true, true) => Kind::AdminToken,
            (true, false) => Kind::Token,
            (false, _) => Kind::None,
        };
    }
    for layer in layers.all() {
        if layer.has("application_credential_secret") {
            return Kind::AppCred;
        }
        if layer.has("password") {
            return Kind::Password;
        }
        if layer.has("token") {
            return Kind::Token;
        }
    }
    if APP_CRED.iter().any(|k| layers.has(k)) {
        Kind::AppCred
    } else {
        Kind::Password
    }
}

fn user_ref(layers: &Layers) -> Option<UserRef> {
    match layers.id_or_name("user_id", "username")? {
        IdOrName::Id(id) => Some(UserRef::Id(id)),
        IdOrName::Name(name) => Some(UserRef::Name {
            name,
            domain: layers.domain_with_fallback("user_domain_id", "user_domain_name"),
        }),
    }
}

/// A project if one is set, else a domain (`domain_id`/`domain_name`), else none.
fn scope(layers: &Layers) -> Scope {
    match layers.id_or_name("project_id", "project_name") {
        Some(IdOrName::Id(id)) => Scope::Project(ProjectRef::Id(id)),
        Some(IdOrName::Name(name)) => Scope::Project(ProjectRef::Name {
            name,
            domain: layers.domain_with_fallback("project_domain_id", "project_domain_name"),
        }),
        None => match layers.domain("domain_id", "domain_name") {
            Some(d) => Scope::Domain(d),
            None => Scope::Unscoped,
        },
    }
}

fn no_cloud_error(env: &Env, had_file: bool, file_origin: &str) -> ConnectError {
    if had_file {
        return config_error(
            format!("{file_origin} has no auth_url and no Heat endpoint"),
            "add `auth:` with `auth_url`, `username`, `password`, `project_name` (or set `auth_type: none` and `endpoint_override` for a Heat without Keystone)",
        );
    }
    let found = candidates(env, "OS_CLIENT_CONFIG_FILE", "clouds")
        .into_iter()
        .find(|p| p.is_file());
    let about_file = match found {
        Some(p) => format!(
            "; {} has several clouds, pick one with OS_CLOUD or --os-cloud",
            p.display()
        ),
        None => format!("; no clouds.yaml found (searched {})", searched_list(env)),
    };
    config_error(
        "no cloud is configured",
        format!(
            "set OS_CLOUD (or pass --os-cloud NAME) to a cloud of clouds.yaml, source an openrc file (OS_AUTH_URL, OS_USERNAME, …), or pass --heat-url URL for a Heat without Keystone{about_file}"
        ),
    )
}

fn describe_source(layers: &Layers, file_cloud: Option<&FileCloud>, keystone: bool) -> String {
    let mut parts = Vec::new();
    if let Some(fc) = file_cloud {
        let how = if fc.auto_selected {
            " (the only cloud there)"
        } else {
            ""
        };
        let chosen_by = fc
            .chosen_by
            .map(|by| format!(" chosen by {by}"))
            .unwrap_or_default();
        let mut text = match &fc.clouds_path {
            Some(p) => format!(
                "clouds.yaml cloud `{}`{chosen_by}{how} ({})",
                fc.name,
                p.display()
            ),
            None => format!("secure.yaml cloud `{}`{chosen_by}", fc.name),
        };
        if let Some(s) = &fc.secure_path {
            text.push_str(&format!(" + secure.yaml ({})", s.display()));
        }
        parts.push(text);
    }
    let env = layers.used_in(ENV);
    if !env.is_empty() {
        parts.push(format!("environment ({})", env.join(", ")));
    }
    let flags = layers.used_in(FLAGS);
    if !flags.is_empty() {
        parts.push(format!("flags ({})", flags.join(", ")));
    }
    let mut text = parts.join(", ");
    if !keystone {
        text.push_str(" (no Keystone)");
    }
    text
}

/// Keystone's v3 URL: `…/v3` kept, `…/v3/` trimmed, an unversioned URL gets `/v3`.
pub fn normalize_auth_url(raw: &str) -> Result<String, ConnectError> {
    let url = raw.trim().trim_end_matches('/');
    check_http_url(url, "auth_url")?;
    let last = url.rsplit('/').next().unwrap_or("");
    let is_version = last.len() > 1
        && last.starts_with('v')
        && last[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if !is_version {
        return Ok(format!("{url}/v3"));
    }
    if last == "v3" || last.starts_with("v3.") {
        return Ok(url.to_string());
    }
    let base = &url[..url.len() - last.len() - 1];
    Err(config_error(
        format!("auth_url {url} is Keystone {last}; coe speaks Keystone v3 only"),
        format!("set auth_url to `{base}/v3`"),
    ))
}

fn normalize_heat_url(raw: &str) -> Result<String, ConnectError> {
    let url = raw.trim().trim_end_matches('/');
    check_http_url(url, "the Heat URL")?;
    Ok(url.to_string())
}

fn check_http_url(url: &str, what: &str) -> Result<(), ConnectError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(()),
        _ => Err(config_error(
            format!("{what} `{url}` is not an http:// or https:// URL"),
            format!("write {what} in full, e.g. `https://keystone.example.com:5000/v3`"),
        )),
    }
}

fn normalize_interface(raw: &str) -> Result<String, ConnectError> {
    let lower = raw.trim().to_ascii_lowercase();
    let name = lower.strip_suffix("url").unwrap_or(&lower);
    match name {
        "public" | "internal" | "admin" => Ok(name.to_string()),
        _ => Err(config_error(
            format!("interface `{raw}` is not one of public, internal, admin"),
            "use `public` (the default), `internal` or `admin`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A private folder under the system temp dir, removed on drop.
    struct TempDir(tempfile::TempDir);

    impl TempDir {
        fn new() -> TempDir {
            TempDir(
                tempfile::Builder::new()
                    .prefix("coe-clouds-")
                    .tempdir()
                    .unwrap(),
            )
        }
        fn path(&self) -> &Path {
            self.0.path()
        }
        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    /// An environment with a private cwd and home and the given variables.
    fn env(dir: &TempDir, vars: &[(&str, &str)]) -> Env {
        std::fs::create_dir_all(dir.path().join("cwd")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: Some(dir.path().join("home")),
            cwd: dir.path().join("cwd"),
        }
    }

    fn openrc() -> Vec<(&'static str, &'static str)> {
        vec![
            ("OS_AUTH_URL", "http://127.0.0.1:5000"),
            ("OS_USERNAME", "admin"),
            ("OS_PASSWORD", "s3cret-env"),
            ("OS_PROJECT_NAME", "admin"),
            ("OS_USER_DOMAIN_NAME", "Default"),
            ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ]
    }

    fn err(result: Result<Profile, ConnectError>) -> ConnectError {
        match result {
            Ok(p) => panic!("expected an error, got {p:?}"),
            Err(e) => e,
        }
    }

    const CLOUDS: &str = "\
clouds:
  mycloud:
    auth:
      auth_url: https://keystone.example.com:5000/v3/
      username: alice
      project_name: demo
      user_domain_name: Users
      project_domain_id: default
    region_name: RegionOne
    interface: internal
  other:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://other.example.com/identity
      application_credential_id: ac-123
";

    #[test]
    fn environment_alone_is_a_password_login() {
        let dir = TempDir::new();
        let p = resolve(&CloudArgs::default(), &env(&dir, &openrc())).unwrap();
        assert_eq!(p.auth_url.as_deref(), Some("http://127.0.0.1:5000/v3"));
        assert_eq!(
            p.auth,
            AuthMethod::Password {
                user: UserRef::Name {
                    name: "admin".into(),
                    domain: DomainRef::Name("Default".into())
                },
                password: Secret::new("s3cret-env"),
                scope: Scope::Project(ProjectRef::Name {
                    name: "admin".into(),
                    domain: DomainRef::Name("Default".into())
                }),
            }
        );
        assert_eq!(p.interface, "public");
        assert_eq!(p.region, None);
        assert!(!p.insecure);
        assert!(
            p.source.starts_with("environment (OS_AUTH_URL"),
            "{}",
            p.source
        );
        assert!(p.source.contains("OS_PASSWORD"), "{}", p.source);
    }

    #[test]
    fn domains_default_like_openstackclient() {
        let dir = TempDir::new();
        let vars = [
            ("OS_AUTH_URL", "http://k:5000/v3"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_PROJECT_NAME", "proj"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        let AuthMethod::Password { user, scope, .. } = p.auth else {
            panic!()
        };
        let default = DomainRef::Id("default".into());
        assert_eq!(
            user,
            UserRef::Name {
                name: "u".into(),
                domain: default.clone()
            }
        );
        assert_eq!(
            scope,
            Scope::Project(ProjectRef::Name {
                name: "proj".into(),
                domain: default
            })
        );
        // `domain_name` is the default of both, as in openstacksdk.
        let mut vars = vars.to_vec();
        vars.push(("OS_DOMAIN_NAME", "Corp"));
        vars.push(("OS_USER_DOMAIN_ID", "u-dom"));
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        let AuthMethod::Password { user, scope, .. } = p.auth else {
            panic!()
        };
        assert_eq!(
            user,
            UserRef::Name {
                name: "u".into(),
                domain: DomainRef::Id("u-dom".into())
            }
        );
        assert_eq!(
            scope,
            Scope::Project(ProjectRef::Name {
                name: "proj".into(),
                domain: DomainRef::Name("Corp".into())
            })
        );
    }

    #[test]
    fn ids_win_over_names_and_tenant_is_project() {
        let dir = TempDir::new();
        let vars = [
            ("OS_AUTH_URL", "http://k:5000/v3"),
            ("OS_USER_ID", "uid"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
            ("OS_TENANT_ID", "tid"),
            ("OS_PROJECT_NAME", "proj"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        let AuthMethod::Password { user, scope, .. } = p.auth else {
            panic!()
        };
        assert_eq!(user, UserRef::Id("uid".into()));
        assert_eq!(scope, Scope::Project(ProjectRef::Id("tid".into())));
    }

    #[test]
    fn auth_url_versions() {
        for (raw, want) in [
            ("http://k:5000/v3", "http://k:5000/v3"),
            ("http://k:5000/v3/", "http://k:5000/v3"),
            ("http://k:5000", "http://k:5000/v3"),
            ("http://k:5000/", "http://k:5000/v3"),
            (
                "https://cloud.example.com/identity",
                "https://cloud.example.com/identity/v3",
            ),
            (
                "https://cloud.example.com/identity/v3.0",
                "https://cloud.example.com/identity/v3.0",
            ),
        ] {
            assert_eq!(normalize_auth_url(raw).unwrap(), want, "{raw}");
        }
        let e = normalize_auth_url("http://k:5000/v2.0/").unwrap_err();
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(e.message.contains("v2.0"), "{}", e.message);
        assert!(e.help.contains("`http://k:5000/v3`"), "{}", e.help);
        for bad in ["k:5000/v3", "ftp://k/v3", "http://", ""] {
            assert_eq!(
                normalize_auth_url(bad).unwrap_err().kind,
                ConnectErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn clouds_yaml_in_cwd_is_selected_by_os_cloud() {
        let dir = TempDir::new();
        let path = dir.write("cwd/clouds.yaml", CLOUDS);
        dir.write(
            "cwd/secure.yaml",
            "clouds:\n  mycloud:\n    auth:\n      password: from-secure\n",
        );
        let p = resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "mycloud")]),
        )
        .unwrap();
        assert_eq!(
            p.auth_url.as_deref(),
            Some("https://keystone.example.com:5000/v3")
        );
        assert_eq!(
            p.auth,
            AuthMethod::Password {
                user: UserRef::Name {
                    name: "alice".into(),
                    domain: DomainRef::Name("Users".into())
                },
                password: Secret::new("from-secure"),
                scope: Scope::Project(ProjectRef::Name {
                    name: "demo".into(),
                    domain: DomainRef::Id("default".into())
                }),
            }
        );
        assert_eq!(p.region.as_deref(), Some("RegionOne"));
        assert_eq!(p.interface, "internal");
        assert!(
            p.source.starts_with(&format!(
                "clouds.yaml cloud `mycloud` chosen by OS_CLOUD ({}) + secure.yaml (",
                path.display()
            )),
            "{}",
            p.source
        );
    }

    #[test]
    fn flags_beat_environment_beats_clouds_yaml() {
        let dir = TempDir::new();
        dir.write("cwd/clouds.yaml", CLOUDS);
        dir.write(
            "home/.config/openstack/secure.yaml",
            "clouds:\n  mycloud:\n    auth:\n      password: from-secure\n",
        );
        let vars = [
            ("OS_CLOUD", "mycloud"),
            ("OS_PASSWORD", "from-env"),
            ("OS_REGION_NAME", "EnvRegion"),
            ("OS_INTERFACE", "admin"),
        ];
        let args = CloudArgs {
            region: Some("FlagRegion".into()),
            ..Default::default()
        };
        let p = resolve(&args, &env(&dir, &vars)).unwrap();
        let AuthMethod::Password { password, .. } = &p.auth else {
            panic!()
        };
        assert_eq!(password.expose(), "from-env");
        assert_eq!(p.region.as_deref(), Some("FlagRegion"));
        assert_eq!(p.interface, "admin");
        assert!(
            p.source.contains("cloud `mycloud` chosen by OS_CLOUD ("),
            "{}",
            p.source
        );
        assert!(
            p.source.contains("environment (OS_INTERFACE, OS_PASSWORD)"),
            "{}",
            p.source
        );
        assert!(p.source.contains("flags (--region)"), "{}", p.source);
        assert!(
            p.source.contains("home/.config/openstack/secure.yaml"),
            "{}",
            p.source
        );
    }

    #[test]
    fn search_order_follows_openstacksdk() {
        let dir = TempDir::new();
        let cloud = |url: &str| {
            format!("clouds:\n  c:\n    auth: {{auth_url: '{url}', username: u, password: p}}\n")
        };
        dir.write("home/.config/openstack/clouds.yaml", &cloud("http://home"));
        let vars = [("OS_CLOUD", "c")];
        let url = |e: &Env| resolve(&CloudArgs::default(), e).unwrap().auth_url.unwrap();
        assert_eq!(url(&env(&dir, &vars)), "http://home/v3");
        dir.write("cwd/clouds.yml", &cloud("http://cwd-yml"));
        assert_eq!(url(&env(&dir, &vars)), "http://cwd-yml/v3");
        dir.write("cwd/clouds.yaml", &cloud("http://cwd"));
        assert_eq!(url(&env(&dir, &vars)), "http://cwd/v3");
        // $OS_CLIENT_CONFIG_FILE goes in front of the list.
        let file = dir.write("elsewhere/my.yaml", &cloud("http://override"));
        let file = file.display().to_string();
        let vars = [("OS_CLOUD", "c"), ("OS_CLIENT_CONFIG_FILE", file.as_str())];
        assert_eq!(url(&env(&dir, &vars)), "http://override/v3");
        // $XDG_CONFIG_HOME/openstack comes before ~/.config/openstack.
        let dir = TempDir::new();
        dir.write("home/.config/openstack/clouds.yaml", &cloud("http://home"));
        dir.write("xdg/openstack/clouds.json", r#"{"clouds": {"c": {"auth": {"auth_url": "http://xdg", "username": "u", "password": "p"}}}}"#);
        let xdg = dir.path().join("xdg").display().to_string();
        let vars = [("OS_CLOUD", "c"), ("XDG_CONFIG_HOME", xdg.as_str())];
        assert_eq!(url(&env(&dir, &vars)), "http://xdg/v3");
    }

    #[test]
    fn unknown_cloud_lists_the_known_ones() {
        let dir = TempDir::new();
        let path = dir.write("cwd/clouds.yaml", CLOUDS);
        let e = err(resolve(
            &CloudArgs {
                os_cloud: Some("nope".into()),
                ..Default::default()
            },
            &env(&dir, &[]),
        ));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert_eq!(
            e.message,
            format!("cloud `nope` (--os-cloud) is not in {}", path.display())
        );
        assert!(e.help.contains("`mycloud`, `other`"), "{}", e.help);
    }

    #[test]
    fn asked_cloud_without_any_clouds_yaml() {
        let dir = TempDir::new();
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "x")]),
        ));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(
            e.message.contains("no clouds.yaml was found"),
            "{}",
            e.message
        );
        assert!(e.help.contains("cwd/clouds.yaml"), "{}", e.help);
        assert!(e.help.contains("/etc/openstack/clouds.yaml"), "{}", e.help);
    }

    #[test]
    fn nothing_configured_says_what_to_do() {
        let dir = TempDir::new();
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &[])));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert_eq!(e.message, "no cloud is configured");
        assert!(e.help.contains("OS_CLOUD"), "{}", e.help);
        assert!(e.help.contains("--heat-url"), "{}", e.help);
        // Several clouds and none chosen.
        dir.write("cwd/clouds.yaml", CLOUDS);
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &[])));
        assert!(e.help.contains("has several clouds"), "{}", e.help);
    }

    #[test]
    fn the_only_cloud_is_used_without_os_cloud() {
        let dir = TempDir::new();
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  solo:\n    auth: {auth_url: 'http://k/v3', username: u, password: p}\n",
        );
        let p = resolve(&CloudArgs::default(), &env(&dir, &[])).unwrap();
        assert!(
            p.source.contains("cloud `solo` (the only cloud there)"),
            "{}",
            p.source
        );
    }

    #[test]
    fn application_credentials() {
        let dir = TempDir::new();
        dir.write("cwd/clouds.yaml", CLOUDS);
        dir.write(
            "cwd/secure.yml",
            "clouds:\n  other:\n    auth:\n      application_credential_secret: ac-secret\n",
        );
        let p = resolve(&CloudArgs::default(), &env(&dir, &[("OS_CLOUD", "other")])).unwrap();
        assert_eq!(
            p.auth_url.as_deref(),
            Some("https://other.example.com/identity/v3")
        );
        assert_eq!(
            p.auth,
            AuthMethod::ApplicationCredential {
                credential: AppCredRef::Id("ac-123".into()),
                secret: Secret::new("ac-secret")
            }
        );
        // By name, the user is needed; the type is inferred from the secret.
        let vars = [
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_APPLICATION_CREDENTIAL_NAME", "ci"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "x"),
        ];
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &vars)));
        assert!(e.message.contains("`ci` is given by name"), "{}", e.message);
        let mut vars = vars.to_vec();
        vars.push(("OS_USERNAME", "bob"));
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert_eq!(
            p.auth,
            AuthMethod::ApplicationCredential {
                credential: AppCredRef::Name {
                    name: "ci".into(),
                    user: UserRef::Name {
                        name: "bob".into(),
                        domain: DomainRef::Id("default".into())
                    }
                },
                secret: Secret::new("x")
            }
        );
        // Missing secret.
        let vars = [
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_AUTH_TYPE", "v3applicationcredential"),
            ("OS_APPLICATION_CREDENTIAL_ID", "id1"),
        ];
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &vars)));
        assert_eq!(e.message, "no secret for application credential `id1`");
    }

    #[test]
    fn a_leftover_username_does_not_change_the_auth_type() {
        let dir = TempDir::new();
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  ac:\n    auth:\n      auth_url: http://k/v3\n      application_credential_name: ci\n      username: bot\n      application_credential_secret: s\n",
        );
        let e = env(&dir, &[("OS_CLOUD", "ac"), ("OS_USERNAME", "me")]);
        let p = resolve(&CloudArgs::default(), &e).unwrap();
        assert!(
            matches!(&p.auth, AuthMethod::ApplicationCredential { credential: AppCredRef::Name { name, user: UserRef::Name { name: user, .. } }, .. } if name == "ci" && user == "me"),
            "{p:?}"
        );
        // A password in the environment does: it is the more specific source.
        let e = env(&dir, &[("OS_CLOUD", "ac"), ("OS_PASSWORD", "pw")]);
        let p = resolve(&CloudArgs::default(), &e).unwrap();
        assert!(matches!(p.auth, AuthMethod::Password { .. }), "{p:?}");
    }

    #[test]
    fn token_auth_types() {
        let dir = TempDir::new();
        let vars = [
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_TOKEN", "tok"),
            ("OS_PROJECT_ID", "p1"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert_eq!(
            p.auth,
            AuthMethod::Token {
                token: Secret::new("tok"),
                scope: Scope::Project(ProjectRef::Id("p1".into()))
            }
        );
        // v3token without a project: unscoped (the token's own scope is kept).
        let vars = [
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_AUTH_TYPE", "v3token"),
            ("OS_TOKEN", "tok"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert!(matches!(
            p.auth,
            AuthMethod::Token {
                scope: Scope::Unscoped,
                ..
            }
        ));
        // admin_token style: the token goes to Heat, no Keystone.
        let vars = [
            ("OS_AUTH_TYPE", "token_endpoint"),
            ("OS_TOKEN", "tok"),
            ("OS_ENDPOINT", "http://heat:8004/v1/p1/"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert_eq!(
            p.auth,
            AuthMethod::AdminToken {
                token: Secret::new("tok")
            }
        );
        assert_eq!(p.heat_url.as_deref(), Some("http://heat:8004/v1/p1"));
        assert_eq!(p.auth_url, None);
        assert!(!p.uses_keystone());
        let e = err(resolve(
            &CloudArgs::default(),
            &env(
                &dir,
                &[("OS_AUTH_URL", "http://k"), ("OS_AUTH_TYPE", "token")],
            ),
        ));
        assert!(e.message.contains("no token is set"), "{}", e.message);
    }

    #[test]
    fn heat_url_alone_is_noauth() {
        let dir = TempDir::new();
        let args = CloudArgs {
            heat_url: Some("http://127.0.0.1:8004/v1/admin/".into()),
            ..Default::default()
        };
        let p = resolve(&args, &env(&dir, &[])).unwrap();
        assert_eq!(p.auth, AuthMethod::None);
        assert_eq!(p.auth_url, None);
        assert_eq!(
            p.heat_url.as_deref(),
            Some("http://127.0.0.1:8004/v1/admin")
        );
        assert_eq!(p.source, "flags (--heat-url) (no Keystone)");
        // With Keystone settings, --heat-url only overrides the catalog.
        let p = resolve(&args, &env(&dir, &openrc())).unwrap();
        assert!(p.uses_keystone());
        assert_eq!(
            p.heat_url.as_deref(),
            Some("http://127.0.0.1:8004/v1/admin")
        );
        // `auth_type: none` with endpoint_override in clouds.yaml.
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  local:\n    auth_type: none\n    orchestration_endpoint_override: http://127.0.0.1:8004/v1/admin\n",
        );
        let p = resolve(&CloudArgs::default(), &env(&dir, &[("OS_CLOUD", "local")])).unwrap();
        assert_eq!(p.auth, AuthMethod::None);
        assert_eq!(
            p.heat_url.as_deref(),
            Some("http://127.0.0.1:8004/v1/admin")
        );
        // `none` without any URL.
        let empty = TempDir::new();
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&empty, &[("OS_AUTH_TYPE", "none")]),
        ));
        assert!(
            e.message.contains("Heat's URL must be given"),
            "{}",
            e.message
        );
        assert_eq!(e.kind, ConnectErrorKind::Config);
        let e = err(resolve(
            &CloudArgs {
                heat_url: Some("127.0.0.1:8004".into()),
                ..Default::default()
            },
            &env(&dir, &[]),
        ));
        assert!(
            e.message.contains("not an http:// or https:// URL"),
            "{}",
            e.message
        );
    }

    #[test]
    fn tls_settings() {
        let dir = TempDir::new();
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  c:\n    verify: false\n    cacert: ca.pem\n    auth: {auth_url: 'https://k', username: u, password: p}\n",
        );
        let e = env(&dir, &[("OS_CLOUD", "c")]);
        let p = resolve(&CloudArgs::default(), &e).unwrap();
        assert!(p.insecure);
        assert_eq!(p.cacert, Some(dir.path().join("cwd/ca.pem")));
        let p = resolve(
            &CloudArgs::default(),
            &env(
                &dir,
                &[
                    ("OS_CLOUD", "c"),
                    ("OS_INSECURE", "false"),
                    ("OS_CACERT", "/x/ca.pem"),
                ],
            ),
        )
        .unwrap();
        assert!(!p.insecure);
        assert_eq!(p.cacert, Some(PathBuf::from("/x/ca.pem")));
        let args = CloudArgs {
            insecure: true,
            cacert: Some("/flag/ca.pem".into()),
            ..Default::default()
        };
        let p = resolve(
            &args,
            &env(&dir, &[("OS_CLOUD", "c"), ("OS_INSECURE", "no")]),
        )
        .unwrap();
        assert!(p.insecure);
        assert_eq!(p.cacert, Some(PathBuf::from("/flag/ca.pem")));
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "c"), ("OS_INSECURE", "maybe")]),
        ));
        assert!(e.message.contains("`maybe`"), "{}", e.message);
        // Verified by default.
        let p = resolve(&CloudArgs::default(), &env(&dir, &openrc())).unwrap();
        assert!(!p.insecure);
        assert_eq!(p.cacert, None);
    }

    #[test]
    fn interfaces() {
        let dir = TempDir::new();
        let mut vars = openrc();
        vars.push(("OS_INTERFACE", "internalURL"));
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert_eq!(p.interface, "internal");
        let args = CloudArgs {
            interface: Some("private".into()),
            ..Default::default()
        };
        let e = err(resolve(&args, &env(&dir, &vars)));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(e.message.contains("`private`"), "{}", e.message);
    }

    #[test]
    fn regions_list() {
        let dir = TempDir::new();
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  c:\n    auth: {auth_url: 'http://k', username: u, password: p}\n    regions:\n      - name: East\n        values: {interface: internal}\n      - West\n",
        );
        let p = resolve(&CloudArgs::default(), &env(&dir, &[("OS_CLOUD", "c")])).unwrap();
        assert_eq!(p.region.as_deref(), Some("East"));
        assert_eq!(p.interface, "internal");
        let p = resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "c"), ("OS_REGION_NAME", "West")]),
        )
        .unwrap();
        assert_eq!(p.region.as_deref(), Some("West"));
        assert_eq!(p.interface, "public");
        let e = err(resolve(
            &CloudArgs {
                region: Some("north".into()),
                ..Default::default()
            },
            &env(&dir, &[("OS_CLOUD", "c")]),
        ));
        assert!(e.message.contains("region `north`"), "{}", e.message);
        assert!(e.help.contains("`East`, `West`"), "{}", e.help);
    }

    #[test]
    fn broken_files_are_config_errors_without_their_content() {
        let dir = TempDir::new();
        let path = dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  c:\n    auth:\n      password: hunter2-secret\n     bad: [\n",
        );
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "c")]),
        ));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(
            e.message
                .starts_with(&format!("{} is not valid YAML (line ", path.display())),
            "{}",
            e.message
        );
        assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
        dir.write("cwd/clouds.yaml", "- just\n- a list\n");
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "c")]),
        ));
        assert!(e.message.contains("is not a mapping"), "{}", e.message);
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  c:\n    auth:\n      username: [a, b]\n",
        );
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "c")]),
        ));
        assert!(e.message.contains("`auth.username`"), "{}", e.message);
    }

    #[test]
    fn unsupported_settings_are_named() {
        let dir = TempDir::new();
        let mut vars = openrc();
        vars.push(("OS_AUTH_TYPE", "v3oidcpassword"));
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &vars)));
        assert_eq!(e.message, "auth_type `v3oidcpassword` is not supported");
        let mut vars = openrc();
        vars.push(("OS_AUTH_TYPE", "v2password"));
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &vars)));
        assert!(e.message.contains("Keystone v2"), "{}", e.message);
        dir.write(
            "cwd/clouds.yaml",
            "clouds:\n  v:\n    profile: vexxhost\n    auth: {username: u, password: p}\n",
        );
        let e = err(resolve(
            &CloudArgs::default(),
            &env(&dir, &[("OS_CLOUD", "v")]),
        ));
        assert_eq!(e.message, "no Keystone URL (auth_url) is set");
        assert!(e.help.contains("`profile: vexxhost`"), "{}", e.help);
    }

    #[test]
    fn missing_password_names_the_user() {
        let dir = TempDir::new();
        let vars: Vec<_> = openrc()
            .into_iter()
            .filter(|(k, _)| *k != "OS_PASSWORD")
            .collect();
        let e = err(resolve(&CloudArgs::default(), &env(&dir, &vars)));
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert_eq!(e.message, "no password for user `admin` (domain Default)");
        assert!(e.help.contains("OS_PASSWORD"), "{}", e.help);
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let dir = TempDir::new();
        let mut vars = openrc();
        vars.push(("OS_AUTH_TYPE", "password"));
        vars.push(("OS_TOKEN", "tok-SECRET"));
        vars.push(("OS_APPLICATION_CREDENTIAL_SECRET", "ac-SECRET"));
        let e = env(&dir, &vars);
        let p = resolve(&CloudArgs::default(), &e).unwrap();
        for shown in [
            format!("{p:?}"),
            format!("{p:#?}"),
            format!("{e:?}"),
            p.source.clone(),
        ] {
            for secret in ["s3cret-env", "tok-SECRET", "ac-SECRET"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        assert!(format!("{p:?}").contains("(sensitive)"));
        let vars = [
            ("OS_AUTH_URL", "http://k/v3"),
            ("OS_APPLICATION_CREDENTIAL_ID", "id"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "ac-SECRET"),
        ];
        let p = resolve(&CloudArgs::default(), &env(&dir, &vars)).unwrap();
        assert!(!format!("{p:?}").contains("ac-SECRET"));
    }
}
