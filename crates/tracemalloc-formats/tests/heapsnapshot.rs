//! The heap snapshot parser on real V8 snapshots, taken at test time by
//! `node` (which must be on PATH: these tests fail, never skip, without it).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use tracemalloc_core::Snapshot;
use tracemalloc_formats::heapsnapshot::{HeapSnapshotParser, Limits, ParsedHeap};

/// Allocates under the allocation tracker, then streams a heap snapshot
/// to `process.argv[2]`. An ES module, so V8 names it by a `file://` URL.
const SCRIPT: &str = r#"import inspector from 'node:inspector';
import fs from 'node:fs';

const out = process.argv[2];
const session = new inspector.Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));

function allocateMany() { const keep = []; for (let i = 0; i < 20000; i++) keep.push({ a: i, b: 'x' + i }); globalThis.keep = keep }
function makeBuffer() { globalThis.buf = new ArrayBuffer(8 * 1024 * 1024) }

await post('HeapProfiler.enable');
await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
allocateMany();
makeBuffer();
const fd = fs.openSync(out, 'w');
const onChunk = (m) => fs.writeSync(fd, m.params.chunk);
session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
await post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
fs.closeSync(fd);
// Tracking must be ended explicitly, or the process never exits.
await post('HeapProfiler.stopTrackingHeapObjects', { reportProgress: false });
session.disconnect();
"#;

struct Captured {
    /// The script's real path, as V8 should name it once normalised.
    script: String,
    /// A snapshot taken while the allocation tracker ran.
    tracked: Vec<u8>,
    /// A snapshot taken by `v8.writeHeapSnapshot` without tracking.
    plain: Vec<u8>,
}

fn node(args: &[&std::ffi::OsStr]) {
    let out = match Command::new("node").args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run `node` ({e}): these tests need Node.js >= 18 on PATH to take real heap snapshots"),
    };
    assert!(
        out.status.success(),
        "node {:?} failed: {}\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // A space in the path checks the percent-decoding of file:// URLs.
        let dir = std::env::temp_dir().join(format!("tm heapsnapshot {}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        let dir = std::fs::canonicalize(&dir).expect("canonicalize the temp dir");
        let script: PathBuf = dir.join("track.mjs");
        std::fs::write(&script, SCRIPT).expect("write the script");
        let tracked = dir.join("tracked.heapsnapshot");
        let plain = dir.join("plain.heapsnapshot");
        node(&[script.as_os_str(), tracked.as_os_str()]);
        node(&[
            "-e".as_ref(),
            "require('v8').writeHeapSnapshot(process.argv[1])".as_ref(),
            plain.as_os_str(),
        ]);
        let c = Captured {
            script: script.to_str().expect("a UTF-8 temp path").to_owned(),
            tracked: std::fs::read(&tracked).expect("read the tracked snapshot"),
            plain: std::fs::read(&plain).expect("read the plain snapshot"),
        };
        let _ = std::fs::remove_dir_all(&dir);
        c
    })
}

fn parse(bytes: &[u8], chunk: usize) -> tracemalloc_core::Result<ParsedHeap> {
    let mut p = HeapSnapshotParser::new(Limits::default());
    for c in bytes.chunks(chunk) {
        p.feed(c)?;
    }
    p.finish()
}

/// Independent facts from serde_json: (node count, total self size,
/// count and total self size of nodes with a trace id).
fn oracle(bytes: &[u8]) -> (usize, u64, usize, u64) {
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("valid JSON");
    let fields = v["snapshot"]["meta"]["node_fields"].as_array().unwrap();
    let at = |name: &str| fields.iter().position(|f| f == name);
    let (size, trace) = (at("self_size").unwrap(), at("trace_node_id"));
    let nodes = v["nodes"].as_array().unwrap();
    let (mut total, mut traced, mut traced_size) = (0, 0, 0);
    for rec in nodes.chunks(fields.len()) {
        let s = rec[size].as_u64().unwrap();
        total += s;
        if trace.is_some_and(|t| rec[t].as_u64() != Some(0)) {
            traced += 1;
            traced_size += s;
        }
    }
    (nodes.len() / fields.len(), total, traced, traced_size)
}

/// Per most recent frame: (file, line, column, function) -> (count, size).
type ByFrame = HashMap<(String, u32, u32, String), (u64, u64)>;

