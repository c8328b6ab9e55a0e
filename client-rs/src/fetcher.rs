//! Shared fetch logic of [`crate::Consumer`] and [`crate::PartitionConsumer`]: build one Fetch
//! request over many partitions, turn the returned batches into [`Message`]s (skipping records
//! below the requested offset, since a fetch may return a batch that starts earlier, and
//! verifying every batch's CRC), and [`FetchAhead`]: a background task that keeps fetching and
//! decoding the next responses while the caller works through the last one.

use crate::connection::ConnSlot;
use crate::error::{Error, Result};
use crate::record::Message;
use bytes::Bytes;
use rustlog_protocol::batch::{
    batch_total_len, BatchHeader, RecordBatchView, RecordIter, BATCH_HEADER_BYTES,
};
use rustlog_protocol::messages::fetch::{FetchPartition, FetchRequest, FetchResponse};
use rustlog_protocol::{ErrorCode, ProtocolError};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Decoded responses [`FetchAhead`] may queue before it waits for the caller. One more can be
/// waiting to be queued and the caller holds the one it is handing out, so a consumer keeps at
/// most `FETCH_AHEAD_RESPONSES + 2` responses (each at most `fetch_max_bytes`) in memory.
pub(crate) const FETCH_AHEAD_RESPONSES: usize = 1;

/// Pause before fetching again after a response that brought only retriable partition errors,
/// so a partition that is briefly unavailable is not asked for in a tight loop.
const FETCH_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// What one fetch asks of a partition.
#[derive(Debug, Clone)]
pub(crate) struct FetchTarget {
    pub topic: Arc<str>,
    pub partition: u32,
    pub offset: u64,
}

/// Long-poll wait and size limits of the fetches a consumer sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FetchSettings {
    pub max_wait_ms: u32,
    pub max_bytes: u32,
    pub partition_bytes: u32,
}

/// What the broker answered for one partition of a fetch.
#[derive(Debug)]
pub(crate) struct FetchedPartition {
    pub topic: Arc<str>,
    pub partition: u32,
    /// The offset the fetch asked for.
    pub from_offset: u64,
    pub error_code: ErrorCode,
    /// `None` when the response left the partition out.
    pub high_watermark: Option<u64>,
    /// Where the next fetch starts: after the last complete batch, or `from_offset` when the
    /// partition returned nothing complete or an error.
    pub next_offset: u64,
}

/// One decoded fetch response.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// One entry per partition asked for, in the order asked.
    pub partitions: Vec<FetchedPartition>,
    /// Records at or after the positions asked, partition by partition.
    pub messages: Vec<Message>,
}

impl Fetched {
    /// Whether it was fetched from exactly these positions. Only then does it apply: after a
    /// seek or a rebalance it is stale and must be dropped.
    pub(crate) fn fetched_from(&self, targets: &[FetchTarget]) -> bool {
        self.partitions.len() == targets.len()
            && self.partitions.iter().zip(targets).all(|(p, t)| {
                p.partition == t.partition && p.from_offset == t.offset && p.topic == t.topic
            })
    }

    /// The targets of the fetch after this one.
    fn next_targets(&self) -> Vec<FetchTarget> {
        self.partitions
            .iter()
            .map(|p| FetchTarget {
                topic: p.topic.clone(),
                partition: p.partition,
                offset: p.next_offset,
            })
            .collect()
    }

    /// Whether a partition answered with an error the caller must act on (an out-of-range
    /// offset to reset, or a failure to report) rather than one that goes away by retrying.
    fn needs_caller(&self) -> bool {
        self.partitions.iter().any(|p| {
            p.error_code != ErrorCode::None
                && (p.error_code == ErrorCode::OffsetOutOfRange || !p.error_code.is_retriable())
        })
    }

    /// Whether some partition failed retriably and none brought records.
    fn only_retriable_errors(&self) -> bool {
        self.messages.is_empty()
            && self
                .partitions
                .iter()
                .any(|p| p.error_code != ErrorCode::None && p.error_code.is_retriable())
    }
}

