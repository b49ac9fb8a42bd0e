//! What the parser keeps while the input streams: compact per-node columns,
//! the edges that may link an ArrayBuffer to its backing store, function
//! infos and the trace tree; and the final resolution into a [`ParsedHeap`]
//! once the strings are known.

use rustc_hash::{FxHashMap, FxHashSet};

use super::heap::ParsedHeap;
use super::ints::RecordSink;
use super::lexer::{err_at, format_err};
use super::meta::Meta;
use super::strings::StringsParser;
use super::tree::TraceTree;
use tracemalloc_core::calltree::{CallFunc, CallTree};
use tracemalloc_core::error::Result;
use tracemalloc_core::fold::is_builtin;
use tracemalloc_core::names::script_path;
use tracemalloc_core::tables::NONE;

/// The name suffix of V8's ArrayBuffer backing-store nodes
/// ("system / JSArrayBufferData").
const BACKING_STORE: &[u8] = b"JSArrayBufferData";

/// Largest capacity reserved up front from a count in the meta object;
/// columns grow past it only as real data arrives.
const MAX_RESERVE: u64 = 1 << 20;

/// A `u64` column stored as `u32`, with the rare large values on the side.
#[derive(Default)]
pub(crate) struct CompactU64 {
    low: Vec<u32>,
    big: FxHashMap<u32, u64>,
}

impl CompactU64 {
    fn push(&mut self, v: u64) {
        match u32::try_from(v) {
            Ok(x) if x != u32::MAX => self.low.push(x),
            _ => {
                self.big.insert(self.low.len() as u32, v);
                self.low.push(u32::MAX);
            }
        }
    }

    pub(crate) fn get(&self, i: usize) -> u64 {
        match self.low[i] {
            u32::MAX => self.big.get(&(i as u32)).copied().unwrap_or(u64::from(u32::MAX)),
            x => u64::from(x),
        }
    }
}

/// A `trace_function_infos` record, with string indices not yet resolved.
#[derive(Clone, Copy)]
pub(crate) struct RawFunc {
    pub name: u32,
    pub script: u32,
    /// V8's script id: 0 for builtins and VM states; `None` when the snapshot has no such field.
    pub script_id: Option<i64>,
    pub line: u32,
    pub col: u32,
}

/// What the parse is for, and so what it keeps per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Exact mode: the objects with an allocation stack, by V8 id
    /// ([`ParsedHeap`]).
    Exact,
    /// A file import: every node, with its type and, for the types whose
    /// name is a class (not a value), its name ([`super::import`]).
    Import,
}

/// The state built while the sections stream.
pub(crate) struct Builder {
    pub meta: Meta,
    pub(crate) purpose: Purpose,
    max_nodes: u64,
    pub(crate) size: CompactU64,
    id: CompactU64,
    pub(crate) trace: Vec<u32>,
    edges_of: Vec<u32>,
    pub(crate) name: Vec<u32>,
    pub(crate) ty: Vec<u8>,
    /// Per node type: does the node name a class (kept for imports)?
    named_type: Vec<bool>,
    /// 1 / node width, to find an edge's target without a division.
    inv_width: f64,
    total_size: u64,
    edge_sum: u64,
    max_node_name: Option<u32>,
    edges: u64,
    cur: usize,
    next: usize,
    left: u32,
    max_edge_name: Option<u32>,
    /// (owner node, possible backing-store node), in edge order.
    candidates: Vec<(u32, u32)>,
    pub(crate) funcs: Vec<RawFunc>,
    /// The trace tree, once read.
    pub tree: TraceTree,
    /// Ids whose presence without an allocation trace is reported (see
    /// [`HeapSnapshotParser::watch`](super::HeapSnapshotParser::watch)).
    pub watch: Option<FxHashSet<u64>>,
}

fn index_u32(v: i64) -> Option<u32> {
    u32::try_from(v).ok().filter(|&v| v != NONE)
}

