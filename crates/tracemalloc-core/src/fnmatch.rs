//! Shell-style filename matching with the exact semantics of CPython's
//! `fnmatch.fnmatchcase` (Python 3.10+), plus the filename normalisation
//! that `tracemalloc.Filter` applies before matching.
//!
//! Everything works on Unicode code points given as `u32`, so names that are
//! not valid Unicode scalar values (lone surrogates such as `U+DCFF`, which
//! Python produces with `surrogateescape`) are handled as ordinary code points.
//!
//! Pattern syntax, as CPython interprets it:
//!
//! * `*` matches any run of code points (including `/`, `\` and newlines);
//!   consecutive stars behave as one star;
//! * `?` matches exactly one code point;
//! * `[...]` is a class, `[!...]` a negated class (a leading `^` is a literal);
//!   `]` may be the first member; ranges are written `a-z`; a `[` without a
//!   closing `]` is a literal `[`;
//! * there is no escape character: a backslash is a literal;
//! * everything else matches itself, case-sensitively.
//!
//! Class contents follow the quirks of `fnmatch.translate` exactly: the way
//! it splits the contents into range chunks, the removal of reversed ranges
//! (`[c-a]` never matches, `[!c-a]` matches any code point) and the fact that
//! a `!` brought to the front by such a removal turns the class into a
//! negated one (`[c-a!x]` means "anything but `x`").
//!
//! Matching uses the classic greedy algorithm that only remembers the most
//! recent star, so it runs in `O(pattern × name)` time in the worst case,
//! without recursion.

const STAR: u32 = '*' as u32;
const QUESTION: u32 = '?' as u32;
const OPEN: u32 = '[' as u32;
const CLOSE: u32 = ']' as u32;
const BANG: u32 = '!' as u32;
const HYPHEN: u32 = '-' as u32;
const SLASH: u32 = '/' as u32;
const BACKSLASH: u32 = '\\' as u32;

/// One element of a compiled pattern that consumes exactly one code point.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Single {
    /// Exactly this code point.
    Lit(u32),
    /// Any code point (`?`, or the degenerate class `[!c-a]`).
    Any,
    /// Nothing at all (the degenerate class `[c-a]`).
    Never,
    /// A class: sorted, disjoint, non-adjacent inclusive intervals.
    Set { negated: bool, ranges: Vec<(u32, u32)> },
}

impl Single {
    /// True iff this element accepts the code point `c`.
    fn accepts(&self, c: u32) -> bool {
        match self {
            Single::Lit(l) => *l == c,
            Single::Any => true,
            Single::Never => false,
            Single::Set { negated, ranges } => {
                // First interval whose upper bound is >= c.
                let idx = ranges.partition_point(|&(_, hi)| hi < c);
                let member = ranges.get(idx).is_some_and(|&(lo, _)| lo <= c);
                member != *negated
            }
        }
    }
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A run of one or more `*`.
    Star,
    /// An element matching exactly one code point.
    One(Single),
}

/// A compiled shell pattern with the exact matching semantics of Python
/// 3.10+'s `fnmatch.fnmatchcase`.
///
/// Compile once with [`Pattern::compile`], then test names with
/// [`Pattern::matches`]. No case folding or separator normalisation is done
/// here; use [`normcase`] / [`normalize_filename`] first where CPython would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// Compiles a pattern given as Unicode code points (u32; lone surrogates
    /// D800-DFFF are allowed as ordinary code points).
    ///
    /// Every input is a valid pattern: malformed constructs (such as an
    /// unclosed `[`) are taken literally, as CPython does.
    pub fn compile(pattern: &[u32]) -> Pattern {
        let n = pattern.len();
        let mut tokens: Vec<Token> = Vec::new();
        let mut i = 0;
        while let Some(&c) = pattern.get(i) {
            i += 1;
            match c {
                STAR => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                QUESTION => tokens.push(Token::One(Single::Any)),
                OPEN => {
                    // Find the closing bracket: an optional leading '!', then
                    // a ']' right there is a member, not the terminator.
                    let mut j = i;
                    if pattern.get(j) == Some(&BANG) {
                        j += 1;
                    }
                    if pattern.get(j) == Some(&CLOSE) {
                        j += 1;
                    }
                    while j < n && pattern[j] != CLOSE {
                        j += 1;
                    }
                    if j >= n {
                        // No terminator: a literal '[' and carry on after it.
                        tokens.push(Token::One(Single::Lit(OPEN)));
                    } else {
                        tokens.push(Token::One(compile_class(&pattern[i..j])));
                        i = j + 1;
                    }
                }
                other => tokens.push(Token::One(Single::Lit(other))),
            }
        }
        Pattern { tokens }
    }

    /// True iff the whole `name` (code points) matches the pattern.
    pub fn matches(&self, name: &[u32]) -> bool {
        let tokens = &self.tokens;
        let (mut t, mut s) = (0usize, 0usize);
        // Position of the most recent star (index of the token after it) and
        // the name position that star's match currently extends to.
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            match tokens.get(t) {
                Some(Token::Star) => {
                    t += 1;
                    backtrack = Some((t, s));
                    continue;
                }
                Some(Token::One(single)) => {
                    if let Some(&c) = name.get(s) {
                        if single.accepts(c) {
                            t += 1;
                            s += 1;
                            continue;
                        }
                    }
                }
                None => {
                    if s == name.len() {
                        return true;
                    }
                }
            }
            // Mismatch: let the last star swallow one more code point.
            match backtrack {
                Some((bt, bs)) if bs < name.len() => {
                    backtrack = Some((bt, bs + 1));
                    t = bt;
                    s = bs + 1;
                }
                _ => return false,
            }
        }
    }
}

