//! What the parser keeps while the input streams: compact per-node columns,
//! the edges that may link an ArrayBuffer to its backing store, function
//! infos and the trace tree; and the final resolution into a [`ParsedHeap`]
//! once the strings are known.

use rustc_hash::{FxHashMap, FxHashSet};

use super::heap::{FuncInfo, ParsedHeap};
use super::ints::RecordSink;
use super::lexer::{err_at, format_err};
use super::meta::Meta;
use super::names::script_path;
use super::strings::StringsParser;
use super::tree::TraceTree;
use tracemalloc_core::error::Result;
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

    fn get(&self, i: usize) -> u64 {
        match self.low[i] {
            u32::MAX => self.big.get(&(i as u32)).copied().unwrap_or(u64::from(u32::MAX)),
            x => u64::from(x),
        }
    }
}

/// A `trace_function_infos` record, with string indices not yet resolved.
#[derive(Clone, Copy)]
struct RawFunc {
    name: u32,
    script: u32,
    line: u32,
    col: u32,
}

/// The state built while the sections stream.
pub(crate) struct Builder {
    pub meta: Meta,
    max_nodes: u64,
    size: CompactU64,
    id: CompactU64,
    trace: Vec<u32>,
    edges_of: Vec<u32>,
    name: Vec<u32>,
    store: Vec<bool>,
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
    funcs: Vec<RawFunc>,
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
    pub(crate) fn new(meta: Meta, max_nodes: u64) -> Self {
        let reserve = meta.node_count.min(MAX_RESERVE) as usize;
        Self {
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
            store: Vec::with_capacity(reserve),
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
        let store = *usize::try_from(ty)
            .ok()
            .and_then(|t| m.store_type.get(t))
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
        self.id.push(id);
        self.trace.push(trace);
        self.edges_of.push(edges);
        self.name.push(name);
        self.store.push(store);
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
        let width = m.node_width as i64;
        let node = to / width;
        if to < 0 || to % width != 0 || node >= self.trace.len() as i64 {
            return Err(err_at(at, format!("edge {e}: to_node {to} is not the start of a node")));
        }
        let node = node as usize;
        if self.store[node] && self.trace[self.cur] != 0 {
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
            line: pos(l.line),
            col: pos(l.col),
        };
        self.funcs.push(f);
        Ok(())
    }

    /// Resolves names and links once every section is read.
    pub(crate) fn finish(self, strings: StringsParser) -> Result<ParsedHeap> {
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
        let string = |i: u32| -> &[u8] {
            match strings.wanted().binary_search(&i) {
                Ok(k) => strings.kept.get(k).map_or(&[][..], |s| &s[..]),
                Err(_) => &[],
            }
        };

        let tree = self.tree;
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

        let mut extra: FxHashMap<u32, u64> = FxHashMap::default();
        let mut charged: FxHashSet<u32> = FxHashSet::default();
        for &(from, to) in &self.candidates {
            if string(self.name[to as usize]).ends_with(BACKING_STORE) && charged.insert(to) {
                let e = extra.entry(from).or_default();
                *e = e.saturating_add(self.size.get(to as usize));
            }
        }

        let mut heap = ParsedHeap {
            node_count: self.trace.len(),
            total_size: self.total_size,
            has_trace_field: self.meta.n_trace.is_some(),
            ids: Vec::new(),
            sizes: Vec::new(),
            trace_nodes: Vec::new(),
            funcs: Vec::with_capacity(nfunc),
            tree_parent: Vec::new(),
            tree_func: Vec::new(),
            tree_depth: Vec::with_capacity(tree.len()),
            watched_untraced: Vec::new(),
        };
        for (k, &t) in self.trace.iter().enumerate() {
            let id = self.id.get(k);
            if t == 0 {
                if self.watch.as_ref().is_some_and(|w| w.contains(&id)) {
                    heap.watched_untraced.push(id);
                }
                continue;
            }
            let tn = *by_id
                .get(&t)
                .ok_or_else(|| format_err(format!("node {k} has trace_node_id {t}, which is not in trace_tree")))?;
            let own = self.size.get(k);
            heap.ids.push(id);
            heap.sizes
                .push(own.saturating_add(extra.get(&(k as u32)).copied().unwrap_or(0)));
            heap.trace_nodes.push(tn);
        }
        for f in &self.funcs {
            heap.funcs.push(FuncInfo {
                file: script_path(string(f.script)),
                name: string(f.name).to_vec(),
                line: f.line,
                col: f.col,
            });
        }
        for &p in &tree.parent {
            let depth = match heap.tree_depth.get(p as usize) {
                Some(d) if p != NONE => d + 1,
                _ => 0,
            };
            heap.tree_depth.push(depth);
        }
        heap.tree_parent = tree.parent;
        heap.tree_func = tree.func;
        Ok(heap)
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
