//! Environments: an address space, a capability space and one thread's
//! saved user context. Owns entering user mode, the system-call and
//! exception entry from user mode, round-robin switching between runnable
//! environments, and tearing an environment down when it exits or faults.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use captree::{CSpaceId, ObjectId};
use spin::Mutex;

use alloc::boxed::Box;

use crate::arch::{self, paging, TrapFrame, IOMAP_BYTES};
use crate::cap::{self, KObject, CAPS};
use crate::mem::frames;
use crate::percpu::{self, NO_ENV};
use crate::{console, fault, power, println};
use abi::Error;

/// One environment.
pub struct Env {
    pub id: u32,
    pub name: &'static str,
    /// Physical address of its top-level page table.
    pub aspace: u64,
    pub cspace: CSpaceId,
    /// Its thread's user registers while it is not running.
    pub context: TrapFrame,
    /// Mappings made with frame capabilities: virtual page -> frame object.
    pub mappings: BTreeMap<u64, ObjectId>,
    /// Frames the kernel gave it at creation (program image, stack), freed
    /// with it.
    pub owned_frames: Vec<u64>,
    /// Its thread's upcall handler, if registered.
    pub upcall: Option<Upcall>,
    /// What its thread is doing.
    pub state: State,
    /// The caller waiting for this environment's reply.
    pub reply_to: Option<u32>,
    /// The environment that created it.
    pub parent: Option<u32>,
    /// The endpoint told when it ends.
    pub death_ep: Option<u32>,
    /// Its I/O permission bitmap (`None`: no port allowed) and the
    /// capabilities the permissions came through.
    pub io: Option<Box<[u8; IOMAP_BYTES]>>,
    pub io_grants: Vec<(captree::SlotAddr, u32, u32)>,
    /// Frames its quota allows, and frames charged to it.
    pub quota_frames: u64,
    pub used_frames: u64,
    /// The frame of its info page (`abi::info`), owned by the kernel.
    pub info_frame: u64,
    /// Its proportional-share weight.
    pub weight: u32,
    /// A pending revocation request.
    pub revoke: Option<Revocation>,
    /// Frames taken from it by the abort protocol: total, and the last ones.
    pub repossessed_count: u64,
    pub repossessed: [u64; abi::info::REPOSSESSED_SLOTS],
    /// An upcall to deliver the next time its thread is loaded:
    /// (kind, vector, error, addr).
    pub pending_upcall: core::cell::Cell<Option<[u64; 4]>>,
}

impl Env {
    /// Ends a blocking call of this environment's thread with `err` and
    /// makes it ready to run.
    fn wake_with(&mut self, err: Error) {
        self.context.set_syscall_result(err as u64, [0; 4]);
        self.state = State::Ready;
    }
}

/// A request to give frames back by a deadline.
#[derive(Clone, Copy, Debug)]
pub struct Revocation {
    pub frames: u64,
    pub deadline_us: u64,
    pub used_at_request: u64,
}

/// Rebuilds the slot vector from the environments' weights.
fn rebuild_schedule(envs: &BTreeMap<u32, Env>) {
    let weights: Vec<(u32, u32)> = envs.values().map(|e| (e.id, e.weight)).collect();
    crate::sched::rebuild(&weights);
}

/// The scheduler's pick (at a tick, or after a yield or block), if ready.
fn scheduled(envs: &BTreeMap<u32, Env>, tick: bool) -> Option<u32> {
    let states = envs.values().map(|e| (e.id, e.state == State::Ready));
    crate::sched::decide(states, tick)
        .filter(|id| envs.get(id).is_some_and(|e| e.state == State::Ready))
}

/// Directed yield: the rest of the slot goes to `to`, which must be ready.
pub fn yield_to(frame: &mut TrapFrame, to: u32) -> Result<(), Error> {
    let cur = current();
    let mut envs = ENVS.lock();
    if !envs.get(&to).is_some_and(|e| e.state == State::Ready) {
        return Err(Error::NoPartner);
    }
    frame.set_syscall_result(0, [0; 4]);
    if to == cur {
        return Ok(());
    }
    crate::sched::donate(to);
    if let Some(e) = envs.get_mut(&cur) {
        e.context = *frame;
    }
    load(&envs, to, frame);
    Ok(())
}

