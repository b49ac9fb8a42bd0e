//! Round trips, compatibility rules, and hostile files at the crate level.

use std::collections::BTreeMap;

use tracemalloc_core::wtf8;
use tracemalloc_core::{Columns, ErrorKind, Snapshot, NONE};

use super::codec::{pack, FRAME_BYTES};
use super::encoding::{put_column, put_varint};
use super::header::{read_header, write_header_as, Codec, Entry, SectionId, ENTRY_LEN, HEADER_LEN, MAJOR, MINOR};
use super::*;
use crate::{Meta, Mode};

/// One trace with its traceback spelled out, for comparing snapshots built
/// on different tables.
type Flat = (u32, u64, u64, Vec<(Vec<u8>, u32, u32, Option<Vec<u8>>)>, u32);

fn flatten(s: &Snapshot) -> Vec<Flat> {
    let t = s.tables();
    let mut out: Vec<Flat> = (0..s.len())
        .map(|i| {
            let tb = t.tracebacks()[s.tracebacks()[i] as usize];
            let frames = t
                .seq(tb.seq)
                .iter()
                .map(|&f| {
                    let r = t.frames()[f as usize];
                    let func = (r.func != NONE).then(|| t.str_bytes(r.func).to_vec());
                    (t.str_bytes(r.file).to_vec(), r.line, r.col, func)
                })
                .collect();
            let w = s.weights().map_or(1.0, |w| w[i]);
            (s.domains()[i], s.sizes()[i], w.to_bits(), frames, tb.total_nframe)
        })
        .collect();
    out.sort();
    out
}

struct Spec {
    strings: Vec<Vec<u8>>,
    frames: Vec<u32>,
    seq_ends: Vec<u32>,
    seq_frames: Vec<u32>,
    tracebacks: Vec<u32>,
    domain: Vec<u32>,
    size: Vec<f64>,
    traceback: Vec<u32>,
    weight: Option<Vec<f64>>,
}

impl Spec {
    fn build(&self) -> Snapshot {
        Snapshot::from_columns(Columns {
            strings: self.strings.clone(),
            frames: &self.frames,
            seq_ends: &self.seq_ends,
            seq_frames: &self.seq_frames,
            tracebacks: &self.tracebacks,
            domain: &self.domain,
            size: &self.size,
            traceback: &self.traceback,
            weight: self.weight.as_deref(),
        })
        .unwrap()
    }
}

/// A small snapshot with every feature: JavaScript and CPython frames, no
/// function name, lone surrogates, an empty traceback, an unknown
/// total_nframe, several domains, a zero size, sizes over 2^32, weights, and
/// table entries no trace uses.
fn rich(weighted: bool) -> Snapshot {
    let mut lone = b"/app/\xed\xa0\x80.js".to_vec();
    lone.extend_from_slice("/é😀".as_bytes());
    let spec = Spec {
        strings: vec![
            b"/app/a.js".to_vec(),
            b"alloc".to_vec(),
            lone,
            b"main".to_vec(),
            b"unused.js".to_vec(),
            b"script.py".to_vec(),
        ],
        frames: vec![
            0, 10, 5, 1, // a.js:10:5 alloc
            2, 1, 1, 3, // lone:1:1 main
            5, 7, 0, NONE, // script.py:7
            4, 1, 1, NONE, // unused
        ],
        seq_ends: vec![2, 3, 3, 4],
        seq_frames: vec![0, 1, 2, 3],
        tracebacks: vec![0, 2, 1, NONE, 2, 0, 3, 1, 0, 7],
        domain: vec![0, 0, 1, 0, 7, 0, 1, u32::MAX, 0],
        size: vec![
            16.0,
            32.0,
            0.0,
            (1u64 << 40) as f64,
            8.0,
            16.0,
            24.0,
            5.0,
            ((1u64 << 53) - 1) as f64,
        ],
        traceback: vec![0, 1, 2, 0, 0, 4, 0, 2, 1],
        weight: weighted.then(|| vec![2.5, 1.0, 3.0, 2.5, 1.5, 1.0, 2.5, 4.0, 1e-3]),
    };
    spec.build()
}

fn meta() -> Meta {
    let mut m = Meta::with_limit(10);
    m.mode = Some(Mode::Sampled);
    m.sampling_interval = Some(32768.0);
    m.pid = Some(42);
    m.extra
        .insert("futureKey".into(), serde_json::json!({ "nested": [1, 2] }));
    m
}

