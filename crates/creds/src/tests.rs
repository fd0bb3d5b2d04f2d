use super::*;
use alloc::vec;

const N: u32 = NO_CHANGE;

fn user(r: u32, e: u32, s: u32) -> Creds {
    Creds::with_ids(r, e, s, r, e, s)
}

#[test]
fn capability_numbers_are_linuxs() {
    assert_eq!(cap::CHOWN, vfs::cap::CHOWN);
    assert_eq!(cap::DAC_OVERRIDE, vfs::cap::DAC_OVERRIDE);
    assert_eq!(cap::DAC_READ_SEARCH, vfs::cap::DAC_READ_SEARCH);
    assert_eq!(cap::FOWNER, vfs::cap::FOWNER);
    assert_eq!(cap::FSETID, vfs::cap::FSETID);
    assert_eq!(cap::SYS_ADMIN, vfs::cap::SYS_ADMIN);
    assert_eq!(cap::MKNOD, vfs::cap::MKNOD);
    assert_eq!(cap::KILL, 1 << 5);
    assert_eq!(cap::SETUID, 1 << 7);
    assert_eq!(cap::SYS_NICE, 1 << 23);
    assert_eq!(cap::SYS_RESOURCE, 1 << 24);
    assert_eq!(cap::CHECKPOINT_RESTORE, 1 << 40);
    assert_eq!(cap::ALL.count_ones(), 41);
    assert_eq!(cap::ALL & vfs::cap::ROOT, vfs::cap::ROOT);
    assert_eq!(cap::FS_SET.count_ones(), 8);
    assert_eq!(cap::FS_SET & cap::MAC_OVERRIDE, cap::MAC_OVERRIDE);
    assert_eq!(cap::FS_SET & (cap::KILL | cap::SETUID | cap::SYS_ADMIN), 0);
}

#[test]
fn starting_credentials() {
    let r = Creds::root();
    assert_eq!(r.getresuid(), (0, 0, 0));
    assert_eq!(r.getresgid(), (0, 0, 0));
    assert_eq!((r.fsuid(), r.fsgid()), (0, 0));
    assert_eq!(
        (r.permitted(), r.effective(), r.inheritable()),
        (cap::ALL, cap::ALL, 0)
    );
    assert!(!r.keepcaps());
    let u = Creds::new(1000, 100);
    assert_eq!(u.getresuid(), (1000, 1000, 1000));
    assert_eq!(u.getresgid(), (100, 100, 100));
    assert_eq!((u.permitted(), u.effective()), (0, 0));
    // Real root, effective user: permitted but not effective.
    let c = user(0, 1000, 1000);
    assert_eq!(
        (c.permitted(), c.effective(), c.fsuid()),
        (cap::ALL, 0, 1000)
    );
    let c = user(1000, 0, 1000);
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, cap::ALL));
    // Saved root alone gives nothing.
    assert_eq!(user(1000, 1000, 0).permitted(), 0);
}

#[test]
fn setuid_privileged_sets_all_and_drops_caps() {
    let mut c = Creds::root();
    c.setuid(1000).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 1000));
    assert_eq!(c.fsuid(), 1000);
    assert_eq!((c.permitted(), c.effective()), (0, 0));
    assert_eq!(c.setuid(0), Err(Errno::EPERM));
    assert_eq!(c.getresuid(), (1000, 1000, 1000));
}

#[test]
fn setuid_invalid_id() {
    let mut c = Creds::root();
    assert_eq!(c.setuid(N), Err(Errno::EINVAL));
    assert_eq!(c.setgid(N), Err(Errno::EINVAL));
    assert_eq!(c, Creds::root());
}

#[test]
fn setuid_unprivileged_to_real_or_saved_only() {
    let mut c = user(1000, 2000, 3000);
    // The effective uid itself is neither real nor saved.
    assert_eq!(c.setuid(2000), Err(Errno::EPERM));
    c.setuid(3000).unwrap();
    assert_eq!(c.getresuid(), (1000, 3000, 3000));
    assert_eq!(c.fsuid(), 3000);
    c.setuid(1000).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 3000));
    assert_eq!(c.setuid(4000), Err(Errno::EPERM));
}

#[test]
fn setuid_from_effective_root_sets_all() {
    // A set-user-id-root program run by a user: CAP_SETUID is effective.
    let mut c = user(1000, 0, 0);
    c.setuid(1000).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 1000));
    assert_eq!((c.permitted(), c.effective()), (0, 0));
}

