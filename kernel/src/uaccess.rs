//! Reading and writing user memory safely: every byte of a user range is checked to be
//! a mapped user page of the given address space before any is read, and
//! the bytes are read through the direct map, so a wild pointer can only
//! earn an error, never a kernel fault.

use abi::{Error, PAGE_SIZE, USER_END, USER_MIN};

use crate::arch::paging;
use crate::mem;

/// Checks that `[ptr, ptr+len)` is a user range mapped in `aspace` (writable
/// too, if `write`), then calls `f` with its bytes, page by page.
pub fn read_user(aspace: u64, ptr: u64, len: u64, mut f: impl FnMut(&[u8])) -> Result<(), Error> {
    let end = ptr.checked_add(len).ok_or(Error::BadAddress)?;
    if ptr < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    let mut page = ptr & !(PAGE_SIZE - 1);
    while page < end {
        paging::translate_user(aspace, page, false).ok_or(Error::BadAddress)?;
        page += PAGE_SIZE;
    }
    let mut at = ptr;
    while at < end {
        let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))).min(end - at);
        let phys = paging::translate_user(aspace, at, false).ok_or(Error::BadAddress)?;
        f(mem::phys_slice(phys, chunk).ok_or(Error::BadAddress)?);
        at += chunk;
    }
    Ok(())
}

/// Checks that `[ptr, ptr+bytes.len())` is a user range mapped writable in
/// `aspace`, then copies `bytes` there.
#[inline]
pub fn write_user(aspace: u64, ptr: u64, bytes: &[u8]) -> Result<(), Error> {
    let end = ptr
        .checked_add(bytes.len() as u64)
        .ok_or(Error::BadAddress)?;
    if ptr < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    let mut page = ptr & !(PAGE_SIZE - 1);
    while page < end {
        paging::translate_user(aspace, page, true).ok_or(Error::BadAddress)?;
        page += PAGE_SIZE;
    }
    let mut at = ptr;
    while at < end {
        let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))).min(end - at);
        let phys = paging::translate_user(aspace, at, true).ok_or(Error::BadAddress)?;
        let from = (at - ptr) as usize;
        mem::write_phys(phys, &bytes[from..from + chunk as usize]);
        at += chunk;
    }
    Ok(())
}