fn load(bytes: &[u8]) -> tracemalloc_core::Result<(Snapshot, Meta)> {
    from_bytes(bytes, &Limits::default())
}

#[test]
fn round_trips_every_feature() {
    for weighted in [false, true] {
        let snap = rich(weighted);
        let bytes = to_bytes(&snap, &meta());
        let (back, m) = load(&bytes).unwrap();
        assert_eq!(flatten(&back), flatten(&snap));
        assert_eq!(back.weights().is_some(), weighted);
        assert_eq!(m, meta());
        assert_eq!(back.total_size(), snap.total_size());
    }
}

#[test]
fn an_empty_snapshot_round_trips() {
    let snap = Spec {
        strings: vec![],
        frames: vec![],
        seq_ends: vec![],
        seq_frames: vec![],
        tracebacks: vec![],
        domain: vec![],
        size: vec![],
        traceback: vec![],
        weight: None,
    }
    .build();
    let (back, m) = load(&to_bytes(&snap, &Meta::with_limit(1))).unwrap();
    assert!(back.is_empty());
    assert_eq!(back.tables().tracebacks().len(), 0);
    assert_eq!(m.traceback_limit, 1);
}

#[test]
fn no_traces_over_full_tables_round_trip() {
    let snap = rich(true).select(&[]);
    assert_eq!(snap.tables().tracebacks().len(), 5);
    let (back, _) = load(&to_bytes(&snap, &meta())).unwrap();
    assert!(back.is_empty());
    assert_eq!(back.tables().tracebacks().len(), 0, "nothing to keep");
}

#[test]
fn traces_are_grouped_by_traceback_in_their_order_and_tables_pruned() {
    let snap = rich(false);
    let (back, _) = load(&to_bytes(&snap, &meta())).unwrap();
    let t = back.tables();
    // Only what the traces use is kept: 'unused.js' and its frame are gone.
    assert_eq!(t.str_count(), 5);
    assert_eq!(t.frames().len(), 3);
    assert_eq!(t.tracebacks().len(), 4);
    let tbs = back.tracebacks().to_vec();
    let mut sorted = tbs.clone();
    sorted.sort();
    assert_eq!(tbs, sorted, "grouped by traceback");
    // Inside a group, the original order stays.
    let group: Vec<(u32, u64)> = (0..back.len())
        .filter(|&i| back.tracebacks()[i] == 0)
        .map(|i| (back.domains()[i], back.sizes()[i]))
        .collect();
    assert_eq!(group, vec![(0, 16), (0, 1 << 40), (7, 8), (1, 24)]);
}

#[test]
fn large_sections_span_several_zstd_frames() {
    let n = FRAME_BYTES + 1000;
    let spec = Spec {
        strings: vec![b"a.js".to_vec()],
        frames: vec![0, 1, 1, NONE],
        seq_ends: vec![1],
        seq_frames: vec![0],
        tracebacks: vec![0, 1],
        domain: vec![0; n],
        size: (0..n).map(|i| (i % 251) as f64).collect(),
        traceback: vec![0; n],
        weight: Some((0..n).map(|i| 1.0 + (i % 7) as f64).collect()),
    };
    let snap = spec.build();
    let bytes = to_bytes(&snap, &Meta::with_limit(1));
    let h = read_header(&bytes).unwrap();
    let sizes = h.entries.iter().find(|e| e.id == SectionId::TraceSizes as u32).unwrap();
    assert_eq!(sizes.codec, Codec::Zstd as u16);
    assert!(sizes.raw_len > FRAME_BYTES as u64);
    let (back, _) = load(&bytes).unwrap();
    assert_eq!(back.sizes(), snap.sizes());
    assert_eq!(back.weights(), snap.weights());
}

#[test]
fn many_distinct_weights_use_planes() {
    let n = 1000;
    let spec = Spec {
        strings: vec![b"a.js".to_vec()],
        frames: vec![0, 1, 1, NONE],
        seq_ends: vec![1],
        seq_frames: vec![0],
        tracebacks: vec![0, 1],
        domain: vec![0; n],
        size: vec![8.0; n],
        traceback: vec![0; n],
        weight: Some((0..n).map(|i| 1.0 + i as f64 / 7.0).collect()),
    };
    let snap = spec.build();
    let (back, _) = load(&to_bytes(&snap, &Meta::with_limit(1))).unwrap();
    assert_eq!(back.weights(), snap.weights());
}

