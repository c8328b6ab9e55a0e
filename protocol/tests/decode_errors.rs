//! Frames and bodies that must not decode, each with its specific error: incomplete frames ask
//! for more bytes, oversized lengths (including HTTP and TLS bytes) are refused before
//! allocation, unknown api keys and versions, bad JSON, bad UTF-8, trailing bytes, limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use rustlog_protocol::frame::{
    check_frame_length, decode_request_frame, decode_response_frame, encode_request_frame,
    encode_response_frame, REQUEST_HEADER_BYTES, RESPONSE_HEADER_BYTES,
};
use rustlog_protocol::limits::{BATCH_BYTES_MAX, FRAME_BYTES_MAX, PARTITIONS_PER_REQUEST_MAX};
use rustlog_protocol::messages::create_topic::CreateTopicRequest;
use rustlog_protocol::messages::fetch::FetchRequest;
use rustlog_protocol::messages::produce::{ProduceRequest, ProduceResponse};
use rustlog_protocol::{
    ApiKey, ErrorCode, ProtocolError, Request, RequestFrame, Response, ResponseBody,
};

fn request_frame(api_key: u16, api_version: u16, body: &[u8]) -> RequestFrame {
    let mut buf = BytesMut::new();
    buf.put_u32((REQUEST_HEADER_BYTES + body.len()) as u32);
    buf.put_u16(api_key);
    buf.put_u16(api_version);
    buf.put_u32(9);
    buf.put_slice(body);
    decode_request_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .unwrap()
}

fn decode_json(api: ApiKey, body: &[u8]) -> ProtocolError {
    Request::decode(&request_frame(api.code(), 0, body)).unwrap_err()
}

#[test]
fn every_prefix_of_a_frame_asks_for_more_bytes_and_consumes_nothing() {
    for (_, request) in common::sample_requests() {
        let mut whole = BytesMut::new();
        request.encode_frame(1, &mut whole).unwrap();
        for cut in 0..whole.len() {
            let mut buf = BytesMut::from(&whole[..cut]);
            assert!(decode_request_frame(&mut buf, FRAME_BYTES_MAX)
                .unwrap()
                .is_none());
            assert_eq!(buf.len(), cut, "a partial frame must stay in the buffer");
        }
    }
    for (_, response) in common::sample_responses() {
        let mut whole = BytesMut::new();
        response.encode_frame(1, &mut whole).unwrap();
        for cut in 0..whole.len() {
            let mut buf = BytesMut::from(&whole[..cut]);
            assert!(decode_response_frame(&mut buf, FRAME_BYTES_MAX)
                .unwrap()
                .is_none());
            assert_eq!(buf.len(), cut);
        }
    }
}

#[test]
fn pipelined_frames_come_out_one_by_one_in_order() {
    let mut buf = BytesMut::new();
    let requests = common::sample_requests();
    for (i, (_, request)) in requests.iter().enumerate() {
        request.encode_frame(i as u32, &mut buf).unwrap();
    }
    // Half of the next frame is already there too.
    buf.put_slice(&[0, 0, 0, 8, 0]);
    for (i, (_, request)) in requests.iter().enumerate() {
        let frame = decode_request_frame(&mut buf, FRAME_BYTES_MAX)
            .unwrap()
            .unwrap();
        assert_eq!(frame.header.correlation_id, i as u32);
        assert_eq!(&Request::decode(&frame).unwrap(), request);
    }
    assert!(decode_request_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .is_none());
    assert_eq!(&buf[..], &[0, 0, 0, 8, 0]);
}

