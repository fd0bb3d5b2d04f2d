//! The native system calls, declared once.
//!
//! [`native_calls!`](crate::native_calls) is the table: one row per call with its number, the
//! name of its `Syscall` variant, its kind (see below), the name of its
//! handler and user-space wrapper, its named arguments `a0..a5` (with the
//! type user space passes) and its named results `r0..r3` (with the type
//! user space gets back). The macro hands the whole table to a macro of
//! the caller's, which generates from it what that side needs:
//!
//! - here: [`Syscall`] (the numbers), [`Syscall::ALL`], [`Syscall::name`],
//!   the argument and result names, one argument struct per call in
//!   [`args`] that decodes the six argument registers, and one result
//!   struct per call in [`results`] that fills the four result registers;
//! - in the kernel: the dispatch, one `match` that decodes the arguments
//!   and calls the handler of that name;
//! - in `exo-rt`: one typed wrapper per call.
//!
//! Kinds: `call` (a plain call: the runtime's generated wrapper is its
//! public API), `adapt` (the runtime adapts the generated wrapper to
//! richer types, a guard or a call that does not return), `ipc` (the
//! message travels in more registers than the six arguments; the runtime's
//! `ipc` module has its own wrappers).
//!
//! Adding a call: one row here, one handler in `kernel/src/syscall/` (the
//! kernel does not build without it), one section in
//! `docs/kernel-abi.md` (a host test checks the list).

/// The first native call number. Lower numbers belong to the Linux ABI
/// served by the library OS.
pub const NATIVE_BASE: u64 = 0x4558_0000;

/// A capability-space slot index, as user space passes it. The kernel
/// reads the whole 64-bit register: a value of 2^32 or more is
/// `BadSlot`.
pub type Slot = u32;

/// How a typed argument goes into its register.
pub trait ToWord {
    /// The register's value.
    fn to_word(self) -> u64;
}

impl ToWord for u64 {
    fn to_word(self) -> u64 {
        self
    }
}

impl ToWord for u32 {
    fn to_word(self) -> u64 {
        self.into()
    }
}

impl ToWord for crate::Rights {
    fn to_word(self) -> u64 {
        self.0
    }
}

/// How a result register becomes a typed result.
pub trait FromWord {
    /// The result from its register.
    fn from_word(w: u64) -> Self;
}

impl FromWord for u64 {
    fn from_word(w: u64) -> u64 {
        w
    }
}

/// The low 32 bits (ids are 32-bit).
impl FromWord for u32 {
    fn from_word(w: u64) -> u32 {
        w as u32
    }
}

impl FromWord for crate::Rights {
    fn from_word(w: u64) -> crate::Rights {
        crate::Rights(w)
    }
}

