//! Logging in like every OpenStack tool, against a real Keystone 30 and the Heat behind
//! keystonemiddleware that `scripts/setup-keystone` runs (Keystone on 127.0.0.1:5010, Heat
//! on 127.0.0.1:8014, state in target/heat-home-keystone). Nothing is mocked: credentials
//! come from the `OS_*` variables and clouds.yaml/secure.yaml files each test writes, and
//! every login is checked by listing stacks with the token.
//!
//! `COE_KEYSTONE_HOME` points at another instance's folder (default
//! `target/heat-home-keystone`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coe::heat::auth::{ConnectErrorKind, Connection, connect};
use coe::heat::clouds::{AuthMethod, CloudArgs, Env, resolve};
use serde_json::{Value, json};

/// The running Keystone + Heat, from `keystone.env` and `url` of their folder.
pub struct Services {
    /// `OS_*` variables for admin (password login, project admin, RegionOne).
    pub openrc: Vec<(String, String)>,
    pub auth_url: String,
    password: String,
    heat_url: String,
    project_id: String,
}

fn keystone_home() -> PathBuf {
    match std::env::var("COE_KEYSTONE_HOME") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/heat-home-keystone"),
    }
}

/// The running services; fails with the fix when they are not there.
pub fn services() -> Services {
    let home = keystone_home();
    let how = "fix: run `scripts/setup-keystone`, or the whole suite with `scripts/test`";
    let env_file = home.join("keystone.env");
    let text = std::fs::read_to_string(&env_file).unwrap_or_else(|e| {
        panic!(
            "no local keystone: cannot read {} ({e}); {how}",
            env_file.display()
        )
    });
    let vars: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url_file = home.join("url");
    let heat_url = std::fs::read_to_string(&url_file)
        .unwrap_or_else(|e| {
            panic!(
                "no keystone-mode heat: cannot read {} ({e}); {how}",
                url_file.display()
            )
        })
        .trim()
        .trim_end_matches('/')
        .to_string();
    let get = |k: &str| {
        vars.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{} has no {k}; {how}", env_file.display()))
    };
    let auth_url = get("OS_AUTH_URL");
    // Fail with the fix rather than with a connection error deep in a test.
    let alive = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(&auth_url)
        .send()
        .is_ok_and(|r| r.status().is_success());
    assert!(alive, "keystone at {auth_url} does not answer; {how}");
    let openrc = vars
        .iter()
        .filter(|(k, _)| k.starts_with("OS_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Services {
        openrc,
        password: get("OS_PASSWORD"),
        project_id: get("HEAT_PROJECT_ID"),
        auth_url,
        heat_url,
    }
}

/// A private folder (cwd and home of an injected environment), removed on drop.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = tempfile::Builder::new()
            .prefix("coe-keystone-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    /// An environment with only `vars`: no clouds.yaml but the ones written here.
    pub fn env(&self, vars: &[(&str, &str)]) -> Env {
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: Some(self.path().join("home")),
            cwd: self.path().to_path_buf(),
        }
    }
}

pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The `OS_*` settings of a login with an application credential.
pub fn app_credential_env<'a>(
    svc: &'a Services,
    id: &'a str,
    secret: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("OS_AUTH_URL", svc.auth_url.as_str()),
        ("OS_AUTH_TYPE", "v3applicationcredential"),
        ("OS_APPLICATION_CREDENTIAL_ID", id),
        ("OS_APPLICATION_CREDENTIAL_SECRET", secret),
        ("OS_REGION_NAME", "RegionOne"),
    ]
}

