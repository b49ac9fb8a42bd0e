//! Sampled mode: V8 sampling heap profiles into the trace store. JavaScript
//! hands over the profile tree and its samples as columns; the engine's
//! capture rules ([`tracemalloc_core::calltree`]) turn nodes into
//! tracebacks, and its sizer ([`tracemalloc_core::sampling`]) finds object
//! sizes and weights.

use std::collections::HashMap;

use napi::bindgen_prelude::{Float64Array, Int32Array, Uint32Array, Utf16String};
use napi::Env;
use napi_derive::napi;
use tracemalloc_core::calltree::{CallFunc, CallTree, TracebackInterner};
use tracemalloc_core::fold::is_builtin;
use tracemalloc_core::names::script_path;
use tracemalloc_core::sampling::{Sample, SampleSizer as CoreSizer};
use tracemalloc_core::store::global;
use tracemalloc_core::{Error, NONE};

use crate::errors::throw;
use crate::strings::split_joined;

/// A sampling profile as columns. Nodes come in an order where each
/// parent comes before its children; the head (V8's `(root)`) has parent
/// 0xFFFFFFFF and is not a frame.
#[napi(object)]
pub struct ProfileColumns {
    /// Every string (script URLs, function names, mapped files), joined.
    pub strings: Utf16String,
    /// Length in UTF-16 units of each string.
    pub string_lengths: Uint32Array,
    /// V8's id of each node.
    pub node_id: Uint32Array,
    /// Index (in these columns) of each node's parent; 0xFFFFFFFF for the head.
    pub node_parent: Uint32Array,
    /// V8's `selfSize` of each node: the bytes of its live samples.
    pub node_self_size: Float64Array,
    /// V8's script id of each node's function (0 for builtins and VM states).
    pub node_script_id: Uint32Array,
    /// String id of each node's script URL.
    pub node_url: Uint32Array,
    /// 0-based line of each node's function, -1 when unknown.
    pub node_line: Int32Array,
    /// 0-based column of each node's function, -1 when unknown.
    pub node_column: Int32Array,
    /// String id of each node's function name.
    pub node_function: Uint32Array,
    /// Where a source map puts each node's function: string id of the
    /// original file, or 0xFFFFFFFF when not mapped.
    pub mapped_file: Uint32Array,
    /// 1-based original line of each mapped node.
    pub mapped_line: Uint32Array,
    /// 1-based original column of each mapped node.
    pub mapped_column: Uint32Array,
    /// Node id of each sample.
    pub sample_node: Uint32Array,
    /// V8's reported size of each sample (object size times its count).
    pub sample_size: Float64Array,
    /// V8's ordinal of each sample (time-ordered, stable across reads).
    pub sample_ordinal: Float64Array,
}

/// What one sync did.
#[napi(object)]
pub struct ProfileSyncResult {
    /// Samples synced (tracemalloc's own left out).
    pub samples: u32,
    /// Traces added to the domain.
    pub added: u32,
    /// Traces removed from the domain.
    pub removed: u32,
    /// Bytes of the synced samples whose object size was `[solved,
    /// borrowed, guessed, foreign]`: solved from the node's total (or the
    /// only size that fits), borrowed from a solved node, guessed (smallest
    /// size that fits; counts can read high), or sampled at another interval.
    pub bytes_by_basis: Vec<f64>,
}

/// Turns the sampling profiles of one profiler session into the traces of
/// one store domain, remembering each node's traceback and what the sizer
/// learned from one read to the next.
#[napi]
pub struct ProfileSync {
    domain: u32,
    nframe: u32,
    raw_frames: bool,
    own_prefixes: Vec<Vec<u8>>,
    sizer: CoreSizer,
    /// Traceback of each node seen (None: tracemalloc's own allocation), in `epoch`'s tables.
    traceback_of: HashMap<u32, Option<u32>>,
    epoch: u32,
}

/// How often a sync starts over when another thread clears the store's tables meanwhile.
const MAX_ATTEMPTS: usize = 16;

/// The columns, copied once out of JavaScript memory and checked.
struct Profile {
    strings: Vec<Vec<u8>>,
    id: Vec<u32>,
    parent: Vec<u32>,
    self_size: Vec<u64>,
    script_id: Vec<u32>,
    url: Vec<u32>,
    line: Vec<i32>,
    column: Vec<i32>,
    function: Vec<u32>,
    mapped_file: Vec<u32>,
    mapped_line: Vec<u32>,
    mapped_column: Vec<u32>,
    samples: Vec<Sample>,
}

fn integer(what: &str, i: usize, v: f64) -> tracemalloc_core::Result<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(64) {
        Ok(v as u64)
    } else {
        Err(Error::range(format!(
            "{what}[{i}] must be a non-negative integer, got {v}"
        )))
    }
}

