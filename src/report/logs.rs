//! The `logs` reporters: the JSON document (schema in docs/logs-json.md), the human
//! table, and Prometheus text exposition. A reporter never decides: it renders [`Stats`].

use std::fmt::Write as _;

use serde_json::{Map as JMap, Value, json};

/// One `--follow --format jsonl` object.
#[derive(serde::Serialize)]
pub struct JsonlObject {
    pub schema_version: u64,
    pub time: String,
    #[serde(rename = "final")]
    pub last: bool,
    pub totals: Report,
    pub interval: Report,
}

use crate::logs::aggregate::{Map, Stats};
use crate::logs::errorlog::MsgKind;
use crate::logs::reasons;
use crate::logs::time::format_rfc3339;

/// Version of the JSON schema (docs/logs-json.md).
pub const SCHEMA_VERSION: u64 = 1;

/// What the reporters need besides the counts.
pub struct Ctx {
    pub at: i64,
    pub hints: Vec<String>,
    pub top: usize,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn t(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |x| Value::String(format_rfc3339(x)))
}

/// A `value -> count` object, largest count first, serialised without building a
/// `serde_json::Value` (the big tables have thousands of them).
pub struct Counts(Vec<(String, u64)>);

impl serde::Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn counts_of(m: &Map<u64>) -> Counts {
    let mut v: Vec<(String, u64)> = m.iter().map(|(k, n)| (s(k), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Counts(v)
}

/// Counts by interned verify id.
fn vcounts(st: &Stats, c: &[u64]) -> Counts {
    let mut v: Vec<(String, u64)> = c
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .filter_map(|(i, n)| st.verify_names.get(i).map(|k| (s(k), *n)))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Counts(v)
}

fn ts(v: Option<i64>) -> Option<String> {
    v.map(format_rfc3339)
}

#[derive(serde::Serialize)]
struct ServerRow {
    server: String,
    requests: u64,
    verify: Counts,
}

#[derive(serde::Serialize)]
struct CertRow {
    subject: String,
    serial: String,
    issuer: String,
    fingerprint: String,
    not_after: Option<String>,
    count: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    verify: Counts,
}

#[derive(serde::Serialize)]
struct ClientRow {
    address: String,
    none: u64,
    failed: u64,
    status_400: u64,
    reasons: Counts,
}

#[derive(serde::Serialize)]
struct ErrorLogReport {
    lines: u64,
    unmatched: u64,
    levels: Counts,
    kinds: Value,
    verify_errors: Counts,
    ocsp_errors: Counts,
    handshake_errors: Counts,
    reasons: Vec<Value>,
    clients: Counts,
    servers: Counts,
    samples: Value,
}

/// The JSON report, documented in docs/logs-json.md (key order as documented).
#[derive(serde::Serialize)]
pub struct Report {
    schema_version: u64,
    tool: &'static str,
    at: String,
    time_range: Value,
    files: Vec<Value>,
    lines: Value,
    unmatched_samples: Vec<Value>,
    verify: Counts,
    status: Value,
    refused: Value,
    failures: Vec<Value>,
    servers: Vec<ServerRow>,
    client_certificates: Vec<CertRow>,
    clients: Vec<ClientRow>,
    time_buckets: Value,
    expiring: Value,
    truncated: Value,
    error_log: ErrorLogReport,
    hints: Vec<String>,
}

fn sorted<K: Ord + Clone>(m: &Map<u64>, f: impl Fn(&[u8]) -> K) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = m.iter().map(|(k, n)| (f(k), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// One failure row: what it means, how to fix it, which rules catch it.
fn failure(verify: &str, reason: &str, count: u64) -> Value {
    let entry = if verify == "NONE" {
        Some(&reasons::NO_CERT)
    } else {
        reasons::lookup(reason)
    };
    json!({
        "verify": verify,
        "reason": reason,
        "count": count,
        "explanation": entry.map(|e| e.explanation),
        "fix": entry.map(|e| e.fix),
        "rules": entry.map_or(&[][..], |e| e.rules),
    })
}

fn failures(st: &Stats) -> Vec<Value> {
    let mut rows: Vec<(u64, Value)> = Vec::new();
    for (k, n) in st.vmap(&st.verify).iter() {
        let v = s(k);
        if let Some(r) = reasons::verify_reason(&v) {
            rows.push((*n, failure(&v, r, *n)));
        } else if v == "FAILED" {
            rows.push((*n, failure(&v, "", *n)));
        }
    }
    if st.none_400 > 0 {
        rows.push((
            st.none_400,
            failure("NONE", "no required SSL certificate", st.none_400),
        ));
    }
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1["verify"].as_str().cmp(&b.1["verify"].as_str()))
    });
    rows.into_iter().map(|r| r.1).collect()
}

/// Certificates whose notAfter is before `at + days`.
fn expiring(st: &Stats, at: i64) -> Value {
    let mut certs: Vec<_> = st
        .certs
        .values()
        .filter_map(|c| c.not_after.map(|na| (na, c)))
        .collect();
    certs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.subject.cmp(&b.1.subject)));
    let row = |na: i64, c: &crate::logs::aggregate::CertStat| {
        json!({
            "subject": s(&c.subject),
            "serial": s(&c.serial),
            "not_after": format_rfc3339(na),
            "seconds_left": na - at,
            "last_seen": t(c.last_seen),
        })
    };
    let within = |lo: i64, hi: i64| -> Vec<Value> {
        certs
            .iter()
            .filter(|(na, _)| *na - at >= lo && *na - at < hi)
            .map(|(na, c)| row(*na, c))
            .collect()
    };
    const DAY: i64 = 86400;
    json!({
        "expired": within(i64::MIN, 0),
        "within_7d": within(0, 7 * DAY),
        "within_15d": within(0, 15 * DAY),
        "within_30d": within(0, 30 * DAY),
    })
}

