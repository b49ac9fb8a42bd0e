//! Byte-level encodings of the native format: LEB128 varints, zigzag,
//! byte planes of narrowed integers, and a bounds-checked cursor whose
//! errors name the section and the offset where the payload went wrong.

use rayon::prelude::*;
use tracemalloc_core::error::{Error, ErrorKind, Result};

/// A `Format` error (a malformed file), with `message` as is.
pub(crate) fn format_err(message: impl Into<String>) -> Error {
    Error {
        kind: ErrorKind::Format,
        message: message.into(),
    }
}

/// Appends `v` as an unsigned LEB128 varint (7 bits per byte, low first).
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Maps a signed value to an unsigned one, small magnitudes first
/// (0, -1, 1, -2, ... become 0, 1, 2, 3, ...).
#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub(crate) fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Bytes needed to hold `max` (0 for 0).
pub(crate) fn width_of(max: u64) -> usize {
    (64 - max.leading_zeros() as usize).div_ceil(8)
}

/// From this many values on, byte planes are written and read in parallel.
const PARALLEL_VALUES: usize = 1 << 16;

/// Appends `width` byte planes of `n` bytes each: plane `k` holds byte `k`
/// (little-endian) of every value, value `i` (`value(i)`) at position
/// `slot[i]` (or `i` without `slot`), so that similar high bytes sit
/// together and compress well. `width` must hold the largest value; `slot`
/// must be a permutation. Large planes are written by one task each.
pub(crate) fn put_planes(
    out: &mut Vec<u8>,
    n: usize,
    value: impl Fn(usize) -> u64 + Sync,
    slot: Option<&[u32]>,
    width: usize,
) {
    let base = out.len();
    out.resize(base + n * width, 0);
    if n == 0 {
        return;
    }
    let fill = |(k, plane): (usize, &mut [u8])| {
        let shift = 8 * k as u32;
        match slot {
            Some(slot) => {
                for (i, &s) in slot.iter().enumerate() {
                    plane[s as usize] = (value(i) >> shift) as u8;
                }
            }
            None => {
                for (i, o) in plane.iter_mut().enumerate() {
                    *o = (value(i) >> shift) as u8;
                }
            }
        }
    };
    if n >= PARALLEL_VALUES {
        out[base..].par_chunks_exact_mut(n).enumerate().for_each(fill);
    } else {
        out[base..].chunks_exact_mut(n).enumerate().for_each(fill);
    }
}

/// Appends a column of `n` integers: a width byte `w` (the bytes of the
/// largest value, at least 1, so that every value takes a byte) and `w`
/// byte planes (see [`put_planes`]). `max` is the largest value when the
/// caller knows it.
pub(crate) fn put_column(
    out: &mut Vec<u8>,
    n: usize,
    value: impl Fn(usize) -> u64 + Sync,
    slot: Option<&[u32]>,
    max: Option<u64>,
) {
    let max = max.unwrap_or_else(|| (0..n).map(&value).max().unwrap_or(0));
    let width = width_of(max).max(1);
    out.push(width as u8);
    put_planes(out, n, value, slot, width);
}

/// Reads `n` values of `width` bytes (1 to 8) stored as byte planes (see
/// [`put_planes`]), in file order; `planes` must be exactly `n * width` bytes.
pub(crate) fn get_planes<T: Copy + Default + Send>(
    planes: &[u8],
    n: usize,
    width: usize,
    f: impl Fn(u64) -> T + Sync,
) -> Vec<T> {
    debug_assert_eq!(planes.len(), n * width);
    let mut out = vec![T::default(); n];
    let part = |(c, o): (usize, &mut [T])| {
        let start = c * PARALLEL_VALUES;
        match width {
            1 => gather::<1, T>(planes, n, start, o, &f),
            2 => gather::<2, T>(planes, n, start, o, &f),
            3 => gather::<3, T>(planes, n, start, o, &f),
            4 => gather::<4, T>(planes, n, start, o, &f),
            5 => gather::<5, T>(planes, n, start, o, &f),
            6 => gather::<6, T>(planes, n, start, o, &f),
            7 => gather::<7, T>(planes, n, start, o, &f),
            _ => gather::<8, T>(planes, n, start, o, &f),
        }
    };
    if n >= 2 * PARALLEL_VALUES {
        out.par_chunks_mut(PARALLEL_VALUES).enumerate().for_each(part);
    } else {
        out.chunks_mut(PARALLEL_VALUES).enumerate().for_each(part);
    }
    out
}

fn gather<const W: usize, T>(planes: &[u8], n: usize, start: usize, out: &mut [T], f: &impl Fn(u64) -> T) {
    let p: [&[u8]; W] = std::array::from_fn(|k| &planes[k * n + start..k * n + start + out.len()]);
    for (i, o) in out.iter_mut().enumerate() {
        let mut v = 0u64;
        for (k, plane) in p.iter().enumerate() {
            v |= u64::from(plane[i]) << (8 * k);
        }
        *o = f(v);
    }
}

