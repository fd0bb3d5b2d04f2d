//! Reads without a copy in the server (`sys::ReadMap`): the server maps
//! the pages of its cache that hold the bytes, read-only, into the
//! caller's read window (`layout::READ_WINDOW`), and the library OS copies
//! from there straight into the program's buffer. Page `i` of a file goes
//! to window page `i % READ_WINDOW_PAGES`, so reading the same part of a
//! file again finds its pages already there: one request for up to 1 MiB,
//! no copy in the server, no kernel call.
//!
//! Mapping a page costs three kernel calls (the old page's capability
//! deleted from the process's window slot, the new one derived into it,
//! mapped) where a copy through the data area costs one 4 KiB copy, so a
//! page is mapped on its second read: the first marks its window entry
//! *seen* and the bytes travel in the data area, as `sys::Read`'s. A file
//! streamed once is copied, a file read again is mapped.
//!
//! The process's capability is derived from the page's own. A page the
//! file lets go of (a truncate, an unlink) while mapped in a window stays,
//! unchanged, until the entry is replaced (`fs::store` retires it), so the
//! library OS never copies from a page that vanished under it: a read
//! racing a truncate sees the bytes from before it, as if it had come
//! first. When the process ends its entries go (its capability space went
//! with it), and with them the retired pages they held.
//!
//! Pages that are not in the cache — still the boot image's bytes, holes,
//! other files — always travel in the data area.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use core::cell::RefCell;

use abi::{map_flags, Rights};
use exo_rt::ipc::map_into;
use exo_rt::{cap_delete_in, cap_mint_into, Slot};
use sysproto::layout::READ_WINDOW;
use sysproto::{slots, sys, DATA_BYTES, READ_WINDOW_PAGES};
use vfs::walk::Loc;

use super::{Errno, Kind, Server, EBADF};
use crate::fs::store::page_slot;
use crate::fs::Frames;
use crate::objects::access;
use sysproto::wire::Data;

const PAGE: u64 = 4096;

/// One window page: which page of which file, the pool page that holds
/// it, and whether it is mapped (else only seen once).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    loc: Loc,
    index: u64,
    page: u32,
    mapped: bool,
}

/// Every process's read window: by pid, its entries (empty until its
/// first read of a file).
#[derive(Default)]
pub struct Windows {
    by_pid: BTreeMap<u64, Vec<Option<Entry>>>,
}

