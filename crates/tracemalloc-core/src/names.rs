//! Script names as frame file names: `file://` URLs become paths. One rule
//! for both capture modes, every importer (heap snapshots, heap profiles),
//! and the TypeScript side (`scriptPathOf` in the binding: `track()` stacks
//! and source-map lookups).

/// The file name of a frame for V8's `script_name`.
///
/// * `""` becomes `"<unknown>"` (builtins, and scripts V8 no longer knows);
/// * `file:///a/b%20c.js?x#y` becomes `/a/b c.js` (percent-decoded; query
///   and fragment dropped; `file://localhost/` is the same as `file:///`;
///   `file:///C:/x.js` becomes `C:/x.js`; `file://host/share/x.js` becomes
///   `//host/share/x.js`);
/// * anything else (`node:internal/...`, `https://...`, plain paths) is kept.
pub fn script_path(raw: &[u8]) -> Vec<u8> {
    if raw.is_empty() {
        return b"<unknown>".to_vec();
    }
    let Some(rest) = strip_prefix_ascii_ci(raw, b"file://") else {
        return raw.to_vec();
    };
    // Keep the slash after "localhost".
    let rest = if strip_prefix_ascii_ci(rest, b"localhost/").is_some() {
        &rest[9..]
    } else {
        rest
    };
    let end = rest.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(rest.len());
    let rest = &rest[..end];
    let mut path = if rest.first() == Some(&b'/') {
        Vec::with_capacity(rest.len())
    } else {
        b"//".to_vec()
    };
    path.extend(percent_decode(rest));
    if std::str::from_utf8(&path).is_err() && std::str::from_utf8(raw).is_ok() {
        path = String::from_utf8_lossy(&path).into_owned().into_bytes();
    } else if std::str::from_utf8(&path).is_err() {
        // The name carries surrogates (WTF-8): decoding could split them.
        path.truncate(if rest.first() == Some(&b'/') { 0 } else { 2 });
        path.extend_from_slice(rest);
    }
    let drive = path.len() >= 3
        && path[0] == b'/'
        && path[1].is_ascii_alphabetic()
        && matches!(path[2], b':' | b'|')
        && path.get(3).is_none_or(|&c| c == b'/');
    if drive {
        path.remove(0);
        path[1] = b':';
    }
    path
}

fn strip_prefix_ascii_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &s[prefix.len()..])
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}
