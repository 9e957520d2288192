//! The JSON schema of `verify --format json` (docs/verify-json.md), as a checker that
//! the other verify tests run on real output. Compiled on its own too, where it checks
//! itself on a hand-written document.
#![allow(dead_code)]

/// The documented schema (docs/verify-json.md): every field present, with its type.
pub fn check_schema(doc: &serde_json::Value) {
    assert_eq!(doc["schema_version"], 1);
    assert!(doc["at"].is_string());
    assert!(doc["accepted"].is_boolean());
    let c = &doc["client"];
    for k in [
        "file",
        "format",
        "subject",
        "issuer",
        "not_before",
        "not_after",
        "key",
    ] {
        assert!(c.get(k).is_some(), "client.{k} missing");
    }
    assert!(c["intermediates"].is_array() && c["problems"].is_array() && c["fixes"].is_array());
    assert!(c["usable"].is_boolean(), "client.usable");
    assert!(
        doc["nginx_refuses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.is_string())
    );
    for r in doc["results"].as_array().unwrap() {
        for k in [
            "listen",
            "server_name",
            "file",
            "ssl_verify_client",
            "ssl_client_verify",
        ] {
            assert!(r[k].is_string(), "results[].{k} not a string: {r}");
        }
        for k in ["line", "status"] {
            assert!(r[k].is_u64(), "results[].{k} not an integer");
        }
        assert!(r["rejected"].is_boolean() && r["certificate_requested"].is_boolean());
        assert!(
            [
                "accepted",
                "rejected",
                "denied",
                "nginx_refuses",
                "client_unusable"
            ]
            .contains(&r["verdict"].as_str().unwrap_or("")),
            "results[].verdict: {r}"
        );
        assert!(r["decided_by"].is_null() || r["decided_by"].is_string());
        let q = &r["request"];
        if !q.is_null() {
            assert!(q["method"].is_string() && q["path"].is_string());
            assert!(q["status"].is_null() || q["status"].is_u64());
            for k in ["location", "decided_by", "backend"] {
                assert!(q[k].is_null() || q[k].is_string(), "request.{k}");
            }
            for h in q["backend_headers"].as_array().unwrap() {
                assert!(h["directive"].is_string() && h["name"].is_string() && h["at"].is_string());
                assert!(h["value"].is_null() || h["value"].is_string());
            }
            assert!(
                q["unmodelled"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|u| u.is_string())
            );
        }
        assert!(r["nginx_status"].is_null() || r["nginx_status"].is_u64());
        assert!(r["error_log"].is_null() || r["error_log"].is_string());
        assert!(r["sni"].is_null() || r["sni"].is_string());
        assert!(r["host"].is_null() || r["host"].is_string());
        let hs = &r["handshake_server"];
        assert!(hs["server_name"].is_string() && hs["file"].is_string() && hs["line"].is_u64());
        assert!(hs["ssl_verify_client"].is_string());
        for e in r["chain"].as_array().unwrap() {
            for k in [
                "subject",
                "issuer",
                "serial",
                "source",
                "file",
                "not_before",
                "not_after",
            ] {
                assert!(e[k].is_string(), "chain[].{k}");
            }
            assert!(e["depth"].is_u64() && e["index"].is_u64() && e["ca"].is_boolean());
            assert!(e["line"].is_null() || e["line"].is_u64());
            assert!(e["extended_key_usage"].is_null() || e["extended_key_usage"].is_array());
        }
        for e in r["errors"].as_array().unwrap() {
            assert!(e["code"].is_u64() && e["error"].is_string() && e["depth"].is_u64());
            assert!(e["subject"].is_string());
        }
        assert!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f.is_string())
        );
        assert!(r["fixes"].as_array().unwrap().iter().all(|f| f.is_string()));
    }
}

#[test]
fn the_checker_accepts_a_minimal_document() {
    let doc = serde_json::json!({
        "schema_version": 1, "at": "2027-01-01T00:00:00Z", "accepted": true,
        "client": {"file": null, "format": null, "subject": null, "issuer": null,
                   "not_before": null, "not_after": null, "key": null,
                   "intermediates": [], "problems": [], "fixes": [], "usable": true},
        "results": [], "nginx_refuses": []
    });
    check_schema(&doc);
}
