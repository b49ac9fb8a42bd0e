//! Test helper: a trace's frames as text, so tests compare imports with
//! plain strings.

use tracemalloc_core::tables::NONE;
use tracemalloc_core::Snapshot;

/// The frames of trace `i` of `s`, most recent first, each as
/// `file:line:col:function` (`-` for no function), and its `total_nframe`.
pub(crate) fn frames_of(s: &Snapshot, i: usize) -> (Vec<String>, u32) {
    let t = s.tables();
    let tb = t.tracebacks()[s.tracebacks()[i] as usize];
    let frames = t
        .seq(tb.seq)
        .iter()
        .map(|&f| {
            let f = t.frames()[f as usize];
            let func = if f.func == NONE {
                "-".into()
            } else {
                String::from_utf8_lossy(t.str_bytes(f.func)).into_owned()
            };
            format!(
                "{}:{}:{}:{func}",
                String::from_utf8_lossy(t.str_bytes(f.file)),
                f.line,
                f.col
            )
        })
        .collect();
    (frames, tb.total_nframe)
}
