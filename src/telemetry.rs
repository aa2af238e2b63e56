//! One tracing subscriber for the process: `RUST_LOG` filters, `LOG_FORMAT` picks text or JSON.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let format = std::env::var("LOG_FORMAT").unwrap_or_else(|_| "text".into());
    let registry = tracing_subscriber::registry().with(filter);
    match format.as_str() {
        "json" => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()?,
        // Colours for a person at a terminal only, not for files and log collectors.
        "text" => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .try_init()?,
        other => anyhow::bail!("LOG_FORMAT must be `json` or `text`, not `{other}`"),
    }
    Ok(())
}
