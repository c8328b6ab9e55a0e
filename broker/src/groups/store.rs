//! Crash-safe persistence of consumer-group state under `<data_dir>/groups/`: one JSON file per
//! group (committed offsets, last generation, assignor, protocol type of a Kafka group and, while
//! it is Stable, its members), replaced atomically (write a temp file,
//! fsync it, rename it over the old one, fsync the directory), so a crash leaves either the old
//! or the new file, never a torn one.

use super::assignor::Assignor;
use crate::error::BrokerError;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the groups directory inside the data dir.
pub const GROUPS_DIR: &str = "groups";
/// Characters of the group id kept readable in its file name (the rest is a hash).
const FILE_NAME_PREFIX_CHARS: usize = 64;

/// What is stored for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFile {
    pub group_id: String,
    pub generation_id: i32,
    pub assignor: Assignor,
    /// The protocol type ("consumer") of a Kafka group; absent for a native group (and in
    /// files written before Kafka groups existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_type: Option<String>,
    pub offsets: Vec<StoredOffset>,
    /// A Kafka group's Stable generation (written once its assignment is stored, absent in any
    /// other state and in older files): restored on start-up so members carry on, as Kafka's
    /// coordinator reloads group metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka_generation: Option<StoredKafkaGeneration>,
}

/// The members of a Kafka group's Stable generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKafkaGeneration {
    /// Must equal the file's `generation_id`; anything else is stale and not restored.
    pub generation_id: i32,
    pub protocol_name: String,
    pub leader: String,
    /// In join order (the earliest remaining member becomes leader when the leader leaves).
    pub members: Vec<StoredKafkaMember>,
}

/// One member of a stored Kafka generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKafkaMember {
    pub member_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: u32,
    pub rebalance_timeout_ms: u32,
    /// Every protocol the member supports (not only the chosen one, unlike Kafka), so an
    /// unchanged rejoin after a restart does not rebalance.
    pub protocols: Vec<StoredProtocol>,
    /// The leader's assignment bytes, hex.
    #[serde(with = "hex_bytes")]
    pub assignment: Vec<u8>,
}

/// A protocol name with the member's metadata for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProtocol {
    pub name: String,
    /// Hex.
    #[serde(with = "hex_bytes")]
    pub metadata: Vec<u8>,
}

/// Opaque bytes as a lowercase hex string: half the size of JSON's number arrays, and readable.
mod hex_bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write;
        let mut text = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(text, "{b:02x}");
        }
        serializer.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() % 2 != 0 {
            return Err(D::Error::custom(format!(
                "hex bytes of odd length {}",
                text.len()
            )));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(|| D::Error::custom(format!("bad hex at byte {i}")))
            })
            .collect()
    }
}

/// One committed position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOffset {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// The groups directory.
#[derive(Debug, Clone)]
pub struct GroupStore {
    dir: PathBuf,
}

impl GroupStore {
    /// Creates `<data_dir>/groups/` if needed.
    pub fn open(data_dir: &Path) -> Result<GroupStore, BrokerError> {
        let dir = data_dir.join(GROUPS_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| BrokerError::Io {
            op: "create groups dir",
            path: dir.clone(),
            source,
        })?;
        Ok(GroupStore { dir })
    }

    /// Reads every stored group. Leftover temp files of an interrupted write are removed; a file
    /// that does not parse stops start-up (it is never silently dropped).
    pub fn load_all(&self) -> Result<Vec<GroupFile>, BrokerError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| BrokerError::Io {
            op: "list groups dir",
            path: self.dir.clone(),
            source,
        })?;
        let mut groups = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| BrokerError::Io {
                op: "list groups dir",
                path: self.dir.clone(),
                source,
            })?;
            let path = entry.path();
            match path.extension().and_then(|e| e.to_str()) {
                Some("tmp") => {
                    let _ = std::fs::remove_file(&path);
                }
                Some("json") => {
                    let bytes = std::fs::read(&path).map_err(|source| BrokerError::Io {
                        op: "read group file",
                        path: path.clone(),
                        source,
                    })?;
                    let group: GroupFile =
                        serde_json::from_slice(&bytes).map_err(|err| BrokerError::Io {
                            op: "parse group file",
                            path: path.clone(),
                            source: std::io::Error::new(std::io::ErrorKind::InvalidData, err),
                        })?;
                    groups.push(group);
                }
                _ => {}
            }
        }
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(groups)
    }

    /// Atomically replaces the group's file. Blocking (fsync): call from `spawn_blocking`.
    pub fn save(&self, group: &GroupFile) -> std::io::Result<()> {
        let path = self.path_for(&group.group_id);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(group)
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err))?;
        {
            let mut file = File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        File::open(&self.dir)?.sync_all()
    }

    /// Removes the group's file (if any) and makes the removal durable. Blocking: call from
    /// `spawn_blocking`.
    pub fn delete(&self, group_id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path_for(group_id)) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        }
        File::open(&self.dir)?.sync_all()
    }

    /// The file of a group: a readable prefix of the id plus a hash of the whole id, because
    /// group ids may hold any character and be longer than a file name may be.
    pub fn path_for(&self, group_id: &str) -> PathBuf {
        let readable: String = group_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(FILE_NAME_PREFIX_CHARS)
            .collect();
        self.dir
            .join(format!("g-{readable}-{:016x}.json", fnv1a(group_id)))
    }
}

