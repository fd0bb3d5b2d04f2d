//! The layouts agree with Linux's: offsets checked against the `libc`
//! crate's definitions of `ucontext_t`, `mcontext_t`, `stack_t` and
//! `siginfo_t` (glibc's, which copy the kernel's for everything up to
//! `uc_sigmask`), and against the kernel's own headers where glibc's
//! differ (the kernel's `uc_sigmask` is 8 bytes, glibc's 128); wait
//! statuses decode with libc's `WIFEXITED` and kin.

use core::mem::{offset_of, size_of};

use linux_frame::frame::{self, reg, Info, SigFrame, Stack};
use linux_frame::sig::{self, Default};
use linux_frame::status;
use proptest::prelude::*;

#[test]
fn ucontext_offsets_match_libc() {
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_stack),
        frame::UC_STACK - frame::UC
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_mcontext),
        frame::MCTX - frame::UC
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_sigmask),
        frame::UC_MASK - frame::UC
    );
    assert_eq!(size_of::<libc::stack_t>(), 24);
    assert_eq!(offset_of!(libc::stack_t, ss_flags), 8);
    assert_eq!(offset_of!(libc::stack_t, ss_size), 16);
    // `struct sigcontext` (asm/sigcontext.h): 23 words of registers, the
    // fpstate pointer, 8 reserved words: 256 bytes, so the kernel's
    // 8-byte sigset and then the siginfo follow.
    assert_eq!(offset_of!(libc::mcontext_t, fpregs), reg::FPSTATE * 8);
    assert_eq!(size_of::<libc::mcontext_t>(), 256);
    assert_eq!(frame::INFO - frame::UC_MASK, 8);
    assert_eq!(
        size_of::<libc::siginfo_t>(),
        frame::FRAME_SIZE - frame::INFO
    );
    assert_eq!(offset_of!(libc::siginfo_t, si_code), 8);
    assert_eq!(offset_of!(libc::siginfo_t, si_errno), 4);
    assert_eq!(size_of::<libc::_libc_fpstate>(), frame::FPSTATE_SIZE);
    assert_eq!(offset_of!(libc::_libc_fpstate, mxcsr), frame::MXCSR);
}

#[test]
fn register_indices_match_libc() {
    let pairs = [
        (reg::R8, libc::REG_R8),
        (reg::R9, libc::REG_R9),
        (reg::R10, libc::REG_R10),
        (reg::R11, libc::REG_R11),
        (reg::R12, libc::REG_R12),
        (reg::R13, libc::REG_R13),
        (reg::R14, libc::REG_R14),
        (reg::R15, libc::REG_R15),
        (reg::RDI, libc::REG_RDI),
        (reg::RSI, libc::REG_RSI),
        (reg::RBP, libc::REG_RBP),
        (reg::RBX, libc::REG_RBX),
        (reg::RDX, libc::REG_RDX),
        (reg::RAX, libc::REG_RAX),
        (reg::RCX, libc::REG_RCX),
        (reg::RSP, libc::REG_RSP),
        (reg::RIP, libc::REG_RIP),
        (reg::EFL, libc::REG_EFL),
        (reg::CSGSFS, libc::REG_CSGSFS),
        (reg::ERR, libc::REG_ERR),
        (reg::TRAPNO, libc::REG_TRAPNO),
        (reg::OLDMASK, libc::REG_OLDMASK),
        (reg::CR2, libc::REG_CR2),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours as i32, theirs);
    }
    assert_eq!(reg::FPSTATE, libc::REG_CR2 as usize + 1);
}

#[test]
fn signal_numbers_and_flags_match_libc() {
    let pairs = [
        (sig::SIGHUP, libc::SIGHUP),
        (sig::SIGINT, libc::SIGINT),
        (sig::SIGQUIT, libc::SIGQUIT),
        (sig::SIGILL, libc::SIGILL),
        (sig::SIGTRAP, libc::SIGTRAP),
        (sig::SIGABRT, libc::SIGABRT),
        (sig::SIGBUS, libc::SIGBUS),
        (sig::SIGFPE, libc::SIGFPE),
        (sig::SIGKILL, libc::SIGKILL),
        (sig::SIGSEGV, libc::SIGSEGV),
        (sig::SIGPIPE, libc::SIGPIPE),
        (sig::SIGCHLD, libc::SIGCHLD),
        (sig::SIGCONT, libc::SIGCONT),
        (sig::SIGSTOP, libc::SIGSTOP),
        (sig::SIGTSTP, libc::SIGTSTP),
        (sig::SIGTTIN, libc::SIGTTIN),
        (sig::SIGTTOU, libc::SIGTTOU),
        (sig::SIGURG, libc::SIGURG),
        (sig::SIGXCPU, libc::SIGXCPU),
        (sig::SIGXFSZ, libc::SIGXFSZ),
        (sig::SIGWINCH, libc::SIGWINCH),
        (sig::SIGSYS, libc::SIGSYS),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours, theirs as u64);
    }
    assert_eq!(sig::SA_NOCLDSTOP, libc::SA_NOCLDSTOP as u64);
    assert_eq!(sig::SA_NOCLDWAIT, libc::SA_NOCLDWAIT as u64);
    assert_eq!(sig::SA_SIGINFO, libc::SA_SIGINFO as u64);
    assert_eq!(sig::SA_ONSTACK, libc::SA_ONSTACK as u64);
    assert_eq!(sig::SA_RESTART, libc::SA_RESTART as u64);
    assert_eq!(sig::SA_NODEFER, libc::SA_NODEFER as u64);
    assert_eq!(sig::SA_RESETHAND, libc::SA_RESETHAND as u32 as u64);
    assert_eq!(sig::SS_ONSTACK, libc::SS_ONSTACK as u32);
    assert_eq!(sig::SS_DISABLE, libc::SS_DISABLE as u32);
    assert_eq!(sig::SI_USER as i32, libc::SI_USER);
    assert_eq!(sig::SI_TKILL as i32, libc::SI_TKILL);
    assert_eq!(sig::SI_KERNEL, libc::SI_KERNEL);
}

