//! V8's `.heapprofile`: the JSON of the inspector's
//! `HeapProfiler.SamplingHeapProfile`, as `node --heap-prof` writes it and
//! Chrome DevTools' Memory panel loads it.
//!
//! * `head`: the call tree, from a `(root)` node (id 1); each node has a
//!   `callFrame` (`functionName`, `scriptId`, `url`, 0-based `lineNumber`
//!   and `columnNumber`, -1 when unknown), its `selfSize` (the bytes of its
//!   own samples), a unique `id` and its `children`;
//! * `samples`: one per trace, `{size, nodeId, ordinal}`, where `size` is
//!   the trace's bytes (its estimate `size × weight`, rounded, for sampled
//!   snapshots, as V8 reports it) and `ordinal` is unique;
//! * `tracemalloc`: the snapshot's metadata (an extra key, which DevTools
//!   ignores), so a re-import keeps the mode and the sampling interval.
//!
//! Domains are merged: the format has none.

use std::io::{self, Write};

use tracemalloc_core::NONE;

use super::frames::FrameText;
use super::text::{push_json_str, round, Escape};
use super::tree::{Side, StackTree};
use super::Source;

/// Writes `src` as a `.heapprofile`.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let tb_recs = t.tracebacks();
    let (sizes, tbs, weights) = (snap.sizes(), snap.tracebacks(), snap.weights());

    // One node per distinct path; frame ids are the keys (unique by content).
    let mut tree = StackTree::new();
    let mut node_of_seq = vec![NONE; t.seq_count()];
    let mut sample_size = Vec::with_capacity(snap.len());
    for i in 0..snap.len() {
        let seq = tb_recs[tbs[i] as usize].seq;
        let slot = &mut node_of_seq[seq as usize];
        if *slot == NONE {
            *slot = tree.node(t.seq(seq).iter().rev().copied());
        }
        let bytes = round(sizes[i] as f64 * weights.map_or(1.0, |w| w[i]));
        tree.add(*slot, Side::New, bytes as f64, 1.0);
        sample_size.push(bytes);
    }

    // Script ids: one per file, "0" for frames without a script.
    let mut script_of_file = vec![0u32; t.str_count()];
    let mut next_script = 0u32;
    let (start, list) = tree.children();
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(b"{\"head\":");
    let mut stack: Vec<(u32, u32)> = vec![(0, 0)];
    open_node(&mut out, &tree, 0, t, &mut script_of_file, &mut next_script);
    while let Some(top) = stack.last_mut() {
        let (node, i) = *top;
        let kids = &list[start[node as usize] as usize..start[node as usize + 1] as usize];
        if let Some(&child) = kids.get(i as usize) {
            top.1 += 1;
            if i > 0 {
                out.push(b',');
            }
            open_node(&mut out, &tree, child, t, &mut script_of_file, &mut next_script);
            stack.push((child, 0));
        } else {
            out.extend_from_slice(b"]}");
            stack.pop();
        }
        if out.len() > 1 << 16 {
            w.write_all(&out)?;
            out.clear();
        }
    }
    out.extend_from_slice(b",\"samples\":[");
    for i in 0..snap.len() {
        if i > 0 {
            out.push(b',');
        }
        let node = node_of_seq[tb_recs[tbs[i] as usize].seq as usize];
        let _ = write!(
            out,
            "{{\"size\":{},\"nodeId\":{},\"ordinal\":{}}}",
            sample_size[i],
            node + 1,
            i + 1
        );
        if out.len() > 1 << 16 {
            w.write_all(&out)?;
            out.clear();
        }
    }
    out.extend_from_slice(b"],\"tracemalloc\":");
    out.extend_from_slice(&src.meta.to_json());
    out.extend_from_slice(b"}\n");
    w.write_all(&out)
}

/// Writes a node up to its opening `children` bracket.
fn open_node(
    out: &mut Vec<u8>,
    tree: &StackTree,
    node: u32,
    t: &tracemalloc_core::Tables,
    script_of_file: &mut [u32],
    next_script: &mut u32,
) {
    out.extend_from_slice(b"{\"callFrame\":{\"functionName\":");
    let frame = tree.frame[node as usize];
    if frame == NONE {
        out.extend_from_slice(b"\"(root)\",\"scriptId\":\"0\",\"url\":\"\",\"lineNumber\":-1,\"columnNumber\":-1");
    } else {
        let rec = t.frames()[frame as usize];
        let text = FrameText::of(t, frame);
        push_json_str(out, text.func.unwrap_or(b""), Escape::Json);
        let unknown = text.file == b"<unknown>" || text.file.is_empty();
        let script = if unknown {
            0
        } else {
            let s = &mut script_of_file[rec.file as usize];
            if *s == 0 {
                *next_script += 1;
                *s = *next_script;
            }
            *s
        };
        let _ = write!(out, ",\"scriptId\":\"{script}\",\"url\":");
        push_json_str(out, if unknown { b"" } else { text.file }, Escape::Json);
        let pos = |v: u32| if v > 0 { i64::from(v) - 1 } else { -1 };
        let _ = write!(
            out,
            ",\"lineNumber\":{},\"columnNumber\":{}",
            pos(text.line),
            pos(text.col)
        );
    }
    let _ = write!(
        out,
        "}},\"selfSize\":{},\"id\":{},\"children\":[",
        tree.self_values[node as usize].bytes[0] as u64,
        node + 1
    );
}
