//! Building a symbol table (host side, feature `std`): sorting, de-duplicating
//! addresses, stripping rustc hash suffixes and laying out the bytes.

use std::collections::BTreeMap;
use std::string::String;
use std::vec::Vec;

use crate::{ENTRY_LEN, HEADER_LEN, MAGIC};

/// Removes a trailing rustc legacy-mangling hash (`::h` + 16 hex digits).
pub fn strip_hash_suffix(name: &str) -> &str {
    if let Some(pos) = name.rfind("::h") {
        let hash = &name[pos + 3..];
        if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return &name[..pos];
        }
    }
    name
}

/// Builds table bytes from `(addr, size, name)` triples.
///
/// Symbols are sorted by address. When several share an address, the one
/// with the largest size wins (ties: the first given). Names lose any rustc
/// hash suffix, and identical names share one copy in the strings blob.
pub fn build(symbols: &[(u64, u32, String)]) -> Vec<u8> {
    // addr -> (size, name); a BTreeMap sorts and de-duplicates in one go.
    let mut by_addr: BTreeMap<u64, (u32, &str)> = BTreeMap::new();
    for (addr, size, name) in symbols {
        let name = strip_hash_suffix(name);
        by_addr
            .entry(*addr)
            .and_modify(|cur| {
                if *size > cur.0 {
                    *cur = (*size, name);
                }
            })
            .or_insert((*size, name));
    }

    let mut strings: Vec<u8> = Vec::new();
    let mut interned: BTreeMap<&str, u32> = BTreeMap::new();
    let mut entries: Vec<u8> = Vec::with_capacity(by_addr.len() * ENTRY_LEN);
    for (addr, (size, name)) in &by_addr {
        let off = *interned.entry(name).or_insert_with(|| {
            let off = to_u32(strings.len());
            strings.extend_from_slice(name.as_bytes());
            off
        });
        entries.extend_from_slice(&addr.to_le_bytes());
        entries.extend_from_slice(&size.to_le_bytes());
        entries.extend_from_slice(&off.to_le_bytes());
        entries.extend_from_slice(&to_u32(name.len()).to_le_bytes());
        entries.extend_from_slice(&0u32.to_le_bytes());
    }

    let mut out = Vec::with_capacity(HEADER_LEN + entries.len() + strings.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&to_u32(by_addr.len()).to_le_bytes());
    out.extend_from_slice(&to_u32(strings.len()).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&entries);
    out.extend_from_slice(&strings);
    out
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("symbol table larger than 4 GiB")
}
