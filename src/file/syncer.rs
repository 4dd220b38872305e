//! Group commit without stalling the appender: a thread that runs
//! `fdatasync` on its own handle to the segment file while the writer keeps
//! encoding the next group.
//!
//! The writer thread still does every `write`; the syncer only syncs. A
//! sync is requested with the length written and the head at that length;
//! when it returns, everything up to that length is durable. When the disk
//! is slower than the appender, requests made while a sync is running are
//! merged into the next one, so groups share a sync instead of queueing.
//! Durability is only ever claimed for what a completed sync covered.

use std::boxed::Box;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::io::SegmentFile;
use crate::chain::Anchor;

/// What the two threads share.
#[derive(Debug)]
pub(super) struct State {
    /// The syncer's handle to the current segment (taken while syncing).
    handle: Option<Box<dyn SegmentFile>>,
    /// The latest sync asked for: length written and the head there.
    wanted: Option<(u64, Anchor)>,
    /// A sync is running.
    busy: bool,
    /// What completed syncs made durable in the current segment.
    pub(super) durable_len: u64,
    /// The head at `durable_len`.
    pub(super) durable: Anchor,
    /// A sync failed; nothing after `durable_len` may be trusted.
    pub(super) error: Option<io::Error>,
    stop: bool,
}

/// The handle the writer keeps.
#[derive(Debug)]
pub(super) struct Syncer {
    shared: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // Neither thread panics while holding the lock; if one did, the state
    // is still the last consistent one written.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Syncer {
    /// Starts a syncer for a segment whose durable part is `len` bytes up to `head`.
    pub(super) fn start(handle: Box<dyn SegmentFile>, len: u64, head: Anchor) -> io::Result<Self> {
        let shared = Arc::new((
            Mutex::new(State {
                handle: Some(handle),
                wanted: None,
                busy: false,
                durable_len: len,
                durable: head,
                error: None,
                stop: false,
            }),
            Condvar::new(),
        ));
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("lotledger-sync".into())
            .spawn(move || run(&theirs))?;
        Ok(Self { shared, thread: Some(thread) })
    }

    /// Asks for everything up to `len` (the head there: `head`) to be synced.
    pub(super) fn request(&self, len: u64, head: Anchor) {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        s.wanted = Some((len, head));
        cv.notify_all();
    }

    /// The state now.
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.0)
    }

    /// Waits until `done` holds or a sync has failed; returns the state then.
    pub(super) fn wait_until(&self, done: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        while !done(&s) && s.error.is_none() {
            s = cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s
    }

    /// Cancels any requested sync, waits for a running one to finish, and
    /// returns the state with the syncer idle.
    pub(super) fn quiesce(&self) -> MutexGuard<'_, State> {
        let (m, cv) = &*self.shared;
        let mut s = lock(m);
        s.wanted = None;
        while s.busy {
            s = cv.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s
    }

    /// Points the idle syncer at a new segment whose durable part is `len` bytes.
    pub(super) fn replace(&self, handle: Box<dyn SegmentFile>, len: u64, head: Anchor) {
        let mut s = self.quiesce();
        s.handle = Some(handle);
        s.durable_len = len;
        s.durable = head;
    }
}

impl State {
    /// Marks everything up to `len` durable after a rollback to it.
    pub(super) fn reset(&mut self, len: u64, head: Anchor) {
        self.durable_len = len;
        self.durable = head;
        self.error = None;
        self.wanted = None;
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        {
            let (m, cv) = &*self.shared;
            let mut s = lock(m);
            s.stop = true;
            cv.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &(Mutex<State>, Condvar)) {
    let (m, cv) = shared;
    let mut s = lock(m);
    loop {
        if s.error.is_none()
            && let Some((len, head)) = s.wanted.take()
            && len > s.durable_len
            && let Some(mut handle) = s.handle.take()
        {
            s.busy = true;
            drop(s);
            let result = handle.sync();
            s = lock(m);
            s.handle = Some(handle);
            s.busy = false;
            match result {
                Ok(()) => {
                    s.durable_len = len;
                    s.durable = head;
                }
                Err(e) => s.error = Some(e),
            }
            cv.notify_all();
            continue;
        }
        if s.stop {
            return;
        }
        s = cv.wait(s).unwrap_or_else(PoisonError::into_inner);
    }
}
