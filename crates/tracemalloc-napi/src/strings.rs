//! String tables cross the boundary as one UTF-16 string plus lengths, so
//! lone surrogates survive and there is one Node-API call per table.

use napi::bindgen_prelude::{Uint32Array, Utf16String};
use tracemalloc_core::{wtf8, Error, Result, Tables};

/// Splits a joined UTF-16 string into WTF-8 strings of the given lengths.
pub fn split_joined(joined: &[u16], lengths: &[u32]) -> Result<Vec<Vec<u8>>> {
    let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
    if total != joined.len() as u64 {
        return Err(Error::range(format!(
            "string lengths add up to {total}, but the joined strings hold {} UTF-16 units",
            joined.len()
        )));
    }
    let mut start = 0usize;
    Ok(lengths
        .iter()
        .map(|&l| {
            let end = start + l as usize;
            let s = wtf8::from_utf16(&joined[start..end]);
            start = end;
            s
        })
        .collect())
}

/// Joins the strings of `t` into one UTF-16 string and their lengths.
pub fn join_table(t: &Tables) -> (Utf16String, Uint32Array) {
    let mut units = Vec::new();
    let mut lengths = Vec::with_capacity(t.str_count());
    for id in 0..t.str_count() as u32 {
        let before = units.len();
        wtf8::push_to_utf16(t.str_bytes(id), &mut units);
        lengths.push((units.len() - before) as u32);
    }
    (Utf16String::from(units), Uint32Array::new(lengths))
}
