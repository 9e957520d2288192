//! What `ngx_conf_handler()` would say of every directive of a configuration: unknown,
//! not allowed here, the wrong shape or number of arguments, an invalid value, a
//! duplicate; each with nginx's own message, from the directive table of
//! [`super::directives`] for one nginx version.
//!
//! Directives the table does not know are split in two: those a third-party module
//! explains (a `load_module` line that names a module the table does not have, a name
//! of a well-known third-party module, or a name the user declared) are
//! [`Refused::not_checked`]; the others are unknown, as nginx says.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::directives::{self, Context, Dup, RefusalKind, Version};
use super::{Config, Directive, Span};

/// One directive nginx would refuse, or could not be checked.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The directive (its name, for the line nginx names).
    pub span: Span,
    pub name: String,
    pub kind: RefusalKind,
    /// What nginx prints after `[emerg]`, without `in FILE:LINE`.
    pub message: String,
    /// The block the directive stands in, as nginx's documentation names it.
    pub context: &'static str,
    /// A known directive of a similar name (for an unknown one).
    pub suggestion: Option<&'static str>,
    /// For an unknown one: the releases in which nginx does have it.
    pub known_in: Option<(Version, Version)>,
    /// Not in the table, but explained by a third-party module: not checked, not
    /// refused.
    pub not_checked: bool,
}

/// Prefixes and names of directives of third-party modules that are common in real
/// configurations (OpenResty/lua, njs, headers-more, brotli, ModSecurity, VTS, GeoIP2,
/// Passenger, PageSpeed, nginx Plus).
const THIRD_PARTY: &[&str] = &[
    "lua_",
    "*_by_lua",
    "more_set_",
    "more_clear_",
    "js_",
    "brotli",
    "modsecurity",
    "vhost_traffic_status",
    "geoip2",
    "passenger_",
    "pagespeed",
    "auth_jwt",
    "health_check",
    "status_zone",
    "zone_sync",
    "sticky",
    "ntlm",
    "api",
    "upstream_conf",
    "mp4_limit_rate",
    "session_log",
    "keyval",
    "mqtt",
    "otel_",
    "opentracing",
    "njs_",
    "echo",
    "set_by_",
    "set_",
    "rds_",
    "srcache_",
    "memc_",
    "redis2_",
    "drizzle_",
    "postgres_",
    "array_",
    "encrypted_session",
    "form_input",
    "upload_",
    "vod_",
    "rtmp",
    "nchan_",
    "push_stream",
    "dav_ext",
    "fancyindex",
    "sorted_querystring",
    "testcookie_",
    "naxsi",
    "security_headers",
    "zstd",
    "acme_",
    "ssl_ct",
    "waf",
];

fn third_party(name: &str, extra: &[String]) -> bool {
    if extra.iter().any(|e| e == name) {
        return true;
    }
    THIRD_PARTY.iter().any(|p| match p.strip_prefix('*') {
        Some(infix) => name.contains(infix),
        None if p.ends_with('_') => name.starts_with(p),
        None => name == *p || name.starts_with(&format!("{p}_")),
    })
}

/// Whether a `load_module` names a module the table does not know (a third-party one):
/// its directives cannot be checked.
fn loads_foreign_module(config: &Config) -> bool {
    let known: Vec<String> = directives::modules()
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    let mut foreign = false;
    config.walk(&mut |v| {
        if v.directive.is("load_module")
            && let Some(path) = v.directive.arg(0)
        {
            let file = path.rsplit('/').next().unwrap_or("").to_string();
            let stem = file.trim_end_matches(".so");
            if !known.iter().any(|k| k == stem) {
                foreign = true;
            }
        }
    });
    foreign
}

/// The contexts of the blocks the walk is in: from the main context through the
/// root's context (`http` for a site file) and the enclosing blocks, each computed once.
/// `None` inside a block nginx would not accept (already reported there) or a
/// third-party one.
#[derive(Default)]
struct Contexts {
    root: Vec<String>,
    root_ctx: Option<Context>,
    /// (block directive, the context inside it), outermost first.
    stack: Vec<(*const Directive, Option<Context>)>,
}