#[test]
fn oversized_length_is_refused_from_the_prefix_alone() {
    // Only the 4 prefix bytes have arrived: the error comes before anything else is read.
    let too_big = FRAME_BYTES_MAX + 1;
    let mut buf = BytesMut::from(&too_big.to_be_bytes()[..]);
    let err = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap_err();
    assert!(
        matches!(err, ProtocolError::FrameTooLarge { length, max }
            if length == u64::from(too_big) && max == u64::from(FRAME_BYTES_MAX)),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::RecordTooLarge);
    let mut buf = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
    assert!(matches!(
        decode_response_frame(&mut buf, FRAME_BYTES_MAX),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
    // Exactly at the limit is fine (it just needs more bytes).
    let mut buf = BytesMut::from(&FRAME_BYTES_MAX.to_be_bytes()[..]);
    assert!(decode_request_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .is_none());
}

#[test]
fn a_reader_may_use_a_lower_frame_limit_but_never_a_higher_one() {
    let mut buf = BytesMut::from(&1025u32.to_be_bytes()[..]);
    assert!(matches!(
        decode_request_frame(&mut buf, 1024),
        Err(ProtocolError::FrameTooLarge { max: 1024, .. })
    ));
    let over = (FRAME_BYTES_MAX + 1).to_be_bytes();
    assert!(matches!(
        check_frame_length(over, u32::MAX, REQUEST_HEADER_BYTES),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
}

#[test]
fn http_and_tls_bytes_are_refused_as_oversized_frames() {
    let http = b"GET / HTTP/1.1\r\nHost: localhost:7400\r\n\r\n";
    let mut buf = BytesMut::from(&http[..]);
    let err = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::FrameTooLarge {
                length: 0x4745_5420,
                ..
            }
        ),
        "{err}"
    );
    // TLS 1.2/1.3 ClientHello record: content type 0x16, version 0x0301, length, handshake type 1.
    let client_hello = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    let mut buf = BytesMut::from(&client_hello[..]);
    let err = decode_request_frame(&mut buf, FRAME_BYTES_MAX).unwrap_err();
    assert!(matches!(err, ProtocolError::FrameTooLarge { .. }), "{err}");
}

#[test]
fn frames_shorter_than_their_header_are_refused() {
    let mut buf = BytesMut::from(&[0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0][..]);
    assert!(matches!(
        decode_request_frame(&mut buf, FRAME_BYTES_MAX),
        Err(ProtocolError::FrameTooSmall { length: 7, min: 8 })
    ));
    let mut buf = BytesMut::from(&[0, 0, 0, 5, 0, 0, 0, 0, 0][..]);
    assert!(matches!(
        decode_response_frame(&mut buf, FRAME_BYTES_MAX),
        Err(ProtocolError::FrameTooSmall { length: 5, min: 6 })
    ));
    assert_eq!(RESPONSE_HEADER_BYTES, 6);
}

#[test]
fn empty_body_frames_decode() {
    let frame = request_frame(ApiKey::Ping.code(), 0, b"{}");
    assert_eq!(
        Request::decode(&frame).unwrap(),
        Request::Ping(Default::default())
    );
    // A Ping with no body at all is not valid JSON.
    let frame = request_frame(ApiKey::Ping.code(), 0, b"");
    assert!(matches!(
        Request::decode(&frame),
        Err(ProtocolError::InvalidJson { api: "Ping", .. })
    ));
}

#[test]
fn unknown_api_key_is_its_own_error() {
    let frame = request_frame(999, 0, b"{}");
    let err = Request::decode(&frame).unwrap_err();
    assert!(matches!(err, ProtocolError::UnknownApiKey(999)), "{err}");
    assert_eq!(err.code(), ErrorCode::UnknownApiKey);
    let first_unknown = ApiKey::ALL.len() as u16;
    assert!(matches!(
        Request::decode(&request_frame(first_unknown, 0, b"{}")),
        Err(ProtocolError::UnknownApiKey(k)) if k == first_unknown
    ));
}

#[test]
fn unsupported_version_is_its_own_error() {
    let frame = request_frame(ApiKey::Produce.code(), 1, b"");
    let err = Request::decode(&frame).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::UnsupportedVersion {
                api: "Produce",
                version: 1
            }
        ),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
}

#[test]
fn bad_json_is_invalid_json() {
    for body in [
        &b"{\"name\": \"orders\""[..],
        b"{\"name\": 7, \"partitions\": 1}",
        b"{\"partitions\": 1}",
        b"[]",
        b"null",
        b"{\"name\": \"a\", \"partitions\": -1}",
        b"{\"name\": \"a\", \"partitions\": 1} trailing",
    ] {
        let err = decode_json(ApiKey::CreateTopic, body);
        assert!(
            matches!(
                err,
                ProtocolError::InvalidJson {
                    api: "CreateTopic",
                    ..
                }
            ),
            "{}: {err}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(err.code(), ErrorCode::InvalidRequest);
    }
}

#[test]
fn unknown_json_fields_are_ignored_and_optional_fields_default() {
    let frame = request_frame(
        ApiKey::CreateTopic.code(),
        0,
        br#"{"name":"orders","partitions":3,"added_in_a_later_release":{"x":[1,2]}}"#,
    );
    assert_eq!(
        Request::decode(&frame).unwrap(),
        Request::CreateTopic(CreateTopicRequest {
            name: "orders".into(),
            partitions: 3,
            config: Default::default(),
        })
    );
}

#[test]
fn bad_utf8_is_invalid_utf8() {
    let err = decode_json(ApiKey::DeleteTopic, b"{\"name\": \"\xff\xfe\"}");
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { what: "JSON body" }),
        "{err}"
    );
    // A binary body's topic name.
    let mut body = vec![1u8];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&[0, 2, 0xc3, 0x28]);
    let err = ProduceRequest::decode(Bytes::from(body)).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::InvalidUtf8 {
                what: "produce topic"
            }
        ),
        "{err}"
    );
}