impl Profile {
    fn copy(c: &ProfileColumns) -> tracemalloc_core::Result<Self> {
        let n = c.node_id.len();
        let node_columns = [
            ("nodeParent", c.node_parent.len()),
            ("nodeSelfSize", c.node_self_size.len()),
            ("nodeScriptId", c.node_script_id.len()),
            ("nodeUrl", c.node_url.len()),
            ("nodeLine", c.node_line.len()),
            ("nodeColumn", c.node_column.len()),
            ("nodeFunction", c.node_function.len()),
            ("mappedFile", c.mapped_file.len()),
            ("mappedLine", c.mapped_line.len()),
            ("mappedColumn", c.mapped_column.len()),
        ];
        if let Some((name, len)) = node_columns.iter().find(|(_, len)| *len != n) {
            return Err(Error::range(format!(
                "profile columns: {name} has {len} entries, nodeId {n}"
            )));
        }
        let m = c.sample_node.len();
        if c.sample_size.len() != m || c.sample_ordinal.len() != m {
            return Err(Error::range("profile columns: the sample columns differ in length"));
        }
        // Copied once: the lengths are summed, then walked.
        let lengths = c.string_lengths.to_vec();
        let strings = split_joined(&c.strings, &lengths)?;
        let p = Profile {
            strings,
            id: c.node_id.to_vec(),
            parent: c.node_parent.to_vec(),
            self_size: c
                .node_self_size
                .iter()
                .enumerate()
                .map(|(i, &v)| integer("nodeSelfSize", i, v))
                .collect::<tracemalloc_core::Result<_>>()?,
            script_id: c.node_script_id.to_vec(),
            url: c.node_url.to_vec(),
            line: c.node_line.to_vec(),
            column: c.node_column.to_vec(),
            function: c.node_function.to_vec(),
            mapped_file: c.mapped_file.to_vec(),
            mapped_line: c.mapped_line.to_vec(),
            mapped_column: c.mapped_column.to_vec(),
            samples: (0..m)
                .map(|i| {
                    Ok(Sample {
                        node: c.sample_node[i],
                        scaled: integer("sampleSize", i, c.sample_size[i])?,
                        ordinal: integer("sampleOrdinal", i, c.sample_ordinal[i])?,
                    })
                })
                .collect::<tracemalloc_core::Result<_>>()?,
        };
        let nstr = p.strings.len();
        let bad_string = |what: &str, i: usize, s: u32| {
            Error::range(format!(
                "profile columns: {what}[{i}] names string {s}, but there are {nstr}"
            ))
        };
        for i in 0..n {
            for (what, s) in [("nodeUrl", p.url[i]), ("nodeFunction", p.function[i])] {
                if s as usize >= nstr {
                    return Err(bad_string(what, i, s));
                }
            }
            if p.mapped_file[i] != NONE && p.mapped_file[i] as usize >= nstr {
                return Err(bad_string("mappedFile", i, p.mapped_file[i]));
            }
        }
        Ok(p)
    }

    /// The call tree (one function per node, files as the engine names
    /// them, mapped where a source map says so) and the unmapped file of
    /// each script URL (by string id).
    fn call_tree(&self) -> tracemalloc_core::Result<(CallTree, HashMap<u32, Vec<u8>>)> {
        let one_based = |v: i32| u32::try_from(v.saturating_add(1)).unwrap_or(0);
        let mut path_of: HashMap<u32, Vec<u8>> = HashMap::new();
        for &url in &self.url {
            path_of
                .entry(url)
                .or_insert_with(|| script_path(&self.strings[url as usize]));
        }
        let funcs = (0..self.id.len())
            .map(|i| {
                let script = &path_of[&self.url[i]];
                let mapped = self.mapped_file[i] != NONE;
                CallFunc {
                    builtin: is_builtin(Some(i64::from(self.script_id[i])), script),
                    file: if mapped {
                        self.strings[self.mapped_file[i] as usize].clone()
                    } else {
                        script.clone()
                    },
                    name: self.strings[self.function[i] as usize].clone(),
                    line: if mapped {
                        self.mapped_line[i]
                    } else {
                        one_based(self.line[i])
                    },
                    col: if mapped {
                        self.mapped_column[i]
                    } else {
                        one_based(self.column[i])
                    },
                }
            })
            .collect();
        let tree = CallTree::from_parts(funcs, (0..self.id.len()).map(|i| (self.parent[i], i as u32)))
            .map_err(|e| Error::range(format!("profile columns: {}", e.message)))?;
        Ok((tree, path_of))
    }
}

