//! Call accounting: the per-thread call tree (one node per distinct call path, with calls,
//! inclusive and self time), the split of a call's time into self time and time in profiled
//! callees, and a bounded log of call events for timelines.
//!
//! Like the line blocks, a tree is written only by its thread, read by reports at any time,
//! and handed to a later thread when its thread exits.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};

use crate::lines::Counter;
use crate::registry::Site;

/// Nodes per chunk, and chunks per tree: at most 1,048,576 distinct call paths per thread
/// (recursion 10^6 deep), allocated a chunk at a time as they are first used.
const CHUNK_NODES: usize = 1024;
const MAX_CHUNKS: usize = 1024;
/// Events per chunk, and chunks per tree: the first 65,536 calls of each thread are logged.
const CHUNK_EVENTS: usize = 4096;
const MAX_EVENT_CHUNKS: usize = 16;
/// The calls each thread logs for timelines; later ones are counted, not logged.
pub const EVENTS_PER_THREAD: usize = CHUNK_EVENTS * MAX_EVENT_CHUNKS;

/// The root of every tree (no site).
pub const ROOT: u32 = 0;
/// Where calls go once a tree is full (no site): reports show it as `[call tree full]`.
pub const OVERFLOW: u32 = 1;

/// One call path: `site` called from the path `parent`.
#[derive(Debug, Default)]
pub struct Node {
    site: AtomicPtr<Site>,
    parent: AtomicU32,
    first_child: AtomicU32,
    next_sibling: AtomicU32,
    /// Calls along this path that ended.
    pub calls: Counter,
    /// Inclusive ticks of those calls.
    pub total_ticks: Counter,
    /// Ticks outside profiled callees.
    pub self_ticks: Counter,
    /// The line a sampled-mode call along this path is running (its slot with [`ACTIVE`]
    /// set), 0 when none is: written by the path's thread, read by the sampler. A path is on a
    /// thread's stack at most once, so one word per path is enough.
    pub(crate) slot: AtomicU32,
    /// Ticks the sampler attributed to calls along this path (written by the sampler only).
    pub sampled_total_ticks: Counter,
    /// Of those, ticks at which the path was the innermost sampled call (the sampler only).
    pub sampled_self_ticks: Counter,
}

/// Set in [`Node::slot`] while a sampled-mode call runs along the path: slot 0 (the entry)
/// stays distinct from no call.
pub(crate) const ACTIVE: u32 = 1 << 31;

impl Node {
    /// The function of this path's last call (`None` for the root and the overflow node).
    pub fn site(&self) -> Option<&'static Site> {
        // SAFETY: sites are statics.
        unsafe { self.site.load(Relaxed).as_ref() }
    }

    /// The path this one extends.
    pub fn parent(&self) -> u32 {
        self.parent.load(Relaxed)
    }
}

/// One logged call.
#[derive(Debug, Default)]
pub struct Event {
    site: AtomicPtr<Site>,
    /// Clock ticks at entry.
    pub start: AtomicU64,
    /// Ticks the call took.
    pub duration: AtomicU64,
}

impl Event {
    /// The function called.
    pub fn site(&self) -> Option<&'static Site> {
        // SAFETY: sites are statics.
        unsafe { self.site.load(Relaxed).as_ref() }
    }
}

/// One thread's call tree and event log.
#[derive(Debug)]
pub struct Tree {
    chunks: [AtomicPtr<Node>; MAX_CHUNKS],
    len: AtomicU32,
    /// The path of the thread's innermost running call (written by the thread, read by the
    /// sampler).
    current: AtomicU32,
    /// Whether calls entered on this tree's thread are sampled (the mode, copied into every
    /// tree so that a call reads it from a line it loads anyway).
    sampled: AtomicBool,
    /// Whether calls are logged for timelines (copied likewise).
    log_events: AtomicBool,
    event_chunks: [AtomicPtr<Event>; MAX_EVENT_CHUNKS],
    events: AtomicUsize,
    /// Calls not logged because the event log was full.
    pub dropped_events: Counter,
    /// A small number naming the tree's track in timelines ("thread 1", ...).
    pub track: u64,
    /// Used by hiperf itself (the calibration thread): left out of reports, never reused.
    internal: AtomicBool,
    in_use: AtomicBool,
    next: AtomicPtr<Tree>,
    /// The paths looked up lately: see [`Tree::child_cached`]. Only the tree's thread uses it.
    cache: *const CacheEntry,
}

