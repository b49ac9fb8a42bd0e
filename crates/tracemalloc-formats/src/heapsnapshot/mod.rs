//! A streaming, push-based parser for V8 `.heapsnapshot` JSON, used two
//! ways: by exact mode ([`HeapSnapshotParser`], [`ParsedHeap`]: the objects
//! with an allocation stack, by V8 id) and by the file importer
//! ([`import_file`]: every object a trace, see the `import` module).
//!
//! V8 writes a heap snapshot as one JSON object whose keys come in a fixed
//! order: `snapshot` (the meta object naming every field), `nodes` and
//! `edges` (flat integer arrays), `trace_function_infos` and `trace_tree`
//! (the allocation tracker's stacks), `samples`, `locations`, and last
//! `strings`. [`HeapSnapshotParser`] takes it in chunks split anywhere and
//! holds only what a result needs: a few integer columns per node, the
//! edges that may link an ArrayBuffer to its backing store, the trace tree,
//! and the strings naming functions, scripts and candidate backing stores.
//!
//! Every field is located by name through the meta object, so schema
//! differences between Node versions (`trace_node_id`, `detachedness`,
//! `extra_native_bytes`, edge and node type lists) do not matter.
//!
//! V8 facts this relies on (checked on Node 20):
//! * `trace_function_infos` gives `line` and `column` 1-based, pointing at
//!   the function's start (the `(` of its parameters, or `async` of an
//!   async arrow); 0 when V8 did not resolve the position;
//! * the trace tree's outermost node is a synthetic "(root)" with no frame;
//! * `snapshot.trace_function_count` can be smaller than the number of
//!   `trace_function_infos` records (21 against 31): functions first run
//!   while the snapshot streams (the chunk callbacks) are added after V8
//!   wrote the count, so it is not checked;
//! * an `ArrayBuffer` node has an `internal` edge `backing_store` to a
//!   `native` node named "system / JSArrayBufferData" whose `self_size` is
//!   the backing store's byte length and whose own `trace_node_id` is 0.

mod heap;
mod import;
mod ints;
pub(crate) mod lexer;
mod meta;
mod model;
mod parser;
mod pseudo;
mod skip;
mod strings;
mod tree;

#[cfg(test)]
mod tests;

pub use heap::{HeapFrame, HeapTraceback, ParsedHeap};
pub use import::{import_bytes, import_file, import_reader};
pub use parser::HeapSnapshotParser;

/// Bounds on what a heap snapshot may make the parser hold. Each count in
/// the meta object is checked against them before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most nodes (also bounds `trace_tree` nodes and function infos);
    /// values over 2^32 - 2 act as 2^32 - 2.
    pub max_nodes: u64,
    /// Most edges.
    pub max_edges: u64,
    /// Most entries in `strings`.
    pub max_strings: u64,
    /// Most bytes of string contents kept (only the strings a result needs
    /// are kept; the rest are checked and dropped).
    pub max_string_bytes: u64,
}

impl Default for Limits {
    /// 500 million nodes, 5 billion edges, 500 million strings, 1 GiB of
    /// kept strings: more than a V8 heap can hold, less than a hostile
    /// count would need to exhaust memory.
    fn default() -> Self {
        Self {
            max_nodes: 500_000_000,
            max_edges: 5_000_000_000,
            max_strings: 500_000_000,
            max_string_bytes: 1 << 30,
        }
    }
}
