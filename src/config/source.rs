//! The bytes of every file that was read, and line/column lookup for reporting.

use std::path::{Path, PathBuf};

use super::ast::{FileId, Span};

/// One file's contents.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as nginx would name it (absolute where it was resolved from a prefix).
    pub path: PathBuf,
    pub src: Vec<u8>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: PathBuf, src: Vec<u8>) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', &src).map(|i| (i + 1) as u32));
        SourceFile {
            path,
            src,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.src.len());
        let col = String::from_utf8_lossy(&self.src[start..end.max(start)])
            .chars()
            .count();
        (line + 1, col + 1)
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.src).into_owned()
    }
}

/// Every file read for one configuration, indexed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: PathBuf, src: Vec<u8>) -> FileId {
        self.files.push(SourceFile::new(path, src));
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// 1-based line and column of the start of a span.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.start)
    }

    /// 1-based line and column of the end of a span.
    pub fn end_line_col(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.end)
    }

    /// `path:line:column` of the start of a span.
    pub fn location(&self, span: Span) -> String {
        let (l, c) = self.line_col(span);
        format!("{}:{l}:{c}", self.path(span.file).display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let f = SourceFile::new("x".into(), b"ab\r\ncd\n\xffe".to_vec());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(8), (3, 2));
        assert_eq!(f.line(4), 2);
    }
}
