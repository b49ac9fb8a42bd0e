//! Reading a `.heapprofile` document: the node tree under `head`, without
//! recursion, and the `samples` list. Keys may come in any order.

use std::io::Read;

use tracemalloc_core::snapshot::MAX_SIZE;
use tracemalloc_core::tables::{Tables, NONE};
use tracemalloc_core::Result;

use super::frame::intern_call_frame;
use super::json::{err_at, format_err, Json, Tok};

/// Largest exact integer of a JSON number (2^53 - 1).
const MAX_INT: f64 = 9_007_199_254_740_991.0;

/// What a profile holds once read.
pub(crate) struct Profile {
    /// Interned frames of the nodes' call frames.
    pub tables: Tables,
    /// Per node, in document order (a parent before its children): the
    /// parent's index ([`NONE`] for `head`), the frame, the V8 id and the
    /// `selfSize`.
    pub parent: Vec<u32>,
    pub frame: Vec<u32>,
    pub id: Vec<u64>,
    pub self_size: Vec<u64>,
    /// `(nodeId, size)` of each sample; `None` when the file has no
    /// `samples` key (profiles of old DevTools versions).
    pub samples: Option<Vec<(u64, u64)>>,
    /// What tracemalloc's own exporter recorded under the `tracemalloc` key.
    pub written: Written,
}

/// The capture fields of a profile written by tracemalloc (its `tracemalloc`
/// key): they say how to read the samples back, where V8's own profiles
/// leave the interval to be inferred.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Written {
    /// The snapshot's mode: `Some(true)` for exact.
    pub exact: Option<bool>,
    /// The snapshot's sampling interval, in bytes.
    pub sampling_interval: Option<f64>,
}

/// The fields of a node object seen so far.
#[derive(Default)]
struct Seen {
    id: bool,
    frame: bool,
    /// Offset of the node's `{`.
    at: u64,
}

/// Reads a whole profile from `json`.
pub(crate) fn read<R: Read>(json: &mut Json<R>) -> Result<Profile> {
    let mut p = Profile {
        tables: Tables::new(),
        parent: Vec::new(),
        frame: Vec::new(),
        id: Vec::new(),
        self_size: Vec::new(),
        samples: None,
        written: Written::default(),
    };
    expect(json, Tok::ObjStart, "the profile")?;
    let mut head = false;
    loop {
        match json.next()? {
            Tok::Key if json.text == b"head" => {
                if head {
                    return Err(err_at(json.at, "\"head\" appears twice"));
                }
                head = true;
                read_tree(json, &mut p)?;
            }
            Tok::Key if json.text == b"samples" => {
                if p.samples.is_some() {
                    return Err(err_at(json.at, "\"samples\" appears twice"));
                }
                p.samples = Some(read_samples(json)?);
            }
            Tok::Key if json.text == b"tracemalloc" => p.written = read_written(json)?,
            Tok::Key => {
                let t = json.next()?;
                json.skip(t)?;
            }
            _ => break,
        }
    }
    if json.next()? != Tok::End {
        return Err(err_at(json.at, "unexpected data after the profile"));
    }
    if !head {
        return Err(format_err("the \"head\" node is missing"));
    }
    Ok(p)
}

/// Reads the `tracemalloc` object: its `mode` and `samplingInterval`; other
/// keys are skipped.
fn read_written<R: Read>(json: &mut Json<R>) -> Result<Written> {
    let mut w = Written::default();
    expect(json, Tok::ObjStart, "\"tracemalloc\"")?;
    loop {
        match json.next()? {
            Tok::Key if json.text == b"mode" => match json.next()? {
                Tok::Str if json.text == b"exact" => w.exact = Some(true),
                Tok::Str if json.text == b"sampled" => w.exact = Some(false),
                t => {
                    return Err(err_at(
                        json.at,
                        format!(
                            "tracemalloc.mode must be \"sampled\" or \"exact\", found {}",
                            t.describe()
                        ),
                    ))
                }
            },
            Tok::Key if json.text == b"samplingInterval" => match json.next()? {
                Tok::Num(v) if (1.0..=MAX_INT).contains(&v) => w.sampling_interval = Some(v),
                Tok::Null => {}
                t => {
                    return Err(err_at(
                        json.at,
                        format!(
                            "tracemalloc.samplingInterval must be a positive number, found {}",
                            t.describe()
                        ),
                    ))
                }
            },
            Tok::Key => {
                let t = json.next()?;
                json.skip(t)?;
            }
            Tok::ObjEnd => return Ok(w),
            t => {
                return Err(err_at(
                    json.at,
                    format!("\"tracemalloc\": expected a key, found {}", t.describe()),
                ))
            }
        }
    }
}

