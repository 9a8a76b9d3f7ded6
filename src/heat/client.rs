//! The HTTP side of Heat's API: headers, retries, and errors in one place, so
//! no caller sees Heat's quirks (HTML 202 bodies, JSON error envelopes,
//! redirects from name URLs, transient 5xx).

use super::secret::Secret;
use reqwest::Method;
use reqwest::blocking::{Client, Response};
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// A connection to one Heat endpoint (`…/v1/<project>`).
#[derive(Clone)]
pub struct Heat {
    base: String,
    token: Option<Secret>,
    http: Client,
    /// How often to poll a stack that is in progress.
    pub poll: Duration,
    /// Attempts for requests that are safe to repeat.
    pub attempts: u32,
    /// First pause between attempts; doubled each time.
    pub backoff: Duration,
    /// How long to watch for an update whose reply was lost on its way to
    /// landing late, before giving up without sending it again.
    pub landing: Duration,
}

impl fmt::Debug for Heat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heat")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request never left: connection refused, name lookup or TLS
    /// handshake failed. Heat did not see it.
    Unreachable,
    /// The request went out but no whole answer came back (reset, timed
    /// out, broke off): Heat may or may not have acted on it.
    NoAnswer,
    /// 401/403.
    Unauthorized,
    NotFound,
    /// 409: the stack exists, or is busy.
    Conflict,
    /// 400: Heat rejected the template, environment or parameters.
    Rejected,
    /// 5xx after every attempt.
    Server,
    /// A reply we cannot read.
    Protocol,
}

/// A failed Heat call, in words a user can act on. Never carries a token.
#[derive(Debug, Clone)]
pub struct HeatError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// What was asked, e.g. `POST /stacks/preview`.
    pub call: String,
    /// Heat's own message (from its JSON error envelope) or the transport error.
    pub message: String,
}

impl fmt::Display for HeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{} answered {s}: {}", self.call, self.message),
            None => write!(f, "{}: {}", self.call, self.message),
        }
    }
}

impl std::error::Error for HeatError {}

impl HeatError {
    /// A failure that may pass: no connection, no answer, or a 5xx.
    pub fn transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unreachable | ErrorKind::NoAnswer | ErrorKind::Server
        )
    }

    /// Whether Heat may have acted on the request although it failed: true
    /// unless it never left. Even a 503 proves nothing: some gateways send
    /// one after they passed the request on and lost the backend's reply.
    pub fn may_have_acted(&self) -> bool {
        self.kind != ErrorKind::Unreachable
    }
}

/// Whether a request may be sent again after a failure without a second effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Safe,
    /// Creates and updates: the caller decides after looking at the stack.
    Once,
}

