//! `logs --format html`: one self-contained page (no script, no network, no font), the
//! same content as the text report: outcomes over time and per `$ssl_client_verify`
//! value as inline SVG charts, then the tables with each reason's explanation and fix.

use std::fmt::Write as _;

use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

/// At most `n` characters, with an ellipsis.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(n - 1).collect();
        o.push('…');
        o
    }
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

const COLOURS: [(&str, &str); 3] = [
    ("success", "#2e7d32"),
    ("none", "#f9a825"),
    ("failed", "#c62828"),
];

/// Stacked bars per time bucket: SUCCESS, NONE, FAILED.
fn timeline(buckets: &[Value]) -> String {
    let mut s = String::new();
    let w = 720.0_f64;
    let h = 180.0_f64;
    let max = buckets
        .iter()
        .map(|b| num(&b["total"]))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let bar = ((w - 60.0) / n).min(60.0);
    let _ = write!(
        s,
        "<svg class=\"chart\" id=\"timeline\" role=\"img\" aria-label=\"outcomes over time\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\">",
        h + 40.0,
        h + 40.0
    );
    let _ = write!(
        s,
        "<line x1=\"50\" y1=\"{h}\" x2=\"{w}\" y2=\"{h}\" stroke=\"#999\"/>"
    );
    let _ = write!(
        s,
        "<text x=\"45\" y=\"12\" text-anchor=\"end\" font-size=\"11\">{}</text>",
        max as u64
    );
    for (i, b) in buckets.iter().enumerate() {
        let x = 52.0 + i as f64 * bar;
        let mut y = h;
        for (key, colour) in COLOURS {
            let v = num(&b[key]) as f64;
            if v == 0.0 {
                continue;
            }
            let bh = v / max * (h - 10.0);
            y -= bh;
            let _ = write!(
                s,
                "<rect class=\"bar {key}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"><title>{} {key}: {}</title></rect>",
                (bar - 2.0).max(1.0),
                text(&b["start"]),
                v as u64
            );
        }
    }
    if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
        let _ = write!(
            s,
            "<text x=\"52\" y=\"{}\" font-size=\"11\">{}</text>",
            h + 16.0,
            text(&first["start"])
        );
        if buckets.len() > 1 {
            let _ = write!(
                s,
                "<text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
                h + 16.0,
                text(&last["start"])
            );
        }
    }
    for (i, (key, colour)) in COLOURS.iter().enumerate() {
        let x = 52.0 + i as f64 * 110.0;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            h + 26.0,
            x + 14.0,
            h + 35.0,
            match *key {
                "success" => "SUCCESS",
                "none" => "NONE",
                _ => "FAILED",
            }
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars: requests per `$ssl_client_verify` value.
fn per_value(verify: &serde_json::Map<String, Value>) -> String {
    let mut rows: Vec<(&String, u64)> = verify.iter().map(|(k, v)| (k, num(v))).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let row_h = 22.0;
    let h = row_h * rows.len().max(1) as f64 + 4.0;
    let mut s = format!(
        "<svg class=\"chart\" id=\"per-value\" role=\"img\" aria-label=\"requests per $ssl_client_verify value\" viewBox=\"0 0 720 {h}\" width=\"720\" height=\"{h}\">"
    );
    for (i, (k, v)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let colour = if k.as_str() == "SUCCESS" {
            "#2e7d32"
        } else if k.as_str() == "NONE" {
            "#f9a825"
        } else {
            "#c62828"
        };
        let bw = *v as f64 / max * 300.0;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text><rect class=\"bar\" x=\"400\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {v}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{v}</text>",
            y + 14.0,
            esc(&short(k, 60)),
            row_h - 6.0,
            esc(k),
            405.0 + bw,
            y + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

fn table(s: &mut String, id: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = write!(s, "<table id=\"{id}\"><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        let _ = write!(
            s,
            "<tr><td colspan=\"{}\" class=\"empty\">none</td></tr>",
            head.len()
        );
    }
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
}

fn counts(v: &Value) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| format!("{}: {}", esc(k), num(n)))
                .collect::<Vec<_>>()
                .join("<br>")
        })
        .unwrap_or_default()
}

