//! The `.heapprofile` importer on arbitrary bytes: it must return a
//! snapshot or an error, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracemalloc_formats::heapprofile::{import_bytes, Options};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the interval: inferred, or one of a few given.
    let (pick, doc) = match data.split_first() {
        Some((&b, rest)) if b < 0x20 => (b, rest),
        _ => (0, data),
    };
    let sampling_interval = match pick % 4 {
        0 => None,
        1 => Some(1.0),
        2 => Some(32768.0),
        _ => Some(524288.0),
    };
    if let Ok(imp) = import_bytes(doc, Options { sampling_interval }) {
        assert!(imp.meta.traceback_limit >= 1);
        assert_eq!(imp.snapshot.domains().len(), imp.snapshot.sizes().len());
    }
});
