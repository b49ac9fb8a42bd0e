//! Byte-level pieces shared by every section: format errors with byte
//! offsets, the outcome of feeding a chunk, and a resumable JSON string
//! decoder that writes WTF-8.

use tracemalloc_core::error::{Error, ErrorKind, Result};
use tracemalloc_core::wtf8::push_code_point;

/// A `Format` error about the heap snapshot.
pub(crate) fn format_err(message: impl std::fmt::Display) -> Error {
    Error {
        kind: ErrorKind::Format,
        message: format!("heap snapshot: {message}"),
    }
}

/// A `Format` error about the byte at `offset` of the input.
pub(crate) fn err_at(offset: u64, message: impl std::fmt::Display) -> Error {
    format_err(format!("{message} at byte {offset}"))
}

/// Describes a byte for error messages.
pub(crate) fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// JSON whitespace.
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// What a section lexer did with the bytes it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The value ended; this many bytes of the slice belong to it.
    Done(usize),
    /// Every byte was consumed and the value continues in the next chunk.
    More,
}

#[derive(Clone, Copy, Debug, Default)]
enum Esc {
    #[default]
    None,
    Backslash,
    Unicode {
        digits: u8,
        unit: u16,
    },
}

/// Decodes the inside of one JSON string (after the opening quote), resuming
/// across chunk boundaries anywhere, even inside an escape.
///
/// The output is WTF-8: an escaped surrogate pair becomes one 4-byte
/// sequence, a lone surrogate escape (`"\udcff"`) its 3-byte form. Raw bytes
/// are copied as they are; [`sanitize`] repairs invalid UTF-8 in the few
/// strings the parser keeps.
#[derive(Clone, Debug, Default)]
pub(crate) struct StrLexer {
    esc: Esc,
    /// A high surrogate waiting for its low half, or 0.
    high: u16,
}

impl StrLexer {
    /// Feeds string bytes; appends decoded bytes to `out` when `keep`.
    /// `Done(n)` counts the closing quote.
    pub(crate) fn feed(&mut self, buf: &[u8], base: u64, out: &mut Vec<u8>, keep: bool) -> Result<Step> {
        let n = buf.len();
        let mut i = 0;
        while i < n {
            match self.esc {
                Esc::None => {
                    let start = i;
                    while i < n {
                        let b = buf[i];
                        if b == b'"' || b == b'\\' || b < 0x20 {
                            break;
                        }
                        i += 1;
                    }
                    if i > start {
                        self.flush_high(out, keep);
                        if keep {
                            out.extend_from_slice(&buf[start..i]);
                        }
                    }
                    if i == n {
                        break;
                    }
                    match buf[i] {
                        b'"' => {
                            self.flush_high(out, keep);
                            return Ok(Step::Done(i + 1));
                        }
                        b'\\' => self.esc = Esc::Backslash,
                        b => {
                            return Err(err_at(
                                base + i as u64,
                                format!("unescaped control character {} in a string", show(b)),
                            ))
                        }
                    }
                    i += 1;
                }
                Esc::Backslash => {
                    let c = match buf[i] {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.esc = Esc::Unicode { digits: 0, unit: 0 };
                            i += 1;
                            continue;
                        }
                        b => {
                            return Err(err_at(
                                base + i as u64,
                                format!("invalid escape \\{} in a string", show(b)),
                            ))
                        }
                    };
                    self.flush_high(out, keep);
                    if keep {
                        out.push(c);
                    }
                    self.esc = Esc::None;
                    i += 1;
                }
                Esc::Unicode { digits, unit } => {
                    let b = buf[i];
                    let d = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        b'A'..=b'F' => b - b'A' + 10,
                        _ => {
                            return Err(err_at(
                                base + i as u64,
                                format!("invalid \\u escape: {} is not a hex digit", show(b)),
                            ))
                        }
                    };
                    let unit = (unit << 4) | u16::from(d);
                    i += 1;
                    if digits == 3 {
                        self.esc = Esc::None;
                        self.unit(unit, out, keep);
                    } else {
                        self.esc = Esc::Unicode {
                            digits: digits + 1,
                            unit,
                        };
                    }
                }
            }
        }
        Ok(Step::More)
    }

    fn unit(&mut self, u: u16, out: &mut Vec<u8>, keep: bool) {
        if (0xDC00..0xE000).contains(&u) && self.high != 0 {
            let cp = 0x10000 + ((u32::from(self.high) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
            self.high = 0;
            if keep {
                push_code_point(cp, out);
            }
            return;
        }
        self.flush_high(out, keep);
        if (0xD800..0xDC00).contains(&u) {
            self.high = u;
        } else if keep {
            push_code_point(u32::from(u), out);
        }
    }

    #[inline]
    fn flush_high(&mut self, out: &mut Vec<u8>, keep: bool) {
        if self.high != 0 {
            if keep {
                push_code_point(u32::from(self.high), out);
            }
            self.high = 0;
        }
    }
}

/// Makes `bytes` valid WTF-8 in place: invalid UTF-8 becomes U+FFFD, a raw
/// surrogate pair (CESU-8 style) is joined into one code point, and lone
/// raw surrogates are kept.
pub(crate) fn sanitize(bytes: &mut Vec<u8>) {
    if std::str::from_utf8(bytes).is_ok() {
        return;
    }
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut rest: &[u8] = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(_) => {
                out.extend_from_slice(rest);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.extend_from_slice(&rest[..good]);
                rest = &rest[good..];
                if let Some(hi) = surrogate_at(rest) {
                    let lo = surrogate_at(&rest[3..]).filter(|&lo| lo >= 0xDC00);
                    match lo {
                        Some(lo) if hi < 0xDC00 => {
                            push_code_point(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), &mut out);
                            rest = &rest[6..];
                        }
                        _ => {
                            out.extend_from_slice(&rest[..3]);
                            rest = &rest[3..];
                        }
                    }
                } else {
                    out.extend_from_slice("\u{FFFD}".as_bytes());
                    let skip = e.error_len().unwrap_or(rest.len()).max(1);
                    rest = &rest[skip..];
                }
            }
        }
    }
    *bytes = out;
}

/// The surrogate encoded (generalized UTF-8, 3 bytes) at the start of `b`.
fn surrogate_at(b: &[u8]) -> Option<u32> {
    match b {
        [0xED, b1 @ 0xA0..=0xBF, b2 @ 0x80..=0xBF, ..] => {
            Some(0xD000 | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F))
        }
        _ => None,
    }
}
