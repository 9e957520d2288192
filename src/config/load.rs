//! Loading a whole configuration: the main file, its includes, a directory of
//! site fragments, or an `nginx -T` dump.
//!
//! Includes are resolved as nginx resolves them (`ngx_conf_include()`): a relative path
//! is relative to the configuration prefix (the directory of the main configuration, or
//! `--prefix`); a path with `*`, `?` or `[` is a glob whose matches are read in sorted
//! order and may match nothing; a plain path must exist. Each file is read and parsed
//! once; include cycles and symlink loops are reported, never followed.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use super::ast::{Directive, FileId, Parse, Span};
use super::dump;
use super::parser::parse;
use super::source::Sources;
use crate::util::read::os_error;

/// Deepest chain of includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 64;
/// Largest file read (bytes), also for stdin. Spans are 32-bit (4 GiB); real
/// configurations, even `nginx -T` dumps of large fleets, are a few MB, so the limit
/// stays well below what a machine can hold: past it, exit 2 instead of swapping.
pub const MAX_FILE_SIZE: u64 = 256 << 20;

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A main configuration file such as `/etc/nginx/nginx.conf`.
    File(PathBuf),
    /// A directory of server-level fragments (`sites-available/`), or a directory that
    /// holds `nginx.conf`.
    Dir(PathBuf),
    /// The bytes of stdin: an `nginx -T` dump, or a single configuration file.
    Stdin(Vec<u8>),
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The configuration prefix relative paths are resolved against.
    pub prefix: Option<PathBuf>,
    /// Do not follow includes.
    pub single_file: bool,
}

/// What kind of problem a [`LoadError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The input itself could not be read.
    Input,
    /// An include names a file that cannot be read.
    Include,
    /// An include leads back to a file that includes it.
    Cycle,
    /// Includes nested deeper than [`MAX_INCLUDE_DEPTH`].
    TooDeep,
}

/// A problem reading files (syntax errors are in each file's [`Parse`]).
#[derive(Debug, Clone)]
pub struct LoadError {
    pub kind: LoadErrorKind,
    /// The `include` directive that led here, when there is one.
    pub span: Option<Span>,
    pub path: PathBuf,
    pub message: String,
}

/// A file where the configuration starts, and the block context it is read in.
#[derive(Debug, Clone)]
pub struct Root {
    pub file: FileId,
    /// Enclosing block names: empty for a main configuration, `["http"]` for a site
    /// file (given alone or in a directory), `["stream"]`, `["http", "server"]`...
    pub context: Vec<String>,
}

/// A loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub sources: Sources,
    /// Parse results, indexed by [`FileId`] like `sources`.
    pub files: Vec<Parse>,
    pub roots: Vec<Root>,
    /// The files each `include` directive (by its span) brought in, in order.
    pub includes: HashMap<Span, Vec<FileId>>,
    pub errors: Vec<LoadError>,
    /// The configuration prefix used for relative paths (with a trailing separator
    /// semantics: `prefix.join(relative)`).
    pub prefix: PathBuf,
    /// The site file asked about, when it was read as part of the main configuration
    /// above it that includes it (findings are reported for this file).
    pub focus: Option<FileId>,
    /// The main configuration above a site file that does not include it: nginx does
    /// not load the file (it was read alone, as if included).
    pub not_loaded_by: Option<PathBuf>,
}

/// Where file contents come from: the file system, or the sections of a dump.
trait Files {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The files matching a glob pattern, sorted as nginx sorts them (bytewise).
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>>;
    /// A key that identifies the file (resolving symlinks), for cycle detection.
    fn identity(&self, path: &Path) -> io::Result<PathBuf>;
}

struct RealFiles;

fn glob_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    }
}

impl Files for RealFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_file(path)
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let text = pattern.to_string_lossy();
        let paths = glob::glob_with(&text, glob_options())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.msg))?;
        let mut out: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
        out.sort_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        Ok(out)
    }

    fn identity(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// Reads a configuration file, refusing directories and files larger than
/// [`MAX_FILE_SIZE`].
pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    crate::util::read::read_file(path, MAX_FILE_SIZE)
}

/// The sections of an `nginx -T` dump, by path.
struct DumpFiles {
    files: HashMap<PathBuf, Vec<u8>>,
}

impl Files for DumpFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files.get(path).cloned().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory (not in the nginx -T dump)",
            )
        })
    }

    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        let p = glob::Pattern::new(&pattern.to_string_lossy())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.msg))?;
        let mut out: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|k| p.matches_path_with(k, glob_options()))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        Ok(out)
    }

    fn identity(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }
}

