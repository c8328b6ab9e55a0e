//! The api keys (request kinds) and the versions this codec speaks.

/// A request kind. The number is the `api_key` of the request header and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(u16)]
pub enum ApiKey {
    ApiVersions = 0,
    Ping = 1,
    Produce = 2,
    Fetch = 3,
    ListOffsets = 4,
    CreateTopic = 5,
    DeleteTopic = 6,
    ListTopics = 7,
    DescribeTopic = 8,
    DescribePartition = 9,
    OffsetCommit = 10,
    OffsetFetch = 11,
    JoinGroup = 12,
    Heartbeat = 13,
    LeaveGroup = 14,
    MetricsFetch = 15,
    ListGroups = 16,
    DescribeGroup = 17,
    InitProducer = 18,
    CreatePartitions = 19,
    DeleteGroup = 20,
}

impl ApiKey {
    /// Every api key, in number order.
    pub const ALL: &'static [ApiKey] = &[
        ApiKey::ApiVersions,
        ApiKey::Ping,
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::CreateTopic,
        ApiKey::DeleteTopic,
        ApiKey::ListTopics,
        ApiKey::DescribeTopic,
        ApiKey::DescribePartition,
        ApiKey::OffsetCommit,
        ApiKey::OffsetFetch,
        ApiKey::JoinGroup,
        ApiKey::Heartbeat,
        ApiKey::LeaveGroup,
        ApiKey::MetricsFetch,
        ApiKey::ListGroups,
        ApiKey::DescribeGroup,
        ApiKey::InitProducer,
        ApiKey::CreatePartitions,
        ApiKey::DeleteGroup,
    ];

    /// The wire number.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Looks up a wire number.
    pub fn from_code(code: u16) -> Option<ApiKey> {
        ApiKey::ALL.get(usize::from(code)).copied()
    }

    /// Stable name, as used in metrics labels and the spec.
    pub const fn name(self) -> &'static str {
        match self {
            ApiKey::ApiVersions => "ApiVersions",
            ApiKey::Ping => "Ping",
            ApiKey::Produce => "Produce",
            ApiKey::Fetch => "Fetch",
            ApiKey::ListOffsets => "ListOffsets",
            ApiKey::CreateTopic => "CreateTopic",
            ApiKey::DeleteTopic => "DeleteTopic",
            ApiKey::ListTopics => "ListTopics",
            ApiKey::DescribeTopic => "DescribeTopic",
            ApiKey::DescribePartition => "DescribePartition",
            ApiKey::OffsetCommit => "OffsetCommit",
            ApiKey::OffsetFetch => "OffsetFetch",
            ApiKey::JoinGroup => "JoinGroup",
            ApiKey::Heartbeat => "Heartbeat",
            ApiKey::LeaveGroup => "LeaveGroup",
            ApiKey::MetricsFetch => "MetricsFetch",
            ApiKey::ListGroups => "ListGroups",
            ApiKey::DescribeGroup => "DescribeGroup",
            ApiKey::InitProducer => "InitProducer",
            ApiKey::CreatePartitions => "CreatePartitions",
            ApiKey::DeleteGroup => "DeleteGroup",
        }
    }

    /// Oldest version of this api the codec speaks.
    pub const fn min_version(self) -> u16 {
        0
    }

    /// Newest version of this api the codec speaks.
    pub const fn max_version(self) -> u16 {
        0
    }

    /// True for the binary data-plane apis (Produce, Fetch); the others carry JSON bodies.
    pub const fn is_binary(self) -> bool {
        matches!(self, ApiKey::Produce | ApiKey::Fetch)
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