/// The table of native calls (see the module documentation): invokes
/// `$m!` with every row, in number order. Each row is
///
/// ```text
/// /// docs
/// 0x11 Call ipc call(ep: Slot) -> ();
/// ```
///
/// with an optional `as "name"` after the handler name when the call's
/// name is not the handler's (a keyword).
#[macro_export]
macro_rules! native_calls {
    ($m:path) => {
        $m! {
            /// Write `a1` bytes at user address `a0` to the kernel console.
            /// `r0` = bytes written.
            0x00 DebugWrite adapt debug_write(ptr: u64, len: u64) -> (written: u64);
            /// End the calling environment with exit code `a0`. Does not return.
            0x01 Exit adapt exit(code: u64) -> ();
            /// Give up the rest of the current time slot.
            0x02 Yield call yield_now as "yield" () -> ();
            /// Describe the capability in slot `a0`: `r0` = [`abi::CapType`],
            /// `r1` = rights, `r2` = badge, `r3` = physical address (frames and
            /// memory) or environment id (address spaces, threads, capability
            /// spaces).
            0x03 CapIdentify adapt cap_identify(slot: Slot)
                -> (kind: u64, rights: abi::Rights, badge: u64, detail: u64);
            /// Copy slot `a0` to empty slot `a1` with the same rights (a derived
            /// capability). Needs DERIVE on the source.
            0x04 CapCopy call cap_copy(src: Slot, dst: Slot) -> ();
            /// Derive slot `a0` into empty slot `a1` with rights `a2` (a subset)
            /// and badge `a3`. Needs DERIVE.
            0x05 CapMint call cap_mint(src: Slot, dst: Slot, rights: abi::Rights, badge: u64) -> ();
            /// Move slot `a0` to empty slot `a1`.
            0x06 CapMove call cap_move(src: Slot, dst: Slot) -> ();
            /// Delete the capability in slot `a0`.
            0x07 CapDelete call cap_delete(slot: Slot) -> ();
            /// Delete every capability derived from slot `a0`, recursively. Needs
            /// REVOKE. `r0` = number deleted.
            0x08 CapRevoke call cap_revoke(slot: Slot) -> (deleted: u64);
            /// Allocate a frame from the memory capability in slot `a0` into empty
            /// slot `a1`; `a2` = the physical address wanted, or `u64::MAX` for
            /// any. Needs DERIVE. `r0` = the frame's physical address. From a
            /// device-memory capability `a2` must name the page; device frames are
            /// not zeroed, not charged to the quota, and mapped uncached.
            0x09 FrameAlloc adapt frame_alloc(mem: Slot, dst: Slot, want: u64) -> (paddr: u64);
            /// Map the frame in slot `a0` at user virtual address `a1` in the
            /// caller's address space with [`abi::map_flags`] `a2`. Needs MAP
            /// (and WRITE / EXECUTE for those flags).
            0x0a Map call map(frame: Slot, vaddr: u64, flags: u64) -> ();
            /// Unmap the page at user virtual address `a0` in the caller's
            /// address space. `r0` = the physical address that was mapped.
            0x0b Unmap adapt unmap(vaddr: u64) -> (paddr: u64);
            /// Register the calling thread's upcall handler: entry `a0`, upcall
            /// stack `[a1, a1 + a2)` (user memory the thread maps writable), flags
            /// `a3` ([`abi::upcall::flags`]). `a0 = 0` removes the handler. See
            /// [`abi::upcall`].
            0x0c SetUpcall adapt set_upcall(entry: u64, stack: u64, size: u64, flags: u64) -> ();
            /// Create an environment (not started): `a0` = memory capability
            /// (DERIVE) its objects are charged to; `a1` = the first of three empty
            /// slots that receive its address space, capability space and thread
            /// capabilities; `a2` = a slot whose capability (GRANT) is copied into
            /// the child's slot 3, or `u64::MAX`; `a3` = an endpoint (EXECUTE) that
            /// receives a death notice when the child ends, or `u64::MAX`. The child
            /// holds capabilities to itself in slots 0, 1, 2. `a4` = the size of
            /// its capability space in slots (0 for [`abi::DEFAULT_CHILD_SLOTS`],
            /// else 4 to [`abi::MAX_CSPACE_SLOTS`]). `r0` = its id.
            0x0d EnvCreate adapt env_create(mem: Slot, dst: Slot, give: u64, death: u64, slots: u64)
                -> (id: u32);
            /// Map the frame in slot `a1` at `a2` in the address space in slot `a0`
            /// (MAP on both) with [`abi::map_flags`] `a3`. With
            /// [`abi::map_flags::TARGET_SLOT`] the frame slot is in the capability
            /// space of the environment that owns the address space, and the
            /// mapping belongs to that capability.
            0x0e MapInto call map_into(aspace: Slot, frame: Slot, vaddr: u64, flags: u64) -> ();
            /// Start the thread in slot `a0` (WRITE) at `a1` with stack pointer
            /// `a2` and `a3` in `rdi`. A thread starts once.
            0x0f ThreadStart call thread_start(thread: Slot, rip: u64, rsp: u64, arg: u64) -> ();
            /// Create an endpoint from the memory capability in `a0` (DERIVE) in
            /// empty slot `a1`. `r0` = its id.
            0x10 EndpointCreate call endpoint_create(mem: Slot, dst: Slot) -> (id: u32);
            /// Call the endpoint in `a0` (EXECUTE) with the message in
            /// [`abi::ipc`] registers; blocks until a receiver replies; the reply
            /// comes back in the same registers.
            0x11 Call ipc call(ep: Slot) -> ();
            /// Wait on the endpoint in `a0` (READ) for a call or a notice; `r0` =
            /// the caller's badge ([`abi::ipc::NOTICE_BADGE`] for a kernel
            /// notice), message in the [`abi::ipc`] registers.
            0x12 Recv ipc recv(ep: Slot) -> (badge: u64);
            /// Reply to the last call received, with the message registers.
            0x13 Reply ipc reply() -> ();
            /// Reply (if a call is pending) and wait on endpoint `a0` (READ), as
            /// one call.
            0x14 ReplyRecv ipc reply_recv(ep: Slot) -> (badge: u64);
            /// Create a notification (a word of bits) from the memory capability in
            /// `a0` (DERIVE) in empty slot `a1`. `r0` = its id.
            0x15 NotificationCreate call notification_create(mem: Slot, dst: Slot) -> (id: u32);
            /// OR `a1` into the notification in slot `a0` (WRITE); wakes one waiter.
            0x16 Signal call signal(ntf: Slot, bits: u64) -> ();
            /// Wait on the notification in slot `a0` (READ) until a bit is set, at
            /// most `a1` microseconds (0: poll, `u64::MAX`: no limit). `r0` = the
            /// bits, which are cleared. A timeout gives `TimedOut`; a poll of an
            /// empty word gives `r0` = 0.
            0x17 Wait call wait(ntf: Slot, timeout_us: u64) -> (bits: u64);
            /// Derive from the I/O-port capability in `a0` (DERIVE) a capability
            /// for the sub-range of `a3` ports from port `a2`, in empty slot `a1`.
            0x18 PortsMint call ports_mint(src: Slot, dst: Slot, base: u64, count: u64) -> ();
            /// Allow the calling environment's user code to use the ports of the
            /// capability in `a0` (READ and WRITE) with `in`/`out`. Deleting that
            /// capability (or revoking it) takes the permission back.
            0x19 PortsEnable call ports_enable(ports: Slot) -> ();
            /// Bind the interrupt line in `a0` (READ) to the notification in `a1`
            /// (WRITE): each interrupt ORs `a2` into the word. `a2` = 0 unbinds.
            /// A level-triggered line is masked when it fires until `IrqAck`.
            0x1a IrqBind call irq_bind(irq: Slot, ntf: Slot, bits: u64) -> ();
            /// Unmask the interrupt line in `a0` (READ) after handling it.
            0x1b IrqAck call irq_ack(irq: Slot) -> ();
            /// Give the environment created by `EnvCreate` whose thread is in slot
            /// `a0` (WRITE) `a1` frames of the caller's quota, before it starts.
            /// The frames stop counting against the caller's limit.
            0x1c QuotaGive call quota_give(thread: Slot, frames: u64) -> ();
            /// Give the rest of the current time slot to the environment whose
            /// thread is in slot `a0` (READ), which must be ready to run (else
            /// `NoPartner`).
            0x1d YieldTo call yield_to(thread: Slot) -> ();
            /// Set the scheduling of the environment whose thread is in slot `a0`
            /// (WRITE): proportional-share weight `a1` (1 to 1000), and, if `a2`
            /// is not 0, a real-time reservation of `a3` timer quanta every `a2`
            /// quanta (`a3` = 0 removes it). `InvalidArgument` for a bad weight or
            /// a reservation the CPU cannot admit.
            0x1e SchedSet adapt sched_set(thread: Slot, weight: u64, period: u64, budget: u64) -> ();
            /// Visible revocation: ask the environment whose thread is in slot `a0`
            /// (WRITE) to give back `a1` frames within `a2` microseconds. It learns
            /// of it through its info page and, if it has an upcall handler, a
            /// [`abi::upcall::kind::REVOKE`] upcall. At the deadline the kernel
            /// takes what was not given back (abort protocol) and lists those frames
            /// in the info page's repossession vector; the quota shrinks by `a1`.
            0x1f RevokeRequest call revoke_request(thread: Slot, frames: u64, grace_us: u64) -> ();
            /// Change the rights of the caller's mapping at `a0` to
            /// [`abi::map_flags`] `a1`, checked against the capability the
            /// mapping was made through (MAP, plus WRITE / EXECUTE for those
            /// flags). `NotMapped` if no capability mapping is there.
            0x20 Protect call protect(vaddr: u64, flags: u64) -> ();
            /// The kernel's own controls: power the machine off with exit status
            /// `a1` (0 to 255) through the control capability in `a0` (WRITE).
            0x21 PowerOff call power_off(control: Slot, status: u64) -> ();
            /// Derive slot `a0` (GRANT and DERIVE) into empty slot `a2` of the
            /// capability space in slot `a1` (WRITE) with rights `a3` (a subset)
            /// and badge `a4`, as [`abi::Syscall::CapMint`] does within one space.
            0x22 CapMintInto call cap_mint_into(src: Slot, cspace: Slot, dst: Slot, rights: abi::Rights, badge: u64)
                -> ();
            /// End the environment whose thread is in slot `a0` (WRITE), as if it
            /// had faulted: its creator's endpoint gets a notice with `how` =
            /// [`abi::ipc::HOW_KILLED`] and `detail` = `a1`.
            0x23 EnvKill call env_kill(thread: Slot, code: u64) -> ();
            /// Set the calling thread's `FS` base (thread-local storage) to `a0`,
            /// a canonical user address or 0. The kernel keeps it per thread.
            0x24 FsBaseSet call fs_base_set(value: u64) -> ();
            /// Read the kernel's log (what it printed on its console) through
            /// the control capability in `a0` (READ): up to `a2` bytes into user
            /// address `a1`, from byte number `a3` (counted from boot; an
            /// overwritten start moves to the oldest byte kept). `r0` = the
            /// number of the first byte copied, `r1` = bytes copied (0: no more).
            0x25 KlogRead call klog_read(control: Slot, ptr: u64, len: u64, from: u64)
                -> (start: u64, copied: u64);
            /// The CPU time of the environment whose thread is in slot `a0`
            /// (READ), in timer ticks ([`abi::info::InfoPage::timer_hz`] a
            /// second): `r0` in user mode, `r1` in the kernel (see
            /// [`abi::info::InfoPage::user_ticks`]).
            0x26 EnvTimes call env_times(thread: Slot) -> (user: u64, system: u64);
            /// The machine's CPU time in timer ticks since boot, summed over
            /// CPUs: `r0` user, `r1` kernel, `r2` idle; `r3` the environments
            /// ready to run at the last load-average sample.
            0x27 CpuTimes call cpu_times() -> (user: u64, system: u64, idle: u64, ready: u64);
            /// The load average over one, five and fifteen minutes (`r0`..`r2`),
            /// in fixed point with 11 bits of fraction, sampled every 5 s from
            /// the number of environments ready to run, as Linux computes it.
            0x28 LoadAvg call load_avg() -> (one: u64, five: u64, fifteen: u64);
            /// Delete the capability in slot `a1` of the capability space named by
            /// the capability in `a0` (a `CSpace`, WRITE), as `CapDelete` does in
            /// the caller's own (its mappings go with it).
            0x29 CapDeleteIn call cap_delete_in(cspace: Slot, slot: u64) -> ();
            /// Take back `a1` frames of the unused quota of the environment the
            /// caller created whose thread is in slot `a0` (WRITE): its limit
            /// shrinks by `a1` and the caller's grows (`QuotaExceeded` if it has
            /// fewer unused frames).
            0x2a QuotaTake call quota_take(thread: Slot, frames: u64) -> ();
        }
    };
}

