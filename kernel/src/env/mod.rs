//! Environments: an address space, a capability space and one thread's
//! saved user context. This module owns the environment object and the
//! table of environments, their mappings, entering user mode, exceptions
//! and exits from user mode, and tearing an environment down; the
//! submodules move threads between the kernel objects (`crate::object`)
//! and the CPU: the scheduler (`sched`), IPC over endpoints (`ipc`),
//! notifications and interrupt lines (`notify`), upcalls (`upcall`),
//! quotas, the info page, revocation and I/O ports (`resources`), what
//! happens when capabilities go (`release`), and what a call leaves in its
//! caller's registers (`result`: returned at call time, written by
//! `complete` when a blocked caller wakes).
//!
//! Lock: `ENVS` is the first lock any path takes (see `crate::object`).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use captree::{CSpaceId, ObjectId};
use spin::Mutex;

use crate::arch::{self, paging, TrapFrame};
use crate::cap::{self, KObject, CAPS};
use crate::mem::frames;
use crate::object::{Endpoint, IoPermissions, Notification};
use crate::percpu::{self, NO_ENV};
use crate::{console, fault, power, println};
use abi::Error;

mod account;
mod ipc;
mod notify;
mod release;
mod resources;
mod result;
mod sched;
mod upcall;

pub use account::*;
pub use ipc::*;
pub use notify::*;
pub use release::*;
pub use resources::*;
use result::complete;
pub use result::{write_result, Done, Resume};
pub use sched::*;
pub use upcall::*;

/// One environment.
pub struct Env {
    pub id: u32,
    pub name: &'static str,
    /// The root task (the kernel made it; its end is the system's).
    pub root: bool,
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
    pub death_ep: Option<Arc<Endpoint>>,
    /// The I/O ports it may use.
    pub io: IoPermissions,
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
    /// Its thread's x87/SSE state and FS base, while another thread has
    /// the CPU (see `arch::ExtState`).
    pub ext: arch::ExtState,
    /// Timer ticks charged to it in user mode and in the kernel.
    pub user_ticks: u64,
    pub system_ticks: u64,
}

impl Env {
    /// An environment with nothing in it yet but its address space, its
    /// capability space and its info page.
    fn new(id: u32, name: &'static str, aspace: u64, cspace: CSpaceId, info_frame: u64) -> Env {
        Env {
            id,
            name,
            root: false,
            aspace,
            cspace,
            context: TrapFrame::empty(),
            mappings: BTreeMap::new(),
            owned_frames: Vec::new(),
            upcall: None,
            state: State::NotStarted,
            reply_to: None,
            parent: None,
            death_ep: None,
            io: IoPermissions::new(),
            quota_frames: 0,
            used_frames: 0,
            info_frame,
            weight: 1,
            revoke: None,
            repossessed_count: 0,
            repossessed: [0; abi::info::REPOSSESSED_SLOTS],
            pending_upcall: core::cell::Cell::new(None),
            ext: arch::ExtState::new(),
            user_ticks: 0,
            system_ticks: 0,
        }
    }

    /// The root task, ready to run `context`, owning the frames of its
    /// image and stack, with `quota_frames` of quota.
    pub fn root(
        id: u32,
        aspace: u64,
        cspace: CSpaceId,
        info_frame: u64,
        context: TrapFrame,
        owned_frames: Vec<u64>,
        quota_frames: u64,
    ) -> Env {
        Env {
            root: true,
            context,
            owned_frames,
            state: State::Ready,
            quota_frames,
            ..Env::new(id, ROOT_NAME, aspace, cspace, info_frame)
        }
    }

    /// A child built by `EnvCreate` for `parent`, not started, with no
    /// quota; `death_ep` is told when it ends.
    pub fn child(
        id: u32,
        parent: u32,
        aspace: u64,
        cspace: CSpaceId,
        info_frame: u64,
        death_ep: Option<Arc<Endpoint>>,
    ) -> Env {
        Env {
            parent: Some(parent),
            death_ep,
            ..Env::new(id, "child", aspace, cspace, info_frame)
        }
    }
}

/// The root task's name in the kernel's messages.
pub const ROOT_NAME: &str = "root";

/// A thread's scheduling state. The running thread is `Ready`. A blocked
/// state holds the object it waits on (and it is on that object's queue,
/// and no other).
#[derive(Clone)]
pub enum State {
    /// Created, not started yet.
    NotStarted,
    /// Runnable (or running).
    Ready,
    /// Calling endpoint `ep`, no receiver yet.
    BlockedSend {
        ep: Arc<Endpoint>,
        badge: u64,
        msg: [u64; 6],
        cap: u64,
    },
    /// Waiting on endpoint `ep` for a call.
    BlockedRecv { ep: Arc<Endpoint>, cap_slot: u64 },
    /// Called `server` and waits for its reply.
    BlockedReply { server: u32 },
    /// Waiting on notification `ntf` until `deadline_us` (`u64::MAX`: none).
    BlockedWait {
        ntf: Arc<Notification>,
        deadline_us: u64,
    },
}

impl State {
    pub fn is_ready(&self) -> bool {
        matches!(self, State::Ready)
    }

    /// True if it waits for `server`'s reply.
    fn awaits_reply_of(&self, server: u32) -> bool {
        matches!(self, State::BlockedReply { server: s } if *s == server)
    }

