//! The bottom layer: bounded file reads and times, which configuration, certificates
//! and logs all need. It imports nothing of this crate (docs/architecture.md).

pub mod read;
pub mod time;

/// Parses `1.27.2` into a version triple.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.trim().split('.').map(|p| p.parse::<u32>());
    let a = it.next()?.ok()?;
    let b = it.next().unwrap_or(Ok(0)).ok()?;
    let c = it.next().unwrap_or(Ok(0)).ok()?;
    Some((a, b, c))
}