#[test]
fn dump_file_and_load_file_name_the_file() {
    let dir = std::env::temp_dir().join(format!("tracemalloc-native-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.tms");
    let snap = rich(true);
    dump_file(&path, &snap, &meta()).unwrap();
    let (back, m) = load_file(&path, &Limits::default()).unwrap();
    assert_eq!(flatten(&back), flatten(&snap));
    assert_eq!(m, meta());
    std::fs::write(&path, b"hello, world, this is no snapshot").unwrap();
    let e = load_file(&path, &Limits::default()).err().unwrap();
    assert!(
        e.message
            .starts_with(&format!("{}: not a tracemalloc snapshot file", path.display())),
        "{e}"
    );
    let missing = dir.join("missing.tms");
    let e = load_file(&missing, &Limits::default()).err().unwrap();
    assert!(
        e.message.contains("cannot read") && e.message.contains("missing.tms"),
        "{e}"
    );
    let e = dump_file(&dir.join("no/such/dir.tms"), &snap, &meta()).unwrap_err();
    assert!(
        e.message.contains("cannot write") && e.message.contains("no/such/dir.tms"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// ------------------------------------------------------------ crafted files

/// A file taken apart: version and each section's id, codec and raw payload.
struct Parts {
    major: u16,
    minor: u16,
    sections: Vec<(u32, Vec<u8>)>,
}

fn parts(bytes: &[u8]) -> Parts {
    let h = read_header(bytes).unwrap();
    let sections = h
        .entries
        .iter()
        .map(|e| {
            let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
            (e.id, super::codec::unpack(e, stored).unwrap())
        })
        .collect();
    Parts {
        major: MAJOR,
        minor: h.minor,
        sections,
    }
}

/// Writes `p` back as a well-formed file: checksums and sizes all right,
/// so only what the test changed is wrong.
fn assemble(p: Parts) -> Vec<u8> {
    let packed: Vec<_> = p.sections.into_iter().map(|(id, raw)| pack(id, raw, true)).collect();
    let mut offset = (HEADER_LEN + ENTRY_LEN * packed.len()) as u64;
    let entries: Vec<Entry> = packed
        .iter()
        .map(|s| {
            let e = Entry {
                id: s.id,
                codec: s.codec as u16,
                offset,
                stored_len: s.stored_len(),
                raw_len: s.raw_len,
                crc32: s.crc32(),
            };
            offset += e.stored_len;
            e
        })
        .collect();
    let mut out = write_header_as(&entries, offset, p.major, p.minor);
    for s in packed {
        for piece in s.pieces {
            out.extend_from_slice(&piece);
        }
    }
    out
}

fn with_section(bytes: &[u8], id: SectionId, payload: Vec<u8>) -> Vec<u8> {
    let mut p = parts(bytes);
    p.sections.iter_mut().find(|s| s.0 == id as u32).unwrap().1 = payload;
    assemble(p)
}

/// A payload: a count, then one column per slice of values.
fn payload(count: u64, columns: &[&[u64]]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, count);
    for col in columns {
        put_column(&mut out, col.len(), |i| col[i], None, None);
    }
    out
}

fn err_of(bytes: &[u8]) -> String {
    match load(bytes) {
        Ok(_) => panic!("loaded a bad file"),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Format, "{}", e.message);
            e.message
        }
    }
}

#[test]
fn assemble_is_faithful() {
    let bytes = to_bytes(&rich(true), &meta());
    assert_eq!(assemble(parts(&bytes)), bytes);
}

#[test]
fn a_later_minor_version_with_new_sections_and_fields_loads() {
    let bytes = to_bytes(&rich(true), &meta());
    let mut p = parts(&bytes);
    p.minor = MINOR + 1;
    p.sections.insert(3, (99, b"a section from the future".to_vec()));
    for (_, payload) in p.sections.iter_mut().filter(|s| s.0 != SectionId::Meta as u32) {
        payload.extend_from_slice(b"appended fields");
    }
    let (back, m) = load(&assemble(p)).unwrap();
    assert_eq!(flatten(&back), flatten(&rich(true)));
    assert_eq!(m, meta());
    // The same trailing bytes in a file of this minor are corruption.
    let mut p = parts(&bytes);
    p.sections[1].1.push(0);
    let e = err_of(&assemble(p));
    assert!(
        e.contains("section 'strings'") && e.contains("1 unexpected bytes at the end"),
        "{e}"
    );
}

#[test]
fn an_unknown_major_version_names_both_versions() {
    let bytes = to_bytes(&rich(false), &meta());
    let mut p = parts(&bytes);
    p.major = 2;
    p.minor = 3;
    let e = err_of(&assemble(p));
    assert_eq!(
        e,
        format!(
            "snapshot file format version 2.3 is not supported: this version of tracemalloc reads format version {MAJOR}.x (it writes {MAJOR}.{MINOR})"
        )
    );
}

#[test]
fn wrong_magic_and_pickles_are_refused() {
    let e = err_of(b"");
    assert!(e.starts_with("not a tracemalloc snapshot file"), "{e}");
    let mut bytes = to_bytes(&rich(false), &meta());
    bytes[1] = b'X';
    assert!(err_of(&bytes).starts_with("not a tracemalloc snapshot file"));
    let pickle = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x0btracemalloc";
    assert!(err_of(pickle).contains("looks like a Python pickle"));
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = to_bytes(&rich(true), &meta());
    for len in 0..bytes.len() {
        let e = err_of(&bytes[..len]);
        assert!(
            e.contains("truncated") || e.contains("not a tracemalloc snapshot file"),
            "at {len}: {e}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(err_of(&longer).contains("longer than written"));
}

#[test]
fn every_bit_flip_is_an_error() {
    let bytes = to_bytes(&rich(true), &meta());
    let h = read_header(&bytes).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for byte in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[byte] ^= 1 << bit;
            let e = err_of(&b);
            let place = if byte < 8 {
                "magic".to_string()
            } else if byte < HEADER_LEN + ENTRY_LEN * h.entries.len() {
                "header".to_string()
            } else {
                let s = h
                    .entries
                    .iter()
                    .find(|s| (s.offset..s.offset + s.stored_len).contains(&(byte as u64)))
                    .unwrap();
                assert!(e.contains(&format!("section {} (bytes", s.label())), "byte {byte}: {e}");
                assert!(e.contains("is corrupt: its crc32"), "byte {byte}: {e}");
                s.label()
            };
            *seen.entry(place).or_default() += 1;
        }
    }
    // Every section was hit, and the header and directory too.
    assert_eq!(seen.len(), 2 + h.entries.len(), "{seen:?}");
}

#[test]
fn header_and_directory_damage_is_named() {
    let bytes = to_bytes(&rich(false), &meta());
    let mut b = bytes.clone();
    b[HEADER_LEN + 9] ^= 0x40; // an entry's offset
    assert!(err_of(&b).contains("the header or the section directory is corrupt"));
    // A directory that claims more sections than the file can hold.
    let mut p = bytes.clone();
    p[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(err_of(&p).contains("lists 4294967295 sections"));
}

/// Rewrites the header and directory with these entries (checksums right).
fn with_entries(bytes: &[u8], f: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let h = read_header(bytes).unwrap();
    let mut entries = h.entries.clone();
    f(&mut entries);
    let mut out = write_header_as(&entries, bytes.len() as u64, MAJOR, h.minor);
    out.extend_from_slice(&bytes[HEADER_LEN + ENTRY_LEN * h.entries.len()..]);
    out
}

/// 5000 traces of one size: every trace section compresses.
fn big() -> Snapshot {
    Spec {
        strings: vec![b"a".to_vec()],
        frames: vec![0, 1, 1, NONE],
        seq_ends: vec![1],
        seq_frames: vec![0],
        tracebacks: vec![0, 1],
        domain: vec![0; 5000],
        size: vec![64.0; 5000],
        traceback: vec![0; 5000],
        weight: None,
    }
    .build()
}

#[test]
fn directory_entries_are_checked() {
    let bytes = to_bytes(&big(), &meta());
    let sizes = |e: &mut Vec<Entry>| e.iter().position(|x| x.id == SectionId::TraceSizes as u32).unwrap();
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].offset = u64::MAX - 2;
    }));
    assert!(
        e.contains("section 'trace sizes'") && e.contains("outside the sections area"),
        "{e}"
    );
    let e = err_of(&with_entries(&bytes, |e| {
        let a = e[1].offset;
        e[2].offset = a;
    }));
    assert!(e.contains("overlap"), "{e}");
    let e = err_of(&with_entries(&bytes, |e| {
        e[2].id = e[1].id;
    }));
    assert!(e.contains("appears twice"), "{e}");
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].id = 1000;
    }));
    assert_eq!(e, "the required section 'trace sizes' is missing");
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].codec = 7;
    }));
    assert!(e.contains("codec 7"), "{e}");
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].raw_len = 1 << 50;
    }));
    assert!(e.contains("over the limit"), "{e}");
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].raw_len = e[i].stored_len * 40_000;
    }));
    assert!(
        e.contains("more than its") && e.contains("stored bytes of zstd can hold"),
        "{e}"
    );
    let e = err_of(&with_entries(&bytes, |e| {
        let i = sizes(e);
        e[i].raw_len += 1;
    }));
    assert!(e.contains("zstd frames declare"), "{e}");
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let bytes = to_bytes(&rich(true), &meta());
    let huge = |tail: &[u8]| {
        let mut v = Vec::new();
        put_varint(&mut v, u64::from(u32::MAX) - 5);
        v.extend_from_slice(tail);
        v
    };
    let cases = [
        (SectionId::Strings, "string count is 4294967290"),
        (SectionId::Frames, "frame count is 4294967290"),
        (SectionId::Sequences, "sequence count is 4294967290"),
        (SectionId::Tracebacks, "traceback count is 4294967290"),
        (SectionId::TraceRuns, "run count is 4294967290"),
    ];
    for (id, want) in cases {
        let e = err_of(&with_section(&bytes, id, huge(&[0; 8])));
        assert!(
            e.contains(&format!("section '{}'", id.name())) && e.contains(want),
            "{e}"
        );
    }
    let e = err_of(&with_section(&bytes, SectionId::TraceSizes, huge(&[4, 0, 0, 0])));
    assert!(
        e.contains("trace sizes: 4294967290 values of 4 bytes do not fit in the 3 bytes left"),
        "{e}"
    );
    let limits = Limits {
        max_traces: 3,
        ..Limits::default()
    };
    let e = match from_bytes(&bytes, &limits) {
        Err(e) => e.message,
        Ok(_) => panic!("over the trace limit"),
    };
    assert!(e.contains("over the limit of 3"), "{e}");
    // Lengths that add up to more than the payload.
    let mut strings = payload(2, &[&[u64::from(u32::MAX), 1]]);
    strings.push(b'x');
    let e = err_of(&with_section(&bytes, SectionId::Strings, strings));
    assert!(
        e.contains("the string lengths add up to 4294967296 bytes, but 1 remain"),
        "{e}"
    );
    let e = err_of(&with_section(
        &bytes,
        SectionId::Sequences,
        payload(1, &[&[u64::from(u32::MAX)]]),
    ));
    assert!(
        e.contains("the sequence lengths add up to 4294967295 frames, but only 0 bytes remain"),
        "{e}"
    );
    // A column wider than its values may be, and one longer than the payload.
    let e = err_of(&with_section(&bytes, SectionId::Frames, vec![1, 5, 1, 2, 3, 4, 5]));
    assert!(e.contains("frame files: width 5 is outside 1..=4"), "{e}");
    let e = err_of(&with_section(
        &bytes,
        SectionId::Frames,
        vec![2, 4, 1, 2, 3, 4, 5, 6, 7, 8, 4],
    ));
    assert!(
        e.contains("frame lines: 2 values of 4 bytes do not fit in the 0 bytes left"),
        "{e}"
    );
    // Runs that cover more traces than there are sizes.
    let runs = payload(1, &[&[0], &[0], &[u64::from(u32::MAX)]]);
    let e = err_of(&with_section(&bytes, SectionId::TraceRuns, runs));
    assert_eq!(
        e,
        "section 'trace runs': run 0 takes the trace count past 9, the number of sizes"
    );
}