/// Compiles the contents of a class (the text between `[` and its closing
/// `]`, including a leading `!`), reproducing `fnmatch.translate`.
fn compile_class(stuff: &[u32]) -> Single {
    if !stuff.contains(&HYPHEN) {
        let (negated, members) = match stuff.split_first() {
            Some((&BANG, rest)) => (true, rest),
            _ => (false, stuff),
        };
        let ranges = members.iter().map(|&c| (c, c)).collect();
        return make_set(negated, ranges);
    }

    // Split into chunks at the hyphens that delimit ranges.
    let mut chunks: Vec<Vec<u32>> = Vec::new();
    let mut start = 0usize;
    let mut search = if stuff.first() == Some(&BANG) { 2 } else { 1 };
    while let Some(h) = stuff
        .get(search..)
        .and_then(|tail| tail.iter().position(|&c| c == HYPHEN))
        .map(|p| p + search)
    {
        chunks.push(stuff.get(start..h).unwrap_or_default().to_vec());
        start = h + 1;
        search = h + 3;
    }
    let rest = stuff.get(start..).unwrap_or_default();
    if !rest.is_empty() {
        chunks.push(rest.to_vec());
    } else if let Some(last) = chunks.last_mut() {
        last.push(HYPHEN);
    } else {
        chunks.push(Vec::new());
    }

    let mut chunks = remove_reversed_ranges(chunks);

    // The regex CPython builds is the chunks joined by range hyphens.
    match chunks.as_slice() {
        [only] if only.is_empty() => return Single::Never,
        [only] if only.as_slice() == [BANG] => return Single::Any,
        _ => {}
    }
    let negated = chunks.first().and_then(|c| c.first()) == Some(&BANG);
    if negated {
        chunks[0].remove(0);
    }
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for chunk in &chunks {
        ranges.extend(chunk.iter().map(|&c| (c, c)));
    }
    for pair in chunks.windows(2) {
        if let (Some(&lo), Some(&hi)) = (pair[0].last(), pair[1].first()) {
            if lo <= hi {
                ranges.push((lo, hi));
            }
        }
    }
    make_set(negated, ranges)
}

/// Removes reversed (empty) ranges the way `fnmatch.translate` does: for each
/// boundary from the last to the first, if the last code point of the chunk
/// before it is greater than the first code point of the chunk after it, the
/// two chunks are joined, dropping both endpoints.
///
/// Runs in linear time: the chunk being merged into is kept reversed, so
/// prepending to it is a push and dropping its first code point a pop.
fn remove_reversed_ranges(chunks: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    let mut done_rev: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
    let mut iter = chunks.into_iter().rev();
    // The current chunk (index k in CPython's loop), stored reversed.
    let mut cur_rev: Vec<u32> = match iter.next() {
        Some(mut last) => {
            last.reverse();
            last
        }
        None => return Vec::new(),
    };
    for mut prev in iter {
        let reversed = match (prev.last(), cur_rev.last()) {
            (Some(&a), Some(&b)) => a > b,
            _ => false,
        };
        if reversed {
            // cur = prev[:-1] + cur[1:]
            cur_rev.pop();
            prev.pop();
            cur_rev.extend(prev.iter().rev());
        } else {
            cur_rev.reverse();
            done_rev.push(std::mem::take(&mut cur_rev));
            prev.reverse();
            cur_rev = prev;
        }
    }
    cur_rev.reverse();
    done_rev.push(cur_rev);
    done_rev.reverse();
    done_rev
}