fn expect<R: Read>(json: &mut Json<R>, want: Tok, what: &str) -> Result<()> {
    let got = json.next()?;
    if got != want {
        return Err(err_at(
            json.at,
            format!("{what} must be {}, found {}", want.describe(), got.describe()),
        ));
    }
    Ok(())
}

/// Reads a number that must be an integer in `[min, max]`.
fn int<R: Read>(json: &mut Json<R>, what: &str, min: f64, max: f64) -> Result<f64> {
    match json.next()? {
        Tok::Num(v) if v.fract() == 0.0 && v >= min && v <= max => Ok(v),
        Tok::Num(v) => Err(err_at(
            json.at,
            format!("{what} must be an integer in [{min}, {max}], got {}", show_num(v)),
        )),
        t => Err(err_at(
            json.at,
            format!("{what} must be a number, found {}", t.describe()),
        )),
    }
}

/// A number as JavaScript would print it (no 300-digit expansions).
fn show_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// Starts a node object (its `{` was read) under `parent`.
fn open(p: &mut Profile, parent: u32, stack: &mut Vec<(u32, Seen)>, at: u64) -> Result<()> {
    let k = p.parent.len();
    if k >= NONE as usize - 1 {
        return Err(err_at(at, "the profile has more than 2^32 - 2 nodes"));
    }
    p.parent.push(parent);
    p.frame.push(NONE);
    p.id.push(0);
    p.self_size.push(0);
    stack.push((k as u32, Seen { at, ..Seen::default() }));
    Ok(())
}

/// Reads the `head` node and every node under it, with an explicit stack.
fn read_tree<R: Read>(json: &mut Json<R>, p: &mut Profile) -> Result<()> {
    expect(json, Tok::ObjStart, "\"head\"")?;
    let mut stack: Vec<(u32, Seen)> = Vec::new();
    open(p, NONE, &mut stack, json.at)?;
    loop {
        let Some((k, seen)) = stack.last_mut() else {
            return Ok(());
        };
        let k = *k;
        let node = k as usize;
        // Inside node `k`: a key or the node's end.
        match json.next()? {
            Tok::Key => match json.text.as_slice() {
                b"callFrame" => {
                    p.frame[node] = read_call_frame(json, &mut p.tables)?;
                    seen.frame = true;
                }
                b"id" => {
                    p.id[node] = int(json, "a node's id", 0.0, MAX_INT)? as u64;
                    seen.id = true;
                }
                b"selfSize" => {
                    p.self_size[node] = int(json, "a node's selfSize", 0.0, MAX_SIZE as f64)? as u64;
                }
                b"children" => {
                    expect(json, Tok::ArrStart, "a node's children")?;
                    match json.next()? {
                        Tok::ObjStart => open(p, k, &mut stack, json.at)?,
                        Tok::ArrEnd => {}
                        t => {
                            return Err(err_at(
                                json.at,
                                format!("a child node must be an object, found {}", t.describe()),
                            ))
                        }
                    }
                }
                _ => {
                    let t = json.next()?;
                    json.skip(t)?;
                }
            },
            Tok::ObjEnd => {
                let (_, seen) = stack.pop().expect("a node is open");
                if !seen.id {
                    return Err(err_at(seen.at, "the node starting here has no \"id\""));
                }
                if !seen.frame {
                    return Err(err_at(seen.at, "the node starting here has no \"callFrame\""));
                }
                if let Some((parent, _)) = stack.last() {
                    // Back in the parent's children: a sibling or the end.
                    match json.next()? {
                        Tok::ObjStart => open(p, *parent, &mut stack, json.at)?,
                        Tok::ArrEnd => {}
                        t => {
                            return Err(err_at(
                                json.at,
                                format!("a child node must be an object, found {}", t.describe()),
                            ))
                        }
                    }
                }
            }
            t => {
                return Err(err_at(
                    json.at,
                    format!("expected a key or '}}' in a node, found {}", t.describe()),
                ))
            }
        }
    }
}

