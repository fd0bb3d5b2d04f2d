//! File pages lent to processes, for `mmap`: the server derives a
//! capability to the frame that holds a page of a file (a page of its own
//! first, if it was a hole or still the boot image's) into the process's
//! capability space and maps it at the address its library OS asks, from
//! the process's address-space capability. A shared mapping gets the
//! frame writable (stores are the file's bytes, seen by `read` and by
//! every other mapping); a private one read-only, and the library OS
//! copies it on the first write. The frame stays the file's while it is
//! mapped: when the page leaves the file (truncate) the store revokes
//! every capability derived from its mapping root (`fs::store`), which
//! unmaps it in every process, and the next access there faults (SIGBUS
//! past the end).
//! A fork copies the process's capabilities, so a child's mappings are
//! derived from the same frames and go the same way; at exit the kernel
//! deletes them with the capability space.

use abi::{map_flags, Rights};
use exo_rt::cap_mint_into;
use exo_rt::ipc::map_into;
use sysproto::sys::{self, MAP_WRITABLE};
use vfs::walk::Loc;

use super::{Errno, Kind, Server, EACCES, EBADF, EINVAL, ENODEV, ESRCH};
use crate::objects::access;

impl Server {
    /// `sys::MapPage`: page `index` of a handle's file into the caller.
    pub(super) fn map_page(&mut self, pid: u64, r: sys::MapPage) -> Result<(), Errno> {
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let Kind::File(loc) = obj.kind else {
            return Err(ENODEV);
        };
        let writable = r.at & MAP_WRITABLE != 0;
        let flags = r.at & (map_flags::WRITE | map_flags::EXECUTE);
        if obj.access & access::READ == 0
            || (writable && obj.access & access::WRITE == 0)
            || (flags & map_flags::WRITE != 0 && !writable)
        {
            return Err(EACCES);
        }
        let slot = u32::try_from(r.slot).map_err(|_| EINVAL)?;
        self.map_file_page(pid, loc, r.index, r.at & !0xfff, slot, flags, writable)
    }

    /// `sys::MapPages`: the pages from `index` of a handle's file that are
    /// in the cache, into the caller's slots `slots`; how many.
    pub(super) fn map_pages(
        &mut self,
        pid: u64,
        r: sys::MapPages,
        slots: &[u32],
    ) -> Result<u64, Errno> {
        let o = self.obj_of(pid, r.handle)?;
        let obj = self.objs.get(o).ok_or(EBADF)?;
        let Kind::File(loc) = obj.kind else {
            return Err(ENODEV);
        };
        let writable = r.at & MAP_WRITABLE != 0;
        let flags = r.at & (map_flags::WRITE | map_flags::EXECUTE);
        if obj.access & access::READ == 0
            || (writable && obj.access & access::WRITE == 0)
            || (flags & map_flags::WRITE != 0 && !writable)
        {
            return Err(EACCES);
        }
        let base = r.at & !0xfff;
        let mut done = 0u64;
        for (k, &slot) in slots.iter().take(sys::MAP_PAGES_MAX).enumerate() {
            let index = r.index + k as u64;
            let cached = self
                .fs
                .mem(loc)
                .is_some_and(|m| matches!(m.page(loc.ino, index), Ok(memfs::PageRef::Page(_))));
            if !cached {
                break;
            }
            let vaddr = base + k as u64 * 4096;
            match self.map_file_page(pid, loc, index, vaddr, slot, flags, writable) {
                Ok(()) => done += 1,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Maps page `index` of the file at `loc` at `vaddr` in process `pid`
    /// with [`abi::map_flags`] `flags`, through a capability to its frame
    /// derived into `pid`'s empty slot `slot` (with write rights if
    /// `writable`); the mapping is that capability's (deleting it unmaps
    /// the page). No permission check: the caller made it. Also for
    /// shared memory that is not a named file (an unnamed file of a
    /// memory file system).
    #[allow(clippy::too_many_arguments)]
    pub fn map_file_page(
        &mut self,
        pid: u64,
        loc: Loc,
        index: u64,
        vaddr: u64,
        slot: u32,
        flags: u64,
        writable: bool,
    ) -> Result<(), Errno> {
        let env = self.procs.get(&pid).ok_or(ESRCH)?.env;
        let mem = self.fs.mem_mut(loc).ok_or(ENODEV)?;
        let frames = mem.store().frames.clone();
        let page = mem.page_for_mapping(loc.ino, index)?;
        let root = frames.borrow_mut().mapping_root(page)?;
        // (No mount is noexec: a mapping may become executable.)
        let mut rights = Rights::MAP.union(Rights::READ).union(Rights::EXECUTE);
        if writable {
            rights = rights.union(Rights::WRITE);
        }
        cap_mint_into(root, env + 1, slot, rights, 0).map_err(|_| EINVAL)?;
        // A failed map leaves the capability in the caller's slot, for
        // it to delete.
        map_into(env, slot, vaddr, flags | map_flags::TARGET_SLOT).map_err(|_| EINVAL)
    }
}
