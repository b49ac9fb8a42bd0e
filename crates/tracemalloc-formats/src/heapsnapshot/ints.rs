//! The hot path: a resumable scanner for flat arrays of integers (`nodes`,
//! `edges`, `trace_function_infos`), handing out fixed-width records.

use super::lexer::{err_at, is_ws, show, Step};
use tracemalloc_core::error::Result;

/// Receives each complete record of a flat integer array.
pub(crate) trait RecordSink {
    /// One record; `at` is the byte offset of its last value.
    fn record(&mut self, rec: &[i64], at: u64) -> Result<()>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    FirstOrClose,
    Value,
    After,
    Number,
}

/// Bytes that must remain in a chunk for the fast path: a sign, 18 digits,
/// a newline and a comma, with room to spare.
const FAST_MARGIN: usize = 24;

/// Scans `[int, int, ...]`, grouping values into records of `width`.
pub(crate) struct IntArray {
    state: State,
    neg: bool,
    digits: u32,
    val: u64,
    rec: Vec<i64>,
    pos: usize,
    /// Values read so far.
    pub values: u64,
}

impl IntArray {
    /// A scanner for records of `width` values (at least 1).
    pub(crate) fn new(width: usize) -> Self {
        Self {
            state: State::Open,
            neg: false,
            digits: 0,
            val: 0,
            rec: vec![0; width.max(1)],
            pos: 0,
            values: 0,
        }
    }

    /// True when the values read so far form whole records.
    pub(crate) fn whole_records(&self) -> bool {
        self.pos == 0
    }

    /// Feeds bytes; `Done(n)` after the closing bracket.
    pub(crate) fn feed<S: RecordSink>(&mut self, buf: &[u8], base: u64, sink: &mut S) -> Result<Step> {
        let n = buf.len();
        let mut i = 0;
        let mut state = self.state;
        let mut val = self.val;
        let mut digits = self.digits;
        while i < n {
            if matches!(state, State::Value | State::FirstOrClose) {
                // The fast path: `[-]digits[\n],` while the chunk surely holds
                // a whole number and its comma (V8 ends each record with
                // "\n,"). Anything else goes to the checking path below.
                let mut pos = self.pos;
                let mut values = 0u64;
                while n - i >= FAST_MARGIN {
                    let mut j = i;
                    let neg = buf[j] == b'-';
                    j += usize::from(neg);
                    let start = j;
                    let mut v = 0u64;
                    while j - start < 18 {
                        let d = buf[j].wrapping_sub(b'0');
                        if d > 9 {
                            break;
                        }
                        v = v * 10 + u64::from(d);
                        j += 1;
                    }
                    let nd = j - start;
                    if nd == 0 || buf[j].is_ascii_digit() || (nd > 1 && buf[start] == b'0') {
                        break;
                    }
                    let k = j + usize::from(buf[j] == b'\n');
                    if buf[k] != b',' {
                        break;
                    }
                    self.rec[pos] = if neg { -(v as i64) } else { v as i64 };
                    pos += 1;
                    values += 1;
                    if pos == self.rec.len() {
                        pos = 0;
                        if let Err(e) = sink.record(&self.rec, base + j as u64) {
                            self.pos = pos;
                            return Err(e);
                        }
                    }
                    i = k + 1;
                    state = State::Value;
                }
                self.pos = pos;
                self.values += values;
            }
            if state == State::Number {
                while i < n {
                    let d = buf[i].wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    if digits == 1 && val == 0 {
                        return Err(err_at(base + i as u64, "a number has a leading zero"));
                    }
                    val = match val.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
                        Some(v) if v <= i64::MAX as u64 => v,
                        _ => return Err(err_at(base + i as u64, "an integer is too large")),
                    };
                    digits += 1;
                    i += 1;
                }
                if i == n {
                    break;
                }
                let at = base + i as u64;
                if digits == 0 {
                    return Err(err_at(
                        at,
                        format!("expected a digit after '-', found {}", show(buf[i])),
                    ));
                }
                if matches!(buf[i], b'.' | b'e' | b'E') {
                    return Err(err_at(at, "expected an integer, found a fraction or exponent"));
                }
                self.rec[self.pos] = if self.neg { -(val as i64) } else { val as i64 };
                self.pos += 1;
                self.values += 1;
                if self.pos == self.rec.len() {
                    self.pos = 0;
                    sink.record(&self.rec, at)?;
                }
                state = State::After;
            }
            let b = buf[i];
            let at = base + i as u64;
            i += 1;
            if is_ws(b) {
                continue;
            }
            match state {
                State::Open => {
                    if b != b'[' {
                        return Err(err_at(at, format!("expected '[', found {}", show(b))));
                    }
                    state = State::FirstOrClose;
                }
                State::FirstOrClose | State::Value => match b {
                    b'0'..=b'9' => {
                        state = State::Number;
                        self.neg = false;
                        val = u64::from(b - b'0');
                        digits = 1;
                    }
                    b'-' => {
                        state = State::Number;
                        self.neg = true;
                        val = 0;
                        digits = 0;
                    }
                    b']' if state == State::FirstOrClose => {
                        self.state = State::After;
                        return Ok(Step::Done(i));
                    }
                    _ => return Err(err_at(at, format!("expected an integer, found {}", show(b)))),
                },
                State::After => match b {
                    b',' => state = State::Value,
                    b']' => {
                        self.state = State::After;
                        return Ok(Step::Done(i));
                    }
                    _ => return Err(err_at(at, format!("expected ',' or ']', found {}", show(b)))),
                },
                // Numbers are consumed above, before `b` is read.
                State::Number => {}
            }
        }
        self.state = state;
        self.val = val;
        self.digits = digits;
        Ok(Step::More)
    }
}
