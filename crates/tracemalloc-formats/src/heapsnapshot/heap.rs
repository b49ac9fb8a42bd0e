//! [`ParsedHeap`]: what a heap snapshot leaves once parsed, and how it
//! becomes an engine [`Snapshot`] or one object's allocation traceback.

use std::sync::Arc;

use tracemalloc_core::fold::{BuiltinFolder, Folded, UNKNOWN_FILE};
use tracemalloc_core::snapshot::{Snapshot, MAX_SIZE};
use tracemalloc_core::stack::{cap_total_nframe, intern_unknown_frame};
use tracemalloc_core::tables::{FrameRec, Tables, TracebackRec, NONE};

/// A function of the allocation tracker, its strings resolved.
#[derive(Debug, Clone)]
pub(crate) struct FuncInfo {
    /// A builtin or VM state (script id 0), which folds into its caller.
    pub builtin: bool,
    pub file: Vec<u8>,
    pub name: Vec<u8>,
    pub line: u32,
    pub col: u32,
}

/// One frame of an allocation stack, owned (see [`ParsedHeap::traceback_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapFrame {
    /// File name as WTF-8: a path for `file://` scripts, `node:...` for
    /// Node's internals, `"<unknown>"` for builtins.
    pub file: Vec<u8>,
    /// 1-based line of the function's start, or 0 when V8 did not resolve it.
    pub line: u32,
    /// 1-based column of the function's start, or 0 when V8 did not resolve it.
    pub col: u32,
    /// The function name as WTF-8; empty for anonymous functions.
    pub func: Vec<u8>,
}

/// The allocation stack of one object (see [`ParsedHeap::traceback_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapTraceback {
    /// The frames, most recent call first, at most `nframe` of them.
    pub frames: Vec<HeapFrame>,
    /// The depth of the stack before truncation.
    pub total_nframe: u32,
}

/// Interns the tracebacks of trace tree nodes into new tables, each node and
/// function once.
struct TracebackInterner<'a> {
    heap: &'a ParsedHeap,
    tables: Tables,
    frame_of: Vec<u32>,
    tb_of: Vec<u32>,
    seq: Vec<u32>,
}

impl<'a> TracebackInterner<'a> {
    fn new(heap: &'a ParsedHeap) -> Self {
        Self {
            heap,
            tables: Tables::new(),
            frame_of: vec![NONE; heap.funcs.len()],
            tb_of: vec![NONE; heap.tree_parent.len()],
            seq: Vec::new(),
        }
    }

    /// The traceback id of trace tree node `tn`, cut to `nframe` frames.
    fn intern(&mut self, tn: u32, nframe: u32) -> u32 {
        let slot = tn as usize;
        if self.tb_of[slot] != NONE {
            return self.tb_of[slot];
        }
        let heap = self.heap;
        let tables = &mut self.tables;
        self.seq.clear();
        let total = if heap.raw_frames {
            let frame_of = &mut self.frame_of;
            let seq = &mut self.seq;
            heap.walk(tn, nframe, |fi| {
                if frame_of[fi] == NONE {
                    let f = &heap.funcs[fi];
                    frame_of[fi] = intern_frame(tables, &f.file, f.line, f.col, &f.name);
                }
                seq.push(frame_of[fi]);
            });
            cap_total_nframe(heap.tree_depth[slot])
        } else {
            let (frames, total) = heap.folded(tn, nframe);
            for f in &frames {
                self.seq.push(intern_frame(tables, &f.file, f.line, f.col, &f.func));
            }
            total
        };
        // No JavaScript frame: CPython's "<unknown>":0 frame, depth 1.
        let total = if total == 0 {
            self.seq.push(intern_unknown_frame(tables));
            1
        } else {
            total
        };
        let seq_id = tables.intern_seq(&self.seq);
        self.tb_of[slot] = tables.intern_traceback(TracebackRec {
            seq: seq_id,
            total_nframe: total,
        });
        self.tb_of[slot]
    }
}