impl Builder {
    /// Prepares the columns for `meta.node_count` nodes.
    pub(crate) fn new(meta: Meta, max_nodes: u64, purpose: Purpose) -> Self {
        let reserve = meta.node_count.min(MAX_RESERVE) as usize;
        Self {
            purpose,
            named_type: meta
                .type_names
                .iter()
                .map(|t| super::pseudo::names_a_class(t))
                .collect(),
            inv_width: 1.0 / meta.node_width as f64,
            size: CompactU64 {
                low: Vec::with_capacity(reserve),
                big: FxHashMap::default(),
            },
            id: CompactU64 {
                low: Vec::with_capacity(reserve),
                big: FxHashMap::default(),
            },
            trace: Vec::with_capacity(reserve),
            edges_of: Vec::with_capacity(reserve),
            name: Vec::with_capacity(reserve),
            ty: Vec::with_capacity(reserve),
            meta,
            max_nodes,
            total_size: 0,
            edge_sum: 0,
            max_node_name: None,
            edges: 0,
            cur: 0,
            next: 0,
            left: 0,
            max_edge_name: None,
            candidates: Vec::new(),
            funcs: Vec::new(),
            tree: TraceTree::default(),
            watch: None,
        }
    }

    /// The distinct names of the nodes whose type names a class (imports
    /// keep them as pseudo-frame functions).
    fn class_names(&self) -> Vec<u32> {
        let Some(max) = self.max_node_name else {
            return Vec::new();
        };
        let named = |k: usize| self.named_type[usize::from(self.ty[k])];
        // A bitset over the name indices when it is no larger than the
        // columns already held; a hash set for sparse (hostile) indices.
        let bits = max as usize + 1;
        if bits <= 64 * self.ty.len() + (1 << 20) {
            let mut set = vec![0u64; bits.div_ceil(64)];
            for (k, &name) in self.name.iter().enumerate() {
                if named(k) {
                    set[name as usize / 64] |= 1 << (name % 64);
                }
            }
            let mut out = Vec::new();
            for (w, &word) in set.iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    out.push((w * 64) as u32 + word.trailing_zeros());
                    word &= word - 1;
                }
            }
            out
        } else {
            let set: FxHashSet<u32> = (0..self.name.len())
                .filter(|&k| named(k))
                .map(|k| self.name[k])
                .collect();
            set.into_iter().collect()
        }
    }

    /// True when nodes of type `ty` are named by a class, not a value.
    pub(crate) fn names_class(&self, ty: u8) -> bool {
        self.named_type[usize::from(ty)]
    }

    /// Checks the end of `nodes`.
    pub(crate) fn end_nodes(&self, at: u64) -> Result<()> {
        let (n, want) = (self.trace.len() as u64, self.meta.node_count);
        if n != want {
            return Err(err_at(
                at,
                format!("nodes holds {n} nodes, but snapshot.node_count is {want}"),
            ));
        }
        if self.edge_sum != self.meta.edge_count {
            return Err(err_at(
                at,
                format!(
                    "the nodes' edge_count fields add up to {}, but snapshot.edge_count is {}",
                    self.edge_sum, self.meta.edge_count
                ),
            ));
        }
        Ok(())
    }

    /// Checks the end of `edges`.
    pub(crate) fn end_edges(&self, at: u64) -> Result<()> {
        if self.edges != self.meta.edge_count {
            return Err(err_at(
                at,
                format!(
                    "edges holds {} edges, but snapshot.edge_count is {}",
                    self.edges, self.meta.edge_count
                ),
            ));
        }
        Ok(())
    }

    /// The string indices the result needs, sorted and distinct.
    pub(crate) fn wanted_strings(&self) -> Vec<u32> {
        let mut w: Vec<u32> = self.candidates.iter().map(|&(_, to)| self.name[to as usize]).collect();
        w.extend(self.funcs.iter().flat_map(|f| [f.name, f.script]));
        if self.purpose == Purpose::Import {
            w.extend(self.class_names());
        }
        w.sort_unstable();
        w.dedup();
        w
    }

    fn node(&mut self, r: &[i64], at: u64) -> Result<()> {
        let m = &self.meta;
        let k = self.trace.len();
        if k as u64 >= m.node_count {
            return Err(err_at(
                at,
                format!("nodes holds more than snapshot.node_count = {} nodes", m.node_count),
            ));
        }
        let bad = |what: &str, v: i64| err_at(at, format!("node {k}: {what} {v} is out of range"));
        let ty = r[m.n_type];
        let ty = u8::try_from(ty)
            .ok()
            .filter(|&t| usize::from(t) < m.type_names.len())
            .ok_or_else(|| bad("type", ty))?;
        let name = index_u32(r[m.n_name]).ok_or_else(|| bad("name", r[m.n_name]))?;
        let id = u64::try_from(r[m.n_id]).map_err(|_| bad("id", r[m.n_id]))?;
        let size = u64::try_from(r[m.n_size]).map_err(|_| bad("self_size", r[m.n_size]))?;
        let edges = u32::try_from(r[m.n_edges]).map_err(|_| bad("edge_count", r[m.n_edges]))?;
        let trace = match m.n_trace {
            Some(p) => index_u32(r[p]).ok_or_else(|| bad("trace_node_id", r[p]))?,
            None => 0,
        };
        self.max_node_name = self.max_node_name.max(Some(name));
        self.total_size = self.total_size.saturating_add(size);
        self.edge_sum += u64::from(edges);
        self.size.push(size);
        if self.purpose == Purpose::Exact {
            self.id.push(id);
        }
        self.trace.push(trace);
        self.edges_of.push(edges);
        self.name.push(name);
        self.ty.push(ty);
        Ok(())
    }

    fn edge(&mut self, r: &[i64], at: u64) -> Result<()> {
        let e = self.edges;
        if e >= self.meta.edge_count {
            return Err(err_at(
                at,
                format!("edges holds more than snapshot.edge_count = {e} edges"),
            ));
        }
        while self.left == 0 {
            if self.next >= self.trace.len() {
                return Err(err_at(
                    at,
                    format!("edge {e} has no from-node: the edge counts are used up"),
                ));
            }
            self.cur = self.next;
            self.left = self.edges_of[self.next];
            self.next += 1;
        }
        self.left -= 1;
        let m = &self.meta;
        let ty = r[m.e_type];
        let named = *usize::try_from(ty)
            .ok()
            .and_then(|t| m.edge_named.get(t))
            .ok_or_else(|| err_at(at, format!("edge {e}: type {ty} is out of range")))?;
        if named {
            let nm = r[m.e_name];
            let nm = index_u32(nm).ok_or_else(|| err_at(at, format!("edge {e}: name {nm} is out of range")))?;
            self.max_edge_name = self.max_edge_name.max(Some(nm));
        }
        let to = r[m.e_to];
        // to / width, exactly when `to` is a multiple below 2^53 (checked).
        let node = ((to as f64) * self.inv_width + 0.5) as u64;
        if to < 0 || node >= self.trace.len() as u64 || node * m.node_width as u64 != to as u64 {
            return Err(err_at(at, format!("edge {e}: to_node {to} is not the start of a node")));
        }
        let node = node as usize;
        // Exact mode charges backing stores to traced owners only; an
        // import charges every owner. (Test the edge type first: the
        // target's type is a random access.)
        if Some(ty) == self.meta.internal_edge
            && Some(self.ty[node]) == self.meta.native_type
            && (self.purpose == Purpose::Import || self.trace[self.cur] != 0)
        {
            self.candidates.push((self.cur as u32, node as u32));
        }
        self.edges = e + 1;
        Ok(())
    }

    fn func(&mut self, r: &[i64], at: u64) -> Result<()> {
        let k = self.funcs.len();
        // snapshot.trace_function_count is not checked: V8 counts before it
        // serializes, and functions first run while the snapshot streams
        // (the chunk callbacks) are added after the count.
        if k as u64 >= self.max_nodes {
            return Err(err_at(
                at,
                format!(
                    "trace_function_infos holds more than {} records, the limit",
                    self.max_nodes
                ),
            ));
        }
        let Some(l) = &self.meta.func else {
            return Err(err_at(
                at,
                "trace_function_infos without meta.trace_function_info_fields",
            ));
        };
        let string = |p: usize| {
            index_u32(r[p])
                .ok_or_else(|| err_at(at, format!("function info {k}: string index {} is out of range", r[p])))
        };
        // V8 writes 1-based positions and 0 when unknown.
        let pos = |p: Option<usize>| p.and_then(|p| u32::try_from(r[p]).ok()).unwrap_or(0);
        let f = RawFunc {
            name: string(l.name)?,
            script: string(l.script)?,
            script_id: l.script_id.map(|p| r[p]),
            line: pos(l.line),
            col: pos(l.col),
        };
        self.funcs.push(f);
        Ok(())
    }

    /// Checks every cross-reference once every section is read, and links
    /// each ArrayBuffer to the backing stores it owns.
    pub(crate) fn resolve(mut self, strings: StringsParser) -> Result<Resolved> {
        let count = strings.count;
        let check = |what: &str, max: Option<u32>| match max {
            Some(i) if u64::from(i) >= count => Err(format_err(format!(
                "{what} names string {i}, but strings holds only {count}"
            ))),
            _ => Ok(()),
        };
        check("a node", self.max_node_name)?;
        check("an edge", self.max_edge_name)?;
        check("a function info", self.funcs.iter().map(|f| f.name.max(f.script)).max())?;

        let tree = std::mem::take(&mut self.tree);
        let nfunc = self.funcs.len();
        if let Some(k) = tree.func.iter().position(|&f| f as usize >= nfunc) {
            return Err(format_err(format!(
                "trace node {} names function info {}, but there are only {nfunc}",
                tree.id[k], tree.func[k]
            )));
        }
        let mut by_id: FxHashMap<u32, u32> = FxHashMap::default();
        by_id.reserve(tree.len());
        for (k, &id) in tree.id.iter().enumerate() {
            if by_id.insert(id, k as u32).is_some() {
                return Err(format_err(format!("trace_tree holds trace node id {id} twice")));
            }
        }
        // The edges are walked; what is left of them is the candidates.
        self.edges_of = Vec::new();
        let mut r = Resolved {
            b: self,
            strings,
            tree,
            calls: CallTree::new(),
            by_id,
            extra: FxHashMap::default(),
            charged: FxHashSet::default(),
        };
        // The tree's parents and functions move into the call tree (kept once).
        let funcs = r.b.funcs.iter().map(|f| r.func_info(f)).collect();
        let (parent, func) = (std::mem::take(&mut r.tree.parent), std::mem::take(&mut r.tree.func));
        r.calls = CallTree::from_parts(funcs, parent.into_iter().zip(func))
            .map_err(|e| format_err(format!("trace_tree: {}", e.message)))?;
        let candidates = std::mem::take(&mut r.b.candidates);
        for &(from, to) in &candidates {
            if r.string(r.b.name[to as usize]).ends_with(BACKING_STORE) && r.charged.insert(to) {
                let size = r.b.size.get(to as usize);
                let e = r.extra.entry(from).or_default();
                *e = e.saturating_add(size);
            }
        }
        Ok(r)
    }

    /// Resolves names and links once every section is read, for exact mode.
    pub(crate) fn finish(self, strings: StringsParser) -> Result<ParsedHeap> {
        let r = self.resolve(strings)?;
        let b = &r.b;
        let mut heap = ParsedHeap {
            node_count: b.trace.len(),
            total_size: b.total_size,
            has_trace_field: b.meta.n_trace.is_some(),
            ids: Vec::new(),
            sizes: Vec::new(),
            trace_nodes: Vec::new(),
            tree: CallTree::new(),
            tree_count: Vec::new(),
            tree_size: Vec::new(),
            watched_untraced: Vec::new(),
            raw_frames: true,
        };
        for (k, &t) in b.trace.iter().enumerate() {
            if t == 0 {
                let id = b.id.get(k);
                if b.watch.as_ref().is_some_and(|w| w.contains(&id)) {
                    heap.watched_untraced.push(id);
                }
                continue;
            }
            let tn = r.trace_node(k, t)?;
            heap.ids.push(b.id.get(k));
            heap.sizes.push(r.charged_size(k));
            heap.trace_nodes.push(tn);
        }
        heap.tree = r.calls;
        heap.tree_count = r.tree.count;
        heap.tree_size = r.tree.size;
        Ok(heap)
    }
}

