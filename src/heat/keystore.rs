//! The two services that hold a cluster's credentials: Barbican (the CA's
//! key, as a secret only its owner may read) and Keystone's application
//! credentials (what the cluster's add-ons log in with).
//!
//! Every call uses the logged-in `Connection`'s token and catalog. Secrets go
//! out only in request bodies and come back as `Secret`s.

use super::Secret;
use super::auth::{Connection, transport_error};
use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

/// One call's context: the connection and what is being done, for messages.
struct Call<'c> {
    conn: &'c Connection,
}

impl Call<'_> {
    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
        accept: &str,
    ) -> Result<(u16, String), String> {
        let token = self.conn.token.as_ref().ok_or(
            "credentials are kept in Barbican and Keystone, which need a Keystone login; set OS_CLOUD or the OS_* variables",
        )?;
        let mut req = self
            .conn
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", token.expose())
            .header("Accept", accept);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().map_err(|e| {
            let e = transport_error("the service", url, &e, false);
            format!("{method} {url}: {}; {}", e.message, e.help)
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .map_err(|e| format!("{method} {url}: the answer was cut off ({e})"))?;
        Ok((status, text))
    }

    fn expect(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
        ok: &[u16],
    ) -> Result<Value, String> {
        let (status, text) = self.send(method.clone(), url, body, "application/json")?;
        if !ok.contains(&status) {
            let first: String = text.chars().take(300).collect();
            return Err(format!(
                "{method} {url} answered {status}: {}",
                first.trim()
            ));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| format!("{method} {url} did not answer JSON ({e})"))
    }
}

fn service<'c>(conn: &'c Connection, kind: &str, what: &str) -> Result<&'c str, String> {
    conn.services.get(kind).map(String::as_str).ok_or_else(|| {
        format!(
            "the catalog has no {kind} ({what}) service, which coe needs for cluster credentials"
        )
    })
}

// ------------------------------------------------------------------ Barbican

/// Stores `payload` as a private secret named `name`; returns its URL.
/// Sent base64 as octet-stream: Barbican trims text/plain payloads, and a
/// PEM must come back byte for byte.
pub fn store_secret(conn: &Connection, name: &str, payload: &Secret) -> Result<String, String> {
    let base = service(conn, "key-manager", "Barbican")?;
    let body = json!({
        "name": name,
        "secret_type": "private",
        "payload_content_type": "application/octet-stream",
        "payload_content_encoding": "base64",
        "payload": base64::engine::general_purpose::STANDARD.encode(payload.expose()),
    });
    let url = format!("{base}/v1/secrets");
    let answer = Call { conn }.expect(Method::POST, &url, Some(body), &[201])?;
    let secret_ref = answer
        .get("secret_ref")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("POST {url} answered without a secret_ref"))?;
    secret_url(base, secret_ref)
}

/// Lets only the owner (and so the owner's application credentials) read it.
pub fn restrict_secret(conn: &Connection, secret_ref: &str) -> Result<(), String> {
    let user = conn
        .user_id
        .clone()
        .ok_or("Keystone did not say who is logged in")?;
    let body = json!({"read": {"users": [user], "project-access": false}});
    Call { conn }.expect(
        Method::PUT,
        &format!("{secret_ref}/acl"),
        Some(body),
        &[200, 201],
    )?;
    Ok(())
}

/// The secret's payload.
pub fn fetch_secret(conn: &Connection, secret_ref: &str) -> Result<Secret, String> {
    let url = format!("{secret_ref}/payload");
    let (status, text) = Call { conn }.send(Method::GET, &url, None, "application/octet-stream")?;
    match status {
        200 => Ok(Secret::new(text)),
        404 => Err(format!("the secret {secret_ref} is gone from Barbican")),
        403 => Err(format!(
            "Barbican refuses to give the secret {secret_ref} to this login: only the user who applied the cluster may read it"
        )),
        s => Err(format!("GET {url} answered {s}")),
    }
}

/// A secret's URL on the catalog's Barbican: Barbican writes its own host
/// into `secret_ref` (`host_href`), which may be another address; the token
/// goes only where the catalog says.
fn secret_url(base: &str, secret_ref: &str) -> Result<String, String> {
    let id = secret_ref
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .ok_or_else(|| {
            format!("Barbican answered a secret reference coe cannot read: {secret_ref}")
        })?;
    Ok(format!("{base}/v1/secrets/{id}"))
}

