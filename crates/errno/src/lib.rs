//! Linux error numbers as one type, shared by the library OS and every
//! server: handlers answer `Result<T, Errno>`, the protocol carries an
//! [`Errno`] in its replies, and a Linux system call returns
//! [`Errno::to_ret`] (`-errno`) in `rax`.
//!
//! The numbers are those of Linux on x86 (`asm-generic/errno*.h`), plus
//! the kernel-internal restart codes Linux never lets a program see
//! ([`Errno::ERESTARTSYS`] and its kin), which the library OS uses the
//! same way.

#![no_std]
#![forbid(unsafe_code)]

macro_rules! errnos {
    ($($name:ident = $n:expr,)*) => {
        /// A Linux error number.
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        #[repr(u16)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Errno { $($name = $n,)* }

        impl Errno {
            /// Every error number, in increasing order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name,)*];

            /// The error with number `n`, if Linux has one.
            pub const fn from_raw(n: u16) -> Option<Errno> {
                match n { $($n => Some(Errno::$name),)* _ => None }
            }

            /// Its symbolic name (`"ENOENT"`).
            pub const fn name(self) -> &'static str {
                match self { $(Errno::$name => stringify!($name),)* }
            }
        }
    };
}

errnos! {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    ENOTBLK = 15,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    EDOM = 33,
    ERANGE = 34,
    EDEADLK = 35,
    ENAMETOOLONG = 36,
    ENOLCK = 37,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENOMSG = 42,
    EIDRM = 43,
    ECHRNG = 44,
    EL2NSYNC = 45,
    EL3HLT = 46,
    EL3RST = 47,
    ELNRNG = 48,
    EUNATCH = 49,
    ENOCSI = 50,
    EL2HLT = 51,
    EBADE = 52,
    EBADR = 53,
    EXFULL = 54,
    ENOANO = 55,
    EBADRQC = 56,
    EBADSLT = 57,
    EBFONT = 59,
    ENOSTR = 60,
    ENODATA = 61,
    ETIME = 62,
    ENOSR = 63,
    ENONET = 64,
    ENOPKG = 65,
    EREMOTE = 66,
    ENOLINK = 67,
    EADV = 68,
    ESRMNT = 69,
    ECOMM = 70,
    EPROTO = 71,
    EMULTIHOP = 72,
    EDOTDOT = 73,
    EBADMSG = 74,
    EOVERFLOW = 75,
    ENOTUNIQ = 76,
    EBADFD = 77,
    EREMCHG = 78,
    ELIBACC = 79,
    ELIBBAD = 80,
    ELIBSCN = 81,
    ELIBMAX = 82,
    ELIBEXEC = 83,
    EILSEQ = 84,
    ERESTART = 85,
    ESTRPIPE = 86,
    EUSERS = 87,
    ENOTSOCK = 88,
    EDESTADDRREQ = 89,
    EMSGSIZE = 90,
    EPROTOTYPE = 91,
    ENOPROTOOPT = 92,
    EPROTONOSUPPORT = 93,
    ESOCKTNOSUPPORT = 94,
    EOPNOTSUPP = 95,
    EPFNOSUPPORT = 96,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ENETUNREACH = 101,
    ENETRESET = 102,
    ECONNABORTED = 103,
    ECONNRESET = 104,
    ENOBUFS = 105,
    EISCONN = 106,
    ENOTCONN = 107,
    ESHUTDOWN = 108,
    ETOOMANYREFS = 109,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EHOSTDOWN = 112,
    EHOSTUNREACH = 113,
    EALREADY = 114,
    EINPROGRESS = 115,
    ESTALE = 116,
    EUCLEAN = 117,
    ENOTNAM = 118,
    ENAVAIL = 119,
    EISNAM = 120,
    EREMOTEIO = 121,
    EDQUOT = 122,
    ENOMEDIUM = 123,
    EMEDIUMTYPE = 124,
    ECANCELED = 125,
    ENOKEY = 126,
    EKEYEXPIRED = 127,
    EKEYREVOKED = 128,
    EKEYREJECTED = 129,
    EOWNERDEAD = 130,
    ENOTRECOVERABLE = 131,
    ERFKILL = 132,
    EHWPOISON = 133,
    ERESTARTSYS = 512,
    ERESTARTNOINTR = 513,
    ERESTARTNOHAND = 514,
    ERESTART_RESTARTBLOCK = 516,
}

impl Errno {
    /// Linux's other name for [`Errno::EAGAIN`].
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// Linux's other name for [`Errno::EDEADLK`].
    pub const EDEADLOCK: Errno = Errno::EDEADLK;
    /// Linux's `ENOTSUP` (the same number as [`Errno::EOPNOTSUPP`]).
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;

    /// The number.
    pub const fn raw(self) -> u16 {
        self as u16
    }

    /// The value a failed system call leaves in `rax`: `-errno`.
    pub const fn to_ret(self) -> i64 {
        -(self as i64)
    }

    /// The error in a system call's return value, if it is one: Linux
    /// returns `-4095..=-1` for errors.
    pub const fn from_ret(ret: i64) -> Option<Errno> {
        if ret < 0 && ret >= -4095 {
            Errno::from_raw((-ret) as u16)
        } else {
            None
        }
    }

    /// One of the restart codes a program never sees: the library OS
    /// turns it into a restart of the call or into [`Errno::EINTR`].
    pub const fn is_restart(self) -> bool {
        matches!(
            self,
            Errno::ERESTARTSYS
                | Errno::ERESTARTNOINTR
                | Errno::ERESTARTNOHAND
                | Errno::ERESTART_RESTARTBLOCK
        )
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A system-call style result: a value or an error number.
pub type Result<T> = core::result::Result<T, Errno>;

/// Folds a result into a Linux return value (`-errno` for an error).
pub fn to_ret(r: Result<u64>) -> i64 {
    match r {
        Ok(v) => v as i64,
        Err(e) => e.to_ret(),
    }
}