/// A background task that fetches, decodes (CRC checks included) and queues responses ahead
/// of the caller, each fetch starting where the previous one ended. Decoding off the caller's
/// thread is what lets a caller that is busy with the last batch (a Python loop, say) find the
/// next one ready. The task stops after a fetch error or a partition error the caller must act
/// on, and when dropped.
#[derive(Debug)]
pub(crate) struct FetchAhead {
    results: mpsc::Receiver<Result<Fetched>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FetchAhead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FetchAhead {
    /// Starts fetching from `targets`; the first fetch long-polls at most `first_wait_ms`
    /// (the caller's remaining poll time), later ones `settings.max_wait_ms`. The task holds
    /// only the connection slot, so it never keeps its consumer alive.
    pub(crate) fn start(
        slot: Arc<ConnSlot>,
        targets: Vec<FetchTarget>,
        first_wait_ms: u32,
        settings: FetchSettings,
    ) -> FetchAhead {
        let (sender, results) = mpsc::channel(FETCH_AHEAD_RESPONSES);
        let task = tokio::spawn(async move {
            let mut targets = targets;
            let mut wait_ms = first_wait_ms;
            loop {
                let request = fetch_request(
                    &targets,
                    wait_ms,
                    settings.max_bytes,
                    settings.partition_bytes,
                );
                let fetched = match fetch(&slot, &request).await {
                    Ok(response) => decode_response(&targets, response),
                    Err(e) => Err(e),
                };
                let fetched = match fetched {
                    Ok(fetched) => fetched,
                    Err(e) => {
                        let _ = sender.send(Err(e)).await;
                        return;
                    }
                };
                let stop = fetched.needs_caller();
                let back_off = fetched.only_retriable_errors();
                targets = fetched.next_targets();
                // The caller must see the response that stops the task: it acts on it.
                if sender.send(Ok(fetched)).await.is_err() || stop {
                    return;
                }
                if back_off {
                    tokio::time::sleep(FETCH_RETRY_BACKOFF).await;
                }
                wait_ms = settings.max_wait_ms;
            }
        });
        FetchAhead { results, task }
    }

    /// The next decoded response, waiting until `deadline`; `Ok(None)` when none came in time.
    pub(crate) async fn next(&mut self, deadline: Instant) -> Result<Option<Fetched>> {
        match tokio::time::timeout_at(deadline, self.results.recv()).await {
            Ok(Some(result)) => result.map(Some),
            Ok(None) => Err(ended()),
            Err(_) => Ok(None),
        }
    }

    /// A response already decoded, without waiting.
    pub(crate) fn try_next(&mut self) -> Result<Option<Fetched>> {
        match self.results.try_recv() {
            Ok(result) => result.map(Some),
            Err(mpsc::error::TryRecvError::Empty) => Ok(None),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(ended()),
        }
    }
}

/// The task ended without a final word: it stops only after sending one, so it panicked.
fn ended() -> Error {
    Error::violation("the background fetch task ended unexpectedly")
}

/// Appends decoded messages to a consumer's buffer; an empty buffer takes the vector over
/// without copying.
pub(crate) fn buffer_messages(buffer: &mut VecDeque<Message>, messages: Vec<Message>) {
    if buffer.is_empty() {
        *buffer = VecDeque::from(messages);
    } else {
        buffer.extend(messages);
    }
}

/// Takes up to `max_messages` off the front of a buffer; taking all of it copies nothing,
/// which is the usual case for large polls.
pub(crate) fn take_buffered(buffer: &mut VecDeque<Message>, max_messages: usize) -> Vec<Message> {
    if max_messages >= buffer.len() {
        Vec::from(std::mem::take(buffer))
    } else {
        buffer.drain(..max_messages).collect()
    }
}

/// Decodes a response to a fetch of `asked`: one [`FetchedPartition`] per target, records at or
/// after each target's offset. A corrupt batch fails the whole response.
pub(crate) fn decode_response(asked: &[FetchTarget], response: FetchResponse) -> Result<Fetched> {
    let mut partitions = Vec::with_capacity(asked.len());
    let mut messages = Vec::new();
    for target in asked {
        let answer = response
            .partitions
            .iter()
            .find(|p| p.partition == target.partition && *p.topic == *target.topic);
        let mut fetched = FetchedPartition {
            topic: target.topic.clone(),
            partition: target.partition,
            from_offset: target.offset,
            error_code: ErrorCode::None,
            high_watermark: None,
            next_offset: target.offset,
        };
        if let Some(answer) = answer {
            fetched.error_code = answer.error_code;
            fetched.high_watermark = Some(answer.high_watermark);
            if answer.error_code == ErrorCode::None {
                fetched.next_offset = decode_records(
                    &target.topic,
                    target.partition,
                    &answer.records,
                    target.offset,
                    &mut messages,
                )?;
            }
        }
        partitions.push(fetched);
    }
    Ok(Fetched {
        partitions,
        messages,
    })
}

pub(crate) fn fetch_request(
    targets: &[FetchTarget],
    max_wait_ms: u32,
    max_bytes: u32,
    partition_bytes: u32,
) -> FetchRequest {
    FetchRequest {
        max_wait_ms,
        min_bytes: 1,
        max_bytes,
        partitions: targets
            .iter()
            .map(|t| FetchPartition {
                topic: t.topic.to_string(),
                partition: t.partition,
                fetch_offset: t.offset,
                partition_max_bytes: partition_bytes,
            })
            .collect(),
    }
}

/// Decodes the batches of one partition's fetch result into `out`, keeping records at or after
/// `from_offset`. Returns the offset to fetch next (after the last complete batch), which is
/// `from_offset` when nothing complete was returned.
///
/// Every batch's CRC-32C is checked before anything in it is read. Control batches (Kafka's
/// transaction markers) are skipped, as Kafka consumers do. Messages slice shared bytes: the
/// fetched buffer for uncompressed batches, one decompressed buffer per compressed batch, so
/// there is at most one copy per batch and none per message.
pub(crate) fn decode_records(
    topic: &Arc<str>,
    partition: u32,
    records: &Bytes,
    from_offset: u64,
    out: &mut Vec<Message>,
) -> Result<u64> {
    let mut next = from_offset;
    let mut pos = 0usize;
    while pos < records.len() {
        let rest = &records[pos..];
        // A trailing partial batch is not an error: it is fetched whole next time.
        match batch_total_len(rest) {
            Ok(Some(total)) if total <= rest.len() => {}
            Ok(_) => break,
            Err(e) => return Err(corrupt(topic, partition, next, &e)),
        }
        let view = RecordBatchView::parse(rest).map_err(|e| corrupt(topic, partition, next, &e))?;
        view.verify_crc()
            .map_err(|e| corrupt(topic, partition, next, &e))?;
        let header = *view.header();
        let start = pos;
        pos += view.as_bytes().len();
        if header.next_offset() <= from_offset || header.is_control() {
            next = next.max(header.next_offset());
            continue;
        }
        let section = match view
            .decompressed_records()
            .map_err(|e| corrupt(topic, partition, next, &e))?
        {
            Cow::Borrowed(_) => records.slice(start + BATCH_HEADER_BYTES..pos),
            Cow::Owned(decompressed) => Bytes::from(decompressed),
        };
        let batch = BatchSource {
            topic,
            partition,
            header: &header,
            section: &section,
        };
        batch
            .decode_into(from_offset, out)
            .map_err(|e| corrupt(topic, partition, next, &e))?;
        next = next.max(header.next_offset());
    }
    Ok(next)
}

/// Fewest bytes one encoded record takes (length, attributes, timestamp delta, offset delta,
/// key length, value length and header count, one byte each).
const RECORD_BYTES_MIN: usize = 7;

/// One batch's uncompressed records section and where it came from.
struct BatchSource<'a> {
    topic: &'a Arc<str>,
    partition: u32,
    header: &'a BatchHeader,
    section: &'a Bytes,
}

