//! Writes a small seed corpus for the `native_load` fuzz target: a few
//! snapshots covering every section and encoding, each as a compressed file
//! and as a file with every section stored, so that mutations reach both
//! the zstd path and the decoders directly.
//!
//! Usage: cargo run -p tracemalloc-formats --example native_fuzz_seeds -- DIR

use std::path::PathBuf;

use tracemalloc_core::{Columns, Snapshot, NONE};
use tracemalloc_formats::native::{to_bytes, to_bytes_stored};
use tracemalloc_formats::{Meta, Mode};

fn snapshot(n: usize, domains: u32, weight: Option<fn(usize) -> f64>) -> Snapshot {
    let mut strings: Vec<Vec<u8>> = vec![
        b"/app/a.js".to_vec(),
        b"alloc".to_vec(),
        b"/app/\xed\xa0\x80-lone.js".to_vec(),
        "/app/é😀.js".as_bytes().to_vec(),
        b"script.py".to_vec(),
    ];
    strings.extend((0..8).map(|i| format!("/app/lib/m{i}.js").into_bytes()));
    let mut frames = vec![0, 10, 5, 1, 2, 1, 1, NONE, 3, 7, 20, 1, 4, 3, 0, NONE];
    for i in 0..8u32 {
        frames.extend_from_slice(&[5 + i, 1 + i * 3, 2, 1]);
    }
    let seq_ends = vec![2, 3, 3, 6, 9, 12];
    let seq_frames = vec![0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 3];
    let tracebacks = vec![0, 2, 1, NONE, 2, 0, 3, 9, 4, 3, 5, 3];
    let domain: Vec<u32> = (0..n).map(|i| (i as u32 * 7) % domains.max(1)).collect();
    let size: Vec<f64> = (0..n).map(|i| ((i * 37) % 5000) as f64).collect();
    let traceback: Vec<u32> = (0..n).map(|i| ((i * i) % 6) as u32).collect();
    let weight: Option<Vec<f64>> = weight.map(|f| (0..n).map(f).collect());
    Snapshot::from_columns(Columns {
        strings,
        frames: &frames,
        seq_ends: &seq_ends,
        seq_frames: &seq_frames,
        tracebacks: &tracebacks,
        domain: &domain,
        size: &size,
        traceback: &traceback,
        weight: weight.as_deref(),
    })
    .expect("seed snapshots are valid")
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: native_fuzz_seeds DIR"));
    std::fs::create_dir_all(&dir).expect("create the corpus directory");
    let mut meta = Meta::with_limit(5);
    meta.mode = Some(Mode::Sampled);
    meta.sampling_interval = Some(32768.0);
    meta.extra
        .insert("future".into(), serde_json::json!([1, { "a": null }]));
    let seeds: Vec<(&str, Snapshot, Meta)> = vec![
        ("empty", snapshot(0, 1, None), Meta::with_limit(1)),
        ("exact", snapshot(60, 1, None), Meta::with_limit(3)),
        ("domains", snapshot(90, 3, None), Meta::with_limit(3)),
        (
            "integer-weights",
            snapshot(80, 1, Some(|i| 1.0 + (i % 9) as f64)),
            meta.clone(),
        ),
        (
            "dictionary-weights",
            snapshot(80, 2, Some(|i| 0.5 + (i % 4) as f64)),
            meta.clone(),
        ),
        ("float-weights", snapshot(40, 1, Some(|i| 1.0 + i as f64 / 3.0)), meta),
    ];
    for (name, snap, meta) in &seeds {
        std::fs::write(dir.join(format!("{name}.tmsnap")), to_bytes(snap, meta)).expect("write a seed");
        std::fs::write(dir.join(format!("{name}-stored.tmsnap")), to_bytes_stored(snap, meta)).expect("write a seed");
    }
    println!("wrote {} seeds to {}", seeds.len() * 2, dir.display());
}
