//! Unit tests of the heap profile importer on small hand-written documents
//! (real profiles written by Node are tested in `tests/` and the ava suite).

use super::*;
use tracemalloc_core::ErrorKind;

fn node(id: u64, name: &str, url: &str, line: i64, col: i64, self_size: u64, children: &str) -> String {
    format!(
        r#"{{"callFrame":{{"functionName":"{name}","scriptId":"3","url":"{url}","lineNumber":{line},"columnNumber":{col}}},"selfSize":{self_size},"id":{id},"children":[{children}]}}"#
    )
}

/// (root) > main (file:///app/a%20b.js:10:5) > leaf (same file, 20:1);
/// (root) > (garbage collector).
fn doc() -> String {
    let leaf = node(3, "leaf", "file:///app/a%20b.js", 19, 0, 96, "");
    let main = node(2, "main", "file:///app/a%20b.js", 9, 4, 0, &leaf);
    let gc = node(4, "(garbage collector)", "", -1, -1, 64, "");
    let head = node(1, "(root)", "", -1, -1, 0, &format!("{main},{gc}"));
    format!(
        r#"{{"head":{head},"samples":[{{"size":32,"nodeId":3,"ordinal":1}},{{"size":64,"nodeId":3,"ordinal":2}},{{"size":64,"nodeId":4,"ordinal":3}},{{"size":8,"nodeId":1,"ordinal":4}}]}}"#
    )
}

/// Every trace as (frames as text, total_nframe, size, weight).
fn traces(imp: &Imported) -> Vec<(Vec<String>, u32, u64, f64)> {
    let s = &imp.snapshot;
    (0..s.len())
        .map(|i| {
            let (frames, total) = crate::test_frames::frames_of(s, i);
            (frames, total, s.sizes()[i], s.weights().map_or(1.0, |w| w[i]))
        })
        .collect()
}

#[test]
fn samples_become_weighted_traces() {
    let imp = import_bytes(
        doc().as_bytes(),
        Options {
            sampling_interval: Some(1.0),
        },
    )
    .unwrap();
    let leaf = "/app/a b.js:20:1:leaf".to_string();
    let main = "/app/a b.js:10:5:main".to_string();
    assert_eq!(
        traces(&imp),
        vec![
            (vec![leaf.clone(), main.clone()], 2, 32, 1.0),
            (vec![leaf, main], 2, 64, 1.0),
            (vec!["<unknown>:0:0:(garbage collector)".into()], 1, 64, 1.0),
            (vec!["<unknown>:0:0:-".into()], 1, 8, 1.0),
        ]
    );
    assert_eq!(imp.meta.traceback_limit, 2);
    assert_eq!(imp.meta.mode, Some(Mode::Sampled));
    assert_eq!(imp.meta.origin.as_deref(), Some("heapprofile"));
    assert_eq!(imp.meta.sampling_interval, Some(1.0));
    assert!(imp.meta.extra.is_empty());
}

#[test]
fn scaled_sizes_are_split_into_size_and_weight() {
    let d = doc().replace(r#""size":32,"#, r#""size":524304,"#);
    let imp = import_bytes(
        d.as_bytes(),
        Options {
            sampling_interval: Some(524288.0),
        },
    )
    .unwrap();
    let t = traces(&imp);
    assert_eq!((t[0].2, t[0].3), (16, 32769.0));
    // Inferred: V8's products at 512 KiB for objects of 16 to 64 bytes, and
    // large objects, are explained by 512 KiB and no larger power of two.
    let products: Vec<u64> = [16u64, 24, 32, 48, 64]
        .iter()
        .map(|&s| s * scale::sample_count(s, 524288.0))
        .chain([915_752, 2_000_000])
        .collect();
    let samples: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{"size":{},"nodeId":3,"ordinal":{i}}}"#,
                products[i % products.len()]
            )
        })
        .collect();
    let d = doc();
    let d = format!(
        "{}\"samples\":[{}]}}",
        &d[..d.find("\"samples\"").unwrap()],
        samples.join(",")
    );
    let imp = import_bytes(d.as_bytes(), Options::default()).unwrap();
    assert_eq!(imp.meta.sampling_interval, Some(524288.0));
    assert_eq!(
        imp.meta.extra.get("samplingIntervalInferred"),
        Some(&serde_json::Value::Bool(true))
    );
    let t = traces(&imp);
    assert_eq!((t[0].2, t[0].3), (16, 32769.0));
}