/// Entries of a tree's path cache (direct-mapped, 32 bytes each: 16 KiB).
const CACHE_ENTRIES: usize = 512;

/// One remembered lookup: the path `parent` then `site` is node `child`, at `node`.
#[derive(Debug, Default)]
#[repr(C, align(32))]
struct CacheEntry {
    site: AtomicPtr<Site>,
    /// `parent << 32 | child`.
    parent_child: AtomicU64,
    node: AtomicPtr<Node>,
}

// SAFETY: the cache is an array of atomics, leaked with its tree, used by the tree's thread
// only; everything else in a tree is atomic.
unsafe impl Sync for Tree {}
// SAFETY: as above.
unsafe impl Send for Tree {}

static TREES: AtomicPtr<Tree> = AtomicPtr::new(ptr::null_mut());
static TRACKS: AtomicU64 = AtomicU64::new(0);

impl Tree {
    /// The node at `index` (which must be below `len`).
    #[inline(always)]
    pub fn node(&self, index: u32) -> &Node {
        let chunk = self.chunks[index as usize / CHUNK_NODES].load(Acquire);
        // SAFETY: a node below `len` lives in an allocated chunk; chunks are never freed.
        unsafe { &*chunk.add(index as usize % CHUNK_NODES) }
    }

    /// The path of the innermost call the tree's thread is running ([`ROOT`] when none).
    pub(crate) fn current(&self) -> u32 {
        self.current.load(Relaxed)
    }

    /// Whether a thread holds the tree (a tree handed back runs nothing).
    pub(crate) fn in_use(&self) -> bool {
        self.in_use.load(Relaxed)
    }

    /// Nodes in use (the root and the overflow node included).
    pub fn len(&self) -> u32 {
        self.len.load(Acquire)
    }

    /// Whether only the root and overflow nodes exist.
    pub fn is_empty(&self) -> bool {
        self.len() <= 2
    }

