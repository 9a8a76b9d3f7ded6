//! Logging in: Keystone v3 (password, application credential, token), the orchestration
//! endpoint from the token's service catalog, and the HTTP client every Heat call goes
//! through (timeouts, TLS as configured, no automatic redirects).
//!
//! Secrets travel only in request bodies and the `X-Auth-Token` header; messages name users,
//! projects and URLs, never a password, secret or token.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{ACCEPT, HeaderMap};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clouds::{AppCredRef, AuthMethod, DomainRef, Profile, ProjectRef, Scope, UserRef};
use super::secret::Secret;

/// Time to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for a whole request, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A logged-in session with Heat.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Heat's base URL, e.g. `http://127.0.0.1:8004/v1/<project_id>`, no trailing slash.
    pub heat_url: String,
    /// The `X-Auth-Token` to send; `None` for a Heat without Keystone.
    pub token: Option<Secret>,
    /// The client to send it with (timeouts, TLS settings, no redirects, User-Agent).
    pub http: Client,
    /// The project the token is scoped to, when Keystone said.
    pub project_id: Option<String>,
    /// The user the token is for, when Keystone said.
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// One line for humans: where and as whom. No secrets.
    pub describe: String,
    /// Every service of the token's catalog, by type, at the interface and
    /// in the region Heat was found in (empty without Keystone).
    pub services: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// Bad or missing settings: unknown cloud, unreadable clouds.yaml, bad CA bundle, …
    Config,
    /// Keystone refused the credentials (401/403).
    Unauthorized,
    /// No answer: connection refused, DNS, timeout, TLS failure.
    Unreachable,
    /// The catalog has no orchestration endpoint for the interface and region asked for.
    NoEndpoint,
    /// An answer coe does not understand.
    Protocol,
}