/// Removes `.` and `dir/..` from a path without touching the file system (as the
/// kernel would resolve it when no symbolic link is involved), for readable messages.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn is_glob(path: &[u8]) -> bool {
    path.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Whether a file in a directory input is an editor backup or other non-config file.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || [
            ".swp",
            ".swo",
            ".bak",
            ".orig",
            ".rej",
            ".old",
            ".dpkg-dist",
            ".dpkg-old",
            ".dpkg-new",
            ".ucf-dist",
            ".ucf-old",
            ".rpmnew",
            ".rpmsave",
            ".tmp",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Loads a configuration with its includes.
pub fn load(input: &Input, opts: &LoadOptions) -> Config {
    match input {
        Input::File(path) => {
            let prefix = opts.prefix.clone().unwrap_or_else(|| parent_dir(path));
            let mut l = Loader::new(RealFiles, prefix, opts.single_file);
            l.root_detected(path.clone());
            let alone = l.finish();
            if opts.single_file || alone.roots.first().is_none_or(|r| r.context.is_empty()) {
                return alone;
            }
            in_tree(path, alone, opts)
        }
        Input::Dir(dir) => load_dir(dir, opts),
        Input::Stdin(bytes) => match dump::split(bytes) {
            Some(sections) => {
                let main = sections[0].0.clone();
                let prefix = opts.prefix.clone().unwrap_or_else(|| parent_dir(&main));
                let files = DumpFiles {
                    files: sections.into_iter().collect(),
                };
                let mut l = Loader::new(files, prefix, opts.single_file);
                l.root(main, Vec::new());
                l.finish()
            }
            None => {
                let prefix = opts
                    .prefix
                    .clone()
                    .or_else(|| std::env::current_dir().ok())
                    .unwrap_or_default();
                let mut files = HashMap::new();
                let name = PathBuf::from("<stdin>");
                files.insert(name.clone(), bytes.clone());
                let mut l = Loader::new(
                    Stacked {
                        first: DumpFiles { files },
                        then: RealFiles,
                    },
                    prefix,
                    opts.single_file,
                );
                l.root_detected(name);
                l.finish()
            }
        },
    }
}

/// Reads stdin's name first from memory, every other file from the file system.
struct Stacked<A, B> {
    first: A,
    then: B,
}

impl<A: Files, B: Files> Files for Stacked<A, B> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.first.read(path).or_else(|_| self.then.read(path))
    }
    fn glob(&self, pattern: &Path) -> io::Result<Vec<PathBuf>> {
        self.then.glob(pattern)
    }
    fn identity(&self, path: &Path) -> io::Result<PathBuf> {
        if self.first.read(path).is_ok() {
            return self.first.identity(path);
        }
        self.then.identity(path)
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The main configuration of the nginx tree a site file lies in: a `nginx.conf` in the
/// file's directory or up to two directories above it (`/etc/nginx/nginx.conf` for
/// `/etc/nginx/sites-available/default`).
pub fn main_above(file: &Path) -> Option<PathBuf> {
    let file = std::fs::canonicalize(file).ok()?;
    let mut dir = file.parent();
    for _ in 0..3 {
        let d = dir?;
        let main = d.join("nginx.conf");
        if main.is_file() && main != file {
            return Some(main);
        }
        dir = d.parent();
    }
    None
}

/// A site file in an nginx tree: read from the main configuration when that includes
/// it (directly, or through a `sites-enabled/` link), with the file as the focus;
/// otherwise the file alone, noting that nginx does not load it.
fn in_tree(path: &Path, mut alone: Config, opts: &LoadOptions) -> Config {
    let Some(main) = main_above(path) else {
        return alone;
    };
    let tree = load(
        &Input::File(main.clone()),
        &LoadOptions {
            prefix: opts.prefix.clone(),
            single_file: false,
        },
    );
    // A "nginx.conf" that is itself a site file is no main configuration.
    if tree.roots.first().is_none_or(|r| !r.context.is_empty()) {
        return alone;
    }
    let wanted = std::fs::canonicalize(path).ok();
    let focus = tree
        .sources
        .iter()
        .find(|(_, f)| std::fs::canonicalize(&f.path).ok() == wanted)
        .map(|(id, _)| id);
    match focus {
        Some(id) if id != tree.roots[0].file => Config {
            focus: Some(id),
            ..tree
        },
        _ => {
            // An include whose directory is not on this machine but whose file name
            // matches: the tree is a checkout of one installed elsewhere
            // (`include /usr/local/openresty/nginx/conf/logging.conf;`), so nothing is
            // said of whether nginx loads the file.
            // The same for `include /etc/nginx/conf.d/*.conf;` in a checkout whose
            // file lies in a `conf.d/` of its own: the include means this directory
            // once installed.
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let own_dir = std::fs::canonicalize(path)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            let elsewhere = name.is_some_and(|name| {
                tree.files.iter().any(|f| {
                    let mut found = Vec::new();
                    collect_includes(&f.directives, &mut found);
                    found.iter().any(|(_, pattern)| {
                        let target = tree.prefix.join(String::from_utf8_lossy(pattern).as_ref());
                        let Some(dir) = target.parent() else {
                            return false;
                        };
                        let same_name = dir.file_name().is_some()
                            && dir.file_name() == own_dir.as_deref().and_then(Path::file_name);
                        let other_place = std::fs::canonicalize(dir).ok() != own_dir;
                        let base = target.file_name().map(|b| b.to_string_lossy().into_owned());
                        other_place
                            && (!dir.is_dir() || same_name)
                            && base.is_some_and(|b| {
                                glob::Pattern::new(&b).is_ok_and(|p| p.matches(&name))
                            })
                    })
                })
            });
            if !elsewhere {
                alone.not_loaded_by = Some(main);
            }
            alone
        }
    }
}

fn load_dir(dir: &Path, opts: &LoadOptions) -> Config {
    let main = dir.join("nginx.conf");
    if main.is_file() {
        return load(&Input::File(main), opts);
    }
    let prefix = opts.prefix.clone().unwrap_or_else(|| {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        match name.as_deref() {
            Some("sites-available" | "sites-enabled" | "conf.d" | "http.d" | "vhosts.d") => {
                parent_dir(dir)
            }
            _ => dir.to_path_buf(),
        }
    });
    let mut l = Loader::new(RealFiles, prefix, opts.single_file);
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                if !is_ignored_name(&e.file_name().to_string_lossy()) {
                    l.root_detected(e.path().to_path_buf());
                }
            }
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let message = match e.io_error() {
                    Some(io) => format!("cannot read \"{}\" {}", path.display(), os_error(io)),
                    None => format!("cannot read \"{}\": {e}", path.display()),
                };
                l.config.errors.push(LoadError {
                    kind: LoadErrorKind::Input,
                    span: None,
                    path,
                    message,
                });
            }
        }
    }
    if l.config.roots.is_empty() && l.config.errors.is_empty() {
        l.config.errors.push(LoadError {
            kind: LoadErrorKind::Input,
            span: None,
            path: dir.to_path_buf(),
            message: format!("no configuration files in \"{}\"", dir.display()),
        });
    }
    l.finish()
}

