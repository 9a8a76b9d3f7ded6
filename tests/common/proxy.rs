//! A fault-injecting HTTP reverse proxy for tests: it sits in front of the
//! local Heat and, for the requests its rules pick, answers 503, closes the
//! connection without a reply (before or after Heat saw the request) or
//! waits before answering. Everything else passes through unchanged.
//!
//! Rules can also hold a request until something else has happened (a later
//! request answered, earlier ones answered), so a test orders events by
//! what the proxy saw rather than by sleeping and hoping.
//!
//! Heat's WSGI server speaks HTTP/1.0, one request per connection, so the
//! proxy does the same: read one request (head and `Content-Length` body),
//! send it upstream with `Connection: close`, read the reply to the end,
//! write it back and close.
//!
//! ```ignore
//! let proxy = Proxy::start(&heat_url);
//! proxy.add(Rule::new("POST", "/stacks$").fault(Fault::ResetAfter));
//! // run coe with --heat-url proxy.url() ...
//! assert_eq!(proxy.forwarded("POST", "/stacks$"), 1);
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a hold waits; past it the request is reset, never sent on
/// (and the test's assertions on the order of events say what went wrong).
const HOLD_LIMIT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer `503 Service Unavailable` with an HTML body; Heat never sees the request.
    Unavailable,
    /// Reset the connection without a reply; Heat never sees the request.
    ResetBefore,
    /// Send the request to Heat, then reset the connection instead of
    /// passing the reply on: Heat did it, the client never hears.
    ResetAfter,
    /// Wait this long, then pass the request through.
    Delay(Duration),
    /// Answer `504 Gateway Timeout` at once, and send the request to Heat
    /// once the rule's hold opens (its reply goes nowhere): a gateway that
    /// gave up while the request was still on its way.
    GatewayTimeout,
    /// Pass the request through (once the rule's hold opens).
    Pass,
}

/// What a held request waits for before it goes to Heat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// A request matching `method` and `path` (as in [`Rule`]) that arrived
    /// after the held one has had Heat's answer.
    NextAnswered { method: String, path: String },
    /// Every earlier request matching `method` and `path` has had Heat's answer.
    EarlierAnswered { method: String, path: String },
}

impl Hold {
    pub fn next_answered(method: &str, path: &str) -> Hold {
        Hold::NextAnswered {
            method: method.to_string(),
            path: path.to_string(),
        }
    }

    pub fn earlier_answered(method: &str, path: &str) -> Hold {
        Hold::EarlierAnswered {
            method: method.to_string(),
            path: path.to_string(),
        }
    }

    /// Whether the request at `index` of `seen` may go on.
    fn open(&self, seen: &[Seen], index: usize) -> bool {
        match self {
            Hold::NextAnswered { method, path } => {
                let probe = Rule::new(method, path);
                seen[index + 1..]
                    .iter()
                    .any(|s| probe.matches(&s.method, &s.path) && s.done)
            }
            Hold::EarlierAnswered { method, path } => {
                let probe = Rule::new(method, path);
                seen[..index]
                    .iter()
                    .filter(|s| probe.matches(&s.method, &s.path))
                    .all(|s| s.done)
            }
        }
    }
}

/// Which requests get a fault: `method` (`*` for any) and a substring of
/// the path without its query (a trailing `$` anchors it at the end), from
/// the `nth` matching request (1-based) for `times` requests in a row.
#[derive(Debug, Clone)]
pub struct Rule {
    method: String,
    path: String,
    nth: usize,
    times: usize,
    fault: Fault,
    hold: Option<Hold>,
    seen: usize,
}

impl Rule {
    /// The first matching request, once, answered 503 (change with the builders).
    pub fn new(method: &str, path: &str) -> Rule {
        Rule {
            method: method.to_string(),
            path: path.to_string(),
            nth: 1,
            times: 1,
            fault: Fault::Unavailable,
            hold: None,
            seen: 0,
        }
    }

    pub fn nth(mut self, n: usize) -> Rule {
        assert!(n >= 1, "occurrences count from 1");
        self.nth = n;
        self
    }

    pub fn times(mut self, n: usize) -> Rule {
        self.times = n;
        self
    }

    /// Every matching request from the `nth` on.
    pub fn always(self) -> Rule {
        self.times(usize::MAX)
    }

