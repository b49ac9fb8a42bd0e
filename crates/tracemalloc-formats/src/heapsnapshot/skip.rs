//! A resumable, validating consumer of one JSON value of any shape: used to
//! skip sections the parser does not need (`samples`, `locations`, unknown
//! keys) and to capture the small `snapshot` meta object for [`super::meta`].
//!
//! It checks the full JSON grammar with an explicit stack (no recursion), so
//! a malformed skipped section is still reported.

use super::lexer::{err_at, is_ws, show, Step, StrLexer};
use tracemalloc_core::error::Result;

/// Deepest nesting a skipped value may have.
const MAX_DEPTH: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// A value must come (after `:` or `,` in an array, or at the start).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// Inside a string; `key` when it is an object key.
    Str {
        key: bool,
    },
    Colon,
    /// After a value: `,` or the closing bracket.
    After,
    Number(Num),
    Literal {
        word: &'static [u8],
        pos: u8,
    },
}

/// Consumes one JSON value, optionally copying its bytes.
pub(crate) struct Skipper {
    state: State,
    /// Open containers, innermost last; `true` for an object.
    stack: Vec<bool>,
    strings: StrLexer,
    scratch: Vec<u8>,
    capture: Option<(Vec<u8>, usize)>,
}

impl Skipper {
    /// A skipper that drops what it reads.
    pub(crate) fn new() -> Self {
        Self {
            state: State::Value,
            stack: Vec::new(),
            strings: StrLexer::default(),
            scratch: Vec::new(),
            capture: None,
        }
    }

    /// A skipper that keeps the value's bytes, up to `limit` of them.
    pub(crate) fn capturing(limit: usize) -> Self {
        Self {
            capture: Some((Vec::new(), limit)),
            ..Self::new()
        }
    }

    /// The captured bytes.
    pub(crate) fn into_captured(self) -> Vec<u8> {
        self.capture.map(|(b, _)| b).unwrap_or_default()
    }

    /// Feeds bytes; `Done(n)` when the value ended after `n` bytes (a number
    /// ends at the first byte after it, which is not consumed).
    pub(crate) fn feed(&mut self, buf: &[u8], base: u64) -> Result<Step> {
        let r = self.run(buf, base);
        if let Some((cap, limit)) = &mut self.capture {
            let used = match r {
                Ok(Step::Done(n)) => n,
                _ => buf.len(),
            };
            if cap.len() + used > *limit {
                return Err(err_at(
                    base,
                    format!("the snapshot meta object is larger than {limit} bytes"),
                ));
            }
            cap.extend_from_slice(&buf[..used]);
        }
        r
    }

    fn run(&mut self, buf: &[u8], base: u64) -> Result<Step> {
        let n = buf.len();
        let mut i = 0;
        while i < n {
            let b = buf[i];
            let at = base + i as u64;
            match self.state {
                State::Str { key } => match self.strings.feed(&buf[i..], at, &mut self.scratch, false)? {
                    Step::Done(k) => {
                        i += k;
                        self.state = if key { State::Colon } else { State::After };
                        if !key && self.stack.is_empty() {
                            return Ok(Step::Done(i));
                        }
                        continue;
                    }
                    Step::More => return Ok(Step::More),
                },
                State::Number(num) => {
                    let next = match (num, b) {
                        (Num::Minus, b'0') => Some(Num::Zero),
                        (Num::Minus, b'1'..=b'9') => Some(Num::Int),
                        (Num::Int, b'0'..=b'9') => Some(Num::Int),
                        (Num::Zero | Num::Int, b'.') => Some(Num::Dot),
                        (Num::Dot | Num::Frac, b'0'..=b'9') => Some(Num::Frac),
                        (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Some(Num::Exp),
                        (Num::Exp, b'+' | b'-') => Some(Num::ExpSign),
                        (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Some(Num::ExpDigits),
                        _ => None,
                    };
                    match next {
                        Some(s) => {
                            self.state = State::Number(s);
                            i += 1;
                        }
                        None if matches!(num, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits) => {
                            self.state = State::After;
                            if self.stack.is_empty() {
                                return Ok(Step::Done(i));
                            }
                        }
                        None => return Err(err_at(at, format!("malformed number before {}", show(b)))),
                    }
                }
                State::Literal { word, pos } => {
                    if b != word[pos as usize] {
                        return Err(err_at(at, format!("unexpected {}", show(b))));
                    }
                    i += 1;
                    if pos as usize + 1 == word.len() {
                        self.state = State::After;
                        if self.stack.is_empty() {
                            return Ok(Step::Done(i));
                        }
                    } else {
                        self.state = State::Literal { word, pos: pos + 1 };
                    }
                }
                _ if is_ws(b) => i += 1,
                State::Value | State::ValueOrClose => {
                    i += 1;
                    self.state = match b {
                        b'{' => {
                            self.push(at)?;
                            self.stack.push(true);
                            State::KeyOrClose
                        }
                        b'[' => {
                            self.push(at)?;
                            self.stack.push(false);
                            State::ValueOrClose
                        }
                        b']' if matches!(self.state, State::ValueOrClose) => {
                            self.stack.pop();
                            if self.stack.is_empty() {
                                return Ok(Step::Done(i));
                            }
                            State::After
                        }
                        b'"' => State::Str { key: false },
                        b'-' => State::Number(Num::Minus),
                        b'0' => State::Number(Num::Zero),
                        b'1'..=b'9' => State::Number(Num::Int),
                        b't' => State::Literal { word: b"true", pos: 1 },
                        b'f' => State::Literal { word: b"false", pos: 1 },
                        b'n' => State::Literal { word: b"null", pos: 1 },
                        _ => return Err(err_at(at, format!("expected a value, found {}", show(b)))),
                    };
                }
                State::KeyOrClose | State::Key => {
                    i += 1;
                    self.state = match b {
                        b'"' => State::Str { key: true },
                        b'}' if matches!(self.state, State::KeyOrClose) => {
                            self.stack.pop();
                            if self.stack.is_empty() {
                                return Ok(Step::Done(i));
                            }
                            State::After
                        }
                        _ => return Err(err_at(at, format!("expected an object key, found {}", show(b)))),
                    };
                }
                State::Colon => {
                    if b != b':' {
                        return Err(err_at(at, format!("expected ':', found {}", show(b))));
                    }
                    i += 1;
                    self.state = State::Value;
                }
                State::After => {
                    let in_object = *self.stack.last().unwrap_or(&false);
                    i += 1;
                    self.state = match (b, in_object) {
                        (b',', true) => State::Key,
                        (b',', false) => State::Value,
                        (b'}', true) | (b']', false) => {
                            self.stack.pop();
                            if self.stack.is_empty() {
                                return Ok(Step::Done(i));
                            }
                            State::After
                        }
                        _ => {
                            let want = if in_object { "',' or '}'" } else { "',' or ']'" };
                            return Err(err_at(at, format!("expected {want}, found {}", show(b))));
                        }
                    };
                }
            }
        }
        Ok(Step::More)
    }

    fn push(&self, at: u64) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(
                at,
                format!("a skipped value is nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }
}
