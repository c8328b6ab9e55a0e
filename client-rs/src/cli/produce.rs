//! `rustlog produce TOPIC`: one record per stdin line, optionally `KEY<sep>VALUE`.

use super::{Cli, CliError, CliResult};
use clap::Args;
use rustlog::{Acks, Compression, ProducerConfig, Record};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Handles awaited at once before more lines are read (bounds memory on huge inputs).
const OUTSTANDING_MAX: usize = 100_000;

#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic to write to.
    topic: String,
    /// Split each line at the first occurrence of this string into key and value.
    #[arg(long)]
    key_separator: Option<String>,
    /// Write every record to this partition.
    #[arg(long)]
    partition: Option<u32>,
    /// none, leader or durable.
    #[arg(long, default_value = "leader")]
    acks: Acks,
    /// Batch linger in milliseconds.
    #[arg(long, default_value_t = 5)]
    linger_ms: u64,
    #[command(flatten)]
    delivery: DeliveryArgs,
}

/// Codec and idempotence flags, shared by `produce` and `bench`.
#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Batch compression: none, gzip, snappy, lz4 or zstd.
    #[arg(long, default_value = "none", value_parser = parse_compression)]
    pub compression: Compression,
    /// Compression level: gzip 0..=9, zstd -7..=22 (none, snappy and lz4 take no level).
    #[arg(long, allow_hyphen_values = true)]
    pub compression_level: Option<i32>,
    /// Send without a producer id (a retry after a lost response may then store a batch
    /// twice). Idempotence is also off with --acks none.
    #[arg(long)]
    pub no_idempotence: bool,
}

impl DeliveryArgs {
    /// `config` with these flags, checked (a bad level fails here, before connecting).
    pub fn apply(&self, config: ProducerConfig) -> CliResult<ProducerConfig> {
        let config = config
            .compression(self.compression)
            .compression_level(self.compression_level)
            .idempotence(!self.no_idempotence);
        config.validate()?;
        Ok(config)
    }
}

fn parse_compression(name: &str) -> Result<Compression, String> {
    Compression::from_name(&name.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown codec {name:?}: use none, gzip, snappy, lz4 or zstd"))
}

/// Turns one input line into a record.
pub fn line_to_record(
    topic: &str,
    line: &str,
    line_number: usize,
    key_separator: Option<&str>,
    partition: Option<u32>,
) -> CliResult<Record> {
    let mut record = Record::new(topic);
    record.partition = partition;
    match key_separator {
        Some(sep) => {
            let Some((key, value)) = line.split_once(sep) else {
                return Err(CliError::Usage(format!(
                    "line {line_number} has no key separator {sep:?}"
                )));
            };
            Ok(record.key(key.to_string()).value(value.to_string()))
        }
        None => Ok(record.value(line.to_string())),
    }
}

pub async fn run(cli: &Cli, args: &ProduceArgs) -> CliResult {
    let config = args.delivery.apply(
        ProducerConfig::default()
            .acks(args.acks)
            .linger_ms(args.linger_ms),
    )?;
    let client = cli.connect().await?;
    // Unknown topics fail before stdin is read.
    client.partition_count(&args.topic).await?;
    let producer = client.producer(config)?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut outstanding = Vec::new();
    let mut sent: u64 = 0;
    let mut line_number = 0usize;
    let result: CliResult = async {
        while let Some(line) = lines.next_line().await.map_err(|source| CliError::Io {
            what: "reading stdin",
            source,
        })? {
            line_number += 1;
            let record = line_to_record(
                &args.topic,
                &line,
                line_number,
                args.key_separator.as_deref(),
                args.partition,
            )?;
            outstanding.push(producer.send(record).await?);
            if outstanding.len() >= OUTSTANDING_MAX {
                for handle in outstanding.drain(..) {
                    handle.await?;
                    sent += 1;
                }
            }
        }
        for handle in outstanding.drain(..) {
            handle.await?;
            sent += 1;
        }
        Ok(())
    }
    .await;
    let timeout = Duration::from_millis(producer.config().delivery_timeout_ms);
    let closed = producer.close(timeout).await;
    result?;
    closed?;
    eprintln!("produced {sent} record(s) to {}", args.topic);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_the_first_separator() {
        let r = line_to_record("t", "k1:v:1", 1, Some(":"), None).unwrap();
        assert_eq!(r.key.as_deref(), Some(b"k1".as_slice()));
        assert_eq!(r.value.as_deref(), Some(b"v:1".as_slice()));
        let r = line_to_record("t", "plain", 1, None, Some(2)).unwrap();
        assert!(r.key.is_none());
        assert_eq!(r.partition, Some(2));
        let err = line_to_record("t", "nokey", 7, Some(":"), None).unwrap_err();
        assert!(err.to_string().contains("line 7"));
    }

    #[test]
    fn codecs_parse_by_name_and_bad_levels_are_refused() {
        assert_eq!(parse_compression("ZSTD").unwrap(), Compression::Zstd);
        let err = parse_compression("brotli").unwrap_err();
        assert!(err.contains("gzip"), "{err}");
        let flags = DeliveryArgs {
            compression: Compression::Gzip,
            compression_level: Some(12),
            no_idempotence: true,
        };
        let err = flags.apply(ProducerConfig::default()).unwrap_err();
        assert!(err.to_string().contains("0..=9"), "{err}");
        let flags = DeliveryArgs {
            compression_level: Some(9),
            ..flags
        };
        let config = flags.apply(ProducerConfig::default()).unwrap();
        assert!(!config.idempotence);
    }
}
