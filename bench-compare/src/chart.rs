//! `--chart`: the ratios of a report as a PNG bar chart (RustLog / each peer, per tier and
//! workload, on a log scale with the 1x line), titled with the settings and the command.

use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::cli::{SystemId, Workload};
use crate::table::{RatioReport, Report};

const WIDTH_PX: u32 = 1200;
const HEIGHT_PX: u32 = 700;
/// Bar colour per peer.
const PEER_COLOURS: [(SystemId, RGBColor); 2] = [
    (SystemId::Redis, RGBColor(200, 60, 50)),
    (SystemId::Nats, RGBColor(40, 110, 190)),
];

/// Draws `report.ratios` into `png` with the font at `font`.
pub fn write(report: &Report, png: &Path, font: &Path) -> Result<()> {
    let bytes = std::fs::read(font)
        .with_context(|| format!("reading the chart font {} (--chart-font)", font.display()))?;
    // plotters keeps registered fonts for the process's life.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a TrueType font", font.display()))?;
    draw(report, png).map_err(|e| anyhow::anyhow!("drawing {}: {e}", png.display()))
}

/// The groups on the x axis, in order: (label, ratios of that tier and workload).
fn groups(report: &Report) -> Vec<(String, Vec<&RatioReport>)> {
    let mut out = Vec::new();
    for tier in &report.settings.tiers {
        for workload in Workload::ALL {
            let ratios = report
                .ratios
                .iter()
                .filter(|r| r.tier == *tier && r.workload == workload)
                .collect();
            out.push((format!("{tier} {workload}"), ratios));
        }
    }
    out
}

/// Text of `size` px centred above its anchor.
fn centred(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom))
}

fn draw(report: &Report, png: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(png, (WIDTH_PX, HEIGHT_PX)).into_drawing_area();
    root.fill(&WHITE)?;
    let groups = groups(report);
    let top = report
        .ratios
        .iter()
        .filter_map(|r| r.ratio_of_medians)
        .fold(2.0f64, f64::max)
        * 1.6;
    let title = format!(
        "RustLog / peer, msg/s ({} x {} B, median of {} runs)",
        report.settings.count, report.settings.message_size, report.settings.runs
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..groups.len() as f64, (0.5f64..top).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .light_line_style(WHITE)
        .y_desc("ratio (log scale)")
        .y_label_formatter(&|v| format!("{v:.0}x"))
        .label_style(("sans-serif", 16))
        .draw()?;
    // Group names under the axis, in pixels of the whole image.
    for (i, (label, _)) in groups.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.5));
        let style =
            TextStyle::from(("sans-serif", 16).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(label.clone(), (x, y + 10), style))?;
    }
    for (slot, (peer, colour)) in PEER_COLOURS.iter().enumerate() {
        let bars = groups.iter().enumerate().filter_map(|(i, (_, ratios))| {
            let ratio = ratios.iter().find(|r| r.peer == *peer)?.ratio_of_medians?;
            Some((i as f64 + 0.12 + slot as f64 * 0.38, ratio))
        });
        let bars: Vec<_> = bars.collect();
        chart
            .draw_series(
                bars.iter().map(|&(x, ratio)| {
                    Rectangle::new([(x, 0.5), (x + 0.36, ratio)], colour.filled())
                }),
            )?
            .label(format!("vs {}", peer.label()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
        chart.draw_series(bars.iter().map(|&(x, ratio)| {
            Text::new(
                format!("{ratio:.1}x"),
                (x + 0.18, ratio * 1.04),
                centred(15),
            )
        }))?;
    }
    // The log scale labels only powers of ten: reference lines at the ratios the targets use.
    let width = groups.len() as f64;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 1.0), (width, 1.0)],
        BLACK.stroke_width(1),
    )))?;
    for level in [2.0, 4.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .filter(|&l| l < top)
    {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, level), (width, level)],
            RGBColor(190, 190, 190).stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{level:.0}x"),
            (width - 0.02, level),
            TextStyle::from(("sans-serif", 13).into_font())
                .pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()?;
    root.draw(&Text::new(
        report.command.clone(),
        (20, HEIGHT_PX as i32 - 22),
        ("sans-serif", 13),
    ))?;
    root.present()?;
    Ok(())
}