fn error_log(st: &Stats) -> ErrorLogReport {
    let e = &st.err;
    let mut kinds = JMap::new();
    for k in MsgKind::ALL {
        kinds.insert(
            k.as_str().into(),
            json!(e.kinds.get(&k).copied().unwrap_or(0)),
        );
    }
    let mut rs: Vec<Value> = Vec::new();
    for (m, kind) in [(&e.verify_errors, "verify_error"), (&e.ocsp_errors, "ocsp")] {
        for (r, n) in sorted(m, s) {
            let mut f = failure(&format!("FAILED:{r}"), &r, n);
            f["kind"] = json!(kind);
            rs.push(f);
        }
    }
    if let Some(n) = e.kinds.get(&MsgKind::NoRequiredCertificate) {
        let mut f = failure("NONE", "no required SSL certificate", *n);
        f["kind"] = json!("no_required_certificate");
        rs.push(f);
    }
    rs.sort_by(|a, b| b["count"].as_u64().cmp(&a["count"].as_u64()));
    let mut samples = JMap::new();
    for (k, v) in &e.samples {
        samples.insert(
            k.as_str().into(),
            json!({"time": v.time, "level": v.level, "message": v.message, "client": v.client,
                   "server": v.server, "request": v.request, "host": v.host}),
        );
    }
    ErrorLogReport {
        lines: e.lines,
        unmatched: e.unmatched,
        levels: counts_of(&e.levels),
        kinds: Value::Object(kinds),
        verify_errors: counts_of(&e.verify_errors),
        ocsp_errors: counts_of(&e.ocsp_errors),
        handshake_errors: counts_of(&e.handshake_errors),
        reasons: rs,
        clients: counts_of(&e.clients),
        servers: counts_of(&e.servers),
        samples: Value::Object(samples),
    }
}

/// Hints that depend on what was read.
fn hints(st: &Stats, ctx: &Ctx) -> Vec<String> {
    let mut h = ctx.hints.clone();
    for f in &st.formats_without_verify {
        h.push(format!(
            "log_format {f} has no $ssl_client_verify: only status codes (400 = refused) are counted; add `$ssl_client_verify $ssl_client_s_dn $ssl_client_serial $ssl_client_v_end` to see why clients fail"
        ));
    }
    if st.unmatched > 0 {
        h.push(format!(
            "{} access log line(s) did not match the log_format; pass --config or --log-format/--log-format-string with the format nginx used",
            st.unmatched
        ));
    }
    h
}

/// The JSON report as a value (for the human report and tests).
pub fn json(st: &Stats, ctx: &Ctx) -> Value {
    serde_json::to_value(report(st, ctx)).unwrap_or(Value::Null)
}

