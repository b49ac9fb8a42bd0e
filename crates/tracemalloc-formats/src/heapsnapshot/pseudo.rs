//! Pseudo-frames: where a heap snapshot node without an allocation stack is
//! charged, so that `statistics` groups such nodes the way a heap viewer's
//! summary does, by type and constructor.
//!
//! A node of V8 type `T` named `N` gets one frame, with line 0 and no column:
//!
//! * file `<heap T>`: `<heap object>`, `<heap closure>`, `<heap string>`,
//!   `<heap code>`, `<heap hidden>`, `<heap native>`, `<heap array>`...;
//! * function `N` when the type's names are classes: the constructor for
//!   objects (`Map`, `Foo`), the function name for closures, V8's
//!   `system / ...` names for its internal objects. Types whose names are
//!   values (strings, numbers, regexps, symbols, bigints) get no function,
//!   nor do empty names (an anonymous closure keeps `""`).
//!
//! So `String(stat)` reads `<heap object>:Foo: size=1.5 MiB, count=20000,
//! average=80 B` for `'lineno'` and `'function'`, `<heap string>:0` for
//! strings, and `statistics('filename')` sums by type.

/// V8 node types whose node names are values, not classes.
const VALUE_TYPES: &[&[u8]] = &[
    b"string",
    b"concatenated string",
    b"sliced string",
    b"number",
    b"regexp",
    b"symbol",
    b"bigint",
];

/// True when nodes of V8 type `type_name` are named by a class (their name
/// is kept as the pseudo-frame's function).
pub(crate) fn names_a_class(type_name: &[u8]) -> bool {
    !VALUE_TYPES.contains(&type_name)
}

/// The pseudo-frame of a node of type `type_name` named `name` (`name` is
/// ignored for value types): its file and, if any, its function.
pub(crate) fn pseudo_frame<'a>(type_name: &[u8], name: &'a [u8]) -> (Vec<u8>, Option<&'a [u8]>) {
    let mut file = Vec::with_capacity(type_name.len() + 7);
    file.extend_from_slice(b"<heap ");
    file.extend_from_slice(type_name);
    file.push(b'>');
    let func = (names_a_class(type_name) && (!name.is_empty() || type_name == b"closure")).then_some(name);
    (file, func)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_by_constructor_values_by_type() {
        assert_eq!(
            pseudo_frame(b"object", b"Foo"),
            (b"<heap object>".to_vec(), Some(&b"Foo"[..]))
        );
        assert_eq!(pseudo_frame(b"string", b"hello"), (b"<heap string>".to_vec(), None));
        assert_eq!(
            pseudo_frame(b"closure", b""),
            (b"<heap closure>".to_vec(), Some(&b""[..]))
        );
        assert_eq!(pseudo_frame(b"array", b""), (b"<heap array>".to_vec(), None));
        assert_eq!(
            pseudo_frame(b"hidden", b"system / Map"),
            (b"<heap hidden>".to_vec(), Some(&b"system / Map"[..]))
        );
    }
}
