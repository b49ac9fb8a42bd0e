//! How a snapshot is laid out in a file: traces grouped by traceback (then
//! domain) with an O(n) counting sort, so that traceback and domain
//! collapse into runs; and the tables pruned to what the traces use,
//! renumbered in order of first use, so that a snapshot of a long-running
//! process does not carry every traceback its store ever interned.

use rustc_hash::FxHashMap;
use tracemalloc_core::{Snapshot, Tables, NONE};

/// One run of consecutive traces (in file order) with the same traceback
/// and domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Traceback id in the pruned tables.
    pub traceback: u32,
    /// Domain of every trace of the run.
    pub domain: u32,
    /// Number of traces (at least 1).
    pub len: u32,
}

/// The pruned tables: ids of the snapshot's tables in their new order.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Old string id of each new string.
    pub strings: Vec<u32>,
    /// Old frame id of each new frame.
    pub frames: Vec<u32>,
    /// Old sequence id of each new sequence.
    pub seqs: Vec<u32>,
    /// Old traceback id of each new traceback.
    pub tracebacks: Vec<u32>,
    /// New id of each old string, or [`NONE`].
    pub str_map: Vec<u32>,
    /// New id of each old frame, or [`NONE`].
    pub frame_map: Vec<u32>,
    /// New id of each old sequence, or [`NONE`].
    pub seq_map: Vec<u32>,
}

/// A snapshot's traces in file order, and the tables they use.
pub struct Layout {
    /// Index of each trace of the snapshot, in file order.
    pub order: Vec<u32>,
    /// Runs covering `order`.
    pub runs: Vec<Run>,
    /// Tables pruned to the traces' tracebacks.
    pub pruned: Pruned,
}

/// Stable counting sort of `items` by `key(item) < buckets`, from counts
/// already made (`counts[k]` items have key `k`).
fn counting_sort(items: impl Iterator<Item = u32>, key: impl Fn(u32) -> usize, counts: &[u32], n: usize) -> Vec<u32> {
    let mut next = Vec::with_capacity(counts.len());
    let mut acc = 0u32;
    for &c in counts {
        next.push(acc);
        acc += c;
    }
    let mut out = vec![0u32; n];
    for i in items {
        let slot = &mut next[key(i)];
        out[*slot as usize] = i;
        *slot += 1;
    }
    out
}

/// Groups the traces of `snap` by traceback then domain, keeping their
/// relative order inside a group, in O(traces + tracebacks + domains).
pub fn layout(snap: &Snapshot) -> Layout {
    let n = snap.len();
    assert!(n < u32::MAX as usize, "a snapshot file holds fewer than 2^32-1 traces");
    let (tbs, doms) = (snap.tracebacks(), snap.domains());
    let t = snap.tables();
    let mut tb_counts = vec![0u32; t.tracebacks().len()];
    for &tb in tbs {
        tb_counts[tb as usize] += 1;
    }
    // Least significant key first: domain (only when there are several), then traceback.
    let by_domain: Option<Vec<u32>> = domain_ranks(doms)
        .map(|(ranks, counts)| counting_sort(0..n as u32, |i| ranks[i as usize] as usize, &counts, n));
    let order = match by_domain {
        Some(first) => counting_sort(first.into_iter(), |i| tbs[i as usize] as usize, &tb_counts, n),
        None => counting_sort(0..n as u32, |i| tbs[i as usize] as usize, &tb_counts, n),
    };
    let mut tb_map = vec![NONE; tb_counts.len()];
    let mut used = Vec::new();
    for (old, &c) in tb_counts.iter().enumerate() {
        if c > 0 {
            tb_map[old] = used.len() as u32;
            used.push(old as u32);
        }
    }
    let mut runs: Vec<Run> = Vec::new();
    for &i in &order {
        let (tb, dom) = (tb_map[tbs[i as usize] as usize], doms[i as usize]);
        match runs.last_mut() {
            Some(r) if r.traceback == tb && r.domain == dom => r.len += 1,
            _ => runs.push(Run {
                traceback: tb,
                domain: dom,
                len: 1,
            }),
        }
    }
    Layout {
        order,
        runs,
        pruned: prune(t, used),
    }
}

/// Dense ranks of the domains in ascending order, and how many traces each
/// holds; `None` when every trace has the same domain.
fn domain_ranks(doms: &[u32]) -> Option<(Vec<u32>, Vec<u32>)> {
    let first = *doms.first()?;
    if doms.iter().all(|&d| d == first) {
        return None;
    }
    let mut distinct: FxHashMap<u32, u32> = FxHashMap::default();
    for &d in doms {
        distinct.entry(d).or_insert(0);
    }
    let mut sorted: Vec<u32> = distinct.keys().copied().collect();
    sorted.sort_unstable();
    for (rank, d) in sorted.iter().enumerate() {
        distinct.insert(*d, rank as u32);
    }
    let mut counts = vec![0u32; sorted.len()];
    let mut last = (first, distinct[&first]);
    let ranks = doms
        .iter()
        .map(|&d| {
            if d != last.0 {
                last = (d, distinct[&d]);
            }
            counts[last.1 as usize] += 1;
            last.1
        })
        .collect();
    Some((ranks, counts))
}

/// Keeps the tracebacks `used` (old ids, ascending) and what they reach,
/// numbering sequences, frames and strings in order of first use.
fn prune(t: &Tables, used: Vec<u32>) -> Pruned {
    fn assign(map: &mut [u32], list: &mut Vec<u32>, old: u32) {
        let slot = &mut map[old as usize];
        if *slot == NONE {
            *slot = list.len() as u32;
            list.push(old);
        }
    }
    let mut p = Pruned {
        str_map: vec![NONE; t.str_count()],
        frame_map: vec![NONE; t.frames().len()],
        seq_map: vec![NONE; t.seq_count()],
        ..Pruned::default()
    };
    for &tb in &used {
        assign(&mut p.seq_map, &mut p.seqs, t.tracebacks()[tb as usize].seq);
    }
    for &s in &p.seqs {
        for &f in t.seq(s) {
            assign(&mut p.frame_map, &mut p.frames, f);
        }
    }
    for &f in &p.frames {
        let rec = t.frames()[f as usize];
        assign(&mut p.str_map, &mut p.strings, rec.file);
        if rec.func != NONE {
            assign(&mut p.str_map, &mut p.strings, rec.func);
        }
    }
    p.tracebacks = used;
    p
}