    /// The logged events, in the order they ended.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        let count = self.events.load(Acquire);
        (0..count).map(move |index| {
            let chunk = self.event_chunks[index / CHUNK_EVENTS].load(Acquire);
            // SAFETY: an event below `events` lives in an allocated chunk, never freed.
            unsafe { &*chunk.add(index % CHUNK_EVENTS) }
        })
    }

    /// The path `parent` then `site`, created on first use.
    #[inline(always)]
    fn child(&self, parent: u32, site: &'static Site) -> u32 {
        let site_pointer = site as *const Site as *mut Site;
        let mut index = self.node(parent).first_child.load(Relaxed);
        while index != ROOT {
            let node = self.node(index);
            if node.site.load(Relaxed) == site_pointer {
                return index;
            }
            index = node.next_sibling.load(Relaxed);
        }
        self.insert(parent, site_pointer)
    }

    /// The path `parent` then `site` and its node, from the path cache when it remembers it.
    ///
    /// PERF: a lookup in the tree walks `parent`'s children, a chain of dependent loads as
    /// long as the children before the match (a function called from ten places walks up to
    /// ten). The cache answers in one entry, hashed from the two keys.
    #[inline(always)]
    fn child_cached(&'static self, parent: u32, site: &'static Site) -> (u32, &'static Node) {
        let site_pointer = site as *const Site as *mut Site;
        let hash = (site_pointer as usize >> 5) ^ (parent as usize).wrapping_mul(0x9E37);
        // SAFETY: the cache has `CACHE_ENTRIES` entries, a power of two.
        let entry = unsafe { &*self.cache.add(hash & (CACHE_ENTRIES - 1)) };
        let parent_child = entry.parent_child.load(Relaxed);
        if entry.site.load(Relaxed) == site_pointer && (parent_child >> 32) as u32 == parent {
            // SAFETY: a node pointer stored with its key below; nodes are never freed.
            return (parent_child as u32, unsafe { &*entry.node.load(Relaxed) });
        }
        self.child_missed(parent, site, entry)
    }

    #[cold]
    #[inline(never)]
    fn child_missed(
        &'static self,
        parent: u32,
        site: &'static Site,
        entry: &CacheEntry,
    ) -> (u32, &'static Node) {
        let child = self.child(parent, site);
        let node = self.node(child);
        entry.site.store(site as *const Site as *mut Site, Relaxed);
        entry
            .parent_child
            .store(u64::from(parent) << 32 | u64::from(child), Relaxed);
        entry.node.store(node as *const Node as *mut Node, Relaxed);
        (child, node)
    }

    #[cold]
    #[inline(never)]
    fn insert(&self, parent: u32, site: *mut Site) -> u32 {
        if parent == OVERFLOW {
            return OVERFLOW;
        }
        let index = self.len.load(Relaxed);
        if index as usize == CHUNK_NODES * MAX_CHUNKS {
            return OVERFLOW;
        }
        let chunk = index as usize / CHUNK_NODES;
        if self.chunks[chunk].load(Relaxed).is_null() {
            self.chunks[chunk].store(zeroed::<Node>(CHUNK_NODES), Release);
        }
        let node = self.node(index);
        node.site.store(site, Relaxed);
        node.parent.store(parent, Relaxed);
        let parent_node = self.node(parent);
        node.next_sibling
            .store(parent_node.first_child.load(Relaxed), Relaxed);
        parent_node.first_child.store(index, Relaxed);
        self.len.store(index + 1, Release);
        index
    }

    #[cold]
    #[inline(never)]
    fn log(&self, site: &'static Site, start: u64, duration: u64) {
        let index = self.events.load(Relaxed);
        if index >= CHUNK_EVENTS * MAX_EVENT_CHUNKS {
            self.dropped_events.add(1);
            return;
        }
        let mut chunk = self.event_chunks[index / CHUNK_EVENTS].load(Relaxed);
        if chunk.is_null() {
            chunk = zeroed::<Event>(CHUNK_EVENTS);
            self.event_chunks[index / CHUNK_EVENTS].store(chunk, Release);
        }
        // SAFETY: `index % CHUNK_EVENTS` is inside the chunk.
        let event = unsafe { &*chunk.add(index % CHUNK_EVENTS) };
        event.site.store(site as *const Site as *mut Site, Relaxed);
        event.start.store(start, Relaxed);
        event.duration.store(duration, Relaxed);
        self.events.store(index + 1, Release);
    }
}

/// Every thread's tree, live or handed back (hiperf's own left out).
pub fn trees() -> impl Iterator<Item = &'static Tree> {
    all_trees().filter(|tree| !tree.internal.load(Relaxed))
}

fn all_trees() -> impl Iterator<Item = &'static Tree> {
    let mut next = TREES.load(Acquire);
    std::iter::from_fn(move || {
        // SAFETY: trees are leaked and never freed.
        let tree: &'static Tree = unsafe { next.as_ref()? };
        next = tree.next.load(Acquire);
        Some(tree)
    })
}

/// The thread's running call: its tree (whose `current` is the call's path), and the ticks
/// spent so far in profiled callees of the innermost profiled call.
#[derive(Debug)]
struct CallContext {
    tree: Cell<*const Tree>,
    child_ticks: Cell<u64>,
}

thread_local! {
    static CONTEXT: CallContext =
        const { CallContext { tree: Cell::new(ptr::null()), child_ticks: Cell::new(0) } };
}

