//! Undoing V8's sample scaling, and finding the sampling interval a profile
//! was taken with.
//!
//! V8 writes each sample's size already multiplied by the number of objects
//! it stands for: `scaled = size * round(1 / (1 - exp(-size / interval)))`.
//! A trace needs the object's size and that count (its weight), so the
//! interval must be known. A `.heapprofile` does not record it: it is given
//! by the caller, or inferred (see [`infer_interval`]).
//!
//! For objects far below the interval several sizes give the same product
//! (32 x 1025 = 40 x 820 at 32 KiB); the smallest 8-byte-aligned size that
//! fits is taken, as live capture does, so byte totals are exact and counts
//! of small objects are estimates.

use rustc_hash::FxHashMap;

/// V8 object sizes are multiples of this (tagged size on 64-bit).
const ALIGN: u64 = 8;
/// Most counts tried for one sample (objects of 8 bytes at a 8 MiB interval).
const MAX_COUNT: u64 = 1 << 20;
/// Candidate intervals for inference: powers of two from 1 B to 1 MiB
/// (Node's `--heap-prof` uses 512 KiB, DevTools and live capture 32 KiB).
const CANDIDATES: std::ops::RangeInclusive<u32> = 0..=20;
/// Distinct sample sizes looked at when inferring (the most frequent).
const INFER_SIZES: usize = 4096;
/// Share of samples an interval must explain to be inferred.
const INFER_SHARE: f64 = 0.999;

/// V8's estimate of how many objects one sample of `size` bytes stands for.
pub(crate) fn sample_count(size: u64, interval: f64) -> u64 {
    if size == 0 {
        return 1;
    }
    let c = (1.0 / (1.0 - (-(size as f64) / interval).exp()) + 0.5).floor();
    if c.is_finite() && c >= 1.0 {
        c.min(u64::MAX as f64) as u64
    } else {
        u64::MAX
    }
}

/// Splits a scaled sample size into `(object size, count)`: one object when
/// that explains it, else the smallest aligned size that does, else the
/// smallest size; `None` when nothing does.
pub(crate) fn explain(scaled: u64, interval: f64) -> Option<(u64, u64)> {
    if sample_count(scaled, interval) == 1 {
        return Some((scaled, 1));
    }
    // count >= 2 means size / interval <= ln 3, where
    // size * count lies in [interval - size/2, interval + 1.0916 size]:
    // that bounds count = scaled / size from above.
    let s = scaled as f64;
    let bound = if s > interval {
        1.1 * s / (s - interval) + 1.0
    } else if s < interval {
        s / (2.0 * (interval - s)) + 1.0
    } else {
        s
    };
    let top = (bound.min(s).min(MAX_COUNT as f64) as u64).max(1);
    let mut any = None;
    // Descending counts give ascending sizes: the first fit is the smallest.
    for c in (2..=top).rev() {
        if scaled % c != 0 {
            continue;
        }
        let size = scaled / c;
        if sample_count(size, interval) == c {
            if size % ALIGN == 0 {
                return Some((size, c));
            }
            any = any.or(Some((size, c)));
        }
    }
    any
}

/// [`explain`], counting a sample nothing explains once, at its size.
pub(crate) fn unscale(scaled: u64, interval: f64) -> (u64, u64) {
    explain(scaled, interval).unwrap_or((scaled, 1))
}

/// The largest power-of-two interval (1 B to 1 MiB) under which at least
/// 99.9% of the samples are V8-scaled sizes, looking at the 4096 most
/// frequent sizes; `None` without samples or when no candidate fits.
///
/// A larger interval than the true one cannot explain the samples of small
/// objects (they sit just above the true interval); a smaller one explains
/// them as single objects, so the largest that fits is the true one when it
/// is a power of two. Pass the interval when it is not.
pub(crate) fn infer_interval(sizes: impl Iterator<Item = u64>) -> Option<f64> {
    let mut freq: FxHashMap<u64, u64> = FxHashMap::default();
    for s in sizes {
        *freq.entry(s).or_default() += 1;
    }
    let mut by_freq: Vec<(u64, u64)> = freq.into_iter().collect();
    by_freq.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by_freq.truncate(INFER_SIZES);
    let total: u64 = by_freq.iter().map(|&(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    CANDIDATES.rev().map(|k| f64::from(1u32 << k)).find(|&interval| {
        let explained: u64 = by_freq
            .iter()
            .filter(|&&(s, _)| explain(s, interval).is_some())
            .map(|&(_, n)| n)
            .sum();
        explained as f64 >= INFER_SHARE * total as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undoes_v8_scaling() {
        // 16 B at 512 KiB: 32769 objects.
        assert_eq!(sample_count(16, 524288.0), 32769);
        assert_eq!(unscale(524304, 524288.0), (16, 32769));
        // Large objects are single samples.
        assert_eq!(unscale(915752, 524288.0), (915752, 1));
        assert_eq!(unscale(80016, 32768.0), (80016, 1));
        // Ambiguous products take the smallest aligned size.
        assert_eq!(unscale(32 * 1025, 32768.0), (32, 1025));
        // Every (size, count) that V8 makes comes back with the same bytes.
        for interval in [1024.0, 32768.0, 524288.0] {
            for size in (8..4096).step_by(8) {
                let scaled = size * sample_count(size, interval);
                let (s, c) = unscale(scaled, interval);
                assert_eq!(s * c, scaled, "{size} at {interval}");
                assert_eq!(sample_count(s, interval), c);
            }
        }
        // A product that no object size gives counts once.
        assert_eq!(explain(1000, 32768.0), None);
        assert_eq!(unscale(1000, 32768.0), (1000, 1));
        assert_eq!(unscale(0, 32768.0), (0, 1));
    }

    #[test]
    fn infers_power_of_two_intervals() {
        for interval in [1024.0, 32768.0, 524288.0] {
            let sizes = (1..200u64).map(|k| 8 * k).map(|s| s * sample_count(s, interval));
            let sizes = sizes.chain([2_000_000, 5_000_000]);
            assert_eq!(infer_interval(sizes), Some(interval));
        }
        assert_eq!(infer_interval(std::iter::empty()), None);
    }

    #[test]
    fn hostile_sizes_finish() {
        // Sizes crowding the largest candidate are the costliest to explain;
        // the count bound keeps this to about 1 MiB * ln(4096) steps.
        let sizes = (0..100_000u64).map(|k| (1 << 20) + k);
        let got = infer_interval(sizes);
        assert_ne!(
            got,
            Some(f64::from(1u32 << 20)),
            "most of these are no V8 product at 1 MiB"
        );
    }
}
