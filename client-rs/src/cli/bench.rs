//! `rustlog bench`: produce throughput, consume (catch-up) throughput, and end-to-end latency.
//!
//! - `produce`: `--producers` producers (each its own connection) send `--count` messages (or
//!   for `--duration-secs`) as fast as the buffer allows; latency is send → acknowledgement,
//!   sampled on one send in [`LATENCY_SAMPLE_EVERY`] (as Kafka's producer-perf-test samples) so
//!   the harness adds no clock read or channel message to most sends and the CPU figure is the
//!   client library's; acknowledged and failed counts come from the producer's totals.
//! - `consume`: one group consumer reads `--count` messages from the beginning of the topic
//!   (produce them first); latency is not measured.
//! - `e2e-latency`: one producer sends at `--rate` msg/s, a consumer of every partition
//!   receives; latency is send → receive (same process clock).
//!
//! Produce mode sends `--message-size` bytes of `x` (`--payload fixed`) or realistic ~300-byte
//! JSON events (`--payload json`: ids, timestamps and a few string fields vary), compressed
//! with `--compression`; its summary reports the compression ratio, uncompressed batch bytes
//! over bytes sent, next to msgs/s and MB/s (MB/s counts message values, uncompressed).
//!
//! Every mode also reports CPU time per message, user + system, which holds steady on a noisy
//! machine where msgs/s does not: the bench process's own (`CLOCK_PROCESS_CPUTIME_ID`) and the
//! broker's (its `process_cpu_seconds_total` metric, read before and after over the same
//! connection). Both cover the whole mode, set-up included; the broker's also counts whatever
//! else it served meanwhile, so run it alone.
//!
//! A progress bar runs on stderr; the summary goes to stdout (text, or JSON with `--json`).

use super::produce::DeliveryArgs;
use super::{Cli, CliError, CliResult};
use bytes::Bytes;
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rustlog::{
    Acks, AutoOffsetReset, ConsumerConfig, ErrorCode, ProducerConfig, ProducerStats, Record,
    StartOffset,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Largest latency the histograms track (longer ones are clamped).
const LATENCY_US_MAX: u64 = 60_000_000;

/// Produce mode times one send in this many.
pub const LATENCY_SAMPLE_EVERY: u64 = 16;

/// Produce mode adds to the shared progress counter once per this many sends (an atomic shared
/// with the progress task costs a cache-line transfer per add).
const PROGRESS_EVERY: u64 = 1024;
/// Progress bar refresh period.
const PROGRESS_TICK: Duration = Duration::from_millis(100);
/// Bytes at the start of an e2e message holding its send time.
const STAMP_BYTES: usize = 8;
/// Consume mode gives up when no message arrives for this long.
const CONSUME_IDLE: Duration = Duration::from_secs(5);
/// Distinct JSON events a producer cycles through: far more than one batch holds, so a batch
/// never compresses repeats of itself.
const JSON_EVENTS: usize = 8_192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Payload {
    /// `--message-size` bytes of `x` (compresses absurdly well: use it for raw speed only).
    Fixed,
    /// ~300-byte JSON events with varying ids, timestamps and string fields.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Produce,
    Consume,
    #[value(name = "e2e-latency")]
    E2eLatency,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Produce)]
    mode: Mode,
    /// Topic (created with `--partitions` if missing).
    #[arg(long, default_value = "rustlog-bench")]
    topic: String,
    /// Partitions of a topic the bench creates.
    #[arg(long, default_value_t = 4)]
    partitions: u32,
    /// Bytes per message value (`--payload fixed`).
    #[arg(long, default_value_t = 100)]
    message_size: usize,
    /// Message values in produce mode.
    #[arg(long, value_enum, default_value_t = Payload::Fixed)]
    payload: Payload,
    /// Messages in total (ignored with --duration-secs).
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Run for this long instead of a fixed count (produce and e2e-latency).
    #[arg(long)]
    duration_secs: Option<u64>,
    /// Concurrent producers (produce mode).
    #[arg(long, default_value_t = 1)]
    producers: u32,
    /// Producer linger.
    #[arg(long, default_value_t = 5)]
    linger_ms: u64,
    /// Producer batch size.
    #[arg(long, default_value_t = rustlog::config::DEFAULT_BATCH_BYTES)]
    batch_bytes: usize,
    /// Produce requests in flight per producer.
    #[arg(long, default_value_t = rustlog::config::DEFAULT_MAX_IN_FLIGHT_REQUESTS)]
    max_in_flight: usize,
    /// none, leader or durable.
    #[arg(long, default_value = "leader")]
    acks: Acks,
    #[command(flatten)]
    delivery: DeliveryArgs,
    /// Bytes per partition per fetch (consume mode).
    #[arg(long, default_value_t = rustlog::config::DEFAULT_PARTITION_FETCH_BYTES)]
    partition_fetch_bytes: u32,
    /// Target send rate in messages per second (e2e-latency).
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// The bench result.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub mode: String,
    pub messages: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub msgs_per_sec: f64,
    pub mb_per_sec: f64,
    pub producers: u32,
    pub acks: String,
    pub latency_us: Option<Latency>,
    pub errors: u64,
    /// Codec and idempotence of the producers (produce and e2e-latency).
    pub compression: String,
    pub idempotence: bool,
    /// Uncompressed batch bytes over bytes sent, over every acknowledged batch (produce).
    pub compression_ratio: Option<f64>,
    /// Acknowledged batch bytes before compression and as sent (produce).
    pub uncompressed_bytes: Option<u64>,
    pub sent_bytes: Option<u64>,
    /// CPU time (user + system) of this process per message, in nanoseconds.
    pub client_cpu_ns_per_msg: Option<f64>,
    /// The broker's CPU time per message, from its `process_cpu_seconds_total` (None when the
    /// broker does not report it).
    pub broker_cpu_ns_per_msg: Option<f64>,
}

