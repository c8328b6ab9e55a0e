//! OffsetFetch: a group's committed offsets (`None` where it never committed).

use crate::error::HandlerError;
use crate::state::BrokerState;
use rustlog_protocol::messages::offset_fetch::{
    OffsetFetchPartition, OffsetFetchRequest, OffsetFetchResponse,
};
use rustlog_protocol::ErrorCode;

pub fn handle(
    state: &BrokerState,
    request: OffsetFetchRequest,
) -> Result<OffsetFetchResponse, HandlerError> {
    let wanted: Option<Vec<(String, u32)>> = request.partitions.map(|list| {
        list.into_iter()
            .map(|tp| (tp.topic, tp.partition))
            .collect()
    });
    let offsets = state
        .groups
        .committed(&request.group_id, wanted.as_deref())?
        .into_iter()
        .map(|(topic, partition, found)| {
            let (offset, metadata) = match found {
                Some((offset, metadata)) => (Some(offset), metadata),
                None => (None, None),
            };
            OffsetFetchPartition {
                topic,
                partition,
                offset,
                metadata,
                error_code: ErrorCode::None,
            }
        })
        .collect();
    Ok(OffsetFetchResponse { offsets })
}
