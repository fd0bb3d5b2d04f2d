//! The `/proc/sys` files ExoV6 serves: one value and a newline each.

use alloc::string::String;
use core::fmt::Write;

/// A directory under `/proc/sys` (`Root` is `/proc/sys` itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SysDir {
    Root,
    Kernel,
    Vm,
    Fs,
}

impl SysDir {
    /// The subdirectories of `/proc/sys`, in listing order.
    pub const SUBDIRS: [SysDir; 3] = [SysDir::Fs, SysDir::Kernel, SysDir::Vm];

    /// The directory's name under `/proc/sys` (empty for the root).
    pub fn name(self) -> &'static str {
        match self {
            SysDir::Root => "",
            SysDir::Kernel => "kernel",
            SysDir::Vm => "vm",
            SysDir::Fs => "fs",
        }
    }

    pub(crate) fn by_name(name: &str) -> Option<SysDir> {
        SysDir::SUBDIRS.into_iter().find(|d| d.name() == name)
    }
}

/// One `/proc/sys` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SysFile {
    KernelOstype,
    KernelOsrelease,
    KernelHostname,
    KernelPidMax,
    KernelThreadsMax,
    KernelNgroupsMax,
    VmOvercommitMemory,
    FsFileMax,
    FsNrOpen,
    FsPipeMaxSize,
}

impl SysFile {
    /// Every file, grouped by directory, each group in name order.
    pub const ALL: [SysFile; 10] = [
        SysFile::FsFileMax,
        SysFile::FsNrOpen,
        SysFile::FsPipeMaxSize,
        SysFile::KernelHostname,
        SysFile::KernelNgroupsMax,
        SysFile::KernelOsrelease,
        SysFile::KernelOstype,
        SysFile::KernelPidMax,
        SysFile::KernelThreadsMax,
        SysFile::VmOvercommitMemory,
    ];

    /// The directory holding the file.
    pub fn dir(self) -> SysDir {
        match self {
            SysFile::KernelOstype
            | SysFile::KernelOsrelease
            | SysFile::KernelHostname
            | SysFile::KernelPidMax
            | SysFile::KernelThreadsMax
            | SysFile::KernelNgroupsMax => SysDir::Kernel,
            SysFile::VmOvercommitMemory => SysDir::Vm,
            SysFile::FsFileMax | SysFile::FsNrOpen | SysFile::FsPipeMaxSize => SysDir::Fs,
        }
    }

    /// The file's name in its directory.
    pub fn name(self) -> &'static str {
        match self {
            SysFile::KernelOstype => "ostype",
            SysFile::KernelOsrelease => "osrelease",
            SysFile::KernelHostname => "hostname",
            SysFile::KernelPidMax => "pid_max",
            SysFile::KernelThreadsMax => "threads-max",
            SysFile::KernelNgroupsMax => "ngroups_max",
            SysFile::VmOvercommitMemory => "overcommit_memory",
            SysFile::FsFileMax => "file-max",
            SysFile::FsNrOpen => "nr_open",
            SysFile::FsPipeMaxSize => "pipe-max-size",
        }
    }

    /// Whether Linux lets a privileged process write it (mode 0644 rather
    /// than 0444).
    pub fn writable(self) -> bool {
        !matches!(
            self,
            SysFile::KernelOstype | SysFile::KernelOsrelease | SysFile::KernelNgroupsMax
        )
    }

    pub(crate) fn by_name(dir: SysDir, name: &str) -> Option<SysFile> {
        SysFile::ALL
            .into_iter()
            .find(|f| f.dir() == dir && f.name() == name)
    }
}

/// The values behind the `/proc/sys` files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SysValues {
    /// `Linux`.
    pub ostype: String,
    pub osrelease: String,
    pub hostname: String,
    pub pid_max: u64,
    pub threads_max: u64,
    /// 65536 on Linux.
    pub ngroups_max: u64,
    /// 0 heuristic, 1 always, 2 never.
    pub overcommit_memory: u32,
    pub file_max: u64,
    /// 1048576 on Linux.
    pub nr_open: u64,
    /// 1048576 on Linux.
    pub pipe_max_size: u64,
}

/// The text of one `/proc/sys` file.
pub fn sys_file(f: SysFile, v: &SysValues) -> String {
    let mut s = String::new();
    let _ = match f {
        SysFile::KernelOstype => writeln!(s, "{}", v.ostype),
        SysFile::KernelOsrelease => writeln!(s, "{}", v.osrelease),
        SysFile::KernelHostname => writeln!(s, "{}", v.hostname),
        SysFile::KernelPidMax => writeln!(s, "{}", v.pid_max),
        SysFile::KernelThreadsMax => writeln!(s, "{}", v.threads_max),
        SysFile::KernelNgroupsMax => writeln!(s, "{}", v.ngroups_max),
        SysFile::VmOvercommitMemory => writeln!(s, "{}", v.overcommit_memory),
        SysFile::FsFileMax => writeln!(s, "{}", v.file_max),
        SysFile::FsNrOpen => writeln!(s, "{}", v.nr_open),
        SysFile::FsPipeMaxSize => writeln!(s, "{}", v.pipe_max_size),
    };
    s
}
