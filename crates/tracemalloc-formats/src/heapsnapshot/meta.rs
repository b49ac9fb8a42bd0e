//! The `snapshot` object: a tiny JSON tree for its few kilobytes, and the
//! [`Meta`] layout read from it (where each field sits, by name).

use super::lexer::{format_err, Step, StrLexer};
use super::Limits;
use tracemalloc_core::error::Result;

/// Deepest nesting accepted inside the meta object.
const MAX_DEPTH: usize = 64;

/// A parsed JSON value of the meta object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(Vec<u8>),
    Arr(Vec<Json>),
    Obj(Vec<(Vec<u8>, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str_list(&self) -> Option<Vec<Vec<u8>>> {
        match self {
            Json::Arr(items) => items
                .iter()
                .map(|v| match v {
                    Json::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

/// Parses bytes already validated as one JSON value by the skipper.
pub(crate) fn parse(bytes: &[u8]) -> Result<Json> {
    let mut p = Tree { b: bytes, i: 0 };
    let v = p.value(0)?;
    Ok(v)
}

struct Tree<'a> {
    b: &'a [u8],
    i: usize,
}

impl Tree<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && super::lexer::is_ws(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Result<u8> {
        self.ws();
        self.b
            .get(self.i)
            .copied()
            .ok_or_else(|| format_err("the snapshot meta object ends early"))
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > MAX_DEPTH {
            return Err(format_err(format!(
                "the snapshot meta object is nested deeper than {MAX_DEPTH}"
            )));
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Ok(Json::Obj(kv));
                }
                loop {
                    self.peek()?;
                    self.i += 1; // the opening quote
                    let k = self.string()?;
                    self.peek()?;
                    self.i += 1; // the colon
                    kv.push((k, self.value(depth + 1)?));
                    let c = self.peek()?;
                    self.i += 1;
                    if c == b'}' {
                        return Ok(Json::Obj(kv));
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    let c = self.peek()?;
                    self.i += 1;
                    if c == b']' {
                        return Ok(Json::Arr(items));
                    }
                }
            }
            b'"' => {
                self.i += 1;
                Ok(Json::Str(self.string()?))
            }
            b't' => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            b'f' => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            b'n' => {
                self.i += 4;
                Ok(Json::Null)
            }
            _ => {
                let start = self.i;
                while self.i < self.b.len() && matches!(self.b[self.i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.b[start..self.i])
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .map(Json::Num)
                    .ok_or_else(|| format_err("malformed number in the snapshot meta object"))
            }
        }
    }

    fn string(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut lx = StrLexer::default();
        match lx.feed(&self.b[self.i.min(self.b.len())..], self.i as u64, &mut out, true)? {
            Step::Done(n) => {
                self.i += n;
                super::lexer::sanitize(&mut out);
                Ok(out)
            }
            Step::More => Err(format_err("unterminated string in the snapshot meta object")),
        }
    }
}

/// Field positions of one flat record type (`node_fields`, `edge_fields`...).
fn fields(meta: &Json, key: &str) -> Result<Option<Vec<Vec<u8>>>> {
    match meta.get(key) {
        None => Ok(None),
        Some(v) => v
            .str_list()
            .filter(|l| !l.is_empty() && l.len() <= 64)
            .map(Some)
            .ok_or_else(|| format_err(format!("snapshot.meta.{key} must be a list of 1 to 64 field names"))),
    }
}

fn pos(list: &[Vec<u8>], name: &str) -> Option<usize> {
    list.iter().position(|f| f == name.as_bytes())
}

fn need(list: &[Vec<u8>], name: &str, key: &str) -> Result<usize> {
    pos(list, name).ok_or_else(|| format_err(format!("snapshot.meta.{key} has no \"{name}\" field")))
}

/// The type names of field `at` of a record: the list that `meta.<key>[at]` holds.
fn type_names(meta: &Json, key: &str, at: usize) -> Result<Vec<Vec<u8>>> {
    match meta.get(key) {
        Some(Json::Arr(items)) => items.get(at).and_then(Json::str_list),
        _ => None,
    }
    .ok_or_else(|| format_err(format!("snapshot.meta.{key}[{at}] must be the list of type names")))
}

fn count(snapshot: &Json, key: &str) -> Result<Option<u64>> {
    match snapshot.get(key) {
        None => Ok(None),
        Some(Json::Num(v)) if *v >= 0.0 && v.fract() == 0.0 && *v < 9.007_199_254_740_992e15 => Ok(Some(*v as u64)),
        Some(_) => Err(format_err(format!("snapshot.{key} must be a non-negative integer"))),
    }
}

/// Layout of `trace_function_infos` records.
#[derive(Debug, Clone)]
pub(crate) struct FuncLayout {
    pub width: usize,
    pub name: usize,
    pub script: usize,
    pub script_id: Option<usize>,
    pub line: Option<usize>,
    pub col: Option<usize>,
}

/// Layout of `trace_tree` records.
#[derive(Debug, Clone)]
pub(crate) struct TreeLayout {
    pub width: usize,
    pub id: usize,
    pub func: usize,
    pub children: usize,
    /// Allocations made at the node since tracking began, collected ones included.
    pub count: Option<usize>,
    /// Bytes of those allocations.
    pub size: Option<usize>,
}

/// Everything the parser needs from the `snapshot` object.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub node_width: usize,
    pub n_type: usize,
    pub n_name: usize,
    pub n_id: usize,
    pub n_size: usize,
    pub n_edges: usize,
    pub n_trace: Option<usize>,
    /// The node type names (`meta.node_types[type]`), in order.
    pub type_names: Vec<Vec<u8>>,
    /// The index of the "native" node type, the type of V8's ArrayBuffer
    /// backing stores ("system / JSArrayBufferData").
    pub native_type: Option<u8>,
    pub edge_width: usize,
    pub e_type: usize,
    pub e_name: usize,
    pub e_to: usize,
    /// Per edge type: is `name_or_index` a string index?
    pub edge_named: Vec<bool>,
    /// The index of the "internal" edge type, the type of an ArrayBuffer's
    /// `backing_store` edge.
    pub internal_edge: Option<i64>,
    pub func: Option<FuncLayout>,
    pub tree: Option<TreeLayout>,
    pub node_count: u64,
    pub edge_count: u64,
}

impl Meta {
    /// Reads the layout from the parsed `snapshot` object and checks its
    /// counts against `limits`.
    pub(crate) fn from_json(snapshot: &Json, limits: &Limits) -> Result<Meta> {
        let meta = snapshot
            .get("meta")
            .filter(|m| matches!(m, Json::Obj(_)))
            .ok_or_else(|| format_err("snapshot.meta is missing or not an object"))?;
        let nf = fields(meta, "node_fields")?.ok_or_else(|| format_err("snapshot.meta.node_fields is missing"))?;
        let ef = fields(meta, "edge_fields")?.ok_or_else(|| format_err("snapshot.meta.edge_fields is missing"))?;
        let n_type = need(&nf, "type", "node_fields")?;
        let node_types = type_names(meta, "node_types", n_type)?;
        if node_types.len() > usize::from(u8::MAX) {
            return Err(format_err("snapshot.meta.node_types lists too many types"));
        }
        let e_type = need(&ef, "type", "edge_fields")?;
        let edge_types = type_names(meta, "edge_types", e_type)?;
        let func = match fields(meta, "trace_function_info_fields")? {
            None => None,
            Some(ff) => Some(FuncLayout {
                width: ff.len(),
                name: need(&ff, "name", "trace_function_info_fields")?,
                script: need(&ff, "script_name", "trace_function_info_fields")?,
                script_id: pos(&ff, "script_id"),
                line: pos(&ff, "line"),
                col: pos(&ff, "column"),
            }),
        };
        let tree = match fields(meta, "trace_node_fields")? {
            None => None,
            Some(tf) => Some(TreeLayout {
                width: tf.len(),
                id: need(&tf, "id", "trace_node_fields")?,
                func: need(&tf, "function_info_index", "trace_node_fields")?,
                children: need(&tf, "children", "trace_node_fields")?,
                count: pos(&tf, "count"),
                size: pos(&tf, "size"),
            }),
        };
        let node_count = count(snapshot, "node_count")?.ok_or_else(|| format_err("snapshot.node_count is missing"))?;
        let edge_count = count(snapshot, "edge_count")?.ok_or_else(|| format_err("snapshot.edge_count is missing"))?;
        // A hint only (see `Builder::func`), but still a count to bound.
        let func_count = count(snapshot, "trace_function_count")?;
        let max_nodes = limits.max_nodes.min(u64::from(u32::MAX - 1));
        if node_count > max_nodes {
            return Err(format_err(format!(
                "snapshot.node_count is {node_count}, over the limit of {max_nodes}"
            )));
        }
        if edge_count > limits.max_edges {
            return Err(format_err(format!(
                "snapshot.edge_count is {edge_count}, over the limit of {}",
                limits.max_edges
            )));
        }
        if let Some(fc) = func_count.filter(|&fc| fc > max_nodes) {
            return Err(format_err(format!(
                "snapshot.trace_function_count is {fc}, over the limit of {max_nodes}"
            )));
        }
        Ok(Meta {
            node_width: nf.len(),
            n_type,
            n_name: need(&nf, "name", "node_fields")?,
            n_id: need(&nf, "id", "node_fields")?,
            n_size: need(&nf, "self_size", "node_fields")?,
            n_edges: need(&nf, "edge_count", "node_fields")?,
            n_trace: pos(&nf, "trace_node_id"),
            native_type: node_types.iter().position(|t| t == b"native").map(|p| p as u8),
            type_names: node_types,
            edge_width: ef.len(),
            e_type,
            e_name: need(&ef, "name_or_index", "edge_fields")?,
            e_to: need(&ef, "to_node", "edge_fields")?,
            edge_named: edge_types.iter().map(|t| t != b"element" && t != b"hidden").collect(),
            internal_edge: edge_types.iter().position(|t| t == b"internal").map(|p| p as i64),
            func,
            tree,
            node_count,
            edge_count,
        })
    }
}
