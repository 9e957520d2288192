//! Templates of nginx configurations (Jinja, Go, ERB, envsubst): recognised from their
//! placeholders, so that what is not nginx syntax is not reported as such.

/// The kind of template a file's text looks like, if any.
pub fn template_kind(src: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| memchr::memmem::find(src, needle).is_some();
    if has(b"{{") && has(b"}}") {
        return Some("a Jinja/Go template ({{ ... }})");
    }
    if has(b"{%") && has(b"%}") {
        return Some("a Jinja template ({% ... %})");
    }
    if has(b"<%") && has(b"%>") {
        return Some("an ERB/EPP template (<% ... %>)");
    }
    // envsubst: `${NAME}` with a capital-letter name (nginx's own variables are
    // lower case); `${web.login.port}` (Zimbra's templates): no nginx variable has a dot.
    braced_names(src).find_map(|name| match templated_name(name)? {
        Braced::Capitals => Some("an envsubst template (${NAME})"),
        Braced::Dotted => Some("a template (${name.with.dots})"),
    })
}

/// A `${...}` name that belongs to a template, not to nginx.
enum Braced {
    /// `${NGINX_HOST}`.
    Capitals,
    /// `${web.login.port}`.
    Dotted,
}

fn templated_name(name: &[u8]) -> Option<Braced> {
    if name.len() >= 2
        && name.first().is_some_and(u8::is_ascii_uppercase)
        && name.iter().all(|b| !b.is_ascii_lowercase())
    {
        Some(Braced::Capitals)
    } else if name.contains(&b'.') {
        Some(Braced::Dotted)
    } else {
        None
    }
}

/// The name of every closed `${name}` of a text.
fn braced_names(src: &[u8]) -> impl Iterator<Item = &[u8]> {
    memchr::memmem::find_iter(src, b"${").filter_map(move |i| {
        let rest = &src[i + 2..];
        let len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'.')
            .count();
        (rest.get(len) == Some(&b'}')).then(|| &rest[..len])
    })
}

/// A word that is (or holds) a template placeholder: `{{ x }}`, `{% x %}`, `<% x %>`,
/// `${NAME}` in capitals or `${dotted.name}`.
pub fn placeholder(word: &str) -> bool {
    ["{{", "{%", "<%"].iter().any(|t| word.contains(t))
        || braced_names(word.as_bytes()).any(|n| templated_name(n).is_some())
}
