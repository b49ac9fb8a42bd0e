//! WTF-8: the UTF-8 superset that can also hold lone surrogates.
//!
//! JavaScript strings (and Python's surrogate-escaped file names) may carry
//! lone UTF-16 surrogates, which Rust's `String` cannot hold. The engine keeps
//! every string as WTF-8 bytes instead. A surrogate pair is always encoded as
//! one 4-byte sequence, so comparing the bytes with `memcmp` orders strings
//! by Unicode code point, which is how Python compares `str`.

/// Encodes UTF-16 code units as WTF-8, appending to `out`.
pub fn push_utf16(units: &[u16], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < units.len() {
        let u = units[i] as u32;
        i += 1;
        let cp = if (0xD800..0xDC00).contains(&u) && i < units.len() {
            let lo = units[i] as u32;
            if (0xDC00..0xE000).contains(&lo) {
                i += 1;
                0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
            } else {
                u
            }
        } else {
            u
        };
        push_code_point(cp, out);
    }
}

/// Encodes UTF-16 code units as a new WTF-8 byte vector.
pub fn from_utf16(units: &[u16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(units.len());
    push_utf16(units, &mut out);
    out
}

/// Appends one code point (surrogates included) in its generalized UTF-8 form.
pub fn push_code_point(cp: u32, out: &mut Vec<u8>) {
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
    }
}

/// Decodes WTF-8 bytes into code points.
///
/// The engine only decodes bytes it encoded itself; a malformed byte is
/// yielded as U+FFFD rather than trusted, so this never panics.
pub fn code_points(bytes: &[u8]) -> CodePoints<'_> {
    CodePoints { bytes, pos: 0 }
}

/// Iterator returned by [`code_points`].
pub struct CodePoints<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let b = self.bytes;
        let p = self.pos;
        let b0 = *b.get(p)? as u32;
        let (len, init) = match b0 {
            0x00..=0x7F => (1, b0),
            0xC0..=0xDF => (2, b0 & 0x1F),
            0xE0..=0xEF => (3, b0 & 0x0F),
            0xF0..=0xF7 => (4, b0 & 0x07),
            _ => {
                self.pos += 1;
                return Some(0xFFFD);
            }
        };
        if p + len > b.len() || b[p + 1..p + len].iter().any(|&c| c & 0xC0 != 0x80) {
            self.pos += 1;
            return Some(0xFFFD);
        }
        let cp = b[p + 1..p + len]
            .iter()
            .fold(init, |acc, &c| (acc << 6) | (c as u32 & 0x3F));
        self.pos += len;
        Some(cp)
    }
}

/// Appends the UTF-16 form of WTF-8 bytes to `out`.
pub fn push_to_utf16(bytes: &[u8], out: &mut Vec<u16>) {
    for cp in code_points(bytes) {
        if cp >= 0x10000 {
            let v = cp - 0x10000;
            out.push(0xD800 | (v >> 10) as u16);
            out.push(0xDC00 | (v & 0x3FF) as u16);
        } else {
            out.push(cp as u16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn round_trips_lone_surrogates_and_pairs() {
        let mut input = units("a\u{e9}\u{1F600}z");
        input.insert(1, 0xDCFF);
        input.push(0xD800);
        let bytes = from_utf16(&input);
        let mut back = Vec::new();
        push_to_utf16(&bytes, &mut back);
        assert_eq!(back, input);
        let cps: Vec<u32> = code_points(&bytes).collect();
        assert_eq!(cps, vec![0x61, 0xDCFF, 0xE9, 0x1F600, 0x7A, 0xD800]);
    }

    #[test]
    fn byte_order_is_code_point_order() {
        // U+FF01 < U+1F600 by code point, though not by UTF-16 unit.
        let a = from_utf16(&units("\u{FF01}"));
        let b = from_utf16(&units("\u{1F600}"));
        assert!(a < b);
        let lone = from_utf16(&[0xDCFF]);
        let e000 = from_utf16(&units("\u{E000}"));
        let d7ff = from_utf16(&units("\u{D7FF}"));
        assert!(d7ff < lone && lone < e000);
    }

    #[test]
    fn malformed_bytes_do_not_panic() {
        let cps: Vec<u32> = code_points(&[0xFF, 0xE2, 0x82, 0x41]).collect();
        assert_eq!(cps, vec![0xFFFD, 0xFFFD, 0xFFFD, 0x41]);
    }
}
