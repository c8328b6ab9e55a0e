//! DescribePartition (9): one partition's offsets, size and segments.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribePartitionRequest {
    pub topic: String,
    pub partition: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribePartitionResponse {
    pub topic: String,
    pub partition: u32,
    pub log_start_offset: u64,
    pub high_watermark: u64,
    pub size_bytes: u64,
    /// Oldest first; the last one is the active segment.
    pub segments: Vec<SegmentInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    pub base_offset: u64,
    /// The offset after the segment's last record.
    pub next_offset: u64,
    pub size_bytes: u64,
    /// Largest record timestamp in the segment; `None` when empty.
    pub max_timestamp_ms: Option<i64>,
    /// False for the active segment.
    pub sealed: bool,
}
