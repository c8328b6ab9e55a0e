//! RustLog's error codes as Kafka error numbers: the one place the Kafka listener translates an
//! error. Below 1000 (and `Unknown`, Kafka's -1) RustLog's number is Kafka's own, so it is sent
//! as it is; only the RustLog-only codes (1000-1999) need a Kafka error chosen for them.

use kafka_protocol::ResponseError as K;
use rustlog_protocol::ErrorCode;

/// The Kafka error number for a RustLog error code (`0` for success).
pub fn kafka_error_code(code: ErrorCode) -> i16 {
    if code.is_kafka() {
        return code.as_i16();
    }
    kafka_error_for_rustlog_only(code).code()
}

/// The Kafka error a Kafka client handles best for an error Kafka does not have.
fn kafka_error_for_rustlog_only(code: ErrorCode) -> K {
    match code {
        // Kafka has one error for a missing topic and a missing partition.
        ErrorCode::PartitionNotFound => K::UnknownTopicOrPartition,
        // A Kafka broker answers an api key it does not serve as an unsupported version.
        ErrorCode::UnknownApiKey => K::UnsupportedVersion,
        // Kafka has one storage error; a full disk is one of its causes.
        ErrorCode::DiskFull => K::KafkaStorageError,
        // Kafka clients answer this by refreshing metadata and retrying: right for a broker
        // that is about to stop and come back.
        ErrorCode::BrokerShuttingDown => K::NotLeaderOrFollower,
        // Kafka has no connection-cap error (it just closes); the cap closes Kafka connections
        // before any request, so this only names the rare answer in flight.
        ErrorCode::TooManyConnections => K::UnknownServerError,
        // The retriable "slow down" of Kafka's quotas.
        ErrorCode::Throttled => K::ThrottlingQuotaExceeded,
        // Client-only codes (2000 and up) never come out of the broker core.
        _ => K::UnknownServerError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustlog_protocol::error_code::{CLIENT_ONLY_MIN, RUSTLOG_ONLY_MIN};

    /// Every Kafka-numbered RustLog code and the name of Kafka's error with that number
    /// (`org.apache.kafka.common.protocol.Errors`, as the kafka-protocol crate spells it).
    const SAME_AS_KAFKA: &[(ErrorCode, &str)] = &[
        (ErrorCode::Unknown, "UnknownServerError"),
        (ErrorCode::OffsetOutOfRange, "OffsetOutOfRange"),
        (ErrorCode::CorruptRecord, "CorruptMessage"),
        (ErrorCode::TopicNotFound, "UnknownTopicOrPartition"),
        (ErrorCode::RequestTimedOut, "RequestTimedOut"),
        (ErrorCode::RecordTooLarge, "MessageTooLarge"),
        (ErrorCode::OffsetMetadataTooLarge, "OffsetMetadataTooLarge"),
        (
            ErrorCode::CoordinatorNotAvailable,
            "CoordinatorNotAvailable",
        ),
        (ErrorCode::NotCoordinator, "NotCoordinator"),
        (ErrorCode::InvalidTopicName, "InvalidTopicException"),
        (ErrorCode::InvalidRequiredAcks, "InvalidRequiredAcks"),
        (ErrorCode::IllegalGeneration, "IllegalGeneration"),
        (
            ErrorCode::InconsistentGroupProtocol,
            "InconsistentGroupProtocol",
        ),
        (ErrorCode::InvalidGroupId, "InvalidGroupId"),
        (ErrorCode::UnknownMemberId, "UnknownMemberId"),
        (ErrorCode::InvalidSessionTimeout, "InvalidSessionTimeout"),
        (ErrorCode::RebalanceInProgress, "RebalanceInProgress"),
        (ErrorCode::UnsupportedVersion, "UnsupportedVersion"),
        (ErrorCode::TopicAlreadyExists, "TopicAlreadyExists"),
        (ErrorCode::InvalidPartitions, "InvalidPartitions"),
        (
            ErrorCode::InvalidReplicationFactor,
            "InvalidReplicationFactor",
        ),
        (ErrorCode::InvalidConfig, "InvalidConfig"),
        (ErrorCode::InvalidRequest, "InvalidRequest"),
        (
            ErrorCode::OutOfOrderSequenceNumber,
            "OutOfOrderSequenceNumber",
        ),
        (ErrorCode::InvalidProducerEpoch, "InvalidProducerEpoch"),
        (ErrorCode::StorageError, "KafkaStorageError"),
        (ErrorCode::UnknownProducerId, "UnknownProducerId"),
        (ErrorCode::NonEmptyGroup, "NonEmptyGroup"),
        (ErrorCode::GroupNotFound, "GroupIdNotFound"),
        (
            ErrorCode::UnsupportedCompressionType,
            "UnsupportedCompressionType",
        ),
        (ErrorCode::MemberIdRequired, "MemberIdRequired"),
        (ErrorCode::GroupMaxSizeReached, "GroupMaxSizeReached"),
        (ErrorCode::FencedInstanceId, "FencedInstanceId"),
        (ErrorCode::GroupSubscribedToTopic, "GroupSubscribedToTopic"),
        (ErrorCode::InvalidRecord, "InvalidRecord"),
    ];

    /// The RustLog-only broker codes and the Kafka error each is sent as.
    const RUSTLOG_ONLY: &[(ErrorCode, K)] = &[
        (ErrorCode::PartitionNotFound, K::UnknownTopicOrPartition),
        (ErrorCode::UnknownApiKey, K::UnsupportedVersion),
        (ErrorCode::DiskFull, K::KafkaStorageError),
        (ErrorCode::BrokerShuttingDown, K::NotLeaderOrFollower),
        (ErrorCode::TooManyConnections, K::UnknownServerError),
        (ErrorCode::Throttled, K::ThrottlingQuotaExceeded),
    ];

    fn kafka_name(number: i16) -> String {
        match K::try_from_code(number) {
            Some(K::Unknown(n)) => format!("not a Kafka error: {n}"),
            Some(kafka) => format!("{kafka:?}"),
            None => "no error".to_string(),
        }
    }

    #[test]
    fn kafka_numbered_codes_are_kafkas_errors_of_the_same_name() {
        for (code, name) in SAME_AS_KAFKA {
            assert!(code.is_kafka(), "{code} is in the Kafka range");
            let sent = kafka_error_code(*code);
            assert_eq!(sent, code.as_i16(), "{code} is sent as it is");
            assert_eq!(kafka_name(sent), *name, "{code} means Kafka's {name}");
        }
    }

    #[test]
    fn every_kafka_numbered_code_has_its_kafka_name_checked() {
        let listed: Vec<ErrorCode> = SAME_AS_KAFKA.iter().map(|(c, _)| *c).collect();
        for code in ErrorCode::ALL.iter().filter(|c| c.is_kafka()) {
            assert!(
                *code == ErrorCode::None || listed.contains(code),
                "{code} is Kafka-numbered: add its Kafka error name to SAME_AS_KAFKA"
            );
        }
    }

    #[test]
    fn success_is_kafkas_zero_and_unknown_is_kafkas_minus_one() {
        assert_eq!(kafka_error_code(ErrorCode::None), 0);
        assert_eq!(kafka_error_code(ErrorCode::Unknown), -1);
    }

    #[test]
    fn rustlog_only_codes_map_to_the_kafka_error_clients_handle() {
        for (code, kafka) in RUSTLOG_ONLY {
            assert!(!code.is_kafka() && code.is_wire(), "{code} is RustLog-only");
            assert_eq!(kafka_error_code(*code), kafka.code(), "{code} → {kafka:?}");
        }
        let in_range = ErrorCode::ALL
            .iter()
            .filter(|c| (RUSTLOG_ONLY_MIN..CLIENT_ONLY_MIN).contains(&c.code()));
        for code in in_range {
            assert!(
                RUSTLOG_ONLY.iter().any(|(c, _)| c == code),
                "{code} is RustLog-only: choose its Kafka error in kafka_error_for_rustlog_only"
            );
        }
    }

    #[test]
    fn client_only_codes_are_never_a_kafka_success() {
        for code in ErrorCode::ALL.iter().filter(|c| !c.is_wire()) {
            assert_eq!(
                kafka_error_code(*code),
                K::UnknownServerError.code(),
                "{code}"
            );
        }
    }

    #[test]
    fn group_errors_keep_kafkas_numbers() {
        let expected = [
            (ErrorCode::OffsetMetadataTooLarge, 12),
            (ErrorCode::CoordinatorNotAvailable, 15),
            (ErrorCode::InconsistentGroupProtocol, 23),
            (ErrorCode::UnknownMemberId, 25),
            (ErrorCode::RebalanceInProgress, 27),
            (ErrorCode::NonEmptyGroup, 68),
            (ErrorCode::GroupNotFound, 69),
            (ErrorCode::MemberIdRequired, 79),
            (ErrorCode::GroupMaxSizeReached, 81),
            (ErrorCode::FencedInstanceId, 82),
            (ErrorCode::GroupSubscribedToTopic, 86),
        ];
        for (code, kafka) in expected {
            assert_eq!(kafka_error_code(code), kafka, "{code:?}");
        }
    }
}