/// Sets an environment's weight and real-time reservation.
pub fn set_schedule(id: u32, weight: u32, period: u32, budget: u32) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    e.weight = weight;
    rebuild_schedule(&envs);
    if period != 0 && !crate::sched::set_realtime(id, period, budget) {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// Writes an environment's info page from its current figures.
fn write_info(e: &Env) {
    use abi::info::word;
    let mut words = [0u64; word::REPOSSESSED + abi::info::REPOSSESSED_SLOTS];
    words[word::MAGIC] = abi::info::MAGIC;
    words[word::ENV_ID] = u64::from(e.id);
    words[word::CPU_ID] = u64::from(percpu::this().index);
    words[word::TSC_HZ] = crate::time::tsc_hz();
    words[word::BOOT_TSC] = crate::time::boot_tsc();
    words[word::TIMER_HZ] = u64::from(crate::time::TIMER_HZ);
    words[word::QUOTA_FRAMES] = e.quota_frames;
    words[word::USED_FRAMES] = e.used_frames;
    words[word::REVOKE_FRAMES] = e.revoke.map_or(0, |r| r.frames);
    words[word::REVOKE_DEADLINE_US] = e.revoke.map_or(0, |r| r.deadline_us);
    words[word::REPOSSESSED_COUNT] = e.repossessed_count;
    words[word::REPOSSESSED..].copy_from_slice(&e.repossessed);
    let mut bytes = [0u8; 8 * (word::REPOSSESSED + abi::info::REPOSSESSED_SLOTS)];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    crate::mem::write_phys(e.info_frame, &bytes);
}

/// `RevokeRequest`: asks `target` for `frames` frames within `grace_us`.
pub fn revoke_request(
    frame: &mut TrapFrame,
    target: u32,
    frames: u64,
    grace_us: u64,
) -> Result<(), Error> {
    let deadline_us = crate::time::now_us().saturating_add(grace_us);
    let has_handler = {
        let mut envs = ENVS.lock();
        let e = envs.get_mut(&target).ok_or(Error::NoPartner)?;
        if e.revoke.is_some() || frames == 0 || frames > e.quota_frames {
            return Err(Error::InvalidArgument);
        }
        e.revoke = Some(Revocation {
            frames,
            deadline_us,
            used_at_request: e.used_frames,
        });
        write_info(e);
        let has = e.upcall.is_some();
        if has && target != current() {
            e.pending_upcall
                .set(Some([abi::upcall::kind::REVOKE, 0, frames, deadline_us]));
        }
        has
    };
    frame.set_syscall_result(0, [0; 4]);
    if has_handler && target == current() {
        let _ = deliver_upcall(frame, abi::upcall::kind::REVOKE, 0, frames, deadline_us);
    }
    Ok(())
}

/// Enforces revocations whose deadline has passed: the quota shrinks (back
/// to the creator), and frames not given back are taken (abort protocol).
fn expire_revocations() {
    let now = crate::time::now_us();
    let due: Vec<u32> = ENVS
        .lock()
        .values()
        .filter(|e| e.revoke.is_some_and(|r| now >= r.deadline_us))
        .map(|e| e.id)
        .collect();
    for id in due {
        enforce_revocation(id);
    }
}

fn enforce_revocation(id: u32) {
    let (shortfall, cspace) = {
        let mut envs = ENVS.lock();
        let Some(e) = envs.get_mut(&id) else { return };
        let Some(r) = e.revoke.take() else { return };
        let given = r.used_at_request.saturating_sub(e.used_frames);
        e.quota_frames = e.quota_frames.saturating_sub(r.frames);
        write_info(e);
        let (shortfall, cspace, parent) = (r.frames.saturating_sub(given), e.cspace, e.parent);
        if let Some(p) = parent.and_then(|p| envs.get_mut(&p)) {
            p.quota_frames += r.frames;
            write_info(p);
        }
        (shortfall, cspace)
    };
    if shortfall == 0 {
        return;
    }
    let mut removed = Vec::new();
    let mut taken = Vec::new();
    {
        let mut caps = CAPS.lock();
        let size = caps.cspace_size(cspace).unwrap_or(0);
        for i in 0..size {
            if taken.len() as u64 == shortfall {
                break;
            }
            let slot = captree::SlotAddr::new(cspace, i);
            let Ok(idn) = caps.identify(slot) else {
                continue;
            };
            let KObject::Frame {
                paddr, charged_to, ..
            } = *idn.kind
            else {
                continue;
            };
            if charged_to != id {
                continue;
            }
            let gone = captree::DeletedCap {
                slot,
                object: idn.object,
                rights: idn.rights,
                badge: idn.badge,
            };
            if let Ok(released) = caps.delete(slot) {
                removed.push(captree::Removed::Cap(gone));
                removed.extend(released.map(captree::Removed::Object));
                taken.push(paddr);
            }
        }
    }
    cap::settle(removed);
    let mut envs = ENVS.lock();
    if let Some(e) = envs.get_mut(&id) {
        for paddr in &taken {
            e.repossessed[(e.repossessed_count % abi::info::REPOSSESSED_SLOTS as u64) as usize] =
                *paddr;
            e.repossessed_count += 1;
        }
        write_info(e);
    }
    log::info!(
        "env {id}: revocation deadline passed; {} frames repossessed",
        taken.len()
    );
}

/// Maps a fresh info page into `aspace`; returns its frame.
pub fn make_info_page(aspace: u64) -> Result<u64, Error> {
    let f = frames::alloc().map_err(|_| Error::OutOfMemory)?;
    crate::mem::write_phys(f, &[0u8; 4096]);
    if paging::map_user(
        aspace,
        abi::info::INFO_PAGE,
        f,
        false,
        false,
        false,
        &mut || frames::alloc().ok(),
    )
    .is_err()
    {
        let _ = frames::free_frame(f);
        return Err(Error::OutOfMemory);
    }
    Ok(f)
}

/// Charges `n` frames to environment `id`'s quota.
pub fn charge(id: u32, n: u64) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    if e.used_frames + n > e.quota_frames {
        return Err(Error::QuotaExceeded);
    }
    e.used_frames += n;
    write_info(e);
    Ok(())
}

