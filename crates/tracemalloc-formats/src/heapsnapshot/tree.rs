//! The `trace_tree` section: nested arrays of allocation-stack nodes, read
//! with an explicit stack so that any nesting depth is fine.
//!
//! Each list holds flat records of `trace_node_fields`; the `children` field
//! of a record is itself such a list. The outermost list holds the root.

use super::lexer::{err_at, is_ws, show, Step};
use super::meta::TreeLayout;
use tracemalloc_core::error::Result;
use tracemalloc_core::tables::NONE;

/// The allocation-stack tree, one entry per node, parents before children.
#[derive(Debug, Default, Clone)]
pub(crate) struct TraceTree {
    /// The V8 trace node id (what `trace_node_id` refers to).
    pub id: Vec<u32>,
    /// Index of the parent entry, or [`NONE`] for a top-level node.
    pub parent: Vec<u32>,
    /// Index into `trace_function_infos`.
    pub func: Vec<u32>,
    /// Allocations V8 counted at the node since tracking began, collected
    /// ones included (0 when the snapshot has no `count` field).
    pub count: Vec<u64>,
    /// Bytes of those allocations (0 when the snapshot has no `size` field).
    pub size: Vec<u64>,
}

impl TraceTree {
    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.id.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    FirstOrClose,
    Value,
    After,
    Number,
}

#[derive(Clone, Copy, Debug)]
struct Level {
    /// The node whose children this list holds, or [`NONE`].
    parent: u32,
    /// The node of the record being read.
    node: u32,
    /// The field of that record that comes next.
    field: usize,
}

/// Scans the `trace_tree` value.
pub(crate) struct TreeParser {
    layout: TreeLayout,
    max_nodes: u64,
    state: State,
    neg: bool,
    digits: u32,
    val: u64,
    stack: Vec<Level>,
    /// The nodes read so far.
    pub tree: TraceTree,
}

impl TreeParser {
    /// A parser for records laid out as `layout`, allowing `max_nodes` nodes.
    pub(crate) fn new(layout: TreeLayout, max_nodes: u64) -> Self {
        Self {
            layout,
            max_nodes,
            state: State::Open,
            neg: false,
            digits: 0,
            val: 0,
            stack: Vec::new(),
            tree: TraceTree::default(),
        }
    }

    /// Starts a value in the innermost list: opens a node at a record's start.
    fn begin(&mut self, at: u64, is_list: bool) -> Result<()> {
        let Some(level) = self.stack.last_mut() else {
            return Err(err_at(at, "trace_tree: value outside any list"));
        };
        if level.field == 0 {
            let index = self.tree.id.len();
            if index as u64 >= self.max_nodes {
                return Err(err_at(
                    at,
                    format!("trace_tree has more than {} nodes, the limit", self.max_nodes),
                ));
            }
            self.tree.id.push(0);
            self.tree.parent.push(level.parent);
            self.tree.func.push(NONE);
            self.tree.count.push(0);
            self.tree.size.push(0);
            level.node = index as u32;
        }
        let children = level.field == self.layout.children;
        if children != is_list {
            let want = if children { "the children array" } else { "an integer" };
            return Err(err_at(
                at,
                format!("trace_tree: expected {want} for field {}", level.field),
            ));
        }
        Ok(())
    }

    fn end_value(&mut self) {
        if let Some(level) = self.stack.last_mut() {
            level.field = (level.field + 1) % self.layout.width;
        }
    }

    fn number(&mut self, value: i64, at: u64) -> Result<()> {
        let Some(level) = self.stack.last() else {
            return Err(err_at(at, "trace_tree: value outside any list"));
        };
        let (field, node) = (level.field, level.node as usize);
        if Some(field) == self.layout.count || Some(field) == self.layout.size {
            let v = u64::try_from(value)
                .map_err(|_| err_at(at, format!("trace_tree: a negative allocation total {value}")))?;
            if Some(field) == self.layout.count {
                self.tree.count[node] = v;
            } else {
                self.tree.size[node] = v;
            }
        } else if field == self.layout.id || field == self.layout.func {
            let v = u32::try_from(value)
                .ok()
                .filter(|&v| v != NONE)
                .ok_or_else(|| err_at(at, format!("trace_tree: {value} is not a valid id or index")))?;
            if field == self.layout.id {
                self.tree.id[node] = v;
            } else {
                self.tree.func[node] = v;
            }
        }
        self.end_value();
        Ok(())
    }

    /// Closes the innermost list; true when it was the outermost.
    fn close(&mut self, at: u64) -> Result<bool> {
        match self.stack.pop() {
            Some(level) if level.field == 0 => {}
            _ => return Err(err_at(at, "trace_tree: a list ends inside a record")),
        }
        Ok(self.stack.is_empty())
    }

    /// Feeds bytes; `Done(n)` after the outermost closing bracket.
    pub(crate) fn feed(&mut self, buf: &[u8], base: u64) -> Result<Step> {
        let n = buf.len();
        let mut i = 0;
        while i < n {
            if self.state == State::Number {
                while i < n {
                    let d = buf[i].wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    if self.digits == 1 && self.val == 0 {
                        return Err(err_at(base + i as u64, "a number has a leading zero"));
                    }
                    self.val = match self.val.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
                        Some(v) if v <= i64::MAX as u64 => v,
                        _ => return Err(err_at(base + i as u64, "an integer is too large")),
                    };
                    self.digits += 1;
                    i += 1;
                }
                if i == n {
                    break;
                }
                let at = base + i as u64;
                if self.digits == 0 || matches!(buf[i], b'.' | b'e' | b'E') {
                    return Err(err_at(at, "trace_tree: malformed integer"));
                }
                let v = if self.neg { -(self.val as i64) } else { self.val as i64 };
                self.number(v, at)?;
                self.state = State::After;
            }
            let b = buf[i];
            let at = base + i as u64;
            i += 1;
            if is_ws(b) {
                continue;
            }
            match (self.state, b) {
                (State::Open, b'[') => {
                    self.stack.push(Level {
                        parent: NONE,
                        node: NONE,
                        field: 0,
                    });
                    self.state = State::FirstOrClose;
                }
                (State::FirstOrClose | State::Value, b'[') => {
                    self.begin(at, true)?;
                    let parent = self.stack.last().map_or(NONE, |l| l.node);
                    self.end_value();
                    self.stack.push(Level {
                        parent,
                        node: NONE,
                        field: 0,
                    });
                    self.state = State::FirstOrClose;
                }
                (State::FirstOrClose | State::Value, b'0'..=b'9' | b'-') => {
                    self.begin(at, false)?;
                    self.neg = b == b'-';
                    self.val = if self.neg { 0 } else { u64::from(b - b'0') };
                    self.digits = u32::from(!self.neg);
                    self.state = State::Number;
                }
                (State::FirstOrClose | State::After, b']') => {
                    if self.close(at)? {
                        return Ok(Step::Done(i));
                    }
                    self.state = State::After;
                }
                (State::After, b',') => self.state = State::Value,
                (state, _) => {
                    let want = match state {
                        State::Open => "'['",
                        State::After => "',' or ']'",
                        _ => "a value",
                    };
                    return Err(err_at(at, format!("trace_tree: expected {want}, found {}", show(b))));
                }
            }
        }
        Ok(Step::More)
    }
}
