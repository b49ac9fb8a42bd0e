//! The `package` key type's rule: which npm package a frame's file belongs to.

use std::borrow::Cow;

/// The group of a file that is neither Node's nor in a package: the application's own code.
pub const APP: &[u8] = b"(app)";
/// The group of Node's own scripts (`node:internal/...`, `node:fs`).
pub const CORE: &[u8] = b"node:";
/// The file name of frames without a script, which keep a group of their own.
const UNKNOWN: &[u8] = b"<unknown>";
const NODE_MODULES: &[u8] = b"node_modules";

/// The package that `file` (a frame's file name) belongs to:
///
/// * the package directory after the **innermost** `node_modules` segment:
///   `name`, or `@scope/name` for a scoped package (so a dependency
///   installed inside another, or under pnpm's `.pnpm/x@1/node_modules/x`,
///   counts as itself); `/` and `\` both separate segments;
/// * `node:` for Node's own scripts;
/// * `<unknown>` for frames without a script;
/// * `(app)` for everything else.
pub fn package_of(file: &[u8]) -> Cow<'_, [u8]> {
    if file.starts_with(CORE) {
        return Cow::Borrowed(CORE);
    }
    if file == UNKNOWN || file.is_empty() {
        return Cow::Borrowed(UNKNOWN);
    }
    let is_sep = |b: &u8| *b == b'/' || *b == b'\\';
    // Byte ranges of the path's segments.
    let mut start = 0;
    let segments: Vec<(usize, usize)> = file
        .split(is_sep)
        .map(|seg| {
            let range = (start, start + seg.len());
            start += seg.len() + 1;
            range
        })
        .collect();
    let seg = |i: usize| segments.get(i).map(|&(a, b)| &file[a..b]);
    let mut best: Option<(usize, usize)> = None;
    for i in 0..segments.len() {
        if seg(i) != Some(NODE_MODULES) {
            continue;
        }
        // `.bin`, `.pnpm` and the like are not packages.
        let Some(name) = seg(i + 1).filter(|n| !n.is_empty() && !n.starts_with(b".")) else {
            continue;
        };
        // The package directory must hold the file: one more segment after it.
        let last = if name.starts_with(b"@") { i + 2 } else { i + 1 };
        if last + 1 < segments.len() && seg(last).is_some_and(|n| !n.is_empty()) {
            best = Some((i + 1, last));
        }
    }
    match best {
        None => Cow::Borrowed(APP),
        Some((name, last)) if name == last => Cow::Borrowed(seg(name).unwrap_or(APP)),
        // `@scope/name`, with `/` whatever separated them.
        Some((scope, name)) => {
            let mut out = seg(scope).unwrap_or_default().to_vec();
            out.push(b'/');
            out.extend_from_slice(seg(name).unwrap_or_default());
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(f: &str) -> String {
        String::from_utf8(package_of(f.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn packages_by_their_innermost_node_modules() {
        assert_eq!(p("/app/node_modules/ajv/dist/core.js"), "ajv");
        assert_eq!(p("/app/node_modules/@babel/parser/lib/index.js"), "@babel/parser");
        assert_eq!(p("/app/node_modules/a/node_modules/b/index.js"), "b");
        assert_eq!(
            p("/app/node_modules/.pnpm/acorn@8.0.0/node_modules/acorn/dist/acorn.js"),
            "acorn"
        );
        assert_eq!(p(r"C:\app\node_modules\@types\node\x.js"), "@types/node");
    }

    #[test]
    fn core_app_and_unknown() {
        assert_eq!(p("node:internal/fs/utils"), "node:");
        assert_eq!(p("/app/src/index.js"), "(app)");
        assert_eq!(p("/app/node_modules_old/x.js"), "(app)");
        assert_eq!(p("/app/node_modules/x"), "(app)");
        assert_eq!(p("/app/node_modules/@scope/x"), "(app)");
        assert_eq!(p("/app/node_modules/.bin/tsc"), "(app)");
        assert_eq!(p("<unknown>"), "<unknown>");
    }
}
