//! Which block a file given on its own is meant for. A site file
//! (`sites-available/default`, `conf.d/api.conf`) holds `server {}` blocks that nginx
//! reads inside `http {}` (or `stream {}`), through an `include`; a main configuration
//! holds `events {}` and `http {}`. The file is read in the context where nginx would
//! refuse the fewest of its directives (the directive table of [`super::directives`]),
//! preferring the main context, then `http`, on a tie.

use super::ast::Directive;
use super::directives::{self, Context, NEWEST};

/// The contexts a file may be meant for, in order of preference, with their names as
/// [`super::load::Config`] roots record them.
const CANDIDATES: [(Context, &[&str]); 6] = [
    (Context::Main, &[]),
    (Context::Http, &["http"]),
    (Context::Stream, &["stream"]),
    (Context::HttpServer, &["http", "server"]),
    (Context::HttpLocation, &["http", "server", "location"]),
    (Context::StreamServer, &["stream", "server"]),
];

/// How many of the directives (and those inside their blocks) nginx would refuse in
/// `ctx`, with the first (up to) 200 directives counted.
fn refused(list: &[Directive], ctx: Context, budget: &mut usize) -> usize {
    let mut n = 0;
    for d in list {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let name = d.name.as_str();
        if name == "include" {
            continue;
        }
        let args: Vec<std::borrow::Cow<'_, str>> = d.args.iter().map(|a| a.as_str()).collect();
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        // Only where a directive may stand depends on the context: an unknown one, or
        // one with wrong values, counts against every candidate alike. A block that
        // cannot stand here takes its contents with it.
        if let Err(r) = directives::check(&name, ctx, &args, d.block.is_some(), NEWEST)
            && r.kind == directives::RefusalKind::NotAllowedHere
        {
            n += 1 + d.block.as_ref().map_or(0, |b| count(&b.directives));
            continue;
        }
        if let Some(b) = &d.block
            && let Some(inner) = ctx.child(&name, NEWEST)
            && !matches!(inner, Context::Raw(_))
        {
            n += refused(&b.directives, inner, budget);
        }
    }
    n
}

/// How many directives a list holds, blocks included.
fn count(list: &[Directive]) -> usize {
    list.iter()
        .map(|d| 1 + d.block.as_ref().map_or(0, |b| count(&b.directives)))
        .sum()
}

/// The root context for a file's top-level directives: `[]` for a main
/// configuration, `["http"]` for a site file, `["stream"]` for a stream one, and so on.
pub fn context_of(top: &[Directive]) -> Vec<String> {
    if top.iter().all(|d| d.is("include")) {
        return Vec::new();
    }
    let mut best: Option<(usize, &[&str])> = None;
    for (ctx, names) in CANDIDATES {
        let n = refused(top, ctx, &mut 200);
        if best.is_none_or(|(b, _)| n < b) {
            best = Some((n, names));
        }
        if n == 0 {
            break;
        }
    }
    best.map(|(_, names)| names.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::FileId;
    use crate::config::parser::parse;

    fn ctx(src: &str) -> Vec<String> {
        context_of(&parse(src.as_bytes(), FileId(0)).directives)
    }

    #[test]
    fn main_site_stream_and_location_files() {
        assert!(ctx("events {}\nhttp { server { listen 80; } }\n").is_empty());
        assert!(ctx("user www-data;\nworker_processes auto;\n").is_empty());
        assert_eq!(
            ctx("server { listen 443 ssl; ssl_verify_client on; location / { } }\n"),
            ["http"]
        );
        assert_eq!(
            ctx("upstream b { server 127.0.0.1:9; }\nmap $a $b { default 1; }\n"),
            ["http"]
        );
        assert_eq!(
            ctx("server { listen 5432 ssl; ssl_preread on; proxy_pass db:5432; }\n"),
            ["stream"]
        );
        assert_eq!(
            ctx("location /api { proxy_pass http://b; }\nlisten 443 ssl;\n"),
            ["http", "server"]
        );
        assert_eq!(
            ctx("add_header X-Frame-Options DENY;\nproxy_pass http://b;\n"),
            ["http", "server", "location"]
        );
        assert!(ctx("").is_empty());
    }
}
