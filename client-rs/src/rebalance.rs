//! What a group consumer tells the application about its membership: [`RebalanceListener`]
//! hooks that run inside `poll` around a rebalance (so `on_partitions_revoked` can commit
//! before the partitions go), and [`ConsumerEvent`]s on a broadcast channel for
//! instrumentation (the bindings map them to KafkaJS's consumer events).

use crate::consumer::Consumer;
use futures::future::BoxFuture;
use rustlog_protocol::TopicPartition;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events buffered per receiver; a receiver that falls behind sees `Lagged` and goes on.
pub(crate) const EVENTS_BUFFERED: usize = 256;

/// Hooks around a rebalance. They run on the task that calls `poll` (or `close`), one at a
/// time, and may call the consumer's `commit_*`, `seek`, `pause` and `position`.
pub trait RebalanceListener: Send + Sync + 'static {
    /// Before the member gives `partitions` up (a rebalance, or `close`), after auto-commit:
    /// commit or flush what was processed. Commits made here still count.
    fn on_partitions_revoked<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()>;

    /// After a join, with the new assignment (possibly empty) and its start positions set,
    /// before the first fetch of it: a `seek` here decides where it starts.
    fn on_partitions_assigned<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()>;

    /// `partitions` were taken away before the member could give them up (it left after
    /// `max_poll_interval_ms`, or the broker expired its session); commits would fail now.
    /// By default the same as `on_partitions_revoked`, as in Kafka.
    fn on_partitions_lost<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.on_partitions_revoked(consumer, partitions)
    }
}

/// Which [`RebalanceListener`] hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// `on_partitions_revoked`.
    Revoked,
    /// `on_partitions_assigned`.
    Assigned,
    /// `on_partitions_lost`.
    Lost,
}

/// A listener written as one function of the hook kind: adapters that treat the three hooks
/// alike (the blocking facade's thread, the bindings' Python callables) implement only `run`,
/// and every `RebalanceHook` is a [`RebalanceListener`]. `Lost` reaches `run` as itself; the
/// implementor decides whether it falls back to its revoke handling.
pub trait RebalanceHook: Send + Sync + 'static {
    /// Runs the `kind` hook for `partitions`.
    fn run<'a>(
        &'a self,
        kind: HookKind,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()>;
}

impl<T: RebalanceHook> RebalanceListener for T {
    fn on_partitions_revoked<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.run(HookKind::Revoked, consumer, partitions)
    }

    fn on_partitions_assigned<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.run(HookKind::Assigned, consumer, partitions)
    }

    fn on_partitions_lost<'a>(
        &'a self,
        consumer: &'a Consumer,
        partitions: &'a [TopicPartition],
    ) -> BoxFuture<'a, ()> {
        self.run(HookKind::Lost, consumer, partitions)
    }
}

/// Something that happened to a group consumer (`Consumer::events`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumerEvent {
    /// A join completed.
    GroupJoin {
        member_id: String,
        generation_id: i32,
        assignment: Vec<TopicPartition>,
    },
    /// The member starts rejoining (the group rebalances, or the subscription changed).
    Rebalancing { member_id: Option<String> },
    /// A heartbeat was answered.
    Heartbeat {
        member_id: String,
        generation_id: i32,
    },
    /// Offsets were committed (each the next offset to consume).
    CommitOffsets { offsets: Vec<(TopicPartition, u64)> },
    /// The consumer left after `max_poll_interval_ms` without a poll.
    PollIntervalExceeded { max_poll_interval_ms: u64 },
    /// `close` finished.
    Stop,
}

/// The listener slot and the event channel of one consumer.
pub(crate) struct Hooks {
    listener: parking_lot::Mutex<Option<Arc<dyn RebalanceListener>>>,
    events: broadcast::Sender<ConsumerEvent>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("listener", &self.listener.lock().is_some())
            .field("event_receivers", &self.events.receiver_count())
            .finish()
    }
}

impl Hooks {
    pub(crate) fn new() -> Hooks {
        Hooks {
            listener: parking_lot::Mutex::new(None),
            events: broadcast::channel(EVENTS_BUFFERED).0,
        }
    }

    pub(crate) fn set_listener(&self, listener: Option<Arc<dyn RebalanceListener>>) {
        *self.listener.lock() = listener;
    }

    pub(crate) fn listener(&self) -> Option<Arc<dyn RebalanceListener>> {
        self.listener.lock().clone()
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ConsumerEvent> {
        self.events.subscribe()
    }

    /// Sends `event` to every receiver (none is fine).
    pub(crate) fn emit(&self, event: ConsumerEvent) {
        let _ = self.events.send(event);
    }
}
