//! Times as nginx writes them, to and from Unix seconds, without a calendar crate.

use std::time::Duration;

pub use crate::util::time::{civil_from_days, days_from_civil, now};

/// `500ms`, `10s`, `15m`, `1h`, `2d`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = if split == 0 {
        return None;
    } else {
        s.split_at(split)
    };
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        "w" => n * 7.0 * 86400.0,
        _ => return None,
    };
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

/// `2026-01-02T03:04:05Z`.
pub fn format_rfc3339(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86400));
    let s = t.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn num(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

fn month(b: &[u8]) -> Option<u32> {
    const M: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    M.iter().position(|m| m[..] == *b).map(|i| i as u32 + 1)
}

fn hms(b: &[u8]) -> Option<i64> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some(num(&b[0..2])? * 3600 + num(&b[3..5])? * 60 + num(&b[6..8])?)
}

fn offset(b: &[u8]) -> Option<i64> {
    // +0000, +00:00, Z
    if b == b"Z" {
        return Some(0);
    }
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = b[1..].iter().copied().filter(|c| *c != b':').collect();
    if digits.len() != 4 {
        return None;
    }
    Some(sign * (num(&digits[0..2])? * 3600 + num(&digits[2..4])? * 60))
}

/// `$time_local`: `27/Nov/2026:05:24:58 +0000`.
pub fn parse_time_local(b: &[u8]) -> Option<i64> {
    if b.len() < 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let d = num(&b[0..2])? as u32;
    let m = month(&b[3..6])?;
    let y = num(&b[7..11])?;
    let t = days_from_civil(y, m, d) * 86400 + hms(&b[12..20])?;
    Some(t - offset(&b[21..])?)
}

/// `$time_iso8601`: `2026-11-27T05:24:58+00:00`; also accepts `Z` and no offset (UTC).
pub fn parse_iso8601(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    let y = num(&b[0..4])?;
    let m = num(&b[5..7])? as u32;
    let d = num(&b[8..10])? as u32;
    let t = days_from_civil(y, m, d) * 86400 + hms(&b[11..19])?;
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    if rest.is_empty() {
        return Some(t);
    }
    Some(t - offset(rest)?)
}

/// `$msec`: `1764221098.123`.
pub fn parse_msec(b: &[u8]) -> Option<i64> {
    let int = b.split(|c| *c == b'.').next()?;
    num(int)
}

/// The error log's `2026/11/27 05:24:58` (nginx's local time; read as UTC).
pub fn parse_error_time(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' {
        return None;
    }
    let y = num(&b[0..4])?;
    let m = num(&b[5..7])? as u32;
    let d = num(&b[8..10])? as u32;
    Some(days_from_civil(y, m, d) * 86400 + hms(&b[11..19])?)
}

/// `$ssl_client_v_end`: OpenSSL's `Nov 27 05:24:58 2026 GMT` (day padded with a space).
pub fn parse_openssl_time(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    let mut it = s.split_ascii_whitespace();
    let m = month(it.next()?.as_bytes())?;
    let d = num(it.next()?.as_bytes())? as u32;
    let t = hms(it.next()?.as_bytes())?;
    let y = num(it.next()?.as_bytes())?;
    Some(days_from_civil(y, m, d) * 86400 + t)
}

/// `--at`: RFC 3339 or Unix seconds.
pub fn parse_at(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    parse_iso8601(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = 1_764_221_098; // 2025-11-27T05:24:58Z
        assert_eq!(format_rfc3339(t), "2025-11-27T05:24:58Z");
        assert_eq!(parse_time_local(b"27/Nov/2025:05:24:58 +0000"), Some(t));
        assert_eq!(parse_time_local(b"27/Nov/2025:06:24:58 +0100"), Some(t));
        assert_eq!(parse_iso8601(b"2025-11-27T05:24:58+00:00"), Some(t));
        assert_eq!(parse_iso8601(b"2025-11-27T00:24:58-05:00"), Some(t));
        assert_eq!(parse_msec(b"1764221098.123"), Some(t));
        assert_eq!(parse_error_time(b"2025/11/27 05:24:58"), Some(t));
        assert_eq!(parse_openssl_time(b"Nov 27 05:24:58 2025 GMT"), Some(t));
        assert_eq!(
            parse_openssl_time(b"Nov  7 05:24:58 2025 GMT"),
            Some(t - 20 * 86400)
        );
        assert_eq!(parse_duration("100ms"), Some(Duration::from_millis(100)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_at("2025-11-27T05:24:58Z"), Some(t));
    }
}
