//! The call tree of one or two snapshots: every frame sequence becomes a
//! path from the root (the oldest call) to its most recent frame, and
//! sequences that share a prefix share nodes. Built and walked without
//! recursion, so tracebacks of any depth are safe.

use rustc_hash::FxHashMap;
use tracemalloc_core::NONE;

/// Which snapshot a value belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Side {
    /// The snapshot exported (the new one of a diff).
    New = 0,
    /// The base of a differential flame graph.
    Base = 1,
}

/// Values of a node: bytes and objects of each side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Values {
    /// Bytes, per side.
    pub bytes: [f64; 2],
    /// Objects, per side.
    pub count: [f64; 2],
}

impl Values {
    /// Adds another node's values.
    pub fn add(&mut self, o: &Values) {
        for s in 0..2 {
            self.bytes[s] += o.bytes[s];
            self.count[s] += o.count[s];
        }
    }
}

/// A call tree. Node 0 is the root; a node's parent always has a lower id.
pub(crate) struct StackTree {
    /// Frame key of each node ([`NONE`] for the root).
    pub frame: Vec<u32>,
    /// Parent of each node ([`NONE`] for the root).
    pub parent: Vec<u32>,
    /// Values of the traces whose most recent frame is this node.
    pub self_values: Vec<Values>,
    index: FxHashMap<(u32, u32), u32>,
}

impl StackTree {
    /// A tree with only its root.
    pub fn new() -> Self {
        Self {
            frame: vec![NONE],
            parent: vec![NONE],
            self_values: vec![Values::default()],
            index: FxHashMap::default(),
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.frame.len()
    }

    /// The node reached from the root through `path` (frame keys, oldest
    /// call first), created as needed.
    pub fn node(&mut self, path: impl IntoIterator<Item = u32>) -> u32 {
        let mut node = 0u32;
        for key in path {
            let next = self.frame.len() as u32;
            node = *self.index.entry((node, key)).or_insert_with(|| {
                self.frame.push(key);
                self.parent.push(node);
                self.self_values.push(Values::default());
                next
            });
        }
        node
    }

    /// Adds bytes and objects of `side` to `node`'s own values.
    pub fn add(&mut self, node: u32, side: Side, bytes: f64, count: f64) {
        let v = &mut self.self_values[node as usize];
        v.bytes[side as usize] += bytes;
        v.count[side as usize] += count;
    }

    /// Inclusive values: each node's own plus its descendants'.
    pub fn totals(&self) -> Vec<Values> {
        let mut t = self.self_values.clone();
        for i in (1..t.len()).rev() {
            let v = t[i];
            t[self.parent[i] as usize].add(&v);
        }
        t
    }

    /// Children of every node, in creation order, as offsets into one list:
    /// the children of `n` are `list[start[n]..start[n + 1]]`.
    pub fn children(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.len();
        let mut start = vec![0u32; n + 1];
        for &p in &self.parent[1..] {
            start[p as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut list = vec![0u32; n.saturating_sub(1)];
        for (i, &p) in self.parent.iter().enumerate().skip(1) {
            list[fill[p as usize] as usize] = i as u32;
            fill[p as usize] += 1;
        }
        (start, list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_prefixes_and_sums_totals() {
        let mut t = StackTree::new();
        let a = t.node([1, 2, 3]);
        let b = t.node([1, 2, 4]);
        let c = t.node([1, 2]);
        assert_eq!(t.len(), 5);
        assert_eq!(t.node([1, 2, 3]), a);
        t.add(a, Side::New, 10.0, 1.0);
        t.add(b, Side::New, 5.0, 2.0);
        t.add(c, Side::Base, 7.0, 1.0);
        let tot = t.totals();
        assert_eq!(tot[0].bytes, [15.0, 7.0]);
        assert_eq!(tot[0].count, [3.0, 1.0]);
        let (start, list) = t.children();
        assert_eq!(
            &list[start[c as usize] as usize..start[c as usize + 1] as usize],
            &[a, b]
        );
    }

    #[test]
    fn deep_paths_need_no_recursion() {
        let mut t = StackTree::new();
        let leaf = t.node(0..200_000);
        t.add(leaf, Side::New, 1.0, 1.0);
        assert_eq!(t.totals()[0].bytes[0], 1.0);
    }
}