#[test]
fn dangling_ids_and_bad_values_are_refused() {
    let bytes = to_bytes(&rich(true), &meta());
    let enc = |vals: &[u64]| {
        let mut v = Vec::new();
        for &x in vals {
            put_varint(&mut v, x);
        }
        v
    };
    let e = err_of(&with_section(
        &bytes,
        SectionId::Frames,
        payload(1, &[&[9], &[1], &[1], &[0]]),
    ));
    assert_eq!(e, "section 'frames': frame 0 names string 9, but there are 5 strings");
    let e = err_of(&with_section(
        &bytes,
        SectionId::Frames,
        payload(1, &[&[0], &[1], &[1], &[6]]),
    ));
    assert_eq!(
        e,
        "section 'frames': frame 0's function names string 5, but there are 5 strings"
    );
    let e = err_of(&with_section(&bytes, SectionId::Sequences, payload(1, &[&[1], &[77]])));
    assert_eq!(
        e,
        "section 'sequences': sequence 0 names frame 77, but there are 3 frames"
    );
    let e = err_of(&with_section(&bytes, SectionId::Tracebacks, payload(1, &[&[20], &[0]])));
    assert_eq!(e, "section 'tracebacks': traceback 0 names sequence -10");
    let e = err_of(&with_section(&bytes, SectionId::Tracebacks, payload(1, &[&[5], &[0]])));
    assert_eq!(
        e,
        "section 'tracebacks': traceback 0 names sequence 3, but there are 3 sequences"
    );
    let e = err_of(&with_section(
        &bytes,
        SectionId::TraceRuns,
        payload(1, &[&[50], &[0], &[8]]),
    ));
    assert_eq!(
        e,
        "section 'trace runs': traceback 50 is used, but the file has 4 tracebacks"
    );
    let mut sizes = enc(&[9, 8]);
    sizes.extend_from_slice(&[0xff; 72]);
    let e = err_of(&with_section(&bytes, SectionId::TraceSizes, sizes));
    assert!(e.contains("not below 2^53"), "{e}");
    let mut weights = enc(&[9, 0, 1]);
    weights.extend_from_slice(&f64::NAN.to_le_bytes());
    weights.push(1);
    weights.extend_from_slice(&[0; 9]);
    let e = err_of(&with_section(&bytes, SectionId::TraceWeights, weights));
    assert!(e.contains("weight 0 is NaN"), "{e}");
    let mut weights = enc(&[9, 0, 1]);
    weights.extend_from_slice(&1.5f64.to_le_bytes());
    weights.push(1);
    weights.extend_from_slice(&[0, 0, 0, 0, 3, 0, 0, 0, 0]);
    let e = err_of(&with_section(&bytes, SectionId::TraceWeights, weights));
    assert!(e.contains("trace 4 uses weight 3, but the dictionary holds 1"), "{e}");
    let mut strings = payload(1, &[&[2]]);
    strings.extend_from_slice(&[0xc0, 0x80]);
    let e = err_of(&with_section(&bytes, SectionId::Strings, strings));
    assert!(e.contains("string 0 is not valid WTF-8"), "{e}");
    let e = err_of(&with_section(&bytes, SectionId::Meta, b"{\"mode\":1}".to_vec()));
    assert!(e.starts_with("section 'meta': metadata is not valid"), "{e}");
}

