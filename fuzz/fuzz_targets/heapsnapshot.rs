//! The `.heapsnapshot` reader on arbitrary bytes, both as exact mode uses
//! it (chunks split anywhere, then a snapshot of the traced objects) and
//! as the importer does (every node a trace): a result or an error, never
//! a panic, a hang or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracemalloc_formats::heapsnapshot::{import_bytes, HeapSnapshotParser, Limits};

/// Small enough that a lying count cannot exhaust memory within libFuzzer's
/// 2 GB limit, large enough for any input it makes.
const LIMITS: Limits = Limits {
    max_nodes: 1 << 20,
    max_edges: 1 << 22,
    max_strings: 1 << 20,
    max_string_bytes: 1 << 24,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(imp) = import_bytes(data, LIMITS) {
        assert!(imp.meta.traceback_limit >= 1);
    }
    let cut = data.first().map_or(0, |&b| usize::from(b) * data.len() / 256);
    let mut p = HeapSnapshotParser::new(LIMITS);
    let fed = p.feed(&data[..cut]).and_then(|_| p.feed(&data[cut..]));
    if fed.is_ok() {
        if let Ok(heap) = p.finish() {
            let snap = heap.to_snapshot(0, 8);
            assert_eq!(snap.len(), heap.traced_count());
            for &id in heap.traced_ids().iter().take(4) {
                assert!(heap.traceback_of(id, 8).is_some());
            }
        }
    }
});