/// The JSON report (schema version [`SCHEMA_VERSION`]).
pub fn report(st: &Stats, ctx: &Ctx) -> Report {
    let files: Vec<Value> = st
        .files
        .iter()
        .map(|f| {
            json!({"path": f.path, "kind": f.kind, "log_format": f.log_format,
                   "lines": f.lines, "matched": f.matched, "unmatched": f.unmatched})
        })
        .collect();
    let samples: Vec<Value> = st
        .unmatched_samples
        .iter()
        .map(|x| json!({"file": x.file, "line": x.line, "text": x.text}))
        .collect();
    let mut status = JMap::new();
    for (k, v) in &st.status {
        status.insert(k.to_string(), json!(v));
    }
    let mut servers: Vec<_> = st.servers.iter().collect();
    servers.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
    let servers: Vec<ServerRow> = servers
        .into_iter()
        .map(|(k, v)| ServerRow {
            server: s(k),
            requests: v.requests,
            verify: vcounts(st, &v.verify),
        })
        .collect();
    let mut certs: Vec<_> = st.certs.values().collect();
    certs.sort_by(|a, b| b.count.cmp(&a.count).then(a.subject.cmp(&b.subject)));
    let certs: Vec<CertRow> = certs
        .into_iter()
        .map(|c| CertRow {
            subject: s(&c.subject),
            serial: s(&c.serial),
            issuer: s(&c.issuer),
            fingerprint: s(&c.fingerprint),
            not_after: ts(c.not_after),
            count: c.count,
            first_seen: ts(c.first_seen),
            last_seen: ts(c.last_seen),
            verify: vcounts(st, &c.verify),
        })
        .collect();
    let mut clients: Vec<_> = st.clients.iter().collect();
    clients.sort_by(|a, b| {
        (b.1.none + b.1.failed)
            .cmp(&(a.1.none + a.1.failed))
            .then(a.0.cmp(b.0))
    });
    let clients: Vec<ClientRow> = clients
        .into_iter()
        .map(|(k, c)| ClientRow {
            address: s(k),
            none: c.none,
            failed: c.failed,
            status_400: c.status_400,
            reasons: vcounts(st, &c.reasons),
        })
        .collect();
    let buckets: Vec<Value> = st
        .buckets
        .iter()
        .map(|(k, b)| {
            json!({"start": format_rfc3339(*k), "total": b.total, "success": b.success,
                   "none": b.none, "failed": b.failed, "status_400": b.status_400})
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: concat!("nginx-mtls-lint ", env!("CARGO_PKG_VERSION")),
        at: format_rfc3339(ctx.at),
        time_range: json!({"first": t(st.first_time), "last": t(st.last_time)}),
        files,
        lines: json!({
            "total": st.lines,
            "access": st.access_lines,
            "error": st.err.lines,
            "matched": st.matched,
            "unmatched": st.unmatched,
            "skipped_since": st.skipped_since,
            "without_time": st.without_time,
        }),
        unmatched_samples: samples,
        verify: vcounts(st, &st.verify),
        status: Value::Object(status),
        refused: json!({"none_400": st.none_400, "failed_400": st.failed_400}),
        failures: failures(st),
        servers,
        client_certificates: certs,
        clients,
        time_buckets: json!({"size_seconds": st.bucket_secs, "buckets": buckets}),
        expiring: expiring(st, ctx.at),
        truncated: json!({
            "limit": st.limit,
            "servers": st.servers_other,
            "client_certificates": st.certs_other,
            "clients": st.clients_other,
            "error_log_clients": st.err.clients_other,
        }),
        error_log: error_log(st),
        hints: hints(st, ctx),
    }
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

/// The human report: tables ordered by impact, the fix beside each reason.
pub fn human(st: &Stats, ctx: &Ctx) -> String {
    let j = json(st, ctx);
    let mut o = String::new();
    let top = ctx.top.max(1);
    let _ = writeln!(
        o,
        "nginx mTLS log summary at {} — {} lines ({} access, {} error) from {} file(s)",
        format_rfc3339(ctx.at),
        st.lines,
        st.access_lines,
        st.err.lines,
        st.files.len()
    );
    if let (Some(a), Some(b)) = (st.first_time, st.last_time) {
        let _ = writeln!(
            o,
            "time range: {} .. {}",
            format_rfc3339(a),
            format_rfc3339(b)
        );
    }
    let _ = writeln!(o, "\nFiles");
    for f in &st.files {
        let _ = writeln!(
            o,
            "  {:<6} {:<40} format={:<12} lines={} matched={} unmatched={}",
            f.kind,
            f.path,
            f.log_format.as_deref().unwrap_or("-"),
            f.lines,
            f.matched,
            f.unmatched
        );
    }
    if st.access_lines > 0 {
        let total: u64 = st.verify.iter().sum();
        if total > 0 {
            let _ = writeln!(o, "\nClient certificate verification ($ssl_client_verify)");
            let _ = writeln!(o, "  {:>10} {:>7}  RESULT", "COUNT", "SHARE");
            for (k, n) in sorted(&st.vmap(&st.verify), s) {
                let _ = writeln!(
                    o,
                    "  {:>10} {:>6.1}%  {}",
                    n,
                    100.0 * n as f64 / total as f64,
                    k
                );
            }
        }
        let st400 = st.status.get(&400).copied().unwrap_or(0);
        let _ = writeln!(
            o,
            "\nStatus: {}",
            st.status
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        if st400 > 0 {
            let _ = writeln!(
                o,
                "  {st400} request(s) answered 400 (refused client certificate, or bad request)"
            );
        }
        let fl = failures(st);
        if !fl.is_empty() {
            let _ = writeln!(
                o,
                "\nFailures, by impact ($ssl_client_verify FAILED:reason)"
            );
            let _ = writeln!(o, "  {:>10}  {:<42} FIX", "COUNT", "REASON");
            for f in fl.iter().take(top) {
                let reason = match f["verify"].as_str() {
                    Some("NONE") => "NONE (no certificate, refused)",
                    _ => f["reason"]
                        .as_str()
                        .filter(|r| !r.is_empty())
                        .unwrap_or("FAILED"),
                };
                let _ = writeln!(
                    o,
                    "  {:>10}  {:<42} {}",
                    f["count"].as_u64().unwrap_or(0),
                    trunc(reason, 42),
                    f["fix"]
                        .as_str()
                        .unwrap_or("(unknown reason: see the OpenSSL verify documentation)")
                );
                if let Some(e) = f["explanation"].as_str() {
                    let rules: Vec<&str> = f["rules"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let _ = writeln!(
                        o,
                        "  {:>10}  {:<42} why: {e} (lint rules: {})",
                        "",
                        "",
                        rules.join(", ")
                    );
                }
            }
        }
        if let Some(a) = j["servers"].as_array().filter(|a| !a.is_empty()) {
            let _ = writeln!(o, "\nServers (top {top})");
            let _ = writeln!(o, "  {:>10}  {:<32} RESULTS", "REQUESTS", "SERVER");
            for v in a.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>10}  {:<32} {}",
                    v["requests"].as_u64().unwrap_or(0),
                    trunc(v["server"].as_str().unwrap_or_default(), 32),
                    obj_inline(&v["verify"])
                );
            }
        }
        if let Some(a) = j["clients"].as_array().filter(|a| !a.is_empty()) {
            let _ = writeln!(o, "\nClients without a valid certificate (top {top})");
            let _ = writeln!(
                o,
                "  {:>8} {:>8} {:>8}  {:<40} REASONS",
                "NONE", "FAILED", "400", "ADDRESS"
            );
            for v in a.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>8} {:>8} {:>8}  {:<40} {}",
                    v["none"].as_u64().unwrap_or(0),
                    v["failed"].as_u64().unwrap_or(0),
                    v["status_400"].as_u64().unwrap_or(0),
                    trunc(v["address"].as_str().unwrap_or_default(), 40),
                    obj_inline(&v["reasons"])
                );
            }
        }
        if let Some(a) = j["client_certificates"]
            .as_array()
            .filter(|a| !a.is_empty())
        {
            let _ = writeln!(o, "\nClient certificates (top {top})");
            let _ = writeln!(
                o,
                "  {:>8}  {:<44} {:<20} {:<20} {:<20} {:<20}",
                "COUNT", "SUBJECT", "SERIAL", "FIRST SEEN", "LAST SEEN", "NOT AFTER"
            );
            for v in a.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>8}  {:<44} {:<20} {:<20} {:<20} {:<20}",
                    v["count"].as_u64().unwrap_or(0),
                    trunc(v["subject"].as_str().unwrap_or_default(), 44),
                    trunc(v["serial"].as_str().unwrap_or_default(), 20),
                    v["first_seen"].as_str().unwrap_or("-"),
                    v["last_seen"].as_str().unwrap_or("-"),
                    v["not_after"].as_str().unwrap_or("-"),
                );
            }
        }
        for (key, title) in [
            ("expired", "Certificates seen that are EXPIRED"),
            ("within_7d", "Certificates seen that expire within 7 days"),
            (
                "within_15d",
                "Certificates seen that expire in 7 to 15 days",
            ),
            (
                "within_30d",
                "Certificates seen that expire in 15 to 30 days",
            ),
        ] {
            let lo = match key {
                "within_15d" => 7 * 86400,
                "within_30d" => 15 * 86400,
                _ => i64::MIN,
            };
            let rows: Vec<&Value> = j["expiring"][key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|v| v["seconds_left"].as_i64().unwrap_or(0) >= lo)
                        .collect()
                })
                .unwrap_or_default();
            if !rows.is_empty() {
                let _ = writeln!(o, "\n{title}");
                for v in rows.into_iter().take(top) {
                    let _ = writeln!(
                        o,
                        "  {}  serial {}  notAfter {} ({} days)",
                        v["subject"].as_str().unwrap_or_default(),
                        v["serial"].as_str().unwrap_or_default(),
                        v["not_after"].as_str().unwrap_or_default(),
                        v["seconds_left"].as_i64().unwrap_or(0) / 86400
                    );
                }
            }
        }
        if st.buckets.len() > 1 {
            let _ = writeln!(o, "\nOver time ({}s buckets, last {top})", st.bucket_secs);
            let _ = writeln!(
                o,
                "  {:<20} {:>10} {:>10} {:>10} {:>10} {:>10}",
                "START", "TOTAL", "SUCCESS", "NONE", "FAILED", "STATUS 400"
            );
            let skip = st.buckets.len().saturating_sub(top);
            for (k, b) in st.buckets.iter().skip(skip) {
                let _ = writeln!(
                    o,
                    "  {:<20} {:>10} {:>10} {:>10} {:>10} {:>10}",
                    format_rfc3339(*k),
                    b.total,
                    b.success,
                    b.none,
                    b.failed,
                    b.status_400
                );
            }
        }
    }
    if st.err.lines > 0 {
        let e = &j["error_log"];
        let _ = writeln!(
            o,
            "\nError log: {} lines; levels {}",
            st.err.lines,
            obj_inline(&e["levels"])
        );
        let _ = writeln!(
            o,
            "  client-certificate messages: {}",
            obj_inline(&e["kinds"])
        );
        if let Some(a) = e["reasons"].as_array().filter(|a| !a.is_empty()) {
            let _ = writeln!(o, "  {:>10}  {:<42} FIX", "COUNT", "REASON");
            for f in a.iter().take(top) {
                let _ = writeln!(
                    o,
                    "  {:>10}  {:<42} {}",
                    f["count"].as_u64().unwrap_or(0),
                    trunc(f["reason"].as_str().unwrap_or_default(), 42),
                    f["fix"].as_str().unwrap_or("-")
                );
            }
        }
        if !st.err.handshake_errors.is_empty() {
            let _ = writeln!(
                o,
                "  handshake failures: {}",
                obj_inline(&e["handshake_errors"])
            );
        }
    }
    if !st.unmatched_samples.is_empty() {
        let _ = writeln!(
            o,
            "\nLines that did not match ({} in all; first {}):",
            st.unmatched,
            st.unmatched_samples.len()
        );
        for x in &st.unmatched_samples {
            let _ = writeln!(o, "  {}:{}: {}", x.file, x.line, trunc(&x.text, 160));
        }
    }
    let h = hints(st, ctx);
    if !h.is_empty() {
        let _ = writeln!(o, "\nHints");
        for x in h {
            let _ = writeln!(o, "  - {x}");
        }
    }
    // Values come from log lines: no control character reaches the terminal.
    super::printable(&o).into_owned()
}

