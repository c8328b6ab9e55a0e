//! The one table of client options. Each row names an option in Rust and Python (snake_case,
//! the unit last) and in Node (KafkaJS's camelCase where KafkaJS has the setting), says which
//! objects take it and what it holds. Defaults are not written here: [`Settings::get`] reads
//! them from the config types' `Default`, so the table, the bindings and the docs cannot
//! disagree with the client.
//!
//! The bindings set options by name through [`Settings::set`] and list none themselves; the
//! Python stubs, Node's `index.d.ts` and the READMEs' option tables are rendered from [`OPTIONS`]
//! and a test (`tests/tests/options_table.rs`) fails when a checked-in copy differs.

use crate::config::{
    Acks, Assignor, AutoOffsetReset, ClientConfig, ConsumerConfig, ProducerConfig,
    DEFAULT_BROKER_ADDR,
};
use crate::error::{Error, Result};
use rustlog_protocol::Compression;
use std::time::Duration;

/// Which objects take an option. Client options go to every producer, consumer and admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The connection: every object takes these.
    Client,
    /// Producers only.
    Producer,
    /// Consumers only.
    Consumer,
}

impl Scope {
    /// The scope's name in rendered docs (`client`, `producer`, `consumer`).
    pub const fn name(self) -> &'static str {
        match self {
            Scope::Client => "client",
            Scope::Producer => "producer",
            Scope::Consumer => "consumer",
        }
    }
}

/// What an option holds; the bindings convert their native values by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` / `false`.
    Bool,
    /// A non-negative whole number (milliseconds, bytes or a count: the name says which).
    Uint,
    /// A whole number that may be absent (`None` keeps the default, e.g. a codec's level).
    OptionalInt,
    /// Free text.
    Text,
    /// One of the listed names; numbers where Kafka has them (acks `-1`, codec ids) also parse.
    Choice(&'static [&'static str]),
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// Rust field-style and Python keyword name, e.g. `linger_ms`.
    pub name: &'static str,
    /// The Node name (KafkaJS's where it has one); `None` where Node takes the setting
    /// elsewhere (e.g. `fromBeginning` on `subscribe` for `auto_offset_reset`).
    pub node: Option<&'static str>,
    /// Which objects take it.
    pub scope: Scope,
    /// What it holds.
    pub kind: Kind,
    /// One line for stubs and READMEs.
    pub doc: &'static str,
    /// Node's own default where its API asks for another: KafkaJS's `send` resolves once the
    /// records are acknowledged and its users await each one, so Node's producer does not
    /// linger (`lingerMs` 0). `None`: the client's default, as everywhere else.
    pub node_default: Option<i64>,
}

/// A value given by a binding, before it is checked against the option's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// A boolean.
    Bool(bool),
    /// A whole number (range-checked per option).
    Int(i64),
    /// Text.
    Text(String),
    /// Explicitly absent: the option's default (`None` from Python, `null` from JS).
    Unset,
}

const ACKS: &[&str] = &["none", "leader", "durable"];
const OFFSET_RESET: &[&str] = &["earliest", "latest", "none"];
const CODECS: &[&str] = &["none", "gzip", "snappy", "lz4", "zstd"];
const ASSIGNORS: &[&str] = &["range", "roundrobin"];

