//! Builtin frames and Node's own frames charged to the user code that
//! called them, as CPython charges a C function's allocations to the Python
//! line that called it.
//!
//! V8 reports builtins (`join`, `replace`, `push`) and VM states as frames
//! without a script (script id 0), which tracemalloc names `<unknown>`, and
//! Node's own JavaScript as `node:` frames (`readFileSync`, the module
//! loader), whose files a user cannot open. By default both capture modes
//! fold every such frame into the nearest older frame of user code, and keep
//! the folded names visible in that frame's function name: `renderPage (via
//! join)`, `render (via map > join)` (outermost first), or `loadDb (via
//! require > … > JSONParse)` past three frames. Frames with no older frame of
//! user code to fold into (Node's startup, callbacks from its event loop) are
//! kept as they are. Code without a script *name* but with a script of its
//! own (`eval`, `new Function`, scripts collected since) is JavaScript and
//! does not fold.
//!
//! Both capture modes apply it through [`crate::calltree`]; a test checks
//! that both name the same frames.

/// The file name of a frame without a script.
pub const UNKNOWN_FILE: &[u8] = b"<unknown>";

/// True when a frame's file says it has no script: a builtin or a VM state.
pub fn is_scriptless(file: &[u8]) -> bool {
    file.is_empty() || file == UNKNOWN_FILE
}

/// True when a frame is a builtin or a VM state, which folds into its
/// caller: V8's script id 0 when the id is known, else a [scriptless](is_scriptless)
/// file name. (Code without a script name but with a script of its own,
/// such as `eval`, has an id and is JavaScript.)
pub fn is_builtin(script_id: Option<i64>, file: &[u8]) -> bool {
    script_id.map_or_else(|| is_scriptless(file), |id| id == 0)
}

/// Most folded frames a name lists in full; longer chains keep their
/// outermost and innermost frames (`require > … > JSONParse`).
pub const MAX_VIA: usize = 3;

/// The function name of a frame of user code that absorbed the frames
/// `via` (most recent first, as they were met walking the stack):
/// `func (via outer > inner)`, outermost first, or `func (via outer > … >
/// inner)` past [`MAX_VIA`] frames. An empty name stays `(anonymous)`.
pub fn folded_name(func: &[u8], via: &[&[u8]]) -> Vec<u8> {
    let name = |v: &[u8]| -> Vec<u8> {
        if v.is_empty() {
            b"(anonymous)".to_vec()
        } else {
            v.to_vec()
        }
    };
    let outermost_first: Vec<Vec<u8>> = via.iter().rev().map(|v| name(v)).collect();
    let shown: Vec<Vec<u8>> = if outermost_first.len() > MAX_VIA {
        vec![
            outermost_first[0].clone(),
            "…".as_bytes().to_vec(),
            outermost_first[outermost_first.len() - 1].clone(),
        ]
    } else {
        outermost_first
    };
    let mut out = name(func);
    out.extend_from_slice(b" (via ");
    out.extend_from_slice(&shown.join(&b" > "[..]));
    out.push(b')');
    out
}

/// True for a frame of Node's own JavaScript (`node:fs`, `node:internal/...`).
pub fn is_node_script(file: &[u8]) -> bool {
    file.starts_with(b"node:")
}

/// True when a frame folds into its nearest older frame of user code: a
/// builtin, or Node's own JavaScript (whose files a user cannot open).
pub fn folds(builtin: bool, file: &[u8]) -> bool {
    builtin || is_node_script(file)
}

/// What [`Folder::push`] did with a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Folded {
    /// The frame folds: it is held until an older frame of user code absorbs it.
    Held,
    /// A frame of user code, kept with its own name (nothing folded into it).
    Kept,
    /// A frame of user code that absorbed the held frames: this is its new function name.
    Renamed(Vec<u8>),
}

/// Folds one stack, fed most recent frame first. Frames are named by an
/// id of the caller's choice, given back for those no frame absorbed.
#[derive(Debug, Default)]
pub struct Folder<'a> {
    held: Vec<(usize, &'a [u8])>,
    depth: u32,
}