/// A fully read heap snapshot: the builder's columns, the strings kept,
/// the trace tree, and which backing stores went to which owner.
pub(crate) struct Resolved {
    pub b: Builder,
    strings: StringsParser,
    /// The trace tree's ids and totals (its parents and functions are in `calls`).
    pub tree: TraceTree,
    /// The trace tree as a call tree, functions resolved.
    pub calls: CallTree,
    by_id: FxHashMap<u32, u32>,
    /// Backing-store bytes charged to each owner node.
    extra: FxHashMap<u32, u64>,
    /// The backing-store nodes charged to an owner.
    pub charged: FxHashSet<u32>,
}

impl Resolved {
    /// String `i`, when it was kept (else empty).
    pub(crate) fn string(&self, i: u32) -> &[u8] {
        match self.strings.wanted().binary_search(&i) {
            Ok(k) => self.strings.kept.get(k).map_or(&[][..], |s| &s[..]),
            Err(_) => &[],
        }
    }

    /// Node `k`'s size: its own plus the backing stores charged to it.
    pub(crate) fn charged_size(&self, k: usize) -> u64 {
        let own = self.b.size.get(k);
        own.saturating_add(self.extra.get(&(k as u32)).copied().unwrap_or(0))
    }

    /// The trace tree index of node `k`'s `trace_node_id` `t`.
    pub(crate) fn trace_node(&self, k: usize, t: u32) -> Result<u32> {
        self.by_id
            .get(&t)
            .copied()
            .ok_or_else(|| format_err(format!("node {k} has trace_node_id {t}, which is not in trace_tree")))
    }

