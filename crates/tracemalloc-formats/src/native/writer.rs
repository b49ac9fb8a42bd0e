//! Writing a snapshot: lay it out, encode every section in parallel,
//! compress every section's frames in parallel, then emit the header,
//! the directory and the sections, to memory or atomically to a file.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use tracemalloc_core::{Error, ErrorKind, Result, Snapshot};

use super::codec::{pack, Packed};
use super::header::{write_header, Entry, SectionId, ENTRY_LEN, HEADER_LEN};
use super::layout::layout;
use super::sections::{put_frames, put_runs, put_sequences, put_sizes, put_strings, put_tracebacks, put_weights};
use super::PARALLEL_BYTES;
use crate::atomic::{write_atomic, FileAccess};
use crate::Meta;

/// A snapshot encoded and compressed, ready to be written out.
pub struct Encoded {
    header: Vec<u8>,
    sections: Vec<Packed>,
    len: u64,
}

impl Encoded {
    /// Total length of the file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for no bytes at all (never: a file always has a header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the whole file to `w`.
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(&self.header)?;
        for s in &self.sections {
            for p in &s.pieces {
                w.write_all(p)?;
            }
        }
        Ok(())
    }

    /// The whole file as one buffer.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len as usize);
        out.extend_from_slice(&self.header);
        for s in self.sections {
            for p in s.pieces {
                out.extend_from_slice(&p);
            }
        }
        out
    }
}

/// Encodes `snap` with its metadata `meta`.
pub fn encode(snap: &Snapshot, meta: &Meta) -> Encoded {
    encode_with(snap, meta, true)
}

fn encode_with(snap: &Snapshot, meta: &Meta, compress: bool) -> Encoded {
    let l = layout(snap);
    let t = snap.tables();
    let ids: Vec<SectionId> = SectionId::ALL
        .into_iter()
        .filter(|&s| s != SectionId::TraceWeights || snap.weights().is_some())
        .collect();
    // Each section is encoded then compressed as one task, so that small
    // sections compress while large ones are still being encoded.
    let section = |s: SectionId| {
        let bytes = match s {
            SectionId::Meta => meta.to_json(),
            SectionId::Strings => put_strings(t, &l),
            SectionId::Frames => put_frames(t, &l),
            SectionId::Sequences => put_sequences(t, &l),
            SectionId::Tracebacks => put_tracebacks(t, &l),
            SectionId::TraceRuns => put_runs(&l),
            SectionId::TraceSizes => put_sizes(snap.sizes(), &l),
            SectionId::TraceWeights => put_weights(snap.weights().unwrap_or_default(), &l),
        };
        pack(s as u32, bytes, compress)
    };
    let parallel = snap.len() as u64 * 8 >= PARALLEL_BYTES;
    let sections: Vec<Packed> = if parallel {
        ids.into_par_iter().map(section).collect()
    } else {
        ids.into_iter().map(section).collect()
    };
    let mut offset = (HEADER_LEN + ENTRY_LEN * sections.len()) as u64;
    let entries: Vec<Entry> = sections
        .iter()
        .map(|p| {
            let e = Entry {
                id: p.id,
                codec: p.codec as u16,
                offset,
                stored_len: p.stored_len(),
                raw_len: p.raw_len,
                crc32: p.crc32(),
            };
            offset += e.stored_len;
            e
        })
        .collect();
    Encoded {
        header: write_header(&entries, offset),
        sections,
        len: offset,
    }
}

/// Encodes `snap` into a buffer holding a whole file.
pub fn to_bytes(snap: &Snapshot, meta: &Meta) -> Vec<u8> {
    encode(snap, meta).into_bytes()
}

/// Encodes `snap` into a buffer holding a whole file whose sections are all
/// stored uncompressed: larger, but readable in a hex dump, and what fuzzing
/// seeds need to let mutations reach the decoders.
pub fn to_bytes_stored(snap: &Snapshot, meta: &Meta) -> Vec<u8> {
    encode_with(snap, meta, false).into_bytes()
}

/// Writes `snap` to `path`, replacing any file there atomically: readers
/// see the old file or the new one, whole, even if the process dies.
pub fn dump_file(path: &Path, snap: &Snapshot, meta: &Meta) -> Result<()> {
    let encoded = encode(snap, meta);
    write_atomic(path, FileAccess::OwnerOnly, |f| encoded.write_to(f)).map_err(|e| Error {
        kind: ErrorKind::Other,
        message: format!("cannot write {}: {e}", path.display()),
    })
}