/// This thread's call context.
///
/// PERF: the closure only takes the address, so `with` inlines to one thread-pointer-relative
/// address computation; the context has no destructor, so the address stays valid for the
/// whole life of the thread, and it is only used by the thread itself.
#[inline(always)]
fn context() -> *const CallContext {
    CONTEXT.with(|context| context as *const CallContext)
}

/// Ticks spent so far in profiled callees of the innermost profiled call of this thread.
#[inline(always)]
pub(crate) fn child_ticks() -> u64 {
    // SAFETY: see `context`.
    unsafe { (*context()).child_ticks.get() }
}

/// What a call's exit restores.
///
/// PERF: a synchronous frame holds one, written at every entry, so it carries only what the
/// exit reads; a poll of an `async fn` keeps its path's index and the call's callee ticks so
/// far in the [`PollEntry`] around it.
#[derive(Debug)]
pub(crate) struct Entry {
    tree: &'static Tree,
    node: &'static Node,
    parent: u32,
    /// Whether the call is sampled (see `sampler`): timed by the sampler, not the clock.
    pub(crate) sampled: bool,
    saved_child_ticks: u64,
}

/// One poll of an `async fn`'s call: its [`Entry`], the index of its path, and the call's
/// callee ticks so far when the poll began.
#[derive(Debug)]
pub(crate) struct PollEntry {
    pub(crate) entry: Entry,
    index: u32,
    child_ticks_at_entry: u64,
}

impl PollEntry {
    /// The tree and node of the call's path, to count the call if it ends outside a poll.
    pub(crate) fn path(&self) -> (&'static Tree, u32) {
        (self.entry.tree, self.index)
    }
}

/// Whether calls are logged for timelines (off unless a trace was asked for: it costs a few
/// stores per call).
static LOG_EVENTS: AtomicBool = AtomicBool::new(false);

/// Turns the call log for timelines (Chrome trace) on or off, for every thread.
///
/// # Examples
///
/// ```
/// hiperf_runtime::calls::log_events(true);
/// ```
pub fn log_events(on: bool) {
    LOG_EVENTS.store(on, SeqCst);
    for tree in all_trees() {
        tree.log_events.store(on, Relaxed);
    }
}

/// Sets the mode of the calls entered from now on, on every thread (see `sampler`).
pub(crate) fn set_sampled(on: bool) {
    SAMPLED.store(on, SeqCst);
    for tree in all_trees() {
        tree.sampled.store(on, Relaxed);
    }
}

/// The mode a new tree starts with.
static SAMPLED: AtomicBool = AtomicBool::new(false);

/// The thread's context and tree, with `site` entered as the innermost call on the tree's
/// path: the path's index and node, and the caller's path.
#[inline(always)]
fn push_path(
    site: &'static Site,
) -> (&'static CallContext, &'static Tree, u32, &'static Node, u32) {
    // SAFETY: see `context`; the context lives as long as its thread, which alone uses it.
    let context: &'static CallContext = unsafe { &*context() };
    let mut tree = context.tree.get();
    if tree.is_null() {
        tree = acquire(context);
    }
    // SAFETY: set by `acquire` to a leaked tree this thread holds.
    let tree: &'static Tree = unsafe { &*tree };
    let parent = tree.current.load(Relaxed);
    let (index, node) = tree.child_cached(parent, site);
    tree.current.store(index, Relaxed);
    (context, tree, index, node, parent)
}

/// Enters a call of `site` (or resumes one: an async call at the start of a poll) whose
/// callee ticks so far are `child_ticks`.
#[inline(always)]
pub(crate) fn enter(site: &'static Site, child_ticks: u64) -> PollEntry {
    let (context, tree, index, node, parent) = push_path(site);
    PollEntry {
        entry: Entry {
            tree,
            node,
            parent,
            saved_child_ticks: context.child_ticks.replace(child_ticks),
            sampled: false,
        },
        index,
        child_ticks_at_entry: child_ticks,
    }
}