impl<'a> Folder<'a> {
    /// A folder for a new stack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next (older) frame of the stack: its id, whether it
    /// [folds](folds), and its function name.
    pub fn push(&mut self, id: usize, folds: bool, func: &'a [u8]) -> Folded {
        if folds {
            self.held.push((id, func));
            return Folded::Held;
        }
        self.depth = self.depth.saturating_add(1);
        if self.held.is_empty() {
            return Folded::Kept;
        }
        let via: Vec<&[u8]> = self.held.iter().map(|&(_, name)| name).collect();
        self.held.clear();
        Folded::Renamed(folded_name(func, &via))
    }

    /// Ends the stack: the ids of the folding frames that no frame of user
    /// code absorbed (most recent first), which stay as they are, and the
    /// depth of the folded stack.
    pub fn finish(self) -> (Vec<usize>, u32) {
        let depth = self.depth.saturating_add(self.held.len() as u32);
        (self.held.into_iter().map(|(id, _)| id).collect(), depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(stack: &[(&'static str, &'static str)]) -> (Vec<String>, u32) {
        let mut f = Folder::new();
        let mut out = Vec::new();
        for (id, &(file, func)) in stack.iter().enumerate() {
            let file_b = file.as_bytes();
            match f.push(id, folds(is_scriptless(file_b), file_b), func.as_bytes()) {
                Folded::Held => {}
                Folded::Kept => out.push(format!("{file}:{func}")),
                Folded::Renamed(n) => out.push(format!("{file}:{}", String::from_utf8(n).unwrap())),
            }
        }
        let (rest, depth) = f.finish();
        out.extend(rest.iter().map(|&id| format!("{}:{}", stack[id].0, stack[id].1)));
        (out, depth)
    }

    #[test]
    fn builtins_fold_into_their_caller() {
        let (frames, depth) = fold(&[("", "join"), ("/a.js", "renderPage"), ("/a.js", "main")]);
        assert_eq!(frames, ["/a.js:renderPage (via join)", "/a.js:main"]);
        assert_eq!(depth, 2);
    }

    #[test]
    fn a_chain_of_builtins_names_the_outermost_first() {
        let (frames, _) = fold(&[("<unknown>", "join"), ("", "map"), ("/a.js", ""), ("/a.js", "main")]);
        assert_eq!(frames, ["/a.js:(anonymous) (via map > join)", "/a.js:main"]);
    }

    #[test]
    fn frames_without_a_caller_of_user_code_stay() {
        let (frames, depth) = fold(&[("/a.js", "cb"), ("", "Promise"), ("node:events", "emit")]);
        assert_eq!(frames, ["/a.js:cb", ":Promise", "node:events:emit"]);
        assert_eq!(depth, 3);
        let (frames, depth) = fold(&[("", "(garbage collector)")]);
        assert_eq!(frames, [":(garbage collector)"]);
        assert_eq!(depth, 1);
    }

    #[test]
    fn node_frames_fold_and_long_chains_keep_their_ends() {
        let (frames, depth) = fold(&[("node:fs", "readFileSync"), ("/a.js", "load"), ("/a.js", "main")]);
        assert_eq!(frames, ["/a.js:load (via readFileSync)", "/a.js:main"]);
        assert_eq!(depth, 2);
        let chain = [
            ("node:internal/modules/cjs/loader", "JSONParse"),
            ("node:internal/modules/cjs/loader", "Module._extensions..json"),
            ("node:internal/modules/cjs/loader", "Module.load"),
            ("node:internal/modules/cjs/loader", "Module._load"),
            ("node:internal/modules/helpers", "require"),
            ("/db/index.js", ""),
        ];
        let (frames, depth) = fold(&chain);
        assert_eq!(frames, ["/db/index.js:(anonymous) (via require > … > JSONParse)"]);
        assert_eq!(depth, 1);
    }
}
