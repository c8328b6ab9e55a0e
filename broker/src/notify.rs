//! Wakes long-polling fetches when a partition gets new records.
//!
//! One `tokio::sync::watch` channel per partition carries its high watermark. A fetch subscribes
//! *before* it reads, so an append that lands between its read and its wait still wakes it (the
//! receiver sees the value as changed). Channels are created on first subscribe and dropped by
//! [`AppendNotifier::prune`] once nobody listens.

use parking_lot::Mutex;
use std::collections::HashMap;
use tokio::sync::watch;

/// Per-partition high-watermark channels.
#[derive(Debug, Default)]
pub struct AppendNotifier {
    topics: Mutex<HashMap<String, HashMap<u32, watch::Sender<u64>>>>,
}

impl AppendNotifier {
    /// Tells waiting fetches of `topic`/`partition` that the high watermark is now `high_watermark`.
    pub fn appended(&self, topic: &str, partition: u32, high_watermark: u64) {
        let topics = self.topics.lock();
        if let Some(sender) = topics.get(topic).and_then(|p| p.get(&partition)) {
            sender.send_replace(high_watermark);
        }
    }

    /// A receiver that changes on every append to `topic`/`partition` after this call.
    pub fn subscribe(&self, topic: &str, partition: u32) -> watch::Receiver<u64> {
        let mut topics = self.topics.lock();
        let partitions = topics.entry(topic.to_string()).or_default();
        let sender = partitions
            .entry(partition)
            .or_insert_with(|| watch::channel(0).0);
        sender.subscribe()
    }

    /// Wakes every waiter of a deleted topic and forgets its channels.
    pub fn topic_deleted(&self, topic: &str) {
        if let Some(partitions) = self.topics.lock().remove(topic) {
            for sender in partitions.values() {
                sender.send_replace(0);
            }
        }
    }

    /// Drops channels nobody listens to (called by the maintenance task).
    pub fn prune(&self) {
        let mut topics = self.topics.lock();
        for partitions in topics.values_mut() {
            partitions.retain(|_, sender| sender.receiver_count() > 0);
        }
        topics.retain(|_, partitions| !partitions.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn append_after_subscribe_wakes() {
        let notifier = AppendNotifier::default();
        let mut rx = notifier.subscribe("t", 0);
        notifier.appended("t", 0, 5);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 5);
        drop(rx);
        notifier.prune();
        assert!(notifier.topics.lock().is_empty());
    }
}
