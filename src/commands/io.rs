//! What commands share: reading the configuration named on the command line, and
//! writing a report to stdout or atomically to a file.

use std::io::Write;
use std::path::Path;

use crate::cli::InputArgs;
use crate::config::{self, Config, Input, LoadOptions};
use crate::error::Error;
use crate::util::read::{os_error, read_at_most};

/// Reads the configuration named on the command line.
pub fn load_input(args: &InputArgs, single_file: bool) -> Result<Config, Error> {
    let path = args.path.clone().unwrap_or_default();
    let opts = LoadOptions {
        prefix: args.prefix.clone(),
        single_file,
    };
    let input = if path.as_os_str() == "-" {
        let bytes = read_at_most(std::io::stdin().lock(), config::load::MAX_FILE_SIZE)
            .map_err(|e| Error::Input {
                path: "<stdin>".into(),
                message: os_error(&e),
            })?
            .ok_or_else(|| Error::Input {
                path: "<stdin>".into(),
                message: format!("more than {} bytes", config::load::MAX_FILE_SIZE),
            })?;
        Input::Stdin(bytes)
    } else if path.is_dir() {
        Input::Dir(path.clone())
    } else {
        Input::File(path.clone())
    };
    let config = config::load(&input, &opts);
    if let Some(e) = config
        .errors
        .iter()
        .find(|e| e.kind == config::LoadErrorKind::Input)
        && config.roots.is_empty()
    {
        return Err(Error::Input {
            path: e.path.display().to_string(),
            message: e.message.clone(),
        });
    }
    Ok(config)
}

/// Writes `text` to `output` atomically (temp file in the same directory, then
/// rename), or to stdout.
pub fn emit(output: Option<&Path>, text: &str) -> Result<(), Error> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        Some(p) => write_atomic(p, text.as_bytes()).map_err(|e| Error::Input {
            path: p.display().to_string(),
            message: format!("cannot write {}", os_error(&e)),
        }),
    }
}

fn write_atomic(p: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
