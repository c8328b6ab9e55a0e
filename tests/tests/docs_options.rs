//! The Python stubs, Node's `index.d.ts` and both bindings' READMEs list the client's options;
//! those lists are rendered from the one table, `rustlog::options::OPTIONS`, between marker
//! lines, and this test fails when a checked-in copy differs from the render. Fix a failure
//! with `UPDATE_OPTION_DOCS=1 cargo test -p rustlog-tests --test docs_options` and commit the
//! files it rewrote.
//!
//! Markers: a line containing `options(<language> <scope>)` opens a region and the next line
//! containing `end options` closes it; the render takes the opening line's indentation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog::options::{self, Kind, OptionSpec, OptionValue, Scope};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const FILES: &[&str] = &[
    "bindings-python/python/rustlog/__init__.pyi",
    "bindings-python/python/rustlog/aio.pyi",
    "bindings-python/README.md",
    "bindings-node/lib/index.d.ts",
    "bindings-node/README.md",
];

fn scope_named(name: &str) -> Scope {
    match name {
        "client" => Scope::Client,
        "producer" => Scope::Producer,
        "consumer" => Scope::Consumer,
        other => panic!("unknown scope {other:?} in a marker"),
    }
}

/// The options a `scope` object takes: client options go to every object (an admin is
/// `client` alone).
fn rows(scope: Scope) -> Vec<&'static OptionSpec> {
    let scopes = if scope == Scope::Client {
        vec![Scope::Client]
    } else {
        vec![Scope::Client, scope]
    };
    options::options_of(&scopes).collect()
}

fn python_type(spec: &OptionSpec) -> &'static str {
    match (spec.kind, spec.name) {
        (Kind::Bool, _) => "bool",
        (Kind::Uint, _) => "int",
        (Kind::OptionalInt, _) => "Optional[int]",
        (Kind::Text, _) => "str",
        (Kind::Choice(_), "acks") => "Acks",
        (Kind::Choice(_), "compression") => "Compression",
        (Kind::Choice(_), "auto_offset_reset") => "OffsetReset",
        (Kind::Choice(_), "assignor") => "Assignor",
        (Kind::Choice(_), other) => panic!("no stub type alias for {other}"),
    }
}

fn python_value(value: Option<OptionValue>) -> String {
    match value {
        Some(OptionValue::Bool(true)) => "True".into(),
        Some(OptionValue::Bool(false)) => "False".into(),
        Some(OptionValue::Int(n)) => n.to_string(),
        Some(OptionValue::Text(t)) => format!("{t:?}"),
        Some(OptionValue::Unset) | None => "None".into(),
    }
}

fn node_type(spec: &OptionSpec) -> &'static str {
    match (spec.kind, spec.name) {
        (Kind::Bool, _) => "boolean",
        (Kind::Uint | Kind::OptionalInt, _) => "number",
        (Kind::Text, _) => "string",
        (Kind::Choice(_), "acks") => "Acks",
        (Kind::Choice(_), "compression") => "CompressionTypes | CompressionName",
        (Kind::Choice(_), other) => panic!("no .d.ts type for {other}"),
    }
}

fn node_value(value: Option<OptionValue>) -> String {
    match value {
        Some(OptionValue::Bool(b)) => b.to_string(),
        Some(OptionValue::Int(n)) => n.to_string(),
        Some(OptionValue::Text(t)) => format!("'{t}'"),
        Some(OptionValue::Unset) | None => "unset".into(),
    }
}

fn render(language: &str, scope: Scope, indent: &str) -> Vec<String> {
    let mut out = Vec::new();
    match language {
        "python" => {
            for spec in rows(scope) {
                let default = python_value(options::default_of(spec));
                out.push(format!(
                    "{indent}{}: {} = {default},",
                    spec.name,
                    python_type(spec)
                ));
            }
        }
        "node" => {
            for spec in rows(scope).into_iter().filter(|s| s.node.is_some()) {
                let name = spec.node.unwrap_or_default();
                let default = node_value(options::node_default_of(spec));
                out.push(format!("{indent}/** {} Default: {default}. */", spec.doc));
                out.push(format!("{indent}{name}?: {}", node_type(spec)));
            }
        }
        "python-readme" | "node-readme" => {
            let node = language == "node-readme";
            out.push("| Option | Default | Meaning |".into());
            out.push("| --- | --- | --- |".into());
            // A README lists each scope's own options once.
            for spec in options::options_of(&[scope]) {
                let (name, default) = if node {
                    match spec.node {
                        Some(name) => (name, node_value(options::node_default_of(spec))),
                        None => continue,
                    }
                } else {
                    (spec.name, python_value(options::default_of(spec)))
                };
                out.push(format!("| `{name}` | `{default}` | {} |", spec.doc));
            }
        }
        other => panic!("unknown language {other:?} in a marker"),
    }
    out
}

/// `text` with every region rendered anew; the number of regions found.
fn rerender(text: &str) -> (String, usize) {
    let mut out = Vec::new();
    let mut lines = text.lines();
    let mut regions = 0;
    while let Some(line) = lines.next() {
        out.push(line.to_string());
        let Some(at) = line.find("options(") else {
            continue;
        };
        let spec = &line[at + "options(".len()..];
        let spec = &spec[..spec.find(')').expect("a marker ends with )")];
        let (language, scope) = spec.split_once(' ').expect("options(<language> <scope>)");
        let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
        let indent = if language.ends_with("readme") {
            String::new()
        } else {
            indent
        };
        out.extend(render(language, scope_named(scope), &indent));
        regions += 1;
        let end = lines
            .by_ref()
            .find(|l| l.contains("end options"))
            .unwrap_or_else(|| panic!("options({spec}) has no `end options` line"));
        out.push(end.to_string());
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    (joined, regions)
}

#[test]
fn option_lists_are_rendered_from_the_one_table() {
    let update = std::env::var_os("UPDATE_OPTION_DOCS").is_some();
    let mut stale = Vec::new();
    for file in FILES {
        let path = repo().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let (rendered, regions) = rerender(&text);
        assert!(regions > 0, "{file} has no options(...) region");
        if rendered != text {
            if update {
                std::fs::write(&path, rendered).unwrap();
            } else {
                stale.push(*file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "option lists differ from rustlog::options in {stale:?}; run \
         UPDATE_OPTION_DOCS=1 cargo test -p rustlog-tests --test docs_options"
    );
}

#[test]
fn every_python_class_and_node_config_has_its_region() {
    let stub = std::fs::read_to_string(repo().join(FILES[0])).unwrap();
    for scope in ["producer", "consumer", "client"] {
        assert!(
            stub.contains(&format!("options(python {scope})")),
            "{scope}"
        );
    }
    let aio = std::fs::read_to_string(repo().join(FILES[1])).unwrap();
    for scope in ["producer", "consumer", "client"] {
        assert!(
            aio.contains(&format!("options(python {scope})")),
            "aio {scope}"
        );
    }
    let dts = std::fs::read_to_string(repo().join(FILES[3])).unwrap();
    for scope in ["producer", "consumer", "client"] {
        assert!(
            dts.contains(&format!("options(node {scope})")),
            "d.ts {scope}"
        );
    }
}
