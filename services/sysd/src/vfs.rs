//! The root file system: the boot ramdisk (a cpio archive) mapped
//! read-only into the server, indexed once at start, plus the few device
//! nodes every Unix has (`/dev/null`, `/dev/zero`, `/dev/console`,
//! `/dev/tty`) and the generated `/proc/meminfo`. Paths are resolved over
//! it by `vpath`: `.`, `..`, repeated slashes and symbolic links (at most
//! eight in a row).

use alloc::string::String;
use alloc::vec::Vec;

use exo_rt::memory::scratch_read_bytes;

/// File types, as Linux `st_mode` high bits.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Bytes of the mapped ramdisk: `len` at scratch address `at`.
    Data { at: u64, len: u64 },
    /// A device (`sysproto::kind` of its handles).
    Device(u64),
    /// `/proc/meminfo`: a regular file whose text the server makes when
    /// it is read (size 0 in `stat`, as on Linux).
    MemInfo,
}

/// One file, directory, link or device.
#[derive(Clone, Debug)]
pub struct Node {
    /// The absolute path without its leading slash ("" for the root).
    pub path: String,
    pub mode: u32,
    pub mtime: u64,
    pub body: Body,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
    pub fn len(&self) -> u64 {
        match self.body {
            Body::Data { len, .. } => len,
            Body::Device(_) | Body::MemInfo => 0,
        }
    }
    /// Its bytes `[off, off + out.len())` (clipped at its end); how many.
    pub fn read(&self, off: u64, out: &mut [u8]) -> usize {
        let Body::Data { at, len } = self.body else {
            return 0;
        };
        if off >= len {
            return 0;
        }
        let n = (len - off).min(out.len() as u64) as usize;
        scratch_read_bytes(at + off, &mut out[..n]);
        n
    }
}

/// The file tree.
pub struct Vfs {
    pub nodes: Vec<Node>,
}

/// Why a lookup failed.
pub use sysproto::Errno;
use sysproto::Errno::{ENOENT, ENOTDIR};

/// Hex digits of a newc header field.
fn hex(b: &[u8]) -> Option<u64> {
    b.iter().try_fold(0u64, |v, c| {
        Some(v * 16 + u64::from((*c as char).to_digit(16)?))
    })
}

/// The per-process link to the running program (see [`Vfs::resolve_as`]).
const SELF_EXE: &str = "proc/self/exe";

/// True if `path`, taken from the directory `cwd`, names `/proc/self/exe`
/// (`.` and `..` taken lexically: nothing on the way is a link).
pub fn names_self_exe(cwd: &str, path: &[u8]) -> bool {
    let Ok(path) = core::str::from_utf8(path) else {
        return false;
    };
    vpath::normalize(cwd, path) == ["proc", "self", "exe"]
}

/// The tree as a process whose program is at `exe` sees it (see
/// [`Vfs::resolve_as`]).
struct View<'a> {
    vfs: &'a Vfs,
    exe: &'a str,
}

/// A node of a [`View`]: one of the tree, or the `/proc/self/exe` link.
#[derive(Clone, Copy)]
enum ViewNode {
    Node(usize),
    SelfExe,
}

impl vpath::Tree for View<'_> {
    type Node = ViewNode;

    fn lookup(&self, path: &str) -> Option<(ViewNode, vpath::Kind)> {
        if path == SELF_EXE && !self.exe.is_empty() {
            return Some((ViewNode::SelfExe, vpath::Kind::Link));
        }
        let i = self.vfs.find_exact(path)?;
        let kind = match self.vfs.nodes[i].mode & S_IFMT {
            S_IFDIR => vpath::Kind::Dir,
            S_IFLNK => vpath::Kind::Link,
            _ => vpath::Kind::Other,
        };
        Some((ViewNode::Node(i), kind))
    }

    fn read_link(&self, node: ViewNode) -> String {
        match node {
            ViewNode::Node(i) => {
                let n = &self.vfs.nodes[i];
                let mut t = alloc::vec![0u8; n.len() as usize];
                n.read(0, &mut t);
                String::from_utf8_lossy(&t).into_owned()
            }
            ViewNode::SelfExe => alloc::format!("/{}", self.exe),
        }
    }
}

