//! What `nginx -t` knows about every directive, per nginx release.
//!
//! The facts — allowed contexts, argument counts, handler kinds,
//! enum/bitmask values, number bounds, first/last release — are read from
//! nginx's own `ngx_command_t` arrays by `tools/gen-directives.py` and
//! committed as `directives_table.rs` (data only). This file replays, by
//! hand, what nginx does with them:
//!
//! * `ngx_conf_handler()` in `src/core/ngx_conf_file.c`: name lookup over the
//!   modules (`unknown directive`, `is not allowed here`), the `;`/`{` check,
//!   then the argument count;
//! * the generic slot functions (`ngx_conf_set_*_slot` in
//!   `src/core/ngx_conf_file.c`, path/access slots in `src/core/ngx_file.c`)
//!   and the value parsers of `src/core/ngx_parse.c` / `ngx_atoi()`;
//! * a few custom TLS handlers (session/OCSP/certificate caches).
//!
//! Messages are the text nginx prints after `[emerg] ` and before
//! ` in FILE:LINE`.
//!
//! Not modelled (runtime or merge-time checks): files that cannot be read,
//! `no ssl_client_certificate for ssl_verify_client` (merge-time; since
//! 1.27.2 `ssl_trusted_certificate` alone also satisfies `ssl_verify_client`,
//! the message then reads `no ssl_client_certificate or
//! ssl_trusted_certificate for ssl_verify_client`), post handlers other than
//! number bounds, and custom handlers not listed in [`check_value`].

use std::fmt;

use rustc_hash::FxHashMap;

#[rustfmt::skip]
#[path = "directives_table.rs"]
mod directives_table;

use directives_table::{DIRECTIVES, MODULES};
pub use directives_table::{NEWEST, OLDEST, RELEASES};

/// An nginx release, `Version(1, 22, 1)` for nginx/1.22.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `1.22.1`, `nginx/1.22.1` or `release-1.22.1`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s
            .strip_prefix("nginx/")
            .or_else(|| s.strip_prefix("release-"))
            .unwrap_or(s);
        let mut it = s.split('.').map(|p| p.parse::<u32>().ok());
        let v = Version(it.next()??, it.next()??, it.next()??);
        it.next().is_none().then_some(v)
    }

    /// Versions past the table's newest release are treated as [`NEWEST`],
    /// versions before its oldest as [`OLDEST`] (an approximation).
    pub fn clamp_to_table(self) -> Version {
        self.clamp(OLDEST, NEWEST)
    }
}

impl From<(u32, u32, u32)> for Version {
    fn from((a, b, c): (u32, u32, u32)) -> Self {
        Version(a, b, c)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// nginx module type (`ngx_module_t.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// `NGX_CORE_MODULE`: main-context directives (`http`, `worker_processes`).
    Core,
    /// `NGX_CONF_MODULE`: only `include`, accepted in every context.
    Conf,
    /// `NGX_EVENT_MODULE`: inside `events { }`.
    Event,
    Http,
    Stream,
    Mail,
}

/// How a package family ships a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Packaging {
    /// Linked into the nginx binary.
    Static,
    /// A loadable object (`load_module modules/<object>;`); `package` is the
    /// distribution package holding it (empty if unknown).
    Dynamic {
        object: &'static str,
        package: &'static str,
    },
    /// Not built by this package family.
    No,
}

/// An nginx module that Debian's or nginx.org's Linux packages build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module {
    pub name: &'static str,
    pub kind: ModuleKind,
    /// Source file in the nginx tree.
    pub source: &'static str,
    /// Debian (`nginx` + `libnginx-mod-*`, configure args of bookworm's 1.22.1).
    pub debian: Packaging,
    /// nginx.org (`nginx` + `nginx-module-*`).
    pub nginx_org: Packaging,
}

/// The generic `ngx_conf_set_*_slot` handlers (`src/core/ngx_conf_file.c`,
/// path/access in `src/core/ngx_file.c`).
///
/// Second occurrence in the same block gives `"NAME" directive is duplicate`
/// for Flag, Str, Num, Size, Off, Msec, Sec, Bufs, Enum, Path and Access
/// (they test the field against `NGX_CONF_UNSET*` first). StrArray and
/// KeyVal append; Bitmask ORs and only warns `duplicate value "%s"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// `on`/`off`, case-insensitive; else
    /// `invalid value "X" in "NAME" directive, it must be "on" or "off"`.
    Flag,
    Str,
    StrArray,
    KeyVal,
    /// `ngx_atoi`; else `"NAME" directive invalid number`; bounds posts add
    /// `value must be between L and H` / `value must be equal to or greater than L`.
    Num,
    /// `ngx_parse_size` (k/K/m/M); else `"NAME" directive invalid value`.
    Size,
    /// `ngx_parse_offset` (k/K/m/M/g/G); else `"NAME" directive invalid value`.
    Off,
    /// `ngx_parse_time(.., 0)`; else `"NAME" directive invalid value`.
    Msec,
    /// `ngx_parse_time(.., 1)`; else `"NAME" directive invalid value`.
    Sec,
    /// `NUMBER SIZE`, both non-zero; else `"NAME" directive invalid value`.
    Bufs,
    /// One of [`Directive::values`], case-insensitive; else `invalid value "X"`.
    Enum,
    /// Each argument one of [`Directive::values`]; else `invalid value "X"`.
    Bitmask,
    /// `PATH [LEVEL1 [LEVEL2 [LEVEL3]]]`; bad levels: `"NAME" directive invalid value`.
    Path,
    /// `user:rw group:r all:r ...`; else `invalid value "X"`.
    Access,
}

impl Slot {
    /// Whether this slot answers a second occurrence in the same block with
    /// `"NAME" directive is duplicate`.
    pub fn says_duplicate(self) -> bool {
        !matches!(self, Slot::StrArray | Slot::KeyVal | Slot::Bitmask)
    }

    /// nginx's function name.
    pub fn function(self) -> &'static str {
        match self {
            Slot::Flag => "ngx_conf_set_flag_slot",
            Slot::Str => "ngx_conf_set_str_slot",
            Slot::StrArray => "ngx_conf_set_str_array_slot",
            Slot::KeyVal => "ngx_conf_set_keyval_slot",
            Slot::Num => "ngx_conf_set_num_slot",
            Slot::Size => "ngx_conf_set_size_slot",
            Slot::Off => "ngx_conf_set_off_slot",
            Slot::Msec => "ngx_conf_set_msec_slot",
            Slot::Sec => "ngx_conf_set_sec_slot",
            Slot::Bufs => "ngx_conf_set_bufs_slot",
            Slot::Enum => "ngx_conf_set_enum_slot",
            Slot::Bitmask => "ngx_conf_set_bitmask_slot",
            Slot::Path => "ngx_conf_set_path_slot",
            Slot::Access => "ngx_conf_set_access_slot",
        }
    }
}

