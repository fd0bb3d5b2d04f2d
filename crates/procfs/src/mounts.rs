//! `/proc/PID/mounts` (and `/proc/mounts`), `/proc/PID/mountinfo`,
//! `/proc/filesystems`.

use alloc::string::String;
use core::fmt::Write;

use crate::escape::push_octal_escaped;

const ESCAPED: &[u8] = b" \t\n\\";

/// Per-mount flags (the ones a bind remount can change).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MountFlags {
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
    pub noatime: bool,
    pub nodiratime: bool,
    pub relatime: bool,
    pub nosymfollow: bool,
}

/// One mount as the reader's namespace sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mount {
    pub id: u32,
    pub parent_id: u32,
    /// The file system's device number.
    pub major: u32,
    pub minor: u32,
    /// The mounted directory's path inside its file system (`/` unless a
    /// bind mount of a subtree).
    pub root: String,
    /// Where it is mounted, relative to the reader's root.
    pub mount_point: String,
    /// The device or source name; empty prints `none`.
    pub source: String,
    pub fstype: String,
    pub flags: MountFlags,
    /// The file system (super block) is read-only.
    pub sb_readonly: bool,
    pub sb_sync: bool,
    pub sb_dirsync: bool,
    pub sb_lazytime: bool,
    /// File-system specific options without a leading comma, e.g.
    /// `size=65536k,mode=1777`; may be empty.
    pub fs_options: String,
    /// Peer group (`shared:N`), master (`master:N`), nearest dominating
    /// peer group (`propagate_from:N`), unbindable.
    pub shared: Option<u32>,
    pub master: Option<u32>,
    pub propagate_from: Option<u32>,
    pub unbindable: bool,
}

impl Mount {
    fn push_source(&self, s: &mut String) {
        let src = if self.source.is_empty() {
            "none"
        } else {
            &self.source
        };
        push_octal_escaped(s, src, ESCAPED);
    }

    fn push_sb_opts(&self, s: &mut String) {
        for (on, name) in [
            (self.sb_sync, ",sync"),
            (self.sb_dirsync, ",dirsync"),
            (self.sb_lazytime, ",lazytime"),
        ] {
            if on {
                s.push_str(name);
            }
        }
    }

    fn push_mnt_opts(&self, s: &mut String) {
        let f = &self.flags;
        for (on, name) in [
            (f.nosuid, ",nosuid"),
            (f.nodev, ",nodev"),
            (f.noexec, ",noexec"),
            (f.noatime, ",noatime"),
            (f.nodiratime, ",nodiratime"),
            (f.relatime, ",relatime"),
            (f.nosymfollow, ",nosymfollow"),
        ] {
            if on {
                s.push_str(name);
            }
        }
    }

    fn push_fs_opts(&self, s: &mut String) {
        if !self.fs_options.is_empty() {
            s.push(',');
            s.push_str(&self.fs_options);
        }
    }
}

fn rw(readonly: bool) -> &'static str {
    if readonly {
        "ro"
    } else {
        "rw"
    }
}

/// `/proc/PID/mounts`: `source dir type options 0 0` per mount, paths
/// octal-escaped; the options join the mount's and the file system's.
pub fn mounts(list: &[Mount]) -> String {
    let mut s = String::new();
    for m in list {
        m.push_source(&mut s);
        s.push(' ');
        push_octal_escaped(&mut s, &m.mount_point, ESCAPED);
        s.push(' ');
        push_octal_escaped(&mut s, &m.fstype, ESCAPED);
        s.push(' ');
        s.push_str(rw(m.flags.readonly || m.sb_readonly));
        m.push_sb_opts(&mut s);
        m.push_mnt_opts(&mut s);
        m.push_fs_opts(&mut s);
        s.push_str(" 0 0\n");
    }
    s
}

/// `/proc/PID/mountinfo`: `id parent major:minor root mount-point
/// mount-options [optional fields] - type source super-options`.
pub fn mountinfo(list: &[Mount]) -> String {
    let mut s = String::new();
    for m in list {
        let _ = write!(s, "{} {} {}:{} ", m.id, m.parent_id, m.major, m.minor);
        push_octal_escaped(&mut s, &m.root, ESCAPED);
        s.push(' ');
        push_octal_escaped(&mut s, &m.mount_point, ESCAPED);
        s.push(' ');
        s.push_str(rw(m.flags.readonly));
        m.push_mnt_opts(&mut s);
        if let Some(n) = m.shared {
            let _ = write!(s, " shared:{n}");
        }
        if let Some(n) = m.master {
            let _ = write!(s, " master:{n}");
            if let Some(p) = m.propagate_from {
                let _ = write!(s, " propagate_from:{p}");
            }
        }
        if m.unbindable {
            s.push_str(" unbindable");
        }
        s.push_str(" - ");
        push_octal_escaped(&mut s, &m.fstype, ESCAPED);
        s.push(' ');
        m.push_source(&mut s);
        s.push(' ');
        s.push_str(rw(m.sb_readonly));
        m.push_sb_opts(&mut s);
        m.push_fs_opts(&mut s);
        s.push('\n');
    }
    s
}

/// A registered file-system type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsType<'a> {
    pub name: &'a str,
    /// Needs no block device (`nodev` in the first column).
    pub nodev: bool,
}

/// `/proc/filesystems`: `nodev\tname` or `\tname` per type.
pub fn filesystems(types: &[FsType<'_>]) -> String {
    let mut s = String::new();
    for t in types {
        if t.nodev {
            s.push_str("nodev");
        }
        s.push('\t');
        s.push_str(t.name);
        s.push('\n');
    }
    s
}
