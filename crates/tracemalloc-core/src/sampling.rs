//! Object sizes, counts and bytes from V8's sampling heap profiler.
//!
//! # What V8 reports
//!
//! V8 samples allocations as a Poisson process over allocated bytes with mean
//! interval `R`: an object of `s` bytes is sampled with probability
//! `p(s) = 1 - exp(-s/R)` (the next sample point is drawn after the end of a
//! sampled object, so objects are sampled independently), and each sample
//! stands for `scale(s) = 1/p(s)` objects. Each profile node (a call stack)
//! keeps, per object size, the number `n` of live samples of that size, and
//! reports
//!
//! * per node, `selfSize = sum over sizes of s * round(n * scale(s))`: the
//!   count is rounded once per node and size;
//! * per sample, `size = s * round(scale(s))`: the count is rounded per
//!   sample, so it is not the object size either.
//!
//! Summing the per-sample products is biased wherever `scale(s)` is far from
//! an integer: objects of 1.25 R (41 KB at 32 KiB) have `scale = 1.40`,
//! rounded to 1 (0.72x), objects of R/2 have `scale = 2.54`, rounded to 3
//! (1.18x). The per-node totals have V8's expectation to within half an
//! object per node and size, so bytes here always add up to `selfSize`,
//! which is what `node --heap-prof` and DevTools show.
//!
//! # Recovering the object size
//!
//! A reported sample size `S` does not name its object size: every
//! 8-aligned `c` with `c * round(scale(c)) == S` fits, and for objects below
//! about 4 KiB at 32 KiB there are usually several (16, 24 and 48 bytes all
//! give 32784; 12 sizes from 32 to 3,280 give 32800). Bytes do not depend on
//! the choice (`c * scale(c)` is about `R + c/2` for all of them); counts do,
//! by up to 100x. A node's `selfSize` settles it when the node holds several
//! samples of the size: the candidates give different `c * round(n *
//! scale(c))` once `n` is large enough (all 511 sizes from 16 B to 4 KiB at
//! `n = 100`, all but 6 at `n = 10`, at 32 KiB). [`SampleSizer`] solves each
//! node for the combination of candidates that gives its `selfSize`
//! exactly, remembers what it learned per node and sample size, lends it to
//! nodes with the same sample size that cannot be solved (a single sample
//! gives no information), and otherwise takes the smallest candidate. It
//! reports how many of the bytes rest on each kind of answer.

use rustc_hash::FxHashMap;

/// How a group of samples (one node, one reported size) got its object size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Only one object size gives the reported sample size, or the node's
    /// total settled it: counts have sampling error only.
    Solved,
    /// Taken from another node whose samples of the same reported size were
    /// solved: right when the process allocates one size that gives it.
    Borrowed,
    /// Nothing settles it; the smallest fitting size is taken, so the count
    /// can read high (up to about 100x at 32 KiB for objects below 4 KiB).
    Guessed,
    /// No size fits the interval (the profiler runs at another interval):
    /// each sample counts once, at its reported size.
    Foreign,
}

/// Bytes of a profile by how their object sizes were found (see [`Basis`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SizingStats {
    /// Bytes whose object size was solved.
    pub solved: f64,
    /// Bytes whose object size was borrowed from another node.
    pub borrowed: f64,
    /// Bytes whose object size was guessed.
    pub guessed: f64,
    /// Bytes of samples taken at another interval.
    pub foreign: f64,
}

impl SizingStats {
    fn add(&mut self, basis: Basis, bytes: f64) {
        match basis {
            Basis::Solved => self.solved += bytes,
            Basis::Borrowed => self.borrowed += bytes,
            Basis::Guessed => self.guessed += bytes,
            Basis::Foreign => self.foreign += bytes,
        }
    }

    /// Every byte of the profile.
    pub fn total(&self) -> f64 {
        self.solved + self.borrowed + self.guessed + self.foreign
    }
}

/// One live sample as the profile reports it.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The profile node (call stack) that allocated it.
    pub node: u32,
    /// The reported size: object size times V8's per-sample count.
    pub scaled: u64,
    /// V8's sample id (time-ordered, stable across reads).
    pub ordinal: u64,
}