impl Server {
    /// `sys::ReadMap`: the bytes in the caller's window, or in the data
    /// area (`window` = `u64::MAX`) as a plain read.
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
        let size = match obj.kind {
            Kind::File(loc) => self.fs.mem(loc).ok_or(EBADF)?.size(loc.ino)?,
            _ => obj.text.as_ref().map_or(0, |t| t.len() as u64),
        };
        let mapped = match obj.kind {
            Kind::File(loc) => self.map_range(pid, loc, pos, r.len, size)?,
            _ => None,
        };
        let Some((n, window)) = mapped else {
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
                end: pos + n >= size,
            });
        };
        if at == u64::MAX {
            if let Some(obj) = self.objs.get_mut(o) {
                obj.pos = pos + n;
            }
        }
        Ok(sys::ReadMapReply {
            n,
            window,
            end: pos + n >= size,
        })
    }

    /// Maps the pages of `[pos, pos + len)` of the file at `loc` (of
    /// `size` bytes; cut at its end and at the window's) into `pid`'s window: the bytes and
    /// their offset in the window, or `None` when they should travel in
    /// the data area (a page not in the cache, or read for the first
    /// time: those of the first data area's worth are marked seen).
    fn map_range(
        &mut self,
        pid: u64,
        loc: Loc,
        pos: u64,
        len: u64,
        size: u64,
    ) -> Result<Option<(u64, u64)>, Errno> {
        let Some(mem) = self.fs.mem(loc) else {
            return Ok(None);
        };
        if pos >= size || len == 0 {
            return Ok(None);
        }
        let first = pos / PAGE;
        let slot0 = first % READ_WINDOW_PAGES;
        // Never past the window's end: the bytes stay contiguous there.
        let room = (READ_WINDOW_PAGES - slot0) * PAGE - pos % PAGE;
        let want = len.min(size - pos).min(room);
        let count = (pos % PAGE + want).div_ceil(PAGE);
        let Some(env) = self.procs.get(&pid).map(|p| p.env) else {
            return Err(EBADF);
        };
        let win = self
            .windows
            .by_pid
            .entry(pid)
            .or_insert_with(|| alloc::vec![None; READ_WINDOW_PAGES as usize]);
        let slot_of = |index: u64| (index % READ_WINDOW_PAGES) as usize;
        // The pages from the first on that were read before (the prefix
        // that is mapped), up to the first that was not or is not in the
        // cache. A first page read for the first time is marked seen,
        // with those after it that the data area carries, and copied.
        let copied = (pos % PAGE + DATA_BYTES as u64).div_ceil(PAGE).min(count);
        let mut pages = Vec::new();
        let mut fresh = false;
        for (next, (index, p)) in (first..).zip(mem.store_pages(loc.ino, first..first + count)?) {
            if index != next || (fresh && index >= first + copied) {
                break;
            }
            let e = Entry {
                loc,
                index,
                page: p.id(),
                mapped: false,
            };
            let w = slot_of(index);
            let seen = win[w].is_some_and(|old| {
                Entry {
                    mapped: false,
                    ..old
                } == e
            });
            if seen && !fresh {
                pages.extend(win[w]);
                continue;
            }
            if !pages.is_empty() {
                break;
            }
            fresh = true;
            if !seen {
                forget(&self.fs.frames, env, w, win[w].take());
                win[w] = Some(e);
            }
        }
        if fresh {
            return Ok(None);
        }
        if pages.is_empty() {
            return Ok(None);
        }
        for e in pages.iter_mut().filter(|e| !e.mapped) {
            let w = slot_of(e.index);
            let their = slots::READ_WINDOW + w as u32;
            let vaddr = READ_WINDOW + w as u64 * PAGE;
            let rights = Rights::MAP.union(Rights::READ);
            let made = cap_mint_into(page_slot(e.page), env + 1, their, rights, 0)
                .and_then(|()| map_into(env, their, vaddr, map_flags::TARGET_SLOT));
            if made.is_err() {
                // Whatever was made goes; the bytes travel the plain way.
                let _ = cap_delete_in(env + 1, u64::from(their));
                return Ok(None);
            }
            self.fs.frames.borrow_mut().window_hold(e.page);
            e.mapped = true;
            win[w] = Some(*e);
        }
        // The bytes of the mapped prefix.
        let n = want.min(pages.len() as u64 * PAGE - pos % PAGE);
        Ok(Some((n, slot0 * PAGE + pos % PAGE)))
    }

    /// Process `pid` ended: its window's entries go (the capabilities
    /// derived into it went with its capability space).
    pub(super) fn window_ended(&mut self, pid: u64) {
        let Some(win) = self.windows.by_pid.remove(&pid) else {
            return;
        };
        for e in win.into_iter().flatten().filter(|e| e.mapped) {
            self.fs.frames.borrow_mut().window_release(e.page);
        }
    }
}

/// Entry `w` of the window of the process with capabilities from `env`
/// no longer holds `old`: its capability (and so its mapping) goes from
/// the process, and the page is let go.
fn forget(frames: &RefCell<Frames>, env: Slot, w: usize, old: Option<Entry>) {
    if let Some(e) = old.filter(|e| e.mapped) {
        let _ = cap_delete_in(env + 1, u64::from(slots::READ_WINDOW) + w as u64);
        frames.borrow_mut().window_release(e.page);
    }
}
