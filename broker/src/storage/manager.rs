//! [`LogManager`]: every topic's partition logs under one data directory, with topic metadata
//! persisted crash-safely.
//!
//! Layout: `<data_dir>/topics/<topic>/topic.json` (the commit point of a create) and
//! `<data_dir>/topics/<topic>/<partition>/` (a [`PartitionLog`]). A delete renames the topic
//! directory into `<data_dir>/deleted/` (atomic) and then removes it; `open` clears leftovers of
//! both (a topic directory without `topic.json`, anything in `deleted/`).
//!
//! Growing a topic and replacing its config overrides rewrite `topic.json` atomically, which is
//! again the commit point: new partition directories are created (and fsynced) first, so a crash
//! leaves the old or the new partition count, and `open` removes partition directories beyond
//! the committed count (an interrupted grow; nothing was ever appended to them).

use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustlog_protocol::limits::PARTITIONS_PER_TOPIC_MAX;
use rustlog_protocol::names::validate_topic_name;
use serde::{Deserialize, Serialize};

use crate::storage::config::LogConfig;
use crate::storage::error::StorageError;
use crate::storage::fsutil::{read_file, sync_dir, write_file_atomic};
use crate::storage::io::Io;
use crate::storage::log::{now_ms, PartitionLog};
use crate::storage::open_segments::{OpenSegments, OPEN_SEGMENTS_MAX_DEFAULT};
use crate::storage::producer_ids::{ProducerIdAndEpoch, ProducerIds};
use crate::storage::quarantine::{open_or_quarantine, PartitionSlot, QuarantinedPartition};

/// Directory of the topics under the data dir.
pub const TOPICS_DIR: &str = "topics";
/// Directory where deleted topics wait for removal.
pub const DELETED_DIR: &str = "deleted";
/// Metadata file of a topic.
pub const TOPIC_META_FILE: &str = "topic.json";
const TOPIC_META_VERSION: u32 = 1;

/// A topic as the broker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMeta {
    pub name: String,
    pub partitions: u32,
    /// Effective config (broker defaults with the topic's overrides applied).
    pub config: LogConfig,
    /// The keys the topic sets itself (the rest are the broker defaults).
    pub overrides: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TopicFile {
    version: u32,
    name: String,
    partitions: u32,
    /// Only the overrides are stored, so broker default changes reach old topics.
    overrides: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Topic {
    meta: TopicMeta,
    partitions: Vec<PartitionSlot>,
}

/// Many topics and partitions under one data directory.
#[derive(Debug)]
pub struct LogManager {
    data_dir: PathBuf,
    defaults: LogConfig,
    io: Arc<dyn Io>,
    /// One cap on mapped sealed segments for every partition.
    open_segments: Arc<OpenSegments>,
    topics: RwLock<BTreeMap<String, Topic>>,
    /// Serialises create and delete (they touch the disk and the map together).
    admin: Mutex<()>,
    deleted_seq: AtomicU64,
    /// Broker-wide producer id allocation (InitProducer).
    producer_ids: ProducerIds,
    /// Exclusive OS lock on `<data_dir>/.lock`, held for the manager's life: two brokers on one
    /// data directory would interleave appends and corrupt it. Released when the file closes.
    _dir_lock: std::fs::File,
}

/// Name of the lock file at the top of the data directory.
pub const LOCK_FILE: &str = ".lock";

/// Takes the data directory's exclusive lock, failing at once when another process (or another
/// `LogManager` in this one) holds it. The lock is advisory (flock), not a file operation of the
/// log, so it bypasses the `Io` trait.
pub(crate) fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File, StorageError> {
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StorageError::io("open lock file", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StorageError::DataDirLocked { path }),
        Err(std::fs::TryLockError::Error(e)) => Err(StorageError::io("lock", &path, e)),
    }
}

fn partition_dir(topic_dir: &Path, partition: u32) -> PathBuf {
    topic_dir.join(partition.to_string())
}