/// Interns one frame's strings and the frame.
fn intern_frame(tables: &mut Tables, file: &[u8], line: u32, col: u32, func: &[u8]) -> u32 {
    let rec = FrameRec {
        file: tables.intern_str(file),
        line,
        col,
        func: tables.intern_str(func),
    };
    tables.intern_frame(rec)
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
    pub(crate) funcs: Vec<FuncInfo>,
    /// Per trace tree node: parent index ([`NONE`] for a root), function, depth.
    pub(crate) tree_parent: Vec<u32>,
    pub(crate) tree_func: Vec<u32>,
    pub(crate) tree_depth: Vec<u32>,
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
        self.has_trace_field && !self.tree_parent.is_empty()
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

    /// Calls `each` with the function info index of each frame of trace
    /// tree node `tn`, most recent first, at most `nframe` times. The tree's
    /// root (V8's synthetic "(root)") is not a frame.
    fn walk(&self, tn: u32, nframe: u32, mut each: impl FnMut(usize)) {
        let mut t = tn as usize;
        for _ in 0..nframe {
            match self.tree_parent.get(t) {
                Some(&parent) if parent != NONE => {
                    each(self.tree_func[t] as usize);
                    t = parent as usize;
                }
                _ => break,
            }
        }
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
        let mut interner = TracebackInterner::new(self);
        let traceback: Vec<u32> = self.trace_nodes.iter().map(|&tn| interner.intern(tn, nframe)).collect();
        Snapshot::from_checked_parts(
            Arc::new(interner.tables),
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
        let mut interner = TracebackInterner::new(self);
        let (mut size, mut weight, mut traceback) = (Vec::new(), Vec::new(), Vec::new());
        for (tn, (&count, &bytes)) in self.tree_count.iter().zip(&self.tree_size).enumerate() {
            if count == 0 || bytes == 0 || self.tree_parent[tn] == NONE {
                continue;
            }
            let tb = interner.intern(tn as u32, nframe);
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
            Arc::new(interner.tables),
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
        let tn = self.trace_nodes[k];
        if !self.raw_frames {
            let (frames, total_nframe) = self.folded(tn, nframe);
            return Some(HeapTraceback { frames, total_nframe });
        }
        let mut frames = Vec::new();
        self.walk(tn, nframe, |fi| {
            let f = &self.funcs[fi];
            frames.push(HeapFrame {
                file: f.file.clone(),
                line: f.line,
                col: f.col,
                func: f.name.clone(),
            })
        });
        Some(HeapTraceback {
            frames,
            total_nframe: cap_total_nframe(self.tree_depth[tn as usize]),
        })
    }

    /// Keeps builtin frames as V8 reports them (`raw`, the default) or
    /// folds each into its nearest caller with a script
    /// ([`tracemalloc_core::fold`]), in the snapshots and tracebacks made after.
    pub fn set_raw_frames(&mut self, raw: bool) {
        self.raw_frames = raw;
    }

    /// The frames of trace tree node `tn` with builtins folded into their
    /// callers, cut to `nframe`, and the folded stack's depth (saturated
    /// as CPython's `total_nframe`).
    fn folded(&self, tn: u32, nframe: u32) -> (Vec<HeapFrame>, u32) {
        let mut folder = BuiltinFolder::new();
        let mut frames = Vec::new();
        self.walk(tn, u32::MAX, |fi| {
            let f = &self.funcs[fi];
            let func = match folder.push(f.builtin, &f.name) {
                Folded::Held => return,
                Folded::Kept => f.name.clone(),
                Folded::Renamed(name) => name,
            };
            if frames.len() < nframe as usize {
                frames.push(HeapFrame {
                    file: f.file.clone(),
                    line: f.line,
                    col: f.col,
                    func,
                });
            }
        });
        let (rest, total) = folder.finish();
        for func in rest {
            if frames.len() < nframe as usize {
                frames.push(HeapFrame {
                    file: UNKNOWN_FILE.to_vec(),
                    line: 0,
                    col: 0,
                    func: func.to_vec(),
                });
            }
        }
        (frames, cap_total_nframe(total))
    }

    /// The size charged to the object with V8 id `id`: its `self_size` plus
    /// its backing stores; `None` when it has no allocation stack.
    pub fn traced_size_of(&self, id: u64) -> Option<u64> {
        let k = self.ids.iter().position(|&x| x == id)?;
        Some(self.sizes[k])
    }
}
