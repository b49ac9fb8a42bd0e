//! Rules both capture modes apply to a raw V8 stack before it becomes a
//! traceback.

/// Deepest stack depth a traceback records in `total_nframe`, as CPython
/// saturates its `total_nframe` at 65535 (`MAX_NFRAME`): deeper stacks say
/// 65535.
pub const MAX_TOTAL_NFRAME: u32 = 65535;

/// A stack's depth as a traceback's `total_nframe`: saturated at
/// [`MAX_TOTAL_NFRAME`].
pub fn cap_total_nframe(depth: u32) -> u32 {
    depth.min(MAX_TOTAL_NFRAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_saturates_at_cpython_limit() {
        assert_eq!(cap_total_nframe(0), 0);
        assert_eq!(cap_total_nframe(65534), 65534);
        assert_eq!(cap_total_nframe(65535), 65535);
        assert_eq!(cap_total_nframe(100_000), 65535);
        assert_eq!(cap_total_nframe(u32::MAX), 65535);
    }
}
