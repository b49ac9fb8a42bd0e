//! A pull reader of JSON tokens from a byte stream, with an explicit
//! container stack (no recursion, so any nesting depth that fits in memory
//! reads) and a byte offset for every token, for error messages.

use std::io::Read;

use tracemalloc_core::{Error, ErrorKind, Result};

use crate::heapsnapshot::lexer::{is_ws, sanitize, show, Step, StrLexer};
use crate::import::read_error;

/// Bytes read from the input at a time.
const CHUNK: usize = 256 << 10;
/// Longest string kept (a `data:` URL can be long, but not this long).
pub(crate) const MAX_STRING: usize = 16 << 20;
/// Deepest nesting accepted (each level costs a byte of the stack).
const MAX_DEPTH: usize = 1 << 26;
/// Longest number accepted, in characters.
const MAX_NUMBER: usize = 64;

/// One token. The text of `Key` and `Str` is in [`Json::text`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Tok {
    ObjStart,
    ObjEnd,
    ArrStart,
    ArrEnd,
    Key,
    Str,
    Num(f64),
    Bool(bool),
    Null,
    /// The end of the input, after the top-level value.
    End,
}

impl Tok {
    /// What the token is, for error messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Tok::ObjStart => "an object",
            Tok::ObjEnd => "'}'",
            Tok::ArrStart => "an array",
            Tok::ArrEnd => "']'",
            Tok::Key => "a key",
            Tok::Str => "a string",
            Tok::Num(_) => "a number",
            Tok::Bool(_) => "a boolean",
            Tok::Null => "null",
            Tok::End => "the end of the input",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// A value must come.
    Value,
    /// A value or `]`, just after `[`.
    ValueOrClose,
    /// A key or `}`, just after `{`.
    KeyOrClose,
    /// A key, after `,` in an object.
    Key,
    /// `,` or the closing bracket, after a value.
    After,
    /// The top-level value has ended.
    Done,
}

/// A `Format` error about the heap profile.
pub(crate) fn format_err(message: impl std::fmt::Display) -> Error {
    Error {
        kind: ErrorKind::Format,
        message: format!("heap profile: {message}"),
    }
}

/// A `Format` error about the byte at `at`.
pub(crate) fn err_at(at: u64, message: impl std::fmt::Display) -> Error {
    format_err(format!("{message} at byte {at}"))
}

/// Reads JSON tokens from `R`.
pub(crate) struct Json<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Offset in the input of `buf[0]`.
    base: u64,
    eof: bool,
    /// Open containers, innermost last: true for an object.
    stack: Vec<bool>,
    state: State,
    /// The decoded text of the last `Key` or `Str` (WTF-8).
    pub text: Vec<u8>,
    /// Offset of the last token's first byte.
    pub at: u64,
    number: Vec<u8>,
}

impl<R: Read> Json<R> {
    /// A reader of one JSON document of about `total` bytes from `input`.
    pub(crate) fn new(input: R, total: u64) -> Self {
        Self {
            input,
            buf: vec![0; CHUNK.min(usize::try_from(total).unwrap_or(CHUNK).max(4096))],
            pos: 0,
            len: 0,
            base: 0,
            eof: false,
            stack: Vec::new(),
            state: State::Value,
            text: Vec::new(),
            at: 0,
            number: Vec::new(),
        }
    }

    /// The offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Gives the reader back (after [`Tok::End`]).
    pub(crate) fn into_inner(self) -> R {
        self.input
    }

