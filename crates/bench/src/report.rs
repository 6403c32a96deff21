//! The Markdown report (docs/benchmarks.md) and its SVG plots (docs/benchmarks/*.svg).
use crate::result::RunResult;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const TARGETS: [&str; 4] = ["pigeon", "floor", "ejabberd-nostore", "ejabberd-sqlite"];

/// Reads result files and writes the report and its plots.
pub fn write(inputs: &[PathBuf], out: &Path) -> anyhow::Result<()> {
    let mut all: Vec<RunResult> = Vec::new();
    for p in inputs {
        let s = std::fs::read_to_string(p)?;
        all.extend(serde_json::from_str::<Vec<RunResult>>(&s)?);
    }
    // The newest result of each (target, workload, variant) wins.
    let mut latest: BTreeMap<(String, String, String), RunResult> = BTreeMap::new();
    for r in all {
        let k = (r.workload.clone(), r.variant.clone(), r.target.clone());
        if latest
            .get(&k)
            .is_none_or(|o| o.started_unix <= r.started_unix)
        {
            latest.insert(k, r);
        }
    }
    let rs: Vec<RunResult> = latest.into_values().collect();
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("benchmarks");
    let plot_dir = out.with_file_name(stem);
    std::fs::create_dir_all(&plot_dir)?;
    let mut md = String::new();
    let loads: Vec<f64> = rs.iter().map(|r| r.load_before).collect();
    let maxload = loads.iter().cloned().fold(0.0, f64::max);
    let _ = writeln!(
        md,
        "# Benchmarks\n\nWritten by `pigeon-bench report` from the JSON results of \
         `scripts/bench.sh` (rerun: `scripts/bench.sh`; one workload: `pigeon-bench run --target \
         pigeon --workload w2 --out r.json`). 2-core machine, loopback, server pinned to CPU 0 \
         and generator to CPU 1 (taskset). Highest 1-minute load average at the start of a run: \
         {maxload:.2}.\n\n\
         Latency is one way, sender to receiver, on one monotonic clock in the generator. \
         Pigeon's sends return after the server stored the message (WAL, synchronous=NORMAL) \
         and acked it; the floor and ejabberd sends are fire-and-forget (XMPP without XEP-0198), \
         so their \"in flight\" window counts messages sent but not yet delivered. Every run \
         checks each receiver for lost and duplicated messages (sequence numbers in bodies): \
         the \"clean\" column.\n"
    );
    md.push_str(&targets_section(&rs));
    for (w, title) in [
        ("w1", "W1 ping-pong (one C2C pair)"),
        ("w2", "W2 sustained C2C"),
        ("w3", "W3 group fan-out"),
        ("w4", "W4 history (Pigeon)"),
        ("w5", "W5 login storm"),
        ("w6", "W6 idle memory"),
    ] {
        let rows: Vec<&RunResult> = rs.iter().filter(|r| r.workload == w).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {title}\n");
        md.push_str(&table(w, &rows));
        md.push('\n');
        for (file, caption) in plots(w, &rows, &plot_dir)? {
            let _ = writeln!(md, "![{caption}]({stem}/{file})\n");
        }
    }
    std::fs::write(out, md)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// A run's metric `k`, if measured.
pub(crate) fn get(r: &RunResult, k: &str) -> Option<f64> {
    r.metrics.get(k).copied()
}

/// A figure with as many decimals as its size deserves ("–" when missing).
pub(crate) fn f(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn table(w: &str, rows: &[&RunResult]) -> String {
    let lat = |r: &RunResult, which: &str| {
        r.latency.as_ref().map(|l| match which {
            "p50" => l.p50,
            "p99" => l.p99,
            _ => l.p999,
        })
    };
    let comp = |r: &RunResult| r.completion.as_ref().map(|l| l.p99);
    type Col<'a> = (&'a str, Box<dyn Fn(&RunResult) -> Option<f64>>);
    let cols: Vec<Col> = match w {
        "w1" => vec![
            ("p50 ms", Box::new(move |r| lat(r, "p50"))),
            ("p99 ms", Box::new(move |r| lat(r, "p99"))),
            ("p99.9 ms", Box::new(move |r| lat(r, "p999"))),
            ("round trips/s", Box::new(|r| get(r, "round_trips_per_s"))),
            ("server CPU s", Box::new(|r| Some(r.server_cpu_s))),
        ],
        "w2" => vec![
            ("offered/s", Box::new(|r| get(r, "offered_per_s"))),
            ("msg/s", Box::new(|r| get(r, "msg_per_s"))),
            (
                "delivered per server CPU-s",
                Box::new(|r| get(r, "delivered_per_server_cpu_s")),
            ),
            ("p50 ms", Box::new(move |r| lat(r, "p50"))),
            ("p99 ms", Box::new(move |r| lat(r, "p99"))),
            ("server CPU s", Box::new(|r| Some(r.server_cpu_s))),
            ("generator CPU s", Box::new(|r| Some(r.gen_cpu_s))),
        ],
        "w3" => vec![
            ("deliveries/s", Box::new(|r| get(r, "deliveries_per_s"))),
            (
                "delivered per server CPU-s",
                Box::new(|r| get(r, "delivered_per_server_cpu_s")),
            ),
            ("p50 ms", Box::new(move |r| lat(r, "p50"))),
            ("p99 ms", Box::new(move |r| lat(r, "p99"))),
            ("last member p99 ms", Box::new(comp)),
            (
                "server RSS MiB",
                Box::new(|r| r.server_after.map(|p| p.rss_kib as f64 / 1024.0)),
            ),
        ],
        "w4" => vec![
            ("requests/s", Box::new(|r| get(r, "requests_per_s"))),
            ("p50 ms", Box::new(|r| get(r, "p50_ms"))),
            ("p99 ms", Box::new(|r| get(r, "p99_ms"))),
            ("resync ms", Box::new(|r| get(r, "resync_ms"))),
            ("server CPU s", Box::new(|r| Some(r.server_cpu_s))),
        ],
        "w5" => vec![
            ("all in, s", Box::new(|r| get(r, "all_in_s"))),
            ("logins/s", Box::new(|r| get(r, "logins_per_s"))),
            ("failures", Box::new(|r| Some(r.errors as f64))),
            (
                "server CPU ms/login",
                Box::new(|r| get(r, "server_cpu_ms_per_login")),
            ),
        ],
        _ => vec![
            ("connections", Box::new(|r| get(r, "connections"))),
            (
                "server RSS MiB",
                Box::new(|r| get(r, "rss_kib").map(|k| k / 1024.0)),
            ),
            ("KiB per connection", Box::new(|r| get(r, "kib_per_conn"))),
            ("failures", Box::new(|r| Some(r.errors as f64))),
        ],
    };
    let mut s = String::from("| variant | target |");
    for (name, _) in &cols {
        let _ = write!(s, " {name} |");
    }
    s.push_str(" clean (lost/dup) |\n|---|---|");
    for _ in &cols {
        s.push_str("---:|");
    }
    s.push_str("---|\n");
    for r in rows {
        let _ = write!(s, "| {} | {} |", r.variant, r.target);
        for (_, c) in &cols {
            let _ = write!(s, " {} |", f(c(r)));
        }
        let _ = writeln!(
            s,
            " {} ({}/{}){} |",
            if r.clean { "yes" } else { "**no**" },
            r.lost,
            r.duplicates,
            if r.notes.is_empty() {
                String::new()
            } else {
                format!(" — {}", r.notes.join("; "))
            }
        );
    }
    s
}

fn find<'a>(rs: &'a [RunResult], w: &str, v: &str, t: &str) -> Option<&'a RunResult> {
    rs.iter()
        .find(|r| r.workload == w && r.variant == v && r.target == t)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