/// Every option: the table the bindings, stubs, `.d.ts` and READMEs read.
#[rustfmt::skip]
pub const OPTIONS: &[OptionSpec] = &[
    row("client_id", Some("clientId"), Scope::Client, Kind::Text,
        "Sent to the broker, shown in its logs and group descriptions."),
    row("request_timeout_ms", Some("requestTimeout"), Scope::Client, Kind::Uint,
        "How long one request may wait for its response."),
    row("connect_timeout_ms", Some("connectionTimeout"), Scope::Client, Kind::Uint,
        "How long opening a connection may take, reconnect attempts included."),
    row("reconnect_backoff_ms", None, Scope::Client, Kind::Uint,
        "First reconnect delay; doubles per failed attempt (with jitter)."),
    row("reconnect_backoff_max_ms", None, Scope::Client, Kind::Uint,
        "Largest reconnect delay."),
    row("max_in_flight_per_connection", None, Scope::Client, Kind::Uint,
        "Most requests awaiting a response on one connection."),
    row("metadata_max_age_ms", Some("metadataMaxAge"), Scope::Client, Kind::Uint,
        "How often cached partition counts are looked up again (Kafka's metadata.max.age.ms)."),
    node_default(row("linger_ms", Some("lingerMs"), Scope::Producer, Kind::Uint,
        "How long a batch waits for more records before it is sent."), 0),
    row("batch_bytes", Some("batchBytesMax"), Scope::Producer, Kind::Uint,
        "A batch is sent once it holds this many (uncompressed) bytes."),
    row("acks", Some("acks"), Scope::Producer, Kind::Choice(ACKS),
        "When the broker acknowledges: none, leader (appended) or durable (fsynced; also all, -1)."),
    row("max_in_flight_requests", Some("maxInFlightRequests"), Scope::Producer, Kind::Uint,
        "Produce requests in flight at once."),
    row("buffer_bytes_max", Some("bufferBytesMax"), Scope::Producer, Kind::Uint,
        "Bytes the producer may buffer; send waits beyond it."),
    row("delivery_timeout_ms", Some("deliveryTimeoutMs"), Scope::Producer, Kind::Uint,
        "Time a record may take from send to acknowledgement, retries included."),
    row("retry_backoff_ms", Some("retryBackoffMs"), Scope::Producer, Kind::Uint,
        "Pause before a batch that failed with a retriable error is sent again."),
    row("compression", Some("compression"), Scope::Producer, Kind::Choice(CODECS),
        "Codec of every batch (Kafka's compression.type; codec ids 0-4 also parse)."),
    row("compression_level", Some("compressionLevel"), Scope::Producer, Kind::OptionalInt,
        "Codec level: gzip 0..9, zstd -7..22; unset takes the codec's default."),
    row("idempotence", Some("idempotent"), Scope::Producer, Kind::Bool,
        "Batches carry a producer id and sequences, so a retried batch is stored once."),
    row("auto_offset_reset", None, Scope::Consumer, Kind::Choice(OFFSET_RESET),
        "Where a partition without a committed offset starts."),
    row("enable_auto_commit", None, Scope::Consumer, Kind::Bool,
        "Commit returned messages' positions periodically, before a rebalance and on close."),
    row("auto_commit_interval_ms", None, Scope::Consumer, Kind::Uint,
        "Auto-commit period."),
    row("session_timeout_ms", Some("sessionTimeout"), Scope::Consumer, Kind::Uint,
        "The broker drops a member after this long without a heartbeat."),
    row("rebalance_timeout_ms", Some("rebalanceTimeout"), Scope::Consumer, Kind::Uint,
        "How long a rebalance waits for members to rejoin."),
    row("max_poll_interval_ms", Some("maxPollIntervalMs"), Scope::Consumer, Kind::Uint,
        "Longest time between polls before the member leaves the group."),
    row("assignor", None, Scope::Consumer, Kind::Choice(ASSIGNORS),
        "How the broker deals partitions to members."),
    row("fetch_max_wait_ms", Some("maxWaitTimeInMs"), Scope::Consumer, Kind::Uint,
        "Long-poll wait of one fetch."),
    row("fetch_max_bytes", Some("maxBytes"), Scope::Consumer, Kind::Uint,
        "Bytes per fetch response."),
    row("partition_fetch_bytes", Some("maxBytesPerPartition"), Scope::Consumer, Kind::Uint,
        "Bytes per partition in one fetch."),
];

const fn row(
    name: &'static str,
    node: Option<&'static str>,
    scope: Scope,
    kind: Kind,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        node,
        scope,
        kind,
        doc,
        node_default: None,
    }
}

/// A row whose Node default differs, see [`OptionSpec::node_default`].
const fn node_default(spec: OptionSpec, default: i64) -> OptionSpec {
    OptionSpec {
        node_default: Some(default),
        ..spec
    }
}

/// The options of `scopes`, in table order.
pub fn options_of(scopes: &[Scope]) -> impl Iterator<Item = &'static OptionSpec> + '_ {
    OPTIONS.iter().filter(move |o| scopes.contains(&o.scope))
}

/// The row named `name` (the snake_case name) among `scopes`; an unknown name is an
/// `InvalidArgument` listing the options `what` takes.
pub fn lookup(name: &str, scopes: &[Scope], what: &str) -> Result<&'static OptionSpec> {
    options_of(scopes)
        .find(|o| o.name == name)
        .ok_or_else(|| unknown(name, what, options_of(scopes).map(|o| o.name)))
}

/// The row whose Node name is `name` among `scopes`.
pub fn lookup_node(name: &str, scopes: &[Scope], what: &str) -> Result<&'static OptionSpec> {
    options_of(scopes)
        .find(|o| o.node == Some(name))
        .ok_or_else(|| unknown(name, what, options_of(scopes).filter_map(|o| o.node)))
}

