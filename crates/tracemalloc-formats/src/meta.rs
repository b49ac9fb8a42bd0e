//! A snapshot's metadata: how and where its traces were captured.
//!
//! Every format that can carry metadata stores this one structure, as JSON
//! in the native format, so that a snapshot keeps its capture mode, sampling
//! interval and traceback limit through a dump, a load or a conversion.
//! Keys this version does not know are kept in [`Meta::extra`] and written
//! back, so older readers never lose what newer writers stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracemalloc_core::{Error, Result};

/// How the traces were captured.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// V8's sampling heap profiler: sizes and counts are estimates, each
    /// trace weighted by its sampling scale.
    Sampled,
    /// Every live object (V8's allocation tracker, or a heap snapshot).
    Exact,
}

/// Metadata of one snapshot. Every field but `traceback_limit` is optional:
/// a snapshot built from raw data has none of them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Most frames per traceback when the snapshot was taken (CPython's
    /// `traceback_limit`).
    pub traceback_limit: u32,
    /// Capture mode; `None` for snapshots built from data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Mean bytes between samples, in sampled mode, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_interval: Option<f64>,
    /// `process.version` of the traced process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_version: Option<String>,
    /// Process id of the traced process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// When the snapshot was taken, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// The file format the traces were first read from (`"heapprofile"`,
    /// `"heapsnapshot"`), `None` for a live capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Keys this version does not know, kept as they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Largest metadata JSON accepted, in bytes.
pub const MAX_META_BYTES: usize = 1 << 20;

impl Meta {
    /// Metadata of a snapshot built from data, with this traceback limit.
    pub fn with_limit(traceback_limit: u32) -> Self {
        Self {
            traceback_limit,
            ..Self::default()
        }
    }

    /// Encodes as compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("metadata always serialises")
    }

    /// Decodes JSON written by [`Meta::to_json`] (of this or any later
    /// version), with a clear error for anything else.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_META_BYTES {
            return Err(Error::range(format!(
                "metadata is {} bytes, more than the {MAX_META_BYTES} allowed",
                bytes.len()
            )));
        }
        let meta: Meta =
            serde_json::from_slice(bytes).map_err(|e| Error::range(format!("metadata is not valid: {e}")))?;
        if let Some(v) = meta.sampling_interval {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::range(format!(
                    "metadata: samplingInterval must be a finite number > 0, got {v}"
                )));
            }
        }
        if meta.time.is_some_and(|t| !t.is_finite()) {
            return Err(Error::range("metadata: time must be a finite number"));
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_unknown_keys() {
        let json = br#"{"tracebackLimit":5,"mode":"sampled","samplingInterval":32768,"pid":7,"futureKey":[1,2]}"#;
        let m = Meta::from_json(json).unwrap();
        assert_eq!(m.traceback_limit, 5);
        assert_eq!(m.mode, Some(Mode::Sampled));
        assert_eq!(m.extra.get("futureKey"), Some(&serde_json::json!([1, 2])));
        assert_eq!(Meta::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn rejects_bad_metadata_with_a_clear_message() {
        let e = Meta::from_json(b"{\"mode\":\"sampled\"}").unwrap_err();
        assert!(e.to_string().contains("tracebackLimit"), "{e}");
        let e = Meta::from_json(br#"{"tracebackLimit":1,"samplingInterval":-1}"#).unwrap_err();
        assert!(e.to_string().contains("samplingInterval"), "{e}");
    }
}