/// The `set` function of an `ngx_command_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Handler {
    /// A generic slot.
    Slot(Slot),
    /// A module function that first calls the slot and returns its error
    /// (e.g. `ssl` → `ngx_http_ssl_enable` → flag slot): the slot's checks
    /// and messages apply.
    Wraps(Slot, &'static str),
    /// A module's own function (named).
    Custom(&'static str),
}

impl Handler {
    /// The generic slot whose checks apply, if any.
    pub fn slot(self) -> Option<Slot> {
        match self {
            Handler::Slot(s) | Handler::Wraps(s, _) => Some(s),
            Handler::Custom(_) => None,
        }
    }

    /// nginx's function name.
    pub fn function(self) -> &'static str {
        match self {
            Handler::Slot(s) => s.function(),
            Handler::Wraps(_, f) | Handler::Custom(f) => f,
        }
    }
}

/// Whether a repeated directive in the same block is refused as duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dup {
    /// Generic slot (or wrapper of one) that always says `is duplicate`.
    Always,
    /// Custom handler whose code (or a function it calls) can return
    /// `is duplicate`, under conditions of its own.
    Custom,
    /// Never refused as duplicate (arrays, bitmasks, most custom handlers).
    Never,
}

/// One `ngx_command_t` of one module over a range of releases in which its
/// facts did not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: &'static str,
    module: u8,
    /// [`Context`] bits (see [`Context::bit`]).
    pub contexts: u16,
    /// nginx's `NGX_CONF_*` argument bits (NOARGS 0x1, TAKE1..7 0x2..0x80,
    /// BLOCK 0x100, FLAG 0x200, ANY 0x400, 1MORE 0x800, 2MORE 0x1000).
    pub args: u32,
    pub handler: Handler,
    /// Enum/bitmask values (`ngx_conf_enum_t` / `ngx_conf_bitmask_t`).
    pub values: &'static [&'static str],
    /// `ngx_conf_num_bounds_t` (high -1 = no upper bound).
    pub bounds: Option<(i64, i64)>,
    /// Replacement named by an `ngx_conf_deprecated` post (warning only).
    pub replaced_by: Option<&'static str>,
    /// Handler warns `the "NAME" directive is obsolete` and ignores it.
    pub obsolete: bool,
    pub dup: Dup,
    /// Block whose contents a custom handler reads (`types`, `map`, `geo`,
    /// `split_clients`, `charset_map`): not directives.
    pub raw_block: bool,
    /// `#if` the entry sits under (true in packaged Linux builds), or "".
    pub guard: &'static str,
    /// First and last release (inclusive) with these facts.
    pub first: Version,
    pub last: Version,
}

/// Argument bits of `ngx_conf_file.h`.
pub mod arg {
    pub const NOARGS: u32 = 0x0001;
    pub const TAKE1: u32 = 0x0002;
    pub const TAKE2: u32 = 0x0004;
    pub const TAKE3: u32 = 0x0008;
    pub const TAKE4: u32 = 0x0010;
    pub const TAKE5: u32 = 0x0020;
    pub const TAKE6: u32 = 0x0040;
    pub const TAKE7: u32 = 0x0080;
    pub const BLOCK: u32 = 0x0100;
    pub const FLAG: u32 = 0x0200;
    pub const ANY: u32 = 0x0400;
    pub const MORE1: u32 = 0x0800;
    pub const MORE2: u32 = 0x1000;
    /// `NGX_CONF_MAX_ARGS`: the name plus up to 7 arguments.
    pub const MAX_ARGS: usize = 8;
}

#[allow(clippy::too_many_arguments)]
const fn d(
    name: &'static str,
    module: u8,
    contexts: u16,
    args: u32,
    handler: Handler,
    values: &'static [&'static str],
    bounds: Option<(i64, i64)>,
    replaced_by: Option<&'static str>,
    obsolete: bool,
    dup: Dup,
    raw_block: bool,
    guard: &'static str,
    first: Version,
    last: Version,
) -> Directive {
    Directive {
        name,
        module,
        contexts,
        args,
        handler,
        values,
        bounds,
        replaced_by,
        obsolete,
        dup,
        raw_block,
        guard,
        first,
        last,
    }
}

impl Directive {
    pub fn module(&self) -> &'static Module {
        &MODULES[self.module as usize]
    }

    /// Whether these facts hold in `version` (clamped to the table's range).
    pub fn exists_in(&self, version: Version) -> bool {
        let v = version.clamp_to_table();
        self.first <= v && v <= self.last
    }

    /// Whether nginx accepts the directive in `ctx` (module type and
    /// context bit, as `ngx_conf_handler()` tests them).
    pub fn allowed_in(&self, ctx: Context) -> bool {
        let Some(bit) = ctx.bit() else { return false };
        let kind = self.module().kind;
        (kind == ModuleKind::Conf || Some(kind) == ctx.kind()) && self.contexts & bit != 0
    }

    /// The contexts nginx accepts it in.
    pub fn contexts(&self) -> impl Iterator<Item = Context> + '_ {
        Context::DIRECTIVE_CONTEXTS
            .into_iter()
            .filter(|c| self.allowed_in(*c))
    }

    /// `NGX_CONF_BLOCK`: must be followed by `{`, not `;`.
    pub fn is_block(&self) -> bool {
        self.args & arg::BLOCK != 0
    }

    /// nginx's argument-count test for `n` arguments after the name.
    pub fn accepts_arg_count(&self, n: usize) -> bool {
        let t = self.args;
        let nelts = n + 1;
        if t & arg::ANY != 0 {
            true
        } else if t & arg::FLAG != 0 {
            nelts == 2
        } else if t & arg::MORE1 != 0 {
            nelts >= 2
        } else if t & arg::MORE2 != 0 {
            nelts >= 3
        } else if nelts > arg::MAX_ARGS {
            false
        } else {
            t & (1 << (nelts - 1)) != 0
        }
    }

    /// The argument macros, e.g. `NGX_CONF_TAKE12` or `NGX_CONF_BLOCK|NGX_CONF_NOARGS`.
    pub fn arg_kind(&self) -> String {
        let mut parts = Vec::new();
        if self.args & arg::BLOCK != 0 {
            parts.push("NGX_CONF_BLOCK".to_string());
        }
        for (bit, n) in [
            (arg::FLAG, "FLAG"),
            (arg::ANY, "ANY"),
            (arg::MORE1, "1MORE"),
            (arg::MORE2, "2MORE"),
            (arg::NOARGS, "NOARGS"),
        ] {
            if self.args & bit != 0 {
                parts.push(format!("NGX_CONF_{n}"));
            }
        }
        let takes: String = (1..=7)
            .filter(|i| self.args & (1 << i) != 0)
            .map(|i| char::from(b'0' + i as u8))
            .collect();
        if !takes.is_empty() {
            parts.push(format!("NGX_CONF_TAKE{takes}"));
        }
        parts.join("|")
    }
}

