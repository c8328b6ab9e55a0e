//! Keeps `docs/FAILURE_MODES.md` and the docs' links true: the failure table must have a row for
//! every fault issue 18 requires, and every test it names must exist; every relative link in
//! `README.md` and `docs/*.md` must point at a file that exists.
//!
//! The table rules (also stated at the top of FAILURE_MODES.md): the table is the one whose
//! header starts with `Fault` and has a `Proved by` column. A row's first cell names the fault;
//! its `Proved by` cell is either exactly `not tested` or one or more references in backticks,
//! `path/from/the/repo/root::name`, separated by commas or `<br>`. A reference is good when the
//! file exists and holds a test of that name:
//! - `.rs`: `fn name` directly under a `#[test]` or `#[tokio::test...]` attribute (doc comments
//!   and other attributes may sit between), so a helper function does not count;
//! - `.py`: `def name(` or `async def name(` (pytest collects `test_*`; the name must start so);
//! - `.js`: `test('name'` or `it('name'` (any of the three JS quotes).
//!
//! The `checker_*` tests feed the checker tables that must fail, so it cannot pass vacuously.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_tests::workspace_root;
use std::path::{Path, PathBuf};

/// The faults issue 18 names; each must start the first cell of one row (case-insensitive).
const REQUIRED_FAULTS: &[&str] = &[
    "process crash",
    "power loss",
    "torn write",
    "bit flip in a sealed segment",
    "bit flip in the active segment",
    "index damage",
    "disk full",
    "fsync error",
    "slow or stalled client",
    "non-reading client",
    "connection flood",
    "garbage on the native port",
    "garbage on the Kafka port",
    "garbage on the metrics port",
    "clock jump",
    "broker restart under a consumer group",
];

/// The only text a `Proved by` cell may hold instead of references.
const NOT_TESTED: &str = "not tested";
const FAULT_HEADER: &str = "Fault";
const PROOF_HEADER: &str = "Proved by";

/// One row of the failure table.
#[derive(Debug)]
struct Row {
    /// 1-based line in the document, for messages.
    line: usize,
    fault: String,
    proof: String,
}

/// Splits a Markdown table line into trimmed cells (`\|` is a literal bar, not a separator).
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The rows of the failure table, or why there is none.
fn failure_rows(doc: &str) -> Result<Vec<Row>, String> {
    let lines: Vec<&str> = doc.lines().collect();
    let header_at = lines
        .iter()
        .position(|l| {
            let c = cells(l);
            l.trim_start().starts_with('|')
                && c.first().is_some_and(|f| f == FAULT_HEADER)
                && c.iter().any(|h| h == PROOF_HEADER)
        })
        .ok_or_else(|| format!("no table with a `{FAULT_HEADER}` and a `{PROOF_HEADER}` column"))?;
    let header = cells(lines[header_at]);
    let proof_col = header.iter().position(|h| h == PROOF_HEADER).unwrap();
    let mut rows = Vec::new();
    // header_at + 1 is the `| --- |` separator.
    for (i, line) in lines.iter().enumerate().skip(header_at + 2) {
        if !line.trim_start().starts_with('|') {
            break;
        }
        let c = cells(line);
        if c.len() != header.len() {
            return Err(format!(
                "line {}: {} cells, the header has {}",
                i + 1,
                c.len(),
                header.len()
            ));
        }
        rows.push(Row {
            line: i + 1,
            fault: c[0].replace("**", ""),
            proof: c[proof_col].clone(),
        });
    }
    Ok(rows)
}

/// The `path::name` references of a `Proved by` cell; `Ok(vec![])` for `not tested`.
fn references(proof: &str) -> Result<Vec<(String, String)>, String> {
    if proof == NOT_TESTED {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = proof.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return Err(format!(
            "`{PROOF_HEADER}` must be exactly `{NOT_TESTED}` or backticked path::name references, not {proof:?}"
        ));
    }
    let mut refs = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            let between = part.replace("<br>", "");
            if between.chars().any(|c| !(c.is_whitespace() || c == ',')) {
                return Err(format!("text {part:?} outside the references in {proof:?}"));
            }
            continue;
        }
        let (path, name) = part
            .split_once("::")
            .ok_or_else(|| format!("reference {part:?} is not path::name"))?;
        refs.push((path.to_string(), name.to_string()));
    }
    Ok(refs)
}

