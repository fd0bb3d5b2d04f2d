//! Loading a program: `execve` in the library OS. The file comes from the
//! system server a piece at a time, straight into the pages of each ELF
//! segment (ET_EXEC at its own addresses, static PIE at
//! `layout::PIE_BASE`); `#!` scripts run their interpreter. Then the
//! initial stack: argc, argv, envp and the auxiliary vector, as Linux
//! builds it.

use alloc::vec::Vec;

use abi::UpcallFrame;
use sysproto::layout::{PIE_BASE, STACK_TOP};
use sysproto::{kind, sys, DATA_BYTES};

use crate::mm::{PAGE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::proc::{Proc, Trace};
use crate::{server, time};
use linux_errno::Errno::{self, E2BIG, EACCES, EIO, ENOEXEC, ENOMEM};

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;

/// A program header.
#[derive(Clone, Copy, Debug)]
struct Phdr {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

/// The parts of the ELF header the loader needs.
struct Header {
    pie: bool,
    entry: u64,
    phoff: u64,
    phnum: u64,
    phdrs: Vec<Phdr>,
}

fn u16_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(o..o + 2)?.try_into().ok()?,
    )))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// Checks the header of a static x86_64 executable in `head` (the file's
/// first bytes).
fn parse(head: &[u8]) -> Result<Header, Errno> {
    if head.get(..4) != Some(b"\x7fELF") || head.get(4) != Some(&2) || head.get(5) != Some(&1) {
        return Err(ENOEXEC);
    }
    if u16_at(head, 18) != Some(62) {
        return Err(ENOEXEC);
    }
    let pie = match u16_at(head, 16) {
        Some(2) => false,
        Some(3) => true,
        _ => return Err(ENOEXEC),
    };
    let entry = u64_at(head, 24).ok_or(ENOEXEC)?;
    let phoff = u64_at(head, 32).ok_or(ENOEXEC)?;
    let phentsize = u16_at(head, 54).ok_or(ENOEXEC)?;
    let phnum = u16_at(head, 56).ok_or(ENOEXEC)?;
    if phentsize != 56 || phnum == 0 || phnum > 64 {
        return Err(ENOEXEC);
    }
    let mut phdrs = Vec::new();
    for i in 0..phnum {
        let o = usize::try_from(phoff + i * 56).map_err(|_| ENOEXEC)?;
        let ph = Phdr {
            kind: u32_at(head, o).ok_or(ENOEXEC)?,
            flags: u32_at(head, o + 4).ok_or(ENOEXEC)?,
            offset: u64_at(head, o + 8).ok_or(ENOEXEC)?,
            vaddr: u64_at(head, o + 16).ok_or(ENOEXEC)?,
            filesz: u64_at(head, o + 32).ok_or(ENOEXEC)?,
            memsz: u64_at(head, o + 40).ok_or(ENOEXEC)?,
        };
        if ph.kind == PT_INTERP {
            // A dynamically linked program: no dynamic loader here.
            return Err(ENOEXEC);
        }
        if ph.kind == PT_LOAD {
            let end = ph.vaddr.checked_add(ph.memsz).ok_or(ENOEXEC)?;
            let limit = if pie {
                1 << 32
            } else {
                sysproto::layout::MMAP_TOP
            };
            if ph.filesz > ph.memsz || end > limit || (!pie && ph.vaddr < abi::USER_MIN) {
                return Err(ENOEXEC);
            }
        }
        phdrs.push(ph);
    }
    if !phdrs.iter().any(|p| p.kind == PT_LOAD) {
        return Err(ENOEXEC);
    }
    Ok(Header {
        pie,
        entry,
        phoff,
        phnum,
        phdrs,
    })
}

/// An open file at the server, closed when dropped.
struct File(u64);

impl Drop for File {
    fn drop(&mut self) {
        let _ = server::call(sys::Close { handle: self.0 });
    }
}

/// Opens `path` for reading as a program.
fn open(path: &[u8]) -> Result<File, Errno> {
    let open = sys::Open {
        flags: sysproto::OPEN_EXEC,
        dir: sysproto::NO_HANDLE,
        mode: 0,
    };
    let r = server::call_path(open, path)?.reply;
    let f = File(r.handle);
    if r.kind != kind::FILE {
        return Err(EACCES);
    }
    Ok(f)
}

/// Whether `path` names a file `execve` can open (its error if not).
pub fn openable(path: &[u8]) -> Result<(), Errno> {
    open(path).map(|_| ())
}

/// Reads up to `len` bytes at `offset` into the mailbox.
fn read_at(f: &File, offset: u64, len: usize) -> Result<server::Answer<sys::Read>, Errno> {
    let read = sys::Read {
        handle: f.0,
        len: len.min(DATA_BYTES) as u64,
        offset,
        ttin_ignored: false,
    };
    server::call_with(read, &())
}

/// The file's first bytes (up to a page).
fn head(f: &File) -> Result<Vec<u8>, Errno> {
    Ok(read_at(f, 0, PAGE as usize)?.bytes())
}

