//! `rustlog consume TOPIC`: prints records to stdout.
//!
//! With `--group`, the tool is a group member: it resumes from the group's committed offsets
//! (`--from-beginning` only chooses where partitions *without* a commit start, as with Kafka's
//! console consumer) and commits what it printed before it exits. Without `--group` it reads
//! every partition (or the one of `-p`) directly from `-o` (kcat's offsets) and commits nothing;
//! `-e` exits once every partition is read up to where it ended when the command started.
//!
//! Output is binary-safe: text and `-f` write keys and values as their raw bytes, JSON writes
//! a key or value that is not UTF-8 as `{"base64": "..."}`, and a null key or value is never
//! printed like a string ("NULL" in text by default, JSON null).

mod render;

pub use render::{Render, Template};

use super::{Cli, CliError, CliResult};
use clap::{Args, ValueEnum};
use rustlog::{AutoOffsetReset, ConsumerConfig, Message, OffsetSpec, StartOffset};
use std::io::Write;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How often a group consumer commits what it printed while running.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// Wait of one poll.
const POLL_WAIT: Duration = Duration::from_millis(200);
/// Batches buffered between partition readers and the printer (group-less mode).
const CHANNEL_BATCHES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The value's bytes (with `--print-key` / `--print-headers`, key and headers before it,
    /// tab-separated).
    Text,
    /// One JSON object per line with topic, partition, offset, timestamp, key, value, and
    /// headers as `[key, value]` pairs in order (null is JSON null, bytes that are not UTF-8
    /// are `{"base64": "..."}`).
    Json,
}

/// Where a group-less read starts, as kcat's `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
    Offset(u64),
    /// This many records before the end of each partition.
    FromEnd(u64),
    /// The first record at or after this timestamp (ms).
    Timestamp(i64),
}

/// Parses `beginning`, `end`, `N`, `-N` or `s@MS`.
pub fn parse_start(text: &str) -> Result<StartAt, String> {
    let bad = || format!("invalid offset {text:?}: use beginning, end, N, -N or s@TIMESTAMP_MS");
    Ok(match text {
        "beginning" => StartAt::Beginning,
        "end" => StartAt::End,
        _ => {
            if let Some(ms) = text.strip_prefix("s@") {
                StartAt::Timestamp(ms.parse().map_err(|_| bad())?)
            } else if let Some(back) = text.strip_prefix('-') {
                StartAt::FromEnd(back.parse().map_err(|_| bad())?)
            } else {
                StartAt::Offset(text.parse().map_err(|_| bad())?)
            }
        }
    })
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to read.
    topic: String,
    /// Start partitions without a committed offset at the oldest record (default: only new
    /// records). The same as `-o beginning` without a group.
    #[arg(long, conflicts_with = "offset")]
    from_beginning: bool,
    /// Consume as a member of this group, resuming from and committing its offsets.
    #[arg(long, conflicts_with_all = ["partition", "offset", "exit_at_end"])]
    group: Option<String>,
    /// Read only this partition.
    #[arg(short = 'p', long)]
    partition: Option<u32>,
    /// Where to start: beginning, end, an offset N, -N (N before the end), or s@TIMESTAMP_MS.
    #[arg(short = 'o', long, allow_hyphen_values = true, value_parser = parse_start)]
    offset: Option<StartAt>,
    /// Exit once every partition is read up to its end as of the start.
    #[arg(short = 'e', long)]
    exit_at_end: bool,
    /// Exit after printing this many messages.
    #[arg(short = 'c', long)]
    max_messages: Option<u64>,
    /// Exit when no message arrived for this many milliseconds.
    #[arg(long)]
    idle_timeout_ms: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// kcat-style format string instead of --format: %t topic, %p partition, %o offset,
    /// %k key, %v or %s value, %K / %S their lengths (-1 for null), %h headers (n=v,...),
    /// %T timestamp (ms), %% a percent sign; \n \t \r \\ and \xHH escapes. No newline is
    /// added: end it with \n.
    #[arg(short = 'f', long, value_name = "FORMAT", value_parser = Template::parse)]
    format_string: Option<Template>,
    /// In text format, print the key before the value (tab-separated).
    #[arg(long)]
    print_key: bool,
    /// In text format, print the headers (n=v,...) before the key and value.
    #[arg(long)]
    print_headers: bool,
    /// How text and -f output show a null key, value or header value.
    #[arg(long, default_value = "NULL")]
    null_text: String,
}

struct Printer {
    out: std::io::BufWriter<std::io::Stdout>,
    line: Vec<u8>,
    printed: u64,
    render: Render,
}