fn unknown<'a>(name: &str, what: &str, known: impl Iterator<Item = &'a str>) -> Error {
    let known: Vec<&str> = known.collect();
    Error::invalid(format!(
        "{what}: unknown option {name:?}; the options are {}",
        known.join(", ")
    ))
}

/// The three configs one set of options fills; unset options keep their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Connection settings.
    pub client: ClientConfig,
    /// Producer settings.
    pub producer: ProducerConfig,
    /// Consumer settings (group id and topics are arguments, not options).
    pub consumer: ConsumerConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new(DEFAULT_BROKER_ADDR)
    }
}

impl Settings {
    /// Defaults everywhere, for the broker(s) at `broker_addr`.
    pub fn new(broker_addr: impl Into<String>) -> Self {
        Settings {
            client: ClientConfig {
                broker_addr: broker_addr.into(),
                ..ClientConfig::default()
            },
            producer: ProducerConfig::default(),
            consumer: ConsumerConfig::default(),
        }
    }

    /// Sets option `spec` (from [`lookup`]); a value of the wrong kind or out of range is an
    /// `InvalidArgument` naming the option. `Unset` restores the default.
    pub fn set(&mut self, spec: &OptionSpec, value: OptionValue) -> Result<()> {
        self.set_as(spec, value, spec.name)
    }

    /// [`Settings::set`] with errors naming the option `name`, as the caller spelt it (Node's
    /// `requestTimeout` for `request_timeout_ms`).
    pub fn set_as(&mut self, spec: &OptionSpec, value: OptionValue, name: &str) -> Result<()> {
        let value = match value {
            OptionValue::Unset => match Settings::default().get(spec) {
                Some(default) => default,
                None => OptionValue::Unset,
            },
            given => given,
        };
        let v = Value { name, value };
        let (c, p, k) = (&mut self.client, &mut self.producer, &mut self.consumer);
        match spec.name {
            "client_id" => c.client_id = v.text()?,
            "request_timeout_ms" => c.request_timeout = v.positive_duration()?,
            "connect_timeout_ms" => c.connect_timeout = v.positive_duration()?,
            "reconnect_backoff_ms" => c.reconnect_backoff = v.duration()?,
            "reconnect_backoff_max_ms" => c.reconnect_backoff_max = v.duration()?,
            "max_in_flight_per_connection" => c.max_in_flight_per_connection = v.uint()?,
            "metadata_max_age_ms" => c.metadata_max_age = v.positive_duration()?,
            "linger_ms" => p.linger_ms = v.uint()?,
            "batch_bytes" => p.batch_bytes = v.uint()?,
            "acks" => p.acks = v.acks()?,
            "max_in_flight_requests" => p.max_in_flight_requests = v.uint()?,
            "buffer_bytes_max" => p.buffer_bytes_max = v.uint()?,
            "delivery_timeout_ms" => p.delivery_timeout_ms = v.uint()?,
            "retry_backoff_ms" => p.retry_backoff_ms = v.uint()?,
            "compression" => p.compression = v.compression()?,
            "compression_level" => p.compression_level = v.optional_int()?,
            "idempotence" => p.idempotence = v.bool()?,
            "auto_offset_reset" => k.auto_offset_reset = v.offset_reset()?,
            "enable_auto_commit" => k.enable_auto_commit = v.bool()?,
            "auto_commit_interval_ms" => k.auto_commit_interval_ms = v.uint()?,
            "session_timeout_ms" => k.session_timeout_ms = v.uint()?,
            "rebalance_timeout_ms" => k.rebalance_timeout_ms = v.uint()?,
            "max_poll_interval_ms" => k.max_poll_interval_ms = v.uint()?,
            "assignor" => k.assignor = v.assignor()?,
            "fetch_max_wait_ms" => k.fetch_max_wait_ms = v.uint()?,
            "fetch_max_bytes" => k.fetch_max_bytes = v.uint()?,
            "partition_fetch_bytes" => k.partition_fetch_bytes = v.uint()?,
            other => return Err(Error::invalid(format!("option {other:?} has no setter"))),
        }
        Ok(())
    }