/// Reads a `callFrame` object and interns its frame.
fn read_call_frame<R: Read>(json: &mut Json<R>, tables: &mut Tables) -> Result<u32> {
    expect(json, Tok::ObjStart, "callFrame")?;
    let mut function_name = Vec::new();
    let mut url = Vec::new();
    let (mut line, mut column) = (-1i64, -1i64);
    loop {
        match json.next()? {
            Tok::Key => {
                let key = std::mem::take(&mut json.text);
                let string = |json: &mut Json<R>, out: &mut Vec<u8>| -> Result<()> {
                    match json.next()? {
                        Tok::Str => {
                            std::mem::swap(out, &mut json.text);
                            Ok(())
                        }
                        t => Err(err_at(
                            json.at,
                            format!(
                                "callFrame.{} must be a string, found {}",
                                String::from_utf8_lossy(&key),
                                t.describe()
                            ),
                        )),
                    }
                };
                match key.as_slice() {
                    b"functionName" => string(json, &mut function_name)?,
                    b"url" => string(json, &mut url)?,
                    b"lineNumber" => line = int(json, "callFrame.lineNumber", -1.0, f64::from(u32::MAX - 1))? as i64,
                    b"columnNumber" => {
                        column = int(json, "callFrame.columnNumber", -1.0, f64::from(u32::MAX - 1))? as i64
                    }
                    _ => {
                        let t = json.next()?;
                        json.skip(t)?;
                    }
                }
                json.text = key;
            }
            Tok::ObjEnd => break,
            t => {
                return Err(err_at(
                    json.at,
                    format!("expected a key or '}}' in callFrame, found {}", t.describe()),
                ))
            }
        }
    }
    Ok(intern_call_frame(tables, &function_name, &url, line, column))
}

/// Reads the `samples` array.
fn read_samples<R: Read>(json: &mut Json<R>) -> Result<Vec<(u64, u64)>> {
    expect(json, Tok::ArrStart, "\"samples\"")?;
    let mut out = Vec::new();
    loop {
        match json.next()? {
            Tok::ObjStart => {}
            Tok::ArrEnd => return Ok(out),
            t => {
                return Err(err_at(
                    json.at,
                    format!("a sample must be an object, found {}", t.describe()),
                ))
            }
        }
        let at = json.at;
        let (mut size, mut node) = (None, None);
        loop {
            match json.next()? {
                Tok::Key if json.text == b"size" => {
                    size = Some(int(json, "a sample's size", 0.0, MAX_SIZE as f64)? as u64)
                }
                Tok::Key if json.text == b"nodeId" => node = Some(int(json, "a sample's nodeId", 0.0, MAX_INT)? as u64),
                Tok::Key => {
                    let t = json.next()?;
                    json.skip(t)?;
                }
                Tok::ObjEnd => break,
                t => {
                    return Err(err_at(
                        json.at,
                        format!("expected a key or '}}' in a sample, found {}", t.describe()),
                    ))
                }
            }
        }
        match (node, size) {
            (Some(node), Some(size)) => out.push((node, size)),
            _ => {
                return Err(err_at(
                    at,
                    format!("sample {} needs a \"nodeId\" and a \"size\"", out.len()),
                ))
            }
        }
    }
}
