//! Text output shared by the exporters: WTF-8 strings written as JSON string
//! literals (lone surrogates kept as `\uXXXX` escapes, so JavaScript reads
//! back the exact string), as lossy UTF-8 (formats that require UTF-8), and
//! numbers rounded once at the edge.

use std::borrow::Cow;
use std::io::{self, Write};

use tracemalloc_core::wtf8;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How much of a JSON string to escape.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// What JSON requires: quotes, backslashes and control characters.
    Json,
    /// Also `<`, `>`, `&`, U+2028 and U+2029, so the JSON can sit inside an
    /// HTML `<script>` element and never close it.
    Html,
}

fn push_u_escape(out: &mut Vec<u8>, unit: u32) {
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xF) as usize]);
    }
}

/// Appends `bytes` (WTF-8) as a quoted JSON string to `out`.
pub(crate) fn push_json_str(out: &mut Vec<u8>, bytes: &[u8], escape: Escape) {
    out.push(b'"');
    let mut i = 0;
    let mut run = 0;
    let html = escape == Escape::Html;
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x80 {
            // A multi-byte sequence: copied as is, unless it is a lone
            // surrogate (WTF-8), U+2028/U+2029 in HTML, or malformed, which
            // become one \u escape each (U+FFFD for malformed bytes).
            let len = seq_len(bytes, i);
            let surrogate = len == 3 && b == 0xED && bytes[i + 1] >= 0xA0;
            let separator =
                html && len == 3 && b == 0xE2 && bytes[i + 1] == 0x80 && matches!(bytes[i + 2], 0xA8 | 0xA9);
            if len > 1 && !surrogate && !separator {
                i += len;
                continue;
            }
            out.extend_from_slice(&bytes[run..i]);
            let cp = if len == 1 {
                0xFFFD
            } else {
                wtf8::code_points(&bytes[i..i + len]).next().unwrap_or(0xFFFD)
            };
            push_u_escape(out, cp);
            i += len;
            run = i;
            continue;
        }
        let special = match b {
            b'"' | b'\\' | 0..=0x1F => true,
            b'<' | b'>' | b'&' => html,
            _ => false,
        };
        if !special {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => push_u_escape(out, b as u32),
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// Length of the (possibly malformed) sequence at `i`: its declared length
/// when well formed, else 1.
fn seq_len(bytes: &[u8], i: usize) -> usize {
    let len = match bytes[i] {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return 1,
    };
    if i + len <= bytes.len() && bytes[i + 1..i + len].iter().all(|&c| c & 0xC0 == 0x80) {
        len
    } else {
        1
    }
}

/// WTF-8 as UTF-8, lone surrogates and malformed bytes replaced by U+FFFD.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        wtf8::code_points(bytes)
            .map(|cp| char::from_u32(cp).unwrap_or('\u{FFFD}'))
            .collect(),
    )
}

/// An estimate (a sum of weighted sizes or counts) rounded once, for output
/// as an integer; exact sums pass through unchanged.
pub(crate) fn round(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

/// Appends `v` as a JSON number that always carries a fraction or exponent
/// (`1.0`, not `1`), so that readers inferring a column's type see a float
/// from the first row on.
pub(crate) fn push_float(out: &mut Vec<u8>, v: f64) {
    let start = out.len();
    let _ = write!(out, "{v:?}");
    if !out[start..]
        .iter()
        .any(|&c| matches!(c, b'.' | b'e' | b'E' | b'N' | b'i'))
    {
        out.extend_from_slice(b".0");
    }
}

/// Hands the buffer to the writer once it holds 64 KiB or more.
pub(crate) fn flush_if_big<W: Write + ?Sized>(w: &mut W, out: &mut Vec<u8>) -> io::Result<()> {
    if out.len() >= 1 << 16 {
        w.write_all(out)?;
        out.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &[u8], escape: Escape) -> String {
        let mut out = Vec::new();
        push_json_str(&mut out, bytes, escape);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_strings_escape_what_json_needs_and_keep_lone_surrogates() {
        assert_eq!(json(b"a\"b\\c\nd\x01", Escape::Json), r#""a\"b\\c\nd\u0001""#);
        assert_eq!(json("é😀".as_bytes(), Escape::Json), "\"é😀\"");
        let lone = wtf8::from_utf16(&[0x61, 0xDCFF, 0x62]);
        let s = json(&lone, Escape::Json);
        // JavaScript's JSON.parse gives back the lone surrogate itself.
        assert_eq!(s, r#""a\udcffb""#);
        assert_eq!(json(&[0x61, 0xFF, 0x80, 0x62], Escape::Json), r#""a\ufffd\ufffdb""#);
    }

    #[test]
    fn html_escaping_cannot_close_a_script_element() {
        let s = json("</script><!--&\u{2028}".as_bytes(), Escape::Html);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&') && !s.contains('\u{2028}'),
            "{s}"
        );
        let v: String = serde_json::from_str(&s).unwrap();
        assert_eq!(v, "</script><!--&\u{2028}");
    }

    #[test]
    fn floats_always_look_like_floats() {
        let mut out = Vec::new();
        push_float(&mut out, 1.0);
        out.push(b' ');
        push_float(&mut out, 2.5);
        out.push(b' ');
        push_float(&mut out, 1e21);
        assert_eq!(String::from_utf8(out).unwrap(), "1.0 2.5 1e21");
    }

    #[test]
    fn lossy_replaces_surrogates() {
        assert_eq!(lossy(b"plain"), "plain");
        assert_eq!(lossy(&wtf8::from_utf16(&[0x61, 0xD800])), "a\u{FFFD}");
        assert_eq!(round(2.5), 3);
        assert_eq!(round(f64::NAN), 0);
    }
}
