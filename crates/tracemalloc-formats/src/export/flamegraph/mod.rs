//! A self-contained HTML flame graph, plain or differential.
//!
//! The traces are summed into a call tree (root = the oldest call, domains
//! merged), children sorted widest first. Frames narrower than a fraction of
//! the whole ([`DEFAULT_MIN_FRACTION`] unless set) are merged, per parent,
//! into one "other" frame, so the page stays small for snapshots of
//! millions of traces. The tree goes into the page as compact JSON columns
//! (pre-order, child counts, interned strings), beside the renderer
//! (`flamegraph.js`, `flamegraph.css`, `template.html` in this directory,
//! compiled in with `include_str!`). The page loads nothing: a
//! Content-Security-Policy forbids every request.
//!
//! A differential graph (a base snapshot given) sizes each frame by the new
//! snapshot, plus the base size of callees that exist only in the base
//! (drawn hatched, so vanished code stays visible), and colours it by
//! growth (red) or shrinkage (blue).

use std::io::{self, Write};

use rustc_hash::FxHashMap;
use tracemalloc_core::NONE;

use super::frames::FrameSpace;
use super::groups::{groups, merge_domains};
use super::text::{flush_if_big, push_json_str, round, Escape};
use super::tree::{Side, StackTree, Values};
use super::{Options, Source};
use crate::Mode;

/// Frames narrower than this fraction of the whole are merged into "other".
pub const DEFAULT_MIN_FRACTION: f64 = 1e-4;

const TEMPLATE: &str = include_str!("template.html");
const STYLE: &str = include_str!("flamegraph.css");
const SCRIPT: &str = include_str!("flamegraph.js");

/// One node of the pruned tree, as written.
struct OutNode {
    /// Frame index in the output (>= 0), or `-k` for an "other" node merging `k` frames.
    frame: i64,
    children: u32,
    values: Values,
    width: f64,
}

/// Writes `src` (and `opts.base`, for a differential graph) as HTML.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>, opts: &Options<'_>) -> io::Result<()> {
    let diff = opts.base.is_some();
    let mut sides = vec![src.snapshot.tables().as_ref()];
    if let Some(b) = opts.base {
        sides.push(b.snapshot.tables().as_ref());
    }
    let mut space = FrameSpace::new(&sides);
    let mut tree = StackTree::new();
    for (side, snap) in std::iter::once((Side::New, src.snapshot)).chain(opts.base.map(|b| (Side::Base, b.snapshot))) {
        let t = snap.tables();
        for (seq, acc) in merge_domains(&groups(snap)) {
            let keys: Vec<u32> = t.seq(seq).iter().rev().map(|&f| space.key(side as usize, f)).collect();
            let node = tree.node(keys);
            tree.add(node, side, acc.bytes, acc.count);
        }
    }
    let totals = tree.totals();
    let width = widths(&tree, &totals, diff);
    let min_fraction = opts.min_fraction.unwrap_or(DEFAULT_MIN_FRACTION);
    let nodes = prune(&tree, &totals, &width, min_fraction * width[0]);

    // Frames and strings the kept nodes use.
    let mut frame_out: FxHashMap<u32, i64> = FxHashMap::default();
    let mut frames: Vec<[i64; 4]> = Vec::new();
    let mut strings: Vec<Vec<u8>> = Vec::new();
    let mut string_index: FxHashMap<Vec<u8>, i64> = FxHashMap::default();
    let mut intern = |s: &[u8]| -> i64 {
        if let Some(&i) = string_index.get(s) {
            return i;
        }
        let i = strings.len() as i64;
        strings.push(s.to_vec());
        string_index.insert(s.to_vec(), i);
        i
    };
    let nodes: Vec<OutNode> = nodes
        .into_iter()
        .map(|(key, mut n)| {
            if key != NONE {
                let next = frames.len() as i64;
                n.frame = *frame_out.entry(key).or_insert_with(|| {
                    let text = space.text(key);
                    let name = match text.func {
                        Some(_) => intern(&text.name()),
                        None => -1,
                    };
                    frames.push([name, intern(text.file), i64::from(text.line), i64::from(text.col)]);
                    next
                });
            }
            n
        })
        .collect();

    let title = opts.title.unwrap_or(if diff {
        "tracemalloc differential flame graph"
    } else {
        "tracemalloc flame graph"
    });
    let mut parts = TEMPLATE.split("{{");
    w.write_all(parts.next().unwrap_or_default().as_bytes())?;
    for part in parts {
        let (name, rest) = part.split_once("}}").unwrap_or(("", part));
        match name {
            "TITLE" => w.write_all(html_escape(title).as_bytes())?,
            "STYLE" => w.write_all(STYLE.as_bytes())?,
            "SCRIPT" => w.write_all(SCRIPT.as_bytes())?,
            "DATA" => write_data(w, title, src, opts, min_fraction, &strings, &frames, &nodes)?,
            _ => {
                w.write_all(b"{{")?;
                w.write_all(name.as_bytes())?;
            }
        }
        w.write_all(rest.as_bytes())?;
    }
    Ok(())
}

