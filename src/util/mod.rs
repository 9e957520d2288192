//! The bottom layer: bounded file reads and times, which configuration, certificates
//! and logs all need. It imports nothing of this crate (docs/architecture.md).

pub mod pages;
pub mod read;
pub mod time;
pub mod timings;

/// Parses `1.27.2` into a version triple.
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.trim().split('.').map(|p| p.parse::<u32>());
    let a = it.next()?.ok()?;
    let b = it.next().unwrap_or(Ok(0)).ok()?;
    let c = it.next().unwrap_or(Ok(0)).ok()?;
    Some((a, b, c))
}

/// What `nginx -V` says about a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NginxBuild {
    /// `nginx version: nginx/1.22.1`.
    pub version: Option<(u32, u32, u32)>,
    /// `built with OpenSSL 3.0.9 30 May 2023`.
    pub built_with: Option<String>,
    /// `(running with OpenSSL 3.0.19 27 Jan 2026)`; the same as `built_with` when absent.
    pub running_with: Option<String>,
}

/// Reads the output of `nginx -V`.
pub fn parse_nginx_v(text: &str) -> NginxBuild {
    let mut b = NginxBuild::default();
    for line in text.lines() {
        if let Some(v) = line.split("nginx/").nth(1)
            && line.starts_with("nginx version:")
        {
            b.version = parse_version(v.split_whitespace().next().unwrap_or(""));
        }
        if let Some(rest) = line.strip_prefix("built with ") {
            let (built, running) = match rest.split_once(" (running with ") {
                Some((a, r)) => (a, Some(r.trim_end_matches(')'))),
                None => (rest, None),
            };
            b.built_with = Some(built.trim().to_string());
            b.running_with = Some(running.unwrap_or(built).trim().to_string());
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nginx_v() {
        let b = parse_nginx_v(
            "nginx version: nginx/1.22.1\nbuilt with OpenSSL 3.0.9 30 May 2023 (running with OpenSSL 3.0.19 27 Jan 2026)\nTLS SNI support enabled\n",
        );
        assert_eq!(b.version, Some((1, 22, 1)));
        assert_eq!(b.built_with.as_deref(), Some("OpenSSL 3.0.9 30 May 2023"));
        assert_eq!(
            b.running_with.as_deref(),
            Some("OpenSSL 3.0.19 27 Jan 2026")
        );
        let b = parse_nginx_v(
            "nginx version: nginx/1.29.3\nbuilt by gcc 14\nbuilt with OpenSSL 3.5.4 30 Sep 2025\n",
        );
        assert_eq!(b.version, Some((1, 29, 3)));
        assert_eq!(b.running_with.as_deref(), Some("OpenSSL 3.5.4 30 Sep 2025"));
        assert_eq!(parse_nginx_v("garbage"), NginxBuild::default());
    }
}