/// A bounds-checked reader over one section's decompressed payload.
/// Every error names the section and the payload offset.
pub(crate) struct Cursor<'a> {
    section: &'static str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Reads the payload of section `section`.
    pub(crate) fn new(section: &'static str, bytes: &'a [u8]) -> Self {
        Self { section, bytes, pos: 0 }
    }

    /// An error about the current offset of this section.
    pub(crate) fn err(&self, what: impl std::fmt::Display) -> Error {
        format_err(format!(
            "section '{}', payload offset {}: {what}",
            self.section, self.pos
        ))
    }

    /// An error about an item of this section, found after reading it.
    pub(crate) fn err_item(&self, what: impl std::fmt::Display) -> Error {
        format_err(format!("section '{}': {what}", self.section))
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.err(format!("{what}: the payload ends early")))?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads `n` bytes.
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.err(format!("{what}: needs {n} bytes, only {} remain", self.remaining())));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads an unsigned LEB128 varint of at most 64 bits.
    #[inline]
    pub(crate) fn varint(&mut self, what: &str) -> Result<u64> {
        let b = self.bytes;
        if let Some(&byte) = b.get(self.pos) {
            if byte < 0x80 {
                self.pos += 1;
                return Ok(u64::from(byte));
            }
        }
        let mut v = 0u64;
        let mut shift = 0u32;
        let mut p = self.pos;
        loop {
            let Some(&byte) = b.get(p) else {
                return Err(self.err(format!("{what}: the payload ends inside a varint")));
            };
            p += 1;
            if shift == 63 && byte > 1 {
                return Err(self.err(format!("{what}: varint overflows 64 bits")));
            }
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                self.pos = p;
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// Reads a count of items that each take at least `min_bytes` bytes of
    /// what remains, and checks it against the payload before the caller
    /// allocates anything for it.
    pub(crate) fn count(&mut self, what: &str, min_bytes: usize) -> Result<usize> {
        let start = self.pos;
        let n = self.varint(what)?;
        let left = self.remaining();
        let room = (left / min_bytes.max(1)) as u64;
        if n > room || n >= u64::from(u32::MAX) {
            self.pos = start;
            return Err(self.err(format!(
                "{what} is {n}, but the {left} bytes left can hold at most {room}"
            )));
        }
        Ok(n as usize)
    }

    /// Reads a column of `n` integers written by [`put_column`], of at most
    /// `max_width` bytes each, checking that they fit in what remains before
    /// allocating anything; `f` converts each value.
    pub(crate) fn column<T: Copy + Default + Send>(
        &mut self,
        what: &str,
        n: usize,
        max_width: usize,
        f: impl Fn(u64) -> T + Sync,
    ) -> Result<Vec<T>> {
        let width = self.u8(what)? as usize;
        if !(1..=max_width).contains(&width) {
            self.pos -= 1;
            return Err(self.err(format!("{what}: width {width} is outside 1..={max_width}")));
        }
        if n.checked_mul(width).is_none_or(|need| need > self.remaining()) {
            return Err(self.err(format!(
                "{what}: {n} values of {width} bytes do not fit in the {} bytes left",
                self.remaining()
            )));
        }
        let planes = self.take(n * width, what)?;
        Ok(get_planes(planes, n, width, f))
    }

    /// Checks that the whole payload was read. A file of a later minor
    /// version may append fields to a section, which this version skips.
    pub(crate) fn finish(&self, later_minor: bool) -> Result<()> {
        if self.remaining() != 0 && !later_minor {
            return Err(self.err(format!("{} unexpected bytes at the end", self.remaining())));
        }
        Ok(())
    }
}

/// Checks that `bytes` is well-formed WTF-8, the engine's string form:
/// UTF-8 where lone surrogates are allowed but a surrogate pair must be
/// written as one 4-byte sequence (so byte order stays code point order).
pub(crate) fn check_wtf8(bytes: &[u8]) -> std::result::Result<(), usize> {
    if std::str::from_utf8(bytes).is_ok() {
        return Ok(());
    }
    let mut i = 0;
    let mut prev_high_surrogate_end = usize::MAX;
    while i < bytes.len() {
        let b0 = bytes[i];
        let (len, min, init) = match b0 {
            0x00..=0x7f => {
                i += 1;
                continue;
            }
            0xc2..=0xdf => (2, 0x80, u32::from(b0 & 0x1f)),
            0xe0..=0xef => (3, 0x800, u32::from(b0 & 0x0f)),
            0xf0..=0xf4 => (4, 0x10000, u32::from(b0 & 0x07)),
            _ => return Err(i),
        };
        let Some(tail) = bytes.get(i + 1..i + len) else {
            return Err(i);
        };
        if tail.iter().any(|&c| c & 0xc0 != 0x80) {
            return Err(i);
        }
        let cp = tail.iter().fold(init, |acc, &c| (acc << 6) | u32::from(c & 0x3f));
        if cp < min || cp > 0x10ffff {
            return Err(i);
        }
        if (0xdc00..0xe000).contains(&cp) && prev_high_surrogate_end == i {
            // A high surrogate followed by a low one must be one 4-byte sequence.
            return Err(i);
        }
        i += len;
        if (0xd800..0xdc00).contains(&cp) {
            prev_high_surrogate_end = i;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overflow() {
        let values = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let mut out = Vec::new();
        for &v in &values {
            put_varint(&mut out, v);
        }
        let mut c = Cursor::new("test", &out);
        for &v in &values {
            assert_eq!(c.varint("v").unwrap(), v);
        }
        c.finish(false).unwrap();
        let too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        let e = Cursor::new("test", &too_big).varint("v").unwrap_err();
        assert!(e.message.contains("overflows"), "{e}");
        let cut = [0x80, 0x80];
        let e = Cursor::new("test", &cut).varint("v").unwrap_err();
        assert!(e.message.contains("ends inside a varint"), "{e}");
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0i64, -1, 1, -2, i64::MIN, i64::MAX, 12345, -12345] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn planes_round_trip_at_every_width() {
        let values: Vec<u64> = vec![0, 1, 255, 256, 65_535, 1 << 40, u64::MAX >> 8, u64::MAX];
        let slot: Vec<u32> = vec![7, 6, 5, 4, 3, 2, 1, 0];
        for width in 1..=8 {
            let mask = if width == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * width)) - 1
            };
            let mut out = vec![0xaa];
            put_planes(&mut out, values.len(), |i| values[i], Some(&slot), width);
            assert_eq!(out.len(), 1 + 8 * width);
            let back = get_planes(&out[1..], values.len(), width, |v| v);
            let want: Vec<u64> = values.iter().rev().map(|v| v & mask).collect();
            assert_eq!(back, want, "width {width}");
        }
        assert_eq!(width_of(0), 0);
        assert_eq!(width_of(255), 1);
        assert_eq!(width_of(256), 2);
        assert_eq!(width_of(65_536), 3);
    }

    #[test]
    fn columns_round_trip_and_check_their_width_and_length() {
        let values = [0u64, 7, 300, 70_000];
        let mut out = Vec::new();
        put_column(&mut out, values.len(), |i| values[i], None, None);
        assert_eq!(out[0], 3, "the width of the largest value");
        assert_eq!(out.len(), 1 + 3 * values.len());
        let mut c = Cursor::new("test", &out);
        assert_eq!(c.column("v", 4, 4, |v| v).unwrap(), values);
        c.finish(false).unwrap();
        // Zeros still take a byte each, so counts are backed by bytes.
        let mut zeros = Vec::new();
        put_column(&mut zeros, 5, |_| 0, None, None);
        assert_eq!(zeros, [1, 0, 0, 0, 0, 0]);
        let e = Cursor::new("test", &out).column("v", 4, 2, |v| v).unwrap_err();
        assert_eq!(
            e.message,
            "section 'test', payload offset 0: v: width 3 is outside 1..=2"
        );
        let e = Cursor::new("test", &out).column("v", 5, 4, |v| v).unwrap_err();
        assert_eq!(
            e.message,
            "section 'test', payload offset 1: v: 5 values of 3 bytes do not fit in the 12 bytes left"
        );
    }

    #[test]
    fn counts_are_checked_against_the_bytes_left() {
        let mut out = Vec::new();
        put_varint(&mut out, 1_000_000);
        out.extend_from_slice(&[0; 10]);
        let e = Cursor::new("frames", &out).count("frame count", 4).unwrap_err();
        assert!(e.message.contains("frame count is 1000000"), "{e}");
        assert!(e.message.contains("section 'frames'"), "{e}");
    }

    #[test]
    fn wtf8_accepts_lone_surrogates_and_rejects_split_pairs() {
        assert!(check_wtf8("plain é 😀".as_bytes()).is_ok());
        assert!(check_wtf8(&[0xed, 0xa0, 0x80]).is_ok()); // lone U+D800
        assert!(check_wtf8(&[0xed, 0xb0, 0x80]).is_ok()); // lone U+DC00
        assert_eq!(check_wtf8(&[b'a', 0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]), Err(4));
        assert_eq!(check_wtf8(&[0xc0, 0x80]), Err(0)); // overlong
        assert_eq!(check_wtf8(&[b'x', 0xe2, 0x82]), Err(1)); // cut short
        assert_eq!(check_wtf8(&[0xf4, 0x90, 0x80, 0x80]), Err(0)); // above U+10FFFF
    }
}