/// Returns `n` frames to environment `id`'s quota (if it still exists).
pub fn uncharge(id: u32, n: u64) {
    if let Some(e) = ENVS.lock().get_mut(&id) {
        e.used_frames = e.used_frames.saturating_sub(n);
        write_info(e);
    }
}

/// Moves `n` frames of quota from `from` to its child `to`.
pub fn quota_give(from: u32, to: u32, n: u64) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let child = envs.get(&to).ok_or(Error::NoPartner)?;
    if child.parent != Some(from) {
        return Err(Error::NoRights);
    }
    let giver = envs.get_mut(&from).ok_or(Error::NoPartner)?;
    if giver.quota_frames - giver.used_frames < n {
        return Err(Error::QuotaExceeded);
    }
    giver.quota_frames -= n;
    write_info(giver);
    let child = envs.get_mut(&to).ok_or(Error::NoPartner)?;
    child.quota_frames += n;
    write_info(child);
    Ok(())
}

/// Rebuilds an environment's I/O bitmap from its grants.
fn rebuild_io(e: &mut Env) {
    if e.io_grants.is_empty() {
        e.io = None;
        return;
    }
    let map = e.io.get_or_insert_with(|| {
        let v: Vec<u8> = alloc::vec![0xff; IOMAP_BYTES];
        v.into_boxed_slice()
            .try_into()
            .unwrap_or_else(|_| unreachable!())
    });
    map.fill(0xff);
    for &(_, base, count) in &e.io_grants {
        for port in base..base.saturating_add(count).min(0x1_0000) {
            map[(port / 8) as usize] &= !(1 << (port % 8));
        }
    }
}

/// Lets environment `id` use ports `[base, base + count)`, through `via`.
pub fn ports_enable(id: u32, via: captree::SlotAddr, base: u32, count: u32) {
    let mut envs = ENVS.lock();
    let Some(e) = envs.get_mut(&id) else { return };
    e.io_grants.push((via, base, count));
    rebuild_io(e);
    if current() == id {
        arch::load_io_bitmap(e.io.as_deref());
    }
}

/// Port permissions granted through any of `slots` (deleted capabilities)
/// are withdrawn.
pub fn ports_caps_gone(slots: &[captree::SlotAddr]) {
    if slots.is_empty() {
        return;
    }
    let cur = current();
    let mut envs = ENVS.lock();
    for (id, e) in envs.iter_mut() {
        let before = e.io_grants.len();
        e.io_grants.retain(|(via, ..)| !slots.contains(via));
        if e.io_grants.len() != before {
            rebuild_io(e);
            if *id == cur {
                arch::load_io_bitmap(e.io.as_deref());
            }
        }
    }
}

/// A thread's scheduling state. The running thread is `Ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created, not started yet.
    NotStarted,
    /// Runnable (or running).
    Ready,
    /// Calling endpoint `ep`, no receiver yet.
    BlockedSend {
        ep: u32,
        badge: u64,
        msg: [u64; 6],
        cap: u64,
    },
    /// Waiting on endpoint `ep` for a call.
    BlockedRecv { ep: u32, cap_slot: u64 },
    /// Called `server` and waits for its reply.
    BlockedReply { server: u32 },
    /// Waiting on notification `ntf` until `deadline_us` (`u64::MAX`: none).
    BlockedWait { ntf: u32, deadline_us: u64 },
}

/// A notification word and who waits on it.
#[derive(Default)]
struct Notification {
    word: u64,
    waiters: VecDeque<u32>,
}

static NOTIFICATIONS: Mutex<BTreeMap<u32, Notification>> = Mutex::new(BTreeMap::new());
static NEXT_NOTIFICATION: AtomicU32 = AtomicU32::new(1);

/// A new notification's id.
pub fn notification_create() -> u32 {
    let id = NEXT_NOTIFICATION.fetch_add(1, Ordering::Relaxed);
    NOTIFICATIONS.lock().insert(id, Notification::default());
    id
}

/// The notification's object is gone: its waiters fail.
pub fn notification_gone(ntf: u32) {
    let mut envs = ENVS.lock();
    let Some(n) = NOTIFICATIONS.lock().remove(&ntf) else {
        return;
    };
    for id in n.waiters {
        if let Some(w) = envs.get_mut(&id) {
            w.wake_with(Error::NoPartner);
        }
    }
}