impl Printer {
    fn print(&mut self, message: &Message) -> CliResult {
        self.line.clear();
        self.render.write(message, &mut self.line);
        self.out
            .write_all(&self.line)
            .map_err(|source| CliError::Io {
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
    // Unknown topics and partitions fail at once.
    let partitions = client.partition_count(&args.topic).await?;
    if let Some(p) = args.partition.filter(|p| *p >= partitions) {
        return Err(CliError::Usage(format!(
            "topic {} has {partitions} partition(s), not partition {p}",
            args.topic
        )));
    }
    let mut printer = Printer {
        out: std::io::BufWriter::new(std::io::stdout()),
        line: Vec::new(),
        printed: 0,
        render: Render {
            format: args.format,
            template: args.format_string.clone(),
            print_key: args.print_key,
            print_headers: args.print_headers,
            null_text: args.null_text.clone(),
        },
    };
    let result = match &args.group {
        Some(group) => consume_group(&client, args, group, &mut printer).await,
        None => {
            let chosen: Vec<u32> = match args.partition {
                Some(p) => vec![p],
                None => (0..partitions).collect(),
            };
            consume_direct(&client, args, &chosen, &mut printer).await
        }
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

/// What a partition reader tells the printer.
enum Event {
    Batch(rustlog::Result<Vec<Message>>),
    /// The partition is read up to its end as of the start (`-e`).
    AtEnd,
}

/// The start of one partition for `-o` (`-N` needs the partition's bounds).
async fn start_offset(
    client: &rustlog::Client,
    topic: &str,
    partition: u32,
    start: StartAt,
) -> CliResult<StartOffset> {
    Ok(match start {
        StartAt::Beginning => StartOffset::Earliest,
        StartAt::End => StartOffset::Latest,
        StartAt::Offset(offset) => StartOffset::Offset(offset),
        StartAt::Timestamp(ms) => StartOffset::Timestamp(ms),
        StartAt::FromEnd(back) => {
            let earliest = client
                .list_offset(topic, partition, OffsetSpec::Earliest)
                .await?
                .unwrap_or(0);
            let latest = client
                .list_offset(topic, partition, OffsetSpec::Latest)
                .await?
                .unwrap_or(0);
            StartOffset::Offset(latest.saturating_sub(back).max(earliest))
        }
    })
}

async fn consume_direct(
    client: &rustlog::Client,
    args: &ConsumeArgs,
    partitions: &[u32],
    printer: &mut Printer,
) -> CliResult {
    let start = match (args.offset, args.from_beginning) {
        (Some(start), _) => start,
        (None, true) => StartAt::Beginning,
        (None, false) => StartAt::End,
    };
    let (tx, mut rx) = mpsc::channel::<Event>(CHANNEL_BATCHES);
    let mut readers = Vec::new();
    for &partition in partitions {
        let from = start_offset(client, &args.topic, partition, start).await?;
        // -e: the end as of now; records produced later are not waited for.
        let end = if args.exit_at_end {
            client
                .list_offset(&args.topic, partition, OffsetSpec::Latest)
                .await?
        } else {
            None
        };
        let reader = client.partition_consumer(args.topic.clone(), partition, from)?;
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                let batch = reader.poll_batch(1_000, POLL_WAIT).await;
                let stop = batch.is_err();
                if tx.send(Event::Batch(batch)).await.is_err() || stop {
                    return;
                }
                let position = reader.position().await;
                if end.is_some_and(|end| position.is_some_and(|p| p >= end)) {
                    let _ = tx.send(Event::AtEnd).await;
                    return;
                }
            }
        }));
    }
    drop(tx);
    let mut at_end = 0usize;
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
            let batch = match next {
                None => return Ok(()),
                Some(Event::AtEnd) => {
                    at_end += 1;
                    if at_end == partitions.len() {
                        return Ok(());
                    }
                    continue;
                }
                Some(Event::Batch(batch)) => batch?,
            };
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

    #[test]
    fn kcat_offsets_parse_and_bad_ones_are_named() {
        assert_eq!(parse_start("beginning").unwrap(), StartAt::Beginning);
        assert_eq!(parse_start("end").unwrap(), StartAt::End);
        assert_eq!(parse_start("42").unwrap(), StartAt::Offset(42));
        assert_eq!(parse_start("-3").unwrap(), StartAt::FromEnd(3));
        assert_eq!(
            parse_start("s@1700000000000").unwrap(),
            StartAt::Timestamp(1_700_000_000_000)
        );
        for bad in ["", "start", "-x", "s@soon", "1.5"] {
            let err = parse_start(bad).unwrap_err();
            assert!(err.contains("s@TIMESTAMP_MS"), "{bad}: {err}");
        }
    }
}