    pub fn fault(mut self, f: Fault) -> Rule {
        self.fault = f;
        self
    }

    /// Holds the picked requests until `hold` opens (for `Pass`,
    /// `GatewayTimeout` and `Delay`, which send them to Heat).
    pub fn hold(mut self, hold: Hold) -> Rule {
        self.hold = Some(hold);
        self
    }

    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && path_matches(&self.path, path)
    }

    /// Counts a matching request; the fault if this occurrence is in the window.
    pub fn hit(&mut self) -> Option<Fault> {
        self.seen += 1;
        let last = self.nth.saturating_add(self.times);
        (self.seen >= self.nth && self.seen < last).then_some(self.fault)
    }
}

/// `pattern` as a substring of `path` (its query cut off); `…$` must end it.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    match pattern.strip_suffix('$') {
        Some(p) => path.ends_with(p),
        None => path.contains(pattern),
    }
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// With the query.
    pub path: String,
    pub at: Instant,
    pub fault: Option<Fault>,
    /// Heat's status, when the request reached Heat and Heat answered.
    pub upstream: Option<u16>,
    /// The proxy is through with it: answered, reset or given up.
    pub done: bool,
    /// Its hold never opened, so it was reset instead of sent to Heat.
    pub held_back: bool,
}

impl Seen {
    /// Whether Heat got this request.
    pub fn forwarded(&self) -> bool {
        !self.held_back
            && !matches!(
                self.fault,
                Some(Fault::Unavailable) | Some(Fault::ResetBefore)
            )
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

/// The state, and a signal for every change of it (holds wait on it).
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// The proxy is dropped: held requests give up at once.
    stopping: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn set_upstream(&self, index: usize, status: Option<u16>) {
        self.lock().seen[index].upstream = status;
        self.changed.notify_all();
    }

    /// The proxy is through with the request at `index`.
    fn finish(&self, index: usize) {
        self.lock().seen[index].done = true;
        self.changed.notify_all();
    }

    /// Waits until `hold` lets the request at `index` go on; false (and
    /// the request marked held back) when it did not open in time or the
    /// proxy is going away.
    fn wait(&self, hold: &Hold, index: usize) -> bool {
        let deadline = Instant::now() + HOLD_LIMIT;
        let mut st = self.lock();
        while !hold.open(&st.seen, index) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stopping.load(Ordering::SeqCst) {
                eprintln!("proxy: {hold:?} did not open; the request is reset, not sent");
                st.seen[index].held_back = true;
                return false;
            }
            st = self.changed.wait_timeout(st, left).unwrap().0;
        }
        true
    }
}