fn targets_section(rs: &[RunResult]) -> String {
    let mut s =
        String::from("## Targets (issue 9)\n\n| target | measured | verdict |\n|---|---|---|\n");
    // W2: every closed-loop variant.
    let w2: Vec<&RunResult> = rs
        .iter()
        .filter(|r| r.workload == "w2" && r.target == "pigeon" && !r.variant.starts_with("rate"))
        .collect();
    for p in &w2 {
        let msg = get(p, "msg_per_s").unwrap_or(0.0);
        for (peer, want) in [
            ("floor", 0.5),
            ("ejabberd-sqlite", 30.0),
            ("ejabberd-nostore", 5.0),
        ] {
            if let Some(o) = find(rs, "w2", &p.variant, peer) {
                let om = get(o, "msg_per_s").unwrap_or(0.0);
                let ratio = msg / om.max(1e-9);
                let _ = writeln!(
                    s,
                    "| W2 {}: Pigeon ≥ {want}× {peer} msg/s | {msg:.0} vs {om:.0} = {ratio:.2}× | {} |",
                    p.variant,
                    verdict(ratio >= want)
                );
            }
        }
    }
    // W2 sweep: highest offered rate with p99 < 50 ms and no loss.
    for t in TARGETS {
        let best = rs
            .iter()
            .filter(|r| r.workload == "w2" && r.target == t && r.variant.starts_with("rate"))
            .filter(|r| r.clean && r.latency.as_ref().is_some_and(|l| l.p99 < 50.0))
            .filter_map(|r| get(r, "offered_per_s"))
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))));
        if rs.iter().any(|r| r.workload == "w2" && r.target == t) {
            let _ = writeln!(
                s,
                "| W2 sweep ({t}): highest rate with p99 < 50 ms | {} msg/s | (figure) |",
                f(best)
            );
        }
    }
    if let (Some(p), Some(fl)) = (
        find(rs, "w1", "pair", "pigeon"),
        find(rs, "w1", "pair", "floor"),
    ) {
        let (a, b) = (
            p.latency.as_ref().map_or(0.0, |l| l.p99),
            fl.latency.as_ref().map_or(0.0, |l| l.p99),
        );
        let _ = writeln!(
            s,
            "| W1 p99 ≤ 2× the floor's | {a:.2} ms vs {b:.2} ms = {:.1}× | {} |",
            a / b.max(1e-9),
            verdict(a <= 2.0 * b)
        );
    }
    for p in rs
        .iter()
        .filter(|r| r.workload == "w3" && r.target == "pigeon")
    {
        for peer in ["ejabberd-nostore", "ejabberd-sqlite"] {
            if let Some(o) = find(rs, "w3", &p.variant, peer) {
                let (a, b) = (
                    get(p, "deliveries_per_s").unwrap_or(0.0),
                    get(o, "deliveries_per_s").unwrap_or(0.0),
                );
                let (pa, pb) = (
                    p.latency.as_ref().map_or(f64::MAX, |l| l.p99),
                    o.latency.as_ref().map_or(0.0, |l| l.p99),
                );
                let _ = writeln!(
                    s,
                    "| W3 {}: ≥ 5× {peer} deliveries/s, lower p99 | {a:.0} vs {b:.0}/s = {:.1}×; p99 {pa:.1} vs {pb:.1} ms | {} |",
                    p.variant,
                    a / b.max(1e-9),
                    verdict(a >= 5.0 * b && pa < pb)
                );
            }
        }
    }
    for p in rs
        .iter()
        .filter(|r| r.workload == "w5" && r.target == "pigeon")
    {
        let t = get(p, "all_in_s").unwrap_or(f64::MAX);
        let _ = writeln!(
            s,
            "| W5 {}: all in under 2 s, no failure | {t:.2} s, {} failures | {} |",
            p.variant,
            p.errors,
            verdict(t < 2.0 && p.errors == 0)
        );
    }
    let w6: Vec<&RunResult> = rs
        .iter()
        .filter(|r| r.workload == "w6" && r.target == "pigeon")
        .collect();
    if !w6.is_empty() {
        let worst = w6
            .iter()
            .filter_map(|r| get(r, "kib_per_conn"))
            .fold(0.0, f64::max);
        let most = w6
            .iter()
            .filter_map(|r| get(r, "connections"))
            .fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "| W6 ≤ 16 KiB per idle connection | worst {worst:.1} KiB | {} |",
            verdict(worst <= 16.0)
        );
        let _ = writeln!(
            s,
            "| W6 ≥ 50,000 connections | {most:.0} | {} |",
            verdict(most >= 50_000.0)
        );
    }
    s.push('\n');
    s
}