/// The blocks nginx parses directives in (`cf->cmd_type`), plus raw blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// `NGX_MAIN_CONF`.
    Main,
    /// `NGX_EVENT_CONF`: `events { }`.
    Events,
    /// `NGX_HTTP_MAIN_CONF`.
    Http,
    /// `NGX_HTTP_SRV_CONF`.
    HttpServer,
    /// `NGX_HTTP_LOC_CONF` (also nested locations).
    HttpLocation,
    /// `NGX_HTTP_UPS_CONF`.
    HttpUpstream,
    /// `NGX_HTTP_SIF_CONF`: `if` directly inside `server`.
    HttpIfInServer,
    /// `NGX_HTTP_LIF_CONF`: `if` inside `location`.
    HttpIfInLocation,
    /// `NGX_HTTP_LMT_CONF`: `limit_except`.
    HttpLimitExcept,
    /// `NGX_STREAM_MAIN_CONF`.
    Stream,
    /// `NGX_STREAM_SRV_CONF`.
    StreamServer,
    /// `NGX_STREAM_UPS_CONF`.
    StreamUpstream,
    /// `NGX_MAIL_MAIN_CONF`.
    Mail,
    /// `NGX_MAIL_SRV_CONF`.
    MailServer,
    /// Inside a block read by a custom handler (`types`, `map`, `geo`,
    /// `split_clients`, `charset_map`; the name is the block's): the
    /// contents are not directives and [`check`] accepts them.
    Raw(&'static str),
}

impl Context {
    /// Every context directives are looked up in (all but [`Context::Raw`]).
    pub const DIRECTIVE_CONTEXTS: [Context; 14] = [
        Context::Main,
        Context::Events,
        Context::Http,
        Context::HttpServer,
        Context::HttpLocation,
        Context::HttpUpstream,
        Context::HttpIfInServer,
        Context::HttpIfInLocation,
        Context::HttpLimitExcept,
        Context::Stream,
        Context::StreamServer,
        Context::StreamUpstream,
        Context::Mail,
        Context::MailServer,
    ];

    /// Bit in [`Directive::contexts`] (as written by the generator).
    pub fn bit(self) -> Option<u16> {
        let i = match self {
            Context::Main => 0,
            Context::Events => 1,
            Context::Http => 2,
            Context::HttpServer => 3,
            Context::HttpLocation => 4,
            Context::HttpUpstream => 5,
            Context::HttpIfInServer => 6,
            Context::HttpIfInLocation => 7,
            Context::HttpLimitExcept => 8,
            Context::Stream => 9,
            Context::StreamServer => 10,
            Context::StreamUpstream => 11,
            Context::Mail => 12,
            Context::MailServer => 13,
            Context::Raw(_) => return None,
        };
        Some(1 << i)
    }

    /// The module type nginx requires here (`cf->module_type`).
    pub fn kind(self) -> Option<ModuleKind> {
        Some(match self {
            Context::Main => ModuleKind::Core,
            Context::Events => ModuleKind::Event,
            Context::Http
            | Context::HttpServer
            | Context::HttpLocation
            | Context::HttpUpstream
            | Context::HttpIfInServer
            | Context::HttpIfInLocation
            | Context::HttpLimitExcept => ModuleKind::Http,
            Context::Stream | Context::StreamServer | Context::StreamUpstream => ModuleKind::Stream,
            Context::Mail | Context::MailServer => ModuleKind::Mail,
            Context::Raw(_) => return None,
        })
    }

    /// Name as in nginx's documentation ("Context: http, server, location").
    pub fn name(self) -> &'static str {
        match self {
            Context::Main => "main",
            Context::Events => "events",
            Context::Http => "http",
            Context::Stream => "stream",
            Context::Mail => "mail",
            Context::HttpServer | Context::StreamServer | Context::MailServer => "server",
            Context::HttpLocation => "location",
            Context::HttpUpstream | Context::StreamUpstream => "upstream",
            Context::HttpIfInServer => "if in server",
            Context::HttpIfInLocation => "if in location",
            Context::HttpLimitExcept => "limit_except",
            Context::Raw(n) => n,
        }
    }

    /// The context inside block directive `block` written in `self`, or
    /// `None` if `block` is not a block directive nginx accepts here.
    pub fn child(self, block: &str, version: Version) -> Option<Context> {
        let d = resolve(block, self, version).ok()?;
        if !d.is_block() {
            return None;
        }
        if d.raw_block {
            return Some(Context::Raw(d.name));
        }
        use Context::*;
        Some(match (self, block) {
            (Main, "events") => Events,
            (Main, "http") => Http,
            (Main, "stream") => Stream,
            (Main, "mail") => Mail,
            (Http, "server") => HttpServer,
            (Stream, "server") => StreamServer,
            (Mail, "server") => MailServer,
            (Http, "upstream") => HttpUpstream,
            (Stream, "upstream") => StreamUpstream,
            (HttpServer | HttpLocation, "location") => HttpLocation,
            (HttpServer, "if") => HttpIfInServer,
            (HttpLocation, "if") => HttpIfInLocation,
            (HttpLocation, "limit_except") => HttpLimitExcept,
            _ => return None,
        })
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why nginx would refuse a directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    UnknownDirective,
    NotAllowedHere,
    /// A non-block directive followed by `{`.
    NotTerminatedBySemicolon,
    /// A block directive followed by `;`.
    NoOpeningBrace,
    InvalidNumberOfArguments,
    InvalidValue,
    Duplicate,
}

/// nginx's refusal: `message` is the text after `[emerg] `, without
/// ` in FILE:LINE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

impl Refusal {
    fn new(kind: RefusalKind, message: String) -> Self {
        Refusal { kind, message }
    }

    /// `"NAME" directive MSG`, how `ngx_conf_handler()` prints a string
    /// returned by a handler.
    fn directive(name: &str, msg: &str) -> Self {
        Refusal::new(
            RefusalKind::InvalidValue,
            format!("\"{name}\" directive {msg}"),
        )
    }

    fn value(message: String) -> Self {
        Refusal::new(RefusalKind::InvalidValue, message)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// Every module in the table.
pub fn modules() -> &'static [Module] {
    &MODULES
}

/// Every table row (all versions), sorted by name.
pub fn all() -> &'static [Directive] {
    &DIRECTIVES
}

fn rows(name: &str) -> &'static [Directive] {
    // Rules look up every directive of a configuration several times: a hash of the
    // name is cheaper than the dozen string comparisons of a binary search.
    static BY_NAME: std::sync::OnceLock<FxHashMap<&'static str, (usize, usize)>> =
        std::sync::OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut m: FxHashMap<&'static str, (usize, usize)> = FxHashMap::default();
        for (i, d) in DIRECTIVES.iter().enumerate() {
            m.entry(d.name).or_insert((i, i)).1 = i + 1;
        }
        m
    });
    by_name
        .get(name)
        .map_or(&[], |&(lo, hi)| &DIRECTIVES[lo..hi])
}

