//! [`spawn`]: start a child environment that runs a function of this same
//! program, in a copy of the program's own image.
//!
//! The child gets a new address space holding, at the same virtual
//! addresses as in the parent:
//!
//! - every page of the image ([`crate::memory::segments`]), each copied
//!   into a fresh frame and mapped with its segment's rights: text R+X,
//!   rodata R, data and bss R+W. Data is *copied*, never shared: the child
//!   starts with a snapshot of the parent's statics as they were at the
//!   spawn, and from then on the two write only their own copies;
//! - a stack of [`STACK_PAGES`] fresh pages ending at the page below the
//!   parent's own stack top, so the runtime's view of "the program's own
//!   memory" (copied with the statics) is right in the child too.
//!
//! Each page is filled through one page of the parent's scratch window,
//! [`WINDOW`] (the last page of the window): map the frame there, write
//! it, unmap it, `MapInto` the child. The parent must not have anything
//! mapped at [`WINDOW`] while it spawns.
//!
//! The thread starts in the runtime's trampoline, which calls the entry
//! `fn(u64) -> !` with the argument. The child may only use its own stack,
//! its copies of the statics and the capabilities in its own capability
//! space: slots 0, 1, 2 (itself) and slot 3, the capability the parent
//! gave (`give`). It has no memory capability. A panic in the child prints
//! `panic: ...` and ends the child with code 101, as in any program.
//!
//! # The frame capabilities
//!
//! The frames' capabilities stay in the parent, in [`Child::frames`], for
//! as long as the child lives: deleting a frame capability removes the
//! mappings made through it, so deleting one early would pull that page
//! out from under the child. The parent's own scratch mapping of each
//! frame is removed as soon as the page is written, so the parent never
//! keeps a view of the child's memory. When the child has ended (its death
//! notice has arrived) [`Child::release`] deletes them, and the frames are
//! freed; if the parent never does, they are freed when the parent ends.

use core::ops::Range;

use abi::map_flags::WRITE;
use abi::{Error, PAGE_SIZE};

use super::{env_create, map_into, thread_start, EnvSlots};
use crate::calls::{cap_delete, frame_alloc, map, unmap, Slot};
use crate::memory::{image, scratch_write, segments, stack, SCRATCH_END};

/// The scratch page through which [`spawn`] fills the child's frames.
pub const WINDOW: u64 = SCRATCH_END - PAGE_SIZE;

/// Pages of the child's stack (32 KiB).
pub const STACK_PAGES: u32 = 8;

/// What to spawn.
#[derive(Clone, Debug)]
pub struct Spawn {
    /// A memory capability (DERIVE) the frames and the environment are
    /// charged to.
    pub mem: Slot,
    /// Empty slots of the parent for the child's capabilities: at least
    /// [`slots_needed`] of them, used from the start.
    pub slots: Range<Slot>,
    /// A capability (GRANT and DERIVE) copied into the child's slot 3.
    pub give: Option<Slot>,
    /// An endpoint (EXECUTE) for the child's death notice.
    pub death: Option<Slot>,
    /// The child's function; it must never return (end with
    /// [`crate::exit`]).
    pub entry: fn(u64) -> !,
    /// Its argument.
    pub arg: u64,
}

/// A spawned child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Child {
    /// Its id and its address space, capability space and thread.
    pub env: EnvSlots,
    /// The slots of its frames' capabilities (image copy and stack).
    pub frames: Range<Slot>,
}

/// Why [`spawn`] failed: the step and the kernel's error. Everything it
/// had made is deleted again, except the environment object itself: the
/// kernel ends it with its creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpawnError {
    /// What was being done (`env_create`, `frame_alloc`, ...).
    pub step: &'static str,
    /// The error.
    pub error: Error,
}

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "spawn: {}: {:?} ({})", self.step, self.error, self.error)
    }
}

fn at(step: &'static str) -> impl Fn(Error) -> SpawnError {
    move |error| SpawnError { step, error }
}

/// Pages of the program image.
fn image_pages() -> u32 {
    let r = image();
    ((r.end - r.start) / PAGE_SIZE) as u32
}

