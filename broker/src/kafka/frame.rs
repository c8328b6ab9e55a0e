//! Response framing for the Kafka listener: length, response header, body, all encoded by the
//! `kafka-protocol` crate; and for Fetch, the stored record batches sent by reference.
//!
//! `kafka-protocol` encodes into one buffer through `ByteBufMut: BufMut`, which cannot be
//! implemented over shared parts without `unsafe`. So a Fetch response whose partitions carry
//! large records is encoded twice with those records replaced by markers, an empty record set in
//! one encoding and a null one in the other. The two encodings have the same length and differ
//! exactly at the markers (Kafka arrays are counted, not byte-length-prefixed, and records are
//! no tagged field, so nothing else moves). The frame is then the first encoding cut at each
//! marker, with the real length and the stored `Bytes` spliced in: no copy of the records.

use anyhow::Context;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::fetch_response::FetchResponse;
use kafka_protocol::messages::{ApiKey, ResponseHeader};
use kafka_protocol::protocol::Encodable;
use rustlog_protocol::parts::SHARED_PART_BYTES_MIN;
use rustlog_protocol::{FrameParts, PartsWriter};

/// Bytes of a Kafka frame's length prefix.
pub const LENGTH_BYTES: usize = 4;

/// First Fetch version with flexible (compact) encodings.
const FETCH_FLEXIBLE_VERSION_MIN: i16 = 12;

/// Frames a response: length, response header (its version follows the api version), body.
pub fn encode<R: Encodable>(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &R,
) -> anyhow::Result<Bytes> {
    let mut out = BytesMut::with_capacity(64);
    out.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut out, api.response_header_version(version))?;
    response.encode(&mut out, version)?;
    let length = i32::try_from(out.len() - LENGTH_BYTES)?;
    out[..LENGTH_BYTES].copy_from_slice(&length.to_be_bytes());
    Ok(out.freeze())
}

/// A Fetch response framed with every record set of [`SHARED_PART_BYTES_MIN`] or more as a
/// part of its own (the storage's `Bytes`, the memory map of a sealed segment).
pub fn encode_fetch(
    version: i16,
    correlation_id: i32,
    mut response: FetchResponse,
) -> anyhow::Result<FrameParts> {
    let shared = take_large_records(&mut response);
    if shared.is_empty() {
        return encode(ApiKey::Fetch, version, correlation_id, &response).map(FrameParts::from);
    }
    let with_empty = encode(ApiKey::Fetch, version, correlation_id, &response)?;
    set_null_records(&mut response, &shared);
    let with_null = encode(ApiKey::Fetch, version, correlation_id, &response)?;
    let flexible = version >= FETCH_FLEXIBLE_VERSION_MIN;
    let markers = marker_positions(&with_empty, &with_null, flexible)
        .filter(|m| m.len() == shared.len())
        .context("the two Fetch encodings differ other than at the record markers")?;
    let mut out = PartsWriter::new();
    let mut from = 0;
    for (&at, (_, records)) in markers.iter().zip(&shared) {
        out.buf().put_slice(&with_empty[from..at]);
        put_records_length(out.buf(), records.len(), flexible)?;
        out.put_shared(records);
        from = at + marker_bytes(flexible);
    }
    out.buf().put_slice(&with_empty[from..]);
    Ok(out.finish_frame())
}

/// Where a partition sits in a response: (topic index, partition index).
type Slot = (usize, usize);

/// Replaces every record set of at least [`SHARED_PART_BYTES_MIN`] with an empty one, returning
/// them in encoding order.
fn take_large_records(response: &mut FetchResponse) -> Vec<(Slot, Bytes)> {
    let mut taken = Vec::new();
    for (t, topic) in response.responses.iter_mut().enumerate() {
        for (p, partition) in topic.partitions.iter_mut().enumerate() {
            if partition
                .records
                .as_ref()
                .is_some_and(|r| r.len() >= SHARED_PART_BYTES_MIN)
            {
                if let Some(records) = partition.records.replace(Bytes::new()) {
                    taken.push(((t, p), records));
                }
            }
        }
    }
    taken
}

/// Sets the records of the partitions at `slots` to null (the second marker).
fn set_null_records(response: &mut FetchResponse, slots: &[(Slot, Bytes)]) {
    for ((t, p), _) in slots {
        if let Some(partition) = response
            .responses
            .get_mut(*t)
            .and_then(|topic| topic.partitions.get_mut(*p))
        {
            partition.records = None;
        }
    }
}

/// Bytes of an empty record set's length field: `INT32` 0, or flexible `UNSIGNED_VARINT` 1.
fn marker_bytes(flexible: bool) -> usize {
    if flexible {
        1
    } else {
        4
    }
}

