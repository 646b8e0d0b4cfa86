//! `roster import`: a source file into this instance's database, with a progress bar on a
//! terminal (a plain line every few seconds otherwise), a JSONL report of the refused and
//! skipped rows next to the input, and a summary at the end.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use roster_domain::imports::ImportOptions;
use roster_http::imports::{ImportSummary, RowOutcome, RowResult, Source, records};

use crate::Config;

pub struct ImportArgs {
    pub file: PathBuf,
    pub source: Source,
    pub dry_run: bool,
    pub events: bool,
    /// Where the report goes [default: beside the input, `<file>.report.jsonl`].
    pub report: Option<PathBuf>,
}

/// How often a run that is not on a terminal prints its progress.
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub async fn import(config: &Config, args: ImportArgs) -> anyhow::Result<ImportSummary> {
    let input =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let total_bytes = input.metadata().map(|m| m.len()).unwrap_or(0);
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| report_beside(&args.file));
    let mut report = BufWriter::new(
        File::create(&report_path)
            .with_context(|| format!("creating the report {}", report_path.display()))?,
    );
    let (store, services) = crate::open_services(config).await?;
    let options = ImportOptions {
        dry_run: args.dry_run,
        announce: args.events,
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let progress = Progress::new(total_bytes, bytes_read.clone());
    let mut report_error = None;
    let counted = CountingReader {
        inner: input,
        read: bytes_read,
    };
    let rows = records(args.source, BufReader::with_capacity(1 << 20, counted));
    let summary = roster_http::imports::run(&services, rows, options, |row, summary| {
        if !matches!(
            row.outcome,
            RowOutcome::Imported { .. } | RowOutcome::Checked
        ) && report_error.is_none()
            && let Err(error) = write_row(&mut report, row)
        {
            report_error = Some(error);
        }
        progress.update(summary);
    })
    .await;
    progress.finish();
    report.flush()?;
    store.close().await;
    if let Some(error) = report_error {
        return Err(error).context("writing the report");
    }
    eprintln!("{}", summary_text(&summary, args.dry_run, &report_path));
    Ok(summary)
}

fn report_beside(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(".report.jsonl");
    file.with_file_name(name)
}

fn write_row(report: &mut impl Write, row: &RowResult) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *report, row)?;
    report.write_all(b"\n")?;
    Ok(())
}

fn summary_text(summary: &ImportSummary, dry_run: bool, report: &Path) -> String {
    let seconds = summary.elapsed.as_secs_f64().max(0.001);
    let mut text = if dry_run {
        format!(
            "dry run: {} rows checked, {} would be skipped, {} refused",
            summary.checked, summary.skipped, summary.refused
        )
    } else {
        format!(
            "imported {}, skipped {}, refused {}",
            summary.imported, summary.skipped, summary.refused
        )
    };
    text.push_str(&format!(
        " in {seconds:.1} s ({:.0} rows/s)",
        summary.rows() as f64 / seconds
    ));
    for (code, count) in &summary.refused_by_code {
        text.push_str(&format!("\n  refused: {count} × {code}"));
    }
    if summary.refused + summary.skipped > 0 {
        text.push_str(&format!("\nreport: {}", report.display()));
    }
    text
}

/// The input file, counting what the reader has taken, for the bar's position and ETA.
struct CountingReader {
    inner: File,
    read: Arc<AtomicU64>,
}

impl std::io::Read for CountingReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.read.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }
}

/// A bar over the file's bytes on a terminal (rows/s, refused so far, ETA); otherwise a
/// line every few seconds, so logs stay readable.
enum Progress {
    Bar {
        bar: ProgressBar,
        bytes_read: Arc<AtomicU64>,
    },
    Plain {
        last: std::cell::Cell<Instant>,
    },
}

impl Progress {
    fn new(total_bytes: u64, bytes_read: Arc<AtomicU64>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress::Plain {
                last: std::cell::Cell::new(Instant::now()),
            };
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {percent:>3}% {elapsed_precise} {msg}, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress::Bar { bar, bytes_read }
    }

    fn update(&self, summary: &ImportSummary) {
        let seconds = summary.elapsed.as_secs_f64().max(0.001);
        match self {
            Progress::Bar { bar, bytes_read } => {
                bar.set_position(bytes_read.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{} rows ({:.0}/s), {} refused",
                    summary.rows(),
                    summary.rows() as f64 / seconds,
                    summary.refused
                ));
            }
            Progress::Plain { last } => {
                if last.get().elapsed() >= PLAIN_PROGRESS_EVERY {
                    last.set(Instant::now());
                    eprintln!(
                        "{} rows ({:.0}/s), {} refused, after {seconds:.0} s",
                        summary.rows(),
                        summary.rows() as f64 / seconds,
                        summary.refused,
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Progress::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}