#[test]
fn setuid_with_keepcaps_keeps_permitted() {
    let mut c = Creds::root();
    c.set_keepcaps(1).unwrap();
    c.setuid(1000).unwrap();
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, 0));
    // The effective set can be raised again by capset (nothing else
    // raises it while the euid is not 0).
    c.capset(cap::KILL, cap::ALL, 0).unwrap();
    assert!(c.capable(cap::KILL));
    assert_eq!(c.set_keepcaps(2), Err(Errno::EINVAL));
    c.set_keepcaps(0).unwrap();
    assert!(!c.keepcaps());
}

#[test]
fn setgid_rules() {
    let mut c = Creds::root();
    c.setgid(100).unwrap();
    assert_eq!(c.getresgid(), (100, 100, 100));
    assert_eq!(c.fsgid(), 100);
    // Groups never touch capabilities.
    assert_eq!(c.effective(), cap::ALL);
    let mut u = Creds::with_ids(1000, 1000, 1000, 10, 20, 30);
    assert_eq!(u.setgid(20), Err(Errno::EPERM));
    u.setgid(30).unwrap();
    assert_eq!(u.getresgid(), (10, 30, 30));
    assert_eq!(u.fsgid(), 30);
    u.setgid(10).unwrap();
    assert_eq!(u.getresgid(), (10, 10, 30));
    assert_eq!(u.setgid(0), Err(Errno::EPERM));
}

#[test]
fn setreuid_swap_and_saved_rule() {
    let mut c = user(1000, 2000, 3000);
    c.setreuid(2000, 1000).unwrap();
    // The real uid was given: saved follows the new effective.
    assert_eq!(c.getresuid(), (2000, 1000, 1000));
    assert_eq!(c.fsuid(), 1000);
    assert_eq!(c.setreuid(3000, N), Err(Errno::EPERM));

    let mut c = user(1000, 2000, 3000);
    // Effective back to the real uid: saved unchanged.
    c.setreuid(N, 1000).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 3000));
    // Effective to the saved uid (not the real): saved set to it.
    c.setreuid(N, 3000).unwrap();
    assert_eq!(c.getresuid(), (1000, 3000, 3000));
    // Real uid may be the effective one; saved follows.
    c.setreuid(3000, N).unwrap();
    assert_eq!(c.getresuid(), (3000, 3000, 3000));
    // Nothing given: only the file-system uid is reset.
    let mut c = user(1000, 1000, 1000);
    c.setreuid(N, N).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 1000));
}

#[test]
fn setreuid_failure_changes_nothing() {
    let mut c = user(1000, 2000, 3000);
    let before = c.clone();
    assert_eq!(c.setreuid(2000, 5), Err(Errno::EPERM));
    assert_eq!(c, before);
    assert_eq!(c.setreuid(5, 1000), Err(Errno::EPERM));
    assert_eq!(c, before);
}

#[test]
fn setreuid_resets_fsuid() {
    let mut c = Creds::root();
    assert_eq!(c.setfsuid(1000), 0);
    c.setreuid(N, N).unwrap();
    assert_eq!(c.fsuid(), 0);
    // The fs capabilities are not raised again: no euid transition.
    assert_eq!(c.effective(), cap::ALL & !cap::FS_SET);
}

#[test]
fn setreuid_capability_changes() {
    let mut c = Creds::root();
    // Real and effective swap away from root, saved follows euid: root
    // gone from all three.
    c.setreuid(N, 1000).unwrap();
    assert_eq!(c.getresuid(), (0, 1000, 1000));
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, 0));
    c.setreuid(1000, 0).unwrap();
    assert_eq!(c.getresuid(), (1000, 0, 0));
    assert_eq!(c.effective(), cap::ALL);
    c.setreuid(1000, 1000).unwrap();
    assert_eq!(c.getresuid(), (1000, 1000, 1000));
    assert_eq!((c.permitted(), c.effective()), (0, 0));
}

#[test]
fn setregid_rules() {
    let mut c = Creds::with_ids(1000, 1000, 1000, 10, 20, 30);
    assert_eq!(c.setregid(30, N), Err(Errno::EPERM));
    c.setregid(N, 10).unwrap();
    assert_eq!(c.getresgid(), (10, 10, 30));
    c.setregid(N, 30).unwrap();
    assert_eq!(c.getresgid(), (10, 30, 30));
    c.setregid(30, 10).unwrap();
    assert_eq!(c.getresgid(), (30, 10, 10));
    assert_eq!(c.fsgid(), 10);
    let before = c.clone();
    assert_eq!(c.setregid(10, 99), Err(Errno::EPERM));
    assert_eq!(c, before);
    let mut r = Creds::root();
    r.setregid(5, 6).unwrap();
    assert_eq!(r.getresgid(), (5, 6, 6));
    assert_eq!(r.effective(), cap::ALL);
}

