//! `nginx -T` dumps: the configuration test output followed by every configuration
//! file, each under a `# configuration file /path:` header line.
//!
//! nginx writes (`src/core/nginx.c`): `# configuration file `, the path, `:` and LF,
//! the file's bytes, then one more LF. Splitting on the headers and removing that one
//! LF gives back each file exactly, so line numbers match the original files.

use std::path::PathBuf;

const HEADER: &[u8] = b"# configuration file ";

/// Splits a dump into `(path, contents)` in the order nginx wrote them; `None` when the
/// bytes hold no dump header.
pub fn split(bytes: &[u8]) -> Option<Vec<(PathBuf, Vec<u8>)>> {
    let mut starts = Vec::new();
    let mut line_start = 0usize;
    while line_start < bytes.len() {
        let end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| line_start + p);
        let line = &bytes[line_start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(HEADER)
            && let Some(path) = rest.strip_suffix(b":")
        {
            starts.push((line_start, (end + 1).min(bytes.len()), path.to_vec()));
        }
        line_start = end + 1;
    }
    if starts.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, (_, body_start, path)) in starts.iter().enumerate() {
        let body_end = starts.get(i + 1).map_or(bytes.len(), |n| n.0);
        let mut body = bytes[*body_start..body_end.max(*body_start)].to_vec();
        if body.last() == Some(&b'\n') {
            body.pop();
        }
        let path = PathBuf::from(String::from_utf8_lossy(path).into_owned());
        // nginx dumps each file once; keep the first if a path repeats.
        if !out.iter().any(|(p, _): &(PathBuf, Vec<u8>)| *p == path) {
            out.push((path, body));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sections_and_drops_the_added_newline() {
        let dump = b"nginx: the configuration file /e/n.conf syntax is ok\n# configuration file /e/n.conf:\nhttp {\n include /e/a.conf;\n}\n\n# configuration file /e/a.conf:\nserver {}\n\n";
        let s = split(dump).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, PathBuf::from("/e/n.conf"));
        assert_eq!(s[0].1, b"http {\n include /e/a.conf;\n}\n");
        assert_eq!(s[1].1, b"server {}\n");
    }
}