/// `execve(path, argv, envp)` for the current task; on success the frame
/// to continue at (the program's entry). Errors before the point of no
/// return leave the process as it was; after it the process is ended.
pub fn execve(
    p: &mut Proc,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<UpcallFrame, Errno> {
    let mut path = path.to_vec();
    let mut file = open(&path)?;
    let mut first = head(&file)?;
    // `#!interpreter [arg]` scripts, up to four levels.
    for _ in 0..4 {
        if !first.starts_with(b"#!") {
            break;
        }
        let line_end = first
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(first.len());
        let line = &first[2..line_end];
        let mut words = line
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|w| !w.is_empty());
        let interp = words.next().ok_or(ENOEXEC)?.to_vec();
        let rest: Vec<u8> = {
            let after = line
                .iter()
                .position(|b| *b != b' ' && *b != b'\t')
                .map(|s| &line[s + interp.len()..])
                .unwrap_or(&[]);
            let t: &[u8] = after.trim_ascii();
            t.to_vec()
        };
        let mut new_argv = alloc::vec![interp.clone()];
        if !rest.is_empty() {
            new_argv.push(rest);
        }
        new_argv.push(path.clone());
        new_argv.extend(argv.iter().skip(1).cloned());
        argv = new_argv;
        path = interp;
        file = open(&path)?;
        first = head(&file)?;
    }
    let h = parse(&first)?;
    let strings: usize = argv.iter().chain(envp.iter()).map(|s| s.len() + 9).sum();
    if strings > 256 * 1024 {
        return Err(E2BIG);
    }

    // The point of no return.
    p.mm.clear();
    p.fds.close_on_exec();
    // Handlers go back to the default; ignored signals stay ignored;
    // flags and masks are cleared (Linux's flush_signal_handlers).
    for a in p.actions.iter_mut() {
        let handler = if a.handler == crate::signal::SIG_IGN {
            a.handler
        } else {
            crate::signal::SIG_DFL
        };
        *a = crate::signal::Action {
            handler,
            ..crate::signal::Action::default()
        };
    }
    crate::signal::publish_chld(p);
    // POSIX timers go; interval timers stay (Linux's rules).
    p.timers.posix.clear();
    // The other tasks end: a read the server would answer later goes.
    server::abandon_all();
    let cur = p.cur;
    let keep = p.tasks.swap_remove(cur);
    p.tasks.clear();
    p.tasks.push(keep);
    p.cur = 0;
    p.fpu_owner = 0;
    let t = &mut p.tasks[0];
    t.tid = server::pid();
    t.clear_tid = 0;
    t.altstack = (0, 0, crate::signal::SS_DISABLE);
    t.fs_base = 0;
    p.live_fs = u64::MAX;
    crate::signal::publish_queued(p);
    crate::signal::publish_limit();
    // `EXOV6_LOG_ENOSYS=0` in the new environment silences the log of
    // unimplemented calls for this process and those it starts (the
    // fuzzer makes every call there is).
    if envp.iter().any(|e| e == b"EXOV6_LOG_ENOSYS=0") {
        p.logged = [u64::MAX; 8];
    }
    // `EXOV6_STRACE=all` or `=PID` shows the calls of every process, or
    // of that one, from here on (children inherit the setting).
    if let Some(v) = envp.iter().find_map(|e| e.strip_prefix(b"EXOV6_STRACE=")) {
        p.trace = Trace::parse(v);
    }

    match load(p, &file, &h, &path, &argv, &envp) {
        Ok(frame) => {
            let _ = server::call_path(sys::Exec {}, &path);
            publish_args(&argv, &envp);
            p.exe = path;
            crate::task::Fx::clean().load();
            Ok(frame)
        }
        // Past the point of no return: memory ran out (the end Linux's
        // OOM killer gives), or the program cannot be loaded (SIGSEGV).
        Err(ENOMEM) => crate::out_of_memory(p),
        Err(_) => p.exit_process(sysproto::status::signaled(
            crate::signal::SIGSEGV as u8,
            false,
        )),
    }
}

/// Tells the server the arguments and environment (for
/// `/proc/PID/cmdline` and `environ`), cut to the data area: whole
/// arguments first, then as much of the environment as fits.
fn publish_args(argv: &[Vec<u8>], envp: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for a in argv {
        if bytes.len() + a.len() + 1 > sysproto::DATA_BYTES {
            break;
        }
        bytes.extend_from_slice(a);
        bytes.push(0);
    }
    let args_len = bytes.len() as u64;
    for e in envp {
        if bytes.len() + e.len() + 1 > sysproto::DATA_BYTES {
            break;
        }
        bytes.extend_from_slice(e);
        bytes.push(0);
    }
    let _ = server::call_with(sys::ProcArgs { args_len }, &bytes[..]);
}

