//! The `authorized_operations` bit sets of Metadata (v8+), DescribeCluster and DescribeGroups
//! (v3+). A client asks for them with an `include_*_authorized_operations` flag; without the
//! flag the field keeps Kafka's "not asked" value, `i32::MIN`. RustLog has no ACLs yet, so every
//! operation a resource type supports is allowed, as on a Kafka broker without an authorizer.
//! (Some clients, kafka-python among them, cannot read the "not asked" value once they asked.)

/// Kafka's `AclOperation` codes, each a bit position.
const READ: u8 = 3;
const WRITE: u8 = 4;
const CREATE: u8 = 5;
const DELETE: u8 = 6;
const ALTER: u8 = 7;
const DESCRIBE: u8 = 8;
const CLUSTER_ACTION: u8 = 9;
const DESCRIBE_CONFIGS: u8 = 10;
const ALTER_CONFIGS: u8 = 11;
const IDEMPOTENT_WRITE: u8 = 12;

/// Kafka's value of a field the client did not ask for.
pub const NOT_ASKED: i32 = i32::MIN;

const fn bits(operations: &[u8]) -> i32 {
    let mut set = 0i32;
    let mut i = 0;
    while i < operations.len() {
        set |= 1 << operations[i];
        i += 1;
    }
    set
}

/// What a topic allows (Kafka's topic resource operations).
pub const TOPIC: i32 = bits(&[
    READ,
    WRITE,
    CREATE,
    DELETE,
    ALTER,
    DESCRIBE,
    DESCRIBE_CONFIGS,
    ALTER_CONFIGS,
]);
/// What the cluster allows.
pub const CLUSTER: i32 = bits(&[
    CREATE,
    ALTER,
    DESCRIBE,
    CLUSTER_ACTION,
    DESCRIBE_CONFIGS,
    ALTER_CONFIGS,
    IDEMPOTENT_WRITE,
]);
/// What a consumer group allows.
pub const GROUP: i32 = bits(&[READ, DELETE, DESCRIBE]);

/// The set when asked for, else [`NOT_ASKED`].
pub fn if_asked(asked: bool, set: i32) -> i32 {
    if asked {
        set
    } else {
        NOT_ASKED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_kafkas_bits() {
        // Kafka's broker without an authorizer reports these for a topic and a group.
        assert_eq!(TOPIC, 0b1101_1111_1000);
        assert_eq!(GROUP, (1 << 3) | (1 << 6) | (1 << 8));
        assert_eq!(if_asked(false, TOPIC), i32::MIN);
        assert_eq!(if_asked(true, CLUSTER), CLUSTER);
    }
}