#[derive(Debug, Clone)]
pub struct ConnectError {
    pub kind: ConnectErrorKind,
    /// What went wrong, lowercase, no final period.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl ConnectError {
    pub fn new(
        kind: ConnectErrorKind,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        ConnectError {
            kind,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// The HTTP client for Keystone and Heat: connect timeout 10 s, request timeout 60 s, no
/// redirects, TLS verified (against the system roots plus `cacert`) unless `insecure`.
pub fn http_client(profile: &Profile) -> Result<Client, ConnectError> {
    let mut builder = Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("coe/", env!("CARGO_PKG_VERSION")));
    if profile.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(path) = &profile.cacert {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| {
            ConnectError::new(
                ConnectErrorKind::Config,
                format!("cannot read the CA bundle {shown}: {e}"),
                "point --cacert (OS_CACERT, `cacert` in clouds.yaml) at a readable PEM file",
            )
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            ConnectError::new(
                ConnectErrorKind::Config,
                format!("the CA bundle {shown} is not valid PEM: {}", chain(&e)),
                "give a file of `-----BEGIN CERTIFICATE-----` blocks",
            )
        })?;
        if certs.is_empty() {
            return Err(ConnectError::new(
                ConnectErrorKind::Config,
                format!("the CA bundle {shown} holds no PEM certificate"),
                "give a file of `-----BEGIN CERTIFICATE-----` blocks (convert DER with `openssl x509 -inform der`)",
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| {
        let about = match &profile.cacert {
            Some(p) if !profile.insecure => format!(" with the CA bundle {}", p.display()),
            _ => String::new(),
        };
        ConnectError::new(
            ConnectErrorKind::Config,
            format!("cannot set up TLS{about}: {}", chain(&e)),
            "check that the CA bundle holds valid certificates",
        )
    })
}

/// Logs in as the profile says and finds Heat. Without Keystone no request is made.
pub fn connect(profile: &Profile) -> Result<Connection, ConnectError> {
    let http = http_client(profile)?;
    match &profile.auth {
        AuthMethod::None | AuthMethod::AdminToken { .. } => {
            let heat_url = profile.heat_url.clone().ok_or_else(|| {
                ConnectError::new(
                    ConnectErrorKind::Config,
                    "without Keystone Heat's URL must be given",
                    "pass `--heat-url http://HOST:8004/v1/PROJECT`",
                )
            })?;
            let (token, how) = match &profile.auth {
                AuthMethod::AdminToken { token } => (Some(token.clone()), "a fixed token"),
                _ => (None, "noauth"),
            };
            let describe = format!("Heat {heat_url} without Keystone ({how})");
            Ok(Connection {
                heat_url,
                token,
                http,
                project_id: None,
                user_id: None,
                user_name: None,
                describe,
                services: BTreeMap::new(),
            })
        }
        _ => {
            let auth_url = profile.auth_url.clone().ok_or_else(|| {
                ConnectError::new(
                    ConnectErrorKind::Config,
                    "no Keystone URL (auth_url) is set",
                    "set OS_AUTH_URL, or `auth_url` under `auth:` in clouds.yaml",
                )
            })?;
            let (token, info) = login(&http, &auth_url, profile)?;
            let project_id = info.project.as_ref().and_then(|p| p.id.clone());
            let user_id = info.user.as_ref().and_then(|u| u.id.clone());
            let user_name = info.user.as_ref().and_then(|u| u.name.clone());
            let who = who(&info, &profile.auth);
            let mut region = profile.region.clone();
            let (heat_url, place) = match &profile.heat_url {
                Some(url) => {
                    let url = substitute_project(url, project_id.as_deref());
                    let place = format!("Heat {url} (given)");
                    (url, place)
                }
                None => {
                    if project_id.is_none() {
                        return Err(ConnectError::new(
                            ConnectErrorKind::NoEndpoint,
                            format!(
                                "Keystone at {auth_url} gave a token that is not scoped to a project, so it has no orchestration endpoint"
                            ),
                            "set the project: OS_PROJECT_NAME (or `project_name` in clouds.yaml) with its domain, or OS_PROJECT_ID",
                        ));
                    }
                    let found = select_endpoint(
                        &info.catalog,
                        &profile.interface,
                        profile.region.as_deref(),
                    )
                    .map_err(|e| e.into_error(&auth_url))?;
                    region = found.region.clone();
                    let region = found.region.as_deref().unwrap_or("no region");
                    let mut place = format!("{region}, {}", profile.interface);
                    if !found.other_regions.is_empty() {
                        place.push_str(&format!(
                            "; also in {} (pick with --region)",
                            found.other_regions.join(", ")
                        ));
                    }
                    (found.url, place)
                }
            };
            let describe = format!("Keystone {auth_url} as {who} ({place})");
            let services = service_urls(
                &info.catalog,
                &profile.interface,
                region.as_deref(),
                project_id.as_deref(),
            );
            Ok(Connection {
                heat_url,
                token: Some(token),
                http,
                project_id,
                user_id,
                user_name,
                describe,
                services,
            })
        }
    }
}

// ------------------------------------------------------------------ Keystone

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize, Default)]
struct TokenInfo {
    #[serde(default)]
    catalog: Vec<Service>,
    project: Option<Named>,
    user: Option<Named>,
    application_credential: Option<Named>,
}

#[derive(Deserialize, Clone)]
struct Named {
    id: Option<String>,
    name: Option<String>,
}

/// One service of a token's catalog.
#[derive(Deserialize, Debug, Clone)]
struct Service {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize, Debug, Clone)]
struct Endpoint {
    interface: String,
    region: Option<String>,
    region_id: Option<String>,
    url: String,
}

impl Endpoint {
    fn region(&self) -> Option<&str> {
        self.region_id.as_deref().or(self.region.as_deref())
    }
}

fn domain_json(d: &DomainRef) -> Value {
    match d {
        DomainRef::Id(id) => json!({ "id": id }),
        DomainRef::Name(name) => json!({ "name": name }),
    }
}

fn user_json(u: &UserRef) -> Value {
    match u {
        UserRef::Id(id) => json!({ "id": id }),
        UserRef::Name { name, domain } => json!({ "name": name, "domain": domain_json(domain) }),
    }
}

fn scope_json(s: &Scope) -> Option<Value> {
    match s {
        Scope::Unscoped => None,
        Scope::Project(ProjectRef::Id(id)) => Some(json!({ "project": { "id": id } })),
        Scope::Project(ProjectRef::Name { name, domain }) => {
            Some(json!({ "project": { "name": name, "domain": domain_json(domain) } }))
        }
        Scope::Domain(d) => Some(json!({ "domain": domain_json(d) })),
    }
}

/// The `auth` request body, or `None` for an unscoped token login (validated instead).
fn auth_body(auth: &AuthMethod) -> Option<Value> {
    let (identity, scope) = match auth {
        AuthMethod::Password {
            user,
            password,
            scope,
        } => {
            let mut user = user_json(user);
            user["password"] = json!(password.expose());
            (
                json!({ "methods": ["password"], "password": { "user": user } }),
                scope_json(scope),
            )
        }
        AuthMethod::ApplicationCredential { credential, secret } => {
            let cred = match credential {
                AppCredRef::Id(id) => json!({ "id": id, "secret": secret.expose() }),
                AppCredRef::Name { name, user } => {
                    json!({ "name": name, "user": user_json(user), "secret": secret.expose() })
                }
            };
            (
                json!({ "methods": ["application_credential"], "application_credential": cred }),
                None,
            )
        }
        AuthMethod::Token { token, scope } => {
            let scope = scope_json(scope)?;
            (
                json!({ "methods": ["token"], "token": { "id": token.expose() } }),
                Some(scope),
            )
        }
        AuthMethod::AdminToken { .. } | AuthMethod::None => return None,
    };
    let mut auth = json!({ "identity": identity });
    if let Some(scope) = scope {
        auth["scope"] = scope;
    }
    Some(json!({ "auth": auth }))
}

/// The secrets of a profile, to scrub from anything shown.
fn secrets(auth: &AuthMethod) -> Vec<&str> {
    match auth {
        AuthMethod::Password { password, .. } => vec![password.expose()],
        AuthMethod::ApplicationCredential { secret, .. } => vec![secret.expose()],
        AuthMethod::Token { token, .. } | AuthMethod::AdminToken { token } => vec![token.expose()],
        AuthMethod::None => vec![],
    }
}

fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s, "(sensitive)");
    }
    out
}

