//! [`ParsedHeap`]: what a heap snapshot leaves once parsed, and how it
//! becomes an engine [`Snapshot`] or one object's allocation traceback.

use std::sync::Arc;

use tracemalloc_core::calltree::{CallFrame, CallTree, TracebackInterner};
use tracemalloc_core::snapshot::{Snapshot, MAX_SIZE};
use tracemalloc_core::tables::{Tables, NONE};

/// One frame of an allocation stack, owned (see [`ParsedHeap::traceback_of`]).
pub type HeapFrame = CallFrame;

/// The allocation stack of one object (see [`ParsedHeap::traceback_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapTraceback {
    /// The frames, most recent call first, at most `nframe` of them.
    pub frames: Vec<HeapFrame>,
    /// The depth of the stack before truncation.
    pub total_nframe: u32,
}

/// A parsed heap snapshot: totals, and for each object allocated while the
/// allocation tracker ran, its V8 id, its size and its allocation stack.
///
/// Objects without an allocation stack (`trace_node_id` 0) are only counted
/// in [`node_count`](Self::node_count) and [`total_size`](Self::total_size).
#[derive(Debug, Clone)]
pub struct ParsedHeap {
    pub(crate) node_count: usize,
    pub(crate) total_size: u64,
    pub(crate) has_trace_field: bool,
    /// Per traced node: V8 id, size (own + backing stores), trace tree index.
    pub(crate) ids: Vec<u64>,
    pub(crate) sizes: Vec<u64>,
    pub(crate) trace_nodes: Vec<u32>,
    /// The trace tree, with its functions.
    pub(crate) tree: CallTree,
    /// Watched ids present without an allocation trace.
    pub(crate) watched_untraced: Vec<u64>,
    /// Per trace tree node: allocations and bytes since tracking began, collected ones included.
    pub(crate) tree_count: Vec<u64>,
    pub(crate) tree_size: Vec<u64>,
    /// Keep builtin frames as V8 reports them (the default, as imported
    /// files keep their frames) instead of folding them into their caller
    /// (see [`tracemalloc_core::fold`]; exact mode folds by default).
    pub(crate) raw_frames: bool,
}

impl ParsedHeap {
    /// Number of nodes in the snapshot.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Total `self_size` of all nodes, in bytes (backing stores included,
    /// as V8 reports them as nodes of their own).
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// True when the snapshot carries allocation stacks: nodes have a
    /// `trace_node_id` field and the trace tree is not empty.
    pub fn has_allocation_traces(&self) -> bool {
        self.has_trace_field && !self.tree.is_empty()
    }

    /// Number of nodes with an allocation stack (the traces of
    /// [`to_snapshot`](Self::to_snapshot)).
    pub fn traced_count(&self) -> usize {
        self.ids.len()
    }

    /// The V8 id of each trace of [`to_snapshot`](Self::to_snapshot), in the
    /// same order (the trace's address in exact mode).
    pub fn traced_ids(&self) -> &[u64] {
        &self.ids
    }

    /// The ids given to [`HeapSnapshotParser::watch`](super::HeapSnapshotParser::watch)
    /// that are live objects without an allocation trace, in node order.
    pub fn watched_untraced(&self) -> &[u64] {
        &self.watched_untraced
    }

    /// Builds an engine snapshot with one trace per object allocated while
    /// the allocation tracker ran, in snapshot order: domain `domain`, size =
    /// the object's `self_size` plus the bytes of the ArrayBuffer backing
    /// stores it owns, weight 1, and its allocation stack truncated to
    /// `nframe` frames (`total_nframe` keeps the real depth).
    ///
    /// The snapshot has no address column; [`traceback_of`](Self::traceback_of)
    /// finds an object by its V8 id.
    pub fn to_snapshot(&self, domain: u32, nframe: u32) -> Snapshot {
        let mut tables = Tables::new();
        let mut interner = TracebackInterner::new(&self.tree, nframe, self.raw_frames);
        let traceback: Vec<u32> = self
            .trace_nodes
            .iter()
            .map(|&tn| interner.intern(&self.tree, &mut tables, tn))
            .collect();
        Snapshot::from_checked_parts(
            Arc::new(tables),
            vec![domain; traceback.len()],
            self.sizes.iter().map(|&s| s.min(MAX_SIZE)).collect(),
            traceback,
            None,
        )
        .expect("the heap's own tables name every traceback it uses")
    }

    /// Builds an engine snapshot of everything the allocation tracker
    /// counted since tracking began, live or collected: per allocation stack
    /// (trace tree node) with allocations, its bytes and its number of
    /// allocations. A stack is one trace of its average size weighted by its
    /// count, or two when the bytes do not divide evenly (sizes `q + 1` and
    /// `q`, weights `r` and `count - r`), so that sizes and counts add up
    /// exactly. Empty when the snapshot has no allocation totals.
    pub fn allocations_to_snapshot(&self, domain: u32, nframe: u32) -> Snapshot {
        let mut tables = Tables::new();
        let mut interner = TracebackInterner::new(&self.tree, nframe, self.raw_frames);
        let (mut size, mut weight, mut traceback) = (Vec::new(), Vec::new(), Vec::new());
        for (tn, (&count, &bytes)) in self.tree_count.iter().zip(&self.tree_size).enumerate() {
            if count == 0 || bytes == 0 || self.tree.parent(tn as u32) == NONE {
                continue;
            }
            let tb = interner.intern(&self.tree, &mut tables, tn as u32);
            let (q, r) = (bytes / count, bytes % count);
            for (s, w) in [(q + 1, r), (q, count - r)] {
                if w > 0 {
                    size.push(s.min(MAX_SIZE));
                    weight.push(w as f64);
                    traceback.push(tb);
                }
            }
        }
        Snapshot::from_checked_parts(
            Arc::new(tables),
            vec![domain; traceback.len()],
            size,
            traceback,
            Some(weight),
        )
        .expect("the heap's own tables name every traceback it uses, and counts are positive")
    }

    /// The allocation stack of the object with V8 id `id` (the id of
    /// `HeapProfiler.getHeapObjectId`), truncated to `nframe` frames; `None`
    /// when no node has that id or it was allocated while the tracker was
    /// off. Costs a scan of the traced objects.
    pub fn traceback_of(&self, id: u64, nframe: u32) -> Option<HeapTraceback> {
        let k = self.ids.iter().position(|&x| x == id)?;
        let (frames, total_nframe) = self.tree.frames(self.trace_nodes[k], nframe, self.raw_frames);
        Some(HeapTraceback { frames, total_nframe })
    }

    /// Keeps builtin frames as V8 reports them (`raw`, the default) or
    /// folds each into its nearest caller with a script
    /// ([`tracemalloc_core::fold`]), in the snapshots and tracebacks made after.
    pub fn set_raw_frames(&mut self, raw: bool) {
        self.raw_frames = raw;
    }

    /// The size charged to the object with V8 id `id`: its `self_size` plus
    /// its backing stores; `None` when it has no allocation stack.
    pub fn traced_size_of(&self, id: u64) -> Option<u64> {
        let k = self.ids.iter().position(|&x| x == id)?;
        Some(self.sizes[k])
    }
}