/// Maps the segments and builds the stack.
fn load(
    p: &mut Proc,
    file: &File,
    h: &Header,
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<UpcallFrame, Errno> {
    let base = if h.pie { PIE_BASE } else { 0 };
    let mut top = 0;
    let mut phdr_addr = 0;
    for ph in &h.phdrs {
        if ph.kind == PT_PHDR {
            phdr_addr = base + ph.vaddr;
        }
        if ph.kind != PT_LOAD || ph.memsz == 0 {
            continue;
        }
        if phdr_addr == 0 && h.phoff >= ph.offset && h.phoff < ph.offset + ph.filesz {
            phdr_addr = base + ph.vaddr + (h.phoff - ph.offset);
        }
        let start = base + ph.vaddr;
        let end = start + ph.memsz;
        let lo = start & !(PAGE - 1);
        let hi = (end + PAGE - 1) & !(PAGE - 1);
        let mut prot = 0;
        if ph.flags & 4 != 0 {
            prot |= PROT_READ;
        }
        if ph.flags & 2 != 0 {
            prot |= PROT_WRITE;
        }
        if ph.flags & 1 != 0 {
            prot |= PROT_EXEC;
        }
        // Areas of segments sharing a page are merged into the wider rights.
        p.mm.remove(lo, hi);
        p.mm.add(lo, hi, prot | PROT_WRITE);
        // The file part, a mailbox-full at a time, into writable pages.
        let mut done = 0;
        while done < ph.filesz {
            let want = (ph.filesz - done).min(DATA_BYTES as u64) as usize;
            let got = read_at(file, ph.offset + done, want)?;
            let n = got.len();
            if n == 0 {
                return Err(EIO);
            }
            // Straight from the data area (making the pages ready may ask
            // the server for memory, which leaves the data area alone).
            got.with_bytes(|b| p.mm.write(start + done, b))?;
            done += n as u64;
        }
        // Zero the rest of the last file page (the bss start).
        let file_end = start + ph.filesz;
        if ph.memsz > ph.filesz && file_end & (PAGE - 1) != 0 {
            let page_end = ((file_end + PAGE - 1) & !(PAGE - 1)).min(end);
            let zeros = alloc::vec![0u8; (page_end - file_end) as usize];
            p.mm.write(file_end, &zeros)?;
        }
        p.mm.mprotect(lo, hi - lo, prot)?;
        top = top.max(hi);
    }
    p.mm.brk_start = top;
    p.mm.brk = top;
    p.mm.add_stack();

    // The initial stack, from the top down: strings, random bytes, then
    // (16-byte aligned) argc, argv, envp, auxv.
    let mut sp = STACK_TOP;
    let mut push_bytes = |mm: &mut crate::mm::Mm, b: &[u8]| -> Result<u64, Errno> {
        sp -= b.len() as u64;
        mm.write(sp, b)?;
        Ok(sp)
    };
    let with_nul = |s: &[u8]| {
        let mut v = s.to_vec();
        v.push(0);
        v
    };
    let execfn = push_bytes(&mut p.mm, &with_nul(path))?;
    let mut env_ptrs = Vec::new();
    for e in envp.iter().rev() {
        env_ptrs.push(push_bytes(&mut p.mm, &with_nul(e))?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::new();
    for a in argv.iter().rev() {
        arg_ptrs.push(push_bytes(&mut p.mm, &with_nul(a))?);
    }
    arg_ptrs.reverse();
    let platform = push_bytes(&mut p.mm, b"x86_64\0")?;
    let mut rnd = [0u8; 16];
    rnd[..8].copy_from_slice(&time::random_u64().to_le_bytes());
    rnd[8..].copy_from_slice(&time::random_u64().to_le_bytes());
    let random = push_bytes(&mut p.mm, &rnd)?;
    let auxv: [(u64, u64); 17] = [
        (3, phdr_addr),      // AT_PHDR
        (4, 56),             // AT_PHENT
        (5, h.phnum),        // AT_PHNUM
        (6, PAGE),           // AT_PAGESZ
        (7, 0),              // AT_BASE
        (8, 0),              // AT_FLAGS
        (9, base + h.entry), // AT_ENTRY
        (11, 0),             // AT_UID
        (12, 0),             // AT_EUID
        (13, 0),             // AT_GID
        (14, 0),             // AT_EGID
        (15, platform),      // AT_PLATFORM
        (16, 0x078b_fbff),   // AT_HWCAP
        (17, 100),           // AT_CLKTCK
        (23, 0),             // AT_SECURE
        (25, random),        // AT_RANDOM
        (31, execfn),        // AT_EXECFN
    ];
    let mut words: Vec<u64> = Vec::new();
    words.push(arg_ptrs.len() as u64);
    words.extend(&arg_ptrs);
    words.push(0);
    words.extend(&env_ptrs);
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    words.push(0);
    words.push(0);
    sp = (sp - words.len() as u64 * 8) & !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    p.mm.write(sp, &bytes)?;
    Ok(UpcallFrame {
        rsp: sp,
        rip: base + h.entry,
        rflags: 0x202,
        ..UpcallFrame::default()
    })
}