/// POST /auth/tokens (or, for a token without a scope, GET /auth/tokens to read the
/// token's own catalog). Returns the token and the token's body.
fn login(
    http: &Client,
    auth_url: &str,
    profile: &Profile,
) -> Result<(Secret, TokenInfo), ConnectError> {
    let url = format!("{auth_url}/auth/tokens");
    let body = auth_body(&profile.auth);
    let request = match (&body, &profile.auth) {
        (Some(body), _) => http.post(&url).json(body),
        (None, AuthMethod::Token { token, .. }) => http
            .get(&url)
            .header("X-Auth-Token", token.expose())
            .header("X-Subject-Token", token.expose()),
        (None, _) => unreachable!("only keystone methods log in"),
    };
    let response = request
        .header(ACCEPT, "application/json")
        .send()
        .map_err(|e| transport_error("Keystone", auth_url, &e, profile.insecure))?;
    let status = response.status().as_u16();
    let subject = subject_token(response.headers());
    let text = response
        .text()
        .map_err(|e| transport_error("Keystone", auth_url, &e, profile.insecure))?;
    let secrets = secrets(&profile.auth);
    let said = keystone_message(&text, &secrets);
    // Keystone's own errors are JSON; a 404 from Keystone means "no such credential"
    // (an unknown application credential, an unrecognised token).
    let from_keystone = serde_json::from_str::<Value>(&text)
        .ok()
        .is_some_and(|v| v.pointer("/error/code").is_some());
    match status {
        200 | 201 => {}
        401 | 403 => return Err(refused(auth_url, profile, status, &said)),
        404 if from_keystone => return Err(refused(auth_url, profile, status, &said)),
        404 => {
            return Err(ConnectError::new(
                ConnectErrorKind::Config,
                format!("no Keystone v3 at {auth_url}: POST {url} answered 404"),
                "check auth_url: it is Keystone's address, e.g. `https://keystone.example.com:5000/v3` (coe adds /v3 when no version is given)",
            ));
        }
        400 => {
            return Err(ConnectError::new(
                ConnectErrorKind::Config,
                format!("Keystone at {auth_url} rejected the login request: {said}"),
                "check the user, project and domain settings (names vs ids, and their domains)",
            ));
        }
        _ => {
            return Err(ConnectError::new(
                ConnectErrorKind::Protocol,
                format!("Keystone at {auth_url} answered {status} to the login: {said}"),
                "retry later; if it persists, Keystone's logs say why",
            ));
        }
    }
    let parsed: TokenBody = serde_json::from_str(&text).map_err(|e| {
        ConnectError::new(
            ConnectErrorKind::Protocol,
            format!(
                "Keystone at {auth_url} answered the login with a body that is not a token ({e})"
            ),
            "check that auth_url points at Keystone, not at another service or a proxy page",
        )
    })?;
    let token = match (&profile.auth, subject) {
        (AuthMethod::Token { token, .. }, _) if body.is_none() => token.clone(),
        (_, Some(t)) => Secret::new(t),
        (_, None) => {
            return Err(ConnectError::new(
                ConnectErrorKind::Protocol,
                format!(
                    "Keystone at {auth_url} accepted the login but sent no X-Subject-Token header"
                ),
                "check that no proxy between coe and Keystone drops response headers",
            ));
        }
    };
    Ok((token, parsed.token))
}

