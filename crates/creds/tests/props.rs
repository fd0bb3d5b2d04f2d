//! Property tests: random sequences of the credential calls from random
//! starting credentials, checked after every step against what Linux
//! guarantees:
//!
//! * a refused call changes nothing, and refuses with `EPERM` or `EINVAL`;
//! * the effective capabilities stay within the permitted ones, and the
//!   permitted set never grows;
//! * an effective capability appears only by an effective uid going to 0
//!   (the permitted set), a file-system uid going to 0 (the permitted
//!   file-system capabilities) or `capset`;
//! * without `CAP_SETUID` (`CAP_SETGID`) the new real, effective and
//!   saved ids are among the old ones, and the file-system id among
//!   those and the old file-system id; so a process that never had the
//!   capability only ever holds ids of its starting set;
//! * the file-system id follows the effective one on every change of the
//!   effective id;
//! * leaving uid 0 in all of real, effective and saved clears the
//!   capabilities unless keepcaps is set;
//! * uid calls leave the groups alone and group calls leave uids and
//!   capabilities alone; the supplementary groups stay sorted.

use creds::{cap, Creds, Errno, NO_CHANGE};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Setuid(u32),
    Setgid(u32),
    Setreuid(u32, u32),
    Setregid(u32, u32),
    Setresuid(u32, u32, u32),
    Setresgid(u32, u32, u32),
    Setfsuid(u32),
    Setfsgid(u32),
    Setgroups(Vec<u32>),
    Keepcaps(u64),
    Capset(u64, u64, u64),
}

/// Ids: a few interesting ones, including 0 and "no change".
fn id() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => Just(0u32),
        2 => 1u32..4,
        1 => Just(1000u32),
        1 => Just(65534u32),
        2 => Just(NO_CHANGE),
    ]
}

fn real_id() -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(0u32), 3 => 1u32..4, 1 => Just(65534u32)]
}

/// Capability sets: subsets of a few capabilities, or all of them.
fn caps() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => (0u64..256).prop_map(|b| {
            let pick = [cap::KILL, cap::SETUID, cap::SETGID, cap::CHOWN, cap::DAC_OVERRIDE, cap::SETPCAP, cap::MKNOD, cap::SYS_ADMIN];
            pick.iter().enumerate().filter(|(i, _)| b & (1 << i) != 0).fold(0, |a, (_, c)| a | c)
        }),
        1 => Just(cap::ALL),
    ]
}

fn uid_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        id().prop_map(Op::Setuid),
        (id(), id()).prop_map(|(a, b)| Op::Setreuid(a, b)),
        (id(), id(), id()).prop_map(|(a, b, c)| Op::Setresuid(a, b, c)),
        id().prop_map(Op::Setfsuid),
    ]
}

fn gid_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        id().prop_map(Op::Setgid),
        (id(), id()).prop_map(|(a, b)| Op::Setregid(a, b)),
        (id(), id(), id()).prop_map(|(a, b, c)| Op::Setresgid(a, b, c)),
        id().prop_map(Op::Setfsgid),
        prop::collection::vec(id(), 0..5).prop_map(Op::Setgroups),
    ]
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => uid_op(),
        3 => gid_op(),
        1 => (0u64..3).prop_map(Op::Keepcaps),
        1 => (caps(), caps(), caps()).prop_map(|(e, p, i)| Op::Capset(e, p, i)),
    ]
}

fn start() -> impl Strategy<Value = Creds> {
    (
        real_id(),
        real_id(),
        real_id(),
        real_id(),
        real_id(),
        real_id(),
    )
        .prop_map(|(r, e, s, rg, eg, sg)| Creds::with_ids(r, e, s, rg, eg, sg))
}

fn is_uid_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Setuid(_) | Op::Setreuid(..) | Op::Setresuid(..) | Op::Setfsuid(_)
    )
}

fn is_gid_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Setgid(_) | Op::Setregid(..) | Op::Setresgid(..) | Op::Setfsgid(_) | Op::Setgroups(_)
    )
}

