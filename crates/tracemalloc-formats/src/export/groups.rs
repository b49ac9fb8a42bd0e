//! Traces summed per (domain, frame sequence): the unit most exporters
//! write. Sizes and counts of weighted (sampled) snapshots are summed as
//! estimates (`size × weight`, `weight`) and rounded once, when written.

use rustc_hash::FxHashMap;
use tracemalloc_core::Snapshot;

/// Totals of a set of traces.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Acc {
    /// Bytes: the sum of `size × weight`.
    pub bytes: f64,
    /// Objects: the sum of weights.
    pub count: f64,
    /// Traces summed.
    pub traces: u64,
}

impl Acc {
    /// Adds one trace.
    pub fn add_trace(&mut self, size: u64, weight: f64) {
        self.bytes += size as f64 * weight;
        self.count += weight;
        self.traces += 1;
    }

    /// Adds another total.
    pub fn add(&mut self, o: &Acc) {
        self.bytes += o.bytes;
        self.count += o.count;
        self.traces += o.traces;
    }
}

/// The traces of one domain that share one frame sequence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group {
    /// Domain of the traces.
    pub domain: u32,
    /// Frame sequence id (most recent call first) in the snapshot's tables.
    pub seq: u32,
    /// Their totals.
    pub acc: Acc,
}

/// Sums the traces of `snap` per (domain, sequence), ordered by domain then
/// sequence id. Tracebacks that differ only by `total_nframe` merge.
pub(crate) fn groups(snap: &Snapshot) -> Vec<Group> {
    let t = snap.tables();
    let tb_recs = t.tracebacks();
    let (sizes, tbs, domains, weights) = (snap.sizes(), snap.tracebacks(), snap.domains(), snap.weights());
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let Some(&d0) = domains.first() else {
        return Vec::new();
    };
    if domains.iter().all(|&d| d == d0) {
        let mut per_seq = vec![Acc::default(); t.seq_count()];
        for i in 0..snap.len() {
            per_seq[tb_recs[tbs[i] as usize].seq as usize].add_trace(sizes[i], weight(i));
        }
        return per_seq
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.traces > 0)
            .map(|(seq, acc)| Group {
                domain: d0,
                seq: seq as u32,
                acc,
            })
            .collect();
    }
    let mut map: FxHashMap<(u32, u32), Acc> = FxHashMap::default();
    for i in 0..snap.len() {
        map.entry((domains[i], tb_recs[tbs[i] as usize].seq))
            .or_default()
            .add_trace(sizes[i], weight(i));
    }
    let mut out: Vec<Group> = map
        .into_iter()
        .map(|((domain, seq), acc)| Group { domain, seq, acc })
        .collect();
    out.sort_unstable_by_key(|g| (g.domain, g.seq));
    out
}

/// Merges groups of different domains that share a sequence, ordered by
/// sequence id.
pub(crate) fn merge_domains(groups: &[Group]) -> Vec<(u32, Acc)> {
    let mut map: FxHashMap<u32, Acc> = FxHashMap::default();
    for g in groups {
        map.entry(g.seq).or_default().add(&g.acc);
    }
    let mut out: Vec<(u32, Acc)> = map.into_iter().collect();
    out.sort_unstable_by_key(|&(seq, _)| seq);
    out
}

/// Totals of a whole snapshot.
pub(crate) fn total(groups: &[Group]) -> Acc {
    let mut a = Acc::default();
    groups.iter().for_each(|g| a.add(&g.acc));
    a
}