/// The page for a logs report (`report::logs::json`).
pub fn render(doc: &Value) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>nginx mutual-TLS: client certificates in the logs</title><style>body{font:14px/1.4 sans-serif;margin:2em;color:#222;max-width:1100px}h1{font-size:20px}h2{font-size:16px;margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}th{background:#f4f4f4}td.num{text-align:right}.empty{color:#888}.kpi{display:inline-block;margin:0 1.5em .5em 0}.kpi b{display:block;font-size:22px}.chart{max-width:100%;height:auto}code{background:#f4f4f4;padding:0 3px}</style></head><body>\n",
    );
    let lines = &doc["lines"];
    let _ = write!(
        s,
        "<h1>Client certificates in the nginx logs</h1><p>{} to {} &middot; {} &middot; report made {}</p>",
        text(&doc["time_range"]["first"]),
        text(&doc["time_range"]["last"]),
        text(&doc["tool"]),
        text(&doc["at"])
    );
    let verify = doc["verify"].as_object().cloned().unwrap_or_default();
    let total: u64 = verify.values().map(num).sum();
    let success = num(&verify.get("SUCCESS").cloned().unwrap_or(Value::Null));
    let none = num(&verify.get("NONE").cloned().unwrap_or(Value::Null));
    let failed = total.saturating_sub(success + none);
    s.push_str("<div id=\"counts\">");
    for (id, label, n) in [
        ("requests", "requests", total),
        ("success", "SUCCESS", success),
        ("none", "NONE (no certificate)", none),
        ("failed", "FAILED", failed),
        ("lines", "log lines read", num(&lines["total"])),
        ("unmatched", "lines not matched", num(&lines["unmatched"])),
    ] {
        let _ = write!(
            s,
            "<span class=\"kpi\" id=\"kpi-{id}\"><b>{n}</b>{}</span>",
            esc(label)
        );
    }
    s.push_str("</div>");
    s.push_str("<h2>Outcomes over time</h2>");
    let buckets = doc["time_buckets"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    s.push_str(&timeline(&buckets));
    s.push_str("<h2>Requests per <code>$ssl_client_verify</code></h2>");
    s.push_str(&per_value(&verify));
    s.push_str("<h2>Why clients were refused, and the fix</h2>");
    let rows: Vec<Vec<String>> = doc["failures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    vec![
                        text(&f["verify"]),
                        format!("<span class=\"n\">{}</span>", num(&f["count"])),
                        text(&f["explanation"]),
                        text(&f["fix"]),
                        f["rules"]
                            .as_array()
                            .map(|r| r.iter().map(text).collect::<Vec<_>>().join(" "))
                            .unwrap_or_default(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(
        &mut s,
        "failures",
        &[
            "$ssl_client_verify",
            "requests",
            "what it means",
            "fix",
            "rules",
        ],
        &rows,
    );
    s.push_str("<h2>Servers</h2>");
    let rows: Vec<Vec<String>> = doc["servers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    vec![
                        text(&r["server"]),
                        num(&r["requests"]).to_string(),
                        counts(&r["verify"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(
        &mut s,
        "servers",
        &["server", "requests", "$ssl_client_verify"],
        &rows,
    );
    s.push_str("<h2>Top failing clients</h2>");
    let rows: Vec<Vec<String>> = doc["clients"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(20)
                .map(|r| {
                    vec![
                        text(&r["address"]),
                        num(&r["none"]).to_string(),
                        num(&r["failed"]).to_string(),
                        num(&r["status_400"]).to_string(),
                        counts(&r["reasons"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(
        &mut s,
        "clients",
        &["client", "NONE", "FAILED", "status 400", "reasons"],
        &rows,
    );
    s.push_str("<h2>Client certificates</h2>");
    let rows: Vec<Vec<String>> = doc["client_certificates"]
        .as_array()
        .map(|a| {
            a.iter()
                .take(50)
                .map(|r| {
                    vec![
                        text(&r["subject"]),
                        text(&r["issuer"]),
                        text(&r["serial"]),
                        text(&r["not_after"]),
                        num(&r["count"]).to_string(),
                        counts(&r["verify"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(
        &mut s,
        "certificates",
        &[
            "subject",
            "issuer",
            "serial",
            "expires",
            "requests",
            "$ssl_client_verify",
        ],
        &rows,
    );
    s.push_str("<h2>Expiring client certificates</h2>");
    let mut rows = Vec::new();
    if let Some(m) = doc["expiring"].as_object() {
        for (window, list) in m {
            for r in list.as_array().into_iter().flatten() {
                rows.push(vec![
                    esc(&window.replace('_', " ")),
                    text(&r["subject"]),
                    text(&r["serial"]),
                    text(&r["not_after"]),
                    text(&r["last_seen"]),
                ]);
            }
        }
    }
    table(
        &mut s,
        "expiring",
        &["window", "subject", "serial", "expires", "last seen"],
        &rows,
    );
    s.push_str("<h2>Error log: why handshakes and verifications failed</h2>");
    let rows: Vec<Vec<String>> = doc["error_log"]["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    vec![
                        text(&r["reason"]),
                        num(&r["count"]).to_string(),
                        text(&r["explanation"]),
                        text(&r["fix"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    table(
        &mut s,
        "error-log",
        &["reason", "lines", "what it means", "fix"],
        &rows,
    );
    if let Some(h) = doc["hints"].as_array().filter(|h| !h.is_empty()) {
        s.push_str("<h2>Notes</h2><ul>");
        for x in h {
            let _ = write!(s, "<li>{}</li>", text(x));
        }
        s.push_str("</ul>");
    }
    s.push_str("</body></html>\n");
    s
}
