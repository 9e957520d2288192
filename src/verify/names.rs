//! Names for the files a fix writes: beside its input, never over it.

/// `dir/name-aes.p12` beside `path`: a fix never writes over its input.
pub fn new_name(path: &std::path::Path, suffix: &str) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "client".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}{suffix}{ext}"))
        .display()
        .to_string()
}

/// The file name a fix uses for a CA known only by its name: `CN=Client CA,O=X` ->
/// `client-ca.crt`.
pub fn ca_file_for(dn: &str) -> String {
    let cn = dn
        .split(',')
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(dn)
        .replace(' ', "-")
        .to_ascii_lowercase();
    format!("{cn}.crt")
}
