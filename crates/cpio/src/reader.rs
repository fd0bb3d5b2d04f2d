//! Reading an archive in place: the member iterator and path lookup.

use crate::entry::{Entry, Metadata};
use crate::error::{CpioError, ErrorKind};
use crate::header::{self, align4, HEADER_LEN, TRAILER};

/// A newc archive held in memory.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Wraps archive bytes; nothing is checked until iteration.
    pub fn new(bytes: &'a [u8]) -> Archive<'a> {
        Archive { bytes }
    }

    /// The members in archive order, up to (not including) `TRAILER!!!`.
    /// After the first error the iterator yields nothing more.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            bytes: self.bytes,
            pos: 0,
            done: false,
        }
    }

    /// The first member whose normalised name equals the normalised `path`
    /// (so `/etc/motd`, `./etc/motd` and `etc/motd` all match), or `None`
    /// if there is none before the trailer or the first error.
    pub fn find(&self, path: &str) -> Option<Entry<'a>> {
        let want = header::normalize_path(path);
        self.entries()
            .map_while(Result::ok)
            .find(|e| e.path() == want)
    }
}

/// Iterator over the members of an [`Archive`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    bytes: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Entries<'a> {
    fn err(&mut self, offset: usize, kind: ErrorKind) -> Option<Result<Entry<'a>, CpioError>> {
        self.done = true;
        Some(Err(CpioError { offset, kind }))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let base = self.pos;
        let Some(hdr) = base
            .checked_add(HEADER_LEN)
            .and_then(|end| self.bytes.get(base..end))
        else {
            return self.err(base, ErrorKind::Truncated);
        };
        let f = match header::decode_fields(hdr, base) {
            Ok(f) => f,
            Err(e) => return self.err(e.offset, e.kind),
        };

        let name_start = base + HEADER_LEN;
        let namesize = f[header::F_NAMESIZE] as usize;
        let Some(name_end) = name_start.checked_add(namesize) else {
            return self.err(base, ErrorKind::NamePastEnd);
        };
        let Some(name_bytes) = self.bytes.get(name_start..name_end) else {
            return self.err(base, ErrorKind::NamePastEnd);
        };
        let Some((&0, name_bytes)) = name_bytes.split_last() else {
            return self.err(base, ErrorKind::NameNotTerminated);
        };
        let Ok(name) = core::str::from_utf8(name_bytes) else {
            return self.err(name_start, ErrorKind::NameNotUtf8);
        };

        let Some(data_start) = align4(name_end) else {
            return self.err(base, ErrorKind::DataPastEnd);
        };
        let filesize = f[header::F_FILESIZE] as usize;
        let data = data_start
            .checked_add(filesize)
            .and_then(|end| self.bytes.get(data_start..end));
        let Some(data) = data else {
            return self.err(base, ErrorKind::DataPastEnd);
        };

        if name == TRAILER {
            self.done = true;
            return None;
        }
        // The next header starts at the next multiple of 4; if that lies past
        // the end, the next call reports the archive as truncated.
        self.pos = align4(data_start + filesize).unwrap_or(usize::MAX);

        Some(Ok(Entry {
            name,
            meta: Metadata {
                ino: f[header::F_INO],
                mode: f[header::F_MODE],
                uid: f[header::F_UID],
                gid: f[header::F_GID],
                nlink: f[header::F_NLINK],
                mtime: f[header::F_MTIME],
                dev_major: f[header::F_DEVMAJOR],
                dev_minor: f[header::F_DEVMINOR],
                rdev_major: f[header::F_RDEVMAJOR],
                rdev_minor: f[header::F_RDEVMINOR],
                check: f[header::F_CHECK],
            },
            data,
            offset: base,
        }))
    }
}

impl core::iter::FusedIterator for Entries<'_> {}
