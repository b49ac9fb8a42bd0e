use std::time::Instant;
use tracemalloc_core::{Columns, Snapshot, NONE};
use tracemalloc_formats::{native, Meta};
struct R(u32);
impl R {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6d2b79f5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        ((t ^ (t >> 14)) as f64) / 4294967296.0
    }
}
fn main() {
    let mut r = R(1);
    let strings: Vec<Vec<u8>> = (0..3000)
        .map(|i| format!("/srv/app/src/module{}/file{i}.js", i % 211).into_bytes())
        .collect();
    let mut frames = Vec::new();
    for _ in 0..60000 {
        frames.extend_from_slice(&[(r.next() * 3000.0) as u32, 1 + (r.next() * 2000.0) as u32, 0, NONE]);
    }
    let mut seq_ends = Vec::new();
    let mut seq_frames = Vec::new();
    for _ in 0..50000 {
        let d = 1 + (r.next() * 10.0) as usize;
        for _ in 0..d {
            seq_frames.push((r.next() * 60000.0) as u32);
        }
        seq_ends.push(seq_frames.len() as u32);
    }
    let mut tbs = Vec::new();
    for s in 0..50000u32 {
        let d = seq_ends[s as usize] - if s == 0 { 0 } else { seq_ends[s as usize - 1] };
        tbs.extend_from_slice(&[s, d]);
    }
    let n = 1_400_000;
    let mut r = R(2);
    let (mut domain, mut size, mut tb) = (vec![0u32; n], vec![0f64; n], vec![0u32; n]);
    for i in 0..n {
        domain[i] = if r.next() < 0.05 {
            1 + (r.next() * 4.0) as u32
        } else {
            0
        };
        size[i] = (16.0 * 4096f64.powf(r.next())).round();
        tb[i] = (50000.0 * r.next().powi(3)) as u32;
    }
    let weighted = std::env::args().nth(1).is_some();
    let weight: Vec<f64> = size
        .iter()
        .map(|&s| (1.0 / (1.0 - (-s / 32768.0f64).exp()) + 0.5).floor())
        .collect();
    let snap = Snapshot::from_columns(Columns {
        strings,
        frames: &frames,
        seq_ends: &seq_ends,
        seq_frames: &seq_frames,
        tracebacks: &tbs,
        domain: &domain,
        size: &size,
        traceback: &tb,
        weight: weighted.then_some(&weight[..]),
    })
    .unwrap();
    let meta = Meta::with_limit(10);
    let mode = std::env::var("MODE").unwrap_or_default();
    let bytes = native::to_bytes(&snap, &meta);
    for _ in 0..20 {
        let t0 = Instant::now();
        if mode != "load" && mode != "none" {
            let b = native::to_bytes(&snap, &meta);
            assert_eq!(b.len(), bytes.len());
        }
        let t1 = Instant::now();
        if mode != "dump" && mode != "none" {
            let (back, _) = native::from_bytes(&bytes, &native::Limits::default()).unwrap();
            assert_eq!(back.len(), n);
        }
        println!("encode {:?} decode {:?}", t1 - t0, t1.elapsed());
    }
}