/// Removes partition directories numbered `committed` or above: the leftovers of a grow that
/// crashed before its `topic.json` was replaced (never visible, so never appended to).
fn remove_uncommitted_partitions(
    io: &dyn Io,
    topic_dir: &Path,
    committed: u32,
) -> Result<(), StorageError> {
    for entry in io
        .list_dir(topic_dir)
        .map_err(|e| StorageError::io("list", topic_dir, e))?
    {
        let number = entry
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok());
        if number.is_some_and(|p| p >= committed) {
            tracing::warn!(dir = %entry.display(), "removing a partition directory of an interrupted grow");
            io.remove_dir_all(&entry)
                .map_err(|e| StorageError::io("remove", &entry, e))?;
        }
    }
    Ok(())
}

/// Directory where topic directories that lost their metadata but hold records are kept.
pub const ORPHANED_DIR: &str = "orphaned";

/// A topic directory without `topic.json`: an interrupted create (no record was ever appended:
/// the topic was never visible) is removed; one that holds records lost its metadata file, so
/// it is moved whole to `<data_dir>/orphaned/` for the operator instead of being deleted.
fn set_aside_topic_without_metadata(
    io: &dyn Io,
    data_dir: &Path,
    topic_dir: &Path,
) -> Result<(), StorageError> {
    if !holds_records(io, topic_dir)? {
        tracing::warn!(dir = %topic_dir.display(), "removing a topic directory without metadata (interrupted create)");
        return io
            .remove_dir_all(topic_dir)
            .map_err(|e| StorageError::io("remove", topic_dir, e));
    }
    let orphaned = data_dir.join(ORPHANED_DIR);
    io.create_dir_all(&orphaned)
        .map_err(|e| StorageError::io("create directory", &orphaned, e))?;
    let name = topic_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("topic");
    let target = orphaned.join(format!("{name}.{}", now_ms()));
    tracing::error!(dir = %topic_dir.display(), kept_at = %target.display(), "a topic directory holds records but no topic.json: moved aside, not deleted; restore its topic.json to bring it back");
    io.rename(topic_dir, &target)
        .map_err(|e| StorageError::io("rename", topic_dir, e))?;
    sync_dir(io, &orphaned)
}