impl BatchSource<'_> {
    /// Appends the batch's records at or after `from_offset` to `out`, slicing the section.
    fn decode_into(&self, from_offset: u64, out: &mut Vec<Message>) -> Result<(), ProtocolError> {
        let section = self.section;
        // The count comes from the broker: reserve no more than the section can hold.
        let fit = section.len() / RECORD_BYTES_MIN + 1;
        out.reserve((self.header.record_count as usize).min(fit));
        for record in RecordIter::new(section, self.header) {
            let record = record?;
            if record.offset < from_offset {
                continue;
            }
            let mut headers = Vec::with_capacity(record.header_count() as usize);
            for pair in record.headers() {
                let (k, v) = pair?;
                headers.push((k.to_string(), v.map(|v| section.slice_ref(v))));
            }
            out.push(Message {
                topic: self.topic.clone(),
                partition: self.partition,
                offset: record.offset,
                timestamp: record.timestamp_ms,
                key: record.key.map(|k| section.slice_ref(k)),
                value: record.value.map(|v| section.slice_ref(v)),
                headers,
            });
        }
        Ok(())
    }
}

fn corrupt(topic: &str, partition: u32, offset: u64, err: &ProtocolError) -> Error {
    Error::violation(format!(
        "fetched batch of {topic}/{partition} near offset {offset} is invalid: {err}"
    ))
}

/// Sends one Fetch over `slot`; the deadline covers the long-poll wait plus the request
/// timeout, so a stalled broker is detected but a long poll is not cut short.
pub(crate) async fn fetch(
    slot: &crate::connection::ConnSlot,
    request: &FetchRequest,
) -> Result<rustlog_protocol::messages::fetch::FetchResponse> {
    let wait = std::time::Duration::from_millis(u64::from(request.max_wait_ms));
    let deadline = tokio::time::Instant::now() + wait + slot.config().request_timeout;
    let response = slot
        .call(&rustlog_protocol::Request::Fetch(request.clone()), deadline)
        .await?;
    crate::client::expect_response!(response, Fetch)
}

