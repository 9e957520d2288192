//! `nginx-mtls-lint [lint] PATH`: settings, loading, the model, the certificate files,
//! the rules, suppressions, one reporter, and the exit code.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Colour, FailOn as FailOnArg, Format, LintArgs};
use crate::error::{Error, exit};
use crate::model::Model;
use crate::model::trust::CertFiles;
use crate::report::{Summary, github, human, json, sarif};
use crate::rules::{self, Context, Options};
use crate::settings::{FailOn, Overrides, Settings};
use crate::util::timings;
use crate::verify::{ClientCert, PasswordSource, load_client_cert};

pub fn run(args: &LintArgs) -> Result<u8, Error> {
    let settings = Settings::resolve(&overrides(args))?;
    let mut input = args.input.clone();
    input.prefix = settings.prefix.clone();
    super::io::refuse_non_configuration(&input)?;
    let config = timings::phase("load", || super::io::load_input(&input, false))?;
    let (openssl, nginx, profile) = super::io::resolve_profile(
        args.openssl_version.as_deref(),
        args.nginx_binary.as_deref(),
        settings.openssl_version.as_deref(),
        settings.nginx_version,
    )?;
    let mut model = timings::phase("model", || Model::build(&config));
    model.openssl = openssl;
    // Read when a rule first asks (a selection may need none).
    let files = CertFiles::new(&model);
    let mut options = Options {
        warn_days: settings.warn_days.clone(),
        extra_directives: settings.extra_directives.clone(),
        ..Options::default()
    };
    if let Some(at) = args.at {
        options.now = at;
    }
    options.nginx_version = nginx;
    // Only the rules selected run; but MTLS004 judges suppressions by the findings of
    // every rule, so with it every rule runs (the selection is applied after).
    let registry = rules::registry();
    let enabled: Vec<&'static str> = registry
        .iter()
        .map(|r| r.info())
        .filter(|i| settings.enabled(i))
        .map(|i| i.code)
        .collect();
    if enabled.len() < registry.len() && !enabled.contains(&"MTLS004") {
        options.select = Some(enabled);
    }
    let client_certs = load_clients(args)?;
    let findings = timings::phase("rules", || {
        rules::check(&Context {
            config: &config,
            model: &model,
            files: &files,
            options: &options,
            client_certs: &client_certs,
        })
    });
    let findings = settings.apply(&config, findings);
    let mut summary = timings::phase("summary", || Summary::new(&model, &files, &findings));
    summary.profile = profile;
    if args.verbose {
        eprintln!(
            "predicting for nginx {} with OpenSSL {} ({}{})",
            summary.profile.nginx,
            summary.profile.openssl,
            summary.profile.source,
            summary
                .profile
                .openssl_running_with
                .as_ref()
                .map(|r| format!(
                    ": {} runs with {r}",
                    summary.profile.nginx_binary.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
        );
        eprintln!(
            "settings: {}",
            settings
                .file
                .as_ref()
                .map_or("none".to_string(), |f| f.display().to_string())
        );
        for (_, f) in config.sources.iter() {
            eprintln!("read {}", f.path.display());
        }
        let input = &summary.input;
        match (input.read_as, &input.main_config, &input.context) {
            ("tree", Some(main), _) => eprintln!(
                "read as part of {main}, which includes it; findings are those about {}",
                args.input
                    .path
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""))
                    .display()
            ),
            ("site", main, Some(ctx)) => eprintln!(
                "read as a site file, as if included in {}{}",
                ctx.replace(' ', " { "),
                main.as_ref()
                    .map(|m| format!(" ({m} does not include it: nginx does not load it)"))
                    .unwrap_or_default()
            ),
            _ => {}
        }
        eprintln!("read {} certificate, key and CRL files", files.len());
    }
    let text = match args.format {
        Format::Human => {
            let mut t = human::render(
                &config,
                &findings,
                use_colour(args.color) && args.output.is_none(),
                None,
            );
            if !args.quiet {
                t.push_str(&format!("{summary}\n"));
            }
            t
        }
        Format::Json => {
            let doc = json::render(&config, &findings, &summary);
            serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)? + "\n"
        }
        Format::Sarif => {
            let doc = sarif::render(&config, &findings);
            serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)? + "\n"
        }
        Format::Github => github::render(&config, &findings),
        Format::Prometheus => crate::report::prometheus::render(
            &model,
            &files,
            &findings,
            &summary.profile,
            crate::util::time::now(),
        ),
    };
    super::io::emit(args.output.as_deref(), &text)?;
    let failing = match settings.fail_on {
        FailOn::Error => summary.errors,
        FailOn::Warning => summary.errors + summary.warnings,
        FailOn::Info => summary.errors + summary.warnings + summary.infos,
        FailOn::Never => 0,
    };
    Ok(if failing > 0 {
        exit::FINDINGS
    } else {
        exit::CLEAN
    })
}

/// The command line's part of the settings.
fn overrides(args: &LintArgs) -> Overrides {
    Overrides {
        path: args.input.path.clone(),
        prefix: args.input.prefix.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        severities: args.severities.clone(),
        fail_on: args.fail_on.map(|f| match f {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Info => FailOn::Info,
            FailOnArg::Never => FailOn::Never,
        }),
        warn_days: args.warn_days.clone(),
        nginx_version: args.nginx_version,
        config_file: args.config_file.clone(),
        no_config_file: args.no_config_file,
    }
}

/// Whether to colour human output: `auto` colours only on a terminal, and never when
/// `NO_COLOR` is set (to anything but the empty string).
fn use_colour(choice: Colour) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Reads the `--client-cert` files (keys paired by position).
fn load_clients(args: &LintArgs) -> Result<Vec<ClientCert>, Error> {
    let password = match &args.password_env {
        Some(v) => PasswordSource::Env(v.clone()),
        None => PasswordSource::Prompt,
    };
    args.client_cert
        .iter()
        .enumerate()
        .map(|(i, p)| {
            load_client_cert(p, args.client_key.get(i).map(PathBuf::as_path), &password)
                .map_err(|e| super::verify::input_error(p, &e))
        })
        .collect()
}
