//! Rules both capture modes apply to a raw V8 stack before it becomes a
//! traceback: the depth cap, the `<unknown>` frame of an empty stack, and
//! what counts as tracemalloc's own allocation. (File names: [`crate::names`];
//! builtin folding: [`crate::fold`].)

use crate::fold::{is_node_script, UNKNOWN_FILE};
use crate::tables::{FrameRec, Tables, TracebackRec, NONE};

/// Deepest stack depth a traceback records in `total_nframe`, as CPython
/// saturates its `total_nframe` at 65535 (`MAX_NFRAME`): deeper stacks say
/// 65535.
pub const MAX_TOTAL_NFRAME: u32 = 65535;

/// A stack's depth as a traceback's `total_nframe`: saturated at
/// [`MAX_TOTAL_NFRAME`].
pub fn cap_total_nframe(depth: u32) -> u32 {
    depth.min(MAX_TOTAL_NFRAME)
}

/// Interns the traceback of a stack without any JavaScript frame:
/// CPython's `"<unknown>":0` frame, no function name, `total_nframe` 1.
pub fn intern_unknown_traceback(tables: &mut Tables) -> u32 {
    let frame = intern_unknown_frame(tables);
    let seq = tables.intern_seq(&[frame]);
    tables.intern_traceback(TracebackRec { seq, total_nframe: 1 })
}

/// Interns the `"<unknown>":0` frame (no function name) that stands for a
/// stack without any JavaScript frame.
pub fn intern_unknown_frame(tables: &mut Tables) -> u32 {
    let file = tables.intern_str(UNKNOWN_FILE);
    tables.intern_frame(FrameRec {
        file,
        line: 0,
        col: 0,
        func: NONE,
    })
}

/// True for the file of a frame that says nothing about who allocated:
/// Node's own scripts (`node:`) and builtins without a script.
pub fn is_node_internal(file: &[u8]) -> bool {
    is_node_script(file) || file == UNKNOWN_FILE
}

/// True when a stack (files, most recent first) is tracemalloc's own
/// allocation: walking from the most recent frame, one under `own_prefixes`
/// comes before any frame that is not [Node's own](is_node_internal). The
/// prefixes are the package's code and, when tracemalloc turned source maps
/// on itself, Node's source-map code (`node:internal/source_map/`), whose
/// allocations tracing caused.
pub fn is_own_stack<'a>(files: impl IntoIterator<Item = &'a [u8]>, own_prefixes: &[impl AsRef<[u8]>]) -> bool {
    for file in files {
        if own_prefixes.iter().any(|p| file.starts_with(p.as_ref())) {
            return true;
        }
        if !is_node_internal(file) {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_saturates_at_cpython_limit() {
        assert_eq!(cap_total_nframe(0), 0);
        assert_eq!(cap_total_nframe(65534), 65534);
        assert_eq!(cap_total_nframe(65535), 65535);
        assert_eq!(cap_total_nframe(100_000), 65535);
        assert_eq!(cap_total_nframe(u32::MAX), 65535);
    }

    #[test]
    fn own_stack_is_decided_by_first_frame_outside_node() {
        let own = ["/pkg/dist/"];
        let files = |v: &[&'static str]| v.iter().map(|f| f.as_bytes()).collect::<Vec<_>>();
        assert!(is_own_stack(
            files(&["<unknown>", "node:fs", "/pkg/dist/x.js", "/app.js"]),
            &own
        ));
        assert!(!is_own_stack(files(&["/app.js", "/pkg/dist/x.js"]), &own));
        assert!(!is_own_stack(files(&["node:fs", "<unknown>"]), &own));
        assert!(!is_own_stack(files(&[]), &own));
        let own = ["/pkg/dist/", "node:internal/source_map/"];
        assert!(is_own_stack(
            files(&[
                "node:internal/source_map/source_map_cache",
                "node:internal/modules/cjs/loader",
                "/app.js"
            ]),
            &own
        ));
        assert!(!is_own_stack(
            files(&["node:fs", "/app.js", "node:internal/source_map/x"]),
            &own
        ));
    }

    #[test]
    fn empty_stack_is_one_unknown_frame() {
        let mut t = Tables::default();
        let tb = intern_unknown_traceback(&mut t);
        let rec = t.tracebacks()[tb as usize];
        assert_eq!(rec.total_nframe, 1);
        let frames = t.seq(rec.seq);
        assert_eq!(frames.len(), 1);
        let f = t.frames()[frames[0] as usize];
        assert_eq!((t.str_bytes(f.file), f.line, f.col, f.func), (UNKNOWN_FILE, 0, 0, NONE));
        assert_eq!(intern_unknown_traceback(&mut t), tb, "interned once");
    }
}