/// Messages a stream takes per poll.
pub(crate) const STREAM_BATCH: usize = 1024;
/// How long a stream's poll waits before polling again.
pub(crate) const STREAM_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// A stream of messages over a consumer's batch poll: yields each polled message in order and
/// ends when the consumer reports `Closed` (after `close`). Shared by both consumer kinds.
pub(crate) fn message_stream<F, Fut>(
    poll_batch: F,
) -> futures::stream::BoxStream<'static, crate::error::Result<crate::record::Message>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = crate::error::Result<Vec<crate::record::Message>>> + Send,
{
    use futures::StreamExt;
    futures::stream::unfold(
        (poll_batch, VecDeque::new()),
        |(poll_batch, mut pending)| async move {
            loop {
                if let Some(message) = pending.pop_front() {
                    return Some((Ok(message), (poll_batch, pending)));
                }
                match poll_batch().await {
                    Ok(batch) => pending.extend(batch),
                    Err(crate::error::Error::Closed { .. }) => return None,
                    Err(e) => return Some((Err(e), (poll_batch, pending))),
                }
            }
        },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustlog_protocol::RecordBatchBuilder;

    fn batch(base: u64, values: &[&str]) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new();
        for (i, v) in values.iter().enumerate() {
            let key = format!("k{i}");
            b.push(
                1_000 + i as i64,
                Some(key.as_bytes()),
                Some(v.as_bytes()),
                &[("h", Some(b"x".as_slice()))],
            )
            .unwrap();
        }
        b.finish(base).unwrap()
    }

    #[test]
    fn records_below_the_requested_offset_are_skipped() {
        let mut bytes = batch(10, &["a", "b", "c"]);
        bytes.extend(batch(13, &["d", "e"]));
        let bytes = Bytes::from(bytes);
        let topic: Arc<str> = Arc::from("t");
        let mut out = Vec::new();
        let next = decode_records(&topic, 0, &bytes, 12, &mut out).unwrap();
        assert_eq!(next, 15);
        let got: Vec<(u64, &str)> = out
            .iter()
            .map(|m| (m.offset, m.value_str().unwrap()))
            .collect();
        assert_eq!(got, vec![(12, "c"), (13, "d"), (14, "e")]);
        assert_eq!(out[0].header("h"), Some(Some(&Bytes::from_static(b"x"))));
        assert_eq!(out[0].key_str(), Some("k2"));
    }

    #[test]
    fn compressed_batches_decode_into_one_buffer_and_control_batches_are_skipped() {
        use rustlog_protocol::batch::{set_producer, ATTR_CONTROL};
        use rustlog_protocol::{Compression, ProducerStamp};
        let mut b = RecordBatchBuilder::new()
            .compression(Compression::Zstd, None)
            .unwrap();
        b.push(
            1,
            Some(b"k"),
            Some(b"hello"),
            &[("n", None), ("n", Some(b"1"))],
        )
        .unwrap();
        b.push(2, None, Some(b"world"), &[]).unwrap();
        let mut bytes = b.finish(0).unwrap();
        let mut control = batch(2, &["marker"]);
        // Set the control bit; set_producer rewrites the CRC over it.
        control[22] |= ATTR_CONTROL as u8;
        set_producer(&mut control, ProducerStamp::NONE).unwrap();
        bytes.extend(control);
        bytes.extend(batch(3, &["after"]));
        let mut out = Vec::new();
        let next = decode_records(&Arc::from("t"), 0, &Bytes::from(bytes), 0, &mut out).unwrap();
        assert_eq!(next, 4, "the control batch's offset is passed over");
        let got: Vec<(u64, &str)> = out
            .iter()
            .map(|m| (m.offset, m.value_str().unwrap()))
            .collect();
        assert_eq!(got, vec![(0, "hello"), (1, "world"), (3, "after")]);
        assert_eq!(
            out[0].headers,
            vec![
                ("n".to_string(), None),
                ("n".to_string(), Some(Bytes::from_static(b"1")))
            ]
        );
        assert_eq!(out[0].header("n"), Some(None), "the first value is null");
    }

    #[test]
    fn a_trailing_partial_batch_waits_for_the_next_fetch() {
        let mut bytes = batch(0, &["a"]);
        let second = batch(1, &["b"]);
        bytes.extend_from_slice(&second[..second.len() - 3]);
        let mut out = Vec::new();
        let next = decode_records(&Arc::from("t"), 0, &Bytes::from(bytes), 0, &mut out).unwrap();
        assert_eq!(next, 1);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_flipped_bit_is_reported_not_served() {
        let mut bytes = batch(0, &["hello"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let mut out = Vec::new();
        let err = decode_records(&Arc::from("t"), 0, &Bytes::from(bytes), 0, &mut out).unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::ProtocolViolation);
        assert!(out.is_empty());
    }
}