/// Leaves a synchronous call that took `ticks`: restores the caller's context, charges
/// `ticks` to the caller's callee time and to the path's inclusive and self time, and returns
/// the call's callee ticks.
#[inline(always)]
pub(crate) fn leave(entry: &Entry, ticks: u64) -> u64 {
    leave_stretch(entry, ticks, 0)
}

/// As [`leave`], for one poll of an async call that took `ticks`: returns the call's callee
/// ticks so far.
#[inline(always)]
pub(crate) fn leave_poll(poll: &PollEntry, ticks: u64) -> u64 {
    leave_stretch(&poll.entry, ticks, poll.child_ticks_at_entry)
}

/// Leaves a stretch of a call that took `ticks` and began when the call had
/// `child_ticks_at_entry` callee ticks.
#[inline(always)]
fn leave_stretch(entry: &Entry, ticks: u64, child_ticks_at_entry: u64) -> u64 {
    // SAFETY: see `context`.
    let context = unsafe { &*context() };
    entry.tree.current.store(entry.parent, Relaxed);
    let child_ticks = context
        .child_ticks
        .replace(entry.saved_child_ticks.wrapping_add(ticks));
    let node = entry.node;
    node.total_ticks.add(ticks);
    node.self_ticks
        .add(ticks.saturating_sub(child_ticks.wrapping_sub(child_ticks_at_entry)));
    child_ticks
}

/// Enters a call of a synchronous function, in the mode of the thread's tree (the exact mode
/// unless `allow_sampled`).
#[inline(always)]
pub(crate) fn enter_frame(site: &'static Site, allow_sampled: bool) -> Entry {
    let (context, tree, _, node, parent) = push_path(site);
    let sampled = allow_sampled && tree.sampled.load(Relaxed);
    Entry {
        tree,
        node,
        parent,
        saved_child_ticks: if sampled {
            0
        } else {
            context.child_ticks.replace(0)
        },
        sampled,
    }
}

/// Leaves a sampled-mode call: the caller's path is current again and the call is counted.
/// Its time comes from the sampler.
#[inline(always)]
pub(crate) fn leave_sampled(entry: &Entry) {
    entry.node.slot.store(0, Relaxed);
    entry.tree.current.store(entry.parent, Relaxed);
    entry.node.calls.add(1);
}

/// Starts line `slot` of the sampled-mode call along `entry`'s path.
#[inline(always)]
pub(crate) fn set_sampled_slot(entry: &Entry, slot: u32) {
    entry.node.slot.store(slot | ACTIVE, Relaxed);
}

/// Counts a call of `site` along `entry`'s path that ended, started at `start` and took
/// `duration` ticks (logged for timelines when asked).
#[inline(always)]
pub(crate) fn count(entry: &Entry, site: &'static Site, start: u64, duration: u64) {
    entry.node.calls.add(1);
    if entry.tree.log_events.load(Relaxed) {
        entry.tree.log(site, start, duration);
    }
}

