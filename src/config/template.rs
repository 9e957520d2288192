//! Templates of nginx configurations (Jinja, Go, ERB, envsubst): recognised from their
//! placeholders, so that what is not nginx syntax is not reported as such.

/// The kind of template a file's text looks like, if any.
pub fn template_kind(src: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| src.windows(needle.len()).any(|w| w == needle);
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
    // lower case).
    let mut i = 0;
    while let Some(p) = src[i..].windows(2).position(|w| w == b"${") {
        let start = i + p + 2;
        let name: Vec<u8> = src[start..]
            .iter()
            .copied()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
            .collect();
        let closed = src.get(start + name.len()) == Some(&b'}');
        if closed
            && name.len() >= 2
            && name.first().is_some_and(u8::is_ascii_uppercase)
            && name.iter().all(|b| !b.is_ascii_lowercase())
        {
            return Some("an envsubst template (${NAME})");
        }
        // `${web.login.port}` (Zimbra's templates): no nginx variable has a dot.
        if closed && name.contains(&b'.') {
            return Some("a template (${name.with.dots})");
        }
        i = start;
    }
    None
}
