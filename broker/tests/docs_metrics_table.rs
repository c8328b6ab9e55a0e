//! docs/OPERATIONS.md lists every metric family in a table generated from
//! `rustlog_broker::metrics::describe()`, the descriptors the registry and the scrape-time
//! collector are built from. This test renders the table and requires the document to hold it
//! verbatim between its `metrics` markers; on failure it prints the expected table to paste.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rustlog_broker::metrics::{self, MetricKind};

const BEGIN: &str = "<!-- BEGIN GENERATED: metrics";
const END: &str = "<!-- END GENERATED: metrics -->";

fn operations_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/OPERATIONS.md");
    std::fs::read_to_string(path).unwrap()
}

/// What sits between the markers (the begin marker's line excluded), trimmed.
fn generated_block(doc: &str) -> &str {
    let start = doc
        .find(BEGIN)
        .expect("the BEGIN GENERATED: metrics marker");
    let after_marker = start + doc[start..].find('\n').expect("a line after the marker") + 1;
    let end = doc[after_marker..]
        .find(END)
        .expect("the END GENERATED: metrics marker");
    doc[after_marker..after_marker + end].trim()
}

fn table() -> String {
    let mut t = String::from("| name | type | labels | meaning |\n| --- | --- | --- | --- |\n");
    for d in metrics::describe() {
        assert!(
            !d.help.contains('|'),
            "{}: a `|` would break the table",
            d.name
        );
        let labels = if d.labels.is_empty() {
            "-".to_string()
        } else {
            d.labels
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let name = match d.kind {
            MetricKind::Histogram => format!("`{}` (`_bucket`, `_sum`, `_count`)", d.name),
            _ => format!("`{}`", d.sample_name()),
        };
        t.push_str(&format!(
            "| {name} | {} | {labels} | {} |\n",
            d.kind.as_str(),
            d.help
        ));
    }
    t
}

#[test]
fn operations_md_holds_the_generated_metrics_table() {
    let expected = table();
    let doc = operations_md();
    assert!(
        generated_block(&doc) == expected.trim(),
        "docs/OPERATIONS.md must hold exactly this table between `{BEGIN} ...-->` and `{END}`:\n\n{expected}"
    );
}

#[test]
fn the_table_names_every_family_a_scrape_returns_with_its_type() {
    // The same descriptors as the registry: a scrape has one TYPE line per row, in row order.
    let text = metrics::Metrics::new(Box::new(metrics::NoGauges)).render();
    let families: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    let described: Vec<(&str, &str)> = metrics::describe()
        .map(|d| (d.name, d.kind.as_str()))
        .collect();
    assert_eq!(families, described);
}