#[derive(Debug, serde::Serialize)]
pub struct Latency {
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

fn histogram() -> CliResult<Histogram<u64>> {
    Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
        .map_err(|e| CliError::Usage(format!("cannot create histogram: {e}")))
}

fn latency(h: &Histogram<u64>) -> Option<Latency> {
    (!h.is_empty()).then(|| Latency {
        p50: h.value_at_quantile(0.50),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
        mean: h.mean(),
    })
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, LATENCY_US_MAX)
}

fn progress(args: &BenchArgs, total: Option<u64>) -> ProgressBar {
    if args.quiet {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} msgs ({per_sec})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Updates the bar from a shared counter until `stop`.
fn tick(
    bar: ProgressBar,
    counter: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            bar.set_position(counter.load(Ordering::Relaxed));
            tokio::time::sleep(PROGRESS_TICK).await;
        }
        bar.set_position(counter.load(Ordering::Relaxed));
        bar.finish_and_clear();
    })
}

async fn ensure_topic(client: &rustlog::Client, args: &BenchArgs) -> CliResult {
    match client.partition_count(&args.topic).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorCode::TopicNotFound => {
            let created = client
                .admin()
                .create_topic(&args.topic, args.partitions, Default::default())
                .await;
            match created {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == ErrorCode::TopicAlreadyExists => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn validate(args: &BenchArgs) -> CliResult {
    if args.producers == 0 {
        return Err(CliError::Usage("--producers must be at least 1".into()));
    }
    if args.mode == Mode::E2eLatency && args.message_size < STAMP_BYTES {
        return Err(CliError::Usage(format!(
            "--message-size must be at least {STAMP_BYTES} in e2e-latency mode"
        )));
    }
    if args.mode == Mode::E2eLatency && args.rate == 0 {
        return Err(CliError::Usage("--rate must be above zero".into()));
    }
    if args.count == 0 && args.duration_secs.is_none() {
        return Err(CliError::Usage("--count must be above zero".into()));
    }
    if args.mode == Mode::E2eLatency && args.payload == Payload::Json {
        return Err(CliError::Usage(
            "--payload json is for produce mode (e2e-latency stamps the send time into values)"
                .into(),
        ));
    }
    producer_config(args).map(drop)
}

pub async fn run(cli: &Cli, args: &BenchArgs) -> CliResult {
    validate(args)?;
    let client = cli.connect().await?;
    ensure_topic(&client, args).await?;
    let before = CpuTimes::read(&client).await;
    let mut summary = match args.mode {
        Mode::Produce => produce(&client, args).await?,
        Mode::Consume => consume(&client, args).await?,
        Mode::E2eLatency => e2e(&client, args).await?,
    };
    let after = CpuTimes::read(&client).await;
    summary.client_cpu_ns_per_msg = per_message(before.client, after.client, summary.messages);
    summary.broker_cpu_ns_per_msg = before
        .broker
        .zip(after.broker)
        .and_then(|(b, a)| per_message(b, a, summary.messages));
    print_summary(&summary, args.json)
}

/// CPU seconds used so far by this process and by the broker.
struct CpuTimes {
    client: f64,
    broker: Option<f64>,
}

impl CpuTimes {
    async fn read(client: &rustlog::Client) -> CpuTimes {
        let broker = match client.admin().metrics().await {
            Ok(text) => broker_cpu_seconds(&text),
            Err(_) => None,
        };
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        CpuTimes {
            client: now.tv_sec as f64 + now.tv_nsec as f64 / 1e9,
            broker,
        }
    }
}

/// The `process_cpu_seconds_total` sample of a metrics text.
fn broker_cpu_seconds(metrics_text: &str) -> Option<f64> {
    metrics_text.lines().find_map(|line| {
        let value = line.strip_prefix("process_cpu_seconds_total ")?;
        value.trim().parse().ok()
    })
}

/// Nanoseconds per message between two CPU readings in seconds (None without messages).
fn per_message(before_seconds: f64, after_seconds: f64, messages: u64) -> Option<f64> {
    (messages > 0).then(|| (after_seconds - before_seconds).max(0.0) * 1e9 / messages as f64)
}

fn producer_config(args: &BenchArgs) -> CliResult<ProducerConfig> {
    args.delivery.apply(
        ProducerConfig::default()
            .linger_ms(args.linger_ms)
            .batch_bytes(args.batch_bytes)
            .acks(args.acks)
            .max_in_flight_requests(args.max_in_flight),
    )
}

/// Realistic web-analytics events of about 300 bytes: what varies in real logs (ids, times,
/// pages, agents) varies here, so codecs find the redundancy they would find in production.
/// Timestamps start at `start_ms`, so a seed and a start give the same events every time.
pub fn json_events(count: usize, seed: u64, start_ms: i64) -> Vec<Bytes> {
    const TYPES: &[&str] = &["page_view", "click", "add_to_cart", "search", "checkout"];
    const SECTIONS: &[&str] = &[
        "electronics",
        "books",
        "garden",
        "toys",
        "fashion",
        "sports",
    ];
    const COUNTRIES: &[&str] = &["DE", "US", "FR", "BR", "IN", "JP", "GB", "NL"];
    const DEVICES: &[&str] = &["mobile", "desktop", "tablet"];
    const BROWSERS: &[&str] = &[
        "Firefox 132.0",
        "Chrome 131.0.6778",
        "Safari 18.1",
        "Edge 131.0",
    ];
    const REFERRERS: &[&str] = &[
        "https://www.google.com/search?q=wireless+headphones",
        "https://news.ycombinator.com/",
        "https://www.example.com/newsletter/2026-11",
        "",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut ts = start_ms;
    let pick =
        |rng: &mut rand::rngs::StdRng, from: &[&'static str]| from[rng.gen_range(0..from.len())];
    (0..count)
        .map(|_| {
            ts += rng.gen_range(0..40);
            let event = format!(
                concat!(
                    r#"{{"event_id":"{:016x}","ts":{},"type":"{}","user_id":"user-{:06}","#,
                    r#""session_id":"s-{:08x}","page":"/products/{}/{}","referrer":"{}","#,
                    r#""country":"{}","device":"{}","browser":"{}","duration_ms":{},"#,
                    r#""items":{},"price_cents":{}}}"#
                ),
                rng.gen::<u64>(),
                ts,
                pick(&mut rng, TYPES),
                rng.gen_range(0..250_000),
                rng.gen::<u32>(),
                pick(&mut rng, SECTIONS),
                rng.gen_range(1_000..100_000),
                pick(&mut rng, REFERRERS),
                pick(&mut rng, COUNTRIES),
                pick(&mut rng, DEVICES),
                pick(&mut rng, BROWSERS),
                rng.gen_range(5..30_000),
                rng.gen_range(0..12),
                rng.gen_range(99..250_000),
            );
            Bytes::from(event)
        })
        .collect()
}

/// The values one producer cycles through.
fn payloads(args: &BenchArgs, producer_index: u32) -> Vec<Bytes> {
    match args.payload {
        // Static, so cloning it per send is no reference count: the harness's own cost stays
        // out of the client's CPU per message. One value per run, leaked on purpose.
        Payload::Fixed => vec![Bytes::from_static(vec![b'x'; args.message_size].leak())],
        Payload::Json => json_events(
            JSON_EVENTS,
            u64::from(producer_index),
            i64::try_from(rustlog_now_ms()).unwrap_or(0),
        ),
    }
}

fn summary(
    args: &BenchArgs,
    messages: u64,
    elapsed: Duration,
    h: &Histogram<u64>,
    errors: u64,
) -> Summary {
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let bytes = messages.saturating_mul(args.message_size as u64);
    let idempotence = !args.delivery.no_idempotence && args.acks != Acks::None;
    Summary {
        mode: match args.mode {
            Mode::Produce => "produce",
            Mode::Consume => "consume",
            Mode::E2eLatency => "e2e-latency",
        }
        .to_string(),
        messages,
        bytes,
        seconds,
        msgs_per_sec: messages as f64 / seconds,
        mb_per_sec: bytes as f64 / seconds / 1_000_000.0,
        producers: args.producers,
        acks: format!("{:?}", args.acks).to_lowercase(),
        latency_us: latency(h),
        errors,
        compression: args.delivery.compression.to_string(),
        idempotence,
        compression_ratio: None,
        uncompressed_bytes: None,
        sent_bytes: None,
        client_cpu_ns_per_msg: None,
        broker_cpu_ns_per_msg: None,
    }
}

/// Adds what the producers' acknowledged batches weighed, and the bytes of values sent.
fn with_batch_totals(mut s: Summary, stats: ProducerStats, value_bytes: u64) -> Summary {
    s.bytes = value_bytes;
    s.mb_per_sec = value_bytes as f64 / s.seconds / 1_000_000.0;
    s.compression_ratio = (stats.sent_bytes > 0).then(|| stats.compression_ratio());
    s.uncompressed_bytes = Some(stats.uncompressed_bytes);
    s.sent_bytes = Some(stats.sent_bytes);
    s
}

async fn produce(client: &rustlog::Client, args: &BenchArgs) -> CliResult<Summary> {
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let total = args.duration_secs.is_none().then_some(args.count);
    let ticker = tick(progress(args, total), sent.clone(), stop.clone());
    let end = args
        .duration_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..args.producers {
        let producer = client.producer(producer_config(args)?)?;
        let share = args.count / u64::from(args.producers)
            + u64::from(u64::from(index) < args.count % u64::from(args.producers));
        let topic: std::sync::Arc<str> = args.topic.as_str().into();
        let values = payloads(args, index);
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = histogram()?;
            let (tx, mut rx) =
                tokio::sync::mpsc::channel::<(Instant, rustlog::DeliveryHandle)>(65_536);
            // Sampled acknowledgements are awaited in send order by a second task, so sending
            // never waits for them (only for buffer space).
            let collector = tokio::spawn(async move {
                let mut h = histogram()?;
                while let Some((at, handle)) = rx.recv().await {
                    let outcome = match handle.try_result() {
                        Some(outcome) => outcome,
                        None => handle.wait().await,
                    };
                    if outcome.is_ok() {
                        let _ = h.record(micros(at.elapsed()));
                    }
                }
                Ok::<_, CliError>(h)
            });
            let mut n = 0u64;
            let mut value_bytes = 0u64;
            let mut next_value = values.iter().cycle();
            loop {
                match end {
                    Some(end) if n.is_multiple_of(1024) && Instant::now() >= end => break,
                    None if n >= share => break,
                    _ => {}
                }
                let Some(value) = next_value.next() else {
                    break;
                };
                let record = Record::new(topic.clone()).value(value.clone());
                let at = n.is_multiple_of(LATENCY_SAMPLE_EVERY).then(Instant::now);
                let handle = producer.send(record).await?;
                if let Some(at) = at {
                    if tx.send((at, handle)).await.is_err() {
                        break;
                    }
                }
                n += 1;
                value_bytes += value.len() as u64;
                if n.is_multiple_of(PROGRESS_EVERY) {
                    sent.fetch_add(PROGRESS_EVERY, Ordering::Relaxed);
                }
            }
            sent.fetch_add(n % PROGRESS_EVERY, Ordering::Relaxed);
            drop(tx);
            producer.flush(Duration::from_secs(120)).await?;
            let collected = collector
                .await
                .map_err(|e| CliError::Usage(format!("collector failed: {e}")))??;
            let _ = h.add(&collected);
            producer.close(Duration::from_secs(10)).await?;
            let stats = producer.stats();
            // Every queued record was acknowledged (counted in the totals) or failed.
            let acked = stats.records;
            let errors = n.saturating_sub(acked);
            let totals = ProducerTotals {
                acked,
                errors,
                value_bytes,
                stats,
            };
            Ok::<_, CliError>((h, totals))
        }));
    }
    let mut h = histogram()?;
    let mut all = ProducerTotals::default();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok((th, totals))) => {
                let _ = h.add(&th);
                all.add(&totals);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(CliError::Usage(format!("producer task failed: {e}")));
            }
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    if let Some(e) = first_error {
        return Err(e);
    }
    let s = summary(args, all.acked, elapsed, &h, all.errors);
    // Values of failed sends are counted too; on a clean run (errors 0) that is exact.
    Ok(with_batch_totals(s, all.stats, all.value_bytes))
}

/// What one producer task of produce mode reports.
#[derive(Debug, Default)]
struct ProducerTotals {
    acked: u64,
    errors: u64,
    value_bytes: u64,
    stats: ProducerStats,
}

impl ProducerTotals {
    fn add(&mut self, other: &ProducerTotals) {
        self.acked += other.acked;
        self.errors += other.errors;
        self.value_bytes += other.value_bytes;
        self.stats.batches += other.stats.batches;
        self.stats.records += other.stats.records;
        self.stats.uncompressed_bytes += other.stats.uncompressed_bytes;
        self.stats.sent_bytes += other.stats.sent_bytes;
    }
}

async fn consume(client: &rustlog::Client, args: &BenchArgs) -> CliResult<Summary> {
    let group = format!("rustlog-bench-{}-{}", std::process::id(), rustlog_now_ms());
    let consumer = client.consumer(
        ConsumerConfig::new(group)
            .topic(args.topic.clone())
            .auto_offset_reset(AutoOffsetReset::Earliest)
            .partition_fetch_bytes(args.partition_fetch_bytes),
    )?;
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = tick(
        progress(args, Some(args.count)),
        received.clone(),
        stop.clone(),
    );
    // Join first so group setup is not counted.
    let mut n = 0u64;
    let mut bytes = 0u64;
    let mut first = consumer.poll_batch(10_000, Duration::from_secs(10)).await?;
    let started = Instant::now();
    let mut last = Instant::now();
    loop {
        for m in &first {
            bytes += m.value.as_ref().map_or(0, |v| v.len() as u64);
        }
        n += first.len() as u64;
        received.store(n, Ordering::Relaxed);
        if n >= args.count {
            break;
        }
        if !first.is_empty() {
            last = Instant::now();
        } else if last.elapsed() >= CONSUME_IDLE {
            break;
        }
        first = consumer
            .poll_batch(100_000, Duration::from_millis(500))
            .await?;
    }
    let elapsed = if n >= args.count {
        started.elapsed()
    } else {
        last - started
    };
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    let _ = consumer.close().await;
    let mut s = summary(args, n, elapsed, &histogram()?, 0);
    s.bytes = bytes;
    s.mb_per_sec = bytes as f64 / s.seconds / 1_000_000.0;
    Ok(s)
}

fn rustlog_now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

async fn e2e(client: &rustlog::Client, args: &BenchArgs) -> CliResult<Summary> {
    let partitions = client.partition_count(&args.topic).await?;
    let origin = Instant::now();
    let total = match args.duration_secs {
        Some(s) => args.rate.saturating_mul(s),
        None => args.count,
    };
    // Readers start at the end of every partition before anything is sent.
    let received = Arc::new(AtomicU64::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let mut readers = Vec::new();
    for partition in 0..partitions {
        let reader =
            client.partition_consumer(args.topic.clone(), partition, StartOffset::Latest)?;
        reader.position().await;
        // Resolve the start offset now.
        let _ = reader.poll_batch(1, Duration::ZERO).await?;
        let tx = tx.clone();
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            loop {
                let Ok(batch) = reader.poll_batch(10_000, Duration::from_millis(200)).await else {
                    return;
                };
                let now = origin.elapsed();
                for m in batch {
                    let Some(v) = m.value.as_ref() else { continue };
                    let Some(stamp) = v.get(..STAMP_BYTES) else {
                        continue;
                    };
                    let mut raw = [0u8; STAMP_BYTES];
                    raw.copy_from_slice(stamp);
                    let sent = Duration::from_nanos(u64::from_be_bytes(raw));
                    received.fetch_add(1, Ordering::Relaxed);
                    if tx.send(micros(now.saturating_sub(sent))).is_err() {
                        return;
                    }
                }
            }
        }));
    }
    drop(tx);
    let producer = client.producer(producer_config(args)?)?;
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = tick(progress(args, Some(total)), received.clone(), stop.clone());
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let mut h = histogram()?;
    let mut errors = 0u64;
    let mut handles = Vec::new();
    for i in 0..total {
        let due = started + interval.mul_f64(i as f64);
        if due > Instant::now() {
            tokio::time::sleep_until(due).await;
        }
        let mut value = vec![b'x'; args.message_size];
        let stamp = u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        value[..STAMP_BYTES].copy_from_slice(&stamp.to_be_bytes());
        handles.push(
            producer
                .send(Record::new(args.topic.clone()).value(value))
                .await?,
        );
        while let Ok(us) = rx.try_recv() {
            let _ = h.record(us);
        }
    }
    producer.flush(Duration::from_secs(60)).await?;
    for handle in handles {
        if handle.await.is_err() {
            errors += 1;
        }
    }
    let wait_until = Instant::now() + Duration::from_secs(10);
    while h.len() < total - errors && Instant::now() < wait_until {
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(us)) => {
                let _ = h.record(us);
            }
            Ok(None) => break,
            Err(_) => {}
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = ticker.await;
    for reader in readers {
        reader.abort();
    }
    let _ = producer.close(Duration::from_secs(5)).await;
    Ok(summary(args, h.len(), elapsed, &h, errors))
}