/// Builds a class from possibly overlapping intervals: sorts and merges them.
fn make_set(negated: bool, mut ranges: Vec<(u32, u32)>) -> Single {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Single::Set {
        negated,
        ranges: merged,
    }
}

/// What `fnmatch.fnmatch` does before matching: normcase (identity on POSIX,
/// lowercase + '/'->'\\' on Windows).
///
/// On Windows this is Python's `s.replace('/', '\\').lower()`: full Unicode
/// lowercasing (so `U+0130` becomes two code points and a word-final capital
/// sigma becomes `ς`). Code points that are not Unicode scalar values (lone
/// surrogates, values above `U+10FFFF`) are kept unchanged.
pub fn normcase(name: &[u32], windows: bool) -> Vec<u32> {
    if !windows {
        return name.to_vec();
    }
    let mut out = Vec::with_capacity(name.len());
    let mut run = String::new();
    for &c in name {
        let c = if c == SLASH { BACKSLASH } else { c };
        match char::from_u32(c) {
            Some(ch) => run.push(ch),
            None => {
                // A non-scalar code point is neither cased nor case-ignorable,
                // so it bounds the final-sigma context exactly like the ends
                // of the string do: lowercase each run of scalars separately.
                flush_lowercase(&mut run, &mut out);
                out.push(c);
            }
        }
    }
    flush_lowercase(&mut run, &mut out);
    out
}

/// Appends the full lowercase of `run` to `out` as code points and clears it.
fn flush_lowercase(run: &mut String, out: &mut Vec<u32>) {
    if !run.is_empty() {
        out.extend(run.to_lowercase().chars().map(u32::from));
        run.clear();
    }
}