/// All definitions of `name` in `version` (one per module defining it).
pub fn lookup_all(name: &str, version: Version) -> impl Iterator<Item = &'static Directive> {
    rows(name).iter().filter(move |d| d.exists_in(version))
}

/// The first definition of `name` in `version` (modules sorted by name; use
/// [`resolve`] for the one a given context selects).
pub fn lookup(name: &str, version: Version) -> Option<&'static Directive> {
    lookup_all(name, version).next()
}

/// First and last release (over the table's range) in which any module
/// defines `name`.
pub fn known_in_any_version(name: &str) -> Option<(Version, Version)> {
    let r = rows(name);
    let first = r.iter().map(|d| d.first).min()?;
    let last = r.iter().map(|d| d.last).max()?;
    Some((first, last))
}

/// Directive names known in `version`, sorted, without repeats.
pub fn names(version: Version) -> impl Iterator<Item = &'static str> {
    let mut prev = "";
    DIRECTIVES.iter().filter_map(move |d| {
        if d.name != prev && d.exists_in(version) {
            prev = d.name;
            Some(d.name)
        } else {
            None
        }
    })
}

/// Whether `name` opens a block whose contents a custom handler reads
/// (`types`, `map`, `geo`, `split_clients`, `charset_map`).
pub fn block_is_raw(name: &str) -> bool {
    rows(name).iter().any(|d| d.raw_block)
}

/// The definition nginx selects for `name` in `ctx`, or its refusal:
/// `unknown directive "NAME"` / `"NAME" directive is not allowed here`.
pub fn resolve(name: &str, ctx: Context, version: Version) -> Result<&'static Directive, Refusal> {
    let mut found = false;
    for d in lookup_all(name, version) {
        found = true;
        if d.allowed_in(ctx) {
            return Ok(d);
        }
    }
    Err(if found {
        Refusal::new(
            RefusalKind::NotAllowedHere,
            format!("\"{name}\" directive is not allowed here"),
        )
    } else {
        Refusal::new(
            RefusalKind::UnknownDirective,
            format!("unknown directive \"{name}\""),
        )
    })
}

/// Replays `ngx_conf_handler()` and the handler's own value checks for one
/// directive: `args` are the words after the name, `block` whether it was
/// followed by `{` (rather than `;`). Inside [`Context::Raw`] everything is
/// accepted. Duplicates need the surrounding block: see
/// [`duplicate_check_applies`].
///
/// Dynamic modules: the table includes e.g. stream and mail; whether they
/// are loaded (`load_module`) is the caller's business (see
/// [`Module::debian`]); unloaded, nginx says `unknown directive`.
pub fn check(
    name: &str,
    ctx: Context,
    args: &[&str],
    block: bool,
    version: Version,
) -> Result<(), Refusal> {
    if let Context::Raw(_) = ctx {
        return Ok(());
    }
    let d = resolve(name, ctx, version)?;
    if !d.is_block() && block {
        return Err(Refusal::new(
            RefusalKind::NotTerminatedBySemicolon,
            format!("directive \"{name}\" is not terminated by \";\""),
        ));
    }
    if d.is_block() && !block {
        return Err(Refusal::new(
            RefusalKind::NoOpeningBrace,
            format!("directive \"{name}\" has no opening \"{{\""),
        ));
    }
    if !d.accepts_arg_count(args.len()) {
        return Err(Refusal::new(
            RefusalKind::InvalidNumberOfArguments,
            format!("invalid number of arguments in \"{name}\" directive"),
        ));
    }
    check_value(d, args)
}

/// Value checks of the handler (`args` after the name, count already
/// checked): the generic slots, and these custom TLS handlers:
///
/// * `ssl_session_cache` (`ngx_{http,stream,mail}_ssl_session_cache` in
///   `src/{http/modules,stream,mail}/ngx_*_ssl_module.c`): `off`, `none`,
///   `builtin`, `builtin:N`, `shared:NAME:SIZE` (≥ 8 pages, 32k with 4 KiB
///   pages); `invalid session cache "X"`, `session cache "X" is too small`;
/// * `ssl_ocsp_cache` (`ngx_{http,stream}_ssl_ocsp_cache`): `off` or
///   `shared:NAME:SIZE`; `invalid OCSP cache "X"`, `OCSP cache "X" is too small`;
/// * `ssl_certificate_cache` (`ngx_{http,stream}_ssl_certificate_cache`,
///   1.27.4+): `max=N inactive=TIME valid=TIME` or `off`;
///   `invalid parameter "X"`, `"ssl_certificate_cache" must have the "max" parameter`.
pub fn check_value(d: &Directive, args: &[&str]) -> Result<(), Refusal> {
    match d.handler {
        Handler::Slot(s) | Handler::Wraps(s, _) => check_slot(s, d, args),
        Handler::Custom(f) => match f {
            "ngx_http_ssl_session_cache"
            | "ngx_stream_ssl_session_cache"
            | "ngx_mail_ssl_session_cache" => check_session_cache(args),
            "ngx_http_ssl_ocsp_cache" | "ngx_stream_ssl_ocsp_cache" => {
                check_ocsp_cache(args.first().copied().unwrap_or(""))
            }
            "ngx_http_ssl_certificate_cache" | "ngx_stream_ssl_certificate_cache" => {
                check_certificate_cache(d.name, args)
            }
            _ => Ok(()),
        },
    }
}