fn color(t: &str) -> RGBColor {
    match t {
        "pigeon" => RGBColor(0x1f, 0x77, 0xb4),
        "floor" => RGBColor(0x2c, 0xa0, 0x2c),
        "ejabberd-nostore" => RGBColor(0xff, 0x7f, 0x0e),
        _ => RGBColor(0xd6, 0x27, 0x28),
    }
}

fn plots(w: &str, rows: &[&RunResult], dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    // Latency CDFs: one plot per variant that has latencies (rate sweeps excepted).
    let mut variants: Vec<&str> = rows
        .iter()
        .filter(|r| r.latency.as_ref().is_some_and(|l| l.n > 0) && !r.variant.starts_with("rate"))
        .map(|r| r.variant.as_str())
        .collect();
    variants.dedup();
    for v in variants {
        let series: Vec<(&str, Vec<(f64, f64)>)> = rows
            .iter()
            .filter(|r| r.variant == v)
            .filter_map(|r| Some((r.target.as_str(), r.latency.as_ref()?.cdf.clone())))
            .collect();
        let file = format!("{w}-{v}-cdf.svg");
        cdf_plot(
            &dir.join(&file),
            &format!("{w} {v}: one-way latency CDF"),
            &series,
        )?;
        out.push((file, format!("{w} {v} latency CDF")));
    }
    if w == "w2" {
        let mut series = Vec::new();
        for t in TARGETS {
            let mut pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.target == t && r.variant.starts_with("rate"))
                .filter_map(|r| Some((get(r, "offered_per_s")?, r.latency.as_ref()?.p99)))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            if !pts.is_empty() {
                series.push((t, pts));
            }
        }
        if !series.is_empty() {
            let file = "w2-rate-sweep.svg".to_owned();
            sweep_plot(&dir.join(&file), &series)?;
            out.push((file, "W2 rate sweep: p99 vs offered rate".into()));
        }
    }
    Ok(out)
}

