//! The `strings` section: a list of JSON strings, of which the parser keeps
//! only those a result needs (function and script names, the names of
//! possible ArrayBuffer backing stores); the rest are validated and dropped.

use super::lexer::{err_at, is_ws, sanitize, show, Step, StrLexer};
use tracemalloc_core::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    FirstOrClose,
    Value,
    After,
    Str,
}

/// Scans the `strings` value.
pub(crate) struct StringsParser {
    state: State,
    lexer: StrLexer,
    /// Sorted, distinct indices of the strings to keep.
    wanted: Vec<u32>,
    next_wanted: usize,
    keep_current: bool,
    current: Vec<u8>,
    max_strings: u64,
    max_bytes: u64,
    kept_bytes: u64,
    /// Strings read so far.
    pub count: u64,
    /// The kept strings, in the order of `wanted`.
    pub kept: Vec<Vec<u8>>,
}

impl StringsParser {
    /// A parser keeping the strings at the sorted, distinct `wanted` indices.
    pub(crate) fn new(wanted: Vec<u32>, max_strings: u64, max_bytes: u64) -> Self {
        Self {
            state: State::Open,
            lexer: StrLexer::default(),
            kept: Vec::with_capacity(wanted.len()),
            wanted,
            next_wanted: 0,
            keep_current: false,
            current: Vec::new(),
            max_strings,
            max_bytes,
            kept_bytes: 0,
            count: 0,
        }
    }

    /// The indices asked for, sorted.
    pub(crate) fn wanted(&self) -> &[u32] {
        &self.wanted
    }

    /// Feeds bytes; `Done(n)` after the closing bracket.
    pub(crate) fn feed(&mut self, buf: &[u8], base: u64) -> Result<Step> {
        let n = buf.len();
        let mut i = 0;
        while i < n {
            if self.state == State::Str {
                let step = self
                    .lexer
                    .feed(&buf[i..], base + i as u64, &mut self.current, self.keep_current)?;
                if self.kept_bytes + self.current.len() as u64 > self.max_bytes {
                    return Err(err_at(
                        base + i as u64,
                        format!("the kept strings exceed {} bytes, the limit", self.max_bytes),
                    ));
                }
                match step {
                    Step::Done(k) => {
                        i += k;
                        self.end_string();
                        self.state = State::After;
                        continue;
                    }
                    Step::More => return Ok(Step::More),
                }
            }
            let b = buf[i];
            let at = base + i as u64;
            i += 1;
            if is_ws(b) {
                continue;
            }
            match (self.state, b) {
                (State::Open, b'[') => self.state = State::FirstOrClose,
                (State::FirstOrClose | State::Value, b'"') => {
                    if self.count >= self.max_strings {
                        return Err(err_at(
                            at,
                            format!("strings holds more than {} strings, the limit", self.max_strings),
                        ));
                    }
                    self.keep_current = self
                        .wanted
                        .get(self.next_wanted)
                        .is_some_and(|&w| u64::from(w) == self.count);
                    self.state = State::Str;
                }
                (State::FirstOrClose | State::After, b']') => return Ok(Step::Done(i)),
                (State::After, b',') => self.state = State::Value,
                (state, _) => {
                    let want = match state {
                        State::Open => "'['",
                        State::After => "',' or ']'",
                        _ => "a string",
                    };
                    return Err(err_at(at, format!("strings: expected {want}, found {}", show(b))));
                }
            }
        }
        Ok(Step::More)
    }

    fn end_string(&mut self) {
        if self.keep_current {
            let mut s = std::mem::take(&mut self.current);
            sanitize(&mut s);
            self.kept_bytes += s.len() as u64;
            self.kept.push(s);
            self.next_wanted += 1;
        }
        self.current.clear();
        self.count += 1;
    }
}