#[test]
fn samples_of_unknown_nodes_go_to_unknown() {
    let d = doc().replace(r#""nodeId":3,"ordinal":1"#, r#""nodeId":33,"ordinal":1"#);
    let imp = import_bytes(
        d.as_bytes(),
        Options {
            sampling_interval: Some(1.0),
        },
    )
    .unwrap();
    assert_eq!(traces(&imp)[0], (vec!["<unknown>:0:0:-".to_string()], 1, 32, 1.0));
    assert_eq!(imp.meta.extra.get("orphanSamples"), Some(&serde_json::Value::from(1)));
}

#[test]
fn keys_in_any_order_and_unknown_keys() {
    let d = r#"{"x":[1,{"y":null}],"samples":[{"ordinal":1,"nodeId":2,"size":40,"z":"q"}],
      "head":{"children":[{"id":2,"children":[],"selfSize":40,"callFrame":{"lineNumber":0,"url":"/a.js","columnNumber":2,"functionName":"f","extra":[]}}],
      "callFrame":{"functionName":"(root)","url":"","lineNumber":-1,"columnNumber":-1},"id":1,"selfSize":0}}"#;
    let imp = import_bytes(
        d.as_bytes(),
        Options {
            sampling_interval: Some(8.0),
        },
    )
    .unwrap();
    assert_eq!(traces(&imp), vec![(vec!["/a.js:1:3:f".to_string()], 1, 40, 1.0)]);
}

#[test]
fn without_samples_each_node_is_its_self_size() {
    let d = doc();
    let d = &d[..d.find(r#","samples""#).unwrap()];
    let imp = import_bytes(format!("{d}}}").as_bytes(), Options::default()).unwrap();
    let t = traces(&imp);
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].1, t[0].2, t[0].3), (2, 96, 1.0));
    assert_eq!((t[1].2, t[1].3), (64, 1.0));
    assert_eq!(imp.meta.sampling_interval, None);
    assert_eq!(imp.snapshot.weights(), None);
}