struct Loader<F: Files> {
    fs: F,
    config: Config,
    single_file: bool,
    /// Files already read, by identity.
    seen: HashMap<PathBuf, FileId>,
    /// For each file: the (include span, targets) it has, for cycle detection.
    edges: HashMap<FileId, Vec<(Span, FileId)>>,
    queue: Vec<FileId>,
}

impl<F: Files> Loader<F> {
    fn new(fs: F, prefix: PathBuf, single_file: bool) -> Loader<F> {
        Loader {
            fs,
            config: Config {
                prefix,
                ..Config::default()
            },
            single_file,
            seen: HashMap::new(),
            edges: HashMap::new(),
            queue: Vec::new(),
        }
    }

    /// Reads and parses a file once; `None` (and an error) when it cannot be read.
    fn read(&mut self, path: &Path, from: Option<Span>) -> Option<FileId> {
        let identity = self.fs.identity(path);
        if let Ok(id) = &identity
            && let Some(&f) = self.seen.get(id)
        {
            return Some(f);
        }
        // The identity is looked up once (canonicalising a path reads every link on it).
        let bytes = identity.and_then(|key| self.fs.read(path).map(|b| (key, b)));
        match bytes {
            Ok((key, bytes)) => {
                let id = FileId(self.config.files.len() as u32);
                let parsed = parse(&bytes, id);
                let added = self.config.sources.add(path.to_path_buf(), bytes);
                debug_assert_eq!(added, id);
                self.config.files.push(parsed);
                self.seen.insert(key, id);
                self.queue.push(id);
                Some(id)
            }
            Err(e) => {
                let message = if e.raw_os_error() == Some(40) {
                    format!(
                        "open() \"{}\" failed (40: symbolic link loop)",
                        path.display()
                    )
                } else {
                    format!("open() \"{}\" failed {}", path.display(), os_error(&e))
                };
                self.config.errors.push(LoadError {
                    kind: if from.is_some() {
                        LoadErrorKind::Include
                    } else {
                        LoadErrorKind::Input
                    },
                    span: from,
                    path: path.to_path_buf(),
                    message,
                });
                None
            }
        }
    }