/// What one sample becomes: an object size and the number of objects it
/// stands for (not always an integer), `size * weight` being its bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sized {
    /// Object size in bytes.
    pub size: u64,
    /// Objects this sample stands for.
    pub weight: f64,
}

/// Most candidate combinations tried when solving one node.
const MAX_STEPS: usize = 200_000;

/// Most exact solutions of one node looked at before giving up.
const MAX_SOLUTIONS: usize = 256;

/// Several solutions of a node are taken as one when their object counts
/// differ by at most this fraction (the node's count is known that well).
const AGREE: f64 = 0.02;

/// A group of samples of one node with one reported size.
struct Group {
    node: u32,
    scaled: u64,
    /// Indices of its samples, by ordinal.
    samples: Vec<usize>,
    /// Object sizes and how many samples of each (one entry unless the node
    /// mixes two sizes that report the same size), once known.
    sizes: Vec<(u64, u64)>,
    basis: Basis,
}

/// Turns sampling profiles into object sizes and weights (see the module
/// documentation). It keeps what it learned between reads of the same
/// profiler; [`reset`](Self::reset) forgets it when the profiler restarts.
pub struct SampleSizer {
    rate: f64,
    align: u64,
    min_size: u64,
    candidates: FxHashMap<u64, Box<[u64]>>,
    learned: FxHashMap<(u32, u64), u64>,
}

impl SampleSizer {
    /// A sizer for a profiler sampling every `interval` bytes on average,
    /// with object sizes that are multiples of `align` and at least
    /// `min_size` (8 and 16 on 64-bit V8 without pointer compression).
    pub fn new(interval: u64, align: u64, min_size: u64) -> Self {
        Self {
            rate: interval.max(1) as f64,
            align: align.max(1),
            min_size: min_size.max(1),
            candidates: FxHashMap::default(),
            learned: FxHashMap::default(),
        }
    }

    /// Forgets what was learned (node ids start over with a new profiler).
    pub fn reset(&mut self) {
        self.learned.clear();
    }

    /// V8's estimate of the objects one sample of `size` bytes stands for.
    pub fn scale(&self, size: u64) -> f64 {
        1.0 / (1.0 - (-(size as f64) / self.rate).exp())
    }

    /// V8's rounded count for `n` samples of `size` bytes, computed as V8
    /// computes it (`unsigned(n * scale + 0.5)`).
    pub fn v8_count(&self, size: u64, n: u64) -> u64 {
        (n as f64 * self.scale(size) + 0.5) as u64
    }

    /// The object sizes that V8 reports as `scaled` for one sample, smallest
    /// first.
    pub fn candidates(&mut self, scaled: u64) -> &[u64] {
        if !self.candidates.contains_key(&scaled) {
            let found = self.find_candidates(scaled);
            if self.candidates.len() > 1 << 16 {
                self.candidates.clear();
            }
            self.candidates.insert(scaled, found.into_boxed_slice());
        }
        &self.candidates[&scaled]
    }

    fn find_candidates(&self, scaled: u64) -> Vec<u64> {
        let mut out = Vec::new();
        if scaled == 0 {
            return out;
        }
        // c = scaled / k with k = round(scale(c)). As scale(c) ~ R/c + 1/2,
        // k is close to k * R / scaled + 1/2: past scaled / (scaled - R) + 2
        // no k fits. When scaled is about R, k is only bounded by min_size.
        let by_min = scaled / self.min_size;
        let kmax = if scaled as f64 > self.rate * 1.001 {
            let bound = (scaled as f64 / (scaled as f64 - self.rate) + 2.0).ceil() as u64;
            bound.min(by_min)
        } else {
            by_min
        }
        .min(1 << 24);
        for k in 1..=kmax {
            if scaled % k != 0 {
                continue;
            }
            let c = scaled / k;
            if c % self.align == 0 && c >= self.min_size && self.v8_count(c, 1) == k {
                out.push(c);
            }
        }
        out.sort_unstable();
        out
    }

