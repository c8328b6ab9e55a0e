//! The report: raw samples in, medians, ranges and ratios out, as a text table or JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::cli::{SystemId, Tier, Workload};

/// Everything measured for one (tier, workload, system).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// One entry per run, in run order: msg/s or the error.
    pub samples: Vec<Result<f64, String>>,
    /// Set when the system was not measured at all; the reason is shown instead of a number.
    pub skipped: Option<String>,
    /// False when the peer ran at a different durability than the tier (`--nats-untiered`).
    pub like_for_like: bool,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// When the run started.
    pub date_utc: String,
    pub command: String,
    pub machine: Machine,
    pub settings: Settings,
    pub systems: Vec<SystemReport>,
    pub cells: Vec<CellReport>,
    pub ratios: Vec<RatioReport>,
    pub wall_clock_secs: f64,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub load_average_start: String,
    pub load_average_end: String,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub count: u64,
    pub message_size: u64,
    pub runs: usize,
    pub tiers: Vec<Tier>,
    pub work_dir: String,
}

#[derive(Debug, Serialize)]
pub struct SystemReport {
    pub system: SystemId,
    pub version: Option<String>,
    pub skipped: Option<String>,
    /// How the server was started and driven, per tier.
    pub setup: BTreeMap<Tier, String>,
}

#[derive(Debug, Serialize)]
pub struct CellReport {
    pub tier: Tier,
    pub workload: Workload,
    pub system: SystemId,
    /// "ok", "error" or "skipped".
    pub status: &'static str,
    pub msgs_per_sec_runs: Vec<Option<f64>>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub errors: Vec<String>,
    pub like_for_like: bool,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RatioReport {
    pub tier: Tier,
    pub workload: Workload,
    pub peer: SystemId,
    /// median(RustLog) / median(peer).
    pub ratio_of_medians: Option<f64>,
    /// RustLog / peer within the same run (the systems of one run ran back to back, so these
    /// cancel most of the machine's drift between runs).
    pub paired_run_ratios: Vec<f64>,
    pub like_for_like: bool,
}

pub type CellKey = (Tier, Workload, SystemId);

pub fn cell_reports(cells: &BTreeMap<CellKey, Cell>) -> Vec<CellReport> {
    cells
        .iter()
        .map(|(&(tier, workload, system), cell)| {
            let errors = cell
                .samples
                .iter()
                .filter_map(|s| s.as_ref().err().cloned())
                .chain(cell.skipped.clone())
                .collect::<Vec<_>>();
            let ok = ok_samples(cell);
            let status = if cell.skipped.is_some() {
                "skipped"
            } else if ok.is_some() {
                "ok"
            } else {
                "error"
            };
            CellReport {
                tier,
                workload,
                system,
                status,
                msgs_per_sec_runs: cell
                    .samples
                    .iter()
                    .map(|s| s.as_ref().ok().copied())
                    .collect(),
                median: ok.as_deref().map(median),
                min: ok
                    .as_deref()
                    .map(|v| v.iter().copied().fold(f64::INFINITY, f64::min)),
                max: ok
                    .as_deref()
                    .map(|v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                errors,
                like_for_like: cell.like_for_like,
                note: cell.note.clone(),
            }
        })
        .collect()
}

pub fn ratio_reports(cells: &BTreeMap<CellKey, Cell>, tiers: &[Tier]) -> Vec<RatioReport> {
    let mut out = Vec::new();
    for &tier in tiers {
        for workload in Workload::ALL {
            for peer in [SystemId::Redis, SystemId::Nats] {
                let ours = cells.get(&(tier, workload, SystemId::Rustlog));
                let theirs = cells.get(&(tier, workload, peer));
                let (Some(ours), Some(theirs)) = (ours, theirs) else {
                    continue;
                };
                let (a, b) = (ok_samples(ours), ok_samples(theirs));
                let ratio_of_medians = match (a.as_deref(), b.as_deref()) {
                    (Some(a), Some(b)) => Some(median(a) / median(b)),
                    _ => None,
                };
                let paired_run_ratios = if ratio_of_medians.is_some() {
                    ours.samples
                        .iter()
                        .zip(&theirs.samples)
                        .filter_map(|(x, y)| Some(x.as_ref().ok()? / y.as_ref().ok()?))
                        .collect()
                } else {
                    Vec::new()
                };
                out.push(RatioReport {
                    tier,
                    workload,
                    peer,
                    ratio_of_medians,
                    paired_run_ratios,
                    like_for_like: ours.like_for_like && theirs.like_for_like,
                });
            }
        }
    }
    out
}

/// All samples if every run succeeded; a cell with any failed run shows the error, never a
/// number computed from the runs that happened to work.
fn ok_samples(cell: &Cell) -> Option<Vec<f64>> {
    if cell.skipped.is_some() || cell.samples.is_empty() {
        return None;
    }
    cell.samples
        .iter()
        .map(|s| s.as_ref().ok().copied())
        .collect()
}

/// Median; the mean of the middle two for an even count. `values` is never empty here.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[mid],
        _ => (v[mid - 1] + v[mid]) / 2.0,
    }
}