    fn root(&mut self, path: PathBuf, context: Vec<String>) {
        if let Some(file) = self.read(&path, None) {
            self.config.roots.push(Root { file, context });
        }
        self.drain();
    }

    /// A file given on its own: read in the block it is meant for (a site file as if
    /// included in `http {}`, see [`super::fragment`]).
    fn root_detected(&mut self, path: PathBuf) {
        if let Some(file) = self.read(&path, None) {
            let context =
                super::fragment::context_of(&self.config.files[file.0 as usize].directives);
            self.config.roots.push(Root { file, context });
        }
        self.drain();
    }

    /// Follows the includes of every file read so far, breadth first (the order
    /// crossplane lists files in).
    fn drain(&mut self) {
        let mut next = 0;
        while next < self.queue.len() {
            let file = self.queue[next];
            next += 1;
            if self.single_file {
                continue;
            }
            let mut found = Vec::new();
            collect_includes(&self.config.files[file.0 as usize].directives, &mut found);
            for (span, pattern) in found {
                let targets = self.resolve(span, &pattern);
                self.edges
                    .entry(file)
                    .or_default()
                    .extend(targets.iter().map(|t| (span, *t)));
                self.config.includes.insert(span, targets);
            }
        }
        self.queue.clear();
    }

    fn resolve(&mut self, span: Span, pattern: &[u8]) -> Vec<FileId> {
        let text = String::from_utf8_lossy(pattern).into_owned();
        let path = normalize(&self.config.prefix.join(&text));
        if is_glob(pattern) {
            match self.fs.glob(&path) {
                Ok(paths) => paths
                    .iter()
                    .filter_map(|p| self.read(p, Some(span)))
                    .collect(),
                Err(e) => {
                    self.config.errors.push(LoadError {
                        kind: LoadErrorKind::Include,
                        span: Some(span),
                        path,
                        message: format!("invalid include pattern \"{text}\": {e}"),
                    });
                    Vec::new()
                }
            }
        } else {
            self.read(&path, Some(span)).into_iter().collect()
        }
    }

    /// Reports include cycles and includes nested too deep (depth-first from the roots).
    fn check_cycles(&mut self) {
        let roots: Vec<FileId> = self.config.roots.iter().map(|r| r.file).collect();
        let mut reported = HashSet::new();
        for root in roots {
            // Explicit stack: (file, index of next edge).
            let mut stack: Vec<(FileId, usize)> = vec![(root, 0)];
            let mut on_path: Vec<FileId> = vec![root];
            while let Some((file, i)) = stack.last().copied() {
                let edges = self.edges.get(&file).map_or(&[][..], |v| v.as_slice());
                if i >= edges.len() {
                    stack.pop();
                    on_path.pop();
                    continue;
                }
                let (span, target) = edges[i];
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if on_path.contains(&target) {
                    if reported.insert(span) {
                        let mut chain: Vec<String> = on_path
                            .iter()
                            .skip_while(|f| **f != target)
                            .map(|f| self.config.sources.path(*f).display().to_string())
                            .collect();
                        chain.push(self.config.sources.path(target).display().to_string());
                        self.config.errors.push(LoadError {
                            kind: LoadErrorKind::Cycle,
                            span: Some(span),
                            path: self.config.sources.path(target).to_path_buf(),
                            message: format!("include cycle: {}", chain.join(" -> ")),
                        });
                    }
                    continue;
                }
                if on_path.len() >= MAX_INCLUDE_DEPTH {
                    if reported.insert(span) {
                        self.config.errors.push(LoadError {
                            kind: LoadErrorKind::TooDeep,
                            span: Some(span),
                            path: self.config.sources.path(target).to_path_buf(),
                            message: format!(
                                "includes nested more than {MAX_INCLUDE_DEPTH} levels deep"
                            ),
                        });
                    }
                    continue;
                }
                stack.push((target, 0));
                on_path.push(target);
            }
        }
    }

