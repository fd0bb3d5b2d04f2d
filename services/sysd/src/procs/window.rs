//! Reads without a copy in the server (`sys::ReadMap`): the server maps
//! the pages of its cache that hold the bytes, read-only, into the
//! caller's read window (`layout::READ_WINDOW`), and the library OS copies
//! from there straight into the program's buffer. Page `i` of a file goes
//! to window page `i % READ_WINDOW_PAGES`, so reading the same part of a
//! file again finds its pages already there and costs no kernel call.
//!
//! Each entry is a capability the server derives from the page's own into
//! a slot of its own (the entry's), and from that into the process's
//! window slot; replacing the entry revokes the server's, which deletes
//! and unmaps the process's. A page the file lets go of (a truncate, an
//! unlink) while an entry holds it stays, unchanged, until the entry is
//! replaced (`fs::store` retires it), so the library OS never copies from
//! a page that vanished under it: a read racing a truncate sees the bytes
//! from before it, as if it had come first. When the process ends its
//! entries go (its capability space went with it).
//!
//! Pages that are not in the cache — still the boot image's bytes, holes,
//! other files — are read into the data area as `sys::Read` does.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use abi::{map_flags, Rights};
use exo_rt::ipc::map_into;
use exo_rt::{cap_delete, cap_mint, cap_mint_into, cap_revoke, Slot};
use memfs::PageRef;
use sysproto::layout::READ_WINDOW;
use sysproto::{slots, sys, DATA_BYTES, READ_WINDOW_PAGES};
use vfs::walk::Loc;
use vfs::Fs;

use super::{Errno, Kind, Server, EBADF};
use crate::fs::store::{page_slot, FIRST_WINDOW_SLOT};
use crate::objects::access;
use crate::slots::SlotPool;
use sysproto::wire::Data;

const PAGE: u64 = 4096;

/// One window page: which page of which file, the pool page that holds
/// it, and the server's capability the process's is derived from.
#[derive(Clone, Copy)]
struct Entry {
    loc: Loc,
    index: u64,
    page: u32,
    slot: Slot,
}

/// Every process's read window.
pub struct Windows {
    /// By pid: its entries (empty until its first mapped read).
    by_pid: BTreeMap<u64, Vec<Option<Entry>>>,
    /// The server's slots for entries.
    slots: SlotPool,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows {
            by_pid: BTreeMap::new(),
            slots: SlotPool::new(FIRST_WINDOW_SLOT, abi::root_slots::COUNT),
        }
    }
}

impl Server {
    /// `sys::ReadMap`: `Some((n, window offset))` when the bytes are in
    /// the caller's window, `None` when they went into the data area
    /// (`n` of them) as a plain read.
    pub(super) fn read_map(
        &mut self,
        pid: u64,
        r: sys::ReadMap,
        d: &mut Data<'_, sys::ReadMap>,
    ) -> Result<sys::ReadMapReply, Errno> {
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        if obj.access & access::READ == 0 {
            return Err(EBADF);
        }
        let at = r.offset;
        let pos = if at == u64::MAX { obj.pos } else { at };
        let mapped = match obj.kind {
            Kind::File(loc) => self.map_range(pid, loc, pos, r.len)?,
            _ => None,
        };
        let (n, window) = match mapped {
            Some(x) => x,
            None => {
                // As `Read` would, into the data area.
                let read = sys::Read {
                    handle: r.handle,
                    len: r.len.min(DATA_BYTES as u64),
                    offset: at,
                    ttin_ignored: true,
                };
                let n = self.read_file_into(o, read, d)?;
                return Ok(sys::ReadMapReply {
                    n,
                    window: u64::MAX,
                });
            }
        };
        if at == u64::MAX {
            if let Some(obj) = self.objs.get_mut(o) {
                obj.pos = pos + n;
            }
        }
        Ok(sys::ReadMapReply { n, window })
    }

    /// Maps the pages of `[pos, pos + len)` of the file at `loc` (cut at
    /// its end and at the window's) into `pid`'s window: the bytes and
    /// their offset in the window, or `None` if a page is not in the
    /// cache (nothing is mapped then). (0, 0) at or past the end.
    fn map_range(
        &mut self,
        pid: u64,
        loc: Loc,
        pos: u64,
        len: u64,
    ) -> Result<Option<(u64, u64)>, Errno> {
        let Some(mem) = self.fs.mem(loc) else {
            return Ok(None);
        };
        let size = mem.getattr(loc.ino)?.size;
        if pos >= size || len == 0 {
            return Ok(Some((0, 0)));
        }
        let first = pos / PAGE;
        let slot0 = first % READ_WINDOW_PAGES;
        // Never past the window's end: the bytes stay contiguous there.
        let room = (READ_WINDOW_PAGES - slot0) * PAGE - pos % PAGE;
        let n = len.min(size - pos).min(room);
        let last = (pos + n - 1) / PAGE;
        let mut pages = Vec::with_capacity((last - first + 1) as usize);
        for index in first..=last {
            match mem.page(loc.ino, index)? {
                PageRef::Page(p) => pages.push(p.id()),
                PageRef::Hole | PageRef::Image(_) => return Ok(None),
            }
        }
        let env = match self.procs.get(&pid) {
            Some(p) => p.env,
            None => return Err(EBADF),
        };
        let frames = self.fs.frames.clone();
        let win = self
            .windows
            .by_pid
            .entry(pid)
            .or_insert_with(|| alloc::vec![None; READ_WINDOW_PAGES as usize]);
        for (k, &page) in pages.iter().enumerate() {
            let index = first + k as u64;
            let w = (index % READ_WINDOW_PAGES) as usize;
            if let Some(e) = win[w] {
                if e.loc == loc && e.index == index && e.page == page {
                    continue;
                }
                // The process's capability goes with the server's.
                let _ = cap_revoke(e.slot);
                let _ = cap_delete(e.slot);
                self.windows.slots.free(e.slot);
                win[w] = None;
                frames.borrow_mut().window_release(e.page);
            }
            let Some(slot) = self.windows.slots.alloc() else {
                return Ok(None);
            };
            let rights = Rights::MAP.union(Rights::READ);
            let their = slots::READ_WINDOW + w as u32;
            let vaddr = READ_WINDOW + w as u64 * PAGE;
            let made = cap_mint(page_slot(page), slot, Rights::ALL, 0)
                .and_then(|()| cap_mint_into(slot, env + 1, their, rights, 0))
                .and_then(|()| map_into(env, their, vaddr, map_flags::TARGET_SLOT));
            if made.is_err() {
                // (A capability minted into the process's slot went with
                // the server's.)
                let _ = cap_revoke(slot);
                let _ = cap_delete(slot);
                self.windows.slots.free(slot);
                return Ok(None);
            }
            frames.borrow_mut().window_hold(page);
            win[w] = Some(Entry {
                loc,
                index,
                page,
                slot,
            });
        }
        Ok(Some((n, slot0 * PAGE + pos % PAGE)))
    }

    /// Process `pid` ended: its window's entries go (the capabilities
    /// derived into it went with its capability space).
    pub(super) fn window_ended(&mut self, pid: u64) {
        let Some(win) = self.windows.by_pid.remove(&pid) else {
            return;
        };
        for e in win.into_iter().flatten() {
            let _ = cap_revoke(e.slot);
            let _ = cap_delete(e.slot);
            self.windows.slots.free(e.slot);
            self.fs.frames.borrow_mut().window_release(e.page);
        }
    }
}