/// Short human rate: 1.23M, 412k, 3.4k, 950.
pub fn fmt_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e5 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// The human report: header, table, footnotes.
pub fn render(report: &Report) -> String {
    let mut notes = Footnotes::default();
    let mut rows: Vec<Vec<String>> = vec![[
        "tier",
        "workload",
        "rustlog msg/s",
        "redis msg/s",
        "nats msg/s",
        "rustlog/redis",
        "rustlog/nats",
    ]
    .map(str::to_string)
    .to_vec()];
    let multi_run = report.settings.runs > 1;
    for &tier in &report.settings.tiers {
        for workload in Workload::ALL {
            let mut row = vec![tier.to_string(), workload.to_string()];
            for system in SystemId::ALL {
                let cell = report
                    .cells
                    .iter()
                    .find(|c| c.tier == tier && c.workload == workload && c.system == system);
                row.push(match cell {
                    Some(cell) => cell_text(cell, multi_run, &mut notes),
                    None => "-".to_string(),
                });
            }
            for peer in [SystemId::Redis, SystemId::Nats] {
                let ratio = report
                    .ratios
                    .iter()
                    .find(|r| r.tier == tier && r.workload == workload && r.peer == peer);
                row.push(ratio.map_or_else(|| "-".to_string(), |r| ratio_text(r, multi_run)));
            }
            rows.push(row);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "{}", table(&rows));
    if multi_run {
        let _ = writeln!(
            out,
            "msg/s: median of {} runs (min-max). ratio: median/median (min-max of the same-run ratios).",
            report.settings.runs
        );
    }
    let any_marked = report
        .cells
        .iter()
        .any(|c| !c.like_for_like && c.status == "ok");
    if any_marked {
        let _ = writeln!(
            out,
            "*  measured at a different durability than the tier (see notes): not like-for-like."
        );
    }
    for (i, text) in notes.items.iter().enumerate() {
        let _ = writeln!(out, "[{}] {}", i + 1, text);
    }
    out
}

fn cell_text(cell: &CellReport, multi_run: bool, notes: &mut Footnotes) -> String {
    match cell.status {
        "ok" => {
            let (Some(median), Some(min), Some(max)) = (cell.median, cell.min, cell.max) else {
                return "?".to_string();
            };
            let mut text = fmt_rate(median);
            if multi_run {
                let _ = write!(text, " ({}-{})", fmt_rate(min), fmt_rate(max));
            }
            if !cell.like_for_like {
                text.push('*');
                if let Some(note) = &cell.note {
                    let n = notes.add(&format!("{} {}: {note}", cell.system, cell.tier));
                    let _ = write!(text, " [{n}]");
                }
            }
            text
        }
        status => {
            let (label, context) = if status == "skipped" {
                // A skip reason is the same for every tier and workload: one note per system.
                ("n/a", cell.system.to_string())
            } else {
                (
                    "ERROR",
                    format!("{} {} {}", cell.system, cell.tier, cell.workload),
                )
            };
            let mut refs = cell
                .errors
                .iter()
                .map(|e| notes.add(&format!("{context}: {e}")))
                .collect::<Vec<_>>();
            refs.sort_unstable();
            refs.dedup();
            let refs = refs.iter().map(usize::to_string).collect::<Vec<_>>();
            format!("{label} [{}]", refs.join(","))
        }
    }
}

fn ratio_text(r: &RatioReport, multi_run: bool) -> String {
    let Some(ratio) = r.ratio_of_medians else {
        return "n/a".to_string();
    };
    let mut text = format!("{ratio:.2}x");
    if multi_run && !r.paired_run_ratios.is_empty() {
        let lo = r
            .paired_run_ratios
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = r
            .paired_run_ratios
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let _ = write!(text, " ({lo:.2}-{hi:.2})");
    }
    if !r.like_for_like {
        text.push('*');
    }
    text
}

/// Numbered notes; the same text gets the same number, so a reason repeated over runs, tiers and
/// workloads is printed once.
#[derive(Default)]
struct Footnotes {
    items: Vec<String>,
}

impl Footnotes {
    fn add(&mut self, text: &str) -> usize {
        if let Some(i) = self.items.iter().position(|t| t == text) {
            return i + 1;
        }
        self.items.push(text.to_string());
        self.items.len()
    }
}

/// Pipe-separated columns padded to the widest entry, with a rule under the header.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect::<Vec<_>>();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line = row
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ");
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let rule = widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("-|-");
            let _ = writeln!(out, "{rule}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn rates_are_short() {
        assert_eq!(fmt_rate(1_234_567.0), "1.23M");
        assert_eq!(fmt_rate(412_345.0), "412k");
        assert_eq!(fmt_rate(3_456.0), "3.5k");
        assert_eq!(fmt_rate(950.0), "950");
    }

    #[test]
    fn one_failed_run_hides_the_number() {
        let cell = Cell {
            samples: vec![Ok(1.0), Err("boom".to_string())],
            like_for_like: true,
            ..Cell::default()
        };
        assert!(ok_samples(&cell).is_none());
    }
}
