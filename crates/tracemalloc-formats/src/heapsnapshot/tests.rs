//! Unit tests of the heap snapshot parser on small hand-written documents.

use super::lexer::{sanitize, Step, StrLexer};
use super::*;
use tracemalloc_core::error::{ErrorKind, Result};
use tracemalloc_core::names::script_path;

const META: &str = r#"{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],
"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic"],"string","number","number","number","number","number"],
"edge_fields":["type","name_or_index","to_node"],
"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],
"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],
"trace_node_fields":["id","function_info_index","count","size","children"],
"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]},
"node_count":5,"edge_count":4,"trace_function_count":3}"#;

const NODES: &str = "[9,1,1,0,2,0,0\n,3,2,3,88,1,3,0\n,8,3,5,1000,0,0,0\n,3,4,7,32,1,2,0\n,2,10,9,16,0,2,0]";
const EDGES: &str = "[1,0,7,1,1,21\n,3,5,14\n,2,10,14]";
const FUNCS: &str = "[0,1,0,0,0,0,11,8,9,3,5,7,12,7,6,4,10,3]";
const TREE: &str = "[1,0,0,0,[2,1,1,32,[3,2,1,88,[]]]]";
const STRINGS: &str = r#"["","(root)","ArrayBuffer","system / JSArrayBufferData","Obj","backing_store",
"file:///tmp/a%20b/app.js","make\u0041\ud83d\ude00\udcff\n\"x\\\/","outer","node:internal/x","p"]"#;

/// The test document, with `extra` spliced in before "samples".
fn doc_with(extra: &str) -> String {
    format!(
        "{{\"snapshot\":{META},\n\"nodes\":{NODES},\n\"edges\":{EDGES},\n\"trace_function_infos\":{FUNCS},\n\
         \"trace_tree\":{TREE},{extra}\n\"samples\":[],\n\"locations\":[1,4,3,2],\n\"strings\":{STRINGS}}}\n"
    )
}