    /// Sizes and weights for every sample of one profile read: `nodes` lists
    /// each node's id and `selfSize`, `samples` the live samples. Returns one
    /// [`Sized`] per sample, in order, and where the bytes' sizes came from.
    /// Bytes add up to each node's `selfSize` (to within a byte per sample),
    /// except for samples of nodes missing from `nodes`.
    pub fn estimate(&mut self, nodes: &[(u32, u64)], samples: &[Sample]) -> (Vec<Sized>, SizingStats) {
        let self_size: FxHashMap<u32, u64> = nodes.iter().copied().collect();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: FxHashMap<(u32, u64), usize> = FxHashMap::default();
        for (i, s) in samples.iter().enumerate() {
            let g = *group_of.entry((s.node, s.scaled)).or_insert_with(|| {
                groups.push(Group {
                    node: s.node,
                    scaled: s.scaled,
                    samples: Vec::new(),
                    sizes: Vec::new(),
                    basis: Basis::Guessed,
                });
                groups.len() - 1
            });
            groups[g].samples.push(i);
        }
        for g in &mut groups {
            g.samples.sort_unstable_by_key(|&i| samples[i].ordinal);
        }
        // What was learned about groups no longer present is dropped.
        self.learned.retain(|k, _| group_of.contains_key(k));

        let mut by_node: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        for (gi, g) in groups.iter().enumerate() {
            by_node.entry(g.node).or_default().push(gi);
        }
        for (&node, members) in &by_node {
            self.solve_node(self_size.get(&node).copied(), members, &mut groups);
        }
        // Lend solved sizes to unsolved groups of the same reported size.
        let mut evidence: FxHashMap<u64, FxHashMap<u64, u64>> = FxHashMap::default();
        for g in groups.iter().filter(|g| g.basis == Basis::Solved) {
            for &(c, n) in &g.sizes {
                *evidence.entry(g.scaled).or_default().entry(c).or_default() += n;
            }
        }
        for g in groups.iter_mut().filter(|g| g.basis == Basis::Guessed) {
            let n = g.samples.len() as u64;
            let best = evidence.get(&g.scaled).and_then(|m| {
                m.iter()
                    .max_by_key(|&(&c, &k)| (k, std::cmp::Reverse(c)))
                    .map(|(&c, _)| c)
            });
            match best {
                Some(c) => {
                    g.sizes = vec![(c, n)];
                    g.basis = Basis::Borrowed;
                }
                None => {
                    let c = self.candidates(g.scaled).first().copied().unwrap_or(g.scaled);
                    g.sizes = vec![(c, n)];
                }
            }
        }
        self.charge(&self_size, &by_node, &groups, samples.len())
    }

    /// Finds the object sizes of one node's groups from its `selfSize`.
    fn solve_node(&mut self, total: Option<u64>, members: &[usize], groups: &mut [Group]) {
        let mut fixed: u64 = 0;
        let mut open: Vec<(usize, Vec<u64>)> = Vec::new();
        for &gi in members {
            let (node, scaled, n) = (groups[gi].node, groups[gi].scaled, groups[gi].samples.len() as u64);
            let cands = self.candidates(scaled).to_vec();
            let learned = self.learned.get(&(node, scaled)).copied().filter(|c| cands.contains(c));
            let g = &mut groups[gi];
            if cands.is_empty() {
                g.basis = Basis::Foreign;
                g.sizes = vec![(scaled, n)];
                fixed = fixed.saturating_add(scaled.saturating_mul(n));
            } else if let Some(c) = learned.or((cands.len() == 1).then(|| cands[0])) {
                g.basis = Basis::Solved;
                g.sizes = vec![(c, n)];
                fixed = fixed.saturating_add(c.saturating_mul(self.v8_count(c, n)));
            } else if n == 1 {
                // One sample: every candidate gives the same bytes, and nothing to solve with.
                fixed = fixed.saturating_add(scaled);
            } else {
                open.push((gi, cands));
            }
        }
        let Some(total) = total else { return };
        if open.is_empty() || total < fixed {
            return;
        }
        let target = total - fixed;
        // Value of each candidate of each open group.
        let values: Vec<Vec<(u64, u64)>> = open
            .iter()
            .map(|(gi, cands)| {
                let n = groups[*gi].samples.len() as u64;
                cands
                    .iter()
                    .map(|&c| (c, c.saturating_mul(self.v8_count(c, n))))
                    .collect()
            })
            .collect();
        let counts: Vec<u64> = open.iter().map(|(gi, _)| groups[*gi].samples.len() as u64).collect();
        let solved: Option<Vec<Vec<(u64, u64)>>> = match solve(&values, target) {
            Some(sols) if !sols.is_empty() => self
                .agreeing(&sols, &counts)
                .map(|pick| pick.iter().zip(&counts).map(|(&c, &n)| vec![(c, n)]).collect()),
            // No single size per group fits: with one open group, the node
            // may mix two sizes that report the same sample size (16- and
            // 24-byte objects).
            Some(_) if open.len() == 1 => self.solve_mix(&open[0].1, counts[0], target).map(|mix| vec![mix]),
            _ => None,
        };
        if let Some(sizes) = solved {
            let one_size = sizes.iter().all(|s| s.len() == 1);
            for ((gi, _), sizes) in open.iter().zip(sizes) {
                let g = &mut groups[*gi];
                if one_size {
                    self.learned.insert((g.node, g.scaled), sizes[0].0);
                }
                g.basis = Basis::Solved;
                g.sizes = sizes;
            }
        }
    }