fn obj_inline(v: &Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Prometheus text exposition format (for node_exporter's textfile collector).
pub fn prometheus(st: &Stats, ctx: &Ctx) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_verify_total Access log requests by server and $ssl_client_verify result (reason: the text after FAILED:)."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_verify_total counter");
    let mut servers: Vec<_> = st.servers.iter().collect();
    servers.sort_by(|a, b| a.0.cmp(b.0));
    let mut any = false;
    for (k, v) in &servers {
        for (res, n) in sorted(&st.vmap(&v.verify), s) {
            let (result, reason) = match res.split_once(':') {
                Some((r, why)) => (r.to_string(), why.to_string()),
                None => (res.clone(), String::new()),
            };
            any = true;
            let _ = writeln!(
                o,
                "nginx_mtls_verify_total{{server=\"{}\",result=\"{}\",reason=\"{}\"}} {n}",
                label(&s(k)),
                label(&result),
                label(&reason)
            );
        }
    }
    if !any {
        for (res, n) in sorted(&st.vmap(&st.verify), s) {
            let (result, reason) = match res.split_once(':') {
                Some((r, why)) => (r.to_string(), why.to_string()),
                None => (res.clone(), String::new()),
            };
            let _ = writeln!(
                o,
                "nginx_mtls_verify_total{{server=\"\",result=\"{}\",reason=\"{}\"}} {n}",
                label(&result),
                label(&reason)
            );
        }
    }
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_requests_total Access log requests by status."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_requests_total counter");
    for (k, v) in &st.status {
        let _ = writeln!(o, "nginx_mtls_requests_total{{status=\"{k}\"}} {v}");
    }
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_client_cert_expiry_seconds notAfter of each client certificate seen ($ssl_client_v_end), as a Unix timestamp."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_client_cert_expiry_seconds gauge");
    let mut certs: Vec<_> = st
        .certs
        .values()
        .filter(|c| c.not_after.is_some())
        .collect();
    certs.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.serial.cmp(&b.serial)));
    for c in certs {
        let _ = writeln!(
            o,
            "nginx_mtls_client_cert_expiry_seconds{{subject=\"{}\",serial=\"{}\"}} {}",
            label(&s(&c.subject)),
            label(&s(&c.serial)),
            c.not_after.unwrap_or(0)
        );
    }
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_error_log_events_total Client-certificate messages in the error log, by kind and reason."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_error_log_events_total counter");
    let e = &st.err;
    for k in MsgKind::ALL {
        let map = match k {
            MsgKind::VerifyError => Some(&e.verify_errors),
            MsgKind::Ocsp => Some(&e.ocsp_errors),
            MsgKind::HandshakeFailed => Some(&e.handshake_errors),
            _ => None,
        };
        match map {
            Some(m) if !m.is_empty() => {
                for (r, n) in sorted(m, s) {
                    let _ = writeln!(
                        o,
                        "nginx_mtls_error_log_events_total{{kind=\"{}\",reason=\"{}\"}} {n}",
                        k.as_str(),
                        label(&r)
                    );
                }
            }
            _ => {
                let _ = writeln!(
                    o,
                    "nginx_mtls_error_log_events_total{{kind=\"{}\",reason=\"\"}} {}",
                    k.as_str(),
                    e.kinds.get(&k).copied().unwrap_or(0)
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_log_lines_total Log lines read, by log kind and whether they matched the expected layout."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_log_lines_total counter");
    let _ = writeln!(
        o,
        "nginx_mtls_log_lines_total{{kind=\"access\",result=\"matched\"}} {}",
        st.matched
    );
    let _ = writeln!(
        o,
        "nginx_mtls_log_lines_total{{kind=\"access\",result=\"unmatched\"}} {}",
        st.unmatched
    );
    let _ = writeln!(
        o,
        "nginx_mtls_log_lines_total{{kind=\"error\",result=\"matched\"}} {}",
        e.lines - e.unmatched
    );
    let _ = writeln!(
        o,
        "nginx_mtls_log_lines_total{{kind=\"error\",result=\"unmatched\"}} {}",
        e.unmatched
    );
    let _ = writeln!(
        o,
        "# HELP nginx_mtls_report_timestamp_seconds When this report was written."
    );
    let _ = writeln!(o, "# TYPE nginx_mtls_report_timestamp_seconds gauge");
    let _ = writeln!(o, "nginx_mtls_report_timestamp_seconds {}", ctx.at);
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::aggregate::{Counter, FileInfo};
    use crate::logs::format::LogFormat;

    /// A log line's bytes never reach the terminal as control characters.
    #[test]
    fn human_report_escapes_control_characters() {
        let fmt = LogFormat::combined();
        let mut stats = Stats::new(10, 60);
        stats.files.push(FileInfo::default());
        let mut c = Counter::new(stats, Some(&fmt), 0);
        c.access_line(b"\x1b]0;pwned\x07\x1b[2J not a log line \xc2\x9b31m", 1);
        let st = c.finish();
        let ctx = Ctx {
            at: 0,
            hints: Vec::new(),
            top: 5,
        };
        let out = human(&st, &ctx);
        assert!(
            out.contains("\\x1b]0;pwned\\x07\\x1b[2J not a log line \\u{9b}31m"),
            "{out}"
        );
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    }

    #[test]
    fn every_named_rule_exists() {
        let codes: Vec<&str> = crate::rules::registry()
            .iter()
            .map(|r| r.info().code)
            .collect();
        for r in reasons::TABLE
            .iter()
            .chain(std::iter::once(&reasons::NO_CERT))
        {
            for c in r.rules {
                assert!(codes.contains(c), "{} names unknown rule {c}", r.key);
            }
        }
    }
}
