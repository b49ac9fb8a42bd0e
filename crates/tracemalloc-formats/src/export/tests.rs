//! Exporters on small snapshots built from columns: each output is read
//! back with a real parser (prost, serde_json) and checked against the
//! engine's own totals.

use std::io::Read;

use serde_json::Value;
use tracemalloc_core::stats::statistics;
use tracemalloc_core::{Columns, KeyType, Snapshot, NONE};

use super::flamegraph::DEFAULT_MIN_FRACTION;
use super::*;
use crate::{Meta, Mode};

/// Frames: 0 set (cache.js:41:9), 1 handle (server.js:64:20), 2 main (app.js:1:1),
/// 3 log (log.js:7:30), 4 an anonymous function, 5 a CPython-style frame.
/// Sequences (most recent first): 0 [set, handle, main], 1 [log, main],
/// 2 [handle, main], 3 [], 4 [anon, main], 5 [py].
fn snapshot(weights: Option<Vec<f64>>) -> Snapshot {
    let strings: Vec<Vec<u8>> = [
        "/app/cache.js",
        "set",
        "/app/server.js",
        "handle",
        "/app/app.js",
        "main",
        "/app/log.js",
        "log",
        "",
        "/py/mod.py",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let frames = [
        0, 41, 9, 1, //
        2, 64, 20, 3, //
        4, 1, 1, 5, //
        6, 7, 30, 7, //
        4, 12, 5, 8, //
        9, 3, 0, NONE,
    ];
    let seq_frames = [0, 1, 2, 3, 2, 1, 2, 4, 2, 5];
    let seq_ends = [3, 5, 7, 7, 9, 10];
    let tracebacks = [0, 3, 1, 2, 2, 2, 3, 0, 4, 2, 5, 1, 0, 7];
    let domain = [0, 0, 0, 0, 3, 0, 0, 0];
    let size = [4096.0, 4096.0, 512.0, 100.0, 10.0, 64.0, 8.0, 4096.0];
    let traceback = [0, 0, 1, 2, 3, 4, 5, 6];
    let n = domain.len();
    let w = weights.map(|w| w[..n].to_vec());
    Snapshot::from_columns(Columns {
        strings,
        frames: &frames,
        seq_ends: &seq_ends,
        seq_frames: &seq_frames,
        tracebacks: &tracebacks,
        domain: &domain,
        size: &size,
        traceback: &traceback,
        weight: w.as_deref(),
    })
    .unwrap()
}

fn weighted() -> Snapshot {
    snapshot(Some(vec![1.5, 2.25, 3.0, 1.0, 7.0, 1.25, 2.0, 1.0]))
}

fn sampled_meta() -> Meta {
    Meta {
        mode: Some(Mode::Sampled),
        sampling_interval: Some(32768.0),
        time: Some(1_700_000_000_000.0),
        ..Meta::with_limit(10)
    }
}

fn export(format: Format, snap: &Snapshot, meta: &Meta, opts: &Options<'_>) -> Vec<u8> {
    opts.check(format).unwrap();
    let mut out = Vec::new();
    write(&mut out, format, Source { snapshot: snap, meta }, opts).unwrap();
    out
}

/// Estimated totals, as `statistics('filename')` sums them (every trace has a frame but one).
fn estimated_total(snap: &Snapshot) -> (f64, f64) {
    let mut bytes = 0.0;
    let mut count = 0.0;
    for i in 0..snap.len() {
        let w = snap.weights().map_or(1.0, |w| w[i]);
        bytes += snap.sizes()[i] as f64 * w;
        count += w;
    }
    (bytes, count)
}

#[test]
fn format_names_parse_and_unknown_ones_list_the_valid_ones() {
    for f in Format::ALL {
        assert_eq!(Format::parse(f.name()).unwrap(), f);
    }
    let e = Format::parse("svg").unwrap_err();
    assert_eq!(
        e.message,
        "unknown export format 'svg': expected one of 'pprof', 'heapprofile', 'speedscope', 'collapsed', 'json', 'csv', 'jsonl', 'flamegraph'"
    );
    let snap = snapshot(None);
    let meta = Meta::with_limit(3);
    let base = Source {
        snapshot: &snap,
        meta: &meta,
    };
    let opts = Options {
        base: Some(base),
        ..Options::default()
    };
    assert!(opts
        .check(Format::Pprof)
        .unwrap_err()
        .message
        .contains("only applies to the 'flamegraph'"));
    assert!(opts.check(Format::FlameGraph).is_ok());
    let bad = Options {
        min_fraction: Some(1.5),
        ..Options::default()
    };
    assert!(bad
        .check(Format::FlameGraph)
        .unwrap_err()
        .message
        .contains("minFraction"));
}

#[test]
fn pprof_holds_one_sample_per_traceback_with_estimates_rounded_once() {
    let snap = weighted();
    let out = export(Format::Pprof, &snap, &sampled_meta(), &Options::default());
    assert_eq!(&out[..2], &[0x1f, 0x8b], "gzip magic");
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut raw).unwrap();
    let p = <pprof::Profile as prost::Message>::decode(&raw[..]).unwrap();
    let s = |i: i64| p.string_table[i as usize].as_str();
    assert_eq!(s(0), "");
    let types: Vec<(&str, &str)> = p.sample_type.iter().map(|v| (s(v.r#type), s(v.unit))).collect();
    assert_eq!(types, vec![("inuse_objects", "count"), ("inuse_space", "bytes")]);
    let pt = p.period_type.as_ref().unwrap();
    assert_eq!((s(pt.r#type), s(pt.unit), p.period), ("space", "bytes", 32768));
    assert_eq!(s(p.default_sample_type), "inuse_space");
    assert_eq!(p.time_nanos, 1_700_000_000_000_000_000);
    // (domain, sequence) groups: seq 0, 1, 2, 4, 5 in domain 0, seq 3 in domain 3.
    assert_eq!(p.sample.len(), 6);
    let (bytes, count) = estimated_total(&snap);
    let sum = |k: usize| p.sample.iter().map(|x| x.value[k]).sum::<i64>();
    assert!((sum(1) as f64 - bytes).abs() <= p.sample.len() as f64 / 2.0);
    assert!((sum(0) as f64 - count).abs() <= p.sample.len() as f64 / 2.0);
    // Seq 0 holds three traces: 4096 × (1.5 + 2.25 + 1) = 19456 B, 4.75 objects → 5.
    let top = p.sample.iter().max_by_key(|x| x.value[1]).unwrap();
    assert_eq!(top.value, vec![5, 19456]);
    assert_eq!(top.location_id.len(), 3);
    let loc = &p.location[top.location_id[0] as usize - 1];
    let line = &loc.line[0];
    let func = &p.function[line.function_id as usize - 1];
    assert_eq!(
        (s(func.name), s(func.filename), func.start_line),
        ("set", "/app/cache.js", 41)
    );
    assert_eq!((line.line, line.column), (41, 9));
    let domain3 = p.sample.iter().find(|x| x.location_id.is_empty()).unwrap();
    assert_eq!((s(domain3.label[0].key), domain3.label[0].num), ("domain", 3));
    // One location per frame used; anonymous and CPython frames get names.
    assert_eq!(p.location.len(), 6);
    let names: Vec<&str> = p.function.iter().map(|f| s(f.name)).collect();
    assert!(
        names.contains(&"(anonymous)") && names.contains(&"/py/mod.py:3"),
        "{names:?}"
    );
    // Exact snapshots: period 1, exact values.
    let exact = snapshot(None);
    let out = export(Format::Pprof, &exact, &Meta::with_limit(3), &Options::default());
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut raw).unwrap();
    let p = <pprof::Profile as prost::Message>::decode(&raw[..]).unwrap();
    assert_eq!(p.period, 1);
    assert_eq!(
        p.sample.iter().map(|x| x.value[1]).sum::<i64>(),
        exact.total_size() as i64
    );
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn heapprofile_has_v8s_shape_and_consistent_sizes() {
    let snap = weighted();
    let p = json(&export(
        Format::HeapProfile,
        &snap,
        &sampled_meta(),
        &Options::default(),
    ));
    let head = &p["head"];
    assert_eq!(head["callFrame"]["functionName"], "(root)");
    assert_eq!(head["callFrame"]["lineNumber"], -1);
    assert_eq!(head["id"], 1);
    // Walk the tree: unique ids, 0-based positions.
    let mut ids = std::collections::HashSet::new();
    let mut self_sum = 0u64;
    let mut stack = vec![head];
    let mut set_frame = None;
    while let Some(node) = stack.pop() {
        assert!(ids.insert(node["id"].as_u64().unwrap()), "duplicate id");
        self_sum += node["selfSize"].as_u64().unwrap();
        if node["callFrame"]["functionName"] == "set" {
            set_frame = Some(node["callFrame"].clone());
        }
        stack.extend(node["children"].as_array().unwrap());
    }
    let set = set_frame.unwrap();
    assert_eq!(
        (
            set["url"].as_str(),
            set["lineNumber"].as_i64(),
            set["columnNumber"].as_i64()
        ),
        (Some("/app/cache.js"), Some(40), Some(8))
    );
    assert_ne!(set["scriptId"], "0");
    let samples = p["samples"].as_array().unwrap();
    assert_eq!(samples.len(), snap.len());
    let sample_sum: u64 = samples.iter().map(|s| s["size"].as_u64().unwrap()).sum();
    assert_eq!(sample_sum, self_sum);
    assert!(samples.iter().all(|s| ids.contains(&s["nodeId"].as_u64().unwrap())));
    let ordinals: std::collections::HashSet<u64> = samples.iter().map(|s| s["ordinal"].as_u64().unwrap()).collect();
    assert_eq!(ordinals.len(), samples.len());
    // 4096 × 1.5 = 6144 for the first trace.
    assert_eq!(samples[0]["size"], 6144);
    assert_eq!(p["tracemalloc"]["samplingInterval"], 32768.0);
}

#[test]
fn speedscope_collapsed_csv_agree_on_totals() {
    let snap = weighted();
    let meta = sampled_meta();
    let (bytes, _) = estimated_total(&snap);
    let opts = Options {
        title: Some("my \"app\""),
        ..Options::default()
    };
    let sp = json(&export(Format::Speedscope, &snap, &meta, &opts));
    assert_eq!(sp["name"], "my \"app\"");
    let prof = &sp["profiles"][0];
    assert_eq!(
        (prof["type"].as_str(), prof["unit"].as_str()),
        (Some("sampled"), Some("bytes"))
    );
    let weights: Vec<u64> = prof["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(prof["samples"].as_array().unwrap().len(), weights.len());
    assert_eq!(prof["endValue"].as_u64().unwrap(), weights.iter().sum::<u64>());
    assert!((weights.iter().sum::<u64>() as f64 - bytes).abs() <= weights.len() as f64);
    let frames = sp["shared"]["frames"].as_array().unwrap();
    let first_stack: Vec<&str> = prof["samples"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| frames[i.as_u64().unwrap() as usize]["name"].as_str().unwrap())
        .collect();
    assert_eq!(first_stack, vec!["main", "handle", "set"], "root first");

    let collapsed = String::from_utf8(export(Format::Collapsed, &snap, &meta, &Options::default())).unwrap();
    let lines: Vec<&str> = collapsed.lines().collect();
    assert_eq!(
        lines[0],
        "main (/app/app.js:1:1);handle (/app/server.js:64:20);set (/app/cache.js:41:9) 19456"
    );
    let total: u64 = lines
        .iter()
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, weights.iter().sum::<u64>());
    assert!(lines.contains(&"(no frames) 70"));
    assert!(lines.iter().any(|l| l.starts_with("/py/mod.py:3 ")));

    let csv = String::from_utf8(export(Format::Csv, &snap, &meta, &Options::default())).unwrap();
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(rows[0], csv::HEADER);
    assert_eq!(
        rows[1],
        "0,19456,5,3,/app/cache.js,41,9,set,main (/app/app.js:1:1);handle (/app/server.js:64:20);set (/app/cache.js:41:9)"
    );
    assert_eq!(rows.len(), 1 + 6);
}

#[test]
fn json_and_jsonl_keep_every_trace() {
    let snap = weighted();
    let meta = sampled_meta();
    let j = json(&export(Format::Json, &snap, &meta, &Options::default()));
    assert_eq!(j["format"], "tracemalloc-snapshot");
    assert_eq!(j["meta"]["mode"], "sampled");
    let traces = &j["traces"];
    assert_eq!(traces["size"].as_array().unwrap().len(), snap.len());
    assert_eq!(traces["weight"][1], 2.25);
    let tb = traces["traceback"][0].as_u64().unwrap() as usize;
    let f0 = j["tracebacks"][tb]["frames"][0].as_u64().unwrap() as usize;
    assert_eq!(j["frames"][f0]["function"], "set");
    assert_eq!(j["tracebacks"][tb]["totalNframe"], 3);
    let py = j["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "/py/mod.py")
        .unwrap();
    assert_eq!(py["function"], Value::Null);
    let (bytes, _) = estimated_total(&snap);
    assert_eq!(j["totals"]["size"].as_u64().unwrap(), bytes.round() as u64);

    let exact = snapshot(None);
    let j = json(&export(Format::Json, &exact, &Meta::with_limit(3), &Options::default()));
    assert!(j["traces"].get("weight").is_none());

    let lines = String::from_utf8(export(Format::Jsonl, &snap, &meta, &Options::default())).unwrap();
    let rows: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), snap.len());
    assert_eq!(rows[0]["frames"][0]["func"], "set");
    assert_eq!(rows[0]["frames"][2]["func"], "main");
    assert_eq!(rows[4]["domain"], 3);
    assert_eq!(rows[4]["frames"].as_array().unwrap().len(), 0);
    assert_eq!(rows[7]["totalNframe"], 7);
    assert!(lines.lines().next().unwrap().contains("\"weight\":1.5,"));
    let exact_lines =
        String::from_utf8(export(Format::Jsonl, &exact, &Meta::with_limit(3), &Options::default())).unwrap();
    assert!(exact_lines.lines().all(|l| l.contains("\"weight\":1.0,")));
}

/// The data JSON embedded in a flame graph page.
fn flame_data(html: &[u8]) -> Value {
    let html = std::str::from_utf8(html).unwrap();
    let start = html.find("id=\"flamegraph-data\">").unwrap() + "id=\"flamegraph-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

fn nums(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

#[test]
fn flamegraph_pages_embed_a_tree_whose_widths_add_up() {
    let snap = weighted();
    let meta = sampled_meta();
    let html = export(
        Format::FlameGraph,
        &snap,
        &meta,
        &Options {
            title: Some("</script><b>x</b>"),
            ..Options::default()
        },
    );
    let text = String::from_utf8(html.clone()).unwrap();
    assert!(text.contains("<title>&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;</title>"));
    assert_eq!(text.matches("</script>").count(), 2, "the title cannot close a script");
    assert!(
        !text.contains("http://") && !text.contains("https://"),
        "nothing to fetch"
    );
    let d = flame_data(&html);
    assert_eq!(d["title"], "</script><b>x</b>");
    let size = nums(&d["size"]);
    let children = nums(&d["children"]);
    let (bytes, _) = estimated_total(&snap);
    assert_eq!(size[0], bytes.round() as i64);
    // Pre-order: the root's children are main, (no-frame traces stay as root self), py.
    assert_eq!(children.iter().sum::<i64>() as usize, size.len() - 1);
    assert!(d.get("baseSize").is_none());
}

#[test]
fn differential_flamegraphs_keep_frames_found_only_in_the_base() {
    // New: only seq 0 and 1 traces; base: every trace.
    let base = snapshot(None);
    let new = base.select(&[0, 1, 2]);
    let meta = Meta::with_limit(3);
    let html = export(
        Format::FlameGraph,
        &new,
        &meta,
        &Options {
            base: Some(Source {
                snapshot: &base,
                meta: &meta,
            }),
            min_fraction: Some(0.0),
            ..Options::default()
        },
    );
    let d = flame_data(&html);
    assert_eq!(d["diff"], true);
    let (size, base_size, width) = (nums(&d["size"]), nums(&d["baseSize"]), nums(&d["width"]));
    assert_eq!(size[0], 4096 + 4096 + 512);
    assert_eq!(base_size[0], base.total_size() as i64);
    // The root is as wide as the new snapshot plus what vanished entirely
    // (handle's own 100 B stays inside handle, which still exists).
    let gone: i64 = (0..size.len())
        .filter(|&i| size[i] == 0 && base_size[i] > 0)
        .map(|i| width[i])
        .sum::<i64>();
    assert!(gone > 0);
    let strings: Vec<&str> = d["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(strings.contains(&"(anonymous)") || strings.contains(&""), "{strings:?}");
    assert!(
        strings.contains(&"/py/mod.py"),
        "a base-only frame is listed: {strings:?}"
    );
    let frame = nums(&d["frame"]);
    let children = nums(&d["children"]);
    // Every node's children fit in it.
    let mut i = 0usize;
    let mut stack: Vec<(usize, i64, i64)> = Vec::new();
    while i < frame.len() {
        while let Some(&(p, left, used)) = stack.last() {
            if left == 0 {
                assert!(used <= width[p], "children of {p} overflow");
                stack.pop();
            } else {
                break;
            }
        }
        if let Some(top) = stack.last_mut() {
            top.1 -= 1;
            top.2 += width[i];
        }
        stack.push((i, children[i], 0));
        i += 1;
    }
}

#[test]
fn pruning_bounds_the_page_and_keeps_the_mass() {
    // 20,000 distinct two-frame stacks of decreasing weight under one file.
    let n = 20_000u32;
    let mut strings: Vec<Vec<u8>> = vec![b"/f.js".to_vec(), b"root".to_vec()];
    let mut frames = vec![0, 1, 1, 1];
    let mut seq_frames = Vec::new();
    let mut seq_ends = Vec::new();
    let mut tracebacks = Vec::new();
    for i in 0..n {
        strings.push(format!("fn{i}").into_bytes());
        frames.extend_from_slice(&[0, i + 2, 1, i + 2]);
        seq_frames.extend_from_slice(&[i + 1, 0]);
        seq_ends.push(seq_frames.len() as u32);
        tracebacks.extend_from_slice(&[i, 2]);
    }
    let size: Vec<f64> = (0..n).map(|i| 1e6 / f64::from(i + 1)).map(f64::round).collect();
    let snap = Snapshot::from_columns(Columns {
        strings,
        frames: &frames,
        seq_ends: &seq_ends,
        seq_frames: &seq_frames,
        tracebacks: &tracebacks,
        domain: &vec![0; n as usize],
        size: &size,
        traceback: &(0..n).collect::<Vec<_>>(),
        weight: None,
    })
    .unwrap();
    let meta = Meta::with_limit(2);
    let html = export(Format::FlameGraph, &snap, &meta, &Options::default());
    let d = flame_data(&html);
    let (frame, sizes) = (nums(&d["frame"]), nums(&d["size"]));
    let total = sizes[0];
    let threshold = (DEFAULT_MIN_FRACTION * total as f64) as i64;
    let kept = frame.len();
    assert!(kept < 3000, "{kept} nodes kept of {}", n + 2);
    let other: Vec<usize> = (1..kept).filter(|&i| frame[i] < 0).collect();
    assert_eq!(other.len(), 1, "one 'other' under the one parent");
    assert!((1..kept).filter(|&i| frame[i] >= 0).all(|i| sizes[i] >= threshold));
    let merged = -frame[other[0]] as usize;
    assert_eq!(
        merged + kept - 3,
        n as usize,
        "every pruned frame is counted in 'other'"
    );
    assert_eq!(sizes[1], total, "the mass under the root is kept");
    let everything = export(
        Format::FlameGraph,
        &snap,
        &meta,
        &Options {
            min_fraction: Some(0.0),
            ..Options::default()
        },
    );
    assert_eq!(nums(&flame_data(&everything)["frame"]).len(), n as usize + 2);
}

#[test]
fn deep_tracebacks_do_not_recurse() {
    let depth = 100_000u32;
    let frames: Vec<u32> = (0..depth).flat_map(|i| [0, i + 1, 1, 1]).collect();
    let seq_frames: Vec<u32> = (0..depth).collect();
    let snap = Snapshot::from_columns(Columns {
        strings: vec![b"/deep.js".to_vec(), b"f".to_vec()],
        frames: &frames,
        seq_ends: &[depth],
        seq_frames: &seq_frames,
        tracebacks: &[0, depth],
        domain: &[0],
        size: &[64.0],
        traceback: &[0],
        weight: None,
    })
    .unwrap();
    let meta = Meta::with_limit(depth);
    let opts = Options::default();
    for format in Format::ALL {
        let out = export(format, &snap, &meta, &opts);
        assert!(!out.is_empty(), "{}", format.name());
    }
    let p = export(Format::HeapProfile, &snap, &meta, &opts);
    // serde_json's own recursion limit cannot read this; check the nesting by counting.
    let text = String::from_utf8(p).unwrap();
    assert_eq!(text.matches("\"children\":[").count(), depth as usize + 1);
}

#[test]
fn lone_surrogates_survive_json_and_become_replacement_characters_elsewhere() {
    let mut file = b"/app/".to_vec();
    tracemalloc_core::wtf8::push_utf16(&[0xD800], &mut file);
    file.extend_from_slice(b".js");
    let snap = Snapshot::from_columns(Columns {
        strings: vec![file, b"f".to_vec()],
        frames: &[0, 1, 1, 1],
        seq_ends: &[1],
        seq_frames: &[0],
        tracebacks: &[0, 1],
        domain: &[0],
        size: &[8.0],
        traceback: &[0],
        weight: None,
    })
    .unwrap();
    let meta = Meta::with_limit(1);
    let j = String::from_utf8(export(Format::Json, &snap, &meta, &Options::default())).unwrap();
    assert!(j.contains(r#""/app/\ud800.js""#), "{j}");
    let c = String::from_utf8(export(Format::Collapsed, &snap, &meta, &Options::default())).unwrap();
    assert!(c.contains("/app/\u{FFFD}.js"), "{c}");
}

#[test]
fn statistics_and_exports_see_the_same_top_site() {
    let snap = weighted();
    let stats = statistics(&snap, KeyType::Lineno, false).unwrap();
    let top_bytes = stats.size[0].round() as u64;
    let collapsed = String::from_utf8(export(Format::Collapsed, &snap, &sampled_meta(), &Options::default())).unwrap();
    let first = collapsed.lines().next().unwrap();
    assert!(first.ends_with(&format!(" {top_bytes}")), "{first} vs {top_bytes}");
}

#[test]
fn export_file_is_atomic_and_names_the_path_on_error() {
    let dir = std::env::temp_dir().join(format!("tracemalloc-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snap = snapshot(None);
    let meta = Meta::with_limit(3);
    let src = Source {
        snapshot: &snap,
        meta: &meta,
    };
    let path = dir.join("out.collapsed");
    let n = export_file(&path, Format::Collapsed, src, &Options::default()).unwrap();
    assert_eq!(n, std::fs::metadata(&path).unwrap().len());
    let bad = Options {
        min_fraction: Some(0.5),
        ..Options::default()
    };
    let e = export_file(&path, Format::Csv, src, &bad).unwrap_err();
    assert!(e.message.contains("minFraction"), "{e}");
    let e = export_file(&dir.join("missing/x.csv"), Format::Csv, src, &Options::default()).unwrap_err();
    assert!(e.message.contains("missing/x.csv"), "{e}");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary left: {names:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_empty_snapshot_exports_in_every_format() {
    let snap = Snapshot::from_columns(Columns {
        strings: Vec::new(),
        frames: &[],
        seq_ends: &[],
        seq_frames: &[],
        tracebacks: &[],
        domain: &[],
        size: &[],
        traceback: &[],
        weight: None,
    })
    .unwrap();
    let meta = Meta::with_limit(1);
    for format in Format::ALL {
        let out = export(format, &snap, &meta, &Options::default());
        match format {
            Format::HeapProfile | Format::Speedscope | Format::Json => {
                let v = json(&out);
                assert!(v.is_object(), "{}", format.name());
            }
            Format::FlameGraph => assert_eq!(nums(&flame_data(&out)["size"]), vec![0]),
            Format::Jsonl | Format::Collapsed => assert!(out.is_empty(), "{}", format.name()),
            Format::Csv => assert_eq!(out, format!("{}\r\n", csv::HEADER).into_bytes()),
            Format::Pprof => {
                let mut raw = Vec::new();
                flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut raw).unwrap();
                let p = <pprof::Profile as prost::Message>::decode(&raw[..]).unwrap();
                assert!(p.sample.is_empty() && p.sample_type.len() == 2);
            }
        }
    }
}
