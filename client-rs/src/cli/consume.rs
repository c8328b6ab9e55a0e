//! `rustlog consume TOPIC`: prints records to stdout.
//!
//! With `--group`, the tool is a group member: it resumes from the group's committed offsets
//! (`--from-beginning` only chooses where partitions *without* a commit start, as with Kafka's
//! console consumer) and commits what it printed before it exits. Without `--group` it reads
//! every partition directly and commits nothing.

use super::{Cli, CliError, CliResult};
use clap::{Args, ValueEnum};
use rustlog::{AutoOffsetReset, ConsumerConfig, Message, StartOffset};
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How often a group consumer commits what it printed while running.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// Wait of one poll.
const POLL_WAIT: Duration = Duration::from_millis(200);
/// Messages buffered between partition readers and the printer (group-less mode).
const CHANNEL_MESSAGES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The value as text (with `--print-key`, key and value separated by a tab).
    Text,
    /// One JSON object per line with topic, partition, offset, timestamp, key, value, and
    /// headers as `[key, value]` pairs in order (a null value is JSON null).
    Json,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to read.
    topic: String,
    /// Start partitions without a committed offset at the oldest record (default: only new
    /// records).
    #[arg(long)]
    from_beginning: bool,
    /// Consume as a member of this group, resuming from and committing its offsets.
    #[arg(long)]
    group: Option<String>,
    /// Exit after printing this many messages.
    #[arg(long)]
    max_messages: Option<u64>,
    /// Exit when no message arrived for this many milliseconds.
    #[arg(long)]
    idle_timeout_ms: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// In text format, print the key before the value (tab-separated).
    #[arg(long)]
    print_key: bool,
}