impl Contexts {
    fn of(&mut self, root: &[String], parents: &[&Directive], version: Version) -> Option<Context> {
        if self.root != root || (self.root.is_empty() && self.root_ctx.is_none()) {
            self.root = root.to_vec();
            self.root_ctx = root
                .iter()
                .try_fold(Context::Main, |c, name| c.child(name, version));
            self.stack.clear();
        }
        let same = self
            .stack
            .iter()
            .zip(parents)
            .take_while(|((p, _), q)| std::ptr::eq(*p, **q))
            .count();
        self.stack.truncate(same);
        for p in &parents[same..] {
            let outer = self.stack.last().map_or(self.root_ctx, |(_, c)| *c);
            let inner = outer.and_then(|c| c.child(&p.name.as_str(), version));
            self.stack.push((*p as *const Directive, inner));
        }
        self.stack.last().map_or(self.root_ctx, |(_, c)| *c)
    }
}

/// Every refusal of the configuration, in the order nginx reads the directives.
/// `extra` names directives the user declared (from modules the table lacks).
pub fn refusals(config: &Config, version: (u32, u32, u32), extra: &[String]) -> Vec<Refused> {
    let version = Version::from(version).clamp_to_table();
    let foreign = loads_foreign_module(config);
    let mut out = Vec::new();
    // (block, name) of the directives already set, for `is duplicate`.
    let mut seen: rustc_hash::FxHashSet<(usize, &'static str)> = Default::default();
    let mut contexts = Contexts::default();
    let mut templates: std::collections::HashMap<super::FileId, bool> = Default::default();
    config.walk(&mut |v| {
        let d = v.directive;
        let Some(ctx) = contexts.of(v.context, v.parents, version) else {
            return;
        };
        if let Context::Raw(_) = ctx {
            return;
        }
        let name = d.name.as_str();
        // `include` is followed by the loader, which reports what it cannot read; a
        // template placeholder where a name should be is no directive (MTLS013 says the
        // file is a template).
        if name == "include"
            || (name
                .bytes()
                .any(|b| matches!(b, b'$' | b'{' | b'}' | b'%' | b'<'))
                && ["${", "{{", "}}", "{%", "%}", "<%", "%>"]
                    .iter()
                    .any(|t| name.contains(t)))
        {
            return;
        }
        let args: SmallVec<[Cow<'_, str>; 8]> = d.args.iter().map(|a| a.as_str()).collect();
        let args: SmallVec<[&str; 8]> = args.iter().map(|a| a.as_ref()).collect();
        let refused = |kind, message: String| Refused {
            span: d.name.span,
            name: name.to_string(),
            kind,
            message,
            context: ctx.name(),
            suggestion: None,
            known_in: None,
            not_checked: false,
        };
        let result = directives::check(&name, ctx, &args, d.block.is_some(), version);
        // In a template, `{{ x }}` after a name reads as a block: the shape of a
        // directive is not judged there.
        let template = templates.entry(d.span.file).or_insert_with(|| {
            super::template::template_kind(&config.sources.get(d.span.file).src).is_some()
        });
        let result = match result {
            Err(r)
                if *template
                    && matches!(
                        r.kind,
                        RefusalKind::NotTerminatedBySemicolon | RefusalKind::NoOpeningBrace
                    ) =>
            {
                Ok(())
            }
            other => other,
        };
        // A value that is a template placeholder (`${SSL_VERIFY}`, `{{ depth }}`) is not
        // what nginx will read: its value and argument count are not judged.
        let result = match result {
            Err(r)
                if matches!(
                    r.kind,
                    RefusalKind::InvalidValue | RefusalKind::InvalidNumberOfArguments
                ) && args.iter().any(|a| super::template::placeholder(a)) =>
            {
                Ok(())
            }
            other => other,
        };
        match result {
            Err(r) if r.kind == RefusalKind::UnknownDirective => {
                let known_in = directives::known_in_any_version(&name);
                let mut f = refused(r.kind, r.message);
                f.known_in = known_in;
                f.not_checked = known_in.is_none() && (foreign || third_party(&name, extra));
                if !f.not_checked {
                    f.suggestion = directives::suggest(&name, version);
                }
                out.push(f);
            }
            Err(r) => out.push(refused(r.kind, r.message)),
            Ok(()) => {
                let block = v
                    .parents
                    .last()
                    .map_or(0, |p| *p as *const Directive as usize);
                if let Ok(def) = directives::resolve(&name, ctx, version)
                    && def.dup == Dup::Always
                    && !seen.insert((block, def.name))
                {
                    let r = directives::duplicate_refusal(&name);
                    out.push(refused(r.kind, r.message));
                }
            }
        }
    });
    out
}