/// Whether `source` (a Rust file) has `fn name` under a test attribute.
fn rust_has_test(source: &str, name: &str) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        let Some(rest) = line.trim_start().split("fn ").nth(1) else {
            return false;
        };
        let is_decl = line.trim_start().starts_with("fn ")
            || line.trim_start().starts_with("async fn ")
            || line.trim_start().starts_with("pub fn ");
        let named = rest.strip_prefix(name).is_some_and(|after| {
            after.starts_with('(') || after.starts_with('<') || after.starts_with(' ')
        });
        is_decl && named && has_test_attribute(&lines[..i])
    })
}

/// Whether the attribute and comment lines right above a `fn` include a test attribute.
fn has_test_attribute(above: &[&str]) -> bool {
    above
        .iter()
        .rev()
        .map(|l| l.trim_start())
        .take_while(|l| l.starts_with("#[") || l.starts_with("//"))
        .any(|l| l.starts_with("#[test]") || l.starts_with("#[tokio::test"))
}

fn python_has_test(source: &str, name: &str) -> bool {
    name.starts_with("test_")
        && source.lines().any(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("async ").unwrap_or(l);
            l.strip_prefix("def ")
                .and_then(|r| r.strip_prefix(name))
                .is_some_and(|r| r.starts_with('('))
        })
}

fn js_has_test(source: &str, name: &str) -> bool {
    ["test(", "it("].iter().any(|call| {
        ['\'', '"', '`']
            .iter()
            .any(|q| source.contains(&format!("{call}{q}{name}{q}")))
    })
}

/// Why a reference does not name an existing test, if it does not.
fn check_reference(root: &Path, path: &str, name: &str) -> Option<String> {
    let file = root.join(path);
    let Ok(source) = std::fs::read_to_string(&file) else {
        return Some(format!("{path} does not exist"));
    };
    let found = match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("rs") => rust_has_test(&source, name),
        Some("py") => python_has_test(&source, name),
        Some("js") => js_has_test(&source, name),
        _ => return Some(format!("{path}: only .rs, .py and .js tests can be named")),
    };
    (!found).then(|| format!("{path} has no test {name:?}"))
}

/// Every problem of the failure table in `doc`, with test paths relative to `root`.
fn check_failure_modes(root: &Path, doc: &str) -> Vec<String> {
    let rows = match failure_rows(doc) {
        Ok(rows) => rows,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    for row in &rows {
        match references(&row.proof) {
            Err(e) => problems.push(format!("line {} ({}): {e}", row.line, row.fault)),
            Ok(refs) => problems.extend(refs.iter().filter_map(|(path, name)| {
                check_reference(root, path, name)
                    .map(|e| format!("line {} ({}): {e}", row.line, row.fault))
            })),
        }
    }
    for fault in REQUIRED_FAULTS {
        let wanted = fault.to_lowercase();
        if !rows
            .iter()
            .any(|r| r.fault.to_lowercase().starts_with(&wanted))
        {
            problems.push(format!("no row for the required fault {fault:?}"));
        }
    }
    problems
}

/// `(line, target)` of every link in `doc` outside code (fenced blocks and inline spans).
fn links(doc: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in doc.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Text outside inline code spans (the odd-numbered pieces are code).
        let text: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            let target = rest[..end].split_whitespace().next().unwrap_or("");
            out.push((i + 1, target.to_string()));
            rest = &rest[end..];
        }
        // Reference-style definitions: `[name]: target`.
        let trimmed = text.trim_start();
        if let Some(after) = trimmed.strip_prefix('[').and_then(|t| t.split_once("]:")) {
            if let Some(target) = after.1.split_whitespace().next() {
                out.push((i + 1, target.to_string()));
            }
        }
    }
    out
}

/// Every relative link of the Markdown file `file` whose target does not exist.
fn broken_links(file: &Path, doc: &str) -> Vec<String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    links(doc)
        .into_iter()
        .filter(|(_, t)| !t.is_empty() && !t.starts_with('#') && !t.contains("://"))
        .filter(|(_, t)| !t.starts_with("mailto:"))
        .filter_map(|(line, target)| {
            let path = target.split('#').next().unwrap_or("");
            (!dir.join(path).exists())
                .then(|| format!("{}:{line}: {target} does not exist", file.display()))
        })
        .collect()
}

/// README.md and every `docs/*.md`.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = vec![root.join("README.md")];
    let mut in_docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    in_docs.sort();
    docs.extend(in_docs);
    docs
}