impl Heat {
    pub fn new(base: &str, token: Option<Secret>, http: Client) -> Heat {
        Heat {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
            poll: Duration::from_secs(2),
            attempts: 5,
            backoff: Duration::from_millis(500),
            landing: Duration::from_secs(120),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn get(&self, path: &str) -> Result<Value, HeatError> {
        self.call(Method::GET, path, None, Retry::Safe)
    }

    /// Sends one request and returns its JSON body (`null` for empty or
    /// non-JSON 2xx bodies, which Heat sends for 202 and 204).
    pub fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, HeatError> {
        let call = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let attempts = if retry == Retry::Safe {
            self.attempts.max(1)
        } else {
            1
        };
        let mut pause = self.backoff;
        let mut last = None;
        for attempt in 1..=attempts {
            match self.send_once(&method, path, body) {
                Ok(resp) => match self.read(resp, &call) {
                    Ok(v) => return Ok(v),
                    Err(e) if e.transient() => last = Some(e),
                    Err(e) => return Err(e),
                },
                Err(e) => {
                    last = Some(HeatError {
                        kind: if e.is_connect() {
                            ErrorKind::Unreachable
                        } else {
                            ErrorKind::NoAnswer
                        },
                        status: None,
                        call: call.clone(),
                        message: transport_message(&e, &self.base),
                    })
                }
            }
            if attempt < attempts {
                std::thread::sleep(pause);
                pause *= 2;
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<Response> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("Accept", "application/json");
        if let Some(t) = &self.token {
            req = req.header("X-Auth-Token", t.expose());
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(b).expect("JSON body"));
        }
        req.send()
    }

    fn read(&self, resp: Response, call: &str) -> Result<Value, HeatError> {
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let text = resp.text().map_err(|e| HeatError {
            kind: ErrorKind::NoAnswer,
            status: Some(status.as_u16()),
            call: call.to_string(),
            message: format!("the reply broke off: {e}"),
        })?;
        if status.is_success() {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        if status.is_redirection() {
            // Name-only stack URLs redirect to `<name>/<id>`; callers use
            // id URLs, so a redirect here is a bug worth naming.
            return Err(HeatError {
                kind: ErrorKind::Protocol,
                status: Some(status.as_u16()),
                call: call.to_string(),
                message: format!(
                    "unexpected redirect to {}",
                    location.as_deref().unwrap_or("(no location)")
                ),
            });
        }
        let kind = match status.as_u16() {
            401 | 403 => ErrorKind::Unauthorized,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            400..=499 => ErrorKind::Rejected,
            _ => ErrorKind::Server,
        };
        Err(HeatError {
            kind,
            status: Some(status.as_u16()),
            call: call.to_string(),
            message: error_message(&text),
        })
    }
}

/// Heat's error envelope: `{"error": {"message": …}, "explanation": …}`;
/// Keystone middleware's: `{"error": {"message": …}}`; proxies: HTML or text.
fn error_message(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        for ptr in ["/error/message", "/explanation", "/message", "/title"] {
            if let Some(m) = v.pointer(ptr).and_then(Value::as_str)
                && !m.trim().is_empty()
            {
                return m.trim().to_string();
            }
        }
    }
    // A proxy's HTML page: its visible text, without the <head> (whose
    // title repeats the heading).
    let lower = text.to_ascii_lowercase();
    let body = match (lower.find("<head"), lower.find("</head>")) {
        (Some(start), Some(end)) if start < end => {
            format!("{} {}", &text[..start], &text[end + "</head>".len()..])
        }
        _ => text.to_string(),
    };
    let plain = without_tags(&body);
    let plain = if plain.is_empty() {
        without_tags(text)
    } else {
        plain
    };
    if plain.is_empty() {
        "(empty reply)".to_string()
    } else {
        plain.chars().take(300).collect()
    }
}

/// The text between tags, whitespace collapsed.
fn without_tags(html: &str) -> String {
    let text = html
        .split(['<', '>'])
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn transport_message(e: &reqwest::Error, base: &str) -> String {
    let mut msg = if e.is_timeout() {
        "no answer in time".to_string()
    } else if e.is_connect() {
        format!("cannot connect to {base}")
    } else {
        "the connection failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_request_that_never_left_surely_had_no_effect() {
        let error = |kind, status| HeatError {
            kind,
            status,
            call: "PUT /stacks/s/1".into(),
            message: String::new(),
        };
        assert!(!error(ErrorKind::Unreachable, None).may_have_acted());
        assert!(error(ErrorKind::NoAnswer, None).may_have_acted());
        assert!(error(ErrorKind::NoAnswer, Some(200)).may_have_acted());
        for status in [500, 502, 503, 504] {
            let e = error(ErrorKind::Server, Some(status));
            assert!(e.may_have_acted() && e.transient(), "{status}");
        }
        assert!(!error(ErrorKind::Rejected, Some(400)).transient());
    }

    #[test]
    fn reads_heat_and_keystone_error_envelopes() {
        let heat = r#"{"code": 400, "title": "Bad Request", "explanation": "The server could not comply", "error": {"type": "StackValidationFailed", "message": "Property error: x"}}"#;
        assert_eq!(error_message(heat), "Property error: x");
        let ks = r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#;
        assert_eq!(
            error_message(ks),
            "The request you have made requires authentication."
        );
        assert_eq!(
            error_message("<html><body><h1>503 Service Unavailable</h1></body></html>"),
            "503 Service Unavailable"
        );
        // nginx: the title repeats the heading, so only the body counts.
        assert_eq!(
            error_message(
                "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>"
            ),
            "503 Service Temporarily Unavailable nginx"
        );
        assert_eq!(
            error_message("<html><head><title>Gateway Timeout</title></head></html>"),
            "Gateway Timeout"
        );
        assert_eq!(error_message(""), "(empty reply)");
    }
}