/// The name of a call: its `as "name"` if given, else its handler's name.
#[doc(hidden)]
#[macro_export]
macro_rules! __native_call_name {
    ($fname:ident) => {
        stringify!($fname)
    };
    ($fname:ident $name:literal) => {
        $name
    };
}

/// Generates this crate's side of the table.
macro_rules! define_calls {
    ($(
        $(#[$doc:meta])*
        $num:literal $Name:ident $kind:ident $fname:ident $(as $str:literal)?
            ( $($arg:ident : $aty:ty),* ) -> ( $($res:ident : $rty:ty),* );
    )*) => {
        /// Every native system call. Arguments are `a0..a5` (`rdi, rsi, rdx,
        /// r10, r8, r9`); results `r0..r3` (`rdi, rsi, rdx, r10`).
        #[repr(u64)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Syscall {
            $( $(#[$doc])* $Name = NATIVE_BASE + $num, )*
        }

        impl Syscall {
            /// Every call, in number order.
            pub const ALL: [Syscall; COUNT] = [$(Syscall::$Name),*];

            /// The call's name, for logs.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Syscall::$Name => $crate::__native_call_name!($fname $($str)?), )*
                }
            }

            /// The names of the call's arguments, `a0` first.
            pub const fn arg_names(self) -> &'static [&'static str] {
                match self {
                    $( Syscall::$Name => &[$(stringify!($arg)),*], )*
                }
            }

            /// The names of the call's results, `r0` first.
            pub const fn result_names(self) -> &'static [&'static str] {
                match self {
                    $( Syscall::$Name => &[$(stringify!($res)),*], )*
                }
            }
        }

        /// The number of native calls.
        pub const COUNT: usize = <[&str]>::len(&[$(stringify!($Name)),*]);

        /// One struct per call: its arguments by name, as the registers hold
        /// them (the kernel checks each; none is refused while decoding).
        pub mod args {
            $(
                #[doc = concat!("The arguments of [`Syscall::", stringify!($Name), "`](super::Syscall::", stringify!($Name), ").")]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
                pub struct $Name {
                    $( #[doc = concat!("`", stringify!($arg), "`")] pub $arg: u64, )*
                }

                impl $Name {
                    /// The arguments from the six argument registers.
                    #[inline(always)]
                    #[allow(unused_variables, unused_mut, unused_assignments)]
                    pub const fn decode(a: [u64; 6]) -> Self {
                        let mut i = 0;
                        $( let $arg = a[i]; i += 1; )*
                        $Name { $($arg),* }
                    }

                    /// The six argument registers (unused ones 0).
                    #[inline(always)]
                    #[allow(unused_variables, unused_mut, unused_assignments)]
                    pub const fn encode(self) -> [u64; 6] {
                        let mut a = [0; 6];
                        let mut i = 0;
                        $( a[i] = self.$arg; i += 1; )*
                        a
                    }
                }

                const _: () = assert!(<[&str]>::len(&[$(stringify!($arg)),*]) <= 6);
            )*
        }

        /// One struct per call: its results by name, as the result
        /// registers hold them.
        pub mod results {
            $(
                #[doc = concat!("The results of [`Syscall::", stringify!($Name), "`](super::Syscall::", stringify!($Name), ").")]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
                pub struct $Name {
                    $( #[doc = concat!("`", stringify!($res), "`")] pub $res: u64, )*
                }

                impl $Name {
                    /// The results from the four result registers.
                    #[inline(always)]
                    #[allow(unused_variables, unused_mut, unused_assignments)]
                    pub const fn decode(r: [u64; 4]) -> Self {
                        let mut i = 0;
                        $( let $res = r[i]; i += 1; )*
                        $Name { $($res),* }
                    }

                    /// The four result registers (unused ones 0).
                    #[inline(always)]
                    #[allow(unused_variables, unused_mut, unused_assignments)]
                    pub const fn encode(self) -> [u64; 4] {
                        let mut r = [0; 4];
                        let mut i = 0;
                        $( r[i] = self.$res; i += 1; )*
                        r
                    }
                }

                impl From<$Name> for [u64; 4] {
                    #[inline(always)]
                    fn from(r: $Name) -> [u64; 4] {
                        r.encode()
                    }
                }

                const _: () = assert!(<[&str]>::len(&[$(stringify!($res)),*]) <= 4);
            )*
        }

        // Numbers are dense from the base, in table order.
        const _: () = {
            let mut i = 0;
            while i < COUNT {
                assert!(Syscall::ALL[i] as u64 == NATIVE_BASE + i as u64);
                i += 1;
            }
        };
    };
}

