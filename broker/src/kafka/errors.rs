//! RustLog's error codes as Kafka error numbers: the one place the Kafka listener translates an
//! error. (The native numbers keep their own values for now; a later change renumbers them to
//! Kafka's, and then this table becomes the identity where Kafka has the error.)

use kafka_protocol::ResponseError as K;
use rustlog_protocol::ErrorCode;

/// The Kafka error number for a RustLog error code (`0` for success, `-1` when Kafka has no
/// equivalent).
pub fn kafka_error_code(code: ErrorCode) -> i16 {
    let kafka = match code {
        ErrorCode::None => return 0,
        ErrorCode::CorruptRecord => K::CorruptMessage,
        ErrorCode::UnsupportedVersion | ErrorCode::UnknownApiKey => K::UnsupportedVersion,
        ErrorCode::InvalidRequest => K::InvalidRequest,
        ErrorCode::RecordTooLarge => K::MessageTooLarge,
        ErrorCode::TopicNotFound | ErrorCode::PartitionNotFound => K::UnknownTopicOrPartition,
        ErrorCode::TopicAlreadyExists => K::TopicAlreadyExists,
        ErrorCode::InvalidTopicName => K::InvalidTopicException,
        ErrorCode::InvalidPartitions => K::InvalidPartitions,
        ErrorCode::InvalidConfig => K::InvalidConfig,
        ErrorCode::OffsetOutOfRange => K::OffsetOutOfRange,
        ErrorCode::StorageError | ErrorCode::DiskFull => K::KafkaStorageError,
        ErrorCode::RequestTimedOut => K::RequestTimedOut,
        // Kafka clients answer this by refreshing metadata and retrying: right for a broker
        // that is about to stop and come back.
        ErrorCode::BrokerShuttingDown => K::NotLeaderOrFollower,
        ErrorCode::InvalidRecord => K::InvalidRecord,
        ErrorCode::UnknownMemberId => K::UnknownMemberId,
        ErrorCode::IllegalGeneration => K::IllegalGeneration,
        ErrorCode::RebalanceInProgress => K::RebalanceInProgress,
        ErrorCode::InvalidGroupId => K::InvalidGroupId,
        ErrorCode::GroupNotFound => K::GroupIdNotFound,
        ErrorCode::InvalidSessionTimeout => K::InvalidSessionTimeout,
        ErrorCode::Throttled => K::ThrottlingQuotaExceeded,
        ErrorCode::OutOfOrderSequenceNumber => K::OutOfOrderSequenceNumber,
        ErrorCode::InvalidProducerEpoch => K::InvalidProducerEpoch,
        ErrorCode::UnknownProducerId => K::UnknownProducerId,
        ErrorCode::UnsupportedCompressionType => K::UnsupportedCompressionType,
        ErrorCode::OffsetMetadataTooLarge => K::OffsetMetadataTooLarge,
        ErrorCode::CoordinatorNotAvailable => K::CoordinatorNotAvailable,
        ErrorCode::NotCoordinator => K::NotCoordinator,
        ErrorCode::InconsistentGroupProtocol => K::InconsistentGroupProtocol,
        ErrorCode::NonEmptyGroup => K::NonEmptyGroup,
        ErrorCode::MemberIdRequired => K::MemberIdRequired,
        ErrorCode::GroupMaxSizeReached => K::GroupMaxSizeReached,
        ErrorCode::FencedInstanceId => K::FencedInstanceId,
        ErrorCode::GroupSubscribedToTopic => K::GroupSubscribedToTopic,
        _ => K::UnknownServerError,
    };
    kafka.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_numbers_of_common_errors() {
        assert_eq!(kafka_error_code(ErrorCode::None), 0);
        assert_eq!(kafka_error_code(ErrorCode::TopicNotFound), 3);
        assert_eq!(kafka_error_code(ErrorCode::PartitionNotFound), 3);
        assert_eq!(kafka_error_code(ErrorCode::OffsetOutOfRange), 1);
        assert_eq!(kafka_error_code(ErrorCode::TopicAlreadyExists), 36);
        assert_eq!(kafka_error_code(ErrorCode::OutOfOrderSequenceNumber), 45);
        assert_eq!(kafka_error_code(ErrorCode::Unknown), -1);
        for code in ErrorCode::ALL {
            // Every code maps to some Kafka number, never to "no error" unless it is None.
            assert_eq!(kafka_error_code(*code) == 0, *code == ErrorCode::None);
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
