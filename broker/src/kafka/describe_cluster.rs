//! DescribeCluster: cluster id `rustlog`, controller node 0, and the one broker at its advertised
//! address. v1's `endpoint_type` 1 asks for brokers; 2 (controllers) is a KRaft controller
//! listener this broker does not have: UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker answers.

use super::{CLUSTER_ID, NODE_ID};
use crate::state::BrokerState;
use kafka_protocol::messages::describe_cluster_request::DescribeClusterRequest;
use kafka_protocol::messages::describe_cluster_response::{
    DescribeClusterBroker, DescribeClusterResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

/// Kafka's endpoint types (v1).
const ENDPOINT_BROKERS: i8 = 1;

pub fn handle(state: &BrokerState, request: DescribeClusterRequest) -> DescribeClusterResponse {
    let response = DescribeClusterResponse::default()
        .with_endpoint_type(request.endpoint_type)
        .with_cluster_id(StrBytes::from_static_str(CLUSTER_ID))
        .with_controller_id(NODE_ID);
    if request.endpoint_type != ENDPOINT_BROKERS {
        return response
            .with_error_code(ResponseError::UnsupportedEndpointType.code())
            .with_error_message(Some(StrBytes::from_string(format!(
                "endpoint type {} is not served: this broker has only broker endpoints (1)",
                request.endpoint_type
            ))));
    }
    let brokers = state
        .kafka_advertised
        .iter()
        .map(|endpoint| {
            DescribeClusterBroker::default()
                .with_broker_id(NODE_ID)
                .with_host(StrBytes::from_string(endpoint.host.clone()))
                .with_port(i32::from(endpoint.port))
        })
        .collect();
    response.with_brokers(brokers)
}