#[test]
fn setresuid_unprivileged_permutes_held_ids() {
    let mut c = user(1000, 2000, 3000);
    c.setresuid(3000, 1000, 2000).unwrap();
    assert_eq!(c.getresuid(), (3000, 1000, 2000));
    assert_eq!(c.fsuid(), 1000);
    let before = c.clone();
    assert_eq!(c.setresuid(N, N, 4000), Err(Errno::EPERM));
    assert_eq!(c.setresuid(4000, 1000, 1000), Err(Errno::EPERM));
    assert_eq!(c, before);
    c.setresuid(N, 3000, N).unwrap();
    assert_eq!(c.getresuid(), (3000, 3000, 2000));
}

#[test]
fn setresuid_privileged_and_capabilities() {
    let mut c = Creds::root();
    c.setresuid(65534, 65534, 0).unwrap();
    assert_eq!(c.getresuid(), (65534, 65534, 0));
    assert_eq!(c.fsuid(), 65534);
    // Saved root keeps the permitted set; euid left 0.
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, 0));
    // Unprivileged now, but 0 is held (saved).
    assert_eq!(c.setresuid(N, 1, N), Err(Errno::EPERM));
    c.setresuid(0, 0, N).unwrap();
    assert_eq!(c.getresuid(), (0, 0, 0));
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, cap::ALL));
    c.setresuid(1, 2, 3).unwrap();
    assert_eq!(c.getresuid(), (1, 2, 3));
    assert_eq!((c.permitted(), c.effective()), (0, 0));
}

#[test]
fn setresuid_with_keepcaps() {
    let mut c = Creds::root();
    c.set_keepcaps(1).unwrap();
    c.setresuid(1, 1, 1).unwrap();
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, 0));
    // Back to euid 0 (CAP_SETUID is not effective, but 0 is not held
    // either): refused.
    assert_eq!(c.setresuid(N, 0, N), Err(Errno::EPERM));
}

#[test]
fn setresuid_that_changes_nothing_leaves_fsuid() {
    let mut c = Creds::root();
    c.setresuid(N, 1000, N).unwrap();
    assert_eq!(c.setfsuid(0), 1000);
    assert_eq!(c.effective(), cap::FS_SET);
    let before = c.clone();
    // Nothing to change: fsuid stays 0 though euid is 1000.
    c.setresuid(N, N, N).unwrap();
    c.setresuid(0, N, 0).unwrap();
    assert_eq!(c, before);
    // A given euid that is not also the fsuid takes the full path.
    c.setresuid(N, 1000, N).unwrap();
    assert_eq!(c.fsuid(), 1000);
    // Capabilities follow only the r/e/s uids: euid stayed 1000.
    assert_eq!(c.effective(), cap::FS_SET);
}

#[test]
fn setresgid_rules() {
    let mut c = Creds::with_ids(1000, 1000, 1000, 10, 20, 30);
    c.setresgid(30, 10, 20).unwrap();
    assert_eq!(c.getresgid(), (30, 10, 20));
    assert_eq!(c.fsgid(), 10);
    let before = c.clone();
    assert_eq!(c.setresgid(N, 99, N), Err(Errno::EPERM));
    assert_eq!(c, before);
    let mut r = Creds::root();
    r.setresgid(1, 2, 3).unwrap();
    assert_eq!(r.getresgid(), (1, 2, 3));
    assert_eq!(r.fsgid(), 2);
    assert_eq!(r.effective(), cap::ALL);
    // Nothing-to-change fast path keeps a different fsgid.
    assert_eq!(r.setfsgid(7), 2);
    r.setresgid(N, N, N).unwrap();
    assert_eq!(r.fsgid(), 7);
    r.setresgid(N, 2, N).unwrap();
    assert_eq!(r.fsgid(), 2);
}

