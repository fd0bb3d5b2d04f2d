//! The namespace at boot: the root file system filled from the boot
//! ramdisk (a cpio "newc" archive mapped read-only in the server; file
//! contents stay the ramdisk's pages until written), `/dev` with its
//! device nodes and `/dev/shm`, `/tmp`, and `/proc`.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use exo_rt::memory::scratch_read_bytes;
use memfs::{MemFs, SetAttr, TimeSet};
use vfs::walk::{Loc, Mount, Mounts};
use vfs::{Cred, FileType, Fs, Ino, Time};

use super::{default_limits, dev, now, Files, FrameStore, Frames, MountInfo, PROC_FS};

/// Hex digits of a newc header field.
fn hex(b: &[u8]) -> Option<u64> {
    b.iter().try_fold(0u64, |v, c| {
        Some(v * 16 + u64::from((*c as char).to_digit(16)?))
    })
}

/// The namespace with the root filled from the archive mapped at
/// `[start, start + len)`; tmpfs sizes from the machine's memory.
pub fn boot(frames: Frames, start: u64, len: u64, machine_bytes: u64) -> Files {
    let frames = Rc::new(RefCell::new(frames));
    let limits = default_limits(machine_bytes);
    let store = FrameStore {
        frames: frames.clone(),
        image_at: start,
    };
    let mut root = MemFs::new(store, limits, 0o755, 0, 0, now());
    fill(&mut root, start, len);
    let root_ino = root.root();
    let mut files = Files {
        mem: alloc::vec![Some(root)],
        mounts: Mounts::new(Mount {
            fs: 0,
            at: None,
            root: root_ino,
        }),
        info: Vec::new(),
        frames,
        fifos: Default::default(),
    };
    files.set_info(
        0,
        MountInfo {
            source: "rootfs",
            fstype: "rootfs",
            options: "rw",
        },
    );
    let root_loc = files.root();
    let dir = |files: &mut Files, name: &[u8], perm: u32| -> Option<Loc> {
        let r = files.mem_mut(root_loc)?;
        let ino = match r.lookup(root_loc.ino, name) {
            Ok(i) => i,
            Err(_) => r
                .create(
                    &Cred::root(),
                    root_loc.ino,
                    name,
                    FileType::Directory,
                    perm,
                    0,
                    now(),
                )
                .ok()?,
        };
        Some(Loc { mount: 0, ino })
    };
    // /dev: device nodes, links into /proc/self, and /dev/shm.
    if let Some(at) = dir(&mut files, b"dev", 0o755) {
        let info = MountInfo {
            source: "devtmpfs",
            fstype: "devtmpfs",
            options: "rw,nosuid,relatime,mode=755",
        };
        let small = memfs::Limits {
            bytes: 1 << 20,
            nodes: 4096,
        };
        if let Ok(m) = files.mount_tmpfs(at, info, small, 0o755) {
            let d = files.mounts.root_of(m).unwrap_or(at);
            if let Some(fs) = files.mem_mut(d) {
                let who = Cred::root();
                for &(name, major, minor, perm) in dev::NODES {
                    let rdev = dev::makedev(major, minor);
                    let _ = fs.create(
                        &who,
                        d.ino,
                        name.as_bytes(),
                        FileType::CharDevice,
                        perm,
                        rdev,
                        now(),
                    );
                }
                for &(name, target) in dev::LINKS {
                    let _ = fs.symlink(&who, d.ino, name.as_bytes(), target.as_bytes(), now());
                }
                for name in [&b"shm"[..], b"pts"] {
                    let _ = fs.create(&who, d.ino, name, FileType::Directory, 0o755, 0, now());
                }
            }
            let shm = files
                .mem(d)
                .and_then(|fs| fs.lookup(d.ino, b"shm").ok())
                .map(|ino| Loc { mount: m, ino });
            if let Some(shm) = shm {
                let info = MountInfo {
                    source: "tmpfs",
                    fstype: "tmpfs",
                    options: "rw,nosuid,nodev",
                };
                let _ = files.mount_tmpfs(shm, info, limits, 0o1777);
            }
        }
    }
    if let Some(at) = dir(&mut files, b"tmp", 0o1777) {
        let info = MountInfo {
            source: "tmpfs",
            fstype: "tmpfs",
            options: "rw,nosuid,nodev",
        };
        let _ = files.mount_tmpfs(at, info, limits, 0o1777);
    }
    if let Some(at) = dir(&mut files, b"proc", 0o555) {
        if let Ok(id) = files.mounts.mount(Mount {
            fs: PROC_FS,
            at: Some(at),
            root: crate::procs::PROC_ROOT,
        }) {
            files.set_info(
                id,
                MountInfo {
                    source: "proc",
                    fstype: "proc",
                    options: "rw,nosuid,nodev,noexec,relatime",
                },
            );
        }
    }
    files
}

