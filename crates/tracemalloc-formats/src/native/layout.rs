//! How a snapshot is laid out in a file: traces grouped by traceback with
//! an O(n) counting sort, so that traceback and domain collapse into runs; and the tables pruned to what the traces use,
//! renumbered in order of first use, so that a snapshot of a long-running
//! process does not carry every traceback its store ever interned.

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
    /// Runs of traces with the same traceback and domain, in file order.
    pub runs: Vec<Run>,
    /// Size of each trace, in file order.
    pub sizes: Vec<u64>,
    /// The largest size.
    pub max_size: u64,
    /// Weight of each trace, in file order, when the snapshot has weights.
    pub weights: Option<Vec<f64>>,
    /// Tables pruned to the traces' tracebacks.
    pub pruned: Pruned,
}

/// Groups the traces of `snap` by traceback with one stable counting sort
/// (O(traces + tracebacks), no comparisons), and run-length encodes
/// traceback and domain. Inside a group, traces keep their relative order;
/// a live snapshot lists traces by domain, so its groups come out sorted by
/// domain too.
pub fn layout(snap: &Snapshot) -> Layout {
    let n = snap.len();
    assert!(n < u32::MAX as usize, "a snapshot file holds fewer than 2^32-1 traces");
    let (tbs, doms, sizes, weights) = (snap.tracebacks(), snap.domains(), snap.sizes(), snap.weights());
    let t = snap.tables();
    let mut next = vec![0u32; t.tracebacks().len()];
    let mut max_size = 0u64;
    for (&tb, &s) in tbs.iter().zip(sizes) {
        next[tb as usize] += 1;
        max_size = max_size.max(s);
    }
    // Turn counts into each group's first slot, keeping the used tracebacks
    // (ascending ids) and their group lengths.
    let mut used = Vec::new();
    let mut lens = Vec::new();
    let mut acc = 0u32;
    for (old, slot) in next.iter_mut().enumerate() {
        let c = *slot;
        if c > 0 {
            used.push(old as u32);
            lens.push(c);
        }
        *slot = acc;
        acc += c;
    }
    let one_domain = doms.first().is_none_or(|&d| doms.iter().all(|&x| x == d));
    let mut out_sizes = vec![0u64; n];
    let mut out_doms = if one_domain { Vec::new() } else { vec![0u32; n] };
    let mut out_weights = weights.map(|_| vec![0f64; n]);
    for i in 0..n {
        let slot = &mut next[tbs[i] as usize];
        let pos = *slot as usize;
        *slot += 1;
        out_sizes[pos] = sizes[i];
        if !one_domain {
            out_doms[pos] = doms[i];
        }
        if let (Some(o), Some(w)) = (out_weights.as_mut(), weights) {
            o[pos] = w[i];
        }
    }
    drop(next);
    let mut runs: Vec<Run> = Vec::with_capacity(used.len());
    let mut start = 0usize;
    for (new_tb, &len) in lens.iter().enumerate() {
        let end = start + len as usize;
        if one_domain {
            runs.push(Run {
                traceback: new_tb as u32,
                domain: doms[0],
                len,
            });
        } else {
            let mut k = start;
            while k < end {
                let d = out_doms[k];
                let run_start = k;
                while k < end && out_doms[k] == d {
                    k += 1;
                }
                runs.push(Run {
                    traceback: new_tb as u32,
                    domain: d,
                    len: (k - run_start) as u32,
                });
            }
        }
        start = end;
    }
    Layout {
        runs,
        sizes: out_sizes,
        max_size,
        weights: out_weights,
        pruned: prune(t, used),
    }
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