    /// A function info with its strings resolved.
    pub(crate) fn func_info(&self, f: &RawFunc) -> CallFunc {
        let file = script_path(self.string(f.script));
        CallFunc {
            // Eval'd code has no script name but a script of its own.
            builtin: is_builtin(f.script_id, &file),
            file,
            name: self.string(f.name).to_vec(),
            line: f.line,
            col: f.col,
        }
    }
}

/// Feeds `nodes` records to a [`Builder`].
pub(crate) struct Nodes<'a>(pub &'a mut Builder);
/// Feeds `edges` records to a [`Builder`].
pub(crate) struct Edges<'a>(pub &'a mut Builder);
/// Feeds `trace_function_infos` records to a [`Builder`].
pub(crate) struct Funcs<'a>(pub &'a mut Builder);

impl RecordSink for Nodes<'_> {
    #[inline]
    fn record(&mut self, rec: &[i64], at: u64) -> Result<()> {
        self.0.node(rec, at)
    }
}

impl RecordSink for Edges<'_> {
    #[inline]
    fn record(&mut self, rec: &[i64], at: u64) -> Result<()> {
        self.0.edge(rec, at)
    }
}

impl RecordSink for Funcs<'_> {
    #[inline]
    fn record(&mut self, rec: &[i64], at: u64) -> Result<()> {
        self.0.func(rec, at)
    }
}