fn by_top_frame(s: &Snapshot) -> ByFrame {
    let t = s.tables();
    let mut out = ByFrame::new();
    for (k, &tb) in s.tracebacks().iter().enumerate() {
        let seq = t.seq(t.tracebacks()[tb as usize].seq);
        let key = match seq.first() {
            Some(&f) => {
                let f = t.frames()[f as usize];
                let text = |id| match id {
                    tracemalloc_core::tables::NONE => String::new(),
                    id => String::from_utf8_lossy(t.str_bytes(id)).into_owned(),
                };
                (text(f.file), f.line, f.col, text(f.func))
            }
            None => (String::new(), 0, 0, String::new()),
        };
        let e = out.entry(key).or_default();
        e.0 += 1;
        e.1 += s.sizes()[k];
    }
    out
}

/// 1-based line of `needle` in the script, and 1-based column of the `(`
/// that follows it.
fn position_of(needle: &str) -> (u32, u32) {
    for (i, line) in SCRIPT.lines().enumerate() {
        if let Some(c) = line.find(needle) {
            let paren = c + line[c..].find('(').unwrap();
            return (i as u32 + 1, paren as u32 + 1);
        }
    }
    panic!("{needle} is not in the script");
}

#[test]
fn tracked_snapshot_charges_allocations_to_their_functions() {
    let c = captured();
    let heap = parse(&c.tracked, 64 << 10).expect("the tracked snapshot parses");
    assert!(heap.has_allocation_traces());
    let (nodes, total, traced, traced_self) = oracle(&c.tracked);
    assert_eq!(heap.node_count(), nodes);
    assert_eq!(heap.total_size(), total);
    assert_eq!(heap.traced_count(), traced);

    let snap = heap.to_snapshot(0, 10);
    assert_eq!(snap.len(), traced);
    // Backing stores are the only bytes added to the traced nodes' own sizes.
    let backing = snap.total_size() as u64 - traced_self;
    assert!(backing >= 8 << 20, "backing stores charged: {backing}");

    let groups = by_top_frame(&snap);
    let ours = |func: &str| {
        let hits: Vec<_> = groups.iter().filter(|(k, _)| k.3 == func).collect();
        assert_eq!(hits.len(), 1, "{func}: {hits:?}");
        (hits[0].0.clone(), *hits[0].1)
    };

    let ((file, line, col, _), (count, size)) = ours("allocateMany");
    assert_eq!(file, c.script, "file:// URL normalised to the script's path");
    let (want_line, paren) = position_of("function allocateMany");
    assert_eq!(line, want_line, "1-based line of the declaration");
    assert!(
        (1..=paren).contains(&col),
        "column {col} within the declaration (its '(' is at {paren})"
    );
    assert!(count >= 20_000, "allocateMany count {count}");
    assert!(size >= 20_000 * 16, "allocateMany size {size}");

    let ((file, line, col, _), (_, size)) = ours("makeBuffer");
    assert_eq!(file, c.script);
    let (want_line, paren) = position_of("function makeBuffer");
    assert_eq!(line, want_line);
    assert!((1..=paren).contains(&col), "column {col}");
    assert!(
        size >= 8 << 20,
        "makeBuffer size {size}: the backing store goes to its ArrayBuffer"
    );

    for (file, line, col, func) in groups.keys() {
        assert!(!file.starts_with("file:"), "{file}");
        assert!(!file.is_empty());
        if file.ends_with("track.mjs") {
            assert_eq!(file, &c.script);
        }
        if file == "<unknown>" {
            assert_eq!((*line, *col), (0, 0), "{func}");
        }
    }
    // Truncation keeps the real depth.
    let t = snap.tables();
    let deepest = t.tracebacks().iter().map(|tb| tb.total_nframe).max().unwrap();
    assert!(deepest >= 2);
    assert!(t
        .tracebacks()
        .iter()
        .all(|tb| t.seq(tb.seq).len() as u32 == tb.total_nframe.min(10)));
    assert!(heap.to_snapshot(3, 1).domains().iter().all(|&d| d == 3));
}

#[test]
fn chunk_size_does_not_matter() {
    let c = captured();
    let a = parse(&c.tracked, 64 << 10).unwrap().to_snapshot(0, 5);
    for chunk in [1000, 4093, 1 << 20, usize::MAX] {
        let b = parse(&c.tracked, chunk).unwrap().to_snapshot(0, 5);
        assert_eq!(a.sizes(), b.sizes());
        assert_eq!(a.tracebacks(), b.tracebacks());
    }
}