fn check_slot(slot: Slot, d: &Directive, args: &[&str]) -> Result<(), Refusal> {
    let name = d.name;
    let first = args.first().copied().unwrap_or("");
    let in_values = |v: &str| d.values.iter().any(|x| x.eq_ignore_ascii_case(v));
    match slot {
        Slot::Flag => {
            if first.eq_ignore_ascii_case("on") || first.eq_ignore_ascii_case("off") {
                Ok(())
            } else {
                Err(Refusal::value(format!(
                    "invalid value \"{first}\" in \"{name}\" directive, \
                     it must be \"on\" or \"off\""
                )))
            }
        }
        Slot::Enum => {
            if in_values(first) {
                Ok(())
            } else {
                Err(Refusal::value(format!("invalid value \"{first}\"")))
            }
        }
        Slot::Bitmask => match args.iter().find(|a| !in_values(a)) {
            None => Ok(()),
            Some(bad) => Err(Refusal::value(format!("invalid value \"{bad}\""))),
        },
        Slot::Num => {
            let n =
                parse_number(first).ok_or_else(|| Refusal::directive(name, "invalid number"))?;
            match d.bounds {
                Some((low, -1)) if n < low => Err(Refusal::value(format!(
                    "value must be equal to or greater than {low}"
                ))),
                Some((low, high)) if high != -1 && !(low..=high).contains(&n) => Err(
                    Refusal::value(format!("value must be between {low} and {high}")),
                ),
                _ => Ok(()),
            }
        }
        Slot::Size => parse_size(first)
            .map(drop)
            .ok_or_else(|| Refusal::directive(name, "invalid value")),
        Slot::Off => parse_offset(first)
            .map(drop)
            .ok_or_else(|| Refusal::directive(name, "invalid value")),
        Slot::Msec => parse_msec(first)
            .map(drop)
            .ok_or_else(|| Refusal::directive(name, "invalid value")),
        Slot::Sec => parse_sec(first)
            .map(drop)
            .ok_or_else(|| Refusal::directive(name, "invalid value")),
        Slot::Bufs => {
            let num = parse_number(first).unwrap_or(0);
            let size = args.get(1).and_then(|s| parse_size(s)).unwrap_or(0);
            if num == 0 || size == 0 {
                Err(Refusal::directive(name, "invalid value"))
            } else {
                Ok(())
            }
        }
        Slot::Path => {
            let mut len = 0i64;
            for level in args.iter().skip(1) {
                match parse_number(level) {
                    Some(l) if l != 0 => len += l + 1,
                    _ => return Err(Refusal::directive(name, "invalid value")),
                }
            }
            let levels = args.len().saturating_sub(1) as i64;
            if len > 10 + levels {
                Err(Refusal::directive(name, "invalid value"))
            } else {
                Ok(())
            }
        }
        Slot::Access => {
            for a in args {
                let rest = a
                    .strip_prefix("user:")
                    .or_else(|| a.strip_prefix("group:"))
                    .or_else(|| a.strip_prefix("all:"));
                if !matches!(rest, Some("rw" | "r")) {
                    return Err(Refusal::value(format!("invalid value \"{a}\"")));
                }
            }
            Ok(())
        }
        Slot::Str | Slot::StrArray | Slot::KeyVal => Ok(()),
    }
}

/// `ngx_pagesize` on x86_64/arm64 Linux.
const PAGE_SIZE: i64 = 4096;

/// `shared:NAME:SIZE` → size, or None if malformed.
fn shared_zone_size(v: &str) -> Option<i64> {
    let rest = v.strip_prefix("shared:").filter(|r| !r.is_empty())?;
    let (zone, size) = rest.split_once(':')?;
    if zone.is_empty() {
        return None;
    }
    parse_size(size)
}

fn check_session_cache(args: &[&str]) -> Result<(), Refusal> {
    for a in args {
        if matches!(*a, "off" | "none" | "builtin") {
            continue;
        }
        if let Some(n) = a.strip_prefix("builtin:").filter(|n| !n.is_empty()) {
            if parse_number(n).is_some() {
                continue;
            }
        } else if let Some(size) = a.strip_prefix("shared:").and_then(|_| shared_zone_size(a)) {
            if size < 8 * PAGE_SIZE {
                return Err(Refusal::value(format!(
                    "session cache \"{a}\" is too small"
                )));
            }
            continue;
        }
        return Err(Refusal::value(format!("invalid session cache \"{a}\"")));
    }
    Ok(())
}

fn check_ocsp_cache(a: &str) -> Result<(), Refusal> {
    if a == "off" {
        return Ok(());
    }
    match shared_zone_size(a) {
        Some(size) if size < 8 * PAGE_SIZE => {
            Err(Refusal::value(format!("OCSP cache \"{a}\" is too small")))
        }
        Some(_) => Ok(()),
        None => Err(Refusal::value(format!("invalid OCSP cache \"{a}\""))),
    }
}

fn check_certificate_cache(name: &str, args: &[&str]) -> Result<(), Refusal> {
    let mut max = 0;
    let mut off = false;
    for a in args {
        let ok = if let Some(n) = a.strip_prefix("max=") {
            max = parse_number(n).unwrap_or(0);
            max > 0
        } else if let Some(t) = a.strip_prefix("inactive=") {
            parse_sec(t).is_some()
        } else if let Some(t) = a.strip_prefix("valid=") {
            parse_sec(t).is_some()
        } else if *a == "off" {
            off = true;
            true
        } else {
            false
        };
        if !ok {
            return Err(Refusal::value(format!("invalid parameter \"{a}\"")));
        }
    }
    if !off && max == 0 {
        return Err(Refusal::value(format!(
            "\"{name}\" must have the \"max\" parameter"
        )));
    }
    Ok(())
}

/// Whether a second `name` in the same block is refused with
/// `"NAME" directive is duplicate`, judged on every definition in
/// [`NEWEST`]: true only if all are [`Dup::Always`] (generic slots Flag,
/// Str, Num, Size, Off, Msec, Sec, Bufs, Enum, Path, Access, and wrappers
/// of them). Custom handlers that may say it ([`Dup::Custom`], e.g.
/// `ssl_password_file`, `ssl_ocsp_cache`, `root`/`alias`) return false here.
pub fn duplicate_check_applies(name: &str) -> bool {
    let mut any = false;
    for d in lookup_all(name, NEWEST) {
        if d.dup != Dup::Always {
            return false;
        }
        any = true;
    }
    any
}

/// Like [`duplicate_check_applies`] for the definition `ctx` selects in
/// `version`.
pub fn duplicate_check_applies_in(name: &str, ctx: Context, version: Version) -> bool {
    resolve(name, ctx, version).is_ok_and(|d| d.dup == Dup::Always)
}

/// nginx's message for a duplicate: `"NAME" directive is duplicate`.
pub fn duplicate_refusal(name: &str) -> Refusal {
    Refusal::new(
        RefusalKind::Duplicate,
        format!("\"{name}\" directive is duplicate"),
    )
}

/// "Did you mean": the closest directive name of `version` within edit
/// distance 2 (insert, delete, substitute, swap neighbours), ties in
/// alphabetical order. `None` for a known name.
pub fn suggest(name: &str, version: Version) -> Option<&'static str> {
    if lookup(name, version).is_some() {
        return None;
    }
    let mut best: Option<(usize, &'static str)> = None;
    for cand in names(version) {
        if cand.len().abs_diff(name.len()) > 2 {
            continue;
        }
        let dist = edit_distance(name.as_bytes(), cand.as_bytes());
        if dist <= 2 && best.is_none_or(|(b, _)| dist < b) {
            best = Some((dist, cand));
        }
    }
    best.map(|(_, n)| n)
}

