//! The client's byte stream, checked message by message before the server
//! reads it. The protocol library ends the session at the first malformed
//! message (a body that is not JSON, a header block without
//! `Content-Length`); an editor should see a logged complaint instead, and
//! keep its server. So each bad message is replaced by a notification the
//! server answers with a log message.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// The notification a malformed message becomes.
pub const INVALID: &str = "$/coe/invalidMessage";

/// Copies framed messages from `input` to the returned stream, replacing
/// malformed ones.
pub fn sanitized(input: impl AsyncRead + Unpin + Send + 'static) -> DuplexStream {
    let (mut tx, rx) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        loop {
            let mut length: Option<usize> = None;
            let mut bad_header = false;
            let mut saw_header = false;
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => return, // the client is gone
                    Ok(_) => {}
                }
                let line = line.trim_end_matches(['\r', '\n']);
                if line.is_empty() {
                    if saw_header {
                        break;
                    }
                    continue;
                }
                saw_header = true;
                match line.split_once(':') {
                    Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                        length = value.trim().parse().ok();
                        bad_header |= length.is_none();
                    }
                    Some((name, _)) if name.eq_ignore_ascii_case("content-type") => {}
                    _ => bad_header = true,
                }
            }
            let body = match length {
                // a body larger than this is no message an editor sends
                Some(n) if !bad_header && n <= 256 << 20 => {
                    let mut body = vec![0; n];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    body
                }
                _ => Vec::new(),
            };
            let ok = serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| {
                v.get("jsonrpc").is_some() && v.get("method").or(v.get("id")).is_some()
            });
            let out = if ok {
                body
            } else {
                let why = if length.is_none() || bad_header {
                    "a header block without a valid Content-Length"
                } else {
                    "a body that is not a JSON-RPC message"
                };
                serde_json::json!({"jsonrpc": "2.0", "method": INVALID, "params": [why]})
                    .to_string()
                    .into_bytes()
            };
            let header = format!("Content-Length: {}\r\n\r\n", out.len());
            if tx.write_all(header.as_bytes()).await.is_err() || tx.write_all(&out).await.is_err() {
                return;
            }
        }
    });
    rx
}