    /// Objects V8 counts for groups of `counts` samples of `sizes`.
    fn objects(&self, sizes: &[u64], counts: &[u64]) -> u64 {
        sizes.iter().zip(counts).map(|(&c, &n)| self.v8_count(c, n)).sum()
    }

    /// One of several solutions when they agree on the node's object count
    /// to within [`AGREE`] (the one with the median count), else `None`.
    fn agreeing<'a>(&self, sols: &'a [Vec<u64>], counts: &[u64]) -> Option<&'a [u64]> {
        let mut by_count: Vec<(u64, &Vec<u64>)> = sols.iter().map(|s| (self.objects(s, counts), s)).collect();
        by_count.sort_by_key(|x| x.0);
        let (lo, hi) = (by_count[0].0, by_count[by_count.len() - 1].0);
        (hi as f64 <= lo as f64 * (1.0 + AGREE)).then(|| by_count[by_count.len() / 2].1.as_slice())
    }

    /// Two sizes `a < b` from `cands` and a split `n = na + nb` such that
    /// `a * round(na * scale(a)) + b * round(nb * scale(b)) == target`: when
    /// every such split gives about the same object count (see
    /// [`agreeing`](Self::agreeing)), the median one.
    fn solve_mix(&self, cands: &[u64], n: u64, target: u64) -> Option<Vec<(u64, u64)>> {
        let mut found: Vec<(u64, [(u64, u64); 2])> = Vec::new();
        let mut steps = 0usize;
        for (i, &a) in cands.iter().enumerate() {
            for &b in &cands[i + 1..] {
                for na in 1..n {
                    steps += 1;
                    if steps > MAX_STEPS || found.len() > MAX_SOLUTIONS {
                        return None;
                    }
                    let nb = n - na;
                    let (ka, kb) = (self.v8_count(a, na), self.v8_count(b, nb));
                    if a.saturating_mul(ka).saturating_add(b.saturating_mul(kb)) == target {
                        found.push((ka + kb, [(a, na), (b, nb)]));
                    }
                }
            }
        }
        found.sort_by_key(|x| x.0);
        let (lo, hi) = (found.first()?.0, found.last()?.0);
        (hi as f64 <= lo as f64 * (1.0 + AGREE)).then(|| found[found.len() / 2].1.to_vec())
    }

    /// Spreads each node's `selfSize` over its groups and samples.
    fn charge(
        &self,
        self_size: &FxHashMap<u32, u64>,
        by_node: &FxHashMap<u32, Vec<usize>>,
        groups: &[Group],
        count: usize,
    ) -> (Vec<Sized>, SizingStats) {
        let mut out = vec![Sized { size: 0, weight: 1.0 }; count];
        let mut stats = SizingStats::default();
        for (node, members) in by_node {
            // V8's bytes for a group whose sizes are known, else the reported
            // bytes of its samples (what V8 would say, rounding aside).
            let known = |g: &Group| g.basis == Basis::Solved || g.basis == Basis::Foreign;
            let v8_bytes = |g: &Group| -> f64 {
                match g.basis {
                    Basis::Solved => g
                        .sizes
                        .iter()
                        .map(|&(c, n)| c as f64 * self.v8_count(c, n) as f64)
                        .sum(),
                    _ => g.scaled as f64 * g.samples.len() as f64,
                }
            };
            let fixed: f64 = members
                .iter()
                .map(|&gi| &groups[gi])
                .filter(|g| known(g))
                .map(v8_bytes)
                .sum();
            let loose: f64 = members
                .iter()
                .map(|&gi| &groups[gi])
                .filter(|g| !known(g))
                .map(v8_bytes)
                .sum();
            // The node's bytes not explained by known sizes, spread over the
            // others in proportion to their reported bytes.
            let factor = match self_size.get(node) {
                Some(&t) if loose > 0.0 && t as f64 > fixed => (t as f64 - fixed) / loose,
                _ => 1.0,
            };
            for &gi in members {
                let g = &groups[gi];
                let bytes = if known(g) { v8_bytes(g) } else { v8_bytes(g) * factor };
                stats.add(g.basis, bytes);
                let objects: u64 = g.sizes.iter().map(|&(_, n)| n).sum();
                let mut slots = g.samples.iter();
                for &(c, n) in &g.sizes {
                    // Each sample's share of the group's bytes, in objects of size c.
                    let share = if g.basis == Basis::Solved {
                        c as f64 * self.v8_count(c, n) as f64 / n as f64
                    } else {
                        bytes / objects as f64
                    };
                    let weight = if c == 0 { 1.0 } else { share / c as f64 };
                    for &i in slots.by_ref().take(n as usize) {
                        out[i] = Sized { size: c, weight };
                    }
                }
            }
        }
        (out, stats)
    }
}

