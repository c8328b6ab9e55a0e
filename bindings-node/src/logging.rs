//! The Rust client's log events (`tracing`, through `rustlog::log_bridge`) delivered to JS,
//! where `lib/logging.js` turns them into KafkaJS `logCreator` entries. The JS sink is a weak
//! threadsafe function: it never keeps the process alive.

use crate::errors::from_client;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;
use rustlog::log_bridge::{forward_logs, stop_forwarding_logs, LogEvent, LogLevel};

/// One event for JS: KafkaJS's level number (ERROR 1, WARN 2, INFO 4, DEBUG 5), where it came
/// from (`rustlog::consumer`) and its text (the message, then ` name=value` per field).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub level: u32,
    pub target: String,
    pub message: String,
}

/// The JS sink: called with one `LogRecord`, unref'd (`Weak`), its exceptions JS's own.
type LogSink = ThreadsafeFunction<LogRecord, (), LogRecord, Status, false, true>;

/// KafkaJS's level number of an event.
fn kafkajs_level(level: LogLevel) -> u32 {
    match level {
        LogLevel::Error => 1,
        LogLevel::Warn => 2,
        LogLevel::Info => 4,
        _ => 5,
    }
}

/// Sends the client's events at KafkaJS `level` or more severe (NOTHING 0, ERROR 1, WARN 2,
/// INFO 4, DEBUG 5) to `sink`, process-wide; a later call replaces sink and level, and 0 stops.
#[napi(ts_args_type = "level: number, sink: (record: LogRecord) => void")]
pub fn forward_logs_to(level: u32, sink: LogSink) -> napi::Result<()> {
    let max = match level {
        0 => {
            stop_forwarding_logs();
            return Ok(());
        }
        1 => LogLevel::Error,
        2 => LogLevel::Warn,
        3 | 4 => LogLevel::Info,
        _ => LogLevel::Debug,
    };
    forward_logs(max, move |event: LogEvent| {
        let record = LogRecord {
            level: kafkajs_level(event.level),
            target: event.target,
            message: event.message,
        };
        let _ = sink.call(record, ThreadsafeFunctionCallMode::NonBlocking);
    })
    .map_err(|e| from_client(&e))
}
