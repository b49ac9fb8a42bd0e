//! Sampled mode's arithmetic: object sizes and weights of a sampling
//! profile's samples, from the engine's [`tracemalloc_core::sampling`].

use napi::bindgen_prelude::{Float64Array, Uint32Array};
use napi::Env;
use napi_derive::napi;
use tracemalloc_core::sampling::{Sample, SampleSizer as CoreSizer};
use tracemalloc_core::Error;

use crate::errors::throw;

/// Sizes and weights of a profile's samples, and how the sizes were found.
#[napi(object)]
pub struct SizedSamples {
    /// Object size of each sample, in bytes.
    pub size: Float64Array,
    /// Objects each sample stands for; `size x weight` is its bytes, and a
    /// node's samples add up to its `selfSize`.
    pub weight: Float64Array,
    /// Bytes whose object size is `[solved, borrowed, guessed, foreign]`:
    /// solved from the node's total (or the only size that fits), borrowed
    /// from a solved node, guessed (smallest size that fits; counts can read
    /// high), or sampled at another interval.
    pub bytes_by_basis: Vec<f64>,
}

/// Turns V8 sampling profiles into object sizes and weights, learning from
/// one read to the next of the same profiler (see the engine's
/// `sampling` module for the reasoning).
#[napi]
pub struct SampleSizer {
    inner: CoreSizer,
}

fn integer(env: &Env, what: &str, i: usize, v: f64) -> napi::Result<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(64) {
        Ok(v as u64)
    } else {
        Err(throw(
            env,
            Error::range(format!("{what}[{i}] must be a non-negative integer, got {v}")),
        ))
    }
}

#[napi]
impl SampleSizer {
    /// A sizer for a profiler sampling every `interval` bytes on average,
    /// with object sizes that are multiples of `align` and at least `minSize`.
    #[napi(constructor, catch_unwind)]
    pub fn new(interval: f64, align: u32, min_size: u32) -> Self {
        let interval = if interval.is_finite() && interval >= 1.0 {
            interval as u64
        } else {
            1
        };
        Self {
            inner: CoreSizer::new(interval, u64::from(align), u64::from(min_size)),
        }
    }

    /// Sizes and weights for the samples of one profile read: nodes as ids
    /// and `selfSize`s, samples as node ids, reported sizes and ordinals.
    #[napi(catch_unwind)]
    pub fn estimate(
        &mut self,
        env: Env,
        node_id: Uint32Array,
        node_self_size: Float64Array,
        sample_node: Uint32Array,
        sample_size: Float64Array,
        sample_ordinal: Float64Array,
    ) -> napi::Result<SizedSamples> {
        if node_id.len() != node_self_size.len()
            || sample_node.len() != sample_size.len()
            || sample_node.len() != sample_ordinal.len()
        {
            return Err(throw(&env, Error::range("profile columns differ in length")));
        }
        let mut nodes = Vec::with_capacity(node_id.len());
        for (i, (&id, &t)) in node_id.iter().zip(node_self_size.iter()).enumerate() {
            nodes.push((id, integer(&env, "nodeSelfSize", i, t)?));
        }
        let mut samples = Vec::with_capacity(sample_node.len());
        for i in 0..sample_node.len() {
            samples.push(Sample {
                node: sample_node[i],
                scaled: integer(&env, "sampleSize", i, sample_size[i])?,
                ordinal: integer(&env, "sampleOrdinal", i, sample_ordinal[i])?,
            });
        }
        let (sized, stats) = self.inner.estimate(&nodes, &samples);
        Ok(SizedSamples {
            size: Float64Array::new(sized.iter().map(|z| z.size as f64).collect()),
            weight: Float64Array::new(sized.iter().map(|z| z.weight).collect()),
            bytes_by_basis: vec![stats.solved, stats.borrowed, stats.guessed, stats.foreign],
        })
    }

    /// Forgets what was learned (after the profiler restarts, node ids start over).
    #[napi(catch_unwind)]
    pub fn reset(&mut self) {
        self.inner.reset();
    }
}