/// FNV-1a 64: stable across runs and platforms (std's hashers are not).
fn fnv1a(text: &str) -> u64 {
    let mut hasher = Fnv1a(0xcbf2_9ce4_8422_2325);
    hasher.write(text.as_bytes());
    hasher.finish()
}

struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = GroupStore::open(dir.path()).unwrap();
        let group = GroupFile {
            group_id: "a/b \"weird\" group".into(),
            generation_id: 7,
            assignor: Assignor::RoundRobin,
            protocol_type: Some("consumer".into()),
            offsets: vec![StoredOffset {
                topic: "t".into(),
                partition: 1,
                offset: 42,
                metadata: Some("m".into()),
            }],
            kafka_generation: Some(StoredKafkaGeneration {
                generation_id: 7,
                protocol_name: "range".into(),
                leader: "m1".into(),
                members: vec![StoredKafkaMember {
                    member_id: "m1".into(),
                    group_instance_id: Some("i".into()),
                    client_id: "c".into(),
                    client_host: "h".into(),
                    session_timeout_ms: 10,
                    rebalance_timeout_ms: 20,
                    protocols: vec![StoredProtocol {
                        name: "range".into(),
                        metadata: vec![0, 1, 0xab, 0xff],
                    }],
                    assignment: vec![9, 0x10],
                }],
            }),
        };
        store.save(&group).unwrap();
        std::fs::write(dir.path().join("groups/x.json.tmp"), b"torn").unwrap();
        let loaded = store.load_all().unwrap();
        assert_eq!(loaded, vec![group]);
        assert!(!dir.path().join("groups/x.json.tmp").exists());
    }

    #[test]
    fn files_without_protocol_type_load_as_native_and_delete_removes() {
        let dir = tempfile::tempdir().unwrap();
        let store = GroupStore::open(dir.path()).unwrap();
        let old = r#"{"group_id":"g","generation_id":3,"assignor":"range","offsets":[]}"#;
        std::fs::write(store.path_for("g"), old).unwrap();
        let loaded = store.load_all().unwrap();
        assert_eq!(loaded[0].protocol_type, None);
        assert_eq!(loaded[0].generation_id, 3);
        assert_eq!(loaded[0].kafka_generation, None);
        store.delete("g").unwrap();
        assert!(store.load_all().unwrap().is_empty());
        store.delete("g").unwrap();
    }

    #[test]
    fn bad_hex_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = GroupStore::open(dir.path()).unwrap();
        let file = r#"{"group_id":"g","generation_id":1,"assignor":"range","offsets":[],
            "kafka_generation":{"generation_id":1,"protocol_name":"r","leader":"m","members":[
            {"member_id":"m","client_id":"","client_host":"","session_timeout_ms":1,
             "rebalance_timeout_ms":1,"protocols":[],"assignment":"zz"}]}}"#;
        std::fs::write(store.path_for("g"), file).unwrap();
        let err = store.load_all().unwrap_err();
        assert!(err.to_string().contains("g-g-"), "{err}");
    }

    #[test]
    fn corrupt_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = GroupStore::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("groups/g-x-0.json"), b"{not json").unwrap();
        let err = store.load_all().unwrap_err();
        assert!(err.to_string().contains("g-x-0.json"), "{err}");
    }
}
