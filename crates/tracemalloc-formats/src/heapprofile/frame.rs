//! A V8 call frame (`Runtime.CallFrame`) as an engine frame. This is the one
//! place where the importer decides how call frames look, so that it can be
//! replaced by the engine's shared capture rules.

use tracemalloc_core::tables::{FrameRec, Tables};

use tracemalloc_core::names::script_path;

/// The engine frame of a V8 call frame, interned in `tables`:
///
/// * the file is the script URL as a path (`file://` URLs decoded), or
///   `<unknown>` for frames without a script (V8's `(root)`, `(program)`,
///   `(garbage collector)`...: their name stays the function name);
/// * line and column are V8's 0-based positions made 1-based, 0 when
///   unknown (V8 writes -1);
/// * V8 reports where the allocating *function* starts, not the line.
pub(crate) fn intern_call_frame(tables: &mut Tables, function_name: &[u8], url: &[u8], line: i64, column: i64) -> u32 {
    let one_based = |v: i64| u32::try_from(v.saturating_add(1)).unwrap_or(0);
    let rec = FrameRec {
        file: tables.intern_str(&script_path(url)),
        line: one_based(line),
        col: one_based(column),
        func: tables.intern_str(function_name),
    };
    tables.intern_frame(rec)
}