fn apply(c: &mut Creds, op: &Op) -> Result<(), Errno> {
    match op {
        Op::Setuid(u) => c.setuid(*u),
        Op::Setgid(g) => c.setgid(*g),
        Op::Setreuid(r, e) => c.setreuid(*r, *e),
        Op::Setregid(r, e) => c.setregid(*r, *e),
        Op::Setresuid(r, e, s) => c.setresuid(*r, *e, *s),
        Op::Setresgid(r, e, s) => c.setresgid(*r, *e, *s),
        Op::Setfsuid(u) => {
            let old = c.fsuid();
            assert_eq!(c.setfsuid(*u), old, "setfsuid returns the old fsuid");
            Ok(())
        }
        Op::Setfsgid(g) => {
            let old = c.fsgid();
            assert_eq!(c.setfsgid(*g), old, "setfsgid returns the old fsgid");
            Ok(())
        }
        Op::Setgroups(l) => c.setgroups(l),
        Op::Keepcaps(a) => c.set_keepcaps(*a),
        Op::Capset(e, p, i) => c.capset(*e, *p, *i),
    }
}

fn has_root(c: &Creds) -> bool {
    c.ruid() == 0 || c.euid() == 0 || c.suid() == 0
}

/// The checks of one step from `old` to `new`.
fn check_step(
    old: &Creds,
    new: &Creds,
    op: &Op,
    r: Result<(), Errno>,
) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(e == Errno::EPERM || e == Errno::EINVAL, "{:?}: {:?}", op, e);
        prop_assert_eq!(old, new, "a refused {:?} changed something", op);
        return Ok(());
    }
    prop_assert_eq!(
        new.effective() & !new.permitted(),
        0,
        "effective within permitted"
    );
    prop_assert_eq!(new.permitted() & !cap::ALL, 0);
    prop_assert_eq!(
        new.permitted() & !old.permitted(),
        0,
        "permitted grew by {:?}",
        op
    );
    let gained = new.effective() & !old.effective();
    if gained != 0 && !matches!(op, Op::Capset(..)) {
        let to_euid0 = old.euid() != 0 && new.euid() == 0;
        let to_fsuid0 = matches!(op, Op::Setfsuid(_)) && old.fsuid() != 0 && new.fsuid() == 0;
        prop_assert!(
            to_euid0 || to_fsuid0,
            "effective grew without a move to uid 0: {:?}",
            op
        );
        if !to_euid0 {
            prop_assert_eq!(
                gained & !cap::FS_SET,
                0,
                "setfsuid raised a non-fs capability"
            );
        }
        prop_assert_eq!(gained & !old.permitted(), 0);
    }

    let olds = [old.ruid(), old.euid(), old.suid()];
    if !old.capable(cap::SETUID) {
        for id in [new.ruid(), new.euid(), new.suid()] {
            prop_assert!(
                olds.contains(&id),
                "unprivileged {:?} reached uid {}",
                op,
                id
            );
        }
        prop_assert!(olds.contains(&new.fsuid()) || new.fsuid() == old.fsuid());
    }
    let oldg = [old.rgid(), old.egid(), old.sgid()];
    if !old.capable(cap::SETGID) {
        for id in [new.rgid(), new.egid(), new.sgid()] {
            prop_assert!(
                oldg.contains(&id),
                "unprivileged {:?} reached gid {}",
                op,
                id
            );
        }
        prop_assert!(oldg.contains(&new.fsgid()) || new.fsgid() == old.fsgid());
        prop_assert_eq!(old.groups(), new.groups());
    }

    if new.euid() != old.euid() {
        prop_assert_eq!(new.fsuid(), new.euid(), "fsuid follows euid");
    }
    if new.egid() != old.egid() {
        prop_assert_eq!(new.fsgid(), new.egid(), "fsgid follows egid");
    }
    if matches!(op, Op::Setuid(_) | Op::Setreuid(..)) {
        prop_assert_eq!(new.fsuid(), new.euid());
    }
    if matches!(op, Op::Setgid(_) | Op::Setregid(..)) {
        prop_assert_eq!(new.fsgid(), new.egid());
    }
    if is_uid_op(op)
        && !matches!(op, Op::Setfsuid(_))
        && has_root(old)
        && !has_root(new)
        && !new.keepcaps()
    {
        prop_assert_eq!(
            (new.permitted(), new.effective()),
            (0, 0),
            "losing root clears the capabilities"
        );
    }
    if is_uid_op(op) {
        prop_assert_eq!(
            (
                old.rgid(),
                old.egid(),
                old.sgid(),
                old.fsgid(),
                old.groups()
            ),
            (
                new.rgid(),
                new.egid(),
                new.sgid(),
                new.fsgid(),
                new.groups()
            )
        );
    }
    if is_gid_op(op) {
        prop_assert_eq!(
            (
                old.ruid(),
                old.euid(),
                old.suid(),
                old.fsuid(),
                old.permitted(),
                old.effective()
            ),
            (
                new.ruid(),
                new.euid(),
                new.suid(),
                new.fsuid(),
                new.permitted(),
                new.effective()
            )
        );
    }
    prop_assert!(
        new.groups().windows(2).all(|w| w[0] <= w[1]),
        "groups sorted"
    );
    let fc = new.fs_cred();
    prop_assert_eq!(
        (fc.uid, fc.gid, fc.caps),
        (new.fsuid(), new.fsgid(), new.effective())
    );
    prop_assert_eq!(&fc.groups[..], new.groups());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_step_keeps_linuxs_guarantees(c in start(), ops in prop::collection::vec(any_op(), 1..40)) {
        let first = c.clone();
        let mut c = c;
        let mut ever_setuid = first.permitted() & cap::SETUID != 0;
        let mut ever_setgid = first.permitted() & cap::SETGID != 0;
        let uids = [first.ruid(), first.euid(), first.suid(), first.fsuid()];
        let gids = [first.rgid(), first.egid(), first.sgid(), first.fsgid()];
        for op in &ops {
            let old = c.clone();
            let r = apply(&mut c, op);
            check_step(&old, &c, op, r)?;
            ever_setuid |= c.permitted() & cap::SETUID != 0;
            ever_setgid |= c.permitted() & cap::SETGID != 0;
            // Never having had the capability, only the starting ids.
            if !ever_setuid {
                for id in [c.ruid(), c.euid(), c.suid(), c.fsuid()] {
                    prop_assert!(uids.contains(&id));
                }
            }
            if !ever_setgid {
                for id in [c.rgid(), c.egid(), c.sgid(), c.fsgid()] {
                    prop_assert!(gids.contains(&id));
                }
            }
        }
    }

    /// Without capset and keepcaps, the capabilities are exactly a
    /// function of the uid history: none once root has left r/e/s, and
    /// while the euid is not 0 at most the file-system ones.
    #[test]
    fn capabilities_follow_the_uids(c in start(), ops in prop::collection::vec(prop_oneof![3 => uid_op(), 1 => gid_op()], 1..40)) {
        let mut c = c;
        for op in &ops {
            let old = c.clone();
            let r = apply(&mut c, op);
            check_step(&old, &c, op, r)?;
            if !has_root(&c) {
                prop_assert_eq!(c.permitted(), 0);
            }
            if c.permitted() != 0 {
                prop_assert_eq!(c.permitted(), cap::ALL);
            }
            if c.euid() != 0 {
                prop_assert_eq!(c.effective() & !cap::FS_SET, 0);
            } else {
                prop_assert_eq!(c.effective() | cap::FS_SET, c.permitted() | cap::FS_SET);
            }
            // (A nonzero fsuid may still hold file-system capabilities:
            // setreuid and kin reset the fsuid without the setfsuid
            // fix-up, as Linux does.)
        }
    }

    /// exec: the saved and file-system ids become the effective ones,
    /// capabilities are all or nothing by the real and effective uids,
    /// keepcaps is cleared, and a nosuid file changes no effective id.
    #[test]
    fn exec_rules(c in start(), ops in prop::collection::vec(any_op(), 0..10),
                  mode in prop_oneof![Just(0o755u32), Just(0o4755), Just(0o2755), Just(0o2745), Just(0o6755)],
                  fuid in real_id(), fgid in real_id(), nosuid in any::<bool>()) {
        let mut c = c;
        for op in &ops {
            let _ = apply(&mut c, op);
        }
        let old = c.clone();
        let secure = c.exec(&creds::ExecFile { mode, uid: fuid, gid: fgid, nosuid });
        prop_assert_eq!((c.ruid(), c.rgid()), (old.ruid(), old.rgid()));
        prop_assert_eq!(c.groups(), old.groups());
        prop_assert_eq!((c.suid(), c.fsuid()), (c.euid(), c.euid()));
        prop_assert_eq!((c.sgid(), c.fsgid()), (c.egid(), c.egid()));
        let want_euid = if !nosuid && mode & 0o4000 != 0 { fuid } else { old.euid() };
        let want_egid = if !nosuid && mode & 0o2010 == 0o2010 { fgid } else { old.egid() };
        prop_assert_eq!((c.euid(), c.egid()), (want_euid, want_egid));
        let root = c.ruid() == 0 || c.euid() == 0;
        prop_assert_eq!(c.permitted(), if root { cap::ALL } else { 0 });
        prop_assert_eq!(c.effective(), if c.euid() == 0 { cap::ALL } else { 0 });
        prop_assert!(!c.keepcaps());
        prop_assert_eq!(secure, c.euid() != old.ruid() || c.egid() != old.rgid());
    }
}
