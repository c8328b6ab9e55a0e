//! The client's log events (`tracing`) forwarded to a host language's logger: the bindings call
//! [`forward_logs`] so events reach Python's `logging.getLogger("rustlog")` and Node's
//! `logCreator`. A Rust program uses any `tracing` subscriber instead.

use crate::error::{Error, Result};
use parking_lot::RwLock;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// How severe an event is, most severe first (so `max_level` compares as "at least this").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LogLevel {
    fn of(level: &tracing::Level) -> LogLevel {
        match *level {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }

    /// Lower-case name, as the bindings' loggers spell it.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// One event: its level, where it came from (`rustlog::consumer`, `rustlog_broker::...`) and
/// its text, the message followed by its fields as `name=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub level: LogLevel,
    pub target: String,
    pub message: String,
}

type Sink = Arc<dyn Fn(LogEvent) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
/// The least severe level forwarded (a `LogLevel` as u8; 0 forwards nothing).
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// Sends every event at `max_level` or more severe to `sink`, from whichever thread logs it.
/// The first call makes this the process's `tracing` subscriber; later calls replace the sink
/// and level. Fails when another subscriber already owns the process (its events go there).
pub fn forward_logs(
    max_level: LogLevel,
    sink: impl Fn(LogEvent) + Send + Sync + 'static,
) -> Result<()> {
    *SINK.write() = Some(Arc::new(sink));
    MAX_LEVEL.store(max_level as u8, Ordering::Relaxed);
    let installed = INSTALLED.get_or_init(|| {
        let layer = Forward.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            LogLevel::of(meta.level()) as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
        }));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .map_err(|e| e.to_string())
    });
    if let Err(e) = installed {
        stop_forwarding_logs();
        return Err(Error::invalid(format!(
            "cannot forward logs: another tracing subscriber owns this process ({e})"
        )));
    }
    // tracing caches each call site's verdict: a site first hit at the old level is asked again.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// Changes the level `forward_logs` set, keeping its sink (`None`: forward nothing). Events
/// below the level are dropped by tracing before they are formatted; call sites are asked
/// again, so one first hit at the old level follows the new one.
pub fn set_max_level(level: Option<LogLevel>) {
    let new = level.map_or(0, |l| l as u8);
    if MAX_LEVEL.swap(new, Ordering::Relaxed) != new {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// The level forwarded now (`None`: nothing).
pub fn max_level() -> Option<LogLevel> {
    match MAX_LEVEL.load(Ordering::Relaxed) {
        1 => Some(LogLevel::Error),
        2 => Some(LogLevel::Warn),
        3 => Some(LogLevel::Info),
        4 => Some(LogLevel::Debug),
        5 => Some(LogLevel::Trace),
        _ => None,
    }
}

/// Stops forwarding (events are dropped until the next `forward_logs`).
pub fn stop_forwarding_logs() {
    MAX_LEVEL.store(0, Ordering::Relaxed);
    *SINK.write() = None;
    tracing::callsite::rebuild_interest_cache();
}

struct Forward;

impl<S: tracing::Subscriber> Layer<S> for Forward {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(sink) = SINK.read().clone() else {
            return;
        };
        let mut text = Text::default();
        event.record(&mut text);
        let meta = event.metadata();
        sink(LogEvent {
            level: LogLevel::of(meta.level()),
            target: meta.target().to_string(),
            message: text.finish(),
        });
    }
}

/// The message, then ` name=value` per other field.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(mut self) -> String {
        self.message.push_str(&self.fields);
        self.message
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_at_or_above_the_level_reach_the_sink_with_their_fields() {
        let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let into = seen.clone();
        // Other tests of this process log too: keep only this module's events.
        let ours = |e: &LogEvent| e.target.starts_with(module_path!());
        forward_logs(LogLevel::Info, move |e| {
            if ours(&e) {
                into.lock().push(e);
            }
        })
        .unwrap();
        let site = || tracing::debug!("hit first at info, wanted at debug");
        site();
        tracing::debug!("too detailed");
        tracing::warn!(group = "g", members = 2, "rebalancing");
        tracing::info!(topic = %"orders", "ready");
        let got = seen.lock().clone();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].level, LogLevel::Warn);
        assert_eq!(got[0].message, "rebalancing group=g members=2");
        assert_eq!(got[1].message, "ready topic=orders");
        assert!(got[1].target.starts_with("rustlog"), "{}", got[1].target);

        // A new level and sink replace the old; stopping drops events.
        let later = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let into = later.clone();
        forward_logs(LogLevel::Debug, move |e| {
            if ours(&e) {
                into.lock().push(e);
            }
        })
        .unwrap();
        tracing::debug!("now wanted");
        site();
        assert_eq!(max_level(), Some(LogLevel::Debug));

        // The level alone changes, the sink stays: a site hit at debug is off, then on again.
        set_max_level(Some(LogLevel::Warn));
        assert_eq!(max_level(), Some(LogLevel::Warn));
        site();
        assert_eq!(later.lock().len(), 2, "below the level: dropped");
        set_max_level(Some(LogLevel::Trace));
        site();
        assert_eq!(later.lock().len(), 3, "{:?}", later.lock());
        set_max_level(None);
        tracing::error!("forwarding nothing");
        assert_eq!(later.lock().len(), 3);
        set_max_level(Some(LogLevel::Debug));
        later.lock().truncate(2);
        stop_forwarding_logs();
        tracing::error!("after stop");
        assert_eq!(later.lock().len(), 2, "{:?}", later.lock());
        assert_eq!(seen.lock().len(), 2);
    }
}