#[test]
fn setfsuid_rules() {
    let mut c = user(1000, 2000, 3000);
    assert_eq!(c.setfsuid(4000), 2000);
    assert_eq!(c.fsuid(), 2000);
    assert_eq!(c.setfsuid(1000), 2000);
    assert_eq!(c.setfsuid(3000), 1000);
    assert_eq!(c.setfsuid(N), 3000);
    assert_eq!(c.fsuid(), 3000);
    // The current fsuid is always allowed (no change).
    assert_eq!(c.setfsuid(3000), 3000);
    // Privileged: any id.
    let mut r = Creds::root();
    assert_eq!(r.setfsuid(4242), 0);
    assert_eq!(r.fsuid(), 4242);
    assert_eq!(r.euid(), 0);
}

#[test]
fn setfsuid_drops_and_raises_fs_caps() {
    let mut r = Creds::root();
    r.setfsuid(1000);
    assert_eq!(r.effective(), cap::ALL & !cap::FS_SET);
    assert_eq!(r.permitted(), cap::ALL);
    assert!(r.capable(cap::KILL | cap::SETUID));
    assert!(!r.capable(cap::DAC_OVERRIDE));
    // Nonzero to nonzero: nothing changes.
    r.setfsuid(1001);
    assert_eq!(r.effective(), cap::ALL & !cap::FS_SET);
    r.setfsuid(0);
    assert_eq!(r.effective(), cap::ALL);

    // Real root with a user euid: fsuid 0 raises only the fs caps.
    let mut c = Creds::root();
    c.setresuid(N, 1000, N).unwrap();
    assert_eq!(c.effective(), 0);
    assert_eq!(c.setfsuid(0), 1000);
    assert_eq!(c.effective(), cap::FS_SET);
    // Nothing permitted: nothing raised.
    let mut u = Creds::with_ids(1000, 1000, 0, 1, 1, 1);
    assert_eq!(u.setfsuid(0), 1000);
    assert_eq!(u.fsuid(), 0);
    assert_eq!(u.effective(), 0);
}

#[test]
fn setfsgid_rules() {
    let mut c = Creds::with_ids(1000, 1000, 1000, 10, 20, 30);
    assert_eq!(c.setfsgid(99), 20);
    assert_eq!(c.fsgid(), 20);
    assert_eq!(c.setfsgid(30), 20);
    assert_eq!(c.setfsgid(N), 30);
    let mut r = Creds::root();
    assert_eq!(r.setfsgid(99), 0);
    assert_eq!(r.fsgid(), 99);
    assert_eq!(r.effective(), cap::ALL);
}

#[test]
fn setgroups_rules() {
    let mut r = Creds::root();
    r.setgroups(&[100, 5, 100, 0]).unwrap();
    assert_eq!(r.groups(), &[0, 5, 100, 100]);
    assert!(r.in_group(5) && r.in_group(0) && !r.in_group(6));
    assert_eq!(r.setgroups(&[1, N]), Err(Errno::EINVAL));
    assert_eq!(r.groups(), &[0, 5, 100, 100]);
    let max = vec![7; NGROUPS_MAX];
    r.setgroups(&max).unwrap();
    assert_eq!(r.groups().len(), NGROUPS_MAX);
    let over = vec![7; NGROUPS_MAX + 1];
    assert_eq!(r.setgroups(&over), Err(Errno::EINVAL));
    r.setgroups(&[]).unwrap();
    assert!(r.groups().is_empty());
    assert_eq!(r.setgroups_size(3), Ok(3));
    assert_eq!(r.setgroups_size(NGROUPS_MAX as i32 + 1), Err(Errno::EINVAL));
    assert_eq!(r.setgroups_size(-1), Err(Errno::EINVAL));

    let mut u = Creds::new(1000, 1000);
    assert_eq!(u.setgroups(&[1]), Err(Errno::EPERM));
    // EPERM is checked before the size.
    assert_eq!(u.setgroups(&over), Err(Errno::EPERM));
    assert_eq!(u.setgroups_size(-1), Err(Errno::EPERM));
    // Root that dropped CAP_SETGID.
    let mut c = Creds::root();
    c.capset(cap::ALL & !cap::SETGID, cap::ALL, 0).unwrap();
    assert_eq!(c.setgroups(&[1]), Err(Errno::EPERM));
}

#[test]
fn getgroups_sizes() {
    let mut r = Creds::root();
    r.setgroups(&[3, 2, 1]).unwrap();
    assert_eq!(r.getgroups(0), Ok(&[1, 2, 3][..]));
    assert_eq!(r.getgroups(3), Ok(&[1, 2, 3][..]));
    assert_eq!(r.getgroups(10), Ok(&[1, 2, 3][..]));
    assert_eq!(r.getgroups(2), Err(Errno::EINVAL));
    assert_eq!(r.getgroups(-1), Err(Errno::EINVAL));
}