fn subject_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|t| !t.is_empty())
}

/// Keystone's own words from an error body, scrubbed and cut short.
fn keystone_message(text: &str, secrets: &[&str]) -> String {
    let from_json = serde_json::from_str::<Value>(text).ok().and_then(|v| {
        v.pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let raw = from_json.unwrap_or_else(|| strip_tags(text));
    let raw = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut shown = redact(&raw, secrets);
    if shown.chars().count() > 300 {
        shown = shown.chars().take(300).collect::<String>() + "…";
    }
    if shown.is_empty() {
        "(empty answer)".to_string()
    } else {
        shown
    }
}

/// The text of an HTML error page (a proxy's or a web server's), without its markup.
fn strip_tags(text: &str) -> String {
    if !text.trim_start().starts_with('<') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn refused(auth_url: &str, profile: &Profile, status: u16, said: &str) -> ConnectError {
    let verb = if status == 403 { "forbade" } else { "refused" };
    let (message, help) = match &profile.auth {
        AuthMethod::Password { user, scope, .. } => (
            format!("Keystone at {auth_url} {verb} the password for {user}"),
            format!(
                "check the password (OS_PASSWORD, or `password` in clouds.yaml or secure.yaml), the user name and its domain{}",
                scope_hint(scope)
            ),
        ),
        AuthMethod::ApplicationCredential { credential, .. } => (
            format!("Keystone at {auth_url} {verb} {credential}"),
            "check the secret (OS_APPLICATION_CREDENTIAL_SECRET, or `application_credential_secret`); the credential may have expired or been deleted (`openstack application credential list`)".to_string(),
        ),
        AuthMethod::Token { scope, .. } => (
            format!("Keystone at {auth_url} {verb} the token"),
            format!(
                "the token may have expired or been revoked: get a new one with `openstack token issue`{}",
                scope_hint(scope)
            ),
        ),
        AuthMethod::AdminToken { .. } | AuthMethod::None => {
            (format!("Keystone at {auth_url} {verb} the login"), String::new())
        }
    };
    let help = if status != 401 {
        format!("{help} (Keystone said: {said})")
    } else {
        help
    };
    ConnectError::new(ConnectErrorKind::Unauthorized, message, help)
}

fn scope_hint(scope: &Scope) -> String {
    match scope {
        Scope::Project(p) => format!("; Keystone also refuses a user without a role on {p}"),
        Scope::Domain(d) => format!("; Keystone also refuses a user without a role on {d}"),
        Scope::Unscoped => String::new(),
    }
}

/// `user@project` from the token, with how the login was made.
fn who(info: &TokenInfo, auth: &AuthMethod) -> String {
    let name = |n: &Option<Named>| {
        n.as_ref()
            .and_then(|n| n.name.clone().or_else(|| n.id.clone()))
            .unwrap_or_else(|| "?".to_string())
    };
    let mut who = format!("{}@{}", name(&info.user), name(&info.project));
    match auth {
        AuthMethod::ApplicationCredential { credential, .. } => {
            let shown = info
                .application_credential
                .as_ref()
                .and_then(|a| a.name.clone().or_else(|| a.id.clone()))
                .unwrap_or_else(|| match credential {
                    AppCredRef::Id(id) => id.clone(),
                    AppCredRef::Name { name, .. } => name.clone(),
                });
            who.push_str(&format!(" via application credential `{shown}`"));
        }
        AuthMethod::Token { .. } => who.push_str(" via a given token"),
        _ => {}
    }
    who
}

// ------------------------------------------------------------------ catalog

struct Found {
    url: String,
    region: Option<String>,
    /// Other regions with an orchestration endpoint on the interface (when none was asked).
    other_regions: Vec<String>,
}

enum NotFound {
    NoService {
        types: Vec<String>,
    },
    NoMatch {
        interface: String,
        region: Option<String>,
        available: Vec<String>,
    },
}

impl NotFound {
    fn into_error(self, auth_url: &str) -> ConnectError {
        match self {
            NotFound::NoService { types } => ConnectError::new(
                ConnectErrorKind::NoEndpoint,
                format!(
                    "the service catalog of Keystone at {auth_url} has no orchestration (Heat) service"
                ),
                format!(
                    "the catalog has {}; ask the cloud's operators whether Heat is deployed, or pass --heat-url",
                    if types.is_empty() {
                        "no services at all".to_string()
                    } else {
                        types.join(", ")
                    }
                ),
            ),
            NotFound::NoMatch {
                interface,
                region,
                available,
            } => {
                let region_text = region
                    .map(|r| format!(" in region `{r}`"))
                    .unwrap_or_default();
                ConnectError::new(
                    ConnectErrorKind::NoEndpoint,
                    format!(
                        "the service catalog of Keystone at {auth_url} has no orchestration endpoint for interface `{interface}`{region_text}"
                    ),
                    format!(
                        "orchestration endpoints: {}; pick one with --interface and --region (OS_INTERFACE, OS_REGION_NAME)",
                        available.join(", ")
                    ),
                )
            }
        }
    }
}

/// The orchestration endpoint for `interface` in `region` (or the first region).
fn select_endpoint(
    catalog: &[Service],
    interface: &str,
    region: Option<&str>,
) -> Result<Found, NotFound> {
    let endpoints: Vec<&Endpoint> = catalog
        .iter()
        .filter(|s| s.kind == "orchestration")
        .flat_map(|s| s.endpoints.iter())
        .collect();
    if endpoints.is_empty() {
        let mut types: Vec<String> = catalog.iter().map(|s| s.kind.clone()).collect();
        types.sort();
        types.dedup();
        return Err(NotFound::NoService { types });
    }
    let on_interface = |e: &&&Endpoint| e.interface.eq_ignore_ascii_case(interface);
    let in_region = |e: &&&Endpoint| {
        region.is_none_or(|r| e.region_id.as_deref() == Some(r) || e.region.as_deref() == Some(r))
    };
    let matching: Vec<&&Endpoint> = endpoints
        .iter()
        .filter(on_interface)
        .filter(in_region)
        .collect();
    let Some(first) = matching.first() else {
        let available = endpoints
            .iter()
            .map(|e| format!("{} in {}", e.interface, e.region().unwrap_or("no region")))
            .collect();
        return Err(NotFound::NoMatch {
            interface: interface.to_string(),
            region: region.map(str::to_string),
            available,
        });
    };
    let chosen = first.region().map(str::to_string);
    let mut other_regions: Vec<String> = matching
        .iter()
        .filter_map(|e| e.region().map(str::to_string))
        .filter(|r| Some(r) != chosen.as_ref())
        .collect();
    other_regions.dedup();
    Ok(Found {
        url: first.url.trim_end_matches('/').to_string(),
        region: chosen,
        other_regions,
    })
}

/// Each service type's URL at `interface` (in `region`, when one is known).
fn service_urls(
    catalog: &[Service],
    interface: &str,
    region: Option<&str>,
    project_id: Option<&str>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in catalog {
        let found = s.endpoints.iter().find(|e| {
            e.interface.eq_ignore_ascii_case(interface)
                && region.is_none_or(|r| e.region() == Some(r))
        });
        if let Some(e) = found {
            out.entry(s.kind.clone())
                .or_insert_with(|| substitute_project(&e.url, project_id));
        }
    }
    out
}

/// Replaces the project placeholders Keystone catalogs and openstacksdk overrides use.
fn substitute_project(url: &str, project_id: Option<&str>) -> String {
    let Some(id) = project_id else {
        return url.to_string();
    };
    let mut out = url.to_string();
    for p in [
        "{project_id}",
        "%(project_id)s",
        "$(project_id)s",
        "%(tenant_id)s",
        "$(tenant_id)s",
    ] {
        out = out.replace(p, id);
    }
    out.trim_end_matches('/').to_string()
}

// ------------------------------------------------------------------ transport

/// An error and its causes, deduplicated, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// A request to `service` at `url` that got no HTTP answer (refused, DNS, timeout, TLS),
/// with a help line that fits the cause. `insecure` says whether TLS was verified.
pub fn transport_error(
    service: &str,
    url: &str,
    e: &reqwest::Error,
    insecure: bool,
) -> ConnectError {
    // The causes only: reqwest's own text repeats the URL, which we print once, ourselves.
    let detail = match e.source() {
        Some(source) => chain(source),
        None if e.is_timeout() => "timed out".to_string(),
        None => "the request failed".to_string(),
    };
    let lower = detail.to_ascii_lowercase();
    let tls = ["certificate", "tls", "handshake", "unknownissuer", "ssl"]
        .iter()
        .any(|w| lower.contains(w));
    let plain_http = lower.contains("corrupt message") || lower.contains("invalidcontenttype");
    let help = if plain_http && url.starts_with("https://") {
        format!(
            "{service} does not speak TLS there: if it serves plain HTTP, write the URL with http://"
        )
    } else if tls && !insecure {
        "the server's TLS certificate is not trusted: pass --cacert FILE (or OS_CACERT, `cacert` in clouds.yaml) with the CA that signed it; --insecure skips the check".to_string()
    } else if e.is_timeout() {
        format!(
            "{service} did not answer in time (connect {} s, request {} s); check the address and the network",
            CONNECT_TIMEOUT.as_secs(),
            REQUEST_TIMEOUT.as_secs()
        )
    } else {
        format!("check the address and that {service} runs and is reachable from here")
    };
    ConnectError::new(
        ConnectErrorKind::Unreachable,
        format!("cannot reach {service} at {url}: {detail}"),
        help,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(auth: AuthMethod) -> Profile {
        Profile {
            auth_url: Some("http://127.0.0.1:1/v3".into()),
            auth,
            region: None,
            interface: "public".into(),
            cacert: None,
            insecure: false,
            heat_url: None,
            source: "test".into(),
        }
    }

    fn password() -> AuthMethod {
        AuthMethod::Password {
            user: UserRef::Name {
                name: "admin".into(),
                domain: DomainRef::Name("Default".into()),
            },
            password: Secret::new("pw-SECRET"),
            scope: Scope::Project(ProjectRef::Name {
                name: "admin".into(),
                domain: DomainRef::Id("default".into()),
            }),
        }
    }

    fn catalog() -> Vec<Service> {
        serde_json::from_value(json!([
            {"type": "identity", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "http://k/v3/"}]},
            {"type": "orchestration", "name": "heat", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "http://heat-one/v1/p1/"},
                {"interface": "internal", "region": "RegionOne", "region_id": "RegionOne", "url": "http://heat-one-int/v1/p1"},
                {"interface": "public", "region": "RegionTwo", "region_id": "RegionTwo", "url": "http://heat-two/v1/p1"}]}
        ]))
        .unwrap()
    }

    #[test]
    fn catalog_selection() {
        let c = catalog();
        let f = select_endpoint(&c, "public", None).ok().unwrap();
        assert_eq!(f.url, "http://heat-one/v1/p1");
        assert_eq!(f.region.as_deref(), Some("RegionOne"));
        assert_eq!(f.other_regions, ["RegionTwo"]);
        let f = select_endpoint(&c, "public", Some("RegionTwo"))
            .ok()
            .unwrap();
        assert_eq!(f.url, "http://heat-two/v1/p1");
        assert!(f.other_regions.is_empty());
        let f = select_endpoint(&c, "internal", None).ok().unwrap();
        assert_eq!(f.url, "http://heat-one-int/v1/p1");
        assert!(f.other_regions.is_empty());
        let e = select_endpoint(&c, "admin", Some("RegionOne"))
            .err()
            .unwrap()
            .into_error("http://k/v3");
        assert_eq!(e.kind, ConnectErrorKind::NoEndpoint);
        assert_eq!(
            e.message,
            "the service catalog of Keystone at http://k/v3 has no orchestration endpoint for interface `admin` in region `RegionOne`"
        );
        assert!(
            e.help.starts_with(
                "orchestration endpoints: public in RegionOne, internal in RegionOne, public in RegionTwo;"
            ),
            "{}",
            e.help
        );
        let e = select_endpoint(&c[..1], "public", None)
            .err()
            .unwrap()
            .into_error("http://k/v3");
        assert!(
            e.message.contains("no orchestration (Heat) service"),
            "{}",
            e.message
        );
        assert!(
            e.help.starts_with("the catalog has identity;"),
            "{}",
            e.help
        );
    }

    #[test]
    fn request_bodies() {
        let body = auth_body(&password()).unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": "pw-SECRET"}}},
                "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
        );
        let body = auth_body(&AuthMethod::ApplicationCredential {
            credential: AppCredRef::Name {
                name: "ci".into(),
                user: UserRef::Id("u1".into()),
            },
            secret: Secret::new("s"),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["application_credential"],
                "application_credential": {"name": "ci", "user": {"id": "u1"}, "secret": "s"}}}})
        );
        let token = |scope| AuthMethod::Token {
            token: Secret::new("t"),
            scope,
        };
        assert_eq!(
            auth_body(&token(Scope::Domain(DomainRef::Id("d".into())))).unwrap(),
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "t"}},
                "scope": {"domain": {"id": "d"}}}})
        );
        assert_eq!(auth_body(&token(Scope::Unscoped)), None);
    }

    #[test]
    fn project_placeholders() {
        for url in [
            "http://h:8004/v1/%(project_id)s",
            "http://h:8004/v1/$(tenant_id)s/",
            "http://h:8004/v1/{project_id}",
        ] {
            assert_eq!(substitute_project(url, Some("p1")), "http://h:8004/v1/p1");
        }
        assert_eq!(substitute_project("http://h/v1/x", None), "http://h/v1/x");
    }

    #[test]
    fn noauth_makes_no_request_and_shows_no_token() {
        let mut p = profile(AuthMethod::None);
        p.auth_url = None;
        p.heat_url = Some("http://127.0.0.1:1/v1/admin".into());
        let c = connect(&p).unwrap();
        assert_eq!(c.heat_url, "http://127.0.0.1:1/v1/admin");
        assert!(c.token.is_none());
        assert_eq!(
            c.describe,
            "Heat http://127.0.0.1:1/v1/admin without Keystone (noauth)"
        );
        p.auth = AuthMethod::AdminToken {
            token: Secret::new("admin-TOKEN"),
        };
        let c = connect(&p).unwrap();
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("admin-TOKEN"));
        assert!(!format!("{c:?}").contains("admin-TOKEN"), "{c:?}");
        assert!(!c.describe.contains("admin-TOKEN"));
        p.heat_url = None;
        assert_eq!(connect(&p).unwrap_err().kind, ConnectErrorKind::Config);
    }

    #[test]
    fn closed_port_is_unreachable() {
        // A port that was free a moment ago: connection refused.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut p = profile(password());
        p.auth_url = Some(format!("http://127.0.0.1:{port}/v3"));
        let e = connect(&p).unwrap_err();
        assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e:?}");
        assert!(
            e.message.starts_with(&format!(
                "cannot reach Keystone at http://127.0.0.1:{port}/v3: "
            )),
            "{}",
            e.message
        );
        assert!(!format!("{e:?}").contains("pw-SECRET"));
    }

    const CA_A: &str = "-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUAmATnvH7GgkCqr+NC+FBs0VPn7EwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNY29lLXRlc3QtY2EtYTAgFw0yNjExMjYxNzA0NTlaGA8yMTI2