/// `Signal`: ORs `bits` into the word; the first waiter takes the word.
pub fn signal(ntf: u32, bits: u64) {
    let mut envs = ENVS.lock();
    let mut ntfs = NOTIFICATIONS.lock();
    let Some(n) = ntfs.get_mut(&ntf) else { return };
    n.word |= bits;
    if n.word == 0 {
        return;
    }
    if let Some(w) = n.waiters.pop_front().and_then(|id| envs.get_mut(&id)) {
        w.context.set_syscall_result(0, [n.word, 0, 0, 0]);
        w.state = State::Ready;
        n.word = 0;
    }
}

/// `Wait`: takes the word if a bit is set, polls (`timeout_us` 0), or
/// blocks until a signal or the deadline.
pub fn wait(frame: &mut TrapFrame, ntf: u32, timeout_us: u64) {
    let me = current();
    {
        let mut envs = ENVS.lock();
        let mut ntfs = NOTIFICATIONS.lock();
        let Some(n) = ntfs.get_mut(&ntf) else {
            frame.set_syscall_result(Error::NoPartner as u64, [0; 4]);
            return;
        };
        if n.word != 0 || timeout_us == 0 {
            frame.set_syscall_result(0, [n.word, 0, 0, 0]);
            n.word = 0;
            return;
        }
        let deadline_us = if timeout_us == u64::MAX {
            u64::MAX
        } else {
            crate::time::now_us().saturating_add(timeout_us)
        };
        n.waiters.push_back(me);
        if let Some(e) = envs.get_mut(&me) {
            e.context = *frame;
            e.state = State::BlockedWait { ntf, deadline_us };
        }
    }
    run_next(frame);
}

/// Wakes waiters whose deadline has passed, with `TimedOut`.
fn expire_waits() {
    let now = crate::time::now_us();
    let mut envs = ENVS.lock();
    let mut ntfs = NOTIFICATIONS.lock();
    for (id, e) in envs.iter_mut() {
        if let State::BlockedWait { ntf, deadline_us } = e.state {
            if now >= deadline_us {
                if let Some(n) = ntfs.get_mut(&ntf) {
                    n.waiters.retain(|w| w != id);
                }
                e.wake_with(Error::TimedOut);
            }
        }
    }
}

/// True if some environment waits with a deadline (time can still wake it).
fn has_timed_waiter(envs: &BTreeMap<u32, Env>) -> bool {
    envs.values().any(
        |e| matches!(e.state, State::BlockedWait { deadline_us, .. } if deadline_us != u64::MAX),
    )
}

/// An endpoint's queues.
#[derive(Default)]
struct Endpoint {
    senders: VecDeque<u32>,
    receivers: VecDeque<u32>,
    notices: VecDeque<[u64; 6]>,
}

static ENDPOINTS: Mutex<BTreeMap<u32, Endpoint>> = Mutex::new(BTreeMap::new());
static NEXT_ENDPOINT: AtomicU32 = AtomicU32::new(1);

/// How an environment ended, for its parent's notice.
#[derive(Clone, Copy)]
pub enum Ending {
    Exit(u64),
    Fault { vector: u8, addr: u64 },
}

/// A registered upcall handler.
#[derive(Clone, Debug)]
pub struct Upcall {
    pub entry: u64,
    pub stack: core::ops::Range<u64>,
    pub reflect_syscalls: bool,
}