/// The URLs of the logged-in user's own secrets named `name`, newest first.
/// Secrets of that name made by others in the project are not taken: a
/// project member could otherwise plant a CA for someone else's cluster.
pub fn find_secrets(conn: &Connection, name: &str) -> Result<Vec<String>, String> {
    let base = service(conn, "key-manager", "Barbican")?;
    let mut url = reqwest::Url::parse(&format!("{base}/v1/secrets"))
        .map_err(|e| format!("the catalog's Barbican URL {base} is not a URL ({e})"))?;
    url.query_pairs_mut()
        .append_pair("name", name)
        .append_pair("sort", "created:desc")
        .append_pair("limit", "100");
    let answer = Call { conn }.expect(Method::GET, url.as_str(), None, &[200])?;
    let me = conn
        .user_id
        .as_deref()
        .ok_or("Keystone did not say who is logged in")?;
    answer
        .get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("creator_id").and_then(Value::as_str) == Some(me))
        .filter_map(|s| s.get("secret_ref").and_then(Value::as_str))
        .map(|r| secret_url(base, r))
        .collect()
}

/// Who made the secrets named `name` that this login may list (users' IDs),
/// the caller included.
pub fn secret_creators(conn: &Connection, name: &str) -> Result<Vec<String>, String> {
    let base = service(conn, "key-manager", "Barbican")?;
    let mut url = reqwest::Url::parse(&format!("{base}/v1/secrets"))
        .map_err(|e| format!("the catalog's Barbican URL {base} is not a URL ({e})"))?;
    url.query_pairs_mut()
        .append_pair("name", name)
        .append_pair("limit", "100");
    let answer = Call { conn }.expect(Method::GET, url.as_str(), None, &[200])?;
    let mut creators: Vec<String> = answer
        .get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("creator_id").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    creators.sort();
    creators.dedup();
    Ok(creators)
}

pub fn delete_secret(conn: &Connection, secret_ref: &str) -> Result<(), String> {
    Call { conn }.expect(Method::DELETE, secret_ref, None, &[204, 404])?;
    Ok(())
}

// ------------------------------------------------------------------ Keystone

/// An application credential coe made for a cluster.
#[derive(Debug)]
pub struct AppCredential {
    pub id: String,
    pub name: String,
    pub secret: Secret,
}

fn app_creds_url(conn: &Connection) -> Result<String, String> {
    let base = service(conn, "identity", "Keystone")?;
    let user = conn
        .user_id
        .as_deref()
        .ok_or("Keystone did not say who is logged in")?;
    let base = base.trim_end_matches('/').trim_end_matches("/v3");
    Ok(format!("{base}/v3/users/{user}/application_credentials"))
}

/// One request an application credential may make: `service` is the
/// catalog type, `path` relative to the service's endpoint.
pub struct AccessRule<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub path: &'a str,
}

/// Creates an application credential for the logged-in user in the token's
/// project: restricted (it cannot make more credentials or trusts), with the
/// token's roles, when `rules` are given good for those requests only, and
/// when `expires_at` (ISO 8601, UTC) is given good until then only.
pub fn create_app_credential(
    conn: &Connection,
    name: &str,
    description: &str,
    rules: &[AccessRule],
    expires_at: Option<&str>,
    secret: Option<&Secret>,
) -> Result<AppCredential, String> {
    let url = app_creds_url(conn)?;
    let mut body = json!({"application_credential": {
        "name": name,
        "description": description,
        "unrestricted": false,
    }});
    if let Some(at) = expires_at {
        body["application_credential"]["expires_at"] = json!(at);
    }
    // Keystone draws a secret unless given one.
    if let Some(secret) = secret {
        body["application_credential"]["secret"] = json!(secret.expose());
    }
    if !rules.is_empty() {
        let rules: Vec<Value> = rules
            .iter()
            .map(|r| json!({"service": r.service, "method": r.method, "path": r.path}))
            .collect();
        body["application_credential"]["access_rules"] = Value::Array(rules);
    }
    let answer = Call { conn }.expect(Method::POST, &url, Some(body), &[201])?;
    let cred = answer
        .get("application_credential")
        .ok_or_else(|| format!("POST {url} answered without an application_credential"))?;
    let field = |k: &str| {
        cred.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("POST {url} answered without the credential's {k}"))
    };
    Ok(AppCredential {
        id: field("id")?,
        name: field("name")?,
        secret: Secret::new(field("secret")?),
    })
}

/// The IDs of the user's application credentials named `name`.
pub fn find_app_credentials(conn: &Connection, name: &str) -> Result<Vec<String>, String> {
    let mut url = reqwest::Url::parse(&app_creds_url(conn)?).map_err(|e| e.to_string())?;
    url.query_pairs_mut().append_pair("name", name);
    let answer = Call { conn }.expect(Method::GET, url.as_str(), None, &[200])?;
    Ok(answer
        .get("application_credentials")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("id").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

pub fn delete_app_credential(conn: &Connection, id: &str) -> Result<(), String> {
    let url = format!("{}/{id}", app_creds_url(conn)?);
    Call { conn }.expect(Method::DELETE, &url, None, &[204, 404])?;
    Ok(())
}
