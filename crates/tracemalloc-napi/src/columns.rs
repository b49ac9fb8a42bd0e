//! Columns that cross the boundary: interned tables and trace columns.

use napi::bindgen_prelude::{Float64Array, Uint32Array, Utf16String};
use napi_derive::napi;

/// Interned tables: strings, frames, frame sequences and tracebacks.
///
/// Frames are `[file, line, column, function]` quadruples of string ids
/// (column 0 and function 0xFFFFFFFF mean none); tracebacks are
/// `[sequence, totalNframe]` pairs (0xFFFFFFFF means no totalNframe).
#[napi(object)]
pub struct TablesColumns {
    /// All strings joined together.
    pub strings: Utf16String,
    /// Length in UTF-16 units of each string.
    pub string_lengths: Uint32Array,
    /// Flat `[file, line, column, function]` quadruples.
    pub frames: Uint32Array,
    /// End offset of each frame sequence in `seqFrames`.
    pub seq_ends: Uint32Array,
    /// Frame ids of all sequences, most recent call first.
    pub seq_frames: Uint32Array,
    /// Flat `[sequence, totalNframe]` pairs.
    pub tracebacks: Uint32Array,
}

/// The trace columns of a snapshot.
#[napi(object)]
pub struct TraceColumns {
    /// Domain of each trace.
    pub domain: Uint32Array,
    /// Size in bytes of each trace.
    pub size: Float64Array,
    /// Traceback id of each trace.
    pub traceback: Uint32Array,
    /// Sampling weight of each trace; absent when every weight is 1.
    pub weight: Option<Float64Array>,
}

/// A snapshot as columns, the fast way to build one: tables, and traces
/// whose traceback ids index them.
#[napi(object)]
pub struct SnapshotColumns {
    /// The interned tables.
    pub tables: TablesColumns,
    /// The traces.
    pub traces: TraceColumns,
}

/// [`TablesColumns`] copied out of JavaScript memory.
///
/// A typed array may view a `SharedArrayBuffer` that another thread writes
/// while a call runs, so a value checked once could differ when read again.
/// Every export copies its typed-array input once, then validates and uses
/// the copy only.
pub struct OwnedTables<'a> {
    /// All strings joined together (UTF-16; napi-rs already copied them).
    pub strings: &'a [u16],
    /// Length in UTF-16 units of each string.
    pub string_lengths: Vec<u32>,
    /// Flat `[file, line, column, function]` quadruples.
    pub frames: Vec<u32>,
    /// End offset of each frame sequence in `seq_frames`.
    pub seq_ends: Vec<u32>,
    /// Frame ids of all sequences.
    pub seq_frames: Vec<u32>,
    /// Flat `[sequence, totalNframe]` pairs.
    pub tracebacks: Vec<u32>,
}

impl<'a> OwnedTables<'a> {
    /// Copies the columns.
    pub fn copy(t: &'a TablesColumns) -> Self {
        Self {
            strings: &t.strings,
            string_lengths: t.string_lengths.to_vec(),
            frames: t.frames.to_vec(),
            seq_ends: t.seq_ends.to_vec(),
            seq_frames: t.seq_frames.to_vec(),
            tracebacks: t.tracebacks.to_vec(),
        }
    }
}

/// [`TraceColumns`] copied out of JavaScript memory (see [`OwnedTables`]).
pub struct OwnedTraces {
    /// Domain of each trace.
    pub domain: Vec<u32>,
    /// Size in bytes of each trace.
    pub size: Vec<f64>,
    /// Traceback id of each trace.
    pub traceback: Vec<u32>,
    /// Sampling weight of each trace, if given.
    pub weight: Option<Vec<f64>>,
}

impl OwnedTraces {
    /// Copies the columns.
    pub fn copy(t: &TraceColumns) -> Self {
        Self {
            domain: t.domain.to_vec(),
            size: t.size.to_vec(),
            traceback: t.traceback.to_vec(),
            weight: t.weight.as_ref().map(|w| w.to_vec()),
        }
    }
}