fn doc() -> String {
    doc_with(r#""extra":{"a":[1,-2.5e+3,{"b":null}],"c":"\u00e9","d":[true,false]},"#)
}

fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Result<ParsedHeap> {
    let mut p = HeapSnapshotParser::new(Limits::default());
    for c in chunks {
        p.feed(c)?;
    }
    p.finish()
}

fn parse(doc: &str) -> Result<ParsedHeap> {
    parse_chunks([doc.as_bytes()])
}

/// Everything observable about a parsed heap, for comparing parses.
fn summary(h: &ParsedHeap) -> String {
    let mut s = format!(
        "{} {} {} {}\n",
        h.node_count(),
        h.total_size(),
        h.traced_count(),
        h.has_allocation_traces()
    );
    for id in 0..12 {
        s += &format!("{id}: {:?} {:?}\n", h.traced_size_of(id), h.traceback_of(id, 10));
    }
    s
}

fn frame(file: &str, line: u32, col: u32, func: &[u8]) -> HeapFrame {
    HeapFrame {
        file: file.as_bytes().to_vec(),
        line,
        col,
        func: func.to_vec(),
    }
}

fn make_name() -> Vec<u8> {
    let mut v = b"makeA".to_vec();
    v.extend_from_slice("\u{1F600}".as_bytes());
    v.extend_from_slice(&[0xED, 0xB3, 0xBF]); // lone U+DCFF
    v.extend_from_slice(b"\n\"x\\/");
    v
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[test]
fn parses_the_small_document() {
    let h = parse(&doc()).unwrap();
    assert_eq!(h.node_count(), 5);
    assert_eq!(h.total_size(), 88 + 1000 + 32 + 16);
    assert!(h.has_allocation_traces());
    assert_eq!(h.traced_count(), 3);
    // The backing store goes to its first owner only.
    assert_eq!(h.traced_size_of(3), Some(1088));
    assert_eq!(h.traced_size_of(7), Some(32));
    assert_eq!(h.traced_size_of(9), Some(16));
    assert_eq!(h.traced_size_of(1), None);
    assert_eq!(h.traced_size_of(5), None);
    let outer = frame("node:internal/x", 5, 7, b"outer");
    let make = frame("/tmp/a b/app.js", 10, 3, &make_name());
    let tb = h.traceback_of(3, 10).unwrap();
    assert_eq!(tb.frames, vec![make.clone(), outer.clone()]);
    assert_eq!(tb.total_nframe, 2);
    let tb = h.traceback_of(3, 1).unwrap();
    assert_eq!((tb.frames, tb.total_nframe), (vec![make], 2));
    assert_eq!(h.traceback_of(9, 10).unwrap().frames, vec![outer]);
    assert_eq!(h.traceback_of(5, 10), None);
    assert_eq!(h.traceback_of(1234, 10), None);

    let snap = h.to_snapshot(7, 1);
    assert_eq!(snap.len(), 3);
    assert_eq!(snap.domains(), &[7, 7, 7]);
    assert_eq!(snap.sizes(), &[1088, 32, 16]);
    assert_eq!(h.traced_ids(), &[3, 7, 9]);
    let t = snap.tables();
    let tbs = snap.tracebacks();
    assert_eq!(tbs[1], tbs[2]);
    let rec = t.tracebacks()[tbs[0] as usize];
    assert_eq!(rec.total_nframe, 2);
    let seq = t.seq(rec.seq);
    assert_eq!(seq.len(), 1);
    let f = t.frames()[seq[0] as usize];
    assert_eq!(t.str_bytes(f.file), b"/tmp/a b/app.js");
    assert_eq!(t.str_bytes(f.func), &make_name()[..]);
    assert_eq!((f.line, f.col), (10, 3));
    assert_eq!(h.to_snapshot(0, 0).tables().seq(0), &[] as &[u32]);
}

#[test]
fn every_split_gives_the_same_result() {
    let d = doc();
    let b = d.as_bytes();
    let want = summary(&parse(&d).unwrap());
    assert_eq!(summary(&parse_chunks(b.chunks(1)).unwrap()), want);
    for cut in 0..=b.len() {
        let got = parse_chunks([&b[..cut], &b[cut..]]).unwrap();
        assert_eq!(summary(&got), want, "split at {cut}");
    }
    let mut rng = Lcg(42);
    for _ in 0..200 {
        let mut chunks = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let n = 1 + rng.next(40);
            chunks.push(&b[i..(i + n).min(b.len())]);
            i += n;
        }
        assert_eq!(summary(&parse_chunks(chunks).unwrap()), want);
    }
}

#[test]
fn string_escapes_decode_to_wtf8() {
    let cases: &[(&str, &[u8])] = &[
        (r#"plain""#, b"plain"),
        (r#"a\"b\\c\/d\b\f\n\r\t""#, b"a\"b\\c/d\x08\x0c\n\r\t"),
        (r#"\u0041\u00e9\u20AC""#, "A\u{e9}\u{20ac}".as_bytes()),
        (r#"\ud83d\ude00""#, "\u{1F600}".as_bytes()),
        (r#"\udcff""#, &[0xED, 0xB3, 0xBF]),
        (r#"\ud800x""#, &[0xED, 0xA0, 0x80, b'x']),
        (r#"\ud800\ud800""#, &[0xED, 0xA0, 0x80, 0xED, 0xA0, 0x80]),
        (r#"\ude00\ud83d""#, &[0xED, 0xB8, 0x80, 0xED, 0xA0, 0xBD]),
        (r#"\ud83d\n""#, &[0xED, 0xA0, 0xBD, b'\n']),
        ("\u{e9}raw\"", "\u{e9}raw".as_bytes()),
    ];
    for (input, want) in cases {
        for step in [1, 2, 3, 5, 100] {
            let mut lx = StrLexer::default();
            let mut out = Vec::new();
            let mut done = None;
            let mut fed = 0;
            for c in input.as_bytes().chunks(step) {
                if let Step::Done(n) = lx.feed(c, fed as u64, &mut out, true).unwrap() {
                    done = Some(fed + n);
                    break;
                }
                fed += c.len();
            }
            assert_eq!(done, Some(input.len()), "{input}");
            assert_eq!(&out, want, "{input} in chunks of {step}");
        }
    }
    for bad in [r#"\x""#, r#"\u12G4""#, "a\u{1}b\"", r#"\u""#] {
        let mut lx = StrLexer::default();
        let r = lx.feed(bad.as_bytes(), 0, &mut Vec::new(), true);
        assert!(r.is_err(), "{bad}");
    }
}

#[test]
fn sanitize_repairs_invalid_utf8() {
    let mut v = b"a\xffb".to_vec();
    sanitize(&mut v);
    assert_eq!(v, "a\u{FFFD}b".as_bytes());
    let mut v = vec![0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, b'!'];
    sanitize(&mut v);
    assert_eq!(v, "\u{1F600}!".as_bytes());
    let mut v = vec![0xED, 0xB3, 0xBF, 0xC3];
    sanitize(&mut v);
    assert_eq!(v, [0xED, 0xB3, 0xBF, 0xEF, 0xBF, 0xBD]);
}

#[test]
fn script_names_become_paths() {
    let cases: &[(&str, &str)] = &[
        ("", "<unknown>"),
        ("/abs/x.js", "/abs/x.js"),
        ("node:internal/fs/utils", "node:internal/fs/utils"),
        ("https://example.com/a%20b.js", "https://example.com/a%20b.js"),
        ("file:///tmp/a%20b/c.mjs", "/tmp/a b/c.mjs"),
        ("file:///tmp/x.mjs?v=1#frag", "/tmp/x.mjs"),
        ("FILE://localhost/tmp/x.js", "/tmp/x.js"),
        ("file:///C:/Users/x.js", "C:/Users/x.js"),
        ("file:///c|/x.js", "c:/x.js"),
        ("file://server/share/x.js", "//server/share/x.js"),
        ("file:///tmp/%E2%82%AC.js", "/tmp/\u{20ac}.js"),
        ("file:///tmp/%ff.js", "/tmp/\u{FFFD}.js"),
        ("file:///tmp/%zz%4", "/tmp/%zz%4"),
    ];
    for (raw, want) in cases {
        assert_eq!(String::from_utf8_lossy(&script_path(raw.as_bytes())), *want, "{raw}");
    }
}

#[test]
fn truncated_input_is_an_error() {
    let d = doc();
    let end = d.trim_end().len();
    for cut in 0..end {
        let e = parse(&d[..cut])
            .err()
            .unwrap_or_else(|| panic!("prefix of {cut} bytes parsed"));
        assert_eq!(e.kind, ErrorKind::Format);
        assert!(e.message.contains("byte"), "{cut}: {}", e.message);
    }
    let e = parse(&d[..d.find("\"nodes\"").unwrap() + 20]).err().unwrap();
    assert!(
        e.message.contains("truncated") && e.message.contains("nodes"),
        "{}",
        e.message
    );
    assert!(parse(&d[..end]).is_ok());
}

#[test]
fn garbage_is_an_error() {
    let d = doc();
    let replace = |from: &str, to: &str| {
        assert!(d.contains(from), "{from}");
        d.replacen(from, to, 1)
    };
    let cases = [
        String::new(),
        "[]".into(),
        "{} x".into(),
        "{\"snapshot\":[]}".into(),
        "\u{0}".into(),
        replace(NODES, "[9,1,1,0,2,0,0,3]"),
        replace(NODES, "[9,1,1,0,2,0,0.5]"),
        replace(NODES, "[9,1,1,0,2,0,01]"),
        replace(NODES, "[9,1,1,0,2,0,-]"),
        replace(NODES, "[9,1,1,0,2,0,99999999999999999999]"),
        replace(NODES, "[9,1,1,0,2,0 0]"),
        replace("\"node_count\":5", "\"node_count\":6"),
        replace("\"edge_count\":4", "\"edge_count\":5"),
        replace("[9,1,1,0,2", "[99,1,1,0,2"),
        replace("[9,1,1,0,2", "[9,1,-1,0,2"),
        replace("[9,1,1,0,2,0", "[9,1,1,0,2,77"),
        replace("1,21\n", "1,22\n"),
        replace("1,21\n", "1,35\n"),
        replace("3,5,14", "9,5,14"),
        replace("3,5,14", "3,50,14"),
        replace("2,10,9,16", "2,11,9,16"),
        replace("12,7,6,4", "12,70,6,4"),
        replace("[3,2,1,88", "[3,5,1,88"),
        replace("[3,2,1,88,[]]", "[3,2,1,88]"),
        replace("[3,2,1,88,[]]", "[3,2,1,[],88]"),
        replace("[3,2,1,88,[]]", "[2,2,1,88,[]]"),
        replace("\"trace_tree\"", "\"nodes\""),
        replace("\"nodes\"", "\"nodez\""),
        replace("\"strings\"", "\"stringz\""),
        replace(r#""c":"\u00e9""#, r#""c":"\u00g9""#),
        replace(r#""c":"#, r#""c" "#),
        replace("[true,false]", "[true,fals]"),
        replace("[true,false]", "[true,false}"),
        replace("-2.5e+3", "-2.5e+"),
        replace("-2.5e+3", "--2"),
        replace(r#""Obj""#, r#""Obj\q""#),
        replace(r#""Obj","#, r#""Obj" 1,"#),
        replace("\"edge_fields\"", "\"edge_fieldz\""),
        replace("\"name_or_index\"", "\"name\""),
        replace(r#"[["hidden""#, r#"[[1,"hidden""#),
        d.replace("\"trace_function_infos\"", "\"strings\":[],\"trace_function_infos\""),
        format!("{{\"nodes\":{NODES}}}"),
        format!("{{\"snapshot\":{META},\"edges\":{EDGES}}}"),
        format!("{d}}}"),
    ];
    for (k, bad) in cases.iter().enumerate() {
        match parse(bad) {
            Ok(_) => panic!("case {k} parsed: {bad}"),
            Err(e) => assert_eq!(e.kind, ErrorKind::Format, "case {k}: {}", e.message),
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let d = doc();
    let mut rng = Lcg(7);
    for _ in 0..3000 {
        let mut b = d.clone().into_bytes();
        for _ in 0..1 + rng.next(3) {
            let i = rng.next(b.len());
            b[i] = rng.next(256) as u8;
        }
        let cut = rng.next(b.len() + 1);
        let _ = parse_chunks([&b[..cut], &b[cut..]]);
    }
    for _ in 0..300 {
        let n = rng.next(300);
        let alphabet = b"{}[]\",:0123456789-.eE \\u\"snapshotnodes";
        let b: Vec<u8> = (0..n).map(|_| alphabet[rng.next(alphabet.len())]).collect();
        for prefix in ["", "{\"x\":", "{\"snapshot\":"] {
            let _ = parse_chunks([prefix.as_bytes(), &b[..]]);
        }
        let mut with_meta = doc().into_bytes();
        with_meta.truncate(d.find("\"nodes\"").unwrap() + 8);
        with_meta.extend_from_slice(&b);
        let _ = parse_chunks([&with_meta[..]]);
    }
}

#[test]
fn deep_trace_tree_does_not_recurse() {
    const DEPTH: usize = 100_000;
    let mut tree = String::from("[1,0,0,0,");
    for id in 2..=DEPTH + 1 {
        tree += &format!("[{id},1,0,0,");
    }
    tree += "[]";
    tree += &"]".repeat(DEPTH + 1);
    let meta = META.replace("\"node_count\":5,\"edge_count\":4", "\"node_count\":1,\"edge_count\":0");
    let d = format!(
        "{{\"snapshot\":{meta},\"nodes\":[3,2,1,8,0,{},0],\"edges\":[],\"trace_function_infos\":[0,0,0,0,0,0,1,1,2,1,4,2],\
         \"trace_tree\":{tree},\"strings\":[\"(root)\",\"f\",\"/x.js\"]}}",
        DEPTH + 1
    );
    // A small stack proves there is no recursion on input depth.
    let h = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let mut h = parse_chunks(d.as_bytes().chunks(4096)).unwrap();
            // Deeper than CPython's MAX_NFRAME: total_nframe saturates at 65535,
            // with builtins kept raw or folded.
            let mut got = Vec::new();
            for raw in [true, false] {
                h.set_raw_frames(raw);
                let snap = h.to_snapshot(0, 5);
                let rec = snap.tables().tracebacks()[snap.tracebacks()[0] as usize];
                assert_eq!(snap.tables().seq(rec.seq).len(), 5);
                let tb = h.traceback_of(1, u32::MAX).unwrap();
                got.push((rec.total_nframe, tb.total_nframe, tb.frames.len()));
            }
            got
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(h, vec![(65535, 65535, DEPTH), (65535, 65535, DEPTH)]);
    // Deep nesting in a skipped section is bounded, not recursive.
    let deep = format!("{{\"x\":{}", "[".repeat(200_000));
    let e = parse(&deep).err().unwrap();
    assert!(e.message.contains("deeper"), "{}", e.message);
}

#[test]
fn limits_refuse_hostile_counts_before_allocating() {
    let huge = doc().replace("\"node_count\":5", "\"node_count\":100000000000");
    let e = parse(&huge).err().unwrap();
    assert!(e.message.contains("node_count"), "{}", e.message);
    let huge = doc().replace("\"edge_count\":4", "\"edge_count\":1e300");
    assert!(parse(&huge).is_err());
    // Within the limits, a lying count allocates only what the data holds.
    let lying = doc().replace("\"node_count\":5", "\"node_count\":400000000");
    assert!(parse(&lying).is_err());
    let d = doc();
    let run = |limits: Limits| {
        let mut p = HeapSnapshotParser::new(limits);
        p.feed(d.as_bytes()).and_then(|_| p.finish()).err().map(|e| e.message)
    };
    let base = Limits::default();
    assert!(run(Limits { max_nodes: 4, ..base }).unwrap().contains("node_count"));
    assert!(run(Limits { max_edges: 3, ..base }).unwrap().contains("edge_count"));
    assert!(run(Limits {
        max_strings: 10,
        ..base
    })
    .unwrap()
    .contains("limit"));
    assert!(run(Limits {
        max_string_bytes: 20,
        ..base
    })
    .unwrap()
    .contains("limit"));
    assert_eq!(
        run(Limits {
            max_strings: 11,
            max_string_bytes: 200,
            ..base
        }),
        None
    );
}

#[test]
fn schema_variants_are_read_by_name() {
    // Fields reordered, an extra field, no trace_node_id, no trace sections.
    let meta = r#"{"meta":{"node_fields":["name","extra_native_bytes","edge_count","self_size","type","id"],
"node_types":["string","number","number","number",["native","object"],"number"],
"edge_fields":["to_node","type","name_or_index"],"edge_types":["node",["property","element"],"x"]},
"node_count":2,"edge_count":1}"#;
    let d = format!(
        "{{\"snapshot\":{meta},\"nodes\":[0,5,1,10,1,1,1,0,0,20,0,3],\"edges\":[6,0,2],\"strings\":[\"a\",\"b\",\"c\"]}}"
    );
    let h = parse(&d).unwrap();
    assert_eq!((h.node_count(), h.total_size()), (2, 30));
    assert!(!h.has_allocation_traces());
    assert!(h.to_snapshot(0, 10).is_empty());
    // An element edge's index is not a string index.
    assert!(parse(&d.replace("[6,0,2]", "[6,1,99]")).is_ok());
    assert!(parse(&d.replace("[6,0,2]", "[6,0,99]")).is_err());
    // Trace ids without a trace tree are an error.
    let traced = meta.replace("\"id\"]", "\"id\",\"trace_node_id\"]");
    let d = format!(
        "{{\"snapshot\":{traced},\"nodes\":[0,5,1,10,1,1,4,1,0,0,20,0,3,0],\"edges\":[7,0,2],\"strings\":[\"a\",\"b\",\"c\"]}}"
    );
    let e = parse(&d).err().unwrap();
    assert!(e.message.contains("trace_node_id 4"), "{}", e.message);
}

#[test]
fn errors_stick_and_name_the_offset() {
    let mut p = HeapSnapshotParser::new(Limits::default());
    let e = p.feed(b"{\"snapshot\":{\"meta\":{}}, ]").err().unwrap();
    assert!(e.message.contains("at byte"), "{}", e.message);
    assert_eq!(p.feed(b"}").err(), Some(e.clone()));
    assert_eq!(p.finish().err(), Some(e));
}

#[test]
fn reports_watched_objects_without_a_trace() {
    let mut p = HeapSnapshotParser::new(Limits::default());
    p.watch([1u64, 3, 5, 42].into_iter().collect());
    p.feed(doc().as_bytes()).unwrap();
    let h = p.finish().unwrap();
    // 3 has a trace, 42 is not in the heap.
    assert_eq!(h.watched_untraced(), &[1, 5]);
    assert!(
        parse(&doc()).unwrap().watched_untraced().is_empty(),
        "nothing watched, nothing kept"
    );
}
/// Each trace of an import as (frames as text, total_nframe, size).
fn imported(doc: &str) -> (Vec<(Vec<String>, u32, u64)>, crate::Meta) {
    let imp = import_bytes(doc.as_bytes(), Limits::default()).unwrap();
    let s = &imp.snapshot;
    let rows = (0..s.len())
        .map(|i| {
            let (frames, total) = crate::test_frames::frames_of(s, i);
            (frames, total, s.sizes()[i])
        })
        .collect();
    (rows, imp.meta)
}

#[test]
fn an_import_makes_every_node_a_trace() {
    let (rows, meta) = imported(&doc());
    let make = format!("/tmp/a b/app.js:10:3:{}", String::from_utf8_lossy(&make_name()));
    let outer = "node:internal/x:5:7:outer".to_string();
    assert_eq!(
        rows,
        vec![
            (vec!["<heap synthetic>:0:0:(root)".to_string()], 1, 0),
            // The ArrayBuffer carries its backing store, which is no trace
            // of its own: the sizes add up to the heap's total.
            (vec![make, outer.clone()], 2, 1088),
            (vec![outer.clone()], 1, 32),
            (vec![outer], 1, 16),
        ]
    );
    assert_eq!(
        rows.iter().map(|r| r.2).sum::<u64>(),
        parse(&doc()).unwrap().total_size()
    );
    assert_eq!(meta.mode, Some(crate::Mode::Exact));
    assert_eq!(meta.origin.as_deref(), Some("heapsnapshot"));
    assert_eq!(meta.traceback_limit, 2);
    assert_eq!(meta.extra.get("allocationStacks"), Some(&serde_json::Value::Bool(true)));
}

#[test]
fn without_allocation_stacks_nodes_go_to_their_type_and_constructor() {
    let meta = r#"{"meta":{"node_fields":["name","extra_native_bytes","edge_count","self_size","type","id"],
"node_types":["string","number","number","number",["native","object","string","closure"],"number"],
"edge_fields":["to_node","type","name_or_index"],"edge_types":["node",["property","element"],"x"]},
"node_count":5,"edge_count":1}"#;
    let d = format!(
        "{{\"snapshot\":{meta},\"nodes\":[0,5,1,10,1,1, 1,0,0,20,0,3, 2,0,0,24,2,5, 3,0,0,24,2,7, 4,0,0,40,3,9],\
         \"edges\":[6,0,2],\"strings\":[\"Foo\",\"b\",\"c\",\"hello\",\"\"]}}"
    );
    let (rows, meta) = imported(&d);
    let one = |f: &str, size| (vec![f.to_string()], 1, size);
    assert_eq!(
        rows,
        vec![
            one("<heap object>:0:0:Foo", 10),
            one("<heap native>:0:0:b", 20),
            one("<heap string>:0:0:-", 24),
            one("<heap string>:0:0:-", 24),
            one("<heap closure>:0:0:", 40),
        ]
    );
    assert_eq!(meta.traceback_limit, 1);
    assert_eq!(
        meta.extra.get("allocationStacks"),
        Some(&serde_json::Value::Bool(false))
    );
}

#[test]
fn import_errors_match_the_parser() {
    let d = doc();
    for cut in [0, 10, d.len() / 2, d.trim_end().len() - 1] {
        let e = import_bytes(&d.as_bytes()[..cut], Limits::default()).err().unwrap();
        assert_eq!(e, parse(&d[..cut]).err().unwrap());
    }
    let bad = d.replace("[9,1,1,0,2,0", "[9,1,1,0,2,77");
    assert!(import_bytes(bad.as_bytes(), Limits::default())
        .err()
        .unwrap()
        .message
        .contains("trace_node_id 77"));
}

#[test]
fn allocation_totals_become_weighted_traces_that_add_up() {
    // Node 2 allocated 3 objects of 100 bytes in all, node 3 one of 88: collected ones included.
    let d = doc().replace(TREE, "[1,0,0,0,[2,1,3,100,[3,2,1,88,[]]]]");
    let h = parse(&d).unwrap();
    let snap = h.allocations_to_snapshot(7, 10);
    let (sizes, weights) = (snap.sizes(), snap.weights().unwrap());
    let bytes: f64 = sizes.iter().zip(weights).map(|(&s, &w)| s as f64 * w).sum();
    let count: f64 = weights.iter().sum();
    assert_eq!((bytes, count), (188.0, 4.0));
    // 100 bytes in 3 allocations: one of 34 and two of 33.
    let mut pairs: Vec<(u64, f64)> = sizes.iter().copied().zip(weights.iter().copied()).collect();
    pairs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(pairs, vec![(33, 2.0), (34, 1.0), (88, 1.0)]);

    // Without count and size fields there are no totals; a negative total is an error.
    let plain = doc()
        .replace(
            r#""trace_node_fields":["id","function_info_index","count","size","children"]"#,
            r#""trace_node_fields":["id","function_info_index","children"]"#,
        )
        .replace(TREE, "[1,0,[2,1,[3,2,[]]]]");
    assert_eq!(parse(&plain).unwrap().allocations_to_snapshot(0, 10).len(), 0);
    let e = parse(&doc().replace(TREE, "[1,0,0,0,[2,1,-3,100,[]]]")).unwrap_err();
    assert!(e.message.contains("negative allocation total -3"), "{}", e.message);
}
