//! Builds `$OUT_DIR/graphiql.html`: one self-contained GraphiQL page.
//!
//! Why: `/graphiql` must work with no internet, so nothing may load from a CDN,
//! and vendored minified JS must not live in git. The assets therefore come
//! from the npm registry at build time (pinned, integrity-checked by
//! `graphiql/package-lock.json`) and are inlined into a single static page that
//! the server embeds with `include_str!`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Inlined assets, in load order, as (template placeholder, path under node_modules).
/// graphiql's UMD bundle expects only the `React` and `ReactDOM` globals; it
/// bundles `graphql` and graphql-ws's `createClient` itself.
const ASSETS: &[(&str, &str)] = &[
    ("GRAPHIQL_CSS", "graphiql/graphiql.min.css"),
    ("REACT_JS", "react/umd/react.production.min.js"),
    ("REACT_DOM_JS", "react-dom/umd/react-dom.production.min.js"),
    ("GRAPHIQL_JS", "graphiql/graphiql.min.js"),
];

/// Written into node_modules after `npm ci`; holds the lockfile it was installed from,
/// so an edited lockfile triggers a fresh install instead of using stale packages.
const STAMP: &str = ".introgate-lock-stamp";

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<!-- Everything is inlined; the CSP makes the browser refuse any other host too. -->
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'">
<title>introgate · GraphiQL</title>
<link rel="icon" href="data:,">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
<style>@@GRAPHIQL_CSS@@</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
<script>@@REACT_JS@@</script>
<script>@@REACT_DOM_JS@@</script>
<script>@@GRAPHIQL_JS@@</script>
<script>
(function () {
  'use strict';
  // Endpoints follow wherever the page is served from, so the page stays a constant.
  var loc = window.location;
  var ws = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: loc.protocol + '//' + loc.host + '/graphql',
    // graphiql's bundled graphql-ws client; the headers editor's JSON is sent
    // with each HTTP request and as the WebSocket connection_init payload.
    subscriptionUrl: ws + '//' + loc.host + '/graphql/ws',
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      // Headers often carry tokens: keep them out of localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
</script>
</body>
</html>
"#;

fn main() {
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let dir = root.join("graphiql");
    println!("cargo:rerun-if-changed=graphiql/package.json");
    println!("cargo:rerun-if-changed=graphiql/package-lock.json");

    let modules = dir.join("node_modules");
    let lock = read(&dir.join("package-lock.json"));
    let installed = fs::read_to_string(modules.join(STAMP)).ok();
    let missing = ASSETS.iter().any(|(_, rel)| !modules.join(rel).is_file());
    if missing || installed.as_deref() != Some(lock.as_str()) {
        npm_ci(&dir);
        fs::write(modules.join(STAMP), &lock).expect("writing the npm install stamp");
    }

    let mut values = Vec::new();
    for (name, rel) in ASSETS {
        let text = strip_source_map(&read(&modules.join(rel)));
        let text = if rel.ends_with(".css") {
            // `</style` would end the inline <style> early; `\/` is a valid CSS escape.
            escape_end_tag(&text, "style")
        } else {
            inline_script(rel, &text)
        };
        values.push((*name, text));
    }

    let html = render(TEMPLATE, &values);
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("graphiql.html");
    fs::write(&out, html).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

/// Installs exactly what the lockfile pins. `--ignore-scripts`: the page needs
/// only files shipped in the tarballs, never install-time code.
fn npm_ci(dir: &Path) {
    let output = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "introgate needs npm (Node.js) at build time to fetch the GraphiQL assets, \
                 but running `npm` failed: {e}. Install Node.js/npm and rebuild."
            )
        });
    if !output.status.success() {
        panic!(
            "`npm ci` in {} failed ({}):\n{}\n{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Makes a JS file safe inside an inline `<script>` element.
fn inline_script(rel: &str, js: &str) -> String {
    // `</script` would close the element early; `<\/` means the same in JS strings
    // and regexes, which is where minified bundles contain it.
    let js = escape_end_tag(js, "script");
    // `<!--` followed by `<script` switches the HTML parser into a state where
    // even our closing tag is ignored. No pinned asset has both; fail if one does.
    let lower = js.to_ascii_lowercase();
    if lower.contains("<!--") && lower.contains("<script") {
        panic!("{rel} contains both `<!--` and `<script`; it cannot be inlined as is");
    }
    js
}

/// Drops the trailing source-map comment: the map is not served, so a browser
/// with devtools open would only get a 404 for it.
fn strip_source_map(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.starts_with("//# sourceMappingURL=") && !l.starts_with("/*# sourceMappingURL=")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fills `@@NAME@@` placeholders in one pass, so inlined asset text is never
/// re-scanned. Fails on an unknown placeholder or a value that was not used.
fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut used = vec![false; values.len()];
    let mut rest = template;
    while let Some(start) = rest.find("@@") {
        let end = rest[start + 2..]
            .find("@@")
            .unwrap_or_else(|| panic!("unterminated placeholder in the GraphiQL template"));
        let name = &rest[start + 2..start + 2 + end];
        let i = values
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("GraphiQL template placeholder @@{name}@@ was not replaced"));
        used[i] = true;
        out.push_str(&rest[..start]);
        out.push_str(&values[i].1);
        rest = &rest[start + 2 + end + 2..];
    }
    out.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        panic!("GraphiQL template has no @@{}@@ placeholder", values[i].0);
    }
    out
}

/// Turns every `</tag` (ASCII case-insensitive, as in HTML) into `<\/tag`.
fn escape_end_tag(text: &str, tag: &str) -> String {
    let lower = text.to_ascii_lowercase(); // same byte offsets as `text`
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(&format!("</{tag}")) {
        out.push_str(&text[last..=i]); // up to and including `<`
        out.push('\\');
        last = i + 1;
    }
    out.push_str(&text[last..]);
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
