//! Shared fetch logic of [`crate::Consumer`] and [`crate::PartitionConsumer`]: build one Fetch
//! request over many partitions, and turn the returned batches into [`Message`]s, skipping
//! records below the requested offset (a fetch may return a batch that starts earlier) and
//! verifying every batch's CRC.

use crate::error::{Error, Result};
use crate::record::Message;
use bytes::Bytes;
use rustlog_protocol::batch::{batch_total_len, RecordBatchView};
use rustlog_protocol::messages::fetch::{FetchPartition, FetchRequest};
use std::collections::VecDeque;
use std::sync::Arc;

/// What one fetch asks of a partition.
#[derive(Debug, Clone)]
pub(crate) struct FetchTarget {
    pub topic: Arc<str>,
    pub partition: u32,
    pub offset: u64,
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
pub(crate) fn decode_records(
    topic: &Arc<str>,
    partition: u32,
    records: &Bytes,
    from_offset: u64,
    out: &mut VecDeque<Message>,
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
        pos += view.as_bytes().len();
        if header.next_offset() <= from_offset {
            continue;
        }
        out.reserve(header.record_count as usize);
        for record in view.records() {
            let record = record.map_err(|e| corrupt(topic, partition, next, &e))?;
            if record.offset < from_offset {
                continue;
            }
            let mut headers = Vec::with_capacity(record.header_count() as usize);
            for pair in record.headers() {
                let (k, v) = pair.map_err(|e| corrupt(topic, partition, next, &e))?;
                headers.push((k.to_string(), records.slice_ref(v)));
            }
            out.push_back(Message {
                topic: topic.clone(),
                partition,
                offset: record.offset,
                timestamp: record.timestamp_ms,
                key: record.key.map(|k| records.slice_ref(k)),
                value: record.value.map(|v| records.slice_ref(v)),
                headers,
            });
        }
        next = next.max(header.next_offset());
    }
    Ok(next)
}

fn corrupt(
    topic: &str,
    partition: u32,
    offset: u64,
    err: &rustlog_protocol::ProtocolError,
) -> Error {
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
                &[("h", b"x".as_slice())],
            )
            .unwrap();
        }
        b.finish(base)
    }

    #[test]
    fn records_below_the_requested_offset_are_skipped() {
        let mut bytes = batch(10, &["a", "b", "c"]);
        bytes.extend(batch(13, &["d", "e"]));
        let bytes = Bytes::from(bytes);
        let topic: Arc<str> = Arc::from("t");
        let mut out = VecDeque::new();
        let next = decode_records(&topic, 0, &bytes, 12, &mut out).unwrap();
        assert_eq!(next, 15);
        let got: Vec<(u64, &str)> = out
            .iter()
            .map(|m| (m.offset, m.value_str().unwrap()))
            .collect();
        assert_eq!(got, vec![(12, "c"), (13, "d"), (14, "e")]);
        assert_eq!(out[0].header("h").unwrap().as_ref(), b"x");
        assert_eq!(out[0].key_str(), Some("k2"));
    }

    #[test]
    fn a_trailing_partial_batch_waits_for_the_next_fetch() {
        let mut bytes = batch(0, &["a"]);
        let second = batch(1, &["b"]);
        bytes.extend_from_slice(&second[..second.len() - 3]);
        let mut out = VecDeque::new();
        let next = decode_records(&Arc::from("t"), 0, &Bytes::from(bytes), 0, &mut out).unwrap();
        assert_eq!(next, 1);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn a_flipped_bit_is_reported_not_served() {
        let mut bytes = batch(0, &["hello"]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        let mut out = VecDeque::new();
        let err = decode_records(&Arc::from("t"), 0, &Bytes::from(bytes), 0, &mut out).unwrap_err();
        assert_eq!(err.kind(), rustlog_protocol::ErrorCode::ProtocolViolation);
        assert!(out.is_empty());
    }
}