/// Start of each marker: where `with_empty` (empty records) and `with_null` (null records)
/// differ. `None` if they differ anywhere else.
fn marker_positions(with_empty: &[u8], with_null: &[u8], flexible: bool) -> Option<Vec<usize>> {
    if with_empty.len() != with_null.len() {
        return None;
    }
    let (empty, null): (&[u8], &[u8]) = if flexible {
        (&[1], &[0])
    } else {
        (&[0, 0, 0, 0], &[0xff, 0xff, 0xff, 0xff])
    };
    let width = marker_bytes(flexible);
    let mut markers = Vec::new();
    let mut i = 0;
    while i < with_empty.len() {
        if with_empty[i] == with_null[i] {
            i += 1;
            continue;
        }
        let end = i.checked_add(width).filter(|&e| e <= with_empty.len())?;
        if with_empty[i..end] != *empty || with_null[i..end] != *null {
            return None;
        }
        markers.push(i);
        i = end;
    }
    Some(markers)
}

/// A record set's length as Kafka encodes it: `INT32`, or flexible `UNSIGNED_VARINT` (7 bits a
/// byte, low first) of len + 1. The crate's own encoders of these are private; the unit tests
/// hold this to its output byte for byte.
fn put_records_length(buf: &mut BytesMut, len: usize, flexible: bool) -> anyhow::Result<()> {
    if !flexible {
        buf.put_i32(i32::try_from(len)?);
        return Ok(());
    }
    let mut value = u32::try_from(len + 1)?;
    while value >= 0x80 {
        buf.put_u8((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    fn response(records: &[Option<Bytes>]) -> FetchResponse {
        let partitions = |range: std::ops::Range<usize>| {
            range
                .map(|i| {
                    PartitionData::default()
                        .with_partition_index(i as i32)
                        .with_high_watermark(1_000 + i as i64)
                        .with_records(records[i].clone())
                })
                .collect::<Vec<_>>()
        };
        let half = records.len() / 2;
        let topic = |name: &str, range| {
            FetchableTopicResponse::default()
                .with_topic(TopicName(StrBytes::from_string(name.to_string())))
                .with_partitions(partitions(range))
        };
        FetchResponse::default()
            .with_responses(vec![topic("a", 0..half), topic("b", half..records.len())])
    }

    /// Bytes of `len` that no header byte run could be mistaken for.
    fn records(len: usize, seed: u8) -> Bytes {
        Bytes::from(
            (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn a_fetch_frame_with_shared_records_is_byte_for_byte_the_crates_encoding_at_every_version() {
        let sets = vec![
            Some(records(SHARED_PART_BYTES_MIN, 1)),
            Some(records(100, 2)),
            None,
            Some(records(300_000, 3)),
            Some(Bytes::new()),
            Some(records(SHARED_PART_BYTES_MIN + 1, 0xff)),
        ];
        for version in 4..=12 {
            let expected = encode(ApiKey::Fetch, version, 77, &response(&sets)).unwrap();
            let frame = encode_fetch(version, 77, response(&sets)).unwrap();
            assert_eq!(frame.to_bytes(), expected, "version {version}");
            // The three large record sets are parts of their own, the storage's own bytes.
            for big in [&sets[0], &sets[3], &sets[5]] {
                let big = big.as_ref().unwrap();
                assert!(
                    frame.parts().iter().any(|p| p.as_ptr() == big.as_ptr()),
                    "version {version}: a large record set was copied"
                );
            }
        }
    }

    #[test]
    fn small_records_only_give_one_part() {
        let sets = vec![Some(records(10, 1)), None];
        let frame = encode_fetch(12, 1, response(&sets)).unwrap();
        assert_eq!(frame.parts().len(), 1);
        assert_eq!(
            frame.to_bytes(),
            encode(ApiKey::Fetch, 12, 1, &response(&sets)).unwrap()
        );
    }

    #[test]
    fn encodings_that_differ_elsewhere_are_refused_not_spliced() {
        assert_eq!(
            marker_positions(&[0, 0, 0, 0], &[0xff, 0xff, 0xff, 0xff], false),
            Some(vec![0])
        );
        assert_eq!(marker_positions(&[1, 5], &[0, 5], true), Some(vec![0]));
        assert_eq!(marker_positions(&[1, 5], &[0, 6], true), None);
        assert_eq!(
            marker_positions(&[0, 0, 0], &[0xff, 0xff, 0xff], false),
            None
        );
        assert_eq!(marker_positions(&[1], &[0, 0], true), None);
    }
}
