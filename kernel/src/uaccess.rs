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
    if one_page(ptr, end) {
        let phys = paging::translate_user(aspace, ptr, false).ok_or(Error::BadAddress)?;
        f(mem::phys_slice(phys, len).ok_or(Error::BadAddress)?);
        return Ok(());
    }
    let known = check_pages(aspace, ptr, end, false)?;
    let mut at = ptr;
    let mut k = 0;
    while at < end {
        let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))).min(end - at);
        let phys = page_phys(aspace, &known, k, at, false)?;
        f(mem::phys_slice(phys, chunk).ok_or(Error::BadAddress)?);
        at += chunk;
        k += 1;
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
    if one_page(ptr, end) {
        let phys = paging::translate_user(aspace, ptr, true).ok_or(Error::BadAddress)?;
        mem::write_phys(phys, bytes);
        return Ok(());
    }
    let known = check_pages(aspace, ptr, end, true)?;
    let mut at = ptr;
    let mut k = 0;
    while at < end {
        let chunk = (PAGE_SIZE - (at & (PAGE_SIZE - 1))).min(end - at);
        let phys = page_phys(aspace, &known, k, at, true)?;
        let from = (at - ptr) as usize;
        mem::write_phys(phys, &bytes[from..from + chunk as usize]);
        at += chunk;
        k += 1;
    }
    Ok(())
}

/// [`write_user`] for words (each stored little-endian): a range in one
/// page is checked and written with one walk and one copy; one across
/// pages is checked whole first, then written a word at a time.
pub fn write_user_words(aspace: u64, ptr: u64, words: &[u64]) -> Result<(), Error> {
    let len = core::mem::size_of_val(words) as u64;
    let end = ptr.checked_add(len).ok_or(Error::BadAddress)?;
    if ptr < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    if one_page(ptr, end) {
        let phys = paging::translate_user(aspace, ptr, true).ok_or(Error::BadAddress)?;
        mem::write_phys_words(phys, words);
        return Ok(());
    }
    check_pages(aspace, ptr, end, true)?;
    let mut at = ptr;
    for w in words {
        write_user(aspace, at, &w.to_le_bytes())?;
        at += 8;
    }
    Ok(())
}

/// Whether the non-empty range `[ptr, end)` lies in one page (then one
/// walk both checks it and finds its frame).
fn one_page(ptr: u64, end: u64) -> bool {
    end > ptr && (ptr ^ (end - 1)) < PAGE_SIZE
}

/// Pages whose frames [`check_pages`] keeps for the copy that follows.
const KNOWN: usize = 2;

/// Checks that every page of `[ptr, end)` (a user range) is mapped for
/// user access in `aspace` (writable too, if `write`), before a byte is
/// touched; returns the frames of the first [`KNOWN`] pages, so a short
/// range (the common case: a frame, a structure) is walked once per page.
fn check_pages(aspace: u64, ptr: u64, end: u64, write: bool) -> Result<[u64; KNOWN], Error> {
    let mut known = [0; KNOWN];
    let mut page = ptr & !(PAGE_SIZE - 1);
    let mut k = 0;
    while page < end {
        let phys = paging::translate_user(aspace, page, write).ok_or(Error::BadAddress)?;
        if let Some(slot) = known.get_mut(k) {
            *slot = phys;
        }
        page += PAGE_SIZE;
        k += 1;
    }
    Ok(known)
}

/// The physical address of user address `at`, in the `k`th page of a
/// range [`check_pages`] checked: from `known` for the first pages, walked
/// again for the rest.
fn page_phys(
    aspace: u64,
    known: &[u64; KNOWN],
    k: usize,
    at: u64,
    write: bool,
) -> Result<u64, Error> {
    match known.get(k) {
        Some(frame) => Ok(frame | (at & (PAGE_SIZE - 1))),
        None => paging::translate_user(aspace, at, write).ok_or(Error::BadAddress),
    }
}
