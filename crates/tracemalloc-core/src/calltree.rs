//! Call trees as V8 reports allocation stacks, and how a node of one
//! becomes a traceback: the one home of the capture rules that both capture
//! modes and the importers apply.
//!
//! V8 reports stacks as trees: the allocation tracker's trace tree (exact
//! mode, `.heapsnapshot` files) and the sampling heap profiler's profile
//! (sampled mode, `.heapprofile` files). A node's stack is the path from it
//! up to the root, most recent call first. Turning a node into a traceback:
//!
//! * file names come from [`crate::names::script_path`] (done by whoever
//!   builds the [`CallFunc`]s);
//! * builtin and Node's own frames fold into their nearest caller of user
//!   code ([`crate::fold`]) unless raw frames are asked for;
//! * the frames are cut to `nframe`, and the depth saturates at
//!   [`MAX_TOTAL_NFRAME`](crate::stack::MAX_TOTAL_NFRAME);
//! * a stack without any frame becomes CPython's `"<unknown>":0` frame;
//! * a stack is tracemalloc's own allocation when an own prefix comes
//!   before any frame outside Node's code ([`crate::stack::is_own_stack`]).

use crate::fold::{folds, Folded, Folder};
use crate::stack::{cap_total_nframe, intern_unknown_frame, is_own_stack};
use crate::tables::{FrameRec, Tables, TracebackRec, NONE};
use crate::{Error, Result};

/// A function of a call tree: where it is and what it is called.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFunc {
    /// A builtin or VM state (V8's script id 0), which folds into its caller.
    pub builtin: bool,
    /// File name as WTF-8 (see [`crate::names::script_path`]).
    pub file: Vec<u8>,
    /// Function name as WTF-8; empty for anonymous functions.
    pub name: Vec<u8>,
    /// 1-based line, or 0 when unknown.
    pub line: u32,
    /// 1-based column, or 0 when unknown.
    pub col: u32,
}

/// One frame of a stack, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFrame {
    /// File name as WTF-8.
    pub file: Vec<u8>,
    /// 1-based line, or 0 when unknown.
    pub line: u32,
    /// 1-based column, or 0 when unknown.
    pub col: u32,
    /// Function name as WTF-8, with the builtins it absorbed (`f (via join)`).
    pub func: Vec<u8>,
}

/// A tree of calls: per node, its parent (or [`NONE`] for a root, which is
/// not a frame: V8's synthetic `(root)`), its function and its depth.
#[derive(Debug, Clone, Default)]
pub struct CallTree {
    funcs: Vec<CallFunc>,
    parent: Vec<u32>,
    func: Vec<u32>,
    depth: Vec<u32>,
}