/// Whether any partition directory under `topic_dir` has a non-empty segment file.
fn holds_records(io: &dyn Io, topic_dir: &Path) -> Result<bool, StorageError> {
    let list = |dir: &Path| {
        io.list_dir(dir)
            .map_err(|e| StorageError::io("list", dir, e))
    };
    for partition_dir in list(topic_dir)? {
        let is_partition = partition_dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.parse::<u32>().is_ok());
        if !is_partition {
            continue;
        }
        for file in list(&partition_dir)? {
            let is_segment = file.extension().is_some_and(|e| e == "log");
            let len = || io.open(&file, false).and_then(|f| f.len());
            if is_segment && len().is_ok_and(|len| len > 0) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

impl LogManager {
    /// Opens every topic under `data_dir` (creating the directory if needed), recovering each
    /// partition log, and clears leftovers of interrupted creates and deletes.
    pub fn open(
        data_dir: &Path,
        defaults: LogConfig,
        io: Arc<dyn Io>,
    ) -> Result<LogManager, StorageError> {
        LogManager::open_capped(data_dir, defaults, io, OPEN_SEGMENTS_MAX_DEFAULT)
    }

    /// [`Self::open`] with at most `open_segments_max` sealed segments mapped at once.
    pub fn open_capped(
        data_dir: &Path,
        defaults: LogConfig,
        io: Arc<dyn Io>,
        open_segments_max: usize,
    ) -> Result<LogManager, StorageError> {
        let open_segments = OpenSegments::new(open_segments_max);
        let topics_dir = data_dir.join(TOPICS_DIR);
        let deleted_dir = data_dir.join(DELETED_DIR);
        for dir in [&topics_dir, &deleted_dir] {
            io.create_dir_all(dir)
                .map_err(|e| StorageError::io("create directory", dir, e))?;
        }
        let dir_lock = lock_data_dir(data_dir)?;
        let producer_ids = ProducerIds::open(io.as_ref(), data_dir)?;
        for leftover in io
            .list_dir(&deleted_dir)
            .map_err(|e| StorageError::io("list", &deleted_dir, e))?
        {
            io.remove_dir_all(&leftover)
                .map_err(|e| StorageError::io("remove", &leftover, e))?;
        }
        let mut topics = BTreeMap::new();
        for topic_dir in io
            .list_dir(&topics_dir)
            .map_err(|e| StorageError::io("list", &topics_dir, e))?
        {
            let meta_path = topic_dir.join(TOPIC_META_FILE);
            let Some(bytes) = read_file(io.as_ref(), &meta_path)? else {
                set_aside_topic_without_metadata(io.as_ref(), data_dir, &topic_dir)?;
                continue;
            };
            let file: TopicFile = serde_json::from_slice(&bytes).map_err(|e| {
                StorageError::corrupt(&meta_path, 0, format!("bad topic metadata: {e}"))
            })?;
            let dir_name = topic_dir.file_name().and_then(|n| n.to_str());
            if dir_name != Some(file.name.as_str())
                || validate_topic_name(&file.name).is_err()
                || file.partitions == 0
                || file.partitions > PARTITIONS_PER_TOPIC_MAX
            {
                return Err(StorageError::corrupt(
                    &meta_path,
                    0,
                    format!(
                        "topic metadata names {:?} with {} partitions; expected the directory's name and 1..={PARTITIONS_PER_TOPIC_MAX}",
                        file.name, file.partitions
                    ),
                ));
            }
            let config = defaults.with_overrides(&file.overrides)?;
            remove_uncommitted_partitions(io.as_ref(), &topic_dir, file.partitions)?;
            let mut partitions = Vec::with_capacity(file.partitions as usize);
            for p in 0..file.partitions {
                let dir = partition_dir(&topic_dir, p);
                partitions.push(open_or_quarantine(
                    &dir,
                    &file.name,
                    p,
                    config.clone(),
                    io.clone(),
                    &open_segments,
                )?);
            }
            let meta = TopicMeta {
                name: file.name.clone(),
                partitions: file.partitions,
                config,
                overrides: file.overrides,
            };
            topics.insert(file.name, Topic { meta, partitions });
        }
        Ok(LogManager {
            data_dir: data_dir.to_path_buf(),
            defaults,
            io,
            open_segments,
            topics: RwLock::new(topics),
            admin: Mutex::new(()),
            deleted_seq: AtomicU64::new(0),
            producer_ids,
            _dir_lock: dir_lock,
        })
    }

    /// The cap on mapped sealed segments, with how many are mapped now.
    pub fn open_segments(&self) -> &OpenSegments {
        &self.open_segments
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The broker-wide default topic config.
    pub fn defaults(&self) -> &LogConfig {
        &self.defaults
    }

    fn topic_dir(&self, name: &str) -> PathBuf {
        self.data_dir.join(TOPICS_DIR).join(name)
    }

    /// Creates a topic with `partitions` partitions and config overrides.
    pub fn create_topic(
        &self,
        name: &str,
        partitions: u32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<TopicMeta, StorageError> {
        validate_topic_name(name).map_err(StorageError::InvalidTopicName)?;
        if partitions == 0 || partitions > PARTITIONS_PER_TOPIC_MAX {
            return Err(StorageError::InvalidPartitions {
                partitions,
                max: PARTITIONS_PER_TOPIC_MAX,
            });
        }
        let config = self.defaults.with_overrides(overrides)?;
        let _admin = self.admin.lock();
        if self.topic(name).is_some() {
            return Err(StorageError::TopicAlreadyExists {
                topic: name.to_string(),
            });
        }
        let topic_dir = self.topic_dir(name);
        if self.io.exists(&topic_dir) {
            // Not in the map, so not committed: a leftover of a failed create.
            self.io
                .remove_dir_all(&topic_dir)
                .map_err(|e| StorageError::io("remove", &topic_dir, e))?;
        }
        let mut logs = Vec::with_capacity(partitions as usize);
        for p in 0..partitions {
            let log = PartitionLog::open_capped(
                &partition_dir(&topic_dir, p),
                config.clone(),
                self.io.clone(),
                self.open_segments.clone(),
            )?;
            logs.push(PartitionSlot::Open(Arc::new(log)));
        }
        sync_dir(self.io.as_ref(), &topic_dir)?;
        // The commit point: a topic exists once its metadata file does.
        self.write_topic_file(name, partitions, overrides)?;
        sync_dir(self.io.as_ref(), &self.data_dir.join(TOPICS_DIR))?;
        let meta = TopicMeta {
            name: name.to_string(),
            partitions,
            config,
            overrides: overrides.clone(),
        };
        self.topics.write().insert(
            name.to_string(),
            Topic {
                meta: meta.clone(),
                partitions: logs,
            },
        );
        tracing::info!(topic = name, partitions, "created topic");
        Ok(meta)
    }

    /// Writes `topic.json` atomically (temp file, fsync, rename, fsync the directory).
    fn write_topic_file(
        &self,
        name: &str,
        partitions: u32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<(), StorageError> {
        let file = TopicFile {
            version: TOPIC_META_VERSION,
            name: name.to_string(),
            partitions,
            overrides: overrides.clone(),
        };
        let meta_path = self.topic_dir(name).join(TOPIC_META_FILE);
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| {
            StorageError::io(
                "encode topic metadata",
                &meta_path,
                std::io::Error::other(e),
            )
        })?;
        write_file_atomic(self.io.as_ref(), &meta_path, &bytes)
    }

    /// Checks that `topic` may grow to `partitions` (more than now, at most the limit), without
    /// changing anything (Kafka's `validate_only`). Returns the topic as it is.
    pub fn check_add_partitions(
        &self,
        topic: &str,
        partitions: u32,
    ) -> Result<TopicMeta, StorageError> {
        let meta = self
            .topic(topic)
            .ok_or_else(|| StorageError::TopicNotFound {
                topic: topic.to_string(),
            })?;
        if partitions <= meta.partitions {
            return Err(StorageError::PartitionsNotIncreased {
                topic: topic.to_string(),
                current: meta.partitions,
                requested: partitions,
            });
        }
        if partitions > PARTITIONS_PER_TOPIC_MAX {
            return Err(StorageError::InvalidPartitions {
                partitions,
                max: PARTITIONS_PER_TOPIC_MAX,
            });
        }
        Ok(meta)
    }

    /// Grows `topic` to `partitions` partitions: the new partition directories first, then
    /// `topic.json` (the commit point), then the in-memory topic.
    pub fn add_partitions(&self, topic: &str, partitions: u32) -> Result<TopicMeta, StorageError> {
        let _admin = self.admin.lock();
        let meta = self.check_add_partitions(topic, partitions)?;
        let topic_dir = self.topic_dir(topic);
        remove_uncommitted_partitions(self.io.as_ref(), &topic_dir, meta.partitions)?;
        let mut added = Vec::with_capacity((partitions - meta.partitions) as usize);
        for p in meta.partitions..partitions {
            let log = PartitionLog::open_capped(
                &partition_dir(&topic_dir, p),
                meta.config.clone(),
                self.io.clone(),
                self.open_segments.clone(),
            )?;
            added.push(PartitionSlot::Open(Arc::new(log)));
        }
        sync_dir(self.io.as_ref(), &topic_dir)?;
        self.write_topic_file(topic, partitions, &meta.overrides)?;
        let mut topics = self.topics.write();
        let entry = topics
            .get_mut(topic)
            .ok_or_else(|| StorageError::TopicNotFound {
                topic: topic.to_string(),
            })?;
        entry.partitions.extend(added);
        entry.meta.partitions = partitions;
        tracing::info!(
            topic,
            from = meta.partitions,
            to = partitions,
            "added partitions"
        );
        Ok(entry.meta.clone())
    }

    /// The config `topic` would have with `overrides` as its whole set of overrides, without
    /// changing anything (validation; unknown keys and bad values are errors naming the key).
    pub fn check_topic_overrides(
        &self,
        topic: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<LogConfig, StorageError> {
        if self.topic(topic).is_none() {
            return Err(StorageError::TopicNotFound {
                topic: topic.to_string(),
            });
        }
        self.defaults.with_overrides(overrides)
    }

    /// Replaces `topic`'s config overrides (keys not in `overrides` return to the broker
    /// defaults): `topic.json` first (the commit point), then every partition's live config, so
    /// retention, compaction, rolls and timestamps follow at once.
    pub fn set_topic_overrides(
        &self,
        topic: &str,
        overrides: &BTreeMap<String, String>,
    ) -> Result<TopicMeta, StorageError> {
        let _admin = self.admin.lock();
        let config = self.check_topic_overrides(topic, overrides)?;
        let partitions = self
            .topic(topic)
            .map(|meta| meta.partitions)
            .ok_or_else(|| StorageError::TopicNotFound {
                topic: topic.to_string(),
            })?;
        self.write_topic_file(topic, partitions, overrides)?;
        let mut topics = self.topics.write();
        let entry = topics
            .get_mut(topic)
            .ok_or_else(|| StorageError::TopicNotFound {
                topic: topic.to_string(),
            })?;
        for log in entry.partitions.iter().filter_map(PartitionSlot::log) {
            log.set_config(config.clone());
        }
        entry.meta.config = config;
        entry.meta.overrides = overrides.clone();
        tracing::info!(topic, ?overrides, "topic config replaced");
        Ok(entry.meta.clone())
    }

    /// Deletes a topic and its data.
    pub fn delete_topic(&self, name: &str) -> Result<(), StorageError> {
        let _admin = self.admin.lock();
        let topic =
            self.topics
                .write()
                .remove(name)
                .ok_or_else(|| StorageError::TopicNotFound {
                    topic: name.to_string(),
                })?;
        for log in topic.partitions.iter().filter_map(PartitionSlot::log) {
            // Anyone still holding the log gets errors from now on, never writes into a
            // directory that a new topic of the same name might reuse.
            log.close();
        }
        let from = self.topic_dir(name);
        let seq = self.deleted_seq.fetch_add(1, Ordering::Relaxed);
        let to = self
            .data_dir
            .join(DELETED_DIR)
            .join(format!("{name}.{seq}"));
        self.io
            .rename(&from, &to)
            .map_err(|e| StorageError::io("rename", &from, e))?;
        sync_dir(self.io.as_ref(), &self.data_dir.join(TOPICS_DIR))?;
        sync_dir(self.io.as_ref(), &self.data_dir.join(DELETED_DIR))?;
        // Readers holding mapped segments keep them: unlinking never truncates.
        if let Err(e) = self.io.remove_dir_all(&to) {
            tracing::warn!(path = %to.display(), error = %e, "could not remove a deleted topic; the next start will");
        }
        tracing::info!(topic = name, "deleted topic");
        Ok(())
    }

    /// Every topic, sorted by name.
    pub fn topics(&self) -> Vec<TopicMeta> {
        self.topics
            .read()
            .values()
            .map(|t| t.meta.clone())
            .collect()
    }

    /// One topic.
    pub fn topic(&self, name: &str) -> Option<TopicMeta> {
        self.topics.read().get(name).map(|t| t.meta.clone())
    }

    /// One partition's log.
    pub fn partition(
        &self,
        topic: &str,
        partition: u32,
    ) -> Result<Arc<PartitionLog>, StorageError> {
        let topics = self.topics.read();
        let entry = topics
            .get(topic)
            .ok_or_else(|| StorageError::TopicNotFound {
                topic: topic.to_string(),
            })?;
        match entry.partitions.get(partition as usize) {
            Some(PartitionSlot::Open(log)) => Ok(log.clone()),
            Some(PartitionSlot::Quarantined(q)) => Err(q.error()),
            None => Err(StorageError::PartitionNotFound {
                topic: topic.to_string(),
                partition,
            }),
        }
    }

    /// Every quarantined partition (failed recovery with corruption), by topic and partition.
    pub fn quarantined(&self) -> Vec<Arc<QuarantinedPartition>> {
        let topics = self.topics.read();
        topics
            .values()
            .flat_map(|t| t.partitions.iter())
            .filter_map(|slot| match slot {
                PartitionSlot::Quarantined(q) => Some(q.clone()),
                PartitionSlot::Open(_) => None,
            })
            .collect()
    }

    fn all_partitions(&self) -> Vec<(String, u32, Arc<PartitionLog>)> {
        let topics = self.topics.read();
        topics
            .values()
            .flat_map(|t| {
                t.partitions.iter().enumerate().filter_map(|(p, slot)| {
                    let log = slot.log()?.clone();
                    Some((t.meta.name.clone(), p as u32, log))
                })
            })
            .collect()
    }

    /// Runs every partition's periodic work; errors are logged, never raised.
    pub fn run_maintenance(&self, now_ms: i64) {
        for (topic, partition, log) in self.all_partitions() {
            if let Err(e) = log.maintain(now_ms) {
                tracing::warn!(topic, partition, error = %e, "partition maintenance failed");
            }
        }
    }

    /// InitProducer: a new producer id at epoch 0 (`producer_id` -1), or an id this broker
    /// issued bumped to its next epoch (see [`ProducerIds::init`]). The current epoch of an id
    /// is the newest one handed out since start or seen by any partition.
    pub fn init_producer(
        &self,
        producer_id: i64,
        producer_epoch: i16,
    ) -> Result<ProducerIdAndEpoch, StorageError> {
        let log_epoch = if producer_id >= 0 {
            self.all_partitions()
                .iter()
                .filter_map(|(_, _, log)| log.producer_state(producer_id).map(|e| e.epoch))
                .max()
        } else {
            None
        };
        let granted = self.producer_ids.init(
            self.io.as_ref(),
            producer_id,
            producer_epoch,
            log_epoch,
            now_ms(),
        )?;
        if granted.producer_id == producer_id {
            for (topic, partition, log) in self.all_partitions() {
                if let Err(e) = log.fence_producer(producer_id, granted.producer_epoch) {
                    // The fence holds in memory; only a restart before the new epoch's first
                    // batch would forget it.
                    tracing::warn!(topic, partition, error = %e, "could not persist a producer fence");
                }
            }
        }
        Ok(granted)
    }

    /// fsyncs every partition and writes its producer snapshot (clean close); tries them all.
    /// A failed fsync is the error (the first one); a snapshot that could not be written (a
    /// full disk, say) is only reported: every record is durable without it, and the next open
    /// replays the batch headers it would have saved.
    pub fn flush_all(&self) -> Result<FlushReport, StorageError> {
        let mut first_error = None;
        let mut report = FlushReport::default();
        for (topic, partition, log) in self.all_partitions() {
            match log.flush() {
                Ok(()) => {}
                // Only the recovery-point write answers DiskFull (a failed fsync never does):
                // the records are fsynced, nothing above the old point was acknowledged.
                Err(e @ StorageError::DiskFull { .. }) => {
                    tracing::warn!(topic, partition, error = %e, "fsynced, but the recovery point could not be written; a restart treats what is above the old one as unacknowledged");
                    report
                        .recovery_points_not_written
                        .push((topic.clone(), partition, e));
                }
                Err(e) => {
                    tracing::warn!(topic, partition, error = %e, "flush failed");
                    first_error.get_or_insert(e);
                    continue;
                }
            }
            report.partitions_flushed += 1;
            if let Err(e) = log.write_producer_snapshot() {
                tracing::warn!(topic, partition, error = %e, "could not write the producer snapshot; the next start replays the log instead");
                report.snapshots_not_written.push((topic, partition, e));
            }
        }
        first_error.map_or(Ok(report), Err)
    }
}

/// What [`LogManager::flush_all`] did when every partition's fsync succeeded.
#[derive(Debug, Default)]
pub struct FlushReport {
    /// Partitions fsynced.
    pub partitions_flushed: usize,
    /// (topic, partition, why) of each producer snapshot that could not be written.
    pub snapshots_not_written: Vec<(String, u32, StorageError)>,
    /// (topic, partition, why) of each partition fsynced whose recovery point could not be
    /// advanced (a full disk): nothing above its old point was acknowledged.
    pub recovery_points_not_written: Vec<(String, u32, StorageError)>,
}