pub fn openrc(svc: &Services) -> Vec<(&str, &str)> {
    svc.openrc
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub fn login(args: &CloudArgs, env: &Env) -> Connection {
    let profile = resolve(args, env).unwrap_or_else(|e| panic!("resolve: {e:?}"));
    connect(&profile).unwrap_or_else(|e| panic!("connect: {e:?}"))
}

/// `GET {heat_url}/stacks` with the connection's token: the proof that the login worked.
fn list_stacks(conn: &Connection) -> u16 {
    let mut request = conn
        .http
        .get(format!("{}/stacks", conn.heat_url))
        .header("Accept", "application/json");
    if let Some(token) = &conn.token {
        request = request.header("X-Auth-Token", token.expose());
    }
    let response = request.send().unwrap_or_else(|e| panic!("GET stacks: {e}"));
    let status = response.status().as_u16();
    let body: Value = response.json().unwrap_or(Value::Null);
    assert!(status != 200 || body["stacks"].is_array(), "{body}");
    status
}

/// An admin token and the admin user's id, straight from Keystone's API.
fn admin_token(svc: &Services) -> (String, String) {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": svc.password}}},
        "scope": {"project": {"id": svc.project_id}}}});
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/auth/tokens", svc.auth_url))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let token = response.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().unwrap();
    (
        token,
        body["token"]["user"]["id"].as_str().unwrap().to_string(),
    )
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn password_login_finds_heat_in_the_catalog() {
    let svc = services();
    let dir = TempDir::new();
    let conn = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    assert_eq!(conn.heat_url, svc.heat_url);
    assert_eq!(conn.project_id.as_deref(), Some(svc.project_id.as_str()));
    assert_eq!(
        conn.describe,
        format!(
            "Keystone {} as admin@admin (RegionOne, public)",
            svc.auth_url
        )
    );
    assert_eq!(list_stacks(&conn), 200);
    let token = conn.token.as_ref().unwrap().expose().to_string();
    let shown = format!("{conn:?}");
    assert!(
        !shown.contains(&token) && !shown.contains(&svc.password),
        "{shown}"
    );
    // Without the token keystonemiddleware refuses: the 200 above is the token's doing.
    let status = conn
        .http
        .get(format!("{}/stacks", conn.heat_url))
        .send()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn auth_url_without_version_and_with_slash() {
    let svc = services();
    let dir = TempDir::new();
    let root = svc.auth_url.trim_end_matches("/v3").to_string();
    for url in [root.clone(), format!("{root}/"), format!("{root}/v3/")] {
        let mut vars = openrc(&svc);
        vars.retain(|(k, _)| *k != "OS_AUTH_URL");
        vars.push(("OS_AUTH_URL", &url));
        let conn = login(&CloudArgs::default(), &dir.env(&vars));
        assert_eq!(conn.heat_url, svc.heat_url, "{url}");
    }
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn password_login_from_clouds_yaml_with_secure_yaml() {
    let svc = services();
    let dir = TempDir::new();
    dir.write(
        "clouds.yaml",
        &format!(
            "clouds:\n  local:\n    region_name: RegionOne\n    auth:\n      auth_url: {}\n      username: admin\n      project_name: admin\n      domain_name: Default\n",
            svc.auth_url
        ),
    );
    dir.write(
        "secure.yaml",
        &format!(
            "clouds:\n  local:\n    auth:\n      password: {}\n",
            svc.password
        ),
    );
    let args = CloudArgs {
        os_cloud: Some("local".into()),
        ..Default::default()
    };
    let env = dir.env(&[]);
    let profile = resolve(&args, &env).unwrap();
    assert!(profile.source.contains("secure.yaml"), "{}", profile.source);
    let conn = connect(&profile).unwrap();
    assert_eq!(conn.heat_url, svc.heat_url);
    assert_eq!(list_stacks(&conn), 200);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn application_credential_login_via_clouds_yaml() {
    let svc = services();
    let (token, user_id) = admin_token(&svc);
    let name = unique("coe-test");
    let client = reqwest::blocking::Client::new();
    let creds_url = format!("{}/users/{user_id}/application_credentials", svc.auth_url);
    let response = client
        .post(&creds_url)
        .header("X-Auth-Token", &token)
        .json(&json!({"application_credential": {"name": name, "description": "coe tests/services/keystone.rs"}}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().unwrap();
    let id = created["application_credential"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = created["application_credential"]["secret"]
        .as_str()
        .unwrap()
        .to_string();

    // By id, the secret in secure.yaml.
    let dir = TempDir::new();
    dir.write(
        "clouds.yaml",
        &format!(
            "clouds:\n  appcred:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {}\n      application_credential_id: {id}\n",
            svc.auth_url
        ),
    );
    dir.write(
        "secure.yaml",
        &format!("clouds:\n  appcred:\n    auth:\n      application_credential_secret: {secret}\n"),
    );
    let env = dir.env(&[("OS_CLOUD", "appcred")]);
    let profile = resolve(&CloudArgs::default(), &env).unwrap();
    assert!(matches!(
        profile.auth,
        AuthMethod::ApplicationCredential { .. }
    ));
    assert!(!format!("{profile:?}").contains(&secret));
    let conn = connect(&profile).unwrap();
    assert_eq!(conn.heat_url, svc.heat_url);
    assert_eq!(conn.project_id.as_deref(), Some(svc.project_id.as_str()));
    assert!(
        conn.describe
            .contains(&format!("via application credential `{name}`")),
        "{}",
        conn.describe
    );
    assert_eq!(list_stacks(&conn), 200);

    // By name with the user, from the environment (the type inferred from the secret).
    let env = dir.env(&[
        ("OS_AUTH_URL", &svc.auth_url),
        ("OS_USERNAME", "admin"),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_APPLICATION_CREDENTIAL_NAME", &name),
        ("OS_APPLICATION_CREDENTIAL_SECRET", &secret),
    ]);
    let conn = login(&CloudArgs::default(), &env);
    assert_eq!(list_stacks(&conn), 200);

    // A wrong secret is refused, and not shown.
    let env = dir.env(&[
        ("OS_AUTH_URL", &svc.auth_url),
        ("OS_APPLICATION_CREDENTIAL_ID", &id),
        ("OS_APPLICATION_CREDENTIAL_SECRET", "not-the-secret"),
    ]);
    let e = connect(&resolve(&CloudArgs::default(), &env).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    assert!(
        e.message
            .contains(&format!("application credential `{id}`")),
        "{}",
        e.message
    );
    assert!(!format!("{e:?}").contains("not-the-secret"));

    // An unknown credential: Keystone answers 404, which is a refusal too.
    let env = dir.env(&[
        ("OS_AUTH_URL", &svc.auth_url),
        ("OS_APPLICATION_CREDENTIAL_ID", "no-such-credential"),
        ("OS_APPLICATION_CREDENTIAL_SECRET", &secret),
    ]);
    let e = connect(&resolve(&CloudArgs::default(), &env).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    assert!(
        e.help.contains("Could not find Application Credential"),
        "{}",
        e.help
    );
    assert!(!format!("{e:?}").contains(&secret));

    let status = client
        .delete(format!("{creds_url}/{id}"))
        .header("X-Auth-Token", &token)
        .send()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 204);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn token_login() {
    let svc = services();
    let (token, _) = admin_token(&svc);
    let dir = TempDir::new();
    // Rescoped to a project: a new token.
    let vars = [
        ("OS_AUTH_URL", svc.auth_url.as_str()),
        ("OS_AUTH_TYPE", "v3token"),
        ("OS_TOKEN", token.as_str()),
        ("OS_PROJECT_NAME", "admin"),
        ("OS_PROJECT_DOMAIN_ID", "default"),
    ];
    let conn = login(&CloudArgs::default(), &dir.env(&vars));
    assert_eq!(conn.heat_url, svc.heat_url);
    assert!(
        conn.describe
            .ends_with("admin@admin via a given token (RegionOne, public)"),
        "{}",
        conn.describe
    );
    assert_eq!(list_stacks(&conn), 200);
    // Without a scope: the token itself, with its own catalog.
    let vars = [
        ("OS_AUTH_URL", svc.auth_url.as_str()),
        ("OS_TOKEN", token.as_str()),
    ];
    let conn = login(&CloudArgs::default(), &dir.env(&vars));
    assert_eq!(conn.token.as_ref().unwrap().expose(), token);
    assert_eq!(conn.heat_url, svc.heat_url);
    assert_eq!(list_stacks(&conn), 200);
    // A token that is not one.
    let vars = [
        ("OS_AUTH_URL", svc.auth_url.as_str()),
        ("OS_TOKEN", "gAAAAAnot-a-token"),
        ("OS_PROJECT_ID", svc.project_id.as_str()),
    ];
    let e = connect(&resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    assert!(!format!("{e:?}").contains("not-a-token"));
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn wrong_password_is_refused_with_the_user_named() {
    let svc = services();
    let dir = TempDir::new();
    let wrong = "wrong-Pa55word";
    let mut vars = openrc(&svc);
    vars.retain(|(k, _)| *k != "OS_PASSWORD");
    vars.push(("OS_PASSWORD", wrong));
    let e = connect(&resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    assert_eq!(
        e.message,
        format!(
            "Keystone at {} refused the password for user `admin` (domain Default)",
            svc.auth_url
        )
    );
    assert!(e.help.contains("OS_PASSWORD"), "{}", e.help);
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(wrong), "{shown}");
    // An unknown user is refused the same way (Keystone does not say which is wrong).
    let mut vars = openrc(&svc);
    vars.retain(|(k, _)| *k != "OS_USERNAME");
    vars.push(("OS_USERNAME", "nobody"));
    let e = connect(&resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized);
    assert!(e.message.contains("user `nobody`"), "{}", e.message);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn login_without_a_project_has_no_heat() {
    let svc = services();
    let dir = TempDir::new();
    let mut vars = openrc(&svc);
    vars.retain(|(k, _)| !k.starts_with("OS_PROJECT"));
    let e = connect(&resolve(&CloudArgs::default(), &dir.env(&vars)).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::NoEndpoint, "{e:?}");
    assert!(
        e.message.contains("not scoped to a project"),
        "{}",
        e.message
    );
    assert!(e.help.contains("OS_PROJECT_NAME"), "{}", e.help);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn interface_and_region_selection() {
    let svc = services();
    let dir = TempDir::new();
    let env = dir.env(&openrc(&svc));
    for interface in ["internal", "admin", "publicURL"] {
        let args = CloudArgs {
            interface: Some(interface.into()),
            region: Some("RegionOne".into()),
            ..Default::default()
        };
        let conn = login(&args, &env);
        assert_eq!(conn.heat_url, svc.heat_url, "{interface}");
        assert!(conn.describe.contains("(RegionOne, "), "{}", conn.describe);
        assert_eq!(list_stacks(&conn), 200);
    }
    let args = CloudArgs {
        region: Some("Atlantis".into()),
        ..Default::default()
    };
    let e = connect(&resolve(&args, &env).unwrap()).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::NoEndpoint, "{e:?}");
    assert!(e.message.contains("in region `Atlantis`"), "{}", e.message);
    assert!(e.help.contains("public in RegionOne"), "{}", e.help);
    assert!(e.help.contains("internal in RegionOne"), "{}", e.help);
}

#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn heat_url_flag_overrides_the_catalog() {
    let svc = services();
    let dir = TempDir::new();
    let base = svc.heat_url.rsplit_once('/').unwrap().0;
    let args = CloudArgs {
        heat_url: Some(format!("{base}/%(project_id)s/")),
        ..Default::default()
    };
    let conn = login(&args, &dir.env(&openrc(&svc)));
    assert_eq!(conn.heat_url, svc.heat_url);
    assert!(conn.describe.contains("(given)"), "{}", conn.describe);
    assert_eq!(list_stacks(&conn), 200);
}

// ------------------------------------------------------------------ TLS

/// A CA, and a certificate it signed for 127.0.0.1 and localhost (valid until 2126).
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBlDCCATmgAwIBAgIUd6bQXaEcSAJ3nRTntubW6OePoZIwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLY29lIHRlc3QgQ0EwIBcNMjYxMTI2MTcwNzU3WhgPMjEyNjEx
MDIxNzA3NTdaMBYxFDASBgNVBAMMC2NvZSB0ZXN0IENBMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEleIVhDpt8WEXj84MCk7orW1gFTzOBXXNEFuxuDTJVCdyVa3B
jkgTgD2YAlOVXT3qWbbXkuzwfDdUw7VHfxKraaNjMGEwHQYDVR0OBBYEFA6oGv1H
8z9jgw7fQCtwByeJNlz1MB8GA1UdIwQYMBaAFA6oGv1H8z9jgw7fQCtwByeJNlz1
MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0kA
MEYCIQCO0jGh9pM2h2WscaH3wAQc6OP7wxQiRh0SheahEp5qDgIhAOu+qXhHuZjL
0UPnKPA1D103xubyKtLbjOjNOh2Z4hgo
-----END CERTIFICATE-----
";
const TEST_SERVER_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBvjCCAWSgAwIBAgIUfaERh6P6uR1hqs66aREH7h1wThMwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLY29lIHRlc3QgQ0EwIBcNMjYxMTI2MTcwNzU3WhgPMjEyNjEx
MDIxNzA3NTdaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABFfRb0d5zHF1g5AJass9WWCYU07cKZ6JXx2tAgTiXMxqdDpGQ/2Y
eFwpwUVWhqdtZUYIdMEqwKAPYrVEHpmPk+ajgY8wgYwwGgYDVR0RBBMwEYcEfwAA
AYIJbG9jYWxob3N0MAkGA1UdEwQCMAAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwDgYD
VR0PAQH/BAQDAgeAMB0GA1UdDgQWBBQEXerUHDJysuQDtOJAfcftwuADuzAfBgNV
HSMEGDAWgBQOqBr9R/M/Y4MO30ArcAcniTZc9TAKBggqhkjOPQQDAgNIADBFAiAL
wuRMkW8P7K0c2lUBpops3VcIZ2ch83eBBE2J7hIdNwIhANenHn71L3oLyENyMI82
DFk0tdm1oZ/hxHrGgPssFLZM
-----END CERTIFICATE-----
";
/// The test server's key; it protects nothing but this test.
const TEST_SERVER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVLqpEdub0xbPd/1i
BVb0TcxOMWWASZkRUOe1XYtcEcGhRANCAARX0W9HecxxdYOQCWrLPVlgmFNO3Cme
iV8drQIE4lzManQ6RkP9mHhcKcFFVoanbWVGCHTBKsCgD2K1RB6Zj5Pm
-----END PRIVATE KEY-----
";

/// An HTTPS server (Python's ssl) that answers every request as Keystone answers a wrong
/// password: the TLS handshake is what is tested.
const TLS_SERVER: &str = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs python3 for a TLS server: scripts/test runs it (cargo test -- --include-ignored)"]
fn tls_is_verified_cacert_is_honoured_insecure_only_when_asked() {
    let dir = TempDir::new();
    for (name, text) in [
        ("ca.pem", TEST_CA),
        ("server.pem", TEST_SERVER_CERT),
        ("server.key", TEST_SERVER_KEY),
    ] {
        dir.write(name, text);
    }
    let child = Command::new("python3")
        .arg("-c")
        .arg(TLS_SERVER)
        .arg(dir.path().join("server.pem"))
        .arg(dir.path().join("server.key"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = Server(child.expect("python3 runs"));
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("tls server said {line:?}"));
    let auth_url = format!("https://127.0.0.1:{port}/v3");
    let vars = [
        ("OS_AUTH_URL", auth_url.as_str()),
        ("OS_USERNAME", "admin"),
        ("OS_PASSWORD", "tls-Pa55"),
        ("OS_PROJECT_NAME", "admin"),
    ];
    let attempt = |args: &CloudArgs, extra: &[(&str, &str)]| {
        let mut all = vars.to_vec();
        all.extend_from_slice(extra);
        connect(&resolve(args, &dir.env(&all)).unwrap()).unwrap_err()
    };
    // Verified by default: the test CA is not trusted.
    let e = attempt(&CloudArgs::default(), &[]);
    assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e:?}");
    assert!(e.help.contains("--cacert"), "{}", e.help);
    // With the CA (flag or OS_CACERT) the handshake succeeds and Keystone's 401 comes back.
    let ca = dir.path().join("ca.pem");
    let args = CloudArgs {
        cacert: Some(ca.clone()),
        ..Default::default()
    };
    assert_eq!(attempt(&args, &[]).kind, ConnectErrorKind::Unauthorized);
    let ca_text = ca.display().to_string();
    let e = attempt(&CloudArgs::default(), &[("OS_CACERT", &ca_text)]);
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
    // --insecure, or OS_INSECURE=true, skips the check.
    let args = CloudArgs {
        insecure: true,
        ..Default::default()
    };
    assert_eq!(attempt(&args, &[]).kind, ConnectErrorKind::Unauthorized);
    let e = attempt(&CloudArgs::default(), &[("OS_INSECURE", "true")]);
    assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
}

/// A Fedora CoreOS cluster behind Octavia, the kind whose API address the
/// stubs fill in (for `coe kubeconfig`), with `masters` and `nodes`, and
/// `extra` lines at the end of its cluster block.
pub fn k8s_cluster_file(cluster: &str, masters: u32, nodes: u32, extra: &str) -> String {
    format!(
        r#"cloud "sandbox" {{
  heat_template_version = wallaby
  nova_microversion     = "2.88"
  octavia               = true
  image "fcos-38" {{ os_distro = "fedora-coreos" }}
  flavor "m1.medium" {{ vcpus = 2  ram = 4GiB  disk = 40GiB }}
  network "ext-net" {{ external = true }}
  keypair "ops" {{}}
}}

template "k8s" {{
  coe              = kubernetes
  image            = "fcos-38"
  keypair          = "ops"
  external_network = "ext-net"
  flavor           = "m1.medium"
  network_driver   = calico
  master_lb_enabled = true
}}

cluster "{cluster}" {{
  template     = template.k8s
  master_count = {masters}
  node_count   = {nodes}
{extra}}}
"#
    )
}

/// The CLI end to end through Keystone: `OS_*` variables, the catalog's
/// Heat, a plan, an apply that creates, a plan that shows no changes, and
/// a destroy; a wrong password is a clear error that never shows it.
#[test]
#[ignore = "needs the local Keystone and Heat: scripts/test starts them (cargo test -- --include-ignored)"]
fn coe_plan_apply_destroy_through_keystone() {
    let svc = services();
    let dir = TempDir::new();
    let cluster = unique("ks");
    let example = k8s_cluster_file(&cluster, 1, 1, "");
    dir.write("cluster.coe", &example);
    let stubs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("harness/heat/stub-env.yaml");
    let stubs = stubs.display().to_string();
    let coe = |args: &[&str], password: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coe"));
        cmd.args(args)
            .current_dir(dir.path())
            .env("COE_POLL_INTERVAL", "0.2")
            .env("CI", "1")
            .env_remove("COE_HEAT_URL")
            .env_remove("OS_CLOUD");
        for (k, v) in &svc.openrc {
            cmd.env(k, v);
        }
        cmd.env("OS_PASSWORD", password);
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = coe(
        &["plan", "--detailed-exitcode", "-e", &stubs],
        &svc.password,
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains(": create"), "{out}");
    let (code, out, err) = coe(&["apply", "--yes", "-e", &stubs], &svc.password);
    assert_eq!(code, 0, "{out}{err}");
    // With Barbican in the catalog, apply made the cluster's credentials,
    // and no private key is anywhere Heat shows the project.
    let admin = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    let stack = coe::check::stack_name(&cluster);
    if admin.services.contains_key("key-manager") {
        assert!(
            out.contains(&format!("made the CA of cluster {cluster}")),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "{cluster}: opened the node credential for the create"
            )),
            "{out}"
        );
        assert!(
            out.contains("Credentials: apply makes each new cluster's CA"),
            "{out}"
        );
        assert!(out.contains("deleted the node credential"), "{out}");
        assert!(
            coe::heat::keystore::find_app_credentials(
                &admin,
                &coe::credentials::app_credential_name(&stack)
            )
            .unwrap()
            .is_empty(),
            "the node credential outlived the create"
        );
        let creds = coe::credentials::find(&admin, &stack)
            .unwrap()
            .expect("apply made the credentials");
        let everything = stacks_as_the_project_sees_them(&admin, &stack);
        assert!(
            !everything.contains("PRIVATE KEY"),
            "a private key is in Heat"
        );
        let key_line = creds
            .ca
            .key_pem()
            .expose()
            .lines()
            .nth(1)
            .unwrap()
            .to_string();
        assert!(!everything.contains(&key_line), "the CA key is in Heat");
        assert!(everything.contains(creds.ca.cert_pem.lines().nth(1).unwrap()));
        // Nor are the masters' other shared secrets, kept beside the CA.
        let shared_ref = creds
            .shared_ref
            .as_ref()
            .expect("a kubernetes cluster's shared secrets");
        let bundle = coe::heat::keystore::fetch_secret(&admin, shared_ref).unwrap();
        for (path, pem) in coe::ca::shared::parse(bundle.expose()).unwrap() {
            let line = pem.lines().nth(1).unwrap();
            assert!(!everything.contains(line), "{path} is in Heat");
        }
        // The node credential's secret is in the masters' user data, which
        // Heat's events show the project; retired, it opens nothing.
        let name = coe::credentials::app_credential_name(&stack);
        let node_vars = [
            ("OS_AUTH_URL", svc.auth_url.as_str()),
            ("OS_AUTH_TYPE", "v3applicationcredential"),
            ("OS_APPLICATION_CREDENTIAL_NAME", name.as_str()),
            ("OS_USER_ID", creds.node_user.as_str()),
            (
                "OS_APPLICATION_CREDENTIAL_SECRET",
                creds.node_secret.expose(),
            ),
            ("OS_REGION_NAME", "RegionOne"),
        ];
        let node_login = || connect(&resolve(&CloudArgs::default(), &dir.env(&node_vars)).unwrap());
        let e = node_login().unwrap_err();
        assert_eq!(e.kind, ConnectErrorKind::Unauthorized, "{e:?}");
        assert!(
            everything.contains(creds.node_secret.expose()),
            "the test looks in the wrong place"
        );

        // An update that adds masters opens the credential for its time,
        // the plan says so, and it is gone after; the stack's parameters
        // do not change for it.
        dir.write(
            "cluster.coe",
            &example.replace("master_count = 1", "master_count = 3"),
        );
        let (code, out, err) = coe(&["plan", "-e", &stubs], &svc.password);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains(&format!(
                "Credentials: the update of {cluster} builds masters"
            )),
            "{out}"
        );
        assert!(!out.contains("node_credential"), "{out}");
        let (code, out, err) = coe(&["apply", "--yes", "-e", &stubs], &svc.password);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains(&format!(
                "{cluster}: opened the node credential for the update"
            )),
            "{out}"
        );
        assert!(out.contains("deleted the node credential"), "{out}");
        assert_eq!(
            node_login().unwrap_err().kind,
            ConnectErrorKind::Unauthorized
        );
        // An update that builds no master leaves it closed.
        dir.write(
            "cluster.coe",
            &example
                .replace("master_count = 1", "master_count = 3")
                .replace("node_count   = 1", "node_count   = 2"),
        );
        let (code, out, err) = coe(&["apply", "--yes", "-e", &stubs], &svc.password);
        assert_eq!(code, 0, "{out}{err}");
        assert!(!out.contains("node credential"), "{out}");
        assert!(!out.contains("Credentials:"), "{out}");

        // After apply: a kubeconfig, the CA, a signed request.
        let kc = dir.path().join("kube/config");
        let kc_arg = kc.display().to_string();
        let (code, out, err) = coe(
            &["kubeconfig", &cluster, "--kubeconfig", &kc_arg],
            &svc.password,
        );
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("group kubeadm:cluster-admins"), "{err}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kc).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let loaded = std::process::Command::new("bash")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/kubeconfig-check"))
            .arg(&kc)
            .arg(&cluster)
            .output()
            .unwrap();
        assert!(
            loaded.status.success(),
            "{}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let seen: Value = serde_json::from_slice(&loaded.stdout).unwrap();
        assert!(
            seen["server"].as_str().unwrap().starts_with("https://"),
            "{seen}"
        );
        assert_eq!(seen["ca"], creds.ca.cert_pem.as_str());
        assert!(coe::ca::verifies(
            seen["cert"].as_str().unwrap(),
            &creds.ca.cert_pem
        ));
        let (code, shown, err) = coe(&["ca", "show", &cluster], &svc.password);
        assert_eq!(code, 0, "{err}");
        assert_eq!(shown, creds.ca.cert_pem);
        let csr = dir.path().join("dev.csr");
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                "/O=devs/CN=dev",
            ])
            .arg("-keyout")
            .arg(dir.path().join("dev.key"))
            .arg("-out")
            .arg(&csr)
            .output()
            .unwrap();
        assert!(made.status.success());
        let (code, cert, err) = coe(
            &[
                "ca",
                "sign",
                &cluster,
                &csr.display().to_string(),
                "--days",
                "7",
            ],
            &svc.password,
        );
        assert_eq!(code, 0, "{err}");
        assert!(coe::ca::verifies(&cert, &creds.ca.cert_pem), "{cert}");
        let (code, out, err) = coe(&["show", &cluster], &svc.password);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(&format!("access:   `coe kubeconfig {cluster}`")),
            "{out}"
        );
        // Nothing coe printed holds a private key.
        assert!(!shown.contains("PRIVATE KEY") && !cert.contains("PRIVATE KEY"));
    }
    let (code, out, err) = coe(
        &["plan", "--detailed-exitcode", "-e", &stubs],
        &svc.password,
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = coe(&["destroy", "--yes"], &svc.password);
    assert_eq!(code, 0, "{out}{err}");
    if admin.services.contains_key("key-manager") {
        assert!(out.contains(&format!("deleted for {stack}")), "{out}");
        assert!(coe::credentials::find(&admin, &stack).unwrap().is_none());
    }

    let wrong = "not-the-Password-42";
    let (code, out, err) = coe(&["list"], wrong);
    // a refused login is a cloud error: 1, never the 2 of "changes"
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("admin"), "the error names the user: {err}");
    assert!(!err.contains(wrong) && !out.contains(wrong), "{err}");
    assert!(!err.contains(&svc.password), "{err}");
}

