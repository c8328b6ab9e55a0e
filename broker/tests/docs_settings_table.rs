//! docs/OPERATIONS.md's settings table is rendered from `rustlog_broker::settings::settings()`.
//! These tests require the document to hold it verbatim between its markers (on failure the
//! expected block is printed: paste it in), and the registry to hold exactly the `Limits` fields,
//! the `FileConfig` keys and the `rustlog-broker` flags, so a new setting without a row fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::CommandFactory;
use rustlog_broker::cli::Args;
use rustlog_broker::config::{FileConfig, Limits};
use rustlog_broker::settings::{settings, Setting, TOPIC_CONFIG_SPEC};
use serde::de::{self, Deserialize, Visitor};
use std::collections::BTreeSet;

const BEGIN: &str = "<!-- BEGIN GENERATED: settings (broker/tests/docs_settings_table.rs) -->";
const END: &str = "<!-- END GENERATED: settings -->";

fn code(text: &str) -> String {
    format!("`{text}`")
}

fn cell(text: Option<String>) -> String {
    text.unwrap_or_else(|| "—".to_string())
}

/// A literal default in code font; a described one (`the bound Kafka address`) as prose.
fn default_cell(default: &str) -> String {
    match default {
        "" => "—".to_string(),
        d if d.contains(' ') => d.to_string(),
        d => code(d),
    }
}

fn row(s: &Setting) -> String {
    let flag = match (s.flag, &s.toml_key) {
        // One row per topic config key, all set through the one repeatable flag.
        (Some("--topic-config"), Some(key)) => {
            let name = key.trim_start_matches("topic_defaults.").trim_matches('"');
            Some(code(&format!("--topic-config {name}=VALUE")))
        }
        (flag, _) => flag.map(code),
    };
    let range = if s.range == TOPIC_CONFIG_SPEC {
        "[SPEC.md §11.3](../protocol-spec/SPEC.md#113-topic-config-keys)".to_string()
    } else {
        s.range.clone()
    };
    format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        cell(s.toml_key.as_deref().map(code)),
        cell(flag),
        cell(s.env.map(code)),
        default_cell(&s.default),
        range,
        s.meaning
    )
}

/// One line per subcommand that has flags, from clap itself.
fn subcommand_lines() -> String {
    let mut text = String::new();
    for sub in Args::command().get_subcommands() {
        let flags: Vec<String> = sub
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "help" | "data-dir" | "config"))
            .map(|long| format!("`--{long}`"))
            .collect();
        if flags.is_empty() {
            continue;
        }
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        let about = about
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        text.push_str(&format!(
            "- `rustlog-broker {}` ({}; also reads `--data-dir` and `--config`): {about}.\n",
            sub.get_name(),
            flags.join(", "),
        ));
    }
    text
}

fn rendered_block() -> String {
    let mut t = format!("{BEGIN}\n| TOML key | flag | env | default | range | meaning |\n");
    t.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for s in settings() {
        t.push_str(&row(&s));
    }
    t.push_str("\nSubcommands:\n\n");
    t.push_str(&subcommand_lines());
    t.push_str(END);
    t
}

#[test]
fn operations_md_holds_the_settings_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/OPERATIONS.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let expected = rendered_block();
    assert!(
        doc.contains(&expected),
        "docs/OPERATIONS.md must hold this generated block:\n\n{expected}\n"
    );
}

/// The field names serde's derive passes to `deserialize_struct`: the TOML keys of a struct.
fn serde_fields<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
    struct Fields(Vec<&'static str>);
    impl<'de> de::Deserializer<'de> for &mut Fields {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only structs"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.extend_from_slice(fields);
            Err(de::Error::custom("fields recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields = Fields(Vec::new());
    assert!(T::deserialize(&mut fields).is_err());
    fields.0
}

fn registry_keys() -> BTreeSet<String> {
    settings().into_iter().filter_map(|s| s.toml_key).collect()
}

#[test]
fn registry_has_exactly_the_limits_fields() {
    let fields: BTreeSet<String> = serde_fields::<Limits>()
        .into_iter()
        .map(|f| format!("limits.{f}"))
        .collect();
    let rows: BTreeSet<String> = registry_keys()
        .into_iter()
        .filter(|k| k.starts_with("limits."))
        .collect();
    assert!(!fields.is_empty());
    assert_eq!(rows, fields, "settings() rows vs Limits fields");
}

#[test]
fn registry_has_exactly_the_file_keys() {
    let fields: BTreeSet<String> = serde_fields::<FileConfig>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let rows: BTreeSet<String> = registry_keys()
        .iter()
        .map(|k| k.split('.').next().unwrap().to_string())
        .collect();
    assert!(!fields.is_empty());
    assert_eq!(
        rows, fields,
        "settings() top-level keys vs FileConfig fields"
    );
}

#[test]
fn registry_has_exactly_the_topic_config_keys() {
    let mut expected: BTreeSet<String> = rustlog_protocol::config_keys::ALL
        .iter()
        .map(|k| format!("topic_defaults.\"{k}\""))
        .collect();
    expected.insert("topic_defaults.partitions".into());
    let rows: BTreeSet<String> = registry_keys()
        .into_iter()
        .filter(|k| k.starts_with("topic_defaults."))
        .collect();
    assert_eq!(rows, expected);
}

/// The run command's flags (clap's own `--help` and `--version` aside).
fn clap_flags() -> Vec<clap::Arg> {
    Args::command()
        .get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .cloned()
        .collect()
}

#[test]
fn registry_has_exactly_the_run_flags_and_their_env() {
    let registry: BTreeSet<(String, Option<String>)> = settings()
        .into_iter()
        .filter_map(|s| Some((s.flag?.to_string(), s.env.map(str::to_string))))
        .collect();
    let clap: BTreeSet<(String, Option<String>)> = clap_flags()
        .iter()
        .map(|a| {
            let long = format!("--{}", a.get_long().unwrap());
            let env = a.get_env().map(|e| e.to_string_lossy().into_owned());
            (long, env)
        })
        .collect();
    assert!(!clap.is_empty());
    assert_eq!(
        registry, clap,
        "settings() (flag, env) vs rustlog-broker's flags"
    );
}

/// A flag whose help states `[default: X]` states the registry's default.
#[test]
fn flag_help_defaults_match_the_registry() {
    let rows = settings();
    for arg in clap_flags() {
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let Some((_, rest)) = help.split_once("[default: ") else {
            continue;
        };
        let stated = rest.split(']').next().unwrap();
        let long = format!("--{}", arg.get_long().unwrap());
        let row = rows
            .iter()
            .find(|s| s.flag == Some(long.as_str()))
            .unwrap_or_else(|| panic!("{long} has no row in settings()"));
        assert_eq!(stated, row.default, "{long}'s help and settings() disagree");
    }
}
