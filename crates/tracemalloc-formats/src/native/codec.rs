//! Section compression: zstd, in independent frames of at most
//! [`FRAME_BYTES`] raw bytes each, so that every section (and every part of
//! a large one) compresses and decompresses in parallel.
//!
//! Decompression never trusts a declared size beyond what it checks: every
//! frame must declare its content size, the sizes must add up to the
//! section's raw length, which must be within the limits and within zstd's
//! largest possible expansion of the stored bytes, and each frame is
//! decompressed into exactly its declared share of the output, so it cannot
//! write more.

use rayon::prelude::*;
use tracemalloc_core::Result;

use super::encoding::format_err;
use super::header::{Codec, Entry};

/// Raw bytes per zstd frame.
pub const FRAME_BYTES: usize = 1 << 20;

/// zstd level the writer uses: level 1 already reaches the size target on
/// the packed columns, at several times the speed of the default 3.
pub const LEVEL: i32 = 1;

/// The most raw bytes one stored byte of zstd can expand to: a 3-byte
/// block header plus 1 byte describe an RLE block of up to 128 KiB.
pub const MAX_ZSTD_RATIO: u64 = 32 * 1024;

/// One section ready to be laid out: its id, codec, raw length and stored
/// frames (concatenated in the file).
pub struct Packed {
    /// Section id.
    pub id: u32,
    /// How the bytes are stored.
    pub codec: Codec,
    /// Length of the payload before compression.
    pub raw_len: u64,
    /// The stored bytes, in pieces written one after the other.
    pub pieces: Vec<Vec<u8>>,
}

impl Packed {
    /// Total stored length.
    pub fn stored_len(&self) -> u64 {
        self.pieces.iter().map(|p| p.len() as u64).sum()
    }

    /// crc32 of the stored bytes.
    pub fn crc32(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        for p in &self.pieces {
            h.update(p);
        }
        h.finalize()
    }
}

/// Compresses one section's payload, its frames in parallel when there are
/// several. A section whose compressed form is not smaller is stored, and so
/// is every section when `compress` is false.
pub fn pack(id: u32, raw: Vec<u8>, compress: bool) -> Packed {
    let frame = |chunk: &[u8]| zstd::bulk::compress(chunk, LEVEL).expect("zstd compresses into a vector it sizes");
    let pieces: Vec<Vec<u8>> = if !compress {
        Vec::new()
    } else if raw.len() > FRAME_BYTES {
        raw.par_chunks(FRAME_BYTES).map(frame).collect()
    } else if !raw.is_empty() {
        vec![frame(&raw)]
    } else {
        Vec::new()
    };
    let stored: usize = pieces.iter().map(Vec::len).sum();
    if pieces.is_empty() || stored >= raw.len() {
        Packed {
            id,
            codec: Codec::Stored,
            raw_len: raw.len() as u64,
            pieces: vec![raw],
        }
    } else {
        Packed {
            id,
            codec: Codec::Zstd,
            raw_len: raw.len() as u64,
            pieces,
        }
    }
}

/// Decompresses one section's stored bytes (already checksummed) into its
/// raw payload, checking every size first. The caller has checked the raw
/// length against the load limits.
pub fn unpack(entry: &Entry, stored: &[u8]) -> Result<Vec<u8>> {
    let label = entry.label();
    match entry.codec {
        c if c == Codec::Stored as u16 => {
            if entry.raw_len != entry.stored_len {
                return Err(format_err(format!(
                    "section {label} is stored uncompressed, but its raw length {} differs from its stored length {}",
                    entry.raw_len, entry.stored_len
                )));
            }
            Ok(stored.to_vec())
        }
        c if c == Codec::Zstd as u16 => {
            if entry.raw_len > entry.stored_len.saturating_mul(MAX_ZSTD_RATIO) {
                return Err(format_err(format!(
                    "section {label} declares {} bytes once decompressed, more than its {} stored bytes of zstd can hold",
                    entry.raw_len, entry.stored_len
                )));
            }
            let frames = split_frames(&label, stored)?;
            let total = frames.iter().try_fold(0u64, |acc, f| acc.checked_add(f.1));
            if total != Some(entry.raw_len) {
                let total = total.map_or_else(|| "more than 2^64".to_string(), |t| t.to_string());
                return Err(format_err(format!(
                    "section {label}: its zstd frames declare {total} bytes in all, but the directory says {}",
                    entry.raw_len
                )));
            }
            let mut raw = vec![0u8; usize::try_from(entry.raw_len).map_err(|_| format_err("section too large"))?];
            let mut outs = Vec::with_capacity(frames.len());
            let mut rest = raw.as_mut_slice();
            for &(src, size) in &frames {
                let (head, tail) = rest.split_at_mut(size as usize);
                outs.push((src, head));
                rest = tail;
            }
            let frame = |(k, (src, dst)): (usize, (&[u8], &mut [u8]))| {
                let want = dst.len();
                match zstd::bulk::decompress_to_buffer(src, dst) {
                    Ok(n) if n == want => Ok(()),
                    Ok(n) => Err(format_err(format!(
                        "section {label}: zstd frame {k} decompressed to {n} bytes, but declares {want}"
                    ))),
                    Err(e) => Err(format_err(format!("section {label}: zstd frame {k} is corrupt: {e}"))),
                }
            };
            if outs.len() > 1 {
                outs.into_par_iter().enumerate().try_for_each(frame)?;
            } else {
                outs.into_iter().enumerate().try_for_each(frame)?;
            }
            Ok(raw)
        }
        other => Err(format_err(format!(
            "section {label} uses codec {other}, which this version does not know (0 stored, 1 zstd)"
        ))),
    }
}

/// Splits concatenated zstd frames, each with its declared content size.
fn split_frames<'a>(label: &str, mut stored: &'a [u8]) -> Result<Vec<(&'a [u8], u64)>> {
    let mut frames = Vec::new();
    let mut offset = 0usize;
    while !stored.is_empty() {
        let k = frames.len();
        let len = zstd::zstd_safe::find_frame_compressed_size(stored).map_err(|code| {
            format_err(format!(
                "section {label}: zstd frame {k} at stored offset {offset} is malformed: {}",
                zstd::zstd_safe::get_error_name(code)
            ))
        })?;
        let size = match zstd::zstd_safe::get_frame_content_size(stored) {
            Ok(Some(size)) => size,
            _ => {
                return Err(format_err(format!(
                    "section {label}: zstd frame {k} at stored offset {offset} does not declare its content size"
                )))
            }
        };
        frames.push((&stored[..len], size));
        stored = &stored[len..];
        offset += len;
    }
    Ok(frames)
}