fn cdf_plot(path: &Path, title: &str, series: &[(&str, Vec<(f64, f64)>)]) -> anyhow::Result<()> {
    let xmax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .fold(0.001, f64::max);
    let xmin = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .fold(f64::MAX, f64::min)
        .clamp(0.001, xmax / 10.0);
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((xmin..xmax * 1.1).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("latency, ms (log)")
        .y_desc("fraction ≤")
        .draw()?;
    for (t, pts) in series {
        let c = color(t);
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|&(x, y)| (x.max(xmin), y)),
                c.stroke_width(2),
            ))?
            .label(*t)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()?;
    Ok(())
}

fn sweep_plot(path: &Path, series: &[(&str, Vec<(f64, f64)>)]) -> anyhow::Result<()> {
    let xmax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .fold(1.0, f64::max);
    let ymax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.1))
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "W2 fixed-rate sweep: p99 one-way latency",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (500.0..xmax * 1.2).log_scale(),
            (0.05..ymax * 1.5).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("offered msg/s (log)")
        .y_desc("p99 ms (log)")
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(500.0, 50.0), (xmax * 1.2, 50.0)],
        BLACK.mix(0.4),
    ))?;
    for (t, pts) in series {
        let c = color(t);
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|&(x, y)| (x, y.max(0.05))),
                c.stroke_width(2),
            ))?
            .label(*t)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(
            pts.iter()
                .map(|&(x, y)| Circle::new((x, y.max(0.05)), 3, c.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