native_calls!(define_calls);

impl Syscall {
    /// The call for a number in `rax` (None if not a native call).
    #[inline]
    pub fn from_number(n: u64) -> Option<Syscall> {
        let i = n.checked_sub(NATIVE_BASE)?;
        Self::ALL.get(usize::try_from(i).ok()?).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_from_the_base() {
        for (i, s) in Syscall::ALL.iter().enumerate() {
            assert_eq!(*s as u64, NATIVE_BASE + i as u64);
            assert_eq!(Syscall::from_number(*s as u64), Some(*s));
        }
        assert_eq!(Syscall::from_number(39), None, "Linux getpid is not native");
        assert_eq!(
            Syscall::from_number(NATIVE_BASE + Syscall::ALL.len() as u64),
            None
        );
        assert_eq!(Syscall::from_number(u64::MAX), None);
        // user/ctests/rawreq.c makes this call by number.
        assert_eq!(Syscall::Call as u64, 0x4558_0011);
    }

    #[test]
    fn names_are_unique_snake_case() {
        assert_eq!(Syscall::Yield.name(), "yield");
        assert_eq!(Syscall::CapMintInto.name(), "cap_mint_into");
        for (i, a) in Syscall::ALL.iter().enumerate() {
            assert!(a
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            for b in &Syscall::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }

    #[test]
    fn arguments_round_trip_through_registers() {
        let regs = [1, 2, 3, 4, 5, 6];
        let a = args::CapMintInto::decode(regs);
        assert_eq!((a.src, a.cspace, a.dst, a.rights, a.badge), (1, 2, 3, 4, 5));
        assert_eq!(a.encode(), [1, 2, 3, 4, 5, 0]);
        assert_eq!(args::Yield::decode(regs).encode(), [0; 6]);
        assert_eq!(Syscall::Map.arg_names(), ["frame", "vaddr", "flags"]);
        assert_eq!(Syscall::CapRevoke.result_names(), ["deleted"]);
        let r = results::CapIdentify {
            kind: 2,
            rights: 3,
            badge: 4,
            detail: 5,
        };
        assert_eq!(r.encode(), [2, 3, 4, 5]);
        assert_eq!(results::CapIdentify::decode([2, 3, 4, 5]), r);
        assert_eq!(results::Unmap { paddr: 7 }.encode(), [7, 0, 0, 0]);
    }

    /// The calls of `docs/kernel-abi.md`: every `###` heading of "The
    /// calls" that names calls, with the numbers it gives them.
    fn documented_calls() -> std::vec::Vec<(std::string::String, u64)> {
        let doc = include_str!("../../docs/kernel-abi.md");
        let section = doc
            .split("\n## The calls\n")
            .nth(1)
            .expect("a section \"The calls\"");
        let section = section.split("\n## ").next().unwrap();
        let mut out = std::vec::Vec::new();
        for heading in section.lines().filter_map(|l| l.strip_prefix("### ")) {
            let Some((names, numbers)) = heading.split_once("(`NATIVE_BASE + ") else {
                continue;
            };
            let names: std::vec::Vec<&str> = names
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|n| !n.is_empty())
                .collect();
            let numbers: std::vec::Vec<u64> = numbers
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let numbers: std::vec::Vec<u64> = if heading.contains('…') {
                (numbers[0]..=numbers[1]).collect()
            } else {
                numbers
            };
            assert_eq!(names.len(), numbers.len(), "heading {heading:?}");
            for (n, i) in names.into_iter().zip(numbers) {
                out.push((n.into(), i));
            }
        }
        out
    }

    #[test]
    fn kernel_abi_doc_lists_every_call_with_its_number() {
        let documented = documented_calls();
        let table: std::vec::Vec<(std::string::String, u64)> = Syscall::ALL
            .iter()
            .map(|s| (std::format!("{s:?}"), *s as u64 - NATIVE_BASE))
            .collect();
        assert_eq!(documented, table, "docs/kernel-abi.md, \"The calls\"");
    }
}
