//! `rustlog produce TOPIC`: one record per stdin line, optionally `KEY<sep>VALUE`, each with
//! the headers given by `-H name=value` (kcat's flag).

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
    #[arg(short = 'K', long)]
    key_separator: Option<String>,
    /// Write every record to this partition.
    #[arg(short = 'p', long)]
    partition: Option<u32>,
    /// Add this header to every record (repeatable, in order; names may repeat).
    #[arg(short = 'H', long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
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

/// `NAME=VALUE`, split at the first `=` (the value may hold more; it may be empty).
fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err(format!("header {text:?} has an empty name")),
        Some((name, value)) => Ok((name.to_string(), value.to_string())),
        None => Err(format!("header {text:?} is not NAME=VALUE")),
    }
}

/// What every record of a run shares.
pub struct LineFormat<'a> {
    pub key_separator: Option<&'a str>,
    pub partition: Option<u32>,
    pub headers: &'a [(String, String)],
}

/// Turns one input line into a record.
pub fn line_to_record(
    topic: &str,
    line: &str,
    line_number: usize,
    format: &LineFormat<'_>,
) -> CliResult<Record> {
    let mut record = Record::new(topic);
    record.partition = format.partition;
    for (name, value) in format.headers {
        record = record.header(name.clone(), value.clone());
    }
    match format.key_separator {
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
    let format = LineFormat {
        key_separator: args.key_separator.as_deref(),
        partition: args.partition,
        headers: &args.headers,
    };
    let result: CliResult = async {
        while let Some(line) = lines.next_line().await.map_err(|source| CliError::Io {
            what: "reading stdin",
            source,
        })? {
            line_number += 1;
            let record = line_to_record(&args.topic, &line, line_number, &format)?;
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

    fn format(key_separator: Option<&str>, partition: Option<u32>) -> LineFormat<'_> {
        LineFormat {
            key_separator,
            partition,
            headers: &[],
        }
    }

    #[test]
    fn lines_split_at_the_first_separator() {
        let r = line_to_record("t", "k1:v:1", 1, &format(Some(":"), None)).unwrap();
        assert_eq!(r.key.as_deref(), Some(b"k1".as_slice()));
        assert_eq!(r.value.as_deref(), Some(b"v:1".as_slice()));
        let r = line_to_record("t", "plain", 1, &format(None, Some(2))).unwrap();
        assert!(r.key.is_none());
        assert_eq!(r.partition, Some(2));
        let err = line_to_record("t", "nokey", 7, &format(Some(":"), None)).unwrap_err();
        assert!(err.to_string().contains("line 7"));
    }

    #[test]
    fn headers_are_name_equals_value_in_order() {
        assert_eq!(parse_header("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(parse_header("e=").unwrap(), ("e".into(), String::new()));
        assert!(parse_header("novalue").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_header("=x").unwrap_err().contains("empty name"));
        let headers = [
            ("h".to_string(), "1".to_string()),
            ("h".to_string(), "2".to_string()),
        ];
        let with = LineFormat {
            headers: &headers,
            ..format(None, None)
        };
        let r = line_to_record("t", "v", 1, &with).unwrap();
        let values: Vec<_> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[1].0, "h");
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