/// Why an upcall could not be delivered.
pub enum NoUpcall {
    /// No handler is registered (or it does not take this kind).
    NotRegistered,
    /// The handler itself faulted, or its stack is not writable.
    Broken(&'static str),
}

/// Registers (or with `None` removes) the running environment's handler.
pub fn set_upcall(id: u32, upcall: Option<Upcall>) {
    if let Some(e) = ENVS.lock().get_mut(&id) {
        e.upcall = upcall;
    }
}

/// Hands the interrupted state in `frame` to the running environment's
/// upcall handler: writes an `abi::UpcallFrame` at the top of its upcall
/// stack and redirects the thread to the handler's entry.
pub fn deliver_upcall(
    frame: &mut TrapFrame,
    kind: u64,
    vector: u64,
    error: u64,
    addr: u64,
) -> Result<(), NoUpcall> {
    let id = current();
    let envs = ENVS.lock();
    let e = envs.get(&id).ok_or(NoUpcall::NotRegistered)?;
    deliver_into(e, frame, kind, vector, error, addr)
}

/// Delivers an upcall to `e`, whose user context is in `frame`.
fn deliver_into(
    e: &Env,
    frame: &mut TrapFrame,
    kind: u64,
    vector: u64,
    error: u64,
    addr: u64,
) -> Result<(), NoUpcall> {
    let up = e.upcall.clone().ok_or(NoUpcall::NotRegistered)?;
    if kind == abi::upcall::kind::SYSCALL && !up.reflect_syscalls {
        return Err(NoUpcall::NotRegistered);
    }
    if up.stack.contains(&frame.user_sp()) {
        return Err(NoUpcall::Broken("fault inside its upcall handler"));
    }
    let size = core::mem::size_of::<abi::UpcallFrame>() as u64;
    let at = (up.stack.end - size) & !15;
    let words = frame.upcall_frame(kind, vector, error, addr).to_words();
    let mut bytes = [0u8; abi::upcall::UPCALL_FRAME_WORDS * 8];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    crate::uaccess::write_user(e.aspace, at, &bytes)
        .map_err(|_| NoUpcall::Broken("upcall stack not writable"))?;
    frame.enter_upcall(up.entry, at);
    Ok(())
}

static ENVS: Mutex<BTreeMap<u32, Env>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU32 = AtomicU32::new(1);
/// Power off when the last environment is gone (`shutdown`).
static SHUTDOWN_WHEN_DONE: AtomicBool = AtomicBool::new(false);
/// Free frames plus heap frames before the first environment was built,
/// to check that tearing environments down returns every frame.
static FRAMES_BEFORE: AtomicUsize = AtomicUsize::new(0);

/// Frames the kernel accounts for: free ones plus those the heap took.
fn frames_accounted() -> usize {
    frames::free() + crate::mem::heap::size() / 4096
}

/// Records the frame count before the first environment is built.
pub fn note_frames_before_start() {
    FRAMES_BEFORE.store(frames_accounted(), Ordering::Relaxed);
}

/// A fresh environment id.
pub fn next_id() -> u32 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// What a system call needs to know about the caller.
#[derive(Clone, Copy)]
pub struct Caller {
    pub id: u32,
    pub aspace: u64,
    pub cspace: CSpaceId,
    pub name: &'static str,
}

/// The environment running on this CPU.
pub fn caller() -> Option<Caller> {
    let id = current();
    ENVS.lock().get(&id).map(|e| Caller {
        id,
        aspace: e.aspace,
        cspace: e.cspace,
        name: e.name,
    })
}

/// Records a capability mapping in its environment.
pub fn note_mapping(env: u32, vaddr: u64, frame: ObjectId) {
    if let Some(e) = ENVS.lock().get_mut(&env) {
        e.mappings.insert(vaddr, frame);
    }
}

/// Removes a capability mapping (page table and record), if the
/// environment still exists.
pub fn forget_mapping(env: u32, vaddr: u64) {
    let mut envs = ENVS.lock();
    if let Some(e) = envs.get_mut(&env) {
        e.mappings.remove(&vaddr);
        let _ = paging::unmap_user(e.aspace, vaddr);
    }
}

/// The frame object of a capability mapping.
pub fn mapping_at(env: u32, vaddr: u64) -> Option<ObjectId> {
    ENVS.lock().get(&env)?.mappings.get(&vaddr).copied()
}

/// Takes a capability mapping out of the record, returning the frame object.
pub fn take_mapping(env: u32, vaddr: u64) -> Option<ObjectId> {
    ENVS.lock().get_mut(&env)?.mappings.remove(&vaddr)
}

/// Starts `env` as the first environment on this CPU. Never returns.
pub fn start(env: Env, shutdown_when_done: bool) -> ! {
    SHUTDOWN_WHEN_DONE.store(shutdown_when_done, Ordering::Relaxed);
    write_info(&env);
    let (id, aspace, context) = (env.id, env.aspace, env.context);
    {
        let mut envs = ENVS.lock();
        envs.insert(id, env);
        rebuild_schedule(&envs);
    }
    percpu::this().current_env.store(id, Ordering::Relaxed);
    paging::activate(aspace);
    crate::arch::enter_user_mode(&context)
}

/// An exception in user mode: delivered to the environment's upcall
/// handler if it has a working one; otherwise the environment is terminated
/// and the next one runs.
pub fn on_user_exception(vector: u8, error: u64, cr2: Option<u64>, frame: &mut TrapFrame) {
    let why = match deliver_upcall(
        frame,
        abi::upcall::kind::EXCEPTION,
        u64::from(vector),
        error,
        cr2.unwrap_or(0),
    ) {
        Ok(()) => return,
        Err(NoUpcall::NotRegistered) => "no handler",
        Err(NoUpcall::Broken(why)) => why,
    };
    let (mnemonic, what) = fault::exception_name(vector);
    let name = caller().map_or("?", |c| c.name);
    log::debug!("{name}: exception {vector} not delivered: {why}");
    match cr2 {
        Some(addr) => println!(
            "{name}: killed by {mnemonic} {what} (vector {vector}) at rip={:#x}, address {addr:#x}, error {error:#x}",
            frame.pc()
        ),
        None => println!(
            "{name}: killed by {mnemonic} {what} (vector {vector}) at rip={:#x}, error {error:#x}",
            frame.pc()
        ),
    }
    end_current(
        frame,
        Ending::Fault {
            vector,
            addr: cr2.unwrap_or(0),
        },
    );
}

/// The calling environment exits with `code`.
pub fn exit_current(code: u64, frame: &mut TrapFrame) {
    let name = caller().map_or("?", |c| c.name);
    println!("{name}: exited with code {}", code as i64);
    end_current(frame, Ending::Exit(code));
}

/// The timer interrupted user mode: let the next runnable environment run.
pub fn on_timer(frame: &mut TrapFrame) {
    expire_waits();
    expire_revocations();
    reschedule(frame, true);
}

/// The caller gives up the rest of its slot.
pub fn yield_current(frame: &mut TrapFrame) {
    reschedule(frame, false);
}

/// The next `Ready` environment after `after` in id order (wrapping),
/// other than `except`.
fn next_ready(envs: &BTreeMap<u32, Env>, after: u32, except: u32) -> Option<u32> {
    let ready = |(id, e): (&u32, &Env)| (e.state == State::Ready && *id != except).then_some(*id);
    envs.range(after.saturating_add(1)..)
        .find_map(ready)
        .or_else(|| envs.iter().find_map(ready))
}

/// Loads environment `id`'s saved context into `frame` and makes it current.
fn load(envs: &BTreeMap<u32, Env>, id: u32, frame: &mut TrapFrame) {
    if let Some(e) = envs.get(&id) {
        *frame = e.context;
        paging::activate(e.aspace);
        arch::load_io_bitmap(e.io.as_deref());
        if let Some([kind, vector, error, addr]) = e.pending_upcall.take() {
            let _ = deliver_into(e, frame, kind, vector, error, addr);
        }
        percpu::this().current_env.store(id, Ordering::Relaxed);
    }
}

/// Asks the scheduler who runs now (at a tick, or after a yield) and
/// switches to it, saving the running environment's registers.
fn reschedule(frame: &mut TrapFrame, tick: bool) {
    let cur = current();
    let mut envs = ENVS.lock();
    let picked = scheduled(&envs, tick);
    let next = picked.or_else(|| next_ready(&envs, cur, cur));
    log::trace!("sched: cur {cur} picked {picked:?} next {next:?} tick {tick}");
    let Some(next) = next.filter(|n| *n != cur) else {
        return;
    };
    if let Some(e) = envs.get_mut(&cur) {
        e.context = *frame;
    }
    load(&envs, next, frame);
}

/// The running environment stopped running (it blocked or ended; its
/// context is saved): run the next ready one, or, if none is left, stop.
fn run_next(frame: &mut TrapFrame) {
    let cur = percpu::this().current_env.swap(NO_ENV, Ordering::Relaxed);
    let mut envs = ENVS.lock();
    // Nothing ready, but a deadline will pass: idle until then.
    while next_ready(&envs, cur, NO_ENV).is_none() && has_timed_waiter(&envs) {
        drop(envs);
        crate::arch::cpu::wait_for_interrupt();
        crate::arch::cpu::disable_interrupts();
        expire_waits();
        expire_revocations();
        envs = ENVS.lock();
    }
    match scheduled(&envs, false).or_else(|| next_ready(&envs, cur, NO_ENV)) {
        Some(next) => load(&envs, next, frame),
        None if envs.is_empty() => {
            drop(envs);
            all_gone()
        }
        None => {
            let n = envs.len();
            drop(envs);
            println!("kernel: every environment is blocked ({n} left)");
            all_gone()
        }
    }
}

/// Ends the running environment and continues with another.
fn end_current(frame: &mut TrapFrame, how: Ending) {
    let cur = current();
    destroy(cur, how);
    run_next(frame);
}

/// A new endpoint's id.
pub fn endpoint_create() -> u32 {
    let id = NEXT_ENDPOINT.fetch_add(1, Ordering::Relaxed);
    ENDPOINTS.lock().insert(id, Endpoint::default());
    id
}

/// The endpoint's object is gone: everyone queued on it fails.
pub fn endpoint_gone(ep: u32) {
    let mut envs = ENVS.lock();
    let Some(e) = ENDPOINTS.lock().remove(&ep) else {
        return;
    };
    for id in e.senders.iter().chain(e.receivers.iter()) {
        if let Some(w) = envs.get_mut(id) {
            w.wake_with(Error::NoPartner);
        }
    }
}

fn current() -> u32 {
    percpu::this().current_env.load(Ordering::Relaxed)
}

/// `Call`: deliver to a waiting receiver and switch straight to it, or
/// queue the caller.
pub fn ipc_call(frame: &mut TrapFrame, ep: u32, badge: u64) {
    let me = current();
    let msg = frame.ipc_message();
    let mut envs = ENVS.lock();
    let mut eps = ENDPOINTS.lock();
    let Some(e) = eps.get_mut(&ep) else {
        frame.set_syscall_result(Error::NoPartner as u64, [0; 4]);
        return;
    };
    let receiver = e.receivers.pop_front();
    if receiver.is_none() {
        e.senders.push_back(me);
    }
    drop(eps);
    let cap = frame.ipc_cap();
    let mut received = false;
    if let Some(r) = receiver {
        if let (Some(from), Some(State::BlockedRecv { cap_slot, .. })) = (
            envs.get(&me).map(|e| e.cspace),
            envs.get(&r).map(|e| e.state),
        ) {
            if let Some(to) = envs.get(&r).map(|e| e.cspace) {
                received = transfer_cap(from, cap, to, cap_slot);
            }
        }
    }
    if let Some(caller) = envs.get_mut(&me) {
        caller.context = *frame;
        caller.state = match receiver {
            Some(server) => State::BlockedReply { server },
            None => State::BlockedSend {
                ep,
                badge,
                msg,
                cap,
            },
        };
    }
    match receiver.and_then(|r| envs.get_mut(&r).map(|e| (r, e))) {
        Some((r, server)) => {
            server.context.set_ipc_result(0, badge, msg);
            server.context.set_ipc_cap_received(received);
            server.state = State::Ready;
            server.reply_to = Some(me);
            load(&envs, r, frame);
        }
        None => {
            drop(envs);
            run_next(frame);
        }
    }
}

/// Copies the capability in slot `cap` of `from` (GRANT and DERIVE) into
/// empty slot `slot` of `to`. False if either side declined or it failed.
fn transfer_cap(from: CSpaceId, cap: u64, to: CSpaceId, slot: u64) -> bool {
    let (Ok(cap), Ok(slot)) = (u32::try_from(cap), u32::try_from(slot)) else {
        return false;
    };
    let (src, dst) = (
        captree::SlotAddr::new(from, cap),
        captree::SlotAddr::new(to, slot),
    );
    let mut caps = CAPS.lock();
    caps.lookup(src, captree::Rights::GRANT.union(captree::Rights::DERIVE))
        .is_ok()
        && caps.copy(src, dst).is_ok()
}

/// `Recv`: take a queued notice or call, or block until one comes.
pub fn ipc_recv(frame: &mut TrapFrame, ep: u32) {
    if !try_receive(frame, ep) {
        block_on(frame, ep, None);
    }
}

/// Takes what is queued on `ep` into `frame`; false if nothing is.
fn try_receive(frame: &mut TrapFrame, ep: u32) -> bool {
    let me = current();
    let mut envs = ENVS.lock();
    let mut eps = ENDPOINTS.lock();
    let Some(e) = eps.get_mut(&ep) else {
        frame.set_syscall_result(Error::NoPartner as u64, [0; 4]);
        return true;
    };
    if let Some(n) = e.notices.pop_front() {
        frame.set_ipc_result(0, abi::ipc::NOTICE_BADGE, n);
        frame.set_ipc_cap_received(false);
        return true;
    }
    let Some(s) = e.senders.pop_front() else {
        return false;
    };
    drop(eps);
    let my_cspace = envs.get(&me).map(|e| e.cspace);
    if let Some(sender) = envs.get_mut(&s) {
        if let State::BlockedSend {
            badge, msg, cap, ..
        } = sender.state
        {
            sender.state = State::BlockedReply { server: me };
            let received =
                my_cspace.is_some_and(|to| transfer_cap(sender.cspace, cap, to, frame.ipc_cap()));
            frame.set_ipc_result(0, badge, msg);
            frame.set_ipc_cap_received(received);
        }
    }
    if let Some(server) = envs.get_mut(&me) {
        server.reply_to = Some(s);
    }
    true
}

/// Blocks the running environment on `ep`, switching to `prefer` if it is
/// ready, else to the next ready environment.
fn block_on(frame: &mut TrapFrame, ep: u32, prefer: Option<u32>) {
    let me = current();
    let mut envs = ENVS.lock();
    if let Some(e) = ENDPOINTS.lock().get_mut(&ep) {
        e.receivers.push_back(me);
    }
    if let Some(e) = envs.get_mut(&me) {
        e.context = *frame;
        e.state = State::BlockedRecv {
            ep,
            cap_slot: frame.ipc_cap(),
        };
    }
    match prefer.filter(|p| envs.get(p).is_some_and(|e| e.state == State::Ready)) {
        Some(p) => load(&envs, p, frame),
        None => {
            drop(envs);
            run_next(frame);
        }
    }
}

/// Delivers `msg` as the reply to the running environment's pending
/// caller. Returns the caller.
fn reply_to_caller(msg: [u64; 6]) -> Result<u32, Error> {
    let me = current();
    let mut envs = ENVS.lock();
    let c = envs
        .get_mut(&me)
        .and_then(|e| e.reply_to.take())
        .ok_or(Error::NoPartner)?;
    let caller = envs.get_mut(&c).ok_or(Error::NoPartner)?;
    if caller.state != (State::BlockedReply { server: me }) {
        return Err(Error::NoPartner);
    }
    caller.context.set_ipc_result(0, 0, msg);
    caller.state = State::Ready;
    Ok(c)
}

/// `Reply`.
pub fn ipc_reply(frame: &mut TrapFrame) -> Result<(), Error> {
    reply_to_caller(frame.ipc_message()).map(|_| ())
}

/// `ReplyRecv`: reply if a call is pending, then receive; when nothing is
/// queued, switch straight back to the caller just answered.
pub fn ipc_reply_recv(frame: &mut TrapFrame, ep: u32) {
    let caller = reply_to_caller(frame.ipc_message()).ok();
    if !try_receive(frame, ep) {
        block_on(frame, ep, caller);
    }
}

/// Registers a new environment built by `EnvCreate`.
pub fn add(env: Env) {
    write_info(&env);
    let mut envs = ENVS.lock();
    envs.insert(env.id, env);
    rebuild_schedule(&envs);
}

/// The address space of environment `id`.
pub fn aspace_of(id: u32) -> Option<u64> {
    ENVS.lock().get(&id).map(|e| e.aspace)
}

/// Starts environment `id`'s thread. Fails if it already started.
pub fn start_thread(id: u32, context: TrapFrame) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    if e.state != State::NotStarted {
        return Err(Error::AlreadyStarted);
    }
    e.context = context;
    e.state = State::Ready;
    Ok(())
}