#[test]
fn default_actions_follow_signal_7() {
    assert_eq!(sig::default_of(sig::SIGCHLD), Default::Ignore);
    assert_eq!(sig::default_of(sig::SIGWINCH), Default::Ignore);
    assert_eq!(sig::default_of(sig::SIGCONT), Default::Continue);
    assert_eq!(sig::default_of(sig::SIGTSTP), Default::Stop);
    assert_eq!(sig::default_of(sig::SIGSEGV), Default::Core);
    assert_eq!(sig::default_of(sig::SIGPIPE), Default::Terminate);
    assert_eq!(sig::default_of(40), Default::Terminate);
    assert_eq!(sig::for_exception(0), (sig::SIGFPE, 1));
    assert_eq!(sig::for_exception(14), (sig::SIGSEGV, sig::SI_KERNEL));
}

#[test]
fn statuses_decode_with_libc() {
    for code in 0..=255u8 {
        let s = status::exited(code) as i32;
        assert!(libc::WIFEXITED(s));
        assert_eq!(libc::WEXITSTATUS(s), i32::from(code));
        assert_eq!(status::shell_code(s as u64), code);
    }
    for sig in 1..=31u8 {
        for core in [false, true] {
            let s = status::signaled(sig, core) as i32;
            assert!(libc::WIFSIGNALED(s) && !libc::WIFEXITED(s));
            assert_eq!(libc::WTERMSIG(s), i32::from(sig));
            assert_eq!(libc::WCOREDUMP(s), core);
            assert_eq!(status::shell_code(s as u64), 128 + sig);
        }
        let s = status::stopped(sig) as i32;
        assert!(libc::WIFSTOPPED(s) && !libc::WIFSIGNALED(s));
        assert_eq!(libc::WSTOPSIG(s), i32::from(sig));
    }
    assert!(libc::WIFCONTINUED(status::CONTINUED as i32));
    assert_eq!(status::exited(3), 0x300);
    assert_eq!(status::signaled(9, false), 9);
    assert_eq!(status::signaled(11, true), 0x8b);
    assert_eq!(status::stopped(19), 0x137f);
}

#[test]
fn siginfo_fields_sit_where_linux_puts_them() {
    let f = SigFrame {
        restorer: 0x401000,
        stack: Stack {
            sp: 0x7000,
            flags: sig::SS_DISABLE,
            size: 0x2000,
        },
        gregs: [7; reg::GENERAL],
        err: 4,
        trapno: 14,
        mask: 0x55,
        cr2: 0xdead,
        fpstate: 0x9000,
        signo: 17,
        info: Info::Sent {
            code: 1,
            pid: 42,
            uid: 7,
            value: 3,
        },
    };
    let b = f.encode();
    let w32 = |o: usize| i32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let w64 = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    assert_eq!(w64(0), 0x401000);
    assert_eq!(w32(frame::INFO), 17);
    assert_eq!(w32(frame::INFO + 8), 1);
    // si_pid, si_uid, si_status of the SIGCHLD union member.
    assert_eq!(w32(frame::INFO + 16), 42);
    assert_eq!(w32(frame::INFO + 20), 7);
    assert_eq!(w32(frame::INFO + 24), 3);
    assert_eq!(w32(frame::INFO + 28), 0);
    // A queued signal's si_value is the whole word at offset 24.
    let q = frame::encode_info(
        40,
        Info::Sent {
            code: -1,
            pid: 5,
            uid: 0,
            value: 0x1234_5678_9abc,
        },
    );
    assert_eq!(
        u64::from_le_bytes(q[24..32].try_into().unwrap()),
        0x1234_5678_9abc
    );
    assert_eq!(i32::from_le_bytes(q[8..12].try_into().unwrap()), -1);
    assert_eq!(w64(frame::MCTX + reg::CSGSFS * 8), frame::USER_CS);
    assert_eq!(w64(frame::MCTX + reg::CR2 * 8), 0xdead);
    assert_eq!(w64(frame::UC_STACK + 8), u64::from(sig::SS_DISABLE));
    let fault = SigFrame {
        info: Info::Fault {
            code: 2,
            addr: 0xbeef,
        },
        ..f
    }
    .encode();
    assert_eq!(
        u64::from_le_bytes(
            fault[frame::INFO + 16..frame::INFO + 24]
                .try_into()
                .unwrap()
        ),
        0xbeef
    );
}