#[test]
fn capset_rules() {
    let mut r = Creds::root();
    r.capset(cap::KILL, cap::KILL | cap::SETUID, 0).unwrap();
    assert_eq!(
        (r.effective(), r.permitted()),
        (cap::KILL, cap::KILL | cap::SETUID)
    );
    // Permitted cannot grow; effective stays within permitted.
    assert_eq!(r.capset(0, cap::KILL | cap::CHOWN, 0), Err(Errno::EPERM));
    assert_eq!(r.capset(cap::CHOWN, cap::KILL, 0), Err(Errno::EPERM));
    // Inheritable: within old inheritable | permitted without SETPCAP.
    assert_eq!(
        r.capset(cap::KILL, cap::KILL | cap::SETUID, cap::CHOWN),
        Err(Errno::EPERM)
    );
    r.capset(cap::KILL, cap::KILL | cap::SETUID, cap::SETUID)
        .unwrap();
    assert_eq!(r.inheritable(), cap::SETUID);
    // Without CAP_SETUID effective, root is refused other uids.
    assert_eq!(r.setuid(5), Err(Errno::EPERM));
    // Unknown bits are ignored.
    r.capset(cap::KILL | 1 << 63, cap::KILL | cap::SETUID | 1 << 62, 0)
        .unwrap();
    assert_eq!(r.effective(), cap::KILL);
    // With CAP_SETPCAP any inheritable set.
    let mut p = Creds::root();
    p.capset(cap::SETPCAP, cap::SETPCAP, cap::ALL).unwrap();
    assert_eq!(p.inheritable(), cap::ALL);
}

#[test]
fn exec_plain_file() {
    let plain = ExecFile {
        mode: 0o755,
        uid: 0,
        gid: 0,
        nosuid: false,
    };
    let mut r = Creds::root();
    r.capset(cap::KILL, cap::KILL, 0).unwrap();
    r.set_keepcaps(1).unwrap();
    // Root gets every capability back at exec.
    assert!(!r.exec(&plain));
    assert_eq!((r.permitted(), r.effective()), (cap::ALL, cap::ALL));
    assert!(!r.keepcaps());

    let mut u = Creds::new(1000, 1000);
    assert!(!u.exec(&plain));
    assert_eq!(u, Creds::new(1000, 1000));

    // Real root only: permitted, not effective.
    let mut c = Creds::root();
    c.setresuid(N, 1000, N).unwrap();
    c.setfsuid(0);
    assert!(c.exec(&plain));
    assert_eq!(c.getresuid(), (0, 1000, 1000));
    assert_eq!(c.fsuid(), 1000);
    assert_eq!((c.permitted(), c.effective()), (cap::ALL, 0));

    // Saved and fs ids follow the effective ones.
    let mut c = Creds::with_ids(1000, 2000, 3000, 10, 20, 30);
    c.setfsgid(30);
    assert!(c.exec(&plain));
    assert_eq!(c.getresuid(), (1000, 2000, 2000));
    assert_eq!(c.getresgid(), (10, 20, 20));
    assert_eq!((c.fsuid(), c.fsgid()), (2000, 20));
}

#[test]
fn exec_setuid_root() {
    let su = ExecFile {
        mode: 0o4755,
        uid: 0,
        gid: 0,
        nosuid: false,
    };
    let mut u = Creds::new(1000, 1000);
    assert!(u.exec(&su));
    assert_eq!(u.getresuid(), (1000, 0, 0));
    assert_eq!(u.fsuid(), 0);
    assert_eq!(u.getresgid(), (1000, 1000, 1000));
    assert_eq!((u.permitted(), u.effective()), (cap::ALL, cap::ALL));
    // The program can now become anyone.
    u.setuid(0).unwrap();
    assert_eq!(u.getresuid(), (0, 0, 0));

    // On a nosuid mount nothing changes.
    let mut u = Creds::new(1000, 1000);
    assert!(!u.exec(&ExecFile { nosuid: true, ..su }));
    assert_eq!(u, Creds::new(1000, 1000));
}

#[test]
fn exec_setuid_user_by_root() {
    let f = ExecFile {
        mode: 0o4755,
        uid: 65534,
        gid: 0,
        nosuid: false,
    };
    let mut r = Creds::root();
    assert!(r.exec(&f));
    assert_eq!(r.getresuid(), (0, 65534, 65534));
    assert_eq!((r.permitted(), r.effective()), (cap::ALL, 0));
}