MTEwMjE3MDQ1OVowGDEWMBQGA1UEAwwNY29lLXRlc3QtY2EtYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABF7ZbXZfRZtGhKZAKIhKTmfh58kjgw0rJHeIlC167s3J
ZFrHvPLNpjOeDCL5huG64bvf/Kop8llMSU5QbnDdQXmjUzBRMB0GA1UdDgQWBBTd
zHHONApiBWuLXlCDocVP0AyW8DAfBgNVHSMEGDAWgBTdzHHONApiBWuLXlCDocVP
0AyW8DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIBCZ4YQGbYMV
ab8n35K0IC41vV3GDzFKhM4dmSsWo2ECAiEA2n5Iatik5klvPGhKeoF2USmPS08l
keqo02UqGVnottU=
-----END CERTIFICATE-----
";
    const CA_B: &str = "-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUF9cyitXOInumuot/xm4p4azz8fgwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNY29lLXRlc3QtY2EtYjAgFw0yNjExMjYxNzA0NTlaGA8yMTI2
MTEwMjE3MDQ1OVowGDEWMBQGA1UEAwwNY29lLXRlc3QtY2EtYjBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABNNscNbQ1eOQ/p5/H7JizGPGSWBWHY1gvdpSNCTUnIVa
ITWEc3WEf+jmJD1Qty16UaClV2jAS/+yIXjITMdi1aajUzBRMB0GA1UdDgQWBBRz
IJkFOOzO8lpFi598v4Bey8v1iTAfBgNVHSMEGDAWgBRzIJkFOOzO8lpFi598v4Be
y8v1iTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCVFI6DaDBV
2LujlO4Cn/ThTrpg0H2GSEuAStVUHvtwswIgJDSmn3xRm0RckKTOM5nSo0keEINW
6lGfMIxYa3fWg6s=
-----END CERTIFICATE-----
";

    #[test]
    fn ca_bundles() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut p = profile(password());
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        // Two certificates in one bundle, with text around them.
        p.cacert = Some(write("bundle.pem", &format!("# corp CAs\n{CA_A}\n{CA_B}")));
        assert!(http_client(&p).is_ok());
        p.cacert = Some(write("empty.pem", "not a certificate\n"));
        let e = http_client(&p).unwrap_err();
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(
            e.message.contains("holds no PEM certificate"),
            "{}",
            e.message
        );
        p.cacert = Some(dir.join("missing.pem"));
        let e = http_client(&p).unwrap_err();
        assert_eq!(e.kind, ConnectErrorKind::Config);
        assert!(
            e.message.starts_with("cannot read the CA bundle "),
            "{}",
            e.message
        );
        // --insecure does not read the bundle at all.
        p.insecure = true;
        assert!(http_client(&p).is_ok());
    }

    #[test]
    fn refusals_name_the_user_not_the_secret() {
        let p = profile(password());
        let e = refused(
            "http://k/v3",
            &p,
            401,
            "The request you have made requires authentication.",
        );
        assert_eq!(e.kind, ConnectErrorKind::Unauthorized);
        assert_eq!(
            e.message,
            "Keystone at http://k/v3 refused the password for user `admin` (domain Default)"
        );
        assert!(e.help.contains("role on project `admin`"), "{}", e.help);
        let said = keystone_message(
            r#"{"error": {"message": "bad pw-SECRET here"}}"#,
            &secrets(&p.auth),
        );
        assert_eq!(said, "bad (sensitive) here");
        let page =
            "<!DOCTYPE HTML>\n<html><title>502 Bad Gateway</title>\n<p>upstream  down</p></html>";
        assert_eq!(keystone_message(page, &[]), "502 Bad Gateway upstream down");
        let e = refused("http://k/v3", &p, 403, &said);
        assert!(!format!("{e:?}").contains("pw-SECRET"));
        let p = profile(AuthMethod::ApplicationCredential {
            credential: AppCredRef::Id("ac1".into()),
            secret: Secret::new("x"),
        });
        let e = refused("http://k/v3", &p, 401, "");
        assert_eq!(
            e.message,
            "Keystone at http://k/v3 refused application credential `ac1`"
        );
        assert_eq!(format!("{e}"), e.message);
    }
}