/// Optimal-string-alignment distance (insert, delete, substitute, swap neighbours).
pub fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            m[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (m[(i - 1) * w + j] + 1)
                    .min(m[i * w + j - 1] + 1)
                    .min(m[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(m[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    m[a.len() * w + b.len()]
}

/// `error_log`'s levels, most verbose first (`ngx_log_error_levels` in
/// src/core/ngx_log.c, with `debug`).
pub const ERROR_LOG_LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

const MAX_INT: i64 = i64::MAX; // NGX_MAX_INT_T_VALUE, NGX_MAX_SIZE_T_VALUE, NGX_MAX_OFF_T_VALUE on 64-bit

/// `ngx_atoi()`: decimal digits only (no sign), not empty, ≤ 2^63-1.
pub fn parse_number(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(v)
}

fn parse_scaled(s: &str, units: &[(u8, i64)]) -> Option<i64> {
    let last = *s.as_bytes().last()?;
    let (digits, scale) = match units.iter().find(|(u, _)| last.eq_ignore_ascii_case(u)) {
        Some(&(_, scale)) => (&s[..s.len() - 1], scale),
        None => (s, 1),
    };
    let n = parse_number(digits)?;
    if n > MAX_INT / scale {
        return None;
    }
    Some(n * scale)
}

/// `ngx_parse_size()`: `N`, `Nk`/`NK`, `Nm`/`NM` → bytes.
pub fn parse_size(s: &str) -> Option<i64> {
    parse_scaled(s, &[(b'k', 1024), (b'm', 1024 * 1024)])
}

/// `ngx_parse_offset()`: like [`parse_size`] plus `Ng`/`NG`.
pub fn parse_offset(s: &str) -> Option<i64> {
    parse_scaled(
        s,
        &[
            (b'k', 1024),
            (b'm', 1024 * 1024),
            (b'g', 1024 * 1024 * 1024),
        ],
    )
}

/// `ngx_parse_time()`: units y M w d h m s (and ms unless `is_sec`) in
/// that order, each at most once, optionally space-separated; a bare number
/// means seconds. Returns seconds (`is_sec`) or milliseconds. With
/// `is_sec == false`, `y` and `M` are refused (as nginx does).
pub fn parse_time(s: &str, is_sec: bool) -> Option<i64> {
    #[derive(Clone, Copy, PartialEq, PartialOrd)]
    enum Step {
        Start,
        Year,
        Month,
        Week,
        Day,
        Hour,
        Min,
        Sec,
        Msec,
        Last,
    }
    let p = s.as_bytes();
    let mut i = 0;
    let mut valid = false;
    let mut value: i64 = 0;
    let mut total: i64 = 0;
    let mut step = if is_sec { Step::Start } else { Step::Month };
    while i < p.len() {
        let c = p[i];
        if c.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
            i += 1;
            valid = true;
            continue;
        }
        i += 1;
        let (next, mut max, mut scale) = match c {
            b'y' if step <= Step::Start => (Step::Year, MAX_INT / 31_536_000, 31_536_000),
            b'M' if step < Step::Month => (Step::Month, MAX_INT / 2_592_000, 2_592_000),
            b'w' if step < Step::Week => (Step::Week, MAX_INT / 604_800, 604_800),
            b'd' if step < Step::Day => (Step::Day, MAX_INT / 86_400, 86_400),
            b'h' if step < Step::Hour => (Step::Hour, MAX_INT / 3600, 3600),
            b'm' if i < p.len() && p[i] == b's' => {
                if is_sec || step >= Step::Msec {
                    return None;
                }
                i += 1;
                (Step::Msec, MAX_INT, 1)
            }
            b'm' if step < Step::Min => (Step::Min, MAX_INT / 60, 60),
            b's' if step < Step::Sec => (Step::Sec, MAX_INT, 1),
            b' ' if step < Step::Sec => (Step::Last, MAX_INT, 1),
            _ => return None,
        };
        step = next;
        if step != Step::Msec && !is_sec {
            scale *= 1000;
            max /= 1000;
        }
        if value > max {
            return None;
        }
        value *= scale;
        if total > MAX_INT - value {
            return None;
        }
        total += value;
        value = 0;
        while i < p.len() && p[i] == b' ' {
            i += 1;
        }
    }
    if !valid {
        return None;
    }
    if !is_sec {
        if value > MAX_INT / 1000 {
            return None;
        }
        value *= 1000;
    }
    if total > MAX_INT - value {
        return None;
    }
    Some(total + value)
}

/// [`parse_time`] for `ngx_conf_set_msec_slot`: milliseconds.
pub fn parse_msec(s: &str) -> Option<i64> {
    parse_time(s, false)
}

/// [`parse_time`] for `ngx_conf_set_sec_slot`: seconds.
pub fn parse_sec(s: &str) -> Option<i64> {
    parse_time(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_22: Version = Version(1, 22, 1);
    const V1_24: Version = Version(1, 24, 0);
    const V1_26: Version = Version(1, 26, 0);

    fn msg(r: Result<(), Refusal>) -> String {
        r.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn table_is_sorted_and_consistent() {
        assert!(DIRECTIVES.windows(2).all(|w| w[0].name <= w[1].name));
        assert_eq!(RELEASES[0], OLDEST);
        assert_eq!(*RELEASES.last().unwrap(), NEWEST);
        for d in DIRECTIVES.iter() {
            assert!(d.first <= d.last, "{}", d.name);
            assert!(d.contexts().next().is_some(), "{} has no context", d.name);
            // every context bit belongs to the module's kind
            let all: u16 = d.contexts().filter_map(Context::bit).fold(0, |a, b| a | b);
            assert_eq!(all, d.contexts, "{}", d.name);
            if matches!(d.handler.slot(), Some(Slot::Enum | Slot::Bitmask)) {
                assert!(!d.values.is_empty(), "{}", d.name);
            }
        }
    }

    #[test]
    fn ssl_verify_client_values() {
        let ctx = Context::HttpServer;
        for v in ["on", "off", "optional", "optional_no_ca", "OPTIONAL"] {
            assert_eq!(check("ssl_verify_client", ctx, &[v], false, V1_22), Ok(()));
        }
        assert_eq!(
            msg(check("ssl_verify_client", ctx, &["require"], false, V1_22)),
            "invalid value \"require\""
        );
        let d = resolve("ssl_verify_client", ctx, NEWEST).unwrap();
        assert_eq!(d.handler, Handler::Slot(Slot::Enum));
        assert_eq!(d.values, ["off", "on", "optional", "optional_no_ca"]);
        assert_eq!(d.module().name, "ngx_http_ssl_module");
        // stream has its own definition in ngx_stream_ssl_module
        let s = resolve("ssl_verify_client", Context::StreamServer, NEWEST).unwrap();
        assert_eq!(s.module().name, "ngx_stream_ssl_module");
        assert!(duplicate_check_applies("ssl_verify_client"));
    }

    #[test]
    fn not_allowed_here() {
        for ctx in [Context::HttpLocation, Context::Main, Context::Events] {
            assert_eq!(
                msg(check("ssl_verify_client", ctx, &["on"], false, V1_22)),
                "\"ssl_verify_client\" directive is not allowed here"
            );
        }
        assert_eq!(
            resolve("ssl_verify_client", Context::HttpLocation, NEWEST)
                .unwrap_err()
                .kind,
            RefusalKind::NotAllowedHere
        );
    }

    #[test]
    fn unknown_and_suggestion() {
        assert_eq!(
            msg(check(
                "ssl_verfy_client",
                Context::HttpServer,
                &["on"],
                false,
                V1_22
            )),
            "unknown directive \"ssl_verfy_client\""
        );
        assert_eq!(
            suggest("ssl_verfy_client", V1_22),
            Some("ssl_verify_client")
        );
        assert_eq!(
            suggest("ssl_client_certficate", NEWEST),
            Some("ssl_client_certificate")
        );
        assert_eq!(suggest("ssl_verify_client", NEWEST), None);
        assert_eq!(suggest("completely_unrelated_thing", NEWEST), None);
    }

    #[test]
    fn argument_counts_and_blocks() {
        let ctx = Context::HttpServer;
        assert_eq!(
            msg(check("ssl_verify_client", ctx, &[], false, V1_22)),
            "invalid number of arguments in \"ssl_verify_client\" directive"
        );
        assert_eq!(
            msg(check(
                "ssl_verify_client",
                ctx,
                &["on", "off"],
                false,
                V1_22
            )),
            "invalid number of arguments in \"ssl_verify_client\" directive"
        );
        // TAKE1
        let d = resolve("ssl_stapling_file", ctx, NEWEST).unwrap();
        assert!(d.accepts_arg_count(1) && !d.accepts_arg_count(2));
        assert_eq!(d.arg_kind(), "NGX_CONF_TAKE1");
        let loc = resolve("location", ctx, NEWEST).unwrap();
        assert_eq!(loc.arg_kind(), "NGX_CONF_BLOCK|NGX_CONF_TAKE12");
        assert_eq!(
            msg(check("location", ctx, &["/", "x", "y"], true, NEWEST)),
            "invalid number of arguments in \"location\" directive"
        );
        assert_eq!(
            msg(check("location", ctx, &["/"], false, NEWEST)),
            "directive \"location\" has no opening \"{\""
        );
        assert_eq!(
            msg(check("ssl_verify_client", ctx, &["on"], true, NEWEST)),
            "directive \"ssl_verify_client\" is not terminated by \";\""
        );
        // 1MORE
        assert_eq!(
            msg(check("ssl_protocols", ctx, &[], false, NEWEST)),
            "invalid number of arguments in \"ssl_protocols\" directive"
        );
        assert_eq!(
            check("ssl_protocols", ctx, &["TLSv1.2", "TLSv1.3"], false, NEWEST),
            Ok(())
        );
        assert_eq!(
            msg(check(
                "ssl_protocols",
                ctx,
                &["TLSv1.2", "TLSv1.4"],
                false,
                NEWEST
            )),
            "invalid value \"TLSv1.4\""
        );
        // flag
        assert_eq!(
            msg(check("ssl_stapling", ctx, &["yes"], false, NEWEST)),
            "invalid value \"yes\" in \"ssl_stapling\" directive, it must be \"on\" or \"off\""
        );
        // include anywhere, raw blocks accept anything
        assert_eq!(
            check("include", Context::HttpLocation, &["x.conf"], false, NEWEST),
            Ok(())
        );
        let types = Context::Http.child("types", NEWEST).unwrap();
        assert_eq!(types, Context::Raw("types"));
        assert_eq!(check("text/html", types, &["html"], false, NEWEST), Ok(()));
        assert!(block_is_raw("map") && !block_is_raw("server"));
    }

    #[test]
    fn contexts_and_children() {
        let v = NEWEST;
        let srv = Context::Http.child("server", v).unwrap();
        assert_eq!(srv, Context::HttpServer);
        assert_eq!(srv.child("if", v), Some(Context::HttpIfInServer));
        let loc = srv.child("location", v).unwrap();
        assert_eq!(loc.child("if", v), Some(Context::HttpIfInLocation));
        assert_eq!(loc.child("limit_except", v), Some(Context::HttpLimitExcept));
        assert_eq!(
            Context::Stream.child("server", v),
            Some(Context::StreamServer)
        );
        assert_eq!(Context::Main.child("server", v), None);
        assert_eq!(srv.child("ssl_protocols", v), None);
    }

    #[test]
    fn ssl_on_removed_in_1_25_1() {
        let ctx = Context::HttpServer;
        assert_eq!(check("ssl", ctx, &["on"], false, V1_24), Ok(()));
        let d = resolve("ssl", ctx, V1_24).unwrap();
        assert_eq!(d.replaced_by, Some("listen ... ssl"));
        assert_eq!(d.handler.slot(), Some(Slot::Flag));
        assert_eq!(
            msg(check("ssl", ctx, &["maybe"], false, V1_24)),
            "invalid value \"maybe\" in \"ssl\" directive, it must be \"on\" or \"off\""
        );
        assert_eq!(
            msg(check("ssl", ctx, &["on"], false, V1_26)),
            "unknown directive \"ssl\""
        );
        assert_eq!(
            known_in_any_version("ssl"),
            Some((Version(1, 18, 0), Version(1, 25, 0)))
        );
        assert!(lookup("ssl", Version(1, 25, 1)).is_none());
        assert!(lookup("ssl", Version(1, 25, 0)).is_some());
        assert!(known_in_any_version("no_such_directive").is_none());
    }

    #[test]
    fn sizes_and_times() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("16k"), Some(16 * 1024));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("1g"), None);
        assert_eq!(parse_size("1.5m"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_offset("2G"), Some(2 << 30));
        assert_eq!(parse_sec("1h 30m"), Some(5400));
        assert_eq!(parse_sec("1d12h"), Some(129_600));
        assert_eq!(parse_sec("10"), Some(10));
        assert_eq!(parse_sec("5ms"), None);
        assert_eq!(parse_sec("1m1h"), None);
        assert_eq!(parse_msec("500ms"), Some(500));
        assert_eq!(parse_msec("1s 500ms"), Some(1500));
        assert_eq!(parse_msec("60"), Some(60_000));
        assert_eq!(parse_msec("1y"), None);
        assert_eq!(parse_sec("1y"), Some(31_536_000));
        assert_eq!(parse_sec("abc"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("9223372036854775808"), None);

        let ctx = Context::HttpServer;
        assert_eq!(
            msg(check("ssl_session_timeout", ctx, &["5x"], false, NEWEST)),
            "\"ssl_session_timeout\" directive invalid value"
        );
        assert_eq!(
            msg(check("ssl_buffer_size", ctx, &["16q"], false, NEWEST)),
            "\"ssl_buffer_size\" directive invalid value"
        );
        assert_eq!(
            msg(check("ssl_verify_depth", ctx, &["two"], false, NEWEST)),
            "\"ssl_verify_depth\" directive invalid number"
        );
        assert_eq!(
            msg(check(
                "gzip_comp_level",
                Context::HttpLocation,
                &["10"],
                false,
                NEWEST
            )),
            "value must be between 1 and 9"
        );
    }

    #[test]
    fn tls_custom_handlers() {
        let ctx = Context::HttpServer;
        assert_eq!(
            check(
                "ssl_session_cache",
                ctx,
                &["shared:SSL:10m", "builtin:1000"],
                false,
                V1_22
            ),
            Ok(())
        );
        assert_eq!(
            msg(check(
                "ssl_session_cache",
                ctx,
                &["shared:SSL"],
                false,
                V1_22
            )),
            "invalid session cache \"shared:SSL\""
        );
        assert_eq!(
            msg(check(
                "ssl_session_cache",
                ctx,
                &["shared:SSL:1k"],
                false,
                V1_22
            )),
            "session cache \"shared:SSL:1k\" is too small"
        );
        assert_eq!(
            msg(check("ssl_ocsp_cache", ctx, &["on"], false, V1_22)),
            "invalid OCSP cache \"on\""
        );
        assert_eq!(
            msg(check(
                "ssl_certificate_cache",
                ctx,
                &["inactive=1m"],
                false,
                NEWEST
            )),
            "\"ssl_certificate_cache\" must have the \"max\" parameter"
        );
        assert_eq!(
            msg(check(
                "ssl_certificate_cache",
                ctx,
                &["max=x"],
                false,
                NEWEST
            )),
            "invalid parameter \"max=x\""
        );
    }

    /// Compares [`check`] with a real `nginx -t` (run in a temporary prefix;
    /// needs `/usr/sbin/nginx`, e.g. Debian's 1.22 with libnginx-mod-stream):
    /// `cargo test --lib config::directives -- --ignored`.
    #[test]
    #[ignore = "runs /usr/sbin/nginx -t"]
    fn parity_with_real_nginx() {
        use std::process::Command;
        let nginx = std::path::Path::new("/usr/sbin/nginx");
        if !nginx.exists() {
            return;
        }
        let out = Command::new(nginx).arg("-v").output().unwrap();
        let version = String::from_utf8_lossy(&out.stderr)
            .split_whitespace()
            .find_map(Version::parse)
            .expect("nginx -v");
        let so = "/usr/lib/nginx/modules/ngx_stream_module.so";
        let load = if std::path::Path::new(so).exists() {
            format!("load_module {so};")
        } else {
            String::new()
        };
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().display().to_string();
        let http = format!(
            "events {{}} http {{ access_log off; client_body_temp_path {t}/cb; \
             proxy_temp_path {t}/p; fastcgi_temp_path {t}/f; uwsgi_temp_path {t}/u; \
             scgi_temp_path {t}/s; server {{ @ }} }}"
        );
        let location = http.replace('@', "location / { @ }");
        let stream = format!("{load} events {{}} stream {{ server {{ listen 127.0.0.1:1; @ }} }}");
        let cases: &[(&str, Context, &str, &[&str], bool)] = &[
            (
                &http,
                Context::HttpServer,
                "ssl_verify_client",
                &["require"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_verify_client",
                &["OPTIONAL"],
                false,
            ),
            (
                &location,
                Context::HttpLocation,
                "ssl_verify_client",
                &["on"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_verfy_client",
                &["on"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_verify_client",
                &["on", "off"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_verify_client",
                &["on"],
                true,
            ),
            (&http, Context::HttpServer, "ssl_stapling", &["yes"], false),
            (
                &http,
                Context::HttpServer,
                "ssl_session_timeout",
                &["5x"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_session_timeout",
                &["1d12h"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "proxy_connect_timeout",
                &["1y"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "proxy_connect_timeout",
                &["1s 500ms"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_buffer_size",
                &["1g"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_verify_depth",
                &["two"],
                false,
            ),
            (
                &location,
                Context::HttpLocation,
                "gzip_comp_level",
                &["10"],
                false,
            ),
            (&http, Context::HttpServer, "location", &["/"], false),
            (
                &http,
                Context::HttpServer,
                "ssl_protocols",
                &["TLSv1.2", "TLSv1.4"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_session_cache",
                &["shared:SSL"],
                false,
            ),
            (
                &http,
                Context::HttpServer,
                "ssl_session_cache",
                &["shared:SSL:1k"],
                false,
            ),
            (&http, Context::HttpServer, "ssl_ocsp_cache", &["on"], false),
            (&http, Context::HttpServer, "http2", &["on"], false),
            (
                &http,
                Context::HttpServer,
                "ssl_certificate_cache",
                &["max=1"],
                false,
            ),
            (
                &stream,
                Context::StreamServer,
                "ssl_verify_client",
                &["require"],
                false,
            ),
            (
                &stream,
                Context::StreamServer,
                "ssl_stapling",
                &["on"],
                false,
            ),
            (&stream, Context::StreamServer, "map", &["$a", "$b"], true),
        ];
        let mut refused = 0;
        for (i, (tpl, ctx, name, args, block)) in cases.iter().enumerate() {
            let line = format!(
                "{name} {}{}",
                args.iter().map(|a| format!("\"{a}\" ")).collect::<String>(),
                if *block { "{ }" } else { ";" }
            );
            let conf = format!("{t}/{i}.conf");
            std::fs::write(&conf, tpl.replace('@', &line)).unwrap();
            let out = Command::new(nginx)
                .args(["-t", "-q", "-c", &conf, "-p", &format!("{t}/"), "-g"])
                .arg(format!("pid {t}/nginx.pid; error_log {t}/error.log;"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let real = stderr.lines().find_map(|l| {
                let rest = &l[l.find("[emerg] ")? + 8..];
                let msg = &rest[rest.find(": ")? + 2..];
                Some(msg[..msg.rfind(" in ").unwrap_or(msg.len())].to_string())
            });
            let ours = check(name, *ctx, args, *block, version)
                .err()
                .map(|e| e.message);
            assert_eq!(ours, real, "case {i}: {line} (nginx {version})");
            refused += usize::from(real.is_some());
        }
        assert!(
            refused >= cases.len() - 5,
            "nginx -t refused only {refused} cases"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("nginx/1.22.1"), Some(V1_22));
        assert_eq!(Version::parse("release-1.24.0"), Some(V1_24));
        assert_eq!(Version::parse("1.2"), None);
        assert_eq!(Version(9, 0, 0).clamp_to_table(), NEWEST);
        assert!(lookup("http2", Version(1, 25, 0)).is_none());
        assert!(lookup("http2", Version(1, 25, 1)).is_some());
        assert_eq!(
            duplicate_refusal("ssl_crl").message,
            "\"ssl_crl\" directive is duplicate"
        );
        assert!(!duplicate_check_applies("ssl_certificate"));
        assert!(duplicate_check_applies_in(
            "ssl_crl",
            Context::HttpServer,
            V1_22
        ));
    }
}