    /// Takes the thread off the queue of the object it waits on.
    fn leave_queue(&self, id: u32) {
        match self {
            State::BlockedSend { ep, .. } | State::BlockedRecv { ep, .. } => ep.forget(id),
            State::BlockedWait { ntf, .. } => ntf.forget(id),
            State::NotStarted | State::Ready | State::BlockedReply { .. } => {}
        }
    }
}

/// How an environment ended, for its parent's notice.
#[derive(Clone, Copy)]
pub enum Ending {
    Exit(u64),
    Fault {
        vector: u8,
        addr: u64,
    },
    /// Ended by another environment's `EnvKill` with this code.
    Killed(u64),
}

/// Every environment, by id (lock order: see `crate::object`).
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
    if let Some(e) = ENVS.lock().get(&id) {
        e.ext.load();
        percpu::this().ext_owner.store(id, Ordering::Relaxed);
    }
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
    let (name, root) = ENVS
        .lock()
        .get(&current())
        .map_or(("?", false), |e| (e.name, e.root));
    // The root task's exit is the system's; other environments' exits
    // are routine (a library OS process each) and logged at debug level.
    if root {
        println!("{name}: exited with code {}", code as i64);
    } else {
        log::debug!("{name}: exited with code {}", code as i64);
    }
    end_current(frame, Ending::Exit(code));
}

/// `EnvKill`: ends environment `target` as a fatal fault would (its
/// creator's endpoint gets a notice with `HOW_KILLED` and `code`), whatever
/// it is doing: ready or preempted, blocked in a call, receive or wait, or
/// not started. The caller may not kill itself (`InvalidArgument`: that is
/// `Exit`); `NoPartner` if the target has already ended. If the target was
/// an ancestor of the caller, the caller ends with it and the next
/// environment runs; otherwise the caller continues with status 0.
pub fn kill(frame: &mut TrapFrame, target: u32, code: u64) -> Result<Resume, Error> {
    let me = current();
    if target == me {
        return Err(Error::InvalidArgument);
    }
    let name = ENVS
        .lock()
        .get(&target)
        .map(|e| e.name)
        .ok_or(Error::NoPartner)?;
    log::debug!("{name}: killed by env {me} with code {}", code as i64);
    destroy(target, Ending::Killed(code));
    let mine = ENVS.lock().get(&me).map(|e| e.aspace);
    match mine {
        // `destroy` left the kernel's page tables loaded.
        Some(aspace) => {
            paging::activate(aspace);
            Ok(Resume::Caller(Done::Results([0; 4])))
        }
        None => {
            run_next(frame);
            Ok(Resume::Loaded)
        }
    }
}

/// Ends the running environment and continues with another.
fn end_current(frame: &mut TrapFrame, how: Ending) {
    let cur = current();
    destroy(cur, how);
    run_next(frame);
}

fn current() -> u32 {
    percpu::this().current_env.load(Ordering::Relaxed)
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

/// The capability space of environment `id`.
pub fn cspace_of(id: u32) -> Option<CSpaceId> {
    ENVS.lock().get(&id).map(|e| e.cspace)
}

/// Starts environment `id`'s thread. Fails if it already started.
pub fn start_thread(id: u32, context: TrapFrame) -> Result<(), Error> {
    let mut envs = ENVS.lock();
    let e = envs.get_mut(&id).ok_or(Error::NoPartner)?;
    if !matches!(e.state, State::NotStarted) {
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
    resources::ports_holder_gone(env.cspace);
    if env.root {
        match how {
            Ending::Exit(code) => power::root_exited(code),
            Ending::Fault { .. } => power::root_ended(power::Status::RootFault),
            Ending::Killed(_) => power::root_ended(power::Status::RootKilled),
        }
    }
    sched::forget(id);
    rebuild_schedule(&ENVS.lock());
    paging::activate(0);
    {
        let mut envs = ENVS.lock();
        env.state.leave_queue(id);
        for e in envs.values_mut() {
            if e.state.awaits_reply_of(id) {
                complete(e, Err(Error::NoPartner));
            }
        }
        if let Some(parent) = env.parent.and_then(|p| envs.get_mut(&p)) {
            parent.quota_frames += env.quota_frames;
            write_info(parent);
        }
        if let Some(ep) = &env.death_ep {
            let (kind, detail) = match how {
                Ending::Exit(code) => (0, code),
                Ending::Fault { vector, addr } => (u64::from(vector) + 1, addr),
                Ending::Killed(code) => (abi::ipc::HOW_KILLED, code),
            };
            let notice = [
                abi::ipc::NOTICE_CHILD_ENDED,
                u64::from(id),
                kind,
                detail,
                env.user_ticks,
                env.system_ticks,
            ];
            ipc::send_notice(&mut envs, ep, notice);
        }
    }
    // In bounded steps with the reports on the stack: a teardown never
    // needs fresh memory, however many capabilities the space held.
    release::destroy_cspace(env.cspace);
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
    // The environments it created end with it (found one at a time, so
    // that nothing is collected).
    loop {
        let orphan = ENVS
            .lock()
            .iter()
            .find(|(_, e)| e.parent == Some(id))
            .map(|(cid, _)| *cid);
        let Some(o) = orphan else { break };
        log::debug!("child: ended with its creator (env {id})");
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
        // The machine's exit status is the root task's: its exit code, or
        // the kernel status of a root task killed (`power`).
        power::exit_root();
    }
    console::echo_forever()
}
