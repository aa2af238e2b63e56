//! introgate: a GraphQL API server for talent networks.
//!
//! Layers, outermost first: [`cli`] (the binary's commands) → [`app`] (wiring, HTTP server,
//! background workers) → [`http`] (routes) → [`graphql`] (schema: thin resolvers and
//! loaders) → [`services`] (the rules, transactions; no GraphQL) → `entities` (tables).
//! [`mail`] delivers email through a durable outbox; [`domain`] holds parsed values.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod greenhouse;
pub mod http;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod retry;
pub mod secret_key;
pub mod services;
pub mod state;
pub mod telemetry;

#[cfg(test)]
mod layers {
    use std::path::{Path, PathBuf};

    /// The layers, outermost first, and what lies in each (a file or a folder of `src/`).
    const LAYERS: &[(&str, &[&str])] = &[
        ("cli", &["main.rs", "cli.rs"]),
        ("app", &["app.rs"]),
        ("http", &["http"]),
        ("graphql", &["graphql"]),
    ];

    /// What naming a layer looks like in code.
    fn imports(layer: &str) -> Vec<String> {
        let mut names = vec![format!("crate::{layer}"), format!("introgate::{layer}")];
        match layer {
            "http" => names.push("axum::".into()),
            "graphql" => names.push("async_graphql".into()),
            _ => {}
        }
        names
    }

    fn files(path: &Path, out: &mut Vec<PathBuf>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).expect("src") {
                files(&entry.expect("entry").path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.to_owned());
        }
    }

    /// A module may import the layers below it, never one above: the rules (services), the
    /// live updates, mail and the parsed values know nothing of GraphQL, HTTP or the wiring.
    #[test]
    fn no_module_imports_a_layer_above_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut all = Vec::new();
        files(&src, &mut all);
        for file in all {
            let relative = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if relative == "lib.rs" {
                continue; // declares every module, and holds this test
            }
            let own = LAYERS
                .iter()
                .position(|(_, parts)| parts.iter().any(|p| relative.starts_with(p)))
                .unwrap_or(LAYERS.len());
            let code = std::fs::read_to_string(&file).unwrap();
            for (layer, _) in &LAYERS[..own] {
                for name in imports(layer) {
                    assert!(
                        !code.contains(&name),
                        "{relative} names `{name}`, a layer above it"
                    );
                }
            }
        }
    }
}
