//! Arbitrary bytes into the native snapshot loader. It must return a
//! snapshot or an error, never panic, hang or allocate past its limits; a
//! snapshot it accepts must survive a dump and a load unchanged.
//!
//! In fuzz builds (`cfg(fuzzing)`) checksum mismatches are ignored, so that
//! mutated inputs reach the decoders instead of stopping at the crc32s.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracemalloc_formats::native::{from_bytes, to_bytes, Limits};

/// Small enough that a crafted file cannot make a run exceed libFuzzer's
/// memory limit, large enough for every seed.
const LIMITS: Limits = Limits {
    max_raw_bytes: 64 << 20,
    max_traces: 1 << 22,
};

fuzz_target!(|data: &[u8]| {
    let Ok((snap, meta)) = from_bytes(data, &LIMITS) else {
        return;
    };
    let again = to_bytes(&snap, &meta);
    let (back, meta2) = from_bytes(&again, &LIMITS).expect("a dump of a loaded snapshot loads");
    assert_eq!(meta2, meta);
    assert_eq!(back.len(), snap.len());
    assert_eq!(back.total_size(), snap.total_size());
    assert_eq!(back.weights().is_some(), snap.weights().is_some());
});
