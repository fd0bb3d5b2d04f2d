//! `/proc/self/maps`: the library OS owns the address space, so before
//! the process opens its own `maps` it sends the server the current map
//! (formatted as Linux formats it), which the server then serves.

use alloc::string::String;
use alloc::vec::Vec;

use sysproto::layout::{STACK_MAX, STACK_TOP};
use sysproto::sys;

use crate::mm::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::Proc;
use crate::server;

/// Whether `path` names this process's own `maps`.
fn own_maps(path: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/proc/") else {
        return false;
    };
    let Some(dir) = rest.strip_suffix(b"/maps") else {
        return false;
    };
    dir == b"self"
        || dir == b"thread-self"
        || core::str::from_utf8(dir)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            == Some(server::pid())
}

/// Sends the map if `path` is this process's own `maps`.
pub fn before_open(p: &Proc, path: &[u8]) {
    if !own_maps(path) {
        return;
    }
    let text = maps_text(p);
    let bytes = text.as_bytes();
    let cut = bytes.len().min(sysproto::DATA_BYTES);
    // Whole lines only.
    let cut = bytes[..cut]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let _ = server::call_with(sys::ProcMaps {}, &bytes[..cut]);
}

/// The areas as `/proc/PID/maps` lines: the program's own segments (below
/// the break) named by its path, the break area `[heap]`, the stack
/// `[stack]`. The library OS does not keep file offsets or inodes of the
/// program's segments: those show as 0.
fn maps_text(p: &Proc) -> String {
    let exe = String::from_utf8_lossy(&p.exe).into_owned();
    let areas: Vec<procfs::Area> =
        p.mm.areas()
            .map(|(start, a)| {
                let path = if a.end <= p.mm.brk_start {
                    exe.clone()
                } else if start >= p.mm.brk_start && start < p.mm.brk.max(p.mm.brk_start + 1) {
                    String::from("[heap]")
                } else if start >= STACK_TOP - STACK_MAX && a.end <= STACK_TOP {
                    String::from("[stack]")
                } else {
                    String::new()
                };
                procfs::Area {
                    start,
                    end: a.end,
                    read: a.prot & PROT_READ != 0,
                    write: a.prot & PROT_WRITE != 0,
                    exec: a.prot & PROT_EXEC != 0,
                    shared: a.shared,
                    path,
                    ..procfs::Area::default()
                }
            })
            .collect();
    procfs::maps_with_pointer_size(&areas, core::mem::size_of::<usize>())
}
