//! Lint rules: the [`Rule`] trait, the registry, and one file per rule named after its
//! code. A rule's module documentation (its `//!` lines) is its user documentation,
//! with the headings What it does / Why is this bad? / Example / Use instead / References.
//!
//! What a rule is and what it returns ([`Rule`], [`Finding`], [`Context`], [`Options`])
//! lives in `rule.rs`, which every rule file imports; this file only lists the rules
//! and runs them, so no rule imports the registry that names it.

pub mod rule;
pub mod support;
pub mod suppress;

mod mtls001_syntax_error;
mod mtls002_include_not_found;
mod mtls003_include_cycle;
mod mtls004_unused_suppression;
mod mtls005_unknown_directive;
mod mtls006_directive_not_checked;
mod mtls007_directive_not_allowed_here;
mod mtls008_invalid_directive_arguments;
mod mtls009_invalid_directive_value;
mod mtls010_duplicate_directive;
mod mtls011_unknown_variable;
mod mtls012_site_not_loaded;
mod mtls013_template_file;
mod mtls014_events_block_missing;
mod mtls101_verify_client_without_ca;
mod mtls102_trust_file_unreadable;
mod mtls103_private_key_in_trust_file;
mod mtls104_non_ca_in_ca_file;
mod mtls105_intermediate_without_root;
mod mtls106_verify_depth_too_small;
mod mtls107_crl_expired;
mod mtls108_crl_not_from_trusted_ca;
mod mtls109_crl_missing_for_ca;
mod mtls110_optional_verify_not_enforced;
mod mtls111_client_verify_header_spoofable;
mod mtls112_mtls_on_plain_listener;
mod mtls113_ca_without_verify;
mod mtls114_shared_socket_verify_mismatch;
mod mtls115_ca_names_list_too_large;
mod mtls116_no_ca_names_advertised;
mod mtls117_certificate_in_crl_file;
mod mtls118_log_format_without_verify;
mod mtls119_dn_regex_unanchored;
mod mtls120_raw_client_cert_in_header;
mod mtls121_error_page_in_location_unused;
mod mtls122_error_log_hides_verify_failures;
mod mtls123_ssl_directive_deprecated;
mod mtls201_ca_certificate_expiring;
mod mtls202_server_certificate_unreadable;
mod mtls203_server_key_mismatch;
mod mtls204_server_chain_incomplete;
mod mtls205_server_certificate_expiring;
mod mtls301_client_certificate_rejected;
mod mtls302_client_certificate_unverified;
mod mtls303_client_key_mismatch;
mod mtls304_client_certificate_expiring;
mod mtls305_pkcs12_incomplete;
mod mtls306_pkcs12_keychain_incompatible;
mod mtls401_upstream_file_unreadable;
mod mtls402_upstream_key_mismatch;
mod mtls403_upstream_verify_without_trusted;
mod mtls404_upstream_certificate_expiring;
mod mtls405_upstream_certificate_purpose;
mod mtls406_upstream_chain_incomplete;
mod mtls407_upstream_not_verified;
mod mtls408_upstream_verify_depth_too_small;
mod mtls409_upstream_name_is_group;
mod mtls410_upstream_certificate_without_sni;
mod mtls411_upstream_directives_ignored;
mod mtls412_upstream_crl_unusable;
mod mtls413_upstream_session_shared;

pub use crate::model::trust::CertFiles;
pub use rule::{
    Context, Finding, Location, NEWEST_NGINX, Options, Related, Rule, RuleInfo, Severity,
};