    /// The current value of `spec`, as a binding shows it (`None` for an unset optional).
    pub fn get(&self, spec: &OptionSpec) -> Option<OptionValue> {
        let (c, p, k) = (&self.client, &self.producer, &self.consumer);
        let ms = |d: Duration| int(d.as_millis());
        let text = |s: &str| Some(OptionValue::Text(s.to_string()));
        match spec.name {
            "client_id" => text(&c.client_id),
            "request_timeout_ms" => ms(c.request_timeout),
            "connect_timeout_ms" => ms(c.connect_timeout),
            "reconnect_backoff_ms" => ms(c.reconnect_backoff),
            "reconnect_backoff_max_ms" => ms(c.reconnect_backoff_max),
            "max_in_flight_per_connection" => int(c.max_in_flight_per_connection),
            "metadata_max_age_ms" => ms(c.metadata_max_age),
            "linger_ms" => int(p.linger_ms),
            "batch_bytes" => int(p.batch_bytes),
            "acks" => text(acks_name(p.acks)),
            "max_in_flight_requests" => int(p.max_in_flight_requests),
            "buffer_bytes_max" => int(p.buffer_bytes_max),
            "delivery_timeout_ms" => int(p.delivery_timeout_ms),
            "retry_backoff_ms" => int(p.retry_backoff_ms),
            "compression" => text(p.compression.name()),
            "compression_level" => p.compression_level.map(|l| OptionValue::Int(i64::from(l))),
            "idempotence" => Some(OptionValue::Bool(p.idempotence)),
            "auto_offset_reset" => text(offset_reset_name(k.auto_offset_reset)),
            "enable_auto_commit" => Some(OptionValue::Bool(k.enable_auto_commit)),
            "auto_commit_interval_ms" => int(k.auto_commit_interval_ms),
            "session_timeout_ms" => int(k.session_timeout_ms),
            "rebalance_timeout_ms" => int(k.rebalance_timeout_ms),
            "max_poll_interval_ms" => int(k.max_poll_interval_ms),
            "assignor" => text(assignor_name(k.assignor)),
            "fetch_max_wait_ms" => int(k.fetch_max_wait_ms),
            "fetch_max_bytes" => int(k.fetch_max_bytes),
            "partition_fetch_bytes" => int(k.partition_fetch_bytes),
            _ => None,
        }
    }

    /// Checks the client settings and those of `scope`.
    pub fn validate(&self, scope: Scope) -> Result<()> {
        self.client.validate()?;
        match scope {
            Scope::Client => Ok(()),
            Scope::Producer => self.producer.validate(),
            Scope::Consumer => self.consumer.validate(),
        }
    }
}

/// The default of `spec` as a binding shows it; `None` for an optional left unset.
pub fn default_of(spec: &OptionSpec) -> Option<OptionValue> {
    Settings::default().get(spec)
}

/// The default Node shows and applies for `spec` (see [`OptionSpec::node_default`]).
pub fn node_default_of(spec: &OptionSpec) -> Option<OptionValue> {
    match spec.node_default {
        Some(n) => Some(OptionValue::Int(n)),
        None => default_of(spec),
    }
}

fn int(n: impl TryInto<i64>) -> Option<OptionValue> {
    Some(OptionValue::Int(n.try_into().unwrap_or(i64::MAX)))
}

/// Kafka's names: what `Acks`, `AutoOffsetReset` and `Assignor` show as.
pub fn acks_name(acks: Acks) -> &'static str {
    match acks {
        Acks::None => "none",
        Acks::Leader => "leader",
        Acks::Durable => "durable",
    }
}

/// See [`acks_name`].
pub fn offset_reset_name(reset: AutoOffsetReset) -> &'static str {
    match reset {
        AutoOffsetReset::Earliest => "earliest",
        AutoOffsetReset::Latest => "latest",
        AutoOffsetReset::None => "none",
    }
}

/// See [`acks_name`].
pub fn assignor_name(assignor: Assignor) -> &'static str {
    match assignor {
        Assignor::Range => "range",
        Assignor::RoundRobin => "roundrobin",
    }
}

/// One given value on its way into a field, with the option's name for errors.
struct Value<'a> {
    name: &'a str,
    value: OptionValue,
}