#[test]
fn the_failure_table_names_only_existing_tests_and_every_required_fault() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("docs/FAILURE_MODES.md")).unwrap();
    let rows = failure_rows(&doc).unwrap();
    assert!(rows.len() >= REQUIRED_FAULTS.len(), "{} rows", rows.len());
    let problems = check_failure_modes(&root, &doc);
    assert!(
        problems.is_empty(),
        "docs/FAILURE_MODES.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let root = workspace_root();
    let mut problems = Vec::new();
    for file in documents(&root) {
        let doc = std::fs::read_to_string(&file).unwrap();
        problems.extend(broken_links(&file, &doc));
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

// The checker itself, on tables made to fail.

/// A repository with one test of each language and one helper function.
fn fixture_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "t/a.rs",
        "/// Why.\n#[tokio::test(flavor = \"multi_thread\")]\n#[ignore]\nasync fn real_one() {}\n\nfn helper() {}\n",
    );
    write(
        "t/b.py",
        "async def test_snake(broker) -> None:\n    pass\n",
    );
    write(
        "t/c.test.js",
        "test('a name, with spaces', async () => {})\n",
    );
    dir
}

/// A failure table with every required fault, all `not tested` but the first, which is `proof`.
fn table_with(proof: &str) -> String {
    let mut doc = String::from("# x\n\n| Fault | Does | Proved by |\n| --- | --- | --- |\n");
    for (i, fault) in REQUIRED_FAULTS.iter().enumerate() {
        let cell = if i == 0 { proof } else { NOT_TESTED };
        doc.push_str(&format!("| **{fault}** (more) | it | {cell} |\n"));
    }
    doc.push_str("\nAfter the table.\n");
    doc
}

#[test]
fn checker_accepts_existing_tests_of_each_language() {
    let repo = fixture_repo();
    let proof = "`t/a.rs::real_one`, `t/b.py::test_snake`<br>`t/c.test.js::a name, with spaces`";
    assert_eq!(
        check_failure_modes(repo.path(), &table_with(proof)),
        Vec::<String>::new()
    );
}

#[test]
fn checker_reports_a_missing_file_a_missing_test_and_a_helper() {
    let repo = fixture_repo();
    for (proof, expected) in [
        ("`t/gone.rs::real_one`", "t/gone.rs does not exist"),
        (
            "`t/a.rs::no_such_test`",
            "t/a.rs has no test \"no_such_test\"",
        ),
        ("`t/a.rs::helper`", "t/a.rs has no test \"helper\""),
        ("`t/a.rs::real`", "t/a.rs has no test \"real\""),
        ("`t/b.py::test_snak`", "t/b.py has no test \"test_snak\""),
        (
            "`t/c.test.js::a name`",
            "t/c.test.js has no test \"a name\"",
        ),
    ] {
        let problems = check_failure_modes(repo.path(), &table_with(proof));
        assert_eq!(problems.len(), 1, "{proof}: {problems:?}");
        assert!(problems[0].contains(expected), "{proof}: {problems:?}");
    }
}

#[test]
fn checker_accepts_only_the_exact_not_tested_text() {
    let repo = fixture_repo();
    for proof in [
        "Not tested",
        "not tested yet",
        "untested",
        "",
        "`t/a.rs`",
        "see `t/a.rs::real_one`",
    ] {
        let problems = check_failure_modes(repo.path(), &table_with(proof));
        assert_eq!(problems.len(), 1, "{proof:?}: {problems:?}");
    }
}

#[test]
fn checker_reports_a_missing_required_row_and_a_missing_table() {
    let repo = fixture_repo();
    let doc = table_with(NOT_TESTED).replace("**clock jump**", "**clock drift**");
    assert_eq!(
        check_failure_modes(repo.path(), &doc),
        vec!["no row for the required fault \"clock jump\"".to_string()]
    );
    let problems = check_failure_modes(repo.path(), "| A | B |\n| - | - |\n| x | y |\n");
    assert!(problems[0].contains("no table"), "{problems:?}");
}

#[test]
fn checker_reports_a_broken_link_and_ignores_code_and_urls() {
    let repo = fixture_repo();
    let file = repo.path().join("t/doc.md");
    let doc = "[ok](a.rs) [also](../t/b.py#x) [web](https://x.org/y) [here](#top)\n\
               [`gone`](missing.md)\n```\n[code](not-a-link.md)\n```\n`[span](nor-this.md)`\n\
               [ref]: ../nowhere/file.md\n";
    assert_eq!(
        broken_links(&file, doc),
        vec![
            format!("{}:2: missing.md does not exist", file.display()),
            format!("{}:7: ../nowhere/file.md does not exist", file.display()),
        ]
    );
}