fn fetch_body() -> Vec<u8> {
    let mut out = Vec::new();
    FetchRequest {
        max_wait_ms: 100,
        min_bytes: 1,
        max_bytes: 1024,
        partitions: vec![rustlog_protocol::messages::fetch::FetchPartition {
            topic: "t".into(),
            partition: 0,
            fetch_offset: 5,
            partition_max_bytes: 1024,
        }],
    }
    .encode(&mut out);
    out
}

#[test]
fn truncated_binary_bodies_are_truncated() {
    let body = fetch_body();
    for cut in 0..body.len() {
        let err = FetchRequest::decode(Bytes::copy_from_slice(&body[..cut])).unwrap_err();
        assert!(
            matches!(err, ProtocolError::Truncated { .. }),
            "cut {cut}: {err}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidRequest);
    }
    assert!(FetchRequest::decode(Bytes::from(body)).is_ok());
}

#[test]
fn trailing_bytes_after_a_binary_body_are_refused() {
    let mut body = fetch_body();
    body.push(0);
    let err = FetchRequest::decode(Bytes::from(body)).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::TrailingBytes {
                what: "fetch request",
                extra: 1
            }
        ),
        "{err}"
    );
    let mut body = Vec::new();
    ProduceResponse { partitions: vec![] }.encode(&mut body);
    body.extend_from_slice(b"xyz");
    assert!(matches!(
        ProduceResponse::decode(Bytes::from(body)),
        Err(ProtocolError::TrailingBytes { extra: 3, .. })
    ));
}

#[test]
fn counts_and_lengths_above_their_limits_are_refused_before_allocation() {
    // Partition count above the limit, with no bytes behind it.
    let mut body = vec![1u8];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(&(PARTITIONS_PER_REQUEST_MAX + 1).to_be_bytes());
    let err = ProduceRequest::decode(Bytes::from(body)).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::LimitExceeded {
                what: "produce partition count",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.code(), ErrorCode::RecordTooLarge);
    // A count at the limit but with no entries is merely truncated.
    let mut body = vec![1u8];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(&PARTITIONS_PER_REQUEST_MAX.to_be_bytes());
    assert!(matches!(
        ProduceRequest::decode(Bytes::from(body)),
        Err(ProtocolError::Truncated { .. })
    ));
    // A batch length above the batch limit.
    let mut body = vec![1u8];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&[0, 1, b't']);
    body.extend_from_slice(&0u32.to_be_bytes());
    body.extend_from_slice(&(BATCH_BYTES_MAX + 1).to_be_bytes());
    assert!(matches!(
        ProduceRequest::decode(Bytes::from(body)),
        Err(ProtocolError::LimitExceeded {
            what: "produce batch bytes",
            ..
        })
    ));
}

#[test]
fn invalid_acks_is_an_invalid_enum() {
    let mut body = vec![3u8];
    body.extend_from_slice(&1000u32.to_be_bytes());
    body.extend_from_slice(&0u32.to_be_bytes());
    assert!(matches!(
        ProduceRequest::decode(Bytes::from(body)),
        Err(ProtocolError::InvalidEnum {
            what: "acks",
            value: 3
        })
    ));
}

