//! `coe apply` on a terminal, several clusters at once: the live lines
//! redraw in place, and never over a line printed before or after them.
//! The apply runs under a pseudo-terminal (`script`, util-linux); a small
//! terminal emulator below replays what it wrote and the test reads the
//! final screen, row by row.

use crate::apply::Scenario;
use std::process::Command;

/// A screen without a bottom: every row ever written, the cursor, and the
/// escape sequences indicatif and console use (cursor up/down, erase line,
/// erase below); colours and cursor visibility change nothing here.
struct Screen {
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
    width: usize,
}

impl Screen {
    fn new(width: usize) -> Screen {
        Screen {
            rows: vec![Vec::new()],
            row: 0,
            col: 0,
            width,
        }
    }

    fn line(&mut self) -> &mut Vec<char> {
        while self.rows.len() <= self.row {
            self.rows.push(Vec::new());
        }
        &mut self.rows[self.row]
    }

    fn put(&mut self, c: char) {
        if self.col >= self.width {
            self.row += 1;
            self.col = 0;
        }
        let col = self.col;
        let line = self.line();
        while line.len() <= col {
            line.push(' ');
        }
        line[col] = c;
        self.col += 1;
    }

    fn feed(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => self.col = 0,
                '\n' => self.row += 1,
                '\x1b' if chars.peek() == Some(&'[') => {
                    chars.next();
                    let mut arg = String::new();
                    let mut end = ' ';
                    for d in chars.by_ref() {
                        if d.is_ascii_alphabetic() {
                            end = d;
                            break;
                        }
                        arg.push(d);
                    }
                    let n: usize = arg.trim_start_matches('?').parse().unwrap_or(0);
                    match end {
                        'A' => self.row = self.row.saturating_sub(n.max(1)),
                        'B' => self.row += n.max(1),
                        'K' => {
                            let col = self.col;
                            let line = self.line();
                            match n {
                                2 => line.clear(),
                                1 => line.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                                _ => line.truncate(col),
                            }
                        }
                        'J' => {
                            let col = self.col;
                            self.line().truncate(col);
                            self.rows.truncate(self.row + 1);
                        }
                        'G' => self.col = n.saturating_sub(1),
                        _ => {} // colours (m), cursor visibility (h, l)
                    }
                }
                c if c.is_control() => {}
                c => self.put(c),
            }
        }
    }

    fn text(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| r.iter().collect::<String>().trim_end().to_string())
            .collect()
    }
}

#[test]
fn the_emulator_follows_redraws() {
    let mut s = Screen::new(80);
    s.feed("plan line\r\n  bar a 1\r\n  bar b 1\x1b[1A\r\x1b[2K  bar a 2\r\n\x1b[2K  bar b 2\r\nafter\r\n");
    assert_eq!(s.text(), ["plan line", "  bar a 2", "  bar b 2", "after"]);
}

#[test]
#[ignore = "needs the local Heat: scripts/test starts it (cargo test -- --include-ignored)"]
fn live_lines_never_overwrite_what_was_printed() {
    let (mut s, _tmp) = Scenario::new("tty");
    let names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| format!("{}-{n}", s.cluster))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    s.write_clusters(&names);
    let stubs = s.stub_env();
    let plan = s.coe(&["plan", "-e", &stubs]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    let coe = env!("CARGO_BIN_EXE_coe");
    let command = format!("stty cols 160 rows 40; exec {coe} apply --yes -e {stubs}");
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(&s.dir)
        .env("COE_HEAT_URL", &s.heat)
        .env("COE_POLL_INTERVAL", "0.2")
        .env("TERM", "xterm-256color")
        .env_remove("CI")
        .env_remove("OS_CLOUD")
        .output()
        .expect("`script` (util-linux) runs a command under a pseudo-terminal");
    let raw = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{raw}");
    assert!(raw.contains("\x1b["), "coe drew no live lines: {raw}");
    let mut screen = Screen::new(160);
    screen.feed(&raw);
    let rows = screen.text();

    // Everything printed before the live lines is there, whole, in order:
    // the plan (the same as `coe plan` printed)...
    let mut at = 0;
    for line in plan.stdout.lines().filter(|l| !l.is_empty()) {
        let found = rows[at..].iter().position(|r| r == line);
        assert!(
            found.is_some(),
            "`{line}` is missing or overwritten:\n{}",
            rows.join("\n")
        );
        at += found.unwrap() + 1;
    }
    // ...then one final line per cluster, and everything printed after.
    for n in &names {
        let last = rows
            .iter()
            .filter(|r| r.starts_with(&format!("[{n}]")))
            .count();
        assert_eq!(last, 1, "{n}:\n{}", rows.join("\n"));
        let api = format!("{n}: api_address = https://");
        assert!(
            rows.iter().any(|r| r.starts_with(&api)),
            "{api}:\n{}",
            rows.join("\n")
        );
    }
    let tail: Vec<&String> = rows.iter().filter(|r| !r.is_empty()).collect();
    assert_eq!(
        tail.last().map(|r| r.as_str()),
        Some("Apply complete: 3 stack(s)."),
        "{}",
        rows.join("\n")
    );
    // No row holds two clusters' lines: nothing was drawn over another.
    for r in &rows {
        let clusters = names.iter().filter(|n| r.contains(*n)).count();
        assert!(clusters <= 1, "`{r}` mixes lines:\n{}", rows.join("\n"));
    }

    let r = s.coe(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