#[napi]
impl ProfileSync {
    /// A sync into store domain `domain` for a profiler sampling every
    /// `interval` bytes on average: tracebacks cut to `nframe` frames,
    /// builtins folded into their callers unless `rawFrames`, and stacks
    /// whose most recent frame outside Node's own code is under one of
    /// `ownPrefixes` (tracemalloc's code) left out. Object sizes are
    /// multiples of `align` and at least `minSize` bytes.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        domain: u32,
        nframe: u32,
        raw_frames: bool,
        own_prefixes: Vec<String>,
        interval: f64,
        align: u32,
        min_size: u32,
    ) -> Self {
        let interval = if interval.is_finite() && interval >= 1.0 {
            interval as u64
        } else {
            1
        };
        Self {
            domain,
            nframe,
            raw_frames,
            own_prefixes: own_prefixes.into_iter().map(String::into_bytes).collect(),
            sizer: CoreSizer::new(interval, u64::from(align), u64::from(min_size)),
            traceback_of: HashMap::new(),
            epoch: global().epoch(),
        }
    }

    /// Makes the domain hold exactly the profile's live samples, each a
    /// trace keyed by its ordinal with its object size, weight and
    /// traceback. Samples of tracemalloc's own code, and the rare samples
    /// of a node V8 added while building the tree, are left out.
    #[napi(catch_unwind)]
    pub fn apply(&mut self, env: Env, columns: ProfileColumns) -> napi::Result<ProfileSyncResult> {
        let profile = Profile::copy(&columns).map_err(|e| throw(&env, e))?;
        for _ in 0..MAX_ATTEMPTS {
            match self.apply_once(&profile) {
                Ok(Some(r)) => return Ok(r),
                Ok(None) => continue,
                Err(e) => return Err(throw(&env, e)),
            }
        }
        Err(throw(
            &env,
            Error::range(format!(
                "the store's tables were cleared {MAX_ATTEMPTS} times during one sync"
            )),
        ))
    }

    /// Forgets node tracebacks and what the sizer learned (after the
    /// profiler restarts, node ids start over).
    #[napi(catch_unwind)]
    pub fn reset(&mut self) {
        self.traceback_of.clear();
        self.sizer.reset();
    }
}

impl ProfileSync {
    /// One attempt; None when another thread cleared the store's tables meanwhile.
    fn apply_once(&mut self, p: &Profile) -> tracemalloc_core::Result<Option<ProfileSyncResult>> {
        let index: HashMap<u32, u32> = p.id.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
        let mut wanted: Vec<u32> = p
            .samples
            .iter()
            .filter(|s| !self.traceback_of.contains_key(&s.node))
            .filter_map(|s| index.get(&s.node).copied())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let epoch = if wanted.is_empty() {
            global().epoch()
        } else {
            let (tree, path_of) = p.call_tree()?;
            let mut interner = TracebackInterner::new(&tree, self.nframe, self.raw_frames);
            let (epoch, ids) = global().intern(|tables| {
                let ids: Vec<Option<u32>> = wanted
                    .iter()
                    .map(|&tn| {
                        if tree.is_own(tn, &self.own_prefixes, |fi| &path_of[&p.url[fi]]) {
                            None
                        } else {
                            Some(interner.intern(&tree, tables, tn))
                        }
                    })
                    .collect();
                (global().epoch(), ids)
            });
            if epoch != self.epoch {
                self.traceback_of.clear();
                self.epoch = epoch;
            }
            for (&tn, tb) in wanted.iter().zip(ids) {
                self.traceback_of.insert(p.id[tn as usize], tb);
            }
            epoch
        };
        if epoch != self.epoch {
            // Cleared since the last read: every cached id is stale.
            self.traceback_of.clear();
            self.epoch = epoch;
            return Ok(None);
        }
        let kept: Vec<(Sample, u32)> = p
            .samples
            .iter()
            .filter_map(|s| match self.traceback_of.get(&s.node) {
                Some(&Some(tb)) => Some((*s, tb)),
                _ => None,
            })
            .collect();
        let nodes: Vec<(u32, u64)> = p.id.iter().copied().zip(p.self_size.iter().copied()).collect();
        let samples: Vec<Sample> = kept.iter().map(|&(s, _)| s).collect();
        let (sized, stats) = self.sizer.estimate(&nodes, &samples);
        let entries: Vec<(u64, u64, u32, f64)> = kept
            .iter()
            .zip(&sized)
            .map(|(&(s, tb), z)| (s.ordinal, z.size, tb, z.weight))
            .collect();
        let Some((added, removed)) = global().sync_domain_in(epoch, self.domain, &entries)? else {
            self.traceback_of.clear();
            return Ok(None);
        };
        Ok(Some(ProfileSyncResult {
            samples: entries.len() as u32,
            added: added as u32,
            removed: removed as u32,
            bytes_by_basis: vec![stats.solved, stats.borrowed, stats.guessed, stats.foreign],
        }))
    }
}

/// The file name of a frame for a script URL, by the engine's rule:
/// `file://` URLs become paths, `""` becomes `<unknown>`, others stay.
#[napi(catch_unwind)]
pub fn script_path_of(url: Utf16String) -> Utf16String {
    let bytes = tracemalloc_core::wtf8::from_utf16(&url);
    let mut units = Vec::new();
    tracemalloc_core::wtf8::push_to_utf16(&script_path(&bytes), &mut units);
    Utf16String::from(units)
}

/// True for the file of a frame that says nothing about who allocated:
/// Node's own scripts (`node:`) and builtins without a script.
#[napi(catch_unwind)]
pub fn is_node_internal_file(file: Utf16String) -> bool {
    tracemalloc_core::stack::is_node_internal(&tracemalloc_core::wtf8::from_utf16(&file))
}
