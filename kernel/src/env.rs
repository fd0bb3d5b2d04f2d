//! Environments: an address space, a capability space and one thread's
//! saved user context. Owns entering user mode, the system-call and
//! exception entry from user mode, round-robin switching between runnable
//! environments, and tearing an environment down when it exits or faults.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use captree::{CSpaceId, ObjectId};
use spin::Mutex;

use crate::arch::{paging, TrapFrame};
use crate::cap::{self, KObject, CAPS};
use crate::mem::frames;
use crate::percpu::{self, NO_ENV};
use crate::{console, fault, power, println};

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
    let id = percpu::this().current_env.load(Ordering::Relaxed);
    let (aspace, up) = {
        let envs = ENVS.lock();
        let e = envs.get(&id).ok_or(NoUpcall::NotRegistered)?;
        (e.aspace, e.upcall.clone().ok_or(NoUpcall::NotRegistered)?)
    };
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
    crate::uaccess::write_user(aspace, at, &bytes)
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
    let id = percpu::this().current_env.load(Ordering::Relaxed);
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

/// Takes a capability mapping out of the record, returning the frame object.
pub fn take_mapping(env: u32, vaddr: u64) -> Option<ObjectId> {
    ENVS.lock().get_mut(&env)?.mappings.remove(&vaddr)
}

/// Starts `env` as the first environment on this CPU. Never returns.
pub fn start(env: Env, shutdown_when_done: bool) -> ! {
    SHUTDOWN_WHEN_DONE.store(shutdown_when_done, Ordering::Relaxed);
    let (id, aspace, context) = (env.id, env.aspace, env.context);
    ENVS.lock().insert(id, env);
    percpu::this().current_env.store(id, Ordering::Relaxed);
    paging::activate(aspace);
    crate::arch::enter_user_mode(&context)
}

/// A `syscall` from user mode.
pub fn on_syscall(frame: &mut TrapFrame) {
    crate::syscall::handle(frame);
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
    end_current(frame);
}

/// The calling environment exits with `code`.
pub fn exit_current(code: u64, frame: &mut TrapFrame) {
    let name = caller().map_or("?", |c| c.name);
    println!("{name}: exited with code {}", code as i64);
    end_current(frame);
}

/// The timer interrupted user mode: let the next runnable environment run.
pub fn on_timer(frame: &mut TrapFrame) {
    switch_to_next(frame);
}

/// The caller gives up the rest of its slot.
pub fn yield_current(frame: &mut TrapFrame) {
    switch_to_next(frame);
}

/// Saves the running environment's registers and loads the next one's, in
/// id order after the current one (round robin). No-op if it is alone.
fn switch_to_next(frame: &mut TrapFrame) {
    let cpu = percpu::this();
    let cur = cpu.current_env.load(Ordering::Relaxed);
    let mut envs = ENVS.lock();
    let next = envs
        .range(cur.saturating_add(1)..)
        .next()
        .or_else(|| envs.iter().next())
        .map(|(id, _)| *id);
    let Some(next) = next.filter(|n| *n != cur) else {
        return;
    };
    if let Some(e) = envs.get_mut(&cur) {
        e.context = *frame;
    }
    if let Some(e) = envs.get(&next) {
        *frame = e.context;
        paging::activate(e.aspace);
        cpu.current_env.store(next, Ordering::Relaxed);
    }
}

/// Destroys the running environment and continues with another, or, when
/// none is left, powers off (`shutdown`) or idles.
fn end_current(frame: &mut TrapFrame) {
    let cpu = percpu::this();
    let cur = cpu.current_env.swap(NO_ENV, Ordering::Relaxed);
    destroy(cur);
    let next = ENVS
        .lock()
        .iter()
        .next()
        .map(|(id, e)| (*id, e.aspace, e.context));
    match next {
        Some((id, aspace, context)) => {
            *frame = context;
            paging::activate(aspace);
            cpu.current_env.store(id, Ordering::Relaxed);
        }
        None => all_gone(),
    }
}

/// Tears an environment down: its capabilities (releasing what only it
/// held), its mappings, its frames and its page tables.
fn destroy(id: u32) {
    let Some(env) = ENVS.lock().remove(&id) else {
        return;
    };
    paging::activate(0);
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
    for f in env.owned_frames {
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
