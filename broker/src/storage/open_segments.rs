//! The cap on open sealed segments: how many may hold a memory map at once.
//!
//! A sealed segment is mapped when it is first read (not at start-up) and its file descriptor
//! is closed as soon as the mapping exists. Past the cap, the least recently used mappings are
//! unmapped (CLOCK: a used segment gets a second chance before it is closed), and a later read
//! maps the file again. Without a cap, 10,000 partitions with 10 segments each would need
//! 100,000 mappings, above Linux's default `vm.max_map_count` of 65,530.
//!
//! A `Bytes` handed out keeps its mapping alive after the segment was closed here, so the
//! mappings in use are bounded by the cap plus the reads in flight.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

/// Default of `open_segments_max`: a quarter of Linux's default `vm.max_map_count`, which
/// leaves the rest to the allocator, the runtime and the host process of an embedded broker.
pub const OPEN_SEGMENTS_MAX_DEFAULT: usize = 16_384;

/// Something the cap can close: a sealed segment's mapping.
pub(crate) trait Closable: Send + Sync {
    /// Set by every read; cleared by a sweep that passes over it.
    fn used(&self) -> &AtomicBool;
    /// Drops the mapping (a later read reopens it). Returns false if it must stay open
    /// (pinned), in which case it leaves the cap's ring for good.
    fn close(&self) -> bool;
}

/// The broker-wide ring of mapped sealed segments (one per [`crate::storage::LogManager`]).
pub struct OpenSegments {
    max: usize,
    ring: Mutex<VecDeque<Weak<dyn Closable>>>,
    opened_total: AtomicU64,
    closed_total: AtomicU64,
}

impl std::fmt::Debug for OpenSegments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenSegments")
            .field("max", &self.max)
            .field("open", &self.open_count())
            .finish()
    }
}

impl OpenSegments {
    /// A cap of `max` mapped sealed segments (at least 1).
    pub fn new(max: usize) -> Arc<OpenSegments> {
        Arc::new(OpenSegments {
            max: max.max(1),
            ring: Mutex::new(VecDeque::new()),
            opened_total: AtomicU64::new(0),
            closed_total: AtomicU64::new(0),
        })
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Mapped sealed segments now (an upper bound: dropped segments leave at the next sweep).
    pub fn open_count(&self) -> usize {
        self.ring.lock().len()
    }

    /// Mappings made since start (first reads and reopens).
    pub fn opened_total(&self) -> u64 {
        self.opened_total.load(Ordering::Relaxed)
    }

    /// Mappings closed by the cap since start.
    pub fn closed_total(&self) -> u64 {
        self.closed_total.load(Ordering::Relaxed)
    }

    /// Counts a newly mapped segment in, closing the least recently used ones past the cap.
    /// The caller holds no lock of any segment (a sweep takes theirs).
    pub(crate) fn admit(&self, segment: Weak<dyn Closable>) {
        self.opened_total.fetch_add(1, Ordering::Relaxed);
        let mut ring = self.ring.lock();
        ring.push_back(segment);
        // Each pass either removes an entry or clears a used flag, so this ends within two
        // turns of the ring.
        while ring.len() > self.max {
            let Some(oldest) = ring.pop_front() else {
                break;
            };
            let Some(segment) = oldest.upgrade() else {
                continue; // dropped (retention, compaction, topic delete): already unmapped
            };
            if segment.used().swap(false, Ordering::AcqRel) {
                ring.push_back(oldest);
            } else if segment.close() {
                self.closed_total.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        used: AtomicBool,
        closed: AtomicBool,
        pinned: bool,
    }

    impl Closable for Fake {
        fn used(&self) -> &AtomicBool {
            &self.used
        }
        fn close(&self) -> bool {
            if self.pinned {
                return false;
            }
            self.closed.store(true, Ordering::Release);
            true
        }
    }

    fn fake(pinned: bool) -> Arc<Fake> {
        Arc::new(Fake {
            used: AtomicBool::new(true),
            closed: AtomicBool::new(false),
            pinned,
        })
    }

    fn admit(cap: &OpenSegments, f: &Arc<Fake>) {
        let weak: Weak<dyn Closable> = Arc::downgrade(&(f.clone() as Arc<dyn Closable>));
        cap.admit(weak);
    }

    #[test]
    fn past_the_cap_the_least_recently_used_is_closed_and_a_used_one_gets_a_second_chance() {
        let cap = OpenSegments::new(2);
        let (a, b, c) = (fake(false), fake(false), fake(false));
        admit(&cap, &a);
        admit(&cap, &b);
        assert_eq!(cap.open_count(), 2);
        // Everything was just used: one sweep clears the flags, the second closes the oldest.
        admit(&cap, &c);
        assert!(a.closed.load(Ordering::Acquire));
        assert!(!b.closed.load(Ordering::Acquire) && !c.closed.load(Ordering::Acquire));
        assert_eq!(cap.open_count(), 2);
        // b was not read since the sweep, c is read now: the next admission closes b.
        c.used.store(true, Ordering::Release);
        let d = fake(false);
        admit(&cap, &d);
        assert!(b.closed.load(Ordering::Acquire));
        assert!(!c.closed.load(Ordering::Acquire));
        assert_eq!((cap.opened_total(), cap.closed_total()), (4, 2));
    }

    #[test]
    fn dropped_and_pinned_segments_leave_the_ring_without_counting_as_closed() {
        let cap = OpenSegments::new(1);
        let pinned = fake(true);
        admit(&cap, &pinned);
        let dropped = fake(false);
        admit(&cap, &dropped);
        assert!(!pinned.closed.load(Ordering::Acquire));
        drop(dropped);
        let e = fake(false);
        admit(&cap, &e);
        assert_eq!(cap.open_count(), 1);
        assert_eq!(cap.closed_total(), 0);
        assert!(!e.closed.load(Ordering::Acquire));
    }

    #[test]
    fn a_cap_of_zero_is_one() {
        assert_eq!(OpenSegments::new(0).max(), 1);
    }
}