#[test]
fn a_tree_100000_deep_imports_without_recursion() {
    const DEPTH: usize = 100_000;
    let mut d = String::from(r#"{"head":"#);
    for id in 1..=DEPTH + 1 {
        d += &format!(
            r#"{{"callFrame":{{"functionName":"f{id}","url":"/x.js","lineNumber":{id},"columnNumber":0}},"selfSize":0,"id":{id},"children":["#
        );
    }
    d += &"]}".repeat(DEPTH + 1);
    let samples: Vec<String> = [DEPTH + 1, DEPTH / 2, 2]
        .iter()
        .map(|id| format!(r#"{{"size":16,"nodeId":{id},"ordinal":{id}}}"#))
        .collect();
    d += &format!(r#","samples":[{}]}}"#, samples.join(","));
    let got = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let imp = import_bytes(
                d.as_bytes(),
                Options {
                    sampling_interval: Some(1.0),
                },
            )
            .unwrap();
            let t = imp.snapshot.tables();
            let tbs: Vec<TracebackRec> = imp
                .snapshot
                .tracebacks()
                .iter()
                .map(|&tb| t.tracebacks()[tb as usize])
                .collect();
            let lens: Vec<usize> = tbs.iter().map(|tb| t.seq(tb.seq).len()).collect();
            let first = t.frames()[t.seq(tbs[0].seq)[0] as usize];
            (
                imp.meta.traceback_limit,
                tbs.iter().map(|tb| tb.total_nframe).collect::<Vec<_>>(),
                lens,
                first.line,
            )
        })
        .unwrap()
        .join()
        .unwrap();
    let (limit, totals, lens, line) = got;
    assert_eq!(limit, 65535, "the deepest stack, capped at CPython's nframe limit");
    assert_eq!(
        totals,
        vec![65535, (DEPTH / 2 - 1) as u32, 1],
        "depths saturate at 65535"
    );
    assert_eq!(lens, vec![65535, DEPTH / 2 - 1, 1]);
    assert_eq!(line as usize, DEPTH + 2, "the most recent frame first, 1-based");
}

#[test]
fn hostile_documents_give_clear_errors() {
    let d = doc();
    let replace = |from: &str, to: &str| {
        assert!(d.contains(from), "{from}");
        d.replacen(from, to, 1)
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "truncated"),
        ("[]".into(), "must be an object"),
        ("{}".into(), "\"head\" node is missing"),
        (replace(r#""id":3"#, r#""id":2"#), "node id 2 appears twice"),
        (replace(r#""size":32"#, r#""size":-32"#), "a sample's size"),
        (replace(r#""size":32"#, r#""size":1e300"#), "a sample's size"),
        (
            replace(r#""size":32"#, r#""size":"32""#),
            "a sample's size must be a number",
        ),
        (replace(r#""size":32,"#, ""), "needs a \"nodeId\" and a \"size\""),
        (
            replace(r#""lineNumber":19"#, r#""lineNumber":1.5"#),
            "callFrame.lineNumber",
        ),
        (
            replace(r#""lineNumber":19"#, r#""lineNumber":-2"#),
            "callFrame.lineNumber",
        ),
        (
            replace(r#""url":"file"#, r#""url":7,"x":"file"#),
            "callFrame.url must be a string",
        ),
        (replace(r#","id":3"#, ""), "has no \"id\""),
        (
            replace(r#""children":[]"#, r#""children":[1]"#),
            "a child node must be an object",
        ),
        (
            replace(r#""children":[]"#, r#""children":{}"#),
            "children must be an array",
        ),
        (replace(r#""selfSize":96"#, r#""selfSize":96.5"#), "selfSize"),
        (
            replace(r#""samples":["#, r#""samples":[7,"#),
            "a sample must be an object",
        ),
        (format!("{d} x"), "after the end"),
        (
            d.replacen(r#""head":"#, r#""head":{"id":9,"callFrame":{}},"head":"#, 1),
            "appears twice",
        ),
    ];
    for (bad, want) in &cases {
        let e = import_bytes(bad.as_bytes(), Options::default())
            .err()
            .unwrap_or_else(|| panic!("parsed: {bad}"));
        assert_eq!(e.kind, ErrorKind::Format, "{bad}");
        assert!(e.message.starts_with("heap profile: "), "{}", e.message);
        assert!(e.message.contains(want), "want {want:?} in {}", e.message);
    }
    // Every truncation is an error naming a byte offset.
    for cut in 0..d.len() {
        let e = import_bytes(&d.as_bytes()[..cut], Options::default()).err().unwrap();
        assert!(
            e.message.contains("at byte") || e.message.contains("missing"),
            "{cut}: {}",
            e.message
        );
    }
    let e = import_bytes(
        d.as_bytes(),
        Options {
            sampling_interval: Some(-1.0),
        },
    )
    .err()
    .unwrap();
    assert_eq!(e.kind, ErrorKind::Range);
}

#[test]
fn random_damage_never_panics() {
    let d = doc().into_bytes();
    let mut x: u64 = 99;
    let mut next = |n: usize| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % n.max(1)
    };
    for _ in 0..5000 {
        let mut b = d.clone();
        for _ in 0..1 + next(3) {
            let i = next(b.len());
            b[i] = next(256) as u8;
        }
        b.truncate(next(b.len() + 1).max(b.len() / 2));
        let _ = import_bytes(&b, Options::default());
    }
}

/// `doc()` with a `tracemalloc` key holding `written`.
fn doc_written(written: &str) -> String {
    let d = doc();
    format!("{},\"tracemalloc\":{written}}}", &d[..d.len() - 1])
}

#[test]
fn a_profile_tracemalloc_wrote_is_read_as_it_was_taken() {
    // Sampled at 32 B: sizes are unscaled with that interval, not an inferred one.
    let imp = import_bytes(
        doc_written(r#"{"tracebackLimit":5,"mode":"sampled","samplingInterval":32,"future":[1]}"#).as_bytes(),
        Options::default(),
    )
    .unwrap();
    assert_eq!(imp.meta.mode, Some(Mode::Sampled));
    assert_eq!(imp.meta.sampling_interval, Some(32.0));
    assert!(!imp.meta.extra.contains_key("samplingIntervalInferred"));
    // Exact: each sample is one object of its own size.
    let imp = import_bytes(
        doc_written(r#"{"tracebackLimit":5,"mode":"exact"}"#).as_bytes(),
        Options::default(),
    )
    .unwrap();
    assert_eq!(imp.meta.mode, Some(Mode::Exact));
    assert_eq!(imp.meta.sampling_interval, None);
    assert!(imp.snapshot.weights().is_none());
    let mut sizes: Vec<u64> = traces(&imp).iter().map(|t| t.2).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [8, 32, 64, 64]);
    // An interval given by the caller wins over the file's.
    let imp = import_bytes(
        doc_written(r#"{"mode":"sampled","samplingInterval":32}"#).as_bytes(),
        Options {
            sampling_interval: Some(1.0),
        },
    )
    .unwrap();
    assert_eq!(imp.meta.sampling_interval, Some(1.0));
    // Wrong types are named.
    for (bad, want) in [
        (r#"{"mode":"fast"}"#, "tracemalloc.mode must be"),
        (
            r#"{"samplingInterval":-4}"#,
            "tracemalloc.samplingInterval must be a positive number",
        ),
        (r#"[1]"#, "\"tracemalloc\" must be an object"),
    ] {
        let e = import_bytes(doc_written(bad).as_bytes(), Options::default())
            .err()
            .unwrap();
        assert!(e.message.contains(want), "{bad}: {}", e.message);
    }
}
