//! Exporting a snapshot to a file in another tool's format (pprof,
//! `.heapprofile`, speedscope, collapsed stacks, JSON, CSV, JSON lines, HTML
//! flame graph), on the calling thread or on a worker thread. Arguments are
//! checked before any work starts, so bad ones throw `TypeError` or
//! `RangeError` synchronously; write errors name the file.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use tracemalloc_core::{Error, Result, Snapshot};
use tracemalloc_formats::export::{export_file, Format, Options, Source};
use tracemalloc_formats::Meta;

use crate::errors::{check, guarded};
use crate::NativeSnapshot;

/// Options of an export, as the TypeScript API passes them.
#[napi(object)]
pub struct ExportOptionsInput {
    /// A title: the flame graph's and speedscope's name, a pprof comment, the JSON's `title`.
    pub title: Option<String>,
    /// Flame graph only: frames narrower than this fraction of the whole merge into "other".
    pub min_fraction: Option<f64>,
    /// Metadata JSON of the base snapshot, given with it.
    pub base_meta: Option<String>,
}

/// Everything one export needs, owned, so that it can run on any thread.
struct Job {
    snapshot: Arc<Snapshot>,
    meta: Meta,
    base: Option<(Arc<Snapshot>, Meta)>,
    path: PathBuf,
    format: Format,
    title: Option<String>,
    min_fraction: Option<f64>,
}

impl Job {
    fn new(
        snapshot: &NativeSnapshot,
        meta_json: &str,
        path: String,
        format: &str,
        base: Option<&NativeSnapshot>,
        options: ExportOptionsInput,
    ) -> Result<Self> {
        let format = Format::parse(format)?;
        if path.is_empty() {
            return Err(Error::range("path must not be empty"));
        }
        let base = match (base, options.base_meta) {
            (None, None) => None,
            (Some(b), Some(m)) => Some((Arc::clone(b.engine()), Meta::from_json(m.as_bytes())?)),
            _ => return Err(Error::type_error("a base snapshot and its metadata come together")),
        };
        let job = Self {
            snapshot: Arc::clone(snapshot.engine()),
            meta: Meta::from_json(meta_json.as_bytes())?,
            base,
            path: PathBuf::from(path),
            format,
            title: options.title,
            min_fraction: options.min_fraction,
        };
        job.options().check(format)?;
        Ok(job)
    }

    fn options(&self) -> Options<'_> {
        Options {
            title: self.title.as_deref(),
            base: self.base.as_ref().map(|(snapshot, meta)| Source { snapshot, meta }),
            min_fraction: self.min_fraction,
        }
    }

    /// Writes the file; returns its size in bytes.
    fn run(&self) -> Result<u64> {
        let src = Source {
            snapshot: &self.snapshot,
            meta: &self.meta,
        };
        export_file(&self.path, self.format, src, &self.options())
    }
}

/// Writes `snapshot` to `path` in `format`, atomically, and returns the
/// file's size in bytes. `metaJson` is the snapshot's metadata; `base` (with
/// `options.baseMeta`) makes a differential flame graph.
#[napi(catch_unwind)]
pub fn export_snapshot(
    env: Env,
    snapshot: &NativeSnapshot,
    meta_json: String,
    path: String,
    format: String,
    base: Option<&NativeSnapshot>,
    options: ExportOptionsInput,
) -> napi::Result<f64> {
    let job = check(&env, Job::new(snapshot, &meta_json, path, &format, base, options))?;
    check(&env, job.run()).map(|n| n as f64)
}

/// An export running on a worker thread.
pub struct ExportTask {
    job: Job,
}

impl Task for ExportTask {
    type Output = u64;
    type JsValue = f64;

    fn compute(&mut self) -> napi::Result<u64> {
        let path = self.job.path.display().to_string();
        guarded(
            || self.job.run(),
            |_| format!("internal error while exporting '{path}'"),
        )
    }

    fn resolve(&mut self, _env: Env, bytes: u64) -> napi::Result<f64> {
        Ok(bytes as f64)
    }
}

/// Like `exportSnapshot`, on a worker thread: arguments are checked now
/// (throwing synchronously), the file is written off the JavaScript thread,
/// and the promise resolves to its size in bytes.
#[napi(catch_unwind, ts_return_type = "Promise<number>")]
pub fn export_snapshot_async(
    env: Env,
    snapshot: &NativeSnapshot,
    meta_json: String,
    path: String,
    format: String,
    base: Option<&NativeSnapshot>,
    options: ExportOptionsInput,
) -> napi::Result<AsyncTask<ExportTask>> {
    let job = check(&env, Job::new(snapshot, &meta_json, path, &format, base, options))?;
    Ok(AsyncTask::new(ExportTask { job }))
}