/// Tears an environment down: its capabilities (releasing what only it
/// held), its mappings, its frames and its page tables. Callers waiting for
/// its reply fail with `NoPartner`; its parent's endpoint gets a notice;
/// the environments it created end with it (an environment's lifetime is
/// bounded by its creator's).
pub fn destroy(id: u32, how: Ending) {
    let Some(env) = ENVS.lock().remove(&id) else {
        return;
    };
    crate::sched::forget(id);
    rebuild_schedule(&ENVS.lock());
    paging::activate(0);
    let mut orphans = Vec::new();
    {
        let mut envs = ENVS.lock();
        let mut eps = ENDPOINTS.lock();
        for e in eps.values_mut() {
            e.senders.retain(|s| *s != id);
            e.receivers.retain(|r| *r != id);
        }
        for n in NOTIFICATIONS.lock().values_mut() {
            n.waiters.retain(|w| *w != id);
        }
        for (cid, e) in envs.iter_mut() {
            if e.state == (State::BlockedReply { server: id }) {
                e.wake_with(Error::NoPartner);
            }
            if e.parent == Some(id) {
                orphans.push(*cid);
            }
        }
        if let Some(parent) = env.parent.and_then(|p| envs.get_mut(&p)) {
            parent.quota_frames += env.quota_frames;
            write_info(parent);
        }
        if let Some(ep) = env.death_ep.and_then(|ep| eps.get_mut(&ep)) {
            let (kind, detail) = match how {
                Ending::Exit(code) => (0, code),
                Ending::Fault { vector, addr } => (u64::from(vector) + 1, addr),
            };
            let notice = [
                abi::ipc::NOTICE_CHILD_ENDED,
                u64::from(id),
                kind,
                detail,
                0,
                0,
            ];
            match ep.receivers.pop_front().and_then(|r| envs.get_mut(&r)) {
                Some(r) => {
                    r.context.set_ipc_result(0, abi::ipc::NOTICE_BADGE, notice);
                    r.context.set_ipc_cap_received(false);
                    r.state = State::Ready;
                }
                None => ep.notices.push_back(notice),
            }
        }
    }
    let mut removed = Vec::new();
    let _ = CAPS.lock().destroy_cspace(env.cspace, |r| removed.push(r));
    cap::settle(removed);
    {
        // Frames still held elsewhere forget this environment's mappings.
        let mut caps = CAPS.lock();
        for obj in env.mappings.values() {
            if let Ok(KObject::Frame { mappings, .. }) = caps.object_mut(*obj) {
                mappings.retain(|m| m.env != id);
            }
        }
    }
    for f in env.owned_frames.iter().copied().chain([env.info_frame]) {
        let _ = frames::free_frame(f);
    }
    paging::destroy_address_space(env.aspace, &mut |t| {
        let _ = frames::free_frame(t);
    });
    log::debug!(
        "env {id} ({}) destroyed; {} frames free",
        env.name,
        frames::free()
    );
    for o in orphans {
        println!("child: ended with its creator (env {id})");
        destroy(o, Ending::Exit(0));
    }
}

fn all_gone() -> ! {
    println!("kernel: root task gone");
    let (before, now) = (FRAMES_BEFORE.load(Ordering::Relaxed), frames_accounted());
    if before == now {
        println!("kernel: all {now} frames returned");
    } else {
        println!("kernel: frames not returned: {before} before the root task, {now} now");
    }
    if SHUTDOWN_WHEN_DONE.load(Ordering::Relaxed) {
        power::exit(power::Status::Ok);
    }
    console::echo_forever()
}
