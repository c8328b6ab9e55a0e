//! `rustlog topic create|list|describe|alter|delete`.

use super::{Cli, CliError, CliResult};
use clap::Subcommand;
use std::collections::BTreeMap;

#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic.
    Create {
        /// Topic name ([A-Za-z0-9._-], at most 249 bytes).
        name: String,
        /// Number of partitions.
        #[arg(long, default_value_t = 1)]
        partitions: u32,
        /// Topic config override KEY=VALUE (repeatable), e.g. retention.ms=60000.
        #[arg(long = "config", value_name = "KEY=VALUE")]
        config: Vec<String>,
    },
    /// List topics.
    List,
    /// Show a topic's config and partitions.
    Describe {
        /// Topic name.
        name: String,
    },
    /// Grow a topic to more partitions (a topic never shrinks; keyed records may hash to
    /// other partitions afterwards).
    Alter {
        /// Topic name.
        name: String,
        /// The new partition count, more than the topic has.
        #[arg(long)]
        partitions: u32,
    },
    /// Delete a topic and its data.
    Delete {
        /// Topic name.
        name: String,
    },
}

/// Parses `KEY=VALUE` pairs and checks the keys against the known topic config keys.
pub fn parse_config(pairs: &[String]) -> CliResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(CliError::Usage(format!(
                "invalid --config {pair:?}: expected KEY=VALUE"
            )));
        };
        let key = key.trim();
        if !rustlog_protocol::config_keys::ALL.contains(&key) {
            return Err(CliError::Usage(format!(
                "unknown topic config key {key:?}; known keys: {}",
                rustlog_protocol::config_keys::ALL.join(", ")
            )));
        }
        out.insert(key.to_string(), value.trim().to_string());
    }
    Ok(out)
}

pub async fn run(cli: &Cli, cmd: &TopicCommand) -> CliResult {
    if let TopicCommand::Create { config, .. } = cmd {
        // Bad input is reported before connecting.
        parse_config(config)?;
    }
    let admin = cli.connect().await?.admin();
    match cmd {
        TopicCommand::Create {
            name,
            partitions,
            config,
        } => {
            let created = admin
                .create_topic(name, *partitions, parse_config(config)?)
                .await?;
            println!(
                "created topic {} with {} partition(s)",
                created.name, created.partitions
            );
        }
        TopicCommand::List => {
            let topics = admin.list_topics().await?;
            let width = topics
                .iter()
                .map(|t| t.name.len())
                .max()
                .unwrap_or(5)
                .max(5);
            println!("{:<width$}  PARTITIONS", "TOPIC");
            for t in topics {
                println!("{:<width$}  {}", t.name, t.partitions);
            }
        }
        TopicCommand::Describe { name } => {
            let d = admin.describe_topic(name).await?;
            println!("topic: {}", d.name);
            println!("partitions: {}", d.partitions.len());
            println!("config:");
            for (k, v) in &d.config {
                println!("  {k}={v}");
            }
            println!(
                "{:>9}  {:>16}  {:>16}  {:>14}  {:>8}",
                "PARTITION", "LOG-START", "HIGH-WATERMARK", "SIZE-BYTES", "SEGMENTS"
            );
            for p in &d.partitions {
                if let Some(error) = &p.quarantined {
                    println!("{:>9}  QUARANTINED: {error}", p.partition);
                    continue;
                }
                println!(
                    "{:>9}  {:>16}  {:>16}  {:>14}  {:>8}",
                    p.partition,
                    p.log_start_offset,
                    p.high_watermark,
                    p.size_bytes,
                    p.segment_count
                );
            }
        }
        TopicCommand::Alter { name, partitions } => {
            let now = admin.create_partitions(name, *partitions).await?;
            println!("topic {name} has {now} partition(s)");
        }
        TopicCommand::Delete { name } => {
            admin.delete_topic(name).await?;
            println!("deleted topic {name}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_pairs_parse_and_bad_ones_are_named() {
        let ok =
            parse_config(&["retention.ms=60000".into(), "cleanup.policy=compact".into()]).unwrap();
        assert_eq!(ok.get("retention.ms").map(String::as_str), Some("60000"));
        let err = parse_config(&["retention.ms".into()]).unwrap_err();
        assert!(err.to_string().contains("KEY=VALUE"));
        let err = parse_config(&["colour=blue".into()]).unwrap_err();
        assert!(err.to_string().contains("colour"));
    }
}