#[test]
fn exec_setgid() {
    // Set-group-id needs group execute (otherwise it marks mandatory
    // locking).
    let mut u = Creds::new(1000, 1000);
    assert!(!u.exec(&ExecFile {
        mode: 0o2745,
        uid: 0,
        gid: 50,
        nosuid: false
    }));
    assert_eq!(u.getresgid(), (1000, 1000, 1000));
    assert!(u.exec(&ExecFile {
        mode: 0o2755,
        uid: 0,
        gid: 50,
        nosuid: false
    }));
    assert_eq!(u.getresgid(), (1000, 50, 50));
    assert_eq!(u.fsgid(), 50);
    assert_eq!(u.getresuid(), (1000, 1000, 1000));
    assert_eq!(u.permitted(), 0);
    // Both bits.
    let mut u = Creds::new(1000, 1000);
    assert!(u.exec(&ExecFile {
        mode: 0o6755,
        uid: 7,
        gid: 8,
        nosuid: false
    }));
    assert_eq!((u.euid(), u.egid()), (7, 8));
    // A set-user-id file of the caller's own uid is no privilege change.
    let mut u = Creds::new(1000, 1000);
    assert!(!u.exec(&ExecFile {
        mode: 0o6755,
        uid: 1000,
        gid: 1000,
        nosuid: false
    }));
}

#[test]
fn fs_cred_carries_fs_ids_groups_and_effective_caps() {
    let mut r = Creds::root();
    r.setgroups(&[100, 5]).unwrap();
    r.setfsgid(7);
    assert_eq!(
        r.fs_cred(),
        vfs::Cred {
            uid: 0,
            gid: 7,
            groups: vec![5, 100],
            caps: cap::ALL
        }
    );
    assert!(r.fs_cred().has(vfs::cap::ROOT));
    r.setfsuid(1000);
    let fc = r.fs_cred();
    assert_eq!(fc.uid, 1000);
    assert!(!fc.has(vfs::cap::DAC_OVERRIDE));
    assert!(fc.has(vfs::cap::SYS_ADMIN));
    let u = Creds::new(1000, 100);
    assert_eq!(
        u.fs_cred(),
        vfs::Cred {
            uid: 1000,
            gid: 100,
            groups: vec![],
            caps: 0
        }
    );
}

#[test]
fn kill_permission() {
    let root = Creds::root();
    let a = user(1000, 1000, 1000);
    let b = user(2000, 2000, 2000);
    assert!(may_signal(&root, &a));
    assert!(!may_signal(&a, &b));
    assert!(!may_signal(&a, &root));
    assert!(may_signal(&a, &a));
    // Each of the four id pairs.
    let t = user(10, 20, 30);
    assert!(may_signal(&user(10, 99, 99), &t)); // ruid = ruid
    assert!(may_signal(&user(30, 99, 99), &t)); // ruid = suid
    assert!(may_signal(&user(99, 10, 99), &t)); // euid = ruid
    assert!(may_signal(&user(99, 30, 99), &t)); // euid = suid
                                                // The target's effective uid and the sender's saved uid do not count.
    assert!(!may_signal(&user(99, 20, 99), &t));
    assert!(!may_signal(&user(99, 99, 10), &t));
    // CAP_KILL alone (a user-euid process with kept capabilities).
    let mut k = Creds::root();
    k.set_keepcaps(1).unwrap();
    k.setresuid(5, 5, 5).unwrap();
    assert!(!may_signal(&k, &a));
    k.capset(cap::KILL, cap::ALL, 0).unwrap();
    assert!(may_signal(&k, &a));
    // Root that dropped to a user euid keeps ruid 0: may signal root only.
    let mut s = Creds::root();
    s.setresuid(N, 1000, N).unwrap();
    assert!(may_signal(&s, &root));
    assert!(may_signal(&s, &a));
    assert!(!may_signal(&s, &b));
}

#[test]
fn uid_calls_reset_fsuid_without_the_fs_fixup() {
    // Real root, effective user, fsuid 0: the fs capabilities are raised.
    let mut c = user(0, 1, 0);
    assert_eq!(c.setfsuid(0), 1);
    assert_eq!(c.effective(), cap::FS_SET);
    // setreuid puts the fsuid back to the euid; Linux's fix-up for it
    // looks only at the real, effective and saved uids, so the fs
    // capabilities stay.
    c.setreuid(N, N).unwrap();
    assert_eq!(c.fsuid(), 1);
    assert_eq!(c.effective(), cap::FS_SET);
}