/// Slots [`spawn`] needs: three for the environment, one per image page,
/// one per stack page.
pub fn slots_needed() -> u32 {
    3 + image_pages() + STACK_PAGES
}

/// The child's stack: `[top - STACK_PAGES pages, top)`, `top` the page
/// boundary at or below the parent's stack top.
fn child_stack() -> Range<u64> {
    let top = stack().end & !(PAGE_SIZE - 1);
    top.saturating_sub(u64::from(STACK_PAGES) * PAGE_SIZE)..top
}

/// Builds the child described by `s` and starts its thread.
pub fn spawn(s: &Spawn) -> Result<Child, SpawnError> {
    let need = slots_needed();
    if s.slots.end.saturating_sub(s.slots.start) < need {
        return Err(SpawnError {
            step: "too few slots",
            error: Error::InvalidArgument,
        });
    }
    let st = child_stack();
    if st.start < image().end {
        return Err(SpawnError {
            step: "stack placement",
            error: Error::BadAddress,
        });
    }
    let env = env_create(s.mem, s.slots.start, s.give, s.death).map_err(at("env_create"))?;
    let first = s.slots.start + 3;
    let mut next = first;
    let built = build(s, env, st, &mut next);
    match built {
        Ok(()) => Ok(Child {
            env,
            frames: first..next,
        }),
        Err(e) => {
            let _ = unmap(WINDOW);
            for slot in (first..next).chain([env.aspace, env.cspace, env.thread]) {
                let _ = cap_delete(slot);
            }
            Err(e)
        }
    }
}

/// Fills and maps every page of the child, then starts it. `next` is the
/// next free frame slot (advanced before each allocation, so the caller
/// can delete `first..next` after a failure).
fn build(s: &Spawn, env: EnvSlots, st: Range<u64>, next: &mut Slot) -> Result<(), SpawnError> {
    let frame = |next: &mut Slot| -> Result<Slot, SpawnError> {
        let slot = *next;
        *next += 1;
        frame_alloc(s.mem, slot, None).map_err(at("frame_alloc"))?;
        Ok(slot)
    };
    for seg in segments() {
        for page in seg.pages.clone().step_by(PAGE_SIZE as usize) {
            let f = frame(next)?;
            fill(f, |off| super::image_word(page + off))?;
            map_into(env.aspace, f, page, seg.flags).map_err(at("map_into (image)"))?;
        }
    }
    // The entry and its argument at the top of the stack, for the
    // trampoline.
    let entry = s.entry as usize as u64;
    for page in st.clone().step_by(PAGE_SIZE as usize) {
        let f = frame(next)?;
        if page + PAGE_SIZE == st.end {
            fill(f, |off| match PAGE_SIZE - off {
                16 => entry,
                8 => s.arg,
                _ => 0,
            })?;
        }
        map_into(env.aspace, f, page, WRITE).map_err(at("map_into (stack)"))?;
    }
    thread_start(env.thread, super::child_entry_address(), st.end - 16, s.arg)
        .map_err(at("thread_start"))
}

/// Writes `word(offset)` for each word of the (zero-filled) frame in
/// `frame`, through [`WINDOW`]; zero words are skipped.
fn fill(frame: Slot, word: impl Fn(u64) -> u64) -> Result<(), SpawnError> {
    map(frame, WINDOW, WRITE).map_err(at("map (scratch window)"))?;
    for off in (0..PAGE_SIZE).step_by(8) {
        let w = word(off);
        if w != 0 {
            scratch_write(WINDOW + off, w);
        }
    }
    unmap(WINDOW)
        .map(|_| ())
        .map_err(at("unmap (scratch window)"))
}

impl Child {
    /// Deletes the child's frame capabilities (freeing its image copy and
    /// stack) and the capabilities to its address space, capability space
    /// and thread. Only once the child has ended: a live child would lose
    /// its memory and fault at its next access. The parent is unharmed
    /// either way. Slots already empty are skipped.
    pub fn release(&self) -> Result<(), Error> {
        let e = &self.env;
        for slot in self.frames.clone().chain([e.aspace, e.cspace, e.thread]) {
            match cap_delete(slot) {
                Ok(()) | Err(Error::EmptySlot) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}