impl Vfs {
    /// Indexes the cpio "newc" archive mapped at `[start, start + len)`.
    pub fn from_cpio(start: u64, len: u64) -> Vfs {
        let mut nodes = alloc::vec![Node {
            path: String::new(),
            mode: S_IFDIR | 0o755,
            mtime: 0,
            body: Body::Data { at: 0, len: 0 },
        }];
        let mut at = 0u64;
        let mut hdr = [0u8; 110];
        while at + 110 <= len {
            scratch_read_bytes(start + at, &mut hdr);
            if &hdr[..6] != b"070701" {
                break;
            }
            let field = |i: usize| hex(&hdr[6 + i * 8..14 + i * 8]).unwrap_or(0);
            let mode = field(1) as u32;
            let mtime = field(5);
            let size = field(6);
            let name_len = field(11);
            let name_at = at + 110;
            let mut name = alloc::vec![0u8; name_len.saturating_sub(1) as usize];
            scratch_read_bytes(start + name_at, &mut name);
            let data_at = (name_at + name_len).div_ceil(4) * 4;
            if name == b"TRAILER!!!" {
                break;
            }
            let path = String::from_utf8_lossy(&name)
                .trim_start_matches("./")
                .trim_start_matches('/')
                .into();
            if path != "." && !String::is_empty(&path) {
                nodes.push(Node {
                    path,
                    mode,
                    mtime,
                    body: Body::Data {
                        at: start + data_at,
                        len: size,
                    },
                });
            }
            at = (data_at + size).div_ceil(4) * 4;
        }
        let mut vfs = Vfs { nodes };
        for dir in ["dev", "proc", "proc/self", "tmp"] {
            vfs.ensure_dir(dir);
        }
        for (name, kind) in [
            ("dev/null", sysproto::kind::NULL),
            ("dev/zero", sysproto::kind::ZERO),
            ("dev/console", sysproto::kind::CONSOLE),
            ("dev/tty", sysproto::kind::CONSOLE),
        ] {
            if vfs.find_exact(name).is_none() {
                vfs.nodes.push(Node {
                    path: name.into(),
                    mode: S_IFCHR | 0o666,
                    mtime: 0,
                    body: Body::Device(kind),
                });
            }
        }
        if vfs.find_exact("proc/meminfo").is_none() {
            vfs.nodes.push(Node {
                path: "proc/meminfo".into(),
                mode: S_IFREG | 0o444,
                mtime: 0,
                body: Body::MemInfo,
            });
        }
        // Every parent directory of every entry exists.
        let mut parents = Vec::new();
        for n in &vfs.nodes {
            let mut p = n.path.as_str();
            while let Some(i) = p.rfind('/') {
                p = &p[..i];
                parents.push(String::from(p));
            }
        }
        for p in parents {
            vfs.ensure_dir(&p);
        }
        vfs
    }

    fn ensure_dir(&mut self, path: &str) {
        if self.find_exact(path).is_none() {
            self.nodes.push(Node {
                path: path.into(),
                mode: S_IFDIR | 0o755,
                mtime: 0,
                body: Body::Data { at: 0, len: 0 },
            });
        }
    }

    /// The node at exactly `path` (normalised, no leading slash).
    pub fn find_exact(&self, path: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.path == path)
    }

    /// Resolves `path` against the directory `cwd` (both as given by a
    /// process); `follow`: follow a final symbolic link. The node index and
    /// its normalised path.
    pub fn resolve(&self, cwd: &str, path: &[u8], follow: bool) -> Result<usize, Errno> {
        self.resolve_as(cwd, "", path, follow)
    }

    /// [`Vfs::resolve`] for a process whose program is the file at `exe`
    /// (normalised, no leading slash; "" if none): `/proc/self/exe` is then
    /// a symbolic link to it, as on Linux, so the program can run itself
    /// again by that name (busybox's shell runs applets so).
    pub fn resolve_as(
        &self,
        cwd: &str,
        exe: &str,
        path: &[u8],
        follow: bool,
    ) -> Result<usize, Errno> {
        let view = View { vfs: self, exe };
        let here = vpath::walk(&view, cwd, path, follow)?;
        // The node reached is the tree's own (`/proc/self/exe` not
        // followed is no node).
        let i = self.find_exact(&here).ok_or(ENOENT)?;
        if path.ends_with(b"/") && !self.nodes[i].is_dir() {
            return Err(ENOTDIR);
        }
        Ok(i)
    }

    /// The entries of directory `dir`, in index order.
    pub fn children(&self, dir: usize) -> impl Iterator<Item = (usize, &Node)> {
        let d = self.nodes[dir].path.clone();
        self.nodes.iter().enumerate().filter(move |(_, n)| {
            if n.path.is_empty() {
                return false;
            }
            match n.path.rfind('/') {
                Some(i) => n.path[..i] == d,
                None => d.is_empty(),
            }
        })
    }
}
