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