/// Every rule, in code order.
pub fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &mtls001_syntax_error::SyntaxError,
        &mtls002_include_not_found::IncludeNotFound,
        &mtls003_include_cycle::IncludeCycle,
        &mtls004_unused_suppression::Rule004,
        &mtls005_unknown_directive::Rule005,
        &mtls006_directive_not_checked::Rule006,
        &mtls007_directive_not_allowed_here::Rule007,
        &mtls008_invalid_directive_arguments::Rule008,
        &mtls009_invalid_directive_value::Rule009,
        &mtls010_duplicate_directive::Rule010,
        &mtls011_unknown_variable::Rule011,
        &mtls012_site_not_loaded::Rule012,
        &mtls013_template_file::Rule013,
        &mtls014_events_block_missing::Rule014,
        &mtls101_verify_client_without_ca::Rule101,
        &mtls102_trust_file_unreadable::Rule102,
        &mtls103_private_key_in_trust_file::Rule103,
        &mtls104_non_ca_in_ca_file::Rule104,
        &mtls105_intermediate_without_root::Rule105,
        &mtls106_verify_depth_too_small::Rule106,
        &mtls107_crl_expired::Rule107,
        &mtls108_crl_not_from_trusted_ca::Rule108,
        &mtls109_crl_missing_for_ca::Rule109,
        &mtls110_optional_verify_not_enforced::Rule110,
        &mtls111_client_verify_header_spoofable::Rule111,
        &mtls112_mtls_on_plain_listener::Rule112,
        &mtls113_ca_without_verify::Rule113,
        &mtls114_shared_socket_verify_mismatch::Rule114,
        &mtls115_ca_names_list_too_large::Rule115,
        &mtls116_no_ca_names_advertised::Rule116,
        &mtls117_certificate_in_crl_file::Rule117,
        &mtls118_log_format_without_verify::Rule118,
        &mtls119_dn_regex_unanchored::Rule119,
        &mtls120_raw_client_cert_in_header::Rule120,
        &mtls121_error_page_in_location_unused::Rule121,
        &mtls122_error_log_hides_verify_failures::Rule122,
        &mtls123_ssl_directive_deprecated::Rule123,
        &mtls201_ca_certificate_expiring::Rule201,
        &mtls202_server_certificate_unreadable::Rule202,
        &mtls203_server_key_mismatch::Rule203,
        &mtls204_server_chain_incomplete::Rule204,
        &mtls205_server_certificate_expiring::Rule205,
        &mtls301_client_certificate_rejected::Rule301,
        &mtls302_client_certificate_unverified::Rule302,
        &mtls303_client_key_mismatch::Rule303,
        &mtls304_client_certificate_expiring::Rule304,
        &mtls305_pkcs12_incomplete::Rule305,
        &mtls306_pkcs12_keychain_incompatible::Rule306,
        &mtls401_upstream_file_unreadable::Rule401,
        &mtls402_upstream_key_mismatch::Rule402,
        &mtls403_upstream_verify_without_trusted::Rule403,
        &mtls404_upstream_certificate_expiring::Rule404,
        &mtls405_upstream_certificate_purpose::Rule405,
        &mtls406_upstream_chain_incomplete::Rule406,
        &mtls407_upstream_not_verified::Rule407,
        &mtls408_upstream_verify_depth_too_small::Rule408,
        &mtls409_upstream_name_is_group::Rule409,
        &mtls410_upstream_certificate_without_sni::Rule410,
        &mtls411_upstream_directives_ignored::Rule411,
        &mtls412_upstream_crl_unusable::Rule412,
        &mtls413_upstream_session_shared::Rule413,
    ]
}

use crate::util::timings;

/// The rules whose findings can carry nginx's own refusal ([`Finding::nginx_refuses`]):
/// what `verify` runs to know whether `nginx -t` would fail. A test checks the list
/// against the rules' sources.
pub const REFUSING: &[&str] = &[
    "MTLS001", "MTLS002", "MTLS003", "MTLS005", "MTLS006", "MTLS007", "MTLS008", "MTLS009",
    "MTLS010", "MTLS011", "MTLS014", "MTLS101", "MTLS102", "MTLS202", "MTLS203", "MTLS401",
    "MTLS402", "MTLS403",
];

