//! `rustlog group list|describe`.

use super::{Cli, CliResult};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List consumer groups.
    List,
    /// Show a group's members, committed offsets and lag per partition.
    Describe {
        /// Group id.
        group: String,
    },
}

pub async fn run(cli: &Cli, cmd: &GroupCommand) -> CliResult {
    let admin = cli.connect().await?.admin();
    match cmd {
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
