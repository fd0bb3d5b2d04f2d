//! `/proc/self/maps` and `/proc/self/fd`: the library OS owns the address
//! space and the descriptor table, so before the process opens its own
//! `maps` it sends the server the current map (formatted as Linux formats
//! it), and once it has opened its own `fd` directory, the descriptors and
//! their handles; the server then serves them.

use alloc::string::String;
use alloc::vec::Vec;

use sysproto::layout::{STACK_MAX, STACK_TOP};
use sysproto::sys;

use crate::mm::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::Proc;
use crate::server;

/// Whether `path` names this process's own `maps`.
fn own_maps(path: &[u8]) -> bool {
    own(path, b"/maps")
}

/// Whether `path` is `/proc/self` (or this process's `/proc/PID`) and then
/// `file`.
fn own(path: &[u8], file: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/proc/") else {
        return false;
    };
    let rest = rest.strip_suffix(b"/").unwrap_or(rest);
    let Some(dir) = rest.strip_suffix(file) else {
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

/// Sends the descriptor table if `path` is this process's own `fd`
/// directory (just opened: its own descriptor is listed, as in Linux).
pub fn after_open(p: &Proc, path: &[u8]) {
    if !own(path, b"/fd") {
        return;
    }
    let mut bytes = Vec::new();
    for (fd, f) in p.fds.open_fds() {
        if bytes.len() + 16 > sysproto::DATA_BYTES {
            break;
        }
        bytes.extend_from_slice(&(fd as u64).to_le_bytes());
        bytes.extend_from_slice(&f.file.handle.to_le_bytes());
    }
    let _ = server::call_with(sys::ProcFds {}, &bytes[..]);
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