impl Value<'_> {
    fn wrong(&self, wanted: &str) -> Error {
        let given = match &self.value {
            OptionValue::Bool(b) => b.to_string(),
            OptionValue::Int(n) => n.to_string(),
            OptionValue::Text(t) => format!("{t:?}"),
            OptionValue::Unset => "nothing".to_string(),
        };
        Error::invalid(format!("{}: {given} is not {wanted}", self.name))
    }

    fn bool(&self) -> Result<bool> {
        match self.value {
            OptionValue::Bool(b) => Ok(b),
            _ => Err(self.wrong("true or false")),
        }
    }

    fn text(&self) -> Result<String> {
        match &self.value {
            OptionValue::Text(t) => Ok(t.clone()),
            _ => Err(self.wrong("text")),
        }
    }

    fn uint<T: TryFrom<i64>>(&self) -> Result<T> {
        match self.value {
            OptionValue::Int(n) if n >= 0 => T::try_from(n).map_err(|_| self.wrong("in range")),
            _ => Err(self.wrong("a non-negative whole number")),
        }
    }

    fn duration(&self) -> Result<Duration> {
        Ok(Duration::from_millis(self.uint()?))
    }

    fn positive_duration(&self) -> Result<Duration> {
        match self.duration()? {
            d if d.is_zero() => Err(Error::invalid(format!("{} must be above zero", self.name))),
            d => Ok(d),
        }
    }

    fn optional_int(&self) -> Result<Option<i32>> {
        match self.value {
            OptionValue::Unset => Ok(None),
            OptionValue::Int(n) => i32::try_from(n)
                .map(Some)
                .map_err(|_| self.wrong("a level in range")),
            _ => Err(self.wrong("a whole number")),
        }
    }

    /// Text, or a number spelt as text (acks `1`, codec ids).
    fn choice_text(&self, choices: &[&str]) -> Result<String> {
        match &self.value {
            OptionValue::Text(t) => Ok(t.clone()),
            OptionValue::Int(n) => Ok(n.to_string()),
            _ => Err(self.wrong(&format!("one of {}", choices.join(", ")))),
        }
    }

    fn acks(&self) -> Result<Acks> {
        let text = self.choice_text(ACKS)?;
        if text == "-1" {
            // Kafka's acks=-1 is acks=all.
            return Ok(Acks::Durable);
        }
        text.parse()
    }

    fn compression(&self) -> Result<Compression> {
        let found = match &self.value {
            OptionValue::Int(id) => u8::try_from(*id)
                .ok()
                .and_then(|id| Compression::from_id(id).ok()),
            OptionValue::Text(name) => Compression::from_name(name),
            _ => None,
        };
        found.ok_or_else(|| self.wrong(&format!("one of {} (or 0-4)", CODECS.join(", "))))
    }

    fn offset_reset(&self) -> Result<AutoOffsetReset> {
        self.choice_text(OFFSET_RESET)?.parse()
    }

    fn assignor(&self) -> Result<Assignor> {
        match self.choice_text(ASSIGNORS)?.to_ascii_lowercase().as_str() {
            "range" => Ok(Assignor::Range),
            "roundrobin" | "round_robin" => Ok(Assignor::RoundRobin),
            _ => Err(self.wrong(&format!("one of {}", ASSIGNORS.join(", ")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_setter_and_a_default_that_round_trips() {
        for spec in OPTIONS {
            let mut settings = Settings::default();
            let default = default_of(spec).unwrap_or(OptionValue::Unset);
            settings.set(spec, default.clone()).unwrap();
            assert_eq!(settings, Settings::default(), "{}", spec.name);
            settings.set(spec, OptionValue::Unset).unwrap();
            assert_eq!(settings, Settings::default(), "{}", spec.name);
        }
    }

    #[test]
    fn names_are_unique_per_language() {
        let mut names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPTIONS.len());
        let mut node: Vec<&str> = OPTIONS.iter().filter_map(|o| o.node).collect();
        let with_node = node.len();
        node.sort_unstable();
        node.dedup();
        assert_eq!(node.len(), with_node);
    }

    #[test]
    fn values_are_checked_with_the_option_name() {
        let mut s = Settings::default();
        let producer = [Scope::Client, Scope::Producer];
        let linger = lookup("linger_ms", &producer, "Producer").unwrap();
        s.set(linger, OptionValue::Int(7)).unwrap();
        assert_eq!(s.producer.linger_ms, 7);
        let err = s.set(linger, OptionValue::Int(-1)).unwrap_err();
        assert!(err.to_string().contains("linger_ms: -1"), "{err}");
        let err = s.set(linger, OptionValue::Text("5".into())).unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::InvalidArgument);
        let acks = lookup("acks", &producer, "Producer").unwrap();
        s.set(acks, OptionValue::Int(-1)).unwrap();
        assert_eq!(s.producer.acks, Acks::Durable);
        assert!(s.set(acks, OptionValue::Text("some".into())).is_err());
        let codec = lookup_node("compression", &producer, "producer()").unwrap();
        s.set(codec, OptionValue::Int(4)).unwrap();
        assert_eq!(s.producer.compression, Compression::Zstd);
        assert!(s.set(codec, OptionValue::Int(9)).is_err());
        let err = lookup("session_timeout_ms", &producer, "Producer").unwrap_err();
        assert!(err
            .to_string()
            .contains("unknown option \"session_timeout_ms\""));
        assert!(err.to_string().contains("linger_ms"), "{err}");
    }
}