/// Smaller configurations are checked on one thread: the rules take less time on them
/// than a second thread takes to start and to warm its own heap.
const DIRECTIVES_FOR_TWO_THREADS: usize = 2000;

/// Runs the rules on a configuration (every rule, or those of [`Options::select`]);
/// findings come back in a stable order. The rules run on two threads (each takes the
/// next rule when it is done with one); their findings are put back in the registry's
/// order before they are sorted, so the result is the same as on one.
pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let rules: Vec<&dyn Rule> = registry()
        .into_iter()
        .filter(|r| {
            cx.options
                .select
                .as_ref()
                .is_none_or(|codes| codes.contains(&r.info().code))
        })
        .collect();
    // The directive checks of MTLS005-MTLS010 walk the configuration once for all six.
    let shared = support::SharedRefusals::default();
    // What several rules wait for is started first, so that the other thread does not
    // wait for it: the trust files (read when every rule runs: MTLS102 reads them all)
    // and the directive checks.
    let read_files = cx.options.select.is_none();
    let refusals = rules
        .iter()
        .any(|r| support::DIRECTIVE_CHECKS.contains(&r.info().code));
    let first: Vec<Box<dyn Fn() + Sync + '_>> = [
        read_files.then(|| Box::new(|| cx.files.prefetch()) as Box<dyn Fn() + Sync>),
        refusals.then(|| Box::new(|| shared.compute(cx)) as Box<dyn Fn() + Sync>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let _lent = shared.enter();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(job) = first.get(i) {
                job();
                continue;
            }
            let Some(rule) = rules.get(i - first.len()) else {
                return done;
            };
            let mut found = Vec::new();
            timings::phase(rule.info().code, || rule.check(cx, &mut found));
            done.push((i, found));
        }
    };
    let mut per_rule = std::thread::scope(|s| {
        // A second thread that cannot be started: this one runs every rule.
        let other = (crate::util::read::two_cpus()
            && rules.len() > 1
            && cx.model.all.len() >= DIRECTIVES_FOR_TWO_THREADS)
            .then(|| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .flatten();
        let mut done = work();
        if let Some(other) = other {
            match other.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    per_rule.sort_by_key(|(i, _)| *i);
    let out: Vec<Finding> = per_rule.into_iter().flat_map(|(_, f)| f).collect();
    let mut out = suppress::apply(cx.config, out);
    if let Some(focus) = cx.config.focus {
        out = support::about_file(cx, focus, out);
    }
    let sources = &cx.config.sources;
    out.sort_by_cached_key(|f| {
        let (path, start) = match &f.location {
            Location::Span(s) => (sources.path(s.file).to_path_buf(), s.start),
            Location::File(p) => (p.clone(), 0),
        };
        (path, start, f.code, f.message.clone())
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule that sets a refusal (itself, or through the directive checks of
    /// `support`) is in [`REFUSING`], and no other.
    #[test]
    fn refusing_rules_are_listed() {
        let mut found = Vec::new();
        for r in registry() {
            let src = r.info().source;
            if src.contains(".refused(") || src.contains("directive_findings(") {
                found.push(r.info().code);
            }
        }
        found.sort();
        assert_eq!(found, REFUSING);
        let mut checks: Vec<&str> = registry()
            .iter()
            .map(|r| r.info())
            .filter(|i| i.source.contains("directive_findings("))
            .map(|i| i.code)
            .collect();
        checks.sort();
        assert_eq!(checks, support::DIRECTIVE_CHECKS);
    }

    #[test]
    fn codes_names_and_files_agree() {
        let mut seen = std::collections::HashSet::new();
        for r in registry() {
            let i = r.info();
            assert!(seen.insert(i.code), "duplicate code {}", i.code);
            assert!(
                i.code.len() == 7 && i.code.starts_with("MTLS"),
                "{}",
                i.code
            );
            let doc = i.doc();
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
                "## References",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", i.code);
            }
            assert!(
                i.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                i.name
            );
        }
    }
}