/// Fills `fs` from the archive at `[start, start + len)`: directories,
/// files (their bytes the image's), links and device nodes, with the
/// archive's modes, owners and times; missing parents are made.
fn fill(fs: &mut MemFs<FrameStore>, start: u64, len: u64) {
    let root = Cred::root();
    let mut at = 0u64;
    let mut hdr = [0u8; 110];
    while at + 110 <= len {
        scratch_read_bytes(start + at, &mut hdr);
        if &hdr[..6] != b"070701" && &hdr[..6] != b"070702" {
            break;
        }
        let field = |i: usize| hex(&hdr[6 + i * 8..14 + i * 8]).unwrap_or(0);
        let (mode, uid, gid, mtime, size) = (
            field(1) as u32,
            field(2) as u32,
            field(3) as u32,
            field(5),
            field(6),
        );
        let (rmaj, rmin) = (field(9), field(10));
        let name_len = field(11);
        let name_at = at + 110;
        let mut name = alloc::vec![0u8; name_len.saturating_sub(1) as usize];
        scratch_read_bytes(start + name_at, &mut name);
        let data_at = (name_at + name_len).div_ceil(4) * 4;
        at = (data_at + size).div_ceil(4) * 4;
        if name == b"TRAILER!!!" {
            break;
        }
        let path: Vec<&[u8]> = name
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let Some(dir) = ensure_dirs(fs, parents) else {
            continue;
        };
        let t = Time {
            sec: mtime as i64,
            nsec: 0,
        };
        let perm = mode & 0o7777;
        let made = match vfs::FileType::from_mode(mode) {
            Some(FileType::Directory) => match fs.lookup(dir, last) {
                Ok(i) => Ok(i),
                Err(_) => fs.create(&root, dir, last, FileType::Directory, perm, 0, now()),
            },
            Some(FileType::Regular) | None => {
                fs.add_image_file(dir, last, perm, uid, gid, t, data_at, size)
            }
            Some(FileType::Symlink) => {
                let mut target = alloc::vec![0u8; size as usize];
                scratch_read_bytes(start + data_at, &mut target);
                fs.symlink(&root, dir, last, &target, now())
            }
            Some(ft) => fs.create(&root, dir, last, ft, perm, dev::makedev(rmaj, rmin), now()),
        };
        if let Ok(ino) = made {
            let change = SetAttr {
                perm: Some(perm),
                uid: Some(uid),
                gid: Some(gid),
                mtime: Some(TimeSet::At(t)),
                ..SetAttr::default()
            };
            let _ = fs.setattr(&root, ino, change, now());
        }
    }
}

/// The directory `path` below the root, made (0755, root's) where missing.
fn ensure_dirs(fs: &mut MemFs<FrameStore>, path: &[&[u8]]) -> Option<Ino> {
    let mut dir = fs.root();
    for c in path {
        dir = match fs.lookup(dir, c) {
            Ok(i) => i,
            Err(_) => fs
                .create(&Cred::root(), dir, c, FileType::Directory, 0o755, 0, now())
                .ok()?,
        };
    }
    Some(dir)
}
