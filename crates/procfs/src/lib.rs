//! The text of the files ExoV6's file service serves under `/proc`,
//! formatted as Linux 6.1 formats them (field order, spacing, units), so
//! that procps-ng, busybox and LTP parse them unchanged; and the `/proc`
//! directory model the service answers `getdents` and lookups from.
//!
//! The service fills plain input structs ([`Process`], [`MemInfo`],
//! [`Cpu`], [`KernelStat`], [`Mount`], [`Version`], [`SysValues`], ...)
//! and calls one generator per file; every generator returns the whole
//! file as bytes or a `String`. Nothing here knows where the numbers come
//! from. [`lookup`] maps a path under `/proc` to a typed [`Node`] that
//! says which generator (or which link target) serves it.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod escape;
mod kmsg;
mod mounts;
mod pid;
mod sys;
mod system;
mod tree;

pub use escape::{cpu_list, hex_bitmap, mangle};
pub use kmsg::{kmsg_record, syslog_text, timestamp_us, PRIORITY};
pub use mounts::{filesystems, mountinfo, mounts, FsType, Mount, MountFlags};
pub use pid::{
    cmdline, comm, environ, maps, maps_with_pointer_size, stat, statm, status, truncate_comm, Area,
    Mem, Process, TaskState, COMM_MAX,
};
pub use sys::{sys_file, SysDir, SysFile, SysValues};
pub use system::{
    cpuinfo, kernel_stat, loadavg, meminfo, uptime, version, Cpu, CpuTimes, KernelStat, LoadAvg,
    MemInfo, Version,
};
pub use tree::{
    fd_entries, lookup, pid_entries, root_entries, sys_entries, task_entries, Entry, Kind, Node,
    PidNode, Task, Tasks,
};