#[test]
fn responses_with_unknown_error_codes_are_refused() {
    let mut buf = BytesMut::new();
    encode_response_frame(&mut buf, 1, ErrorCode::None, |out| out.put_slice(b"{}"));
    buf[8..10].copy_from_slice(&999u16.to_be_bytes());
    let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .unwrap();
    assert!(matches!(
        Response::decode(ApiKey::Ping, &frame),
        Err(ProtocolError::UnknownErrorCode(999))
    ));
    // Also inside a JSON body.
    let mut buf = BytesMut::new();
    encode_response_frame(&mut buf, 1, ErrorCode::None, |out| {
        out.put_slice(br#"{"partitions":[{"topic":"t","partition":0,"error_code":999}]}"#)
    });
    let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .unwrap();
    assert!(matches!(
        Response::decode(ApiKey::OffsetCommit, &frame),
        Err(ProtocolError::InvalidJson { .. })
    ));
}

#[test]
fn error_responses_carry_code_and_message_for_any_api() {
    let mut buf = BytesMut::new();
    rustlog_protocol::encode_error_response(
        &mut buf,
        77,
        ErrorCode::TopicNotFound,
        "topic \"x\" does not exist",
    );
    let frame = decode_response_frame(&mut buf, FRAME_BYTES_MAX)
        .unwrap()
        .unwrap();
    assert_eq!(frame.header.correlation_id, 77);
    for api in ApiKey::ALL {
        assert_eq!(
            Response::decode(*api, &frame).unwrap(),
            ResponseBody::Err {
                code: ErrorCode::TopicNotFound,
                message: "topic \"x\" does not exist".into(),
            }
        );
    }
}

#[test]
fn encoders_patch_the_length_prefix() {
    let mut buf = BytesMut::new();
    buf.put_slice(b"earlier bytes");
    encode_request_frame(&mut buf, ApiKey::Ping, 0, 5, |out| out.put_slice(b"{}"));
    assert_eq!(&buf[13..17], &10u32.to_be_bytes());
    assert_eq!(&buf[17..], &[0, 1, 0, 0, 0, 0, 0, 5, b'{', b'}']);
}

#[test]
fn api_key_numbers_round_trip_and_unknown_numbers_are_none() {
    for (i, api) in ApiKey::ALL.iter().enumerate() {
        assert_eq!(usize::from(api.code()), i, "ApiKey::ALL is in number order");
        assert_eq!(ApiKey::from_code(api.code()), Some(*api));
    }
    assert_eq!(ApiKey::from_code(ApiKey::ALL.len() as u16), None);
    assert_eq!(ApiKey::from_code(u16::MAX), None);
}

#[test]
fn every_decode_error_maps_to_its_wire_code() {
    let cases: Vec<(ProtocolError, ErrorCode)> = vec![
        (
            ProtocolError::FrameTooLarge { length: 1, max: 0 },
            ErrorCode::RecordTooLarge,
        ),
        (
            ProtocolError::LimitExceeded {
                what: "x",
                value: 1,
                max: 0,
            },
            ErrorCode::RecordTooLarge,
        ),
        (ProtocolError::UnknownApiKey(99), ErrorCode::UnknownApiKey),
        (
            ProtocolError::UnsupportedVersion {
                api: "Ping",
                version: 9,
            },
            ErrorCode::UnsupportedVersion,
        ),
        (
            ProtocolError::CrcMismatch {
                stored: 1,
                computed: 2,
            },
            ErrorCode::CorruptRecord,
        ),
        (
            ProtocolError::InvalidBatch { reason: "x".into() },
            ErrorCode::InvalidRecord,
        ),
        (
            rustlog_protocol::names::validate_topic_name("a/b").unwrap_err(),
            ErrorCode::InvalidTopicName,
        ),
        (
            rustlog_protocol::names::validate_group_id("").unwrap_err(),
            ErrorCode::InvalidGroupId,
        ),
        (
            ProtocolError::FrameTooSmall { length: 1, min: 8 },
            ErrorCode::InvalidRequest,
        ),
        (
            ProtocolError::Truncated {
                what: "x",
                needed: 2,
                available: 1,
            },
            ErrorCode::InvalidRequest,
        ),
        (
            ProtocolError::TrailingBytes {
                what: "x",
                extra: 1,
            },
            ErrorCode::InvalidRequest,
        ),
        (
            ProtocolError::InvalidUtf8 { what: "x" },
            ErrorCode::InvalidRequest,
        ),
        (
            ProtocolError::InvalidEnum {
                what: "acks",
                value: 9,
            },
            ErrorCode::InvalidRequest,
        ),
        (
            ProtocolError::UnknownErrorCode(999),
            ErrorCode::InvalidRequest,
        ),
        (decode_json(ApiKey::Ping, b"{"), ErrorCode::InvalidRequest),
        (
            ProtocolError::UnsupportedCompression { codec: 5 },
            ErrorCode::UnsupportedCompressionType,
        ),
        (
            ProtocolError::InvalidCompressionLevel {
                codec: "gzip",
                level: 10,
                reason: "x".into(),
            },
            ErrorCode::UnsupportedCompressionType,
        ),
        (
            ProtocolError::Decompression {
                codec: "zstd",
                reason: "x".into(),
            },
            ErrorCode::CorruptRecord,
        ),
        (
            ProtocolError::Unsupported {
                what: "transactional batches",
            },
            ErrorCode::InvalidRecord,
        ),
    ];
    for (err, code) in cases {
        assert_eq!(err.code(), code, "{err}");
        assert!(code.is_wire());
    }
}

#[test]
fn error_codes_travel_as_numbers_in_json() {
    let json = serde_json::to_string(&ErrorCode::RebalanceInProgress).unwrap();
    assert_eq!(json, "27", "Kafka's REBALANCE_IN_PROGRESS");
    assert_eq!(
        serde_json::from_str::<ErrorCode>("3").unwrap(),
        ErrorCode::TopicNotFound
    );
    assert_eq!(serde_json::to_string(&ErrorCode::Unknown).unwrap(), "65535");
    assert!(
        serde_json::from_str::<ErrorCode>("-1").is_err(),
        "u16 on the native wire"
    );
    assert!(serde_json::from_str::<ErrorCode>("999").is_err());
    assert!(serde_json::from_str::<ErrorCode>("\"TopicNotFound\"").is_err());
}

#[test]
fn every_truncation_of_every_sample_body_is_an_error_not_a_panic() {
    let requests = common::sample_requests().into_iter().map(|(_, r)| {
        let api = r.api_key();
        (api, r.encode_body().unwrap(), true)
    });
    let responses = common::sample_responses().into_iter().map(|(_, r)| {
        let api = r.api_key();
        (api, r.encode_body().unwrap(), false)
    });
    for (api, body, is_request) in requests.chain(responses) {
        for cut in 0..body.len() {
            let prefix = Bytes::copy_from_slice(&body[..cut]);
            let err = if is_request {
                Request::decode_body(api, prefix).unwrap_err()
            } else {
                Response::decode_body(api, prefix).unwrap_err()
            };
            if api.is_binary() {
                assert!(
                    matches!(err, ProtocolError::Truncated { .. }),
                    "{api} cut {cut}: {err}"
                );
            } else {
                assert!(
                    matches!(err, ProtocolError::InvalidJson { .. }),
                    "{api} cut {cut}: {err}"
                );
            }
            assert_eq!(err.code(), ErrorCode::InvalidRequest);
        }
    }
}

#[test]
fn errors_kafka_also_has_carry_kafkas_numbers() {
    for (code, number, retriable) in [
        (ErrorCode::Unknown, 65535, false), // Kafka's -1 as 16 bits
        (ErrorCode::OffsetOutOfRange, 1, false),
        (ErrorCode::CorruptRecord, 2, false),
        (ErrorCode::TopicNotFound, 3, false),
        (ErrorCode::RequestTimedOut, 7, true),
        (ErrorCode::RecordTooLarge, 10, false),
        (ErrorCode::InvalidTopicName, 17, false),
        (ErrorCode::RebalanceInProgress, 27, true),
        (ErrorCode::UnsupportedVersion, 35, false),
        (ErrorCode::InvalidRequest, 42, false),
        (ErrorCode::GroupNotFound, 69, false),
        (ErrorCode::InvalidRecord, 87, false),
        (ErrorCode::OutOfOrderSequenceNumber, 45, false),
        (ErrorCode::InvalidProducerEpoch, 47, false),
        (ErrorCode::UnknownProducerId, 59, false),
        (ErrorCode::UnsupportedCompressionType, 76, false),
    ] {
        assert_eq!(code.code(), number, "{code}");
        assert_eq!(ErrorCode::from_code(number), Some(code));
        assert_eq!(code.is_retriable(), retriable, "{code}");
        assert!(code.is_wire() && code.is_kafka(), "{code}");
    }
}