/// Display width of every node: its new bytes, plus the base bytes of
/// descendants that exist only in the base. Without a base, the new bytes.
fn widths(tree: &StackTree, totals: &[Values], diff: bool) -> Vec<f64> {
    if !diff {
        return totals.iter().map(|v| v.bytes[0]).collect();
    }
    let mut width: Vec<f64> = (0..tree.len())
        .map(|i| {
            let side = if totals[i].bytes[0] > 0.0 || totals[i].count[0] > 0.0 {
                0
            } else {
                1
            };
            tree.self_values[i].bytes[side]
        })
        .collect();
    for i in (1..tree.len()).rev() {
        let v = width[i];
        width[tree.parent[i] as usize] += v;
    }
    width
}

/// The kept nodes in pre-order, with their frame keys ([`NONE`] for the
/// root and "other" nodes). A child narrower than `threshold` joins its
/// parent's "other" node.
fn prune(tree: &StackTree, totals: &[Values], width: &[f64], threshold: f64) -> Vec<(u32, OutNode)> {
    enum Item {
        Node(u32),
        Other(OutNode),
    }
    let (start, list) = tree.children();
    let mut out = Vec::new();
    let mut stack = vec![Item::Node(0)];
    let mut kids: Vec<u32> = Vec::new();
    while let Some(item) = stack.pop() {
        let n = match item {
            Item::Other(o) => {
                out.push((NONE, o));
                continue;
            }
            Item::Node(n) => n as usize,
        };
        kids.clear();
        kids.extend_from_slice(&list[start[n] as usize..start[n + 1] as usize]);
        kids.sort_unstable_by(|&a, &b| {
            width[b as usize]
                .total_cmp(&width[a as usize])
                .then(tree.frame[a as usize].cmp(&tree.frame[b as usize]))
        });
        let keep = kids.partition_point(|&k| width[k as usize] >= threshold);
        let mut other = OutNode {
            frame: 0,
            children: 0,
            values: Values::default(),
            width: 0.0,
        };
        for &k in &kids[keep..] {
            other.frame -= 1;
            other.values.add(&totals[k as usize]);
            other.width += width[k as usize];
        }
        let has_other = keep < kids.len();
        out.push((
            tree.frame[n],
            OutNode {
                frame: 0,
                children: keep as u32 + u32::from(has_other),
                values: totals[n],
                width: width[n],
            },
        ));
        if has_other {
            stack.push(Item::Other(other));
        }
        stack.extend(kids[..keep].iter().rev().map(|&k| Item::Node(k)));
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Writes the page's data: JSON safe to embed in a `<script>` element.
#[allow(clippy::too_many_arguments)]
fn write_data<W: Write + ?Sized>(
    w: &mut W,
    title: &str,
    src: Source<'_>,
    opts: &Options<'_>,
    min_fraction: f64,
    strings: &[Vec<u8>],
    frames: &[[i64; 4]],
    nodes: &[OutNode],
) -> io::Result<()> {
    let diff = opts.base.is_some();
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(b"{\"version\":1,\"title\":");
    push_json_str(&mut out, title.as_bytes(), Escape::Html);
    let _ = write!(out, ",\"diff\":{diff},\"minFraction\":{min_fraction:?}");
    for (key, s) in std::iter::once(("mode", Some(src))).chain(std::iter::once(("baseMode", opts.base))) {
        if let Some(s) = s {
            let mode = match s.meta.mode {
                Some(Mode::Sampled) => match s.meta.sampling_interval {
                    Some(i) => format!("sampled, {} bytes between samples: sizes are estimates", i.round()),
                    None => "sampled: sizes are estimates".to_owned(),
                },
                Some(Mode::Exact) => "exact".to_owned(),
                None => "built from data".to_owned(),
            };
            let _ = write!(out, ",\"{key}\":");
            push_json_str(&mut out, mode.as_bytes(), Escape::Html);
        }
    }
    out.extend_from_slice(b",\"strings\":[");
    for (i, s) in strings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(&mut out, s, Escape::Html);
        flush_if_big(w, &mut out)?;
    }
    out.extend_from_slice(b"],\"frames\":[");
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{},{},{},{}", f[0], f[1], f[2], f[3]);
        flush_if_big(w, &mut out)?;
    }
    out.push(b']');
    type Column<'c> = (&'c str, &'c dyn Fn(&OutNode) -> i128, bool);
    let columns: [Column<'_>; 7] = [
        ("frame", &|n| i128::from(n.frame), true),
        ("children", &|n| i128::from(n.children), true),
        ("size", &|n| i128::from(round(n.values.bytes[0])), true),
        ("count", &|n| i128::from(round(n.values.count[0])), true),
        ("baseSize", &|n| i128::from(round(n.values.bytes[1])), diff),
        ("baseCount", &|n| i128::from(round(n.values.count[1])), diff),
        ("width", &|n| i128::from(round(n.width)), diff),
    ];
    for (name, value, wanted) in columns {
        if !wanted {
            continue;
        }
        let _ = write!(out, ",\"{name}\":[");
        for (i, n) in nodes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{}", value(n));
            flush_if_big(w, &mut out)?;
        }
        out.push(b']');
    }
    out.push(b'}');
    w.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_each_placeholder_once() {
        for p in ["{{TITLE}}", "{{STYLE}}", "{{SCRIPT}}", "{{DATA}}"] {
            assert_eq!(TEMPLATE.matches(p).count(), 1, "{p}");
        }
        assert_eq!(TEMPLATE.matches("{{").count(), 4);
        assert!(!SCRIPT.contains("</script") && !STYLE.contains("</style"));
    }

    #[test]
    fn titles_are_escaped() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