impl CallTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of `funcs` and nodes given as `(parent, func)` pairs, each
    /// parent before its children. Errors name the first node that breaks
    /// that order or names a function out of range.
    pub fn from_parts(funcs: Vec<CallFunc>, nodes: impl IntoIterator<Item = (u32, u32)>) -> Result<Self> {
        let mut tree = CallTree {
            funcs,
            ..Self::default()
        };
        for (i, (parent, func)) in nodes.into_iter().enumerate() {
            if func as usize >= tree.funcs.len() {
                return Err(Error::range(format!(
                    "call tree node {i}: function {func} out of range"
                )));
            }
            tree.push(parent, func)
                .map_err(|_| Error::range(format!("call tree node {i}: parent {parent} does not come before it")))?;
        }
        Ok(tree)
    }

    /// Adds a node under `parent` ([`NONE`] for a root) calling `func`;
    /// returns its index, or an error when `parent` is not an earlier node.
    pub fn push(&mut self, parent: u32, func: u32) -> Result<u32> {
        let depth = if parent == NONE {
            0
        } else {
            match self.depth.get(parent as usize) {
                Some(&d) => d.saturating_add(1),
                None => return Err(Error::range(format!("call tree parent {parent} is not a node"))),
            }
        };
        self.parent.push(parent);
        self.func.push(func);
        self.depth.push(depth);
        Ok((self.parent.len() - 1) as u32)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when the tree has no node.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The functions.
    pub fn funcs(&self) -> &[CallFunc] {
        &self.funcs
    }

    /// The parent of node `tn` ([`NONE`] for a root).
    pub fn parent(&self, tn: u32) -> u32 {
        self.parent[tn as usize]
    }

    /// The depth of node `tn`'s stack, frames counted raw (a root is 0).
    pub fn depth(&self, tn: u32) -> u32 {
        self.depth[tn as usize]
    }

    /// The function index of each frame of node `tn`, most recent first
    /// (the root is not a frame).
    pub fn stack(&self, tn: u32) -> impl Iterator<Item = usize> + '_ {
        let mut t = tn as usize;
        std::iter::from_fn(move || {
            let parent = *self.parent.get(t)?;
            if parent == NONE {
                return None;
            }
            let fi = self.func[t] as usize;
            t = parent as usize;
            Some(fi)
        })
    }

    /// Calls `each` with the function index of each frame of node `tn`,
    /// most recent first, at most `limit` times.
    pub fn walk(&self, tn: u32, limit: u32, each: impl FnMut(usize)) {
        self.stack(tn).take(limit as usize).for_each(each);
    }

    /// True when node `tn`'s stack is tracemalloc's own allocation
    /// ([`is_own_stack`]), judged on the file `file_of` gives each function
    /// (the functions' own files, or their files before source mapping).
    pub fn is_own<'a>(&'a self, tn: u32, prefixes: &[impl AsRef<[u8]>], file_of: impl Fn(usize) -> &'a [u8]) -> bool {
        is_own_stack(self.stack(tn).map(file_of), prefixes)
    }

    /// The frames of node `tn`, cut to `nframe`, and the stack's depth
    /// (saturated as CPython's `total_nframe`): builtins and Node's own
    /// frames folded into their callers ([`crate::fold`]), or as V8 reports
    /// them when `raw`. An empty stack has no
    /// frame and depth 0 (see [`TracebackInterner`] for its traceback).
    pub fn frames(&self, tn: u32, nframe: u32, raw: bool) -> (Vec<CallFrame>, u32) {
        let owned = |f: &CallFunc, func: Vec<u8>| CallFrame {
            file: f.file.clone(),
            line: f.line,
            col: f.col,
            func,
        };
        let mut frames = Vec::new();
        if raw {
            self.walk(tn, nframe, |fi| {
                frames.push(owned(&self.funcs[fi], self.funcs[fi].name.clone()))
            });
            return (frames, cap_total_nframe(self.depth(tn)));
        }
        let mut folder = Folder::new();
        self.walk(tn, u32::MAX, |fi| {
            let f = &self.funcs[fi];
            let func = match folder.push(fi, folds(f.builtin, &f.file), &f.name) {
                Folded::Held => return,
                Folded::Kept => f.name.clone(),
                Folded::Renamed(name) => name,
            };
            if frames.len() < nframe as usize {
                frames.push(owned(f, func));
            }
        });
        let (rest, total) = folder.finish();
        for fi in rest {
            if frames.len() < nframe as usize {
                frames.push(owned(&self.funcs[fi], self.funcs[fi].name.clone()));
            }
        }
        (frames, cap_total_nframe(total))
    }
}

/// Interns the tracebacks of a [`CallTree`]'s nodes into tables, each node
/// and (raw) function once.
#[derive(Debug)]
pub struct TracebackInterner {
    nframe: u32,
    raw: bool,
    frame_of: Vec<u32>,
    tb_of: Vec<u32>,
    seq: Vec<u32>,
}

impl TracebackInterner {
    /// An interner for `tree`'s nodes, stacks cut to `nframe` frames,
    /// builtins folded unless `raw`.
    pub fn new(tree: &CallTree, nframe: u32, raw: bool) -> Self {
        Self {
            nframe,
            raw,
            frame_of: vec![NONE; tree.funcs.len()],
            tb_of: vec![NONE; tree.len()],
            seq: Vec::new(),
        }
    }