/// Counts a call that ended outside any poll (an async call dropped while suspended), along
/// the path `node` of `tree` where it last ran. Only a tree's thread writes to it: from another
/// thread the same path is found, or made, in that thread's tree.
#[cold]
pub(crate) fn count_suspended(
    (tree, node): (&'static Tree, u32),
    site: &'static Site,
    start: u64,
    duration: u64,
) {
    // SAFETY: see `context`.
    let context = unsafe { &*context() };
    let mut own = context.tree.get();
    if own.is_null() {
        own = acquire(context);
    }
    // SAFETY: set by `acquire` to a leaked tree this thread holds.
    let own: &'static Tree = unsafe { &*own };
    let index = if ptr::eq(own, tree) {
        node
    } else {
        // The path's sites, innermost first, then the same path from this tree's root.
        let mut sites = Vec::new();
        let mut at = node;
        while at != ROOT && at != OVERFLOW {
            let step = tree.node(at);
            sites.push(step.site.load(Relaxed));
            at = step.parent();
        }
        let mut index = if at == OVERFLOW { OVERFLOW } else { ROOT };
        for &site in sites.iter().rev() {
            // SAFETY: node sites are statics (or null for the root and overflow nodes).
            index = match unsafe { site.as_ref() } {
                Some(site) => own.child(index, site),
                None => OVERFLOW,
            };
        }
        index
    };
    let node = own.node(index);
    node.calls.add(1);
    if own.log_events.load(Relaxed) {
        own.log(site, start, duration);
    }
}

#[cold]
#[inline(never)]
fn acquire(context: &CallContext) -> *const Tree {
    let tree = all_trees()
        .find(|tree| {
            tree.in_use
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
        })
        .unwrap_or_else(allocate);
    context.tree.set(tree);
    tree.current.store(ROOT, Relaxed);
    tree
}

fn allocate() -> &'static Tree {
    let tree = Tree {
        chunks: [const { AtomicPtr::new(ptr::null_mut()) }; MAX_CHUNKS],
        len: AtomicU32::new(2),
        current: AtomicU32::new(ROOT),
        event_chunks: [const { AtomicPtr::new(ptr::null_mut()) }; MAX_EVENT_CHUNKS],
        events: AtomicUsize::new(0),
        dropped_events: Counter::new(),
        track: TRACKS.fetch_add(1, Relaxed) + 1,
        internal: AtomicBool::new(false),
        in_use: AtomicBool::new(true),
        next: AtomicPtr::new(ptr::null_mut()),
        cache: zeroed::<CacheEntry>(CACHE_ENTRIES),
        sampled: AtomicBool::new(false),
        log_events: AtomicBool::new(false),
    };
    tree.chunks[0].store(zeroed::<Node>(CHUNK_NODES), Release);
    let layout = Layout::new::<Tree>();
    // SAFETY: `Tree` has a non-zero size.
    let raw = unsafe { System.alloc(layout) } as *mut Tree;
    if raw.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: a fresh allocation of the right layout.
    unsafe { raw.write(tree) };
    let mut head = TREES.load(Relaxed);
    loop {
        // SAFETY: `raw` is valid and not yet shared.
        unsafe { (*raw).next.store(head, Relaxed) };
        match TREES.compare_exchange_weak(head, raw, SeqCst, Relaxed) {
            Ok(_) => break,
            Err(current) => head = current,
        }
    }
    // SAFETY: leaked for the life of the program.
    let tree: &'static Tree = unsafe { &*raw };
    // Linked first, then the settings read: a concurrent `set_sampled` or `log_events`
    // either sees the tree in the list or wrote its setting before this read (SeqCst).
    tree.sampled.store(SAMPLED.load(SeqCst), Relaxed);
    tree.log_events.store(LOG_EVENTS.load(SeqCst), Relaxed);
    tree
}

/// Hands this thread's tree back (from the thread-exit destructor in `lines`).
pub(crate) fn release_thread_tree() {
    let _ = CONTEXT.try_with(|context| {
        let tree = context.tree.replace(ptr::null());
        // SAFETY: a leaked tree this thread held.
        if let Some(tree) = unsafe { tree.as_ref() } {
            tree.current.store(ROOT, Relaxed);
            if !tree.internal.load(Relaxed) {
                tree.in_use.store(false, Release);
            }
        }
    });
}

/// Marks this thread's tree as hiperf's own: its calls never show in reports, and it is never
/// handed to another thread.
pub(crate) fn mark_thread_internal() {
    CONTEXT.with(|context| {
        // A tree of its own: reusing a handed-back one would hide that thread's calls.
        let tree = allocate();
        tree.internal.store(true, Relaxed);
        context.tree.set(tree);
    });
}

/// A zeroed array from `System` (all-zero bits are valid for nodes and events).
fn zeroed<T>(len: usize) -> *mut T {
    let layout = Layout::array::<T>(len).expect("chunk fits in memory");
    // SAFETY: a non-zero size.
    let raw = unsafe { System.alloc_zeroed(layout) };
    if raw.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    raw.cast()
}