/// Every combination of one value per group (`values[g]` = `(size, bytes)`
/// options) whose bytes add up to `target`, as the size picked for each
/// group, searched depth first with bounds; `None` when the search passes
/// [`MAX_STEPS`] or finds more than [`MAX_SOLUTIONS`].
fn solve(values: &[Vec<(u64, u64)>], target: u64) -> Option<Vec<Vec<u64>>> {
    struct Search<'a> {
        values: &'a [Vec<(u64, u64)>],
        min_rest: Vec<u64>,
        max_rest: Vec<u64>,
        pick: Vec<u64>,
        found: Vec<Vec<u64>>,
        steps: usize,
    }
    impl Search<'_> {
        /// False once the search gave up.
        fn go(&mut self, g: usize, left: u64) -> bool {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.found.len() > MAX_SOLUTIONS {
                return false;
            }
            if g == self.values.len() {
                if left == 0 {
                    self.found.push(self.pick.clone());
                }
                return true;
            }
            if left < self.min_rest[g] || left > self.max_rest[g] {
                return true;
            }
            for k in 0..self.values[g].len() {
                let (c, v) = self.values[g][k];
                if v > left {
                    continue;
                }
                self.pick.push(c);
                let ok = self.go(g + 1, left - v);
                self.pick.pop();
                if !ok {
                    return false;
                }
            }
            true
        }
    }
    // Bounds of what the remaining groups can add.
    let mut min_rest = vec![0u64; values.len() + 1];
    let mut max_rest = vec![0u64; values.len() + 1];
    for g in (0..values.len()).rev() {
        let lo = values[g].iter().map(|v| v.1).min().unwrap_or(0);
        let hi = values[g].iter().map(|v| v.1).max().unwrap_or(0);
        min_rest[g] = min_rest[g + 1].saturating_add(lo);
        max_rest[g] = max_rest[g + 1].saturating_add(hi);
    }
    let mut s = Search {
        values,
        min_rest,
        max_rest,
        pick: Vec::new(),
        found: Vec::new(),
        steps: 0,
    };
    s.go(0, target).then_some(s.found)
}

#[cfg(test)]
mod tests;