    /// The traceback id in `tables` of node `tn` of `tree` (the tree this
    /// interner was made for, and always the same `tables`).
    pub fn intern(&mut self, tree: &CallTree, tables: &mut Tables, tn: u32) -> u32 {
        let slot = tn as usize;
        if self.tb_of[slot] != NONE {
            return self.tb_of[slot];
        }
        self.seq.clear();
        let total = if self.raw {
            let (frame_of, seq) = (&mut self.frame_of, &mut self.seq);
            tree.walk(tn, self.nframe, |fi| {
                if frame_of[fi] == NONE {
                    let f = &tree.funcs[fi];
                    frame_of[fi] = intern_frame(tables, &f.file, f.line, f.col, &f.name);
                }
                seq.push(frame_of[fi]);
            });
            cap_total_nframe(tree.depth(tn))
        } else {
            let (frames, total) = tree.frames(tn, self.nframe, false);
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
        let seq = tables.intern_seq(&self.seq);
        self.tb_of[slot] = tables.intern_traceback(TracebackRec {
            seq,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::UNKNOWN_FILE;

    fn func(builtin: bool, file: &str, name: &str, line: u32) -> CallFunc {
        CallFunc {
            builtin,
            file: file.as_bytes().to_vec(),
            name: name.as_bytes().to_vec(),
            line,
            col: 1,
        }
    }

    /// (root) > main (/a.js) > render (/a.js) > join (builtin); and a root-only node.
    fn tree() -> CallTree {
        let funcs = vec![
            func(true, "<unknown>", "(root)", 0),
            func(false, "/a.js", "main", 1),
            func(false, "/a.js", "render", 5),
            func(true, "<unknown>", "join", 0),
            func(false, "/pkg/dist/x.js", "sync", 3),
            func(false, "node:fs", "readFileSync", 9),
        ];
        CallTree::from_parts(funcs, [(NONE, 0), (0, 1), (1, 2), (2, 3), (0, 4), (4, 5)]).unwrap()
    }

    fn text(frames: &[CallFrame]) -> Vec<String> {
        frames
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}",
                    String::from_utf8_lossy(&f.file),
                    f.line,
                    String::from_utf8_lossy(&f.func)
                )
            })
            .collect()
    }

    #[test]
    fn folded_and_raw_frames() {
        let t = tree();
        let (frames, depth) = t.frames(3, 10, false);
        assert_eq!(text(&frames), ["/a.js:5:render (via join)", "/a.js:1:main"]);
        assert_eq!(depth, 2);
        let (frames, depth) = t.frames(3, 10, true);
        assert_eq!(text(&frames), ["<unknown>:0:join", "/a.js:5:render", "/a.js:1:main"]);
        assert_eq!(depth, 3);
        let (frames, depth) = t.frames(3, 1, true);
        assert_eq!(text(&frames), ["<unknown>:0:join"]);
        assert_eq!(depth, 3, "the depth is not cut");
    }

    #[test]
    fn the_root_is_not_a_frame_and_an_empty_stack_is_unknown() {
        let t = tree();
        assert_eq!(t.frames(0, 10, false), (vec![], 0));
        let mut tables = Tables::new();
        let mut i = TracebackInterner::new(&t, 10, false);
        let tb = i.intern(&t, &mut tables, 0);
        let rec = tables.tracebacks()[tb as usize];
        assert_eq!(rec.total_nframe, 1);
        let f = tables.frames()[tables.seq(rec.seq)[0] as usize];
        assert_eq!((tables.str_bytes(f.file), f.line, f.func), (UNKNOWN_FILE, 0, NONE));
        assert_eq!(i.intern(&t, &mut tables, 0), tb, "cached");
    }

    #[test]
    fn interned_tracebacks_match_the_frames() {
        let t = tree();
        for raw in [false, true] {
            let mut tables = Tables::new();
            let mut i = TracebackInterner::new(&t, 2, raw);
            let tb = i.intern(&t, &mut tables, 3);
            let rec = tables.tracebacks()[tb as usize];
            let (want, depth) = t.frames(3, 2, raw);
            assert_eq!(rec.total_nframe, depth);
            let got: Vec<_> = tables
                .seq(rec.seq)
                .iter()
                .map(|&f| {
                    let f = tables.frames()[f as usize];
                    (tables.str_bytes(f.file).to_vec(), tables.str_bytes(f.func).to_vec())
                })
                .collect();
            let want: Vec<_> = want.into_iter().map(|f| (f.file, f.func)).collect();
            assert_eq!(got, want, "raw={raw}");
        }
    }

    #[test]
    fn own_stacks_skip_node_internals() {
        let t = tree();
        let file = |fi: usize| t.funcs()[fi].file.as_slice();
        assert!(t.is_own(5, &["/pkg/dist/"], file), "node:fs under our code is ours");
        assert!(!t.is_own(3, &["/pkg/dist/"], file));
    }

    #[test]
    fn parents_must_come_first() {
        let err = CallTree::from_parts(vec![CallFunc::default()], [(NONE, 0), (2, 0)]).unwrap_err();
        assert!(err.to_string().contains("node 1: parent 2"), "{err}");
        let err = CallTree::from_parts(vec![CallFunc::default()], [(NONE, 1)]).unwrap_err();
        assert!(err.to_string().contains("function 1 out of range"), "{err}");
    }
}