/// `GET` of a Heat path (after the project's endpoint) as `conn`, in JSON.
pub fn heat_get(conn: &Connection, path: &str) -> Value {
    let mut req = conn
        .http
        .get(format!("{}{path}", conn.heat_url))
        .header("Accept", "application/json");
    if let Some(t) = &conn.token {
        req = req.header("X-Auth-Token", t.expose());
    }
    // Heat's single-threaded test server drops a connection now and then
    // under the suite's load: a GET is safe to send again.
    let resp = (0..5)
        .find_map(|_| req.try_clone().unwrap().send().ok())
        .expect("Heat answers");
    assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
    resp.json().unwrap()
}

/// The coe binary, run in `dir` (its HOME under it) as the Keystone user
/// of `svc`: (exit code, standard output, standard error).
pub fn coe_cli<'a>(
    svc: &'a Services,
    dir: &'a Path,
) -> impl Fn(&[&str]) -> (i32, String, String) + 'a {
    move |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coe"));
        cmd.args(args)
            .current_dir(dir)
            .env("COE_POLL_INTERVAL", "0.2")
            .env("CI", "1")
            .env("HOME", dir.join("home"))
            .env_remove("COE_HEAT_URL")
            .env_remove("OS_CLOUD");
        for (k, v) in &svc.openrc {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Every stack of the cluster (nested ones too) as its project can read it:
/// shows (parameters, outputs), templates, environments and every event in
/// full (an event's details carry the resource's properties), as one text.
fn stacks_as_the_project_sees_them(conn: &Connection, stack: &str) -> String {
    let get = |path: &str| heat_get(conn, path);
    let list = get("/stacks?show_nested=true&limit=1000");
    let mut all = String::new();
    for s in list["stacks"].as_array().unwrap() {
        let name = s["stack_name"].as_str().unwrap();
        if !name.starts_with(stack) {
            continue;
        }
        let path = format!("/stacks/{name}/{}", s["id"].as_str().unwrap());
        for part in ["", "/template", "/environment"] {
            all.push_str(&get(&format!("{path}{part}")).to_string());
        }
        let events = get(&format!("{path}/events?limit=1000"));
        for e in events["events"].as_array().unwrap() {
            let (res, id) = (
                e["resource_name"].as_str().unwrap(),
                e["id"].as_str().unwrap(),
            );
            all.push_str(&get(&format!("{path}/resources/{res}/events/{id}")).to_string());
        }
    }
    assert!(!all.is_empty(), "no stack of {stack} found");
    all
}

/// A swarm-mode cluster through Keystone and Barbican: apply makes its CA,
/// `coe env` writes a Docker TLS client certificate that verifies against
/// it (files only the user may read) and prints the settings, `coe show`
/// says how, and destroy removes the credentials.
#[test]
#[ignore = "needs the local Keystone, Heat and Barbican: scripts/test starts them"]
fn coe_env_gives_a_swarm_cluster_docker_tls() {
    let svc = services();
    let dir = TempDir::new();
    let cluster = unique("sw");
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/swarm-mode/cluster.coe"),
    )
    .unwrap()
    .replace("cluster \"swarm-1\"", &format!("cluster \"{cluster}\""))
    .replace("master_count = 3", "master_count = 1")
    .replace("node_count   = 2", "node_count   = 1");
    dir.write("cluster.coe", &example);
    let stubs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("harness/heat/stub-env.yaml");
    let stubs = stubs.display().to_string();
    let coe = coe_cli(&svc, dir.path());
    let admin = login(&CloudArgs::default(), &dir.env(&openrc(&svc)));
    if !admin.services.contains_key("key-manager") {
        panic!("no Barbican in the catalog; fix: scripts/setup-barbican");
    }
    let (code, out, err) = coe(&["apply", "--yes", "-e", &stubs]);
    assert_eq!(code, 0, "{out}{err}");
    let stack = coe::check::stack_name(&cluster);
    let creds = coe::credentials::find(&admin, &stack)
        .unwrap()
        .expect("apply made the credentials");
    let (code, out, err) = coe(&["env", &cluster]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("export DOCKER_HOST=tcp://"), "{out}");
    assert!(out.contains("export DOCKER_TLS_VERIFY=1"), "{out}");
    let certs = dir.path().join("home/.docker/coe").join(&cluster);
    assert!(
        out.contains(&format!("export DOCKER_CERT_PATH={}", certs.display())),
        "{out}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&certs), 0o700);
    assert_eq!(mode(&certs.join("key.pem")), 0o600);
    assert_eq!(
        std::fs::read_to_string(certs.join("ca.pem")).unwrap(),
        creds.ca.cert_pem
    );
    let verdict = std::process::Command::new("openssl")
        .args([
            "verify",
            "-purpose",
            "sslclient",
            "-CAfile",
            "ca.pem",
            "cert.pem",
        ])
        .current_dir(&certs)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&verdict.stdout).contains("cert.pem: OK"),
        "{verdict:?}"
    );
    let (_, out, _) = coe(&["show", &cluster]);
    assert!(out.contains(&format!("coe env {cluster}")), "{out}");
    let (code, out, err) = coe(&["kubeconfig", &cluster]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("coe env"), "{err}");
    let (code, out, err) = coe(&["destroy", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(coe::credentials::find(&admin, &stack).unwrap().is_none());
}