fn lossy(bytes: Option<&bytes::Bytes>) -> serde_json::Value {
    match bytes {
        None => serde_json::Value::Null,
        Some(b) => serde_json::Value::String(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Formats one message as one output line.
pub fn format_message(message: &Message, format: Format, print_key: bool) -> String {
    match format {
        Format::Text => {
            let value = message.value.as_ref().map_or_else(
                || "null".to_string(),
                |v| String::from_utf8_lossy(v).into_owned(),
            );
            if print_key {
                let key = message.key.as_ref().map_or_else(
                    || "null".to_string(),
                    |k| String::from_utf8_lossy(k).into_owned(),
                );
                format!("{key}\t{value}")
            } else {
                value
            }
        }
        Format::Json => {
            // Pairs, not an object: header keys repeat, and their order is part of the record.
            let headers: Vec<serde_json::Value> = message
                .headers
                .iter()
                .map(|(k, v)| serde_json::json!([k, lossy(v.as_ref())]))
                .collect();
            serde_json::json!({
                "topic": message.topic(),
                "partition": message.partition,
                "offset": message.offset,
                "timestamp": message.timestamp,
                "key": lossy(message.key.as_ref()),
                "value": lossy(message.value.as_ref()),
                "headers": headers,
            })
            .to_string()
        }
    }
}

struct Printer {
    out: std::io::BufWriter<std::io::Stdout>,
    printed: u64,
    format: Format,
    print_key: bool,
}

impl Printer {
    fn print(&mut self, message: &Message) -> CliResult {
        let line = format_message(message, self.format, self.print_key);
        writeln!(self.out, "{line}").map_err(|source| CliError::Io {
            what: "writing stdout",
            source,
        })?;
        self.printed += 1;
        Ok(())
    }
    fn flush(&mut self) -> CliResult {
        self.out.flush().map_err(|source| CliError::Io {
            what: "writing stdout",
            source,
        })
    }
}

pub async fn run(cli: &Cli, args: &ConsumeArgs) -> CliResult {
    let client = cli.connect().await?;
    // Unknown topics fail at once.
    let partitions = client.partition_count(&args.topic).await?;
    let mut printer = Printer {
        out: std::io::BufWriter::new(std::io::stdout()),
        printed: 0,
        format: args.format,
        print_key: args.print_key,
    };
    let result = match &args.group {
        Some(group) => consume_group(&client, args, group, &mut printer).await,
        None => consume_direct(&client, args, partitions, &mut printer).await,
    };
    printer.flush()?;
    result
}

fn remaining(args: &ConsumeArgs, printed: u64) -> Option<u64> {
    args.max_messages.map(|max| max.saturating_sub(printed))
}

async fn consume_group(
    client: &rustlog::Client,
    args: &ConsumeArgs,
    group: &str,
    printer: &mut Printer,
) -> CliResult {
    let reset = if args.from_beginning {
        AutoOffsetReset::Earliest
    } else {
        AutoOffsetReset::Latest
    };
    let consumer = client.consumer(
        ConsumerConfig::new(group)
            .topic(args.topic.clone())
            .auto_offset_reset(reset),
    )?;
    let mut last_message = Instant::now();
    let mut last_commit = Instant::now();
    let loop_result: CliResult = async {
        loop {
            let want = match remaining(args, printer.printed) {
                Some(0) => return Ok(()),
                Some(n) => usize::try_from(n).unwrap_or(usize::MAX).min(10_000),
                None => 10_000,
            };
            let batch = tokio::select! {
                r = consumer.poll_batch(want, POLL_WAIT) => r?,
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            if batch.is_empty() {
                if let Some(idle) = args.idle_timeout_ms {
                    if last_message.elapsed() >= Duration::from_millis(idle) {
                        return Ok(());
                    }
                }
            } else {
                last_message = Instant::now();
            }
            for message in &batch {
                printer.print(message)?;
            }
            // Only what reached stdout is committed.
            printer.flush()?;
            if last_commit.elapsed() >= COMMIT_INTERVAL {
                consumer.commit_consumed().await?;
                last_commit = Instant::now();
            }
        }
    }
    .await;
    let committed = consumer.commit_consumed().await;
    let closed = consumer.close().await;
    loop_result?;
    committed?;
    closed?;
    Ok(())
}

async fn consume_direct(
    client: &rustlog::Client,
    args: &ConsumeArgs,
    partitions: u32,
    printer: &mut Printer,
) -> CliResult {
    let start = if args.from_beginning {
        StartOffset::Earliest
    } else {
        StartOffset::Latest
    };
    let (tx, mut rx) = mpsc::channel::<rustlog::Result<Vec<Message>>>(CHANNEL_MESSAGES / 100);
    let mut readers = Vec::new();
    for partition in 0..partitions {
        let reader = client.partition_consumer(args.topic.clone(), partition, start)?;
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                let batch = reader.poll_batch(1_000, POLL_WAIT).await;
                let stop = batch.is_err();
                if tx.send(batch).await.is_err() || stop {
                    return;
                }
            }
        }));
    }
    drop(tx);
    let mut last_message = Instant::now();
    let result: CliResult = async {
        loop {
            if remaining(args, printer.printed) == Some(0) {
                return Ok(());
            }
            let next = tokio::select! {
                b = rx.recv() => b,
                _ = tokio::signal::ctrl_c() => return Ok(()),
            };
            let Some(batch) = next else { return Ok(()) };
            let batch = batch?;
            if batch.is_empty() {
                if let Some(idle) = args.idle_timeout_ms {
                    if last_message.elapsed() >= Duration::from_millis(idle) {
                        return Ok(());
                    }
                }
                continue;
            }
            last_message = Instant::now();
            for message in &batch {
                if remaining(args, printer.printed) == Some(0) {
                    break;
                }
                printer.print(message)?;
            }
        }
    }
    .await;
    for reader in readers {
        reader.abort();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    fn message() -> Message {
        Message {
            topic: Arc::from("t"),
            partition: 1,
            offset: 5,
            timestamp: 42,
            key: Some(Bytes::from_static(b"k")),
            value: None,
            headers: vec![
                ("h".into(), Some(Bytes::from_static(b"x"))),
                ("h".into(), None),
                ("e".into(), Some(Bytes::new())),
            ],
        }
    }

    #[test]
    fn text_and_json_lines() {
        assert_eq!(format_message(&message(), Format::Text, false), "null");
        assert_eq!(format_message(&message(), Format::Text, true), "k\tnull");
        let json: serde_json::Value =
            serde_json::from_str(&format_message(&message(), Format::Json, false)).unwrap();
        assert_eq!(json["offset"], 5);
        assert_eq!(json["key"], "k");
        assert!(json["value"].is_null());
        assert_eq!(
            json["headers"],
            serde_json::json!([["h", "x"], ["h", null], ["e", ""]])
        );
    }
}