#[test]
fn mxcsr_reserved_bits_are_cleared() {
    let mut fx = [0xffu8; frame::FPSTATE_SIZE];
    frame::clean_mxcsr(&mut fx);
    assert_eq!(&fx[frame::MXCSR..frame::MXCSR + 4], &[0xff, 0xff, 0, 0]);
    assert_eq!(fx[frame::MXCSR - 1], 0xff);
    assert_eq!(frame::user_rflags(u64::MAX), 0xcd5 | 0x202);
}

fn frame_strategy() -> impl Strategy<Value = SigFrame> {
    (
        any::<[u64; 18]>(),
        any::<(u64, u64, u64, u64, u64)>(),
        any::<(u64, u32, u64)>(),
        1i32..65,
        prop_oneof![
            any::<(i32, u64)>().prop_map(|(code, addr)| Info::Fault { code, addr }),
            any::<(i32, i32, u32, u64)>().prop_map(|(code, pid, uid, value)| Info::Sent {
                code,
                pid,
                uid,
                value
            }),
        ],
    )
        .prop_map(
            |(gregs, (restorer, err, trapno, mask, cr2), (sp, flags, size), signo, info)| {
                SigFrame {
                    restorer,
                    stack: Stack { sp, flags, size },
                    gregs,
                    err,
                    trapno,
                    mask,
                    cr2,
                    fpstate: sp & !63,
                    signo,
                    info,
                }
            },
        )
}

proptest! {
    #[test]
    fn decode_gives_back_what_encode_saved(f in frame_strategy()) {
        let b = f.encode();
        let s = frame::decode(&b);
        prop_assert_eq!(s.gregs, f.gregs);
        prop_assert_eq!(s.fpstate, f.fpstate);
        prop_assert_eq!(s.mask, f.mask);
    }

    #[test]
    fn placement_is_aligned_and_inside_its_stack(
        rsp in 0x10_0000u64..0x7fff_ffff_0000,
        alt_sp in 0x10_0000u64..0x7fff_0000_0000,
        alt_size in 0x800u64..0x10_0000,
        disabled in any::<bool>(),
        onstack in any::<bool>(),
    ) {
        let flags = if disabled { sig::SS_DISABLE } else { 0 };
        let alt = Stack { sp: alt_sp, flags, size: alt_size };
        let p = frame::place(rsp, alt, onstack);
        // As after a call: rsp + 8 is 16-byte aligned; the fxsave area is
        // 64-byte aligned and above the whole frame.
        prop_assert_eq!((p.sp + 8) % 16, 0);
        prop_assert_eq!(p.fpstate % 64, 0);
        prop_assert!(p.sp + frame::FRAME_SIZE as u64 <= p.fpstate);
        let on_alt = !disabled && rsp > alt_sp && rsp <= alt_sp + alt_size;
        let top = if onstack && !disabled && !on_alt { alt_sp + alt_size } else { rsp - frame::RED_ZONE };
        prop_assert!(p.fpstate + frame::FPSTATE_SIZE as u64 <= top);
        // Nothing wasted beyond the alignment.
        prop_assert!(top - p.sp < (frame::FRAME_SIZE + frame::FPSTATE_SIZE) as u64 + 64 + 16 + 8);
        prop_assert_eq!(p.stack_flags, if on_alt { sig::SS_ONSTACK } else { flags });
    }

    #[test]
    fn handler_mask_never_blocks_kill_or_stop(old in any::<u64>(), m in any::<u64>(), fl in any::<u64>(), s in 1u64..=64) {
        let old = old & !sig::UNBLOCKABLE;
        let got = sig::handler_mask(old, m, fl, s);
        prop_assert_eq!(got & sig::UNBLOCKABLE & !sig::bit(s), 0);
        let blocked_anyway = (old | m) & sig::bit(s) & !sig::UNBLOCKABLE != 0;
        prop_assert_eq!(got & sig::bit(s) != 0, fl & sig::SA_NODEFER == 0 || blocked_anyway);
        prop_assert_eq!(got & old, old & !sig::UNBLOCKABLE);
    }
}