    /// Makes bytes available; false at the end of the input.
    fn fill(&mut self) -> Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.base += self.len as u64;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e, self.base)),
            }
        }
    }

    /// The next byte that is not whitespace, not consumed; `None` at the end.
    fn peek_non_ws(&mut self) -> Result<Option<u8>> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            while self.pos < self.len {
                let b = self.buf[self.pos];
                if !is_ws(b) {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
        }
    }

    fn truncated(&self) -> Error {
        let inside = match self.stack.last() {
            Some(true) => "inside an object",
            Some(false) => "inside an array",
            None => "before the top-level value",
        };
        err_at(self.offset(), format!("truncated input: it ends {inside}"))
    }

    /// The next token.
    pub(crate) fn next(&mut self) -> Result<Tok> {
        loop {
            let Some(b) = self.peek_non_ws()? else {
                return if self.state == State::Done {
                    Ok(Tok::End)
                } else {
                    Err(self.truncated())
                };
            };
            self.at = self.offset();
            match self.state {
                State::Done => return Err(err_at(self.at, format!("unexpected {} after the end", show(b)))),
                State::After => {
                    self.pos += 1;
                    let in_object = self.stack.last() == Some(&true);
                    match (b, in_object) {
                        (b',', true) => self.state = State::Key,
                        (b',', false) => self.state = State::Value,
                        (b'}', true) => return Ok(self.close(Tok::ObjEnd)),
                        (b']', false) => return Ok(self.close(Tok::ArrEnd)),
                        _ => {
                            let want = if in_object { "',' or '}'" } else { "',' or ']'" };
                            return Err(err_at(self.at, format!("expected {want}, found {}", show(b))));
                        }
                    }
                }
                State::KeyOrClose | State::Key => {
                    self.pos += 1;
                    match b {
                        b'}' if self.state == State::KeyOrClose => return Ok(self.close(Tok::ObjEnd)),
                        b'"' => {
                            self.string()?;
                            match self.peek_non_ws()? {
                                Some(b':') => self.pos += 1,
                                Some(c) => {
                                    return Err(err_at(self.offset(), format!("expected ':', found {}", show(c))))
                                }
                                None => return Err(self.truncated()),
                            }
                            self.state = State::Value;
                            return Ok(Tok::Key);
                        }
                        _ => return Err(err_at(self.at, format!("expected an object key, found {}", show(b)))),
                    }
                }
                State::Value | State::ValueOrClose => {
                    if b == b']' && self.state == State::ValueOrClose {
                        self.pos += 1;
                        return Ok(self.close(Tok::ArrEnd));
                    }
                    return self.value(b);
                }
            }
        }
    }

    /// Ends the innermost container.
    fn close(&mut self, tok: Tok) -> Tok {
        self.stack.pop();
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::After
        };
        tok
    }

    fn open(&mut self, object: bool) -> Result<Tok> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err_at(self.at, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.pos += 1;
        self.stack.push(object);
        Ok(if object {
            self.state = State::KeyOrClose;
            Tok::ObjStart
        } else {
            self.state = State::ValueOrClose;
            Tok::ArrStart
        })
    }

    /// A scalar or the start of a container; `b` is its first byte.
    fn value(&mut self, b: u8) -> Result<Tok> {
        let tok = match b {
            b'{' => return self.open(true),
            b'[' => return self.open(false),
            b'"' => {
                self.pos += 1;
                self.string()?;
                Tok::Str
            }
            b'-' | b'0'..=b'9' => Tok::Num(self.number()?),
            b't' => {
                self.literal(b"true")?;
                Tok::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Tok::Bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                Tok::Null
            }
            _ => return Err(err_at(self.at, format!("expected a value, found {}", show(b)))),
        };
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::After
        };
        Ok(tok)
    }

    /// Decodes a string whose opening quote was consumed into `text`.
    fn string(&mut self) -> Result<()> {
        self.text.clear();
        let mut lexer = StrLexer::default();
        loop {
            if !self.fill()? {
                return Err(err_at(self.offset(), "truncated input: it ends inside a string"));
            }
            let at = self.offset();
            let step = lexer.feed(&self.buf[self.pos..self.len], at, &mut self.text, true)?;
            if self.text.len() > MAX_STRING {
                return Err(err_at(self.at, format!("a string is longer than {MAX_STRING} bytes")));
            }
            match step {
                Step::Done(n) => {
                    self.pos += n;
                    sanitize(&mut self.text);
                    return Ok(());
                }
                Step::More => self.pos = self.len,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        for &want in word {
            if !self.fill()? {
                return Err(self.truncated());
            }
            let b = self.buf[self.pos];
            if b != want {
                return Err(err_at(self.offset(), format!("unexpected {}", show(b))));
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// Reads a number with JSON's grammar.
    fn number(&mut self) -> Result<f64> {
        self.number.clear();
        loop {
            if !self.fill()? {
                break;
            }
            let b = self.buf[self.pos];
            if !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                break;
            }
            if self.number.len() >= MAX_NUMBER {
                return Err(err_at(
                    self.at,
                    format!("a number is longer than {MAX_NUMBER} characters"),
                ));
            }
            self.number.push(b);
            self.pos += 1;
        }
        if !json_number(&self.number) {
            return Err(err_at(
                self.at,
                format!("malformed number {:?}", String::from_utf8_lossy(&self.number)),
            ));
        }
        std::str::from_utf8(&self.number)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| err_at(self.at, "a number is out of range"))
    }

    /// Skips the value whose first token is `first`.
    pub(crate) fn skip(&mut self, first: Tok) -> Result<()> {
        let mut depth = match first {
            Tok::ObjStart | Tok::ArrStart => 1usize,
            _ => return Ok(()),
        };
        while depth > 0 {
            match self.next()? {
                Tok::ObjStart | Tok::ArrStart => depth += 1,
                Tok::ObjEnd | Tok::ArrEnd => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }
}

/// True when `s` is a number in JSON's grammar:
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_number(s: &[u8]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(doc: &str) -> Result<Vec<Tok>> {
        let mut j = Json::new(doc.as_bytes(), doc.len() as u64);
        let mut out = Vec::new();
        loop {
            let t = j.next()?;
            out.push(t);
            if t == Tok::End {
                return Ok(out);
            }
        }
    }

    #[test]
    fn reads_every_kind_of_token() {
        use Tok::*;
        let t = tokens(r#" {"a":[1,-2.5e3,true,false,null,"x\u00e9"],"b":{}} "#).unwrap();
        assert_eq!(
            t,
            vec![
                ObjStart,
                Key,
                ArrStart,
                Num(1.0),
                Num(-2500.0),
                Bool(true),
                Bool(false),
                Null,
                Str,
                ArrEnd,
                Key,
                ObjStart,
                ObjEnd,
                ObjEnd,
                End
            ]
        );
        assert_eq!(tokens("7").unwrap(), vec![Num(7.0), End]);
    }

    #[test]
    fn rejects_malformed_json_with_an_offset() {
        for bad in [
            "",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1:2}",
            "[01]",
            "[1.]",
            "[-]",
            "[1e]",
            "[tru]",
            "{} {}",
            "[\"a]",
            "[1}",
            "{\"a\":1]",
            "[1e999]",
        ] {
            let e = tokens(bad).err().unwrap_or_else(|| panic!("{bad:?} parsed"));
            assert_eq!(e.kind, ErrorKind::Format, "{bad:?}");
            assert!(e.message.contains("at byte"), "{bad:?}: {}", e.message);
        }
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let depth = 300_000;
        let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let n = std::thread::Builder::new()
            .stack_size(128 << 10)
            .spawn(move || tokens(&doc).unwrap().len())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(n, 2 * depth + 1);
    }
}
