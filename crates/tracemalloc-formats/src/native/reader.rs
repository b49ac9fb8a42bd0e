//! Reading a snapshot file. Every byte is hostile until checked: the header
//! and directory against the file's length and their crc32, each section's
//! stored bytes against its crc32 before decompression, every declared size
//! against the load limits, every count against the bytes that must hold
//! it, and every id against the table it indexes. Nothing in a file is
//! ever executed.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use tracemalloc_core::{Error, ErrorKind, Result, Snapshot};

use super::codec::unpack;
use super::encoding::format_err;
use super::header::{check_start, read_header, Entry, SectionId, HEADER_LEN, MINOR};
use super::sections::{get_runs, get_sizes, get_tables, get_weights, DecodedTables};
use super::{join, PARALLEL_BYTES};
use crate::Meta;

/// Bounds on what a file may make the loader allocate. A file within them
/// still loads only if every count in it matches the bytes that hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes all sections may take once decompressed.
    pub max_raw_bytes: u64,
    /// Most traces.
    pub max_traces: u64,
}

impl Default for Limits {
    /// 16 GiB of decompressed sections and 2^32 - 2 traces: far more than a
    /// V8 heap can hold.
    fn default() -> Self {
        Self {
            max_raw_bytes: 16 << 30,
            max_traces: u64::from(u32::MAX) - 1,
        }
    }
}

/// Loads a snapshot and its metadata from a whole file held in memory.
/// Errors say what is wrong and where, without naming the file.
pub fn from_bytes(file: &[u8], limits: &Limits) -> Result<(Snapshot, Meta)> {
    let header = read_header(file)?;
    let later_minor = header.minor > MINOR;
    let known: Vec<(SectionId, &Entry)> = header
        .entries
        .iter()
        .filter_map(|e| SectionId::from_u32(e.id).map(|s| (s, e)))
        .collect();
    let total = known.iter().fold(0u64, |acc, (_, e)| acc.saturating_add(e.raw_len));
    if total > limits.max_raw_bytes {
        return Err(format_err(format!(
            "the sections declare {total} bytes once decompressed, over the limit of {}",
            limits.max_raw_bytes
        )));
    }
    let parallel = total >= PARALLEL_BYTES;
    // Each section is decompressed by the task that decodes it, so that the
    // trace columns decompress while the tables are being interned.
    let raw = |id: SectionId| -> Result<Option<Vec<u8>>> {
        known
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, e)| checked(e, file).and_then(|stored| unpack(e, stored)))
            .transpose()
    };
    let need =
        |id: SectionId| -> Result<Vec<u8>> { Ok(raw(id)?.expect("read_header checked that required sections exist")) };
    let meta =
        Meta::from_json(&need(SectionId::Meta)?).map_err(|e| format_err(format!("section 'meta': {}", e.message)))?;
    let (tables, traces) = join(
        parallel,
        || {
            let (strings, frames) = (need(SectionId::Strings)?, need(SectionId::Frames)?);
            let (seqs, tbs) = (need(SectionId::Sequences)?, need(SectionId::Tracebacks)?);
            get_tables(&strings, &frames, &seqs, &tbs, later_minor)
        },
        || -> Result<_> {
            let sizes = get_sizes(&need(SectionId::TraceSizes)?, limits.max_traces, later_minor)?;
            let n = sizes.len();
            let (runs, weights) = join(
                parallel,
                || get_runs(&need(SectionId::TraceRuns)?, n, later_minor),
                || {
                    raw(SectionId::TraceWeights)?
                        .map(|w| get_weights(&w, n, later_minor))
                        .transpose()
                },
            );
            let (tbs, doms, max_tb) = runs?;
            Ok((sizes, tbs, doms, max_tb, weights?))
        },
    );
    let DecodedTables { tables, tb_map } = tables?;
    let (sizes, mut tbs, doms, max_tb, weights) = traces?;
    if !tbs.is_empty() && max_tb as usize >= tb_map.len() {
        return Err(format_err(format!(
            "section 'trace runs': traceback {max_tb} is used, but the file has {} tracebacks",
            tb_map.len()
        )));
    }
    if tb_map.iter().enumerate().any(|(i, &id)| id as usize != i) {
        let remap = |tb: &mut u32| *tb = tb_map[*tb as usize];
        if parallel {
            tbs.par_iter_mut().for_each(remap);
        } else {
            tbs.iter_mut().for_each(remap);
        }
    }
    let snap =
        Snapshot::from_checked_parts(Arc::new(tables), doms, sizes, tbs, weights).map_err(|e| format_err(e.message))?;
    Ok((snap, meta))
}

/// The stored bytes of a section, once they match their crc32.
fn checked<'a>(e: &Entry, file: &'a [u8]) -> Result<&'a [u8]> {
    let stored = &file[e.offset as usize..(e.offset + e.stored_len) as usize];
    let crc = crc32fast::hash(stored);
    // Fuzz builds skip checksums so that mutated inputs reach the decoders.
    if crc != e.crc32 && !cfg!(fuzzing) {
        return Err(format_err(format!(
            "section {} (bytes {}..{}) is corrupt: its crc32 is {crc:08x}, but the directory records {:08x}",
            e.label(),
            e.offset,
            e.offset + e.stored_len,
            e.crc32
        )));
    }
    Ok(stored)
}

/// Loads a snapshot file. Errors name the file.
pub fn load_file(path: &Path, limits: &Limits) -> Result<(Snapshot, Meta)> {
    let io = |e: std::io::Error| Error {
        kind: ErrorKind::Other,
        message: format!("cannot read {}: {e}", path.display()),
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    // Check the start first, so that a big file of another kind is refused
    // before it is read whole.
    let mut start = Vec::with_capacity(HEADER_LEN);
    (&mut f).take(HEADER_LEN as u64).read_to_end(&mut start).map_err(io)?;
    let named = |e: Error| Error {
        kind: e.kind,
        message: format!("{}: {}", path.display(), e.message),
    };
    check_start(&start).map_err(named)?;
    let mut file = start;
    if let Ok(m) = f.metadata() {
        file.reserve(usize::try_from(m.len()).unwrap_or(0).saturating_sub(file.len()));
    }
    f.read_to_end(&mut file).map_err(io)?;
    from_bytes(&file, limits).map_err(named)
}