    fn finish(mut self) -> Config {
        self.check_cycles();
        self.config
    }
}

/// Every `include` directive in a file (in any block), with its argument.
fn collect_includes(directives: &[Directive], out: &mut Vec<(Span, Vec<u8>)>) {
    let mut stack: Vec<&[Directive]> = vec![directives];
    // Depth-first, in source order.
    let mut pending: Vec<(Span, Vec<u8>)> = Vec::new();
    while let Some(list) = stack.pop() {
        for d in list.iter().rev() {
            if d.is("include") && d.args.len() == 1 && d.block.is_none() {
                pending.push((d.span, d.args[0].value.to_vec()));
            }
            if let Some(b) = &d.block {
                stack.push(&b.directives);
            }
        }
    }
    pending.sort_by_key(|(s, _)| s.start);
    out.extend(pending);
}

/// A directive with the blocks it sits in, as met while walking a [`Config`].
pub struct Visit<'a, 'p> {
    pub directive: &'a Directive,
    /// The enclosing block directives, outermost first (across includes).
    pub parents: &'p [&'a Directive],
    /// The root's context (`["http"]` for a site fragment).
    pub context: &'p [String],
}

impl Visit<'_, '_> {
    /// The names of the enclosing blocks, outermost first, the root context included.
    pub fn context_names(&self) -> Vec<String> {
        self.context
            .iter()
            .cloned()
            .chain(self.parents.iter().map(|d| d.name.as_str().into_owned()))
            .collect()
    }
}

impl Config {
    /// Walks every directive in the order nginx reads them, replacing each `include`
    /// with the contents of the files it names (the `include` itself is visited first).
    /// Include cycles are not followed.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&Visit<'a, '_>)) {
        for root in &self.roots {
            let mut parents: Vec<&'a Directive> = Vec::new();
            let mut files = vec![root.file];
            self.walk_list(
                &self.files[root.file.0 as usize].directives,
                &mut parents,
                &mut files,
                &root.context,
                f,
            );
        }
    }

    fn walk_list<'a>(
        &'a self,
        list: &'a [Directive],
        parents: &mut Vec<&'a Directive>,
        files: &mut Vec<FileId>,
        context: &[String],
        f: &mut dyn FnMut(&Visit<'a, '_>),
    ) {
        for d in list {
            f(&Visit {
                directive: d,
                parents,
                context,
            });
            if let Some(targets) = self.includes.get(&d.span)
                && files.len() < MAX_INCLUDE_DEPTH
            {
                for t in targets {
                    if files.contains(t) {
                        continue;
                    }
                    files.push(*t);
                    self.walk_list(
                        &self.files[t.0 as usize].directives,
                        parents,
                        files,
                        context,
                        f,
                    );
                    files.pop();
                }
            }
            if let Some(b) = &d.block {
                parents.push(d);
                self.walk_list(&b.directives, parents, files, context, f);
                parents.pop();
            }
        }
    }

    /// The directives of a block, with each `include` replaced by the files it names
    /// (recursively, cycles skipped); nested blocks are not entered.
    pub fn expanded<'a>(&'a self, list: &'a [Directive]) -> Vec<&'a Directive> {
        let mut out = Vec::new();
        let mut files = Vec::new();
        self.expand_into(list, &mut files, &mut out);
        out
    }

    fn expand_into<'a>(
        &'a self,
        list: &'a [Directive],
        files: &mut Vec<FileId>,
        out: &mut Vec<&'a Directive>,
    ) {
        for d in list {
            match self.includes.get(&d.span) {
                Some(targets) if files.len() < MAX_INCLUDE_DEPTH => {
                    for t in targets {
                        if files.contains(t) {
                            continue;
                        }
                        files.push(*t);
                        self.expand_into(&self.files[t.0 as usize].directives, files, out);
                        files.pop();
                    }
                }
                _ => out.push(d),
            }
        }
    }

    /// Every syntax error of every file.
    pub fn syntax_errors(&self) -> impl Iterator<Item = &super::ast::SyntaxError> {
        self.files.iter().flat_map(|p| p.errors.iter())
    }

    /// Resolves a path argument (certificate, CA file...) the way nginx does for files
    /// named in the configuration: relative to the configuration prefix.
    pub fn resolve_path(&self, value: &str) -> PathBuf {
        normalize(&self.prefix.join(value))
    }
}
