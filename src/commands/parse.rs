//! `nginx-mtls-lint parse`: the configuration as crossplane-compatible JSON.

use std::io::Write;

use crate::cli::ParseArgs;
use crate::config;
use crate::error::{Error, exit};

pub fn run(args: &ParseArgs) -> Result<u8, Error> {
    // One file alone (the common case, and the large one): its JSON is written while it
    // is parsed, with no tree. Anything else, and a file that cannot be read (for the
    // error message), goes through the loader.
    if args.single_file
        && let Some(path) = &args.input.path
        && path.as_os_str() != "-"
        && std::fs::canonicalize(path).is_ok()
        && let Ok(src) = config::load::read_file(path)
    {
        let payload = config::crossplane::stream(path.clone(), src, args.indent);
        return write_payload(&payload, args.indent);
    }
    let config = super::io::load_input(&args.input, args.single_file)?;
    let code = write_payload(&config::crossplane::payload(&config), args.indent);
    // The process ends here: freeing a large tree piece by piece only costs time.
    std::mem::forget(config);
    code
}

fn write_payload(
    payload: &config::crossplane::Payload,
    indent: Option<usize>,
) -> Result<u8, Error> {
    let stdout = std::io::stdout().lock();
    // Standard output is line-buffered: it looks for the last newline in everything
    // written to it, megabytes for a large configuration. A duplicate of its descriptor
    // writes to the same place without looking.
    #[cfg(unix)]
    let raw = std::os::fd::AsFd::as_fd(&stdout)
        .try_clone_to_owned()
        .map(std::fs::File::from);
    #[cfg(not(unix))]
    let raw: std::io::Result<std::fs::File> = Err(std::io::ErrorKind::Unsupported.into());
    let out: Box<dyn Write> = match raw {
        Ok(file) => Box::new(file),
        Err(_) => Box::new(stdout),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    payload.write(indent, &mut out)?;
    writeln!(out)?;
    out.flush()?;
    Ok(if payload.status == "ok" {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}