pub struct Proxy {
    port: u16,
    /// `http://host:port` of Heat.
    upstream: String,
    /// The base URL's path (`/v1/admin`).
    prefix: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to the server of `base`
    /// (`http://127.0.0.1:8004/v1/admin`).
    pub fn start(base: &str) -> Proxy {
        let rest = base
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy speaks http:// only, got {base}"));
        let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, up) = (shared.clone(), stop.clone(), authority.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let (st, up) = (st.clone(), up.clone());
                std::thread::spawn(move || serve(client, &up, &st));
            }
        });
        Proxy {
            port,
            upstream: authority.to_string(),
            prefix: prefix.trim_end_matches('/').to_string(),
            shared,
            stop,
        }
    }

    /// The same base URL as Heat's, through the proxy.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.prefix)
    }

    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// Adds a rule; earlier rules win when several pick the same request.
    pub fn add(&self, rule: Rule) {
        self.shared.lock().rules.push(rule);
    }

    /// Removes every rule (requests already counted stay in the log).
    pub fn clear(&self) {
        self.shared.lock().rules.clear();
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.lock().seen.clone()
    }

    /// The requests matching `method` and `path` (as in [`Rule`]).
    pub fn matching(&self, method: &str, path: &str) -> Vec<Seen> {
        let probe = Rule::new(method, path);
        self.seen()
            .into_iter()
            .filter(|s| probe.matches(&s.method, &s.path))
            .collect()
    }

    /// How many of those reached Heat.
    pub fn forwarded(&self, method: &str, path: &str) -> usize {
        self.matching(method, path)
            .iter()
            .filter(|s| s.forwarded())
            .count()
    }

    /// How many of those got a fault.
    pub fn faulted(&self, method: &str, path: &str) -> usize {
        self.matching(method, path)
            .iter()
            .filter(|s| s.fault.is_some())
            .count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut client: TcpStream, upstream: &str, shared: &Shared) {
    let _ = client.set_read_timeout(Some(IO_TIMEOUT));
    let _ = client.set_write_timeout(Some(IO_TIMEOUT));
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let (index, fault, hold) = {
        let mut st = shared.lock();
        let mut chosen = None;
        for r in st.rules.iter_mut().filter(|r| r.matches(&method, &path)) {
            // Every matching rule counts the request; the first in its window wins.
            if let Some(f) = r.hit()
                && chosen.is_none()
            {
                chosen = Some((f, r.hold.clone()));
            }
        }
        let (fault, hold) = chosen.unzip();
        st.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            at: Instant::now(),
            fault,
            upstream: None,
            done: false,
            held_back: false,
        });
        (st.seen.len() - 1, fault, hold.flatten())
    };
    shared.changed.notify_all();
    let held = || hold.as_ref().is_none_or(|h| shared.wait(h, index));
    match fault {
        Some(Fault::Unavailable) => html_reply(
            client,
            "503 Service Unavailable",
            "No server is available to handle this request.",
        ),
        Some(Fault::GatewayTimeout) => {
            html_reply(
                client,
                "504 Gateway Timeout",
                "The server didn't respond in time.",
            );
            if held() {
                let reply = forward(upstream, &head, &body);
                shared.set_upstream(index, reply.ok().and_then(|r| status_of(&r)));
            }
        }
        Some(Fault::ResetBefore) => reset(client),
        Some(f @ (Fault::Delay(_) | Fault::Pass)) => {
            if let Fault::Delay(d) = f {
                std::thread::sleep(d);
            }
            if held() {
                pass(client, upstream, &head, &body, shared, index, false);
            } else {
                reset(client);
            }
        }
        Some(Fault::ResetAfter) => pass(client, upstream, &head, &body, shared, index, true),
        None => pass(client, upstream, &head, &body, shared, index, false),
    }
    shared.finish(index);
}

/// Sends the request to Heat and its reply back (or, with `drop_reply`,
/// resets the client's connection once Heat has answered).
fn pass(
    mut client: TcpStream,
    upstream: &str,
    head: &str,
    body: &[u8],
    shared: &Shared,
    index: usize,
    drop_reply: bool,
) {
    let reply = match forward(upstream, head, body) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("proxy: {upstream}: {e}");
            return reset(client);
        }
    };
    shared.set_upstream(index, status_of(&reply));
    if drop_reply {
        return reset(client);
    }
    let _ = client.write_all(&reply);
    let _ = client.shutdown(Shutdown::Both);
}

/// The status code of a raw HTTP reply.
fn status_of(reply: &[u8]) -> Option<u16> {
    std::str::from_utf8(&reply[..reply.len().min(64)])
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// An error page as HAProxy or nginx would send it, then close.
fn html_reply(mut client: TcpStream, status: &str, text: &str) {
    let html = format!(
        "<html><head><title>{status}</title></head><body><h1>{status}</h1>\n<p>{text}</p></body></html>\n"
    );
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
        html.len()
    );
    let _ = client.write_all(reply.as_bytes());
    let _ = client.shutdown(Shutdown::Both);
}

fn forward(upstream: &str, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut heat = TcpStream::connect(upstream)?;
    heat.set_read_timeout(Some(IO_TIMEOUT))?;
    heat.set_write_timeout(Some(IO_TIMEOUT))?;
    // One request per connection, whatever the client asked for.
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split(':').next().unwrap_or("").trim();
        if i > 0
            && (name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    heat.write_all(out.as_bytes())?;
    heat.write_all(body)?;
    let mut reply = Vec::new();
    heat.read_to_end(&mut reply)?;
    Ok(reply)
}

/// Closes with a TCP reset (SO_LINGER 0), as a crashed proxy or a dropped
/// connection looks to the client.
fn reset(client: TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            client.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    drop(client);
}

/// The request head (without the blank line) and its body, or `None` when
/// the client went away first.
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut body = buf[end + 4..].to_vec();
    let length = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "the test proxy does not read chunked requests"
    );
    while body.len() < length {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}
