//! `.heapsnapshot` files as engine snapshots: every node of the heap
//! becomes one trace.
//!
//! * A node with an allocation stack (`trace_node_id` set, from a snapshot
//!   taken while V8's allocation tracker ran) is charged to that stack, as
//!   exact mode does.
//! * Any other node (no tracker, or allocated before it started, or whose
//!   stack has no JavaScript frame) is charged to a pseudo-frame naming its
//!   type and constructor (see [`super::pseudo`]).
//! * An ArrayBuffer is charged the bytes of its backing store (the
//!   "system / JSArrayBufferData" node it owns), and the backing store itself
//!   is then not a trace of its own: sizes add up to the heap's total.
//!
//! The file streams through the parser in 1 MiB chunks: memory grows with
//! the number of nodes (about 17 bytes each while parsing, plus the
//! snapshot's 16 per trace), not with the size of the file.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tracemalloc_core::calltree::TracebackInterner;
use tracemalloc_core::snapshot::MAX_SIZE;
use tracemalloc_core::tables::{FrameRec, Tables, TracebackRec, NONE};
use tracemalloc_core::{Result, Snapshot};

use super::model::{Purpose, Resolved};
use super::pseudo::pseudo_frame;
use super::{HeapSnapshotParser, Limits};
use crate::import::{frame_limit, in_file, open, read_ahead, read_error, Imported, Progress, ProgressReader, Ticker};
use crate::meta::{Meta, Mode};

/// Bytes read from the input at a time.
const CHUNK: usize = 1 << 20;

/// Imports the `.heapsnapshot` file at `path`, calling `progress` with the
/// bytes read so far and the file's size. Errors name the file, and the
/// byte offset or field that was wrong.
pub fn import_file(path: &Path, limits: Limits, progress: Option<Progress<'_>>) -> Result<Imported> {
    let (file, size) = open(path)?;
    let run = || {
        let mut ticker = Ticker::new(size, progress);
        let mut parser = HeapSnapshotParser::with_purpose(limits, Purpose::Import);
        // The file is read on a helper thread while this one parses.
        read_ahead(file, CHUNK, |chunk| {
            parser.feed(chunk)?;
            ticker.advance(chunk.len())
        })?;
        let imported = build(parser.finish_resolved()?)?;
        ticker.finish()?;
        Ok(imported)
    };
    run().map_err(|e| in_file(path, e))
}

/// Imports a whole `.heapsnapshot` document held in memory.
pub fn import_bytes(bytes: &[u8], limits: Limits) -> Result<Imported> {
    import_reader(bytes, bytes.len() as u64, limits, None)
}

/// Imports a `.heapsnapshot` document of about `total` bytes from `input`.
pub fn import_reader(input: impl Read, total: u64, limits: Limits, progress: Option<Progress<'_>>) -> Result<Imported> {
    let mut input = ProgressReader::new(input, total, progress);
    let mut parser = HeapSnapshotParser::with_purpose(limits, Purpose::Import);
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(total).unwrap_or(CHUNK).max(4096))];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(input
                    .stopped
                    .take()
                    .unwrap_or_else(|| read_error(e, input.ticker.done())));
            }
        };
        parser.feed(&buf[..n])?;
    }
    drop(buf);
    let resolved = parser.finish_resolved()?;
    let imported = build(resolved)?;
    input.finish()?;
    Ok(imported)
}

/// Turns a fully read heap into an engine snapshot and its metadata.
fn build(r: Resolved) -> Result<Imported> {
    let b = &r.b;
    let n = b.trace.len();
    // The allocation stacks in use, and how deep they may be kept.
    let mut used = vec![false; r.tree.len()];
    let mut any_stack = false;
    for (k, &t) in b.trace.iter().enumerate() {
        if t != 0 {
            used[r.trace_node(k, t)? as usize] = true;
            any_stack = true;
        }
    }
    let limit = frame_limit(
        (0..r.calls.len())
            .filter(|&tn| used[tn])
            .map(|tn| r.calls.depth(tn as u32)),
    );
    drop(used);

    let mut tables = Tables::new();
    // Imported files keep their frames as V8 wrote them (no builtin folding).
    let mut interner = TracebackInterner::new(&r.calls, limit, true);
    let mut pseudo_of: FxHashMap<(u8, u32), u32> = FxHashMap::default();
    let kept = n - r.charged.len().min(n);
    let mut sizes = Vec::with_capacity(kept);
    let mut tracebacks = Vec::with_capacity(kept);
    for k in 0..n {
        if !r.charged.is_empty() && r.charged.contains(&(k as u32)) {
            continue;
        }
        let t = b.trace[k];
        let tn = if t == 0 { None } else { Some(r.trace_node(k, t)?) };
        let tb = match tn {
            Some(tn) if r.calls.depth(tn) > 0 => interner.intern(&r.calls, &mut tables, tn),
            _ => {
                let ty = b.ty[k];
                // Value types (strings...) share one frame whatever their name.
                let name = if b.names_class(ty) { b.name[k] } else { NONE };
                *pseudo_of.entry((ty, name)).or_insert_with(|| {
                    let text = if name == NONE { &[][..] } else { r.string(name) };
                    let (file, func) = pseudo_frame(&b.meta.type_names[usize::from(ty)], text);
                    let rec = FrameRec {
                        file: tables.intern_str(&file),
                        line: 0,
                        col: 0,
                        func: func.map_or(NONE, |f| tables.intern_str(f)),
                    };
                    let frame = tables.intern_frame(rec);
                    let seq_id = tables.intern_seq(&[frame]);
                    tables.intern_traceback(TracebackRec {
                        seq: seq_id,
                        total_nframe: 1,
                    })
                })
            }
        };
        sizes.push(r.charged_size(k).min(MAX_SIZE));
        tracebacks.push(tb);
    }
    let snapshot = Snapshot::from_checked_parts(Arc::new(tables), vec![0; sizes.len()], sizes, tracebacks, None)
        .expect("the import's own tables name every traceback it uses");
    let mut meta = Meta::with_limit(limit);
    meta.mode = Some(Mode::Exact);
    meta.origin = Some("heapsnapshot".into());
    meta.extra
        .insert("allocationStacks".into(), serde_json::Value::Bool(any_stack));
    Ok(Imported { snapshot, meta })
}
