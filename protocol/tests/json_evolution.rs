//! The JSON evolution rules of SPEC.md §6.1 and §13: readers ignore unknown fields at every
//! nesting level, absent optional fields take their defaults, absent nullable fields read as
//! null. This is what lets a newer peer add fields without a version bump.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bytes::Bytes;
use rustlog_protocol::messages::join_group::{Assignor, JoinGroupRequest};
use rustlog_protocol::messages::list_offsets::ListOffsetsResponse;
use rustlog_protocol::{ApiKey, Request, Response};
use serde_json::Value;

/// Adds an unknown field to every object in `value`, except the members of string maps
/// (`config`), where a new key would be a real config entry.
fn add_unknown_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key != "config" {
                    add_unknown_fields(child);
                }
            }
            map.insert(
                "zz_added_later".to_string(),
                serde_json::json!({"nested": [1, null, "x"], "flag": true}),
            );
        }
        Value::Array(items) => items.iter_mut().for_each(add_unknown_fields),
        _ => {}
    }
}

fn with_unknown_fields(body: &[u8]) -> Bytes {
    let mut value: Value = serde_json::from_slice(body).unwrap();
    add_unknown_fields(&mut value);
    Bytes::from(serde_json::to_vec(&value).unwrap())
}

#[test]
fn unknown_fields_are_ignored_in_every_json_request() {
    for (_, request) in common::sample_requests() {
        let api = request.api_key();
        if api.is_binary() {
            continue;
        }
        let body = with_unknown_fields(&request.encode_body().unwrap());
        assert_eq!(Request::decode_body(api, body).unwrap(), request, "{api}");
    }
}

#[test]
fn unknown_fields_are_ignored_in_every_json_response() {
    for (_, response) in common::sample_responses() {
        let api = response.api_key();
        if api.is_binary() {
            continue;
        }
        let body = with_unknown_fields(&response.encode_body().unwrap());
        assert_eq!(Response::decode_body(api, body).unwrap(), response, "{api}");
    }
}

#[test]
fn unknown_fields_are_ignored_in_error_bodies() {
    let mut buf = bytes::BytesMut::new();
    rustlog_protocol::frame::encode_response_frame(
        &mut buf,
        1,
        rustlog_protocol::ErrorCode::Unknown,
        |out| out.extend_from_slice(br#"{"message":"m","detail":{"x":1}}"#),
    );
    let frame = rustlog_protocol::frame::decode_response_frame(&mut buf, u32::MAX)
        .unwrap()
        .unwrap();
    assert_eq!(
        Response::decode(ApiKey::Ping, &frame).unwrap(),
        rustlog_protocol::ResponseBody::Err {
            code: rustlog_protocol::ErrorCode::Unknown,
            message: "m".into()
        }
    );
}

#[test]
fn absent_optional_fields_take_their_defaults() {
    let body =
        br#"{"group_id":"g","topics":["t"],"session_timeout_ms":1,"rebalance_timeout_ms":2}"#;
    let request = Request::decode_body(ApiKey::JoinGroup, Bytes::from_static(body)).unwrap();
    assert_eq!(
        request,
        Request::JoinGroup(JoinGroupRequest {
            group_id: "g".into(),
            member_id: None,
            client_id: String::new(),
            topics: vec!["t".into()],
            session_timeout_ms: 1,
            rebalance_timeout_ms: 2,
            assignor: Assignor::Range,
        })
    );
    let request = Request::decode_body(ApiKey::ApiVersions, Bytes::from_static(b"{}")).unwrap();
    assert_eq!(request, Request::ApiVersions(Default::default()));
    // An empty InitProducer asks for a new producer id (-1, -1).
    let request = Request::decode_body(ApiKey::InitProducer, Bytes::from_static(b"{}")).unwrap();
    assert_eq!(
        request,
        Request::InitProducer(
            rustlog_protocol::messages::init_producer::InitProducerRequest {
                producer_id: -1,
                producer_epoch: -1,
            }
        )
    );
}

#[test]
fn absent_nullable_fields_read_as_null() {
    let body = br#"{"partitions":[{"topic":"t","partition":0,"error_code":0}]}"#;
    let Response::ListOffsets(ListOffsetsResponse { partitions }) =
        Response::decode_body(ApiKey::ListOffsets, Bytes::from_static(body)).unwrap()
    else {
        panic!("wrong kind");
    };
    assert_eq!(partitions[0].offset, None);
    assert_eq!(partitions[0].timestamp_ms, None);
}

#[test]
fn missing_required_fields_and_unknown_enum_values_are_invalid_json() {
    for (api, body) in [
        (ApiKey::Heartbeat, &br#"{"group_id":"g","member_id":"m"}"#[..]),
        (ApiKey::JoinGroup, br#"{"group_id":"g","topics":[],"session_timeout_ms":1,"rebalance_timeout_ms":2,"assignor":"sticky"}"#),
        (ApiKey::ListOffsets, br#"{"partitions":[{"topic":"t","partition":0,"spec":{"type":"newest"}}]}"#),
        (ApiKey::ListOffsets, br#"{"partitions":[{"topic":"t","partition":0,"spec":{"type":"timestamp"}}]}"#),
        (ApiKey::CreateTopic, br#"{"name":"t","partitions":1,"config":{"retention.ms":5}}"#),
        (ApiKey::OffsetCommit, br#"{"group_id":"g","offsets":[{"topic":"t","partition":0,"offset":1.5}]}"#),
        (ApiKey::InitProducer, br#"{"producer_id":1,"producer_epoch":40000}"#),
    ] {
        let err = Request::decode_body(api, Bytes::from_static(body)).unwrap_err();
        assert!(
            matches!(err, rustlog_protocol::ProtocolError::InvalidJson { .. }),
            "{api} {}: {err}",
            String::from_utf8_lossy(body)
        );
    }
}