fn print_summary(s: &Summary, json: bool) -> CliResult {
    if json {
        let text = serde_json::to_string_pretty(s)
            .map_err(|e| CliError::Usage(format!("cannot encode the summary: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    let ratio = s
        .compression_ratio
        .map_or_else(String::new, |r| format!(", compression ratio {r:.2}"));
    // Consumers read whatever was produced: the producer settings do not describe the run.
    let producing = if s.mode == "consume" {
        String::new()
    } else {
        let idempotence = if s.idempotence { "on" } else { "off" };
        format!(
            ", producers {}, acks {}, compression {}, idempotence {idempotence}",
            s.producers, s.acks, s.compression
        )
    };
    println!(
        "{}: {} msgs in {:.2} s = {:.0} msgs/s, {:.1} MB/s{ratio} (errors {}{producing})",
        s.mode, s.messages, s.seconds, s.msgs_per_sec, s.mb_per_sec, s.errors
    );
    if let Some(l) = &s.latency_us {
        println!(
            "latency us: p50 {}  p99 {}  p99.9 {}  max {}  mean {:.0}",
            l.p50, l.p99, l.p999, l.max, l.mean
        );
    }
    let ns = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}"));
    println!(
        "cpu ns/msg: client {}  broker {}",
        ns(s.client_cpu_ns_per_msg),
        ns(s.broker_cpu_ns_per_msg)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_events_are_about_300_bytes_valid_and_distinct() {
        let events = json_events(1_000, 7, 1_796_000_000_000);
        let mean = events.iter().map(Bytes::len).sum::<usize>() / events.len();
        assert!((250..=380).contains(&mean), "mean {mean} bytes");
        for e in &events {
            let v: serde_json::Value = serde_json::from_slice(e).unwrap();
            assert!(v["event_id"].is_string() && v["ts"].is_i64());
        }
        let distinct: std::collections::HashSet<&Bytes> = events.iter().collect();
        assert_eq!(distinct.len(), events.len());
        // The same seed and start time give the same events (the start was read from the clock
        // inside, so two calls a millisecond apart differed).
        let start_ms = 1_796_000_000_000;
        assert_eq!(
            json_events(3, 7, start_ms),
            json_events(3, 7, start_ms),
            "seeded: runs compare"
        );
    }

    #[test]
    fn the_broker_cpu_sample_is_read_from_the_metrics_text_and_a_missing_one_is_none() {
        let text = "# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total 1.25\n# EOF\n";
        assert_eq!(broker_cpu_seconds(text), Some(1.25));
        assert_eq!(broker_cpu_seconds("# EOF\n"), None);
        assert_eq!(broker_cpu_seconds("process_cpu_seconds_total x\n"), None);
        assert_eq!(per_message(1.0, 1.5, 1_000_000), Some(500.0));
        assert_eq!(per_message(1.0, 1.5, 0), None);
    }
}