/// CPython tracemalloc's `_normalize_filename`: `os.path.normcase` (identity
/// on POSIX; on Windows: Unicode full lowercase and '/' -> '\\'), then if the
/// result ends with ".pyc" (case-sensitive, checked after normcase) drop the
/// final 'c'.
pub fn normalize_filename(name: &[u32], windows: bool) -> Vec<u32> {
    const PYC: [u32; 4] = ['.' as u32, 'p' as u32, 'y' as u32, 'c' as u32];
    let mut out = normcase(name, windows);
    if out.ends_with(&PYC) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Code points of a Rust string.
    fn cp(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
    }

    fn fnmatchcase(name: &[u32], pat: &[u32]) -> bool {
        Pattern::compile(pat).matches(name)
    }

    fn m(name: &str, pat: &str) -> bool {
        fnmatchcase(&cp(name), &cp(pat))
    }

    // ---- a minimal JSON reader that keeps lone surrogates ----------------
    //
    // serde_json refuses strings holding lone surrogates (`"\udcff.py"`), and
    // the oracle has some, so the fixtures are read with this small parser,
    // which decodes strings to code points (UTF-16 pairs are combined, lone
    // surrogates are kept as they are).

    #[derive(Debug, Clone, PartialEq)]
    enum Json {
        Null,
        Bool(bool),
        Num(String),
        Str(Vec<u32>),
        Arr(Vec<Json>),
        Obj(Vec<(Vec<u32>, Json)>),
    }

    impl Json {
        fn get(&self, key: &str) -> Option<&Json> {
            let key = cp(key);
            match self {
                Json::Obj(fields) => fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
                _ => None,
            }
        }
        fn arr(&self) -> &[Json] {
            match self {
                Json::Arr(items) => items,
                other => panic!("expected an array, got {other:?}"),
            }
        }
        fn str(&self) -> &[u32] {
            match self {
                Json::Str(s) => s,
                other => panic!("expected a string, got {other:?}"),
            }
        }
    }

    struct Reader<'a> {
        text: &'a [u8],
        pos: usize,
    }

    impl<'a> Reader<'a> {
        fn new(text: &'a str) -> Self {
            Reader {
                text: text.as_bytes(),
                pos: 0,
            }
        }
        fn peek(&self) -> u8 {
            *self.text.get(self.pos).expect("unexpected end of JSON")
        }
        fn skip_ws(&mut self) {
            while self.pos < self.text.len() && self.text[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
        }
        fn expect(&mut self, b: u8) {
            self.skip_ws();
            assert_eq!(self.peek(), b, "JSON: expected {:?} at {}", b as char, self.pos);
            self.pos += 1;
        }
        fn value(&mut self) -> Json {
            self.skip_ws();
            match self.peek() {
                b'{' => {
                    self.pos += 1;
                    let mut fields = Vec::new();
                    self.skip_ws();
                    if self.peek() == b'}' {
                        self.pos += 1;
                        return Json::Obj(fields);
                    }
                    loop {
                        self.skip_ws();
                        let key = self.string();
                        self.expect(b':');
                        let v = self.value();
                        fields.push((key, v));
                        self.skip_ws();
                        let b = self.peek();
                        self.pos += 1;
                        match b {
                            b',' => continue,
                            b'}' => return Json::Obj(fields),
                            _ => panic!("JSON: bad object at {}", self.pos),
                        }
                    }
                }
                b'[' => {
                    self.pos += 1;
                    let mut items = Vec::new();
                    self.skip_ws();
                    if self.peek() == b']' {
                        self.pos += 1;
                        return Json::Arr(items);
                    }
                    loop {
                        items.push(self.value());
                        self.skip_ws();
                        let b = self.peek();
                        self.pos += 1;
                        match b {
                            b',' => continue,
                            b']' => return Json::Arr(items),
                            _ => panic!("JSON: bad array at {}", self.pos),
                        }
                    }
                }
                b'"' => Json::Str(self.string()),
                b't' => self.word("true", Json::Bool(true)),
                b'f' => self.word("false", Json::Bool(false)),
                b'n' => self.word("null", Json::Null),
                _ => {
                    let start = self.pos;
                    while self.pos < self.text.len()
                        && matches!(self.text[self.pos], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        self.pos += 1;
                    }
                    assert!(self.pos > start, "JSON: unexpected byte at {start}");
                    Json::Num(String::from_utf8_lossy(&self.text[start..self.pos]).into_owned())
                }
            }
        }
        fn word(&mut self, w: &str, v: Json) -> Json {
            assert!(self.text[self.pos..].starts_with(w.as_bytes()));
            self.pos += w.len();
            v
        }
        fn hex4(&mut self) -> u32 {
            let digits = std::str::from_utf8(&self.text[self.pos..self.pos + 4]).unwrap();
            self.pos += 4;
            u32::from_str_radix(digits, 16).unwrap()
        }
        fn string(&mut self) -> Vec<u32> {
            assert_eq!(self.peek(), b'"');
            self.pos += 1;
            let mut units: Vec<u32> = Vec::new();
            loop {
                let b = self.peek();
                match b {
                    b'"' => {
                        self.pos += 1;
                        return units;
                    }
                    b'\\' => {
                        self.pos += 1;
                        let e = self.peek();
                        self.pos += 1;
                        let c = match e {
                            b'"' => '"' as u32,
                            b'\\' => '\\' as u32,
                            b'/' => '/' as u32,
                            b'b' => 8,
                            b'f' => 12,
                            b'n' => 10,
                            b'r' => 13,
                            b't' => 9,
                            b'u' => {
                                let u = self.hex4();
                                let pair_follows = self.text[self.pos..].starts_with(b"\\u");
                                if (0xD800..0xDC00).contains(&u) && pair_follows {
                                    let save = self.pos;
                                    self.pos += 2;
                                    let lo = self.hex4();
                                    if (0xDC00..0xE000).contains(&lo) {
                                        0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                                    } else {
                                        self.pos = save;
                                        u
                                    }
                                } else {
                                    u
                                }
                            }
                            _ => panic!("JSON: bad escape at {}", self.pos),
                        };
                        units.push(c);
                    }
                    _ => {
                        // Raw UTF-8: decode one char (1 to 4 bytes).
                        let len = match b {
                            0x00..=0x7F => 1,
                            0xC0..=0xDF => 2,
                            0xE0..=0xEF => 3,
                            _ => 4,
                        };
                        let bytes = &self.text[self.pos..self.pos + len];
                        let ch = std::str::from_utf8(bytes).expect("JSON: bad UTF-8");
                        units.extend(ch.chars().map(u32::from));
                        self.pos += len;
                    }
                }
            }
        }
    }

    fn parse_json(text: &str) -> Json {
        let mut r = Reader::new(text);
        let v = r.value();
        r.skip_ws();
        assert_eq!(r.pos, r.text.len(), "JSON: trailing data");
        v
    }

    #[test]
    fn json_reader_keeps_lone_surrogates() {
        let v = parse_json(r#"["\udcff.py", "\ud83d\ude00", "\ud83d", "a\n\"é"]"#);
        let items = v.arr();
        assert_eq!(items[0].str(), &[0xDCFF, '.' as u32, 'p' as u32, 'y' as u32]);
        assert_eq!(items[1].str(), &[0x1F600]);
        assert_eq!(items[2].str(), &[0xD83D]);
        assert_eq!(items[3].str(), &cp("a\n\"é")[..]);
    }

    // ---- 1. the CPython oracle --------------------------------------------

    fn oracle_path() -> std::path::PathBuf {
        match std::env::var_os("TRACEMALLOC_ORACLE") {
            Some(p) => p.into(),
            None => concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/oracle/cases.json").into(),
        }
    }

    #[test]
    fn oracle_filter_match_frame() {
        let path = oracle_path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("oracle {} not found; skipping", path.display());
            return;
        };
        let doc = parse_json(&text);
        let candidates = doc.get("filter_match_candidates").expect("candidates").arr();
        let rows = doc.get("filter_match_frame").expect("rows").arr();
        assert_eq!(candidates.len(), 40);
        assert!(!rows.is_empty());
        let mut checked = 0;
        for row in rows {
            let pattern = row.get("pattern").unwrap().str();
            let normalized = row.get("normalized_pattern").unwrap().str();
            assert_eq!(normalize_filename(pattern, false), normalized, "pattern {pattern:?}");
            let expected: Vec<&[u32]> = row.get("matches").unwrap().arr().iter().map(Json::str).collect();
            let compiled = Pattern::compile(&normcase(normalized, false));
            for cand in candidates {
                let cand = cand.str();
                let got = compiled.matches(&normcase(&normalize_filename(cand, false), false));
                let want = expected.contains(&cand);
                assert_eq!(got, want, "pattern {pattern:?} candidate {cand:?}");
                checked += 1;
            }
        }
        eprintln!(
            "oracle: {} rows, {} (pattern, candidate) pairs agree",
            rows.len(),
            checked
        );
    }

    // ---- 2. hand tests (expected values observed with CPython 3.11.7) ------

    #[test]
    fn basics() {
        assert!(m("", ""));
        assert!(!m("a", ""));
        assert!(!m("", "a"));
        assert!(m("", "*"));
        assert!(m("abc", "a*"));
        assert!(m("abc", "*c"));
        assert!(m("abc", "a*****c"));
        assert!(!m("abd", "a*c"));
        assert!(m("aBC", "aBC"));
        assert!(!m("abc", "aBC"));
        assert!(m("abc", "a?c"));
        assert!(!m("ac", "a?c"));
        assert!(m("a/b/c", "a*c"));
        assert!(m("a\\b", "a?b"));
        assert!(m("a.b", "a.b"));
        assert!(!m("axb", "a.b"));
        assert!(m("(a)", "(a)"));
        assert!(m("a|b", "a|b"));
        assert!(m("$a", "$a"));
    }

    #[test]
    fn class_bracket_members() {
        // `[]]`
        assert!(m("]", "[]]"));
        assert!(!m("a", "[]]"));
        // `[!]]`
        assert!(!m("]", "[!]]"));
        assert!(m("a", "[!]]"));
        // `[]-a]`: range ']'..'a'
        assert!(m("]", "[]-a]"));
        assert!(m("^", "[]-a]"));
        assert!(m("_", "[]-a]"));
        assert!(m("a", "[]-a]"));
        assert!(!m("b", "[]-a]"));
        assert!(!m("-", "[]-a]"));
        // `[]` and `[!]` have no terminator: all literal.
        assert!(m("[]", "[]"));
        assert!(!m("]", "[]"));
        assert!(m("[!]", "[!]"));
        assert!(!m("a", "[!]"));
        assert!(!m("!", "[!]"));
        assert!(m("[!]x", "[!]x"));
        // `[]]]` = class {]} then literal ]
        assert!(m("]]", "[]]]"));
        assert!(!m("]", "[]]]"));
    }

    #[test]
    fn class_range_chunks() {
        // `a-b-c` inside a class: range a..b, literal '-', literal 'c'.
        for (n, want) in [
            ("a", true),
            ("b", true),
            ("-", true),
            ("c", true),
            ("d", false),
            ("B", false),
        ] {
            assert_eq!(m(n, "[a-b-c]"), want, "{n}");
        }
        // `[a-c-e]`: a..c, '-', 'e'; 'd' is not in it.
        for (n, want) in [
            ("a", true),
            ("b", true),
            ("c", true),
            ("d", false),
            ("e", true),
            ("-", true),
        ] {
            assert_eq!(m(n, "[a-c-e]"), want, "{n}");
        }
        // `[c-a]`: never matches; `[!c-a]`: any single code point.
        for n in ["a", "b", "c", "", "-", "!"] {
            assert!(!m(n, "[c-a]"), "{n:?}");
        }
        for (n, want) in [
            ("a", true),
            ("\n", true),
            ("!", true),
            ("-", true),
            ("", false),
            ("ab", false),
        ] {
            assert_eq!(m(n, "[!c-a]"), want, "{n:?}");
        }
        assert!(!m("abc", "[c-a]bc"));
        // `[b-ac]`: reversed range removed, leaving only 'c'.
        for (n, want) in [("a", false), ("b", false), ("c", true), ("-", false)] {
            assert_eq!(m(n, "[b-ac]"), want, "{n}");
        }
        // `[!b-a-c]`: chunks "!b" | "a-c" -> "!-c": not '-' and not 'c'.
        for (n, want) in [("a", true), ("b", true), ("-", false), ("c", false), ("d", true)] {
            assert_eq!(m(n, "[!b-a-c]"), want, "{n}");
        }
        // A reversed range brings a '!' to the front: the class becomes negated.
        for (n, want) in [("y", true), ("x", false), ("!", true), ("c", true)] {
            assert_eq!(m(n, "[c-a!x]"), want, "{n}");
        }
        // `[--/]`: range '-'..'/'.
        for (n, want) in [("-", true), (".", true), ("/", true), (",", false), ("0", false)] {
            assert_eq!(m(n, "[--/]"), want, "{n}");
        }
        // `[a-b--]`: a..b then a trailing literal hyphen... (observed).
        for (n, want) in [("a", true), ("b", true), ("-", true), ("c", false)] {
            assert_eq!(m(n, "[a-b--]"), want, "{n}");
        }
        // `[!-a]`: the hyphen right after '!' is a literal.
        for (n, want) in [("-", false), ("a", false), ("b", true), ("!", true)] {
            assert_eq!(m(n, "[!-a]"), want, "{n}");
        }
        // Trailing and leading hyphens are literals.
        for (n, want) in [("a", true), ("-", true), ("b", false)] {
            assert_eq!(m(n, "[a-]"), want, "{n}");
            assert_eq!(m(n, "[-a]"), want, "{n}");
        }
        assert!(m("-", "[-]"));
        assert!(!m("-", "[!-]"));
        assert!(m("x", "[!-]"));
    }

    #[test]
    fn class_literals_and_negation() {
        // `^` is not negation.
        for (n, want) in [("^", true), ("a", true), ("b", false)] {
            assert_eq!(m(n, "[^a]"), want, "{n}");
        }
        assert!(!m("^", "[!^]"));
        assert!(m("a", "[!^]"));
        // `[[]`, set-operation characters, metacharacters inside classes.
        assert!(m("[", "[[]"));
        assert!(m("&", "[&&]"));
        assert!(m("~", "[a~~]"));
        assert!(m("|", "[|]"));
        assert!(m("*", "[*]"));
        assert!(!m("a", "[*]"));
        assert!(m("?", "[?]"));
        assert!(!m("a", "[?]"));
        // A negated class matches a newline.
        assert!(m("\n", "[!a]"));
    }

    #[test]
    fn unclosed_brackets() {
        assert!(m("[", "["));
        assert!(!m("", "["));
        assert!(m("a[", "a["));
        assert!(!m("a[b", "a["));
        assert!(m("[ab", "[a*"));
        assert!(m("x[", "*["));
        assert!(m("[!", "[!"));
        assert!(m("[]a", "[]a"));
        // A '[' inside a class is a member: `[[b]` is the class {'[', 'b'}.
        assert!(m("[", "[[b]"));
        assert!(m("b", "[[b]"));
        assert!(!m("[b", "[[b]"));
        assert!(!m("[[b", "[[b]"));
        // `[[!]b]` is the class {'[', '!'} followed by "b]".
        assert!(m("[b]", "[[!]b]"));
        assert!(m("!b]", "[[!]b]"));
        assert!(!m("[b", "[[!]b]"));
        assert!(!m("[!b", "[[!]b]"));
    }

    #[test]
    fn backslashes_are_literals() {
        assert!(m("\\", "\\"));
        assert!(!m("a", "\\"));
        assert!(m("a\\*", "a\\*"));
        assert!(m("a\\b", "a\\*"));
        assert!(!m("a*", "a\\*"));
        assert!(m("\\", "[\\]"));
        assert!(!m("]", "[\\]"));
        assert!(m("\\]", "[\\]]"));
        assert!(m("a", "[\\-a]"));
        assert!(m("]", "[\\-a]"));
        assert!(!m("-", "[\\-a]"));
        assert!(m("ab\\", "ab\\"));
        assert!(m("ab\\", "*\\"));
    }

    #[test]
    fn astral_and_surrogates() {
        let smile = 0x1F600;
        assert!(fnmatchcase(&[smile], &cp("?")));
        assert!(!fnmatchcase(&[0xD83D, 0xDE00], &cp("?")));
        assert!(fnmatchcase(&[smile], &[OPEN, smile, CLOSE]));
        assert!(fnmatchcase(&[smile], &[OPEN, 'a' as u32, HYPHEN, 0x1F601, CLOSE]));
        assert!(!fnmatchcase(&[0x1F602], &[OPEN, 'a' as u32, HYPHEN, 0x1F601, CLOSE]));
        let dcff = 0xDCFF;
        let name = [dcff, '.' as u32, 'p' as u32, 'y' as u32];
        assert!(fnmatchcase(&name, &cp("*.py")));
        assert!(fnmatchcase(&name, &cp("?.py")));
        assert!(fnmatchcase(&name, &[dcff, STAR]));
        assert!(!fnmatchcase(&name, &[0xDCFE, STAR]));
        assert!(fnmatchcase(&[dcff], &[OPEN, 0xD800, HYPHEN, 0xDFFF, CLOSE]));
        assert!(!fnmatchcase(&[dcff], &[OPEN, BANG, 0xD800, HYPHEN, 0xDFFF, CLOSE]));
        assert!(fnmatchcase(&[smile], &[OPEN, BANG, 0xD800, HYPHEN, 0xDFFF, CLOSE]));
        assert_eq!(
            normalize_filename(&[dcff, '.' as u32, 'p' as u32, 'y' as u32, 'c' as u32], true),
            name
        );
        // Arbitrary u32 values do not panic.
        assert!(fnmatchcase(&[u32::MAX], &[OPEN, 0, HYPHEN, u32::MAX, CLOSE]));
        assert_eq!(normcase(&[u32::MAX, 'A' as u32], true), vec![u32::MAX, 'a' as u32]);
    }

    #[test]
    fn newlines() {
        assert!(m("a\nb", "a*b"));
        assert!(m("a\nb", "a?b"));
        assert!(m("\n", "*"));
        assert!(m("\n", "?"));
        assert!(m("a\n", "a*"));
        assert!(!m("a\n", "a"));
        assert!(m("a\nb", "*"));
        assert!(m("\n", "[\n]"));
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_filename(&cp("a.pyc"), false), cp("a.py"));
        assert_eq!(normalize_filename(&cp("a.PYC"), false), cp("a.PYC"));
        assert_eq!(normalize_filename(&cp("a.pyo"), false), cp("a.pyo"));
        assert_eq!(normalize_filename(&cp(".pyc"), false), cp(".py"));
        assert_eq!(normalize_filename(&cp("pyc"), false), cp("pyc"));
        assert_eq!(normalize_filename(&cp(""), false), cp(""));
        assert_eq!(normalize_filename(&cp("A/B.PY"), false), cp("A/B.PY"));
        assert_eq!(normcase(&cp("A/B.PYC"), false), cp("A/B.PYC"));
        // Windows: lowercase, '/' -> '\', then the ".pyc" rule.
        assert_eq!(normalize_filename(&cp("A/B.PYC"), true), cp("a\\b.py"));
        assert_eq!(normcase(&cp("A/B.PYC"), true), cp("a\\b.pyc"));
        assert_eq!(normcase(&cp("C:/Dir\\x"), true), cp("c:\\dir\\x"));
        // Full lowercase, as Python's str.lower() (values from CPython 3.11.7).
        assert_eq!(normcase(&cp("İ"), true), cp("i\u{307}"));
        assert_eq!(normcase(&cp("ΑΣ"), true), cp("ας"));
        assert_eq!(normcase(&cp("ΑΣ.py"), true), cp("ασ.py"));
        assert_eq!(normcase(&cp("ΑΣ/"), true), cp("ας\\"));
        assert_eq!(normcase(&cp("Σ"), true), cp("σ"));
        assert_eq!(normcase(&[0x391, 0x3A3, 0xDCFF], true), vec![0x3B1, 0x3C2, 0xDCFF]);
        assert_eq!(normcase(&[0x391, 0xDCFF, 0x3A3], true), vec![0x3B1, 0xDCFF, 0x3C3]);
        assert_eq!(normcase(&cp("ÉÀ😀"), true), cp("éà😀"));
    }

    // ---- 3. differential fuzz cases generated with CPython ------------------

    #[test]
    fn fuzz_fixture_agrees_with_cpython() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fnmatch_cases.txt");
        let path = std::env::var("FNMATCH_FIXTURE").unwrap_or_else(|_| path.to_string());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut count = 0usize;
        let mut positives = 0usize;
        for (lineno, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(p), Some(n), Some(e), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
                panic!("{path}:{}: malformed line", lineno + 1);
            };
            let pat = parse_json(p);
            let name = parse_json(n);
            let want = match e {
                "1" => true,
                "0" => false,
                _ => panic!("{path}:{}: bad expectation", lineno + 1),
            };
            let got = fnmatchcase(name.str(), pat.str());
            assert_eq!(got, want, "{path}:{}: pattern {p} name {n}", lineno + 1);
            count += 1;
            positives += usize::from(want);
        }
        assert!(count >= 1000, "only {count} fixture cases");
        eprintln!("fuzz fixture: {count} cases agree ({positives} matches)");
    }

    /// Deterministic xorshift64.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn random_inputs_do_not_panic() {
        let alphabet: Vec<u32> = "ab-!][*?\\^"
            .chars()
            .map(u32::from)
            .chain([0, 0xDCFF, 0x1F600, u32::MAX])
            .collect();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let plen = rng.below(12) as usize;
            let nlen = rng.below(12) as usize;
            let pat: Vec<u32> = (0..plen)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            let name: Vec<u32> = (0..nlen)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            let compiled = Pattern::compile(&pat);
            // Every pattern matches itself unless it has a metacharacter.
            let plain = !pat.iter().any(|c| matches!(*c, STAR | QUESTION | OPEN));
            if plain {
                assert!(compiled.matches(&pat));
            }
            let _ = compiled.matches(&name);
            let _ = normalize_filename(&name, true);
        }
    }

    // ---- 4. no exponential blow-up ----------------------------------------

    #[test]
    fn pathological_patterns_are_fast() {
        let start = Instant::now();
        let name = vec!['a' as u32; 5000];
        assert!(!m(&"a".repeat(5000), "*a*a*a*a*a*a*a*a*b"));
        assert!(Pattern::compile(&cp("*a*a*a*a*a*a*a*a*a")).matches(&name));
        assert!(!Pattern::compile(&cp("*a*a*a*a*a*a*a*a*[!a]")).matches(&name));
        assert!(!Pattern::compile(&cp(&"*a".repeat(200))).matches(&name[..100]));
        assert!(Pattern::compile(&cp(&"*a".repeat(200))).matches(&name));
        let mut long_pat = cp(&"*?".repeat(2000));
        long_pat.push('b' as u32);
        assert!(!Pattern::compile(&long_pat).matches(&name));
        // A huge class and a huge negated class.
        let mut class = vec![OPEN, BANG];
        class.extend((0..20_000u32).flat_map(|i| [i * 3, HYPHEN, i * 3 + 1]));
        class.push(CLOSE);
        let _ = Pattern::compile(&class).matches(&[7]);
        // Long classes full of reversed ranges compile in linear time
        // (CPython 3.11.7: both are False for "a", the second True for "z").
        let reversed = format!("[{}]", "zb-a".repeat(50_000));
        assert!(!m("a", &reversed));
        assert!(m("z", &reversed));
        let reversed = format!("[{}]", "b-a-".repeat(50_000));
        assert!(!m("a", &reversed));
        assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    }
}
