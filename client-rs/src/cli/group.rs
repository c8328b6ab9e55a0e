//! `rustlog group list|describe|delete|reset-offsets`. `reset-offsets` takes the flags of
//! Kafka's `kafka-consumer-groups --reset-offsets` and is a dry run unless `--execute`.

use super::{Cli, CliError, CliResult};
use clap::{Args, Subcommand};
use rustlog::{OffsetChange, OffsetReset};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List consumer groups.
    List,
    /// Show a group's members, committed offsets and lag per partition.
    Describe {
        /// Group id.
        group: String,
    },
    /// Delete groups that have no members, with their committed offsets.
    Delete {
        /// Group ids.
        #[arg(required = true)]
        groups: Vec<String>,
    },
    /// Move a group's committed offsets on a topic (the group must have no running members).
    ResetOffsets(ResetArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(
    ["to_earliest", "to_latest", "to_datetime", "to_offset", "shift_by"]
)))]
pub struct ResetArgs {
    /// Group id.
    group: String,
    /// The topic, or TOPIC:P,P,... for some of its partitions.
    #[arg(long, value_name = "TOPIC[:PARTITIONS]")]
    topic: String,
    /// To the oldest retained record.
    #[arg(long)]
    to_earliest: bool,
    /// To the end: skip everything stored so far.
    #[arg(long)]
    to_latest: bool,
    /// To the first record at or after this time: RFC 3339 (2026-12-01T09:30:00Z,
    /// 2026-12-01T10:30:00+01:00) or without an offset (then UTC).
    #[arg(long, value_name = "DATETIME")]
    to_datetime: Option<String>,
    /// To this offset (clamped to the log, as Kafka's tool does).
    #[arg(long, value_name = "OFFSET")]
    to_offset: Option<u64>,
    /// Move the committed offset by this many (negative goes back).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    shift_by: Option<i64>,
    /// Only show the plan (the default).
    #[arg(long, conflicts_with = "execute")]
    dry_run: bool,
    /// Commit the plan.
    #[arg(long)]
    execute: bool,
}

impl ResetArgs {
    fn target(&self) -> CliResult<OffsetReset> {
        Ok(if self.to_earliest {
            OffsetReset::Earliest
        } else if self.to_latest {
            OffsetReset::Latest
        } else if let Some(text) = &self.to_datetime {
            OffsetReset::Timestamp(parse_datetime_ms(text)?)
        } else if let Some(offset) = self.to_offset {
            OffsetReset::Offset(offset)
        } else if let Some(delta) = self.shift_by {
            OffsetReset::ShiftBy(delta)
        } else {
            return Err(CliError::Usage("give one reset target".into()));
        })
    }
}

/// `TOPIC` or `TOPIC:0,2`: the topic and, when listed, its partitions.
pub fn parse_topic_partitions(text: &str) -> CliResult<(String, Option<Vec<u32>>)> {
    let Some((topic, list)) = text.split_once(':') else {
        return Ok((text.to_string(), None));
    };
    let partitions = list
        .split(',')
        .map(|p| {
            p.trim().parse::<u32>().map_err(|_| {
                CliError::Usage(format!(
                    "invalid --topic {text:?}: {p:?} is not a partition number (TOPIC:0,1,2)"
                ))
            })
        })
        .collect::<CliResult<Vec<u32>>>()?;
    Ok((topic.to_string(), Some(partitions)))
}

/// Milliseconds since the epoch of an RFC 3339 time, or of a civil time taken as UTC.
pub fn parse_datetime_ms(text: &str) -> CliResult<i64> {
    let instant = text.parse::<jiff::Timestamp>().or_else(|_| {
        text.parse::<jiff::civil::DateTime>()
            .and_then(|civil| civil.to_zoned(jiff::tz::TimeZone::UTC))
            .map(|zoned| zoned.timestamp())
    });
    instant.map(|t| t.as_millisecond()).map_err(|_| {
        CliError::Usage(format!(
            "invalid --to-datetime {text:?}: expected e.g. 2026-12-01T09:30:00Z, \
             2026-12-01T10:30:00+01:00 or 2026-12-01T09:30:00 (UTC)"
        ))
    })
}