#[test]
fn duplicate_table_entries_are_merged() {
    // A writer may repeat a string or frame; ids are remapped on load.
    let bytes = to_bytes(&rich(false), &meta());
    let mut p = parts(&bytes);
    let strings = &mut p
        .sections
        .iter_mut()
        .find(|s| s.0 == SectionId::Strings as u32)
        .unwrap()
        .1;
    // Same strings again, plus a duplicate of string 0 at the end (unused).
    let mut c = super::encoding::Cursor::new("t", strings);
    let n = c.varint("n").unwrap() as usize;
    let mut lens = c.column("l", n, 4, |v| v).unwrap();
    lens.push(lens[0]);
    let rest = c.take(c.remaining(), "rest").unwrap().to_vec();
    let mut out = payload(n as u64 + 1, &[&lens]);
    out.extend_from_slice(&rest);
    out.extend_from_slice(&rest[..lens[0] as usize]);
    *strings = out;
    let (back, _) = load(&assemble(p)).unwrap();
    assert_eq!(flatten(&back), flatten(&rich(false)));
    assert_eq!(back.tables().str_count(), 5);
}

#[test]
fn stored_and_compressed_sections_both_load() {
    let bytes = to_bytes(&rich(true), &meta());
    let h = read_header(&bytes).unwrap();
    assert!(h.entries.iter().any(|e| e.codec == Codec::Stored as u16));
    let h = read_header(&to_bytes(&big(), &Meta::with_limit(1))).unwrap();
    assert!(h.entries.iter().any(|e| e.codec == Codec::Zstd as u16));
}

#[test]
fn files_with_every_section_stored_load() {
    let snap = rich(true);
    let bytes = to_bytes_stored(&snap, &meta());
    assert!(read_header(&bytes)
        .unwrap()
        .entries
        .iter()
        .all(|e| e.codec == Codec::Stored as u16));
    let (back, _) = load(&bytes).unwrap();
    assert_eq!(flatten(&back), flatten(&snap));
}

#[test]
fn lone_surrogates_survive() {
    let snap = rich(false);
    let (back, _) = load(&to_bytes(&snap, &meta())).unwrap();
    let t = back.tables();
    let found = (0..t.str_count() as u32).any(|i| {
        let mut u = Vec::new();
        wtf8::push_to_utf16(t.str_bytes(i), &mut u);
        u.contains(&0xd800)
    });
    assert!(found);
}
