//! Builtin frames charged to their JavaScript caller, as CPython charges a
//! C function's allocations to the Python line that called it.
//!
//! V8 reports builtins (`join`, `replace`, `push`) and VM states as frames
//! without a script (script id 0), which tracemalloc names `<unknown>`. By
//! default both capture modes fold every such frame into the nearest older frame that has
//! a script, and keep the builtin's name visible in that frame's function
//! name: `renderPage (via join)`, or `render (via map > join)` when the
//! caller went through several builtins (outermost first). Scriptless frames
//! with no older scripted frame to fold into are kept as they are. Code
//! without a script *name* but with a script of its own (`eval`, `new
//! Function`, scripts collected since) is JavaScript and does not fold.
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

/// The function name of a scripted frame that absorbed the builtins `via`
/// (most recent first, as they were met walking the stack):
/// `func (via outer > inner)`. An empty name stays `(anonymous)`.
pub fn folded_name(func: &[u8], via: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(func.len() + 8 + via.iter().map(|v| v.len() + 3).sum::<usize>());
    out.extend_from_slice(if func.is_empty() { b"(anonymous)" } else { func });
    out.extend_from_slice(b" (via ");
    for (i, v) in via.iter().rev().enumerate() {
        if i > 0 {
            out.extend_from_slice(b" > ");
        }
        out.extend_from_slice(if v.is_empty() { b"(anonymous)" } else { v });
    }
    out.push(b')');
    out
}

/// What [`BuiltinFolder::push`] did with a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Folded {
    /// The frame has no script: it is held until an older scripted frame absorbs it.
    Held,
    /// A scripted frame, kept with its own name (no builtin before it).
    Kept,
    /// A scripted frame that absorbed the held builtins: this is its new function name.
    Renamed(Vec<u8>),
}

/// Folds one stack, fed most recent frame first.
#[derive(Debug, Default)]
pub struct BuiltinFolder<'a> {
    held: Vec<&'a [u8]>,
    depth: u32,
}

impl<'a> BuiltinFolder<'a> {
    /// A folder for a new stack.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next (older) frame of the stack: whether it is a builtin
    /// (V8's script id 0; [`is_scriptless`] tells by file name when the id
    /// is unknown) and its function name.
    pub fn push(&mut self, builtin: bool, func: &'a [u8]) -> Folded {
        if builtin {
            self.held.push(func);
            return Folded::Held;
        }
        self.depth = self.depth.saturating_add(1);
        if self.held.is_empty() {
            return Folded::Kept;
        }
        let name = folded_name(func, &self.held);
        self.held.clear();
        Folded::Renamed(name)
    }

    /// Ends the stack: the function names of the scriptless frames that no
    /// scripted frame absorbed (most recent first), to keep as `<unknown>`
    /// frames, and the depth of the folded stack.
    pub fn finish(self) -> (Vec<&'a [u8]>, u32) {
        let depth = self.depth.saturating_add(self.held.len() as u32);
        (self.held, depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(stack: &[(&'static str, &'static str)]) -> (Vec<String>, u32) {
        let mut f = BuiltinFolder::new();
        let mut out = Vec::new();
        for &(file, func) in stack {
            match f.push(is_scriptless(file.as_bytes()), func.as_bytes()) {
                Folded::Held => {}
                Folded::Kept => out.push(format!("{file}:{func}")),
                Folded::Renamed(n) => out.push(format!("{file}:{}", String::from_utf8(n).unwrap())),
            }
        }
        let (rest, depth) = f.finish();
        out.extend(rest.iter().map(|n| format!("<unknown>:{}", String::from_utf8_lossy(n))));
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
    fn builtins_without_a_scripted_caller_stay() {
        let (frames, depth) = fold(&[("/a.js", "cb"), ("", "Promise"), ("", "")]);
        assert_eq!(frames, ["/a.js:cb", "<unknown>:Promise", "<unknown>:"]);
        assert_eq!(depth, 3);
        let (frames, depth) = fold(&[("", "(garbage collector)")]);
        assert_eq!(frames, ["<unknown>:(garbage collector)"]);
        assert_eq!(depth, 1);
    }

    #[test]
    fn node_internals_have_a_script_and_stay() {
        let (frames, _) = fold(&[("node:internal/x", "f"), ("/a.js", "g")]);
        assert_eq!(frames, ["node:internal/x:f", "/a.js:g"]);
    }
}