fn print_plan(group: &str, plan: &[OffsetChange]) {
    let width = plan.iter().map(|c| c.topic.len()).max().unwrap_or(5).max(5);
    println!(
        "{:<20}  {:<width$}  {:>9}  {:>16}  {:>16}",
        "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"
    );
    for c in plan {
        let current = c.current.map_or_else(|| "-".to_string(), |o| o.to_string());
        println!(
            "{group:<20}  {:<width$}  {:>9}  {current:>16}  {:>16}",
            c.topic, c.partition, c.new
        );
    }
}

async fn reset(admin: &rustlog::Admin, args: &ResetArgs) -> CliResult {
    let to = args.target()?;
    let (topic, partitions) = parse_topic_partitions(&args.topic)?;
    let plan = admin
        .reset_group_offsets(&args.group, &topic, partitions.as_deref(), to, args.execute)
        .await?;
    print_plan(&args.group, &plan);
    if !args.execute {
        eprintln!("dry run: nothing changed; add --execute to commit these offsets");
    }
    Ok(())
}

pub async fn run(cli: &Cli, cmd: &GroupCommand) -> CliResult {
    if let GroupCommand::ResetOffsets(args) = cmd {
        // Bad input is reported before connecting.
        args.target()?;
        parse_topic_partitions(&args.topic)?;
    }
    let admin = cli.connect().await?.admin();
    match cmd {
        GroupCommand::ResetOffsets(args) => reset(&admin, args).await?,
        GroupCommand::Delete { groups } => {
            for group in groups {
                admin.delete_group(group).await?;
                println!("deleted group {group}");
            }
        }
        GroupCommand::List => {
            let groups = admin.list_groups().await?;
            let width = groups
                .iter()
                .map(|g| g.group_id.len())
                .max()
                .unwrap_or(5)
                .max(5);
            println!(
                "{:<width$}  {:<12}  {:>10}  {:>7}",
                "GROUP", "STATE", "GENERATION", "MEMBERS"
            );
            for g in groups {
                println!(
                    "{:<width$}  {:<12}  {:>10}  {:>7}",
                    g.group_id, g.state, g.generation_id, g.member_count
                );
            }
        }
        GroupCommand::Describe { group } => {
            let d = admin.describe_group(group).await?;
            println!(
                "group: {}  state: {}  generation: {}  members: {}",
                d.group_id,
                d.state,
                d.generation_id,
                d.members.len()
            );
            for m in &d.members {
                let parts: Vec<String> = m
                    .assignment
                    .iter()
                    .flat_map(|a| a.partitions.iter().map(move |p| format!("{}/{p}", a.topic)))
                    .collect();
                println!(
                    "  member {} (client {}): {}",
                    m.member_id,
                    m.client_id,
                    if parts.is_empty() {
                        "no partitions".to_string()
                    } else {
                        parts.join(", ")
                    }
                );
            }
            let width = d
                .offsets
                .iter()
                .map(|o| o.topic.len())
                .max()
                .unwrap_or(5)
                .max(5);
            println!(
                "{:<width$}  {:>9}  {:>16}  {:>16}  {:>12}",
                "TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG"
            );
            let mut total: u64 = 0;
            for o in &d.offsets {
                total = total.saturating_add(o.lag);
                let committed = o
                    .committed_offset
                    .map_or_else(|| "-".to_string(), |c| c.to_string());
                println!(
                    "{:<width$}  {:>9}  {:>16}  {:>16}  {:>12}",
                    o.topic, o.partition, committed, o.high_watermark, o.lag
                );
            }
            println!("total lag: {total}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_with_partition_lists_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse_topic_partitions("t").unwrap(),
            ("t".to_string(), None)
        );
        assert_eq!(
            parse_topic_partitions("t:0, 2").unwrap(),
            ("t".to_string(), Some(vec![0, 2]))
        );
        let err = parse_topic_partitions("t:0,x").unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }

    #[test]
    fn datetimes_parse_with_and_without_offsets() {
        assert_eq!(parse_datetime_ms("1970-01-01T00:00:01Z").unwrap(), 1_000);
        assert_eq!(
            parse_datetime_ms("1970-01-01T01:00:01.5+01:00").unwrap(),
            1_500
        );
        assert_eq!(parse_datetime_ms("1970-01-01T00:00:02").unwrap(), 2_000);
        let err = parse_datetime_ms("yesterday").unwrap_err();
        assert!(err.to_string().contains("2026-12-01T09:30:00Z"), "{err}");
    }
}