#[test]
fn untracked_snapshot_has_no_traces() {
    let c = captured();
    let heap = parse(&c.plain, 64 << 10).expect("the plain snapshot parses");
    let (nodes, total, traced, _) = oracle(&c.plain);
    assert!(!heap.has_allocation_traces());
    assert_eq!(traced, 0);
    assert!(heap.to_snapshot(0, 10).is_empty());
    assert_eq!((heap.node_count(), heap.total_size()), (nodes, total));
    assert!(nodes > 10_000, "{nodes} nodes");
    assert!((1 << 20..1 << 30).contains(&total), "{total} bytes");
    assert_eq!(heap.traceback_of(1, 10), None);
}

#[test]
fn truncated_and_flipped_snapshots_never_panic() {
    let c = captured();
    let b = &c.tracked;
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut rand = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for k in 0..50 {
        let cut = k * b.len() / 50 + rand(b.len() / 50);
        let r = parse(&b[..cut], 64 << 10);
        assert!(r.is_err(), "a prefix of {cut} bytes parsed");
    }
    let mut flipped = b.clone();
    for _ in 0..30 {
        flipped.copy_from_slice(b);
        for _ in 0..1 + rand(4) {
            let i = rand(b.len());
            flipped[i] ^= 1 << rand(8);
        }
        let _ = parse(&flipped, 64 << 10);
    }
}

/// Throughput, in release mode:
/// `cargo test --release -p tracemalloc-core --test heapsnapshot -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let c = captured();
    let mb = |n: usize, secs: f64| n as f64 / secs / 1e6;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        parse(&c.tracked, 64 << 10).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "real snapshot, {} bytes: {:.0} MB/s",
        c.tracked.len(),
        mb(c.tracked.len(), best)
    );

    // A large synthetic snapshot: 4M nodes and 16M edges.
    let n = 4_000_000usize;
    let mut doc = String::with_capacity(500 << 20);
    doc += r#"{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"]},"#;
    doc += &format!("\"node_count\":{n},\"edge_count\":{}}},\n\"nodes\":[", 4 * n);
    use std::fmt::Write;
    for i in 0..n {
        let sep = if i == 0 { "" } else { "\n," };
        let ty = if i % 5 == 0 { 8 } else { 3 };
        write!(
            doc,
            "{sep}{ty},{},{},{},4,{},0",
            i % 1000,
            2 * i + 1,
            16 + i % 300,
            i % 2
        )
        .unwrap();
    }
    doc += "],\n\"edges\":[";
    for i in 0..4 * n {
        let sep = if i == 0 { "" } else { "\n," };
        write!(doc, "{sep}2,{},{}", i % 1000, (i * 7919 % n) * 7).unwrap();
    }
    doc += "],\"trace_function_infos\":[0,1,2,0,3,4],\"trace_tree\":[1,0,0,0,[]],\"strings\":[";
    for i in 0..1000 {
        write!(doc, "{}\"s{i}\"", if i == 0 { "" } else { "," }).unwrap();
    }
    doc += "]}";
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let h = parse(doc.as_bytes(), 64 << 10).unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!((h.node_count(), h.traced_count()), (n, n / 2));
    }
    println!(
        "synthetic nodes/edges, {} MB: {:.0} MB/s",
        doc.len() >> 20,
        mb(doc.len(), best)
    );
}

#[test]
fn imports_make_every_node_a_trace() {
    use tracemalloc_formats::heapsnapshot::import_bytes;
    let c = captured();
    for (bytes, tracked) in [(&c.tracked, true), (&c.plain, false)] {
        let imp = import_bytes(bytes, Limits::default()).expect("the snapshot imports");
        let (nodes, total, _, _) = oracle(bytes);
        // Every node but the charged backing stores, and every byte.
        assert!(imp.snapshot.len() < nodes && imp.snapshot.len() + 200 > nodes);
        assert_eq!(imp.snapshot.total_size() as u64, total);
        assert_eq!(imp.meta.origin.as_deref(), Some("heapsnapshot"));
        assert_eq!(imp.meta.extra["allocationStacks"], serde_json::Value::Bool(tracked));
        let groups = by_top_frame(&imp.snapshot);
        let at = |file: &str, func: &str| groups.iter().find(|(k, _)| k.0 == file && k.3 == func).map(|(_, v)| *v);
        if tracked {
            let (count, _) = at(&c.script, "allocateMany").expect("allocateMany");
            assert!(count >= 20_000, "allocateMany count {count}");
            assert!(at(&c.script, "makeBuffer").expect("makeBuffer").1 >= 8 << 20);
        } else {
            // A fresh process's heap, by type and constructor.
            assert!(at("<heap object>", "Object").expect("<heap object>:Object").0 > 100);
            assert!(at("<heap string>", "").is_some(), "strings have no function");
            assert!(at("<heap closure>", "").is_some(), "anonymous closures");
        }
    }
}
