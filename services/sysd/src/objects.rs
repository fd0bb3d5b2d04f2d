//! Open file descriptions and pipes. A process names an open file by a
//! handle (an index into its own handle table); handles of several
//! processes (after fork) and several handles of one (after dup at the
//! server) may name the same description, which counts its references.
//! When the last reference goes, it is released; a pipe end's release
//! wakes the other end. A pipe's bytes and their rules are `pipebuf`'s.

use alloc::vec::Vec;

use pipebuf::PipeBuf;
use vfs::walk::Loc;

/// What an open file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular file of an in-memory file system.
    File(Loc),
    Dir(Loc),
    /// A `/proc` file: its text was made at open ([`Obj::text`]).
    Proc(Loc),
    /// `O_PATH`: names a node, nothing more.
    Path(Loc),
    PipeRead(usize),
    PipeWrite(usize),
    Console,
    Null,
    Zero,
    Full,
    Random,
    Kmsg,
    /// A POSIX message queue (`mqueue::Queues` id).
    Mqueue(usize),
}

impl Kind {
    /// The node an open file names, if it is one.
    pub fn loc(self) -> Option<Loc> {
        match self {
            Kind::File(l) | Kind::Dir(l) | Kind::Proc(l) | Kind::Path(l) => Some(l),
            _ => None,
        }
    }
}

/// Access an open file was opened for.
pub mod access {
    pub const READ: u8 = 1;
    pub const WRITE: u8 = 2;
}

/// An open file description.
#[derive(Debug)]
pub struct Obj {
    pub kind: Kind,
    /// The position (files: byte offset; directories: entry offset).
    pub pos: u64,
    pub refs: u32,
    /// [`access`] bits.
    pub access: u8,
    /// The text of a `/proc` file, made when it was opened.
    pub text: Option<Vec<u8>>,
    /// The node of a FIFO or device this description was opened through
    /// (for `fstat`).
    pub node: Option<Loc>,
    /// The path it was opened by (for `/proc/PID/fd`).
    pub name: Option<Vec<u8>>,
    /// The directory entry a file was opened through (its path is that
    /// directory's now; a rename moves it).
    pub entry: Option<(Loc, Vec<u8>)>,
    /// `O_NONBLOCK` of a message queue's description (`mq_setattr`).
    pub nonblock: bool,
}

/// A pipe's buffer and the pids waiting for it to change.
#[derive(Debug, Default)]
pub struct Pipe {
    pub buf: PipeBuf,
    pub readers: u32,
    pub writers: u32,
    pub waiters: Vec<u64>,
    /// The FIFO it belongs to, if it is a named pipe.
    pub fifo: Option<Loc>,
    /// Opens of the FIFO so far, by readers and by writers: an open that
    /// waits for the other side ends once the other side's count moved.
    pub opens: [u64; 2],
    /// Processes waiting to open the FIFO for reading and for writing
    /// (each lets the other side's opens go ahead).
    pub opening: [Vec<u64>; 2],
}

/// What releasing the last reference of a description leaves to do.
#[derive(Debug, Default)]
pub struct Dropped {
    /// Processes to wake (a pipe end went).
    pub woken: Vec<u64>,
    /// The node the description held (to release at its file system).
    pub node: Option<Loc>,
    /// A FIFO whose pipe went.
    pub fifo_gone: Option<Loc>,
    /// A message queue whose description went.
    pub mqueue: Option<usize>,
}

/// Every open file and pipe.
#[derive(Default)]
pub struct Objects {
    pub objs: Vec<Option<Obj>>,
    pub pipes: Vec<Option<Pipe>>,
    /// Bytes in all pipes.
    buffered: usize,
}

impl Objects {
    /// A new description with one reference, for reading and writing.
    pub fn open(&mut self, kind: Kind) -> usize {
        self.open_as(kind, access::READ | access::WRITE)
    }

    /// A new description with one reference, for `access`.
    pub fn open_as(&mut self, kind: Kind, access: u8) -> usize {
        match kind {
            Kind::PipeRead(p) => self.pipe_mut(p).map(|p| p.readers += 1),
            Kind::PipeWrite(p) => self.pipe_mut(p).map(|p| p.writers += 1),
            _ => None,
        };
        let o = Obj {
            kind,
            pos: 0,
            refs: 1,
            access,
            text: None,
            node: None,
            name: None,
            entry: None,
            nonblock: false,
        };
        match self.objs.iter().position(Option::is_none) {
            Some(i) => {
                self.objs[i] = Some(o);
                i
            }
            None => {
                self.objs.push(Some(o));
                self.objs.len() - 1
            }
        }
    }

    pub fn get(&self, i: usize) -> Option<&Obj> {
        self.objs.get(i).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Obj> {
        self.objs.get_mut(i).and_then(Option::as_mut)
    }

    /// One more reference.
    pub fn add_ref(&mut self, i: usize) {
        if let Some(o) = self.get_mut(i) {
            o.refs += 1;
        }
    }

    /// One reference fewer; what is left to do if that was the last.
    pub fn drop_ref(&mut self, i: usize) -> Dropped {
        let mut out = Dropped::default();
        let Some(o) = self.get_mut(i) else {
            return out;
        };
        o.refs -= 1;
        if o.refs > 0 {
            return out;
        }
        let kind = o.kind;
        out.node = kind.loc();
        self.objs[i] = None;
        let (p, reader) = match kind {
            Kind::PipeRead(p) => (p, true),
            Kind::PipeWrite(p) => (p, false),
            Kind::Mqueue(q) => {
                out.mqueue = Some(q);
                return out;
            }
            _ => return out,
        };
        let Some(pipe) = self.pipe_mut(p) else {
            return out;
        };
        if reader {
            pipe.readers -= 1;
        } else {
            pipe.writers -= 1;
        }
        out.woken = core::mem::take(&mut pipe.waiters);
        // A FIFO's opener still waiting counts as an end (as on Linux),
        // so what was written stays for it.
        if pipe.readers == 0 && pipe.writers == 0 && pipe.opening.iter().all(Vec::is_empty) {
            out.fifo_gone = pipe.fifo;
            self.buffered -= pipe.buf.len();
            self.pipes[p] = None;
        }
        out
    }

    /// Room for more bytes in pipe `p`: up to its capacity, or up to a
    /// page while all pipes together hold more than
    /// [`pipebuf::PIPE_BUDGET`].
    pub fn pipe_room(&self, p: usize) -> usize {
        let Some(pipe) = self.pipes.get(p).and_then(Option::as_ref) else {
            return 0;
        };
        pipe.buf.room(pipebuf::capacity(self.buffered))
    }

    /// Appends `data` to pipe `p` (the caller checked the room).
    pub fn pipe_put(&mut self, p: usize, data: &[u8]) {
        if let Some(pipe) = self.pipes.get_mut(p).and_then(Option::as_mut) {
            pipe.buf.put(data);
            self.buffered += data.len();
        }
    }

    /// Takes up to `n` bytes from pipe `p`, handing them to `to` where
    /// they lie in the buffer (in two parts where it wraps), not copied;
    /// how many.
    pub fn pipe_take_with(&mut self, p: usize, n: usize, to: impl FnOnce(&[u8], &[u8])) -> usize {
        let Some(pipe) = self.pipes.get_mut(p).and_then(Option::as_mut) else {
            return 0;
        };
        let n = pipe.buf.take_with(n, to);
        self.buffered -= n;
        n
    }

    /// A new pipe.
    pub fn new_pipe(&mut self) -> usize {
        match self.pipes.iter().position(Option::is_none) {
            Some(i) => {
                self.pipes[i] = Some(Pipe::default());
                i
            }
            None => {
                self.pipes.push(Some(Pipe::default()));
                self.pipes.len() - 1
            }
        }
    }

    pub fn pipe_mut(&mut self, p: usize) -> Option<&mut Pipe> {
        self.pipes.get_mut(p).and_then(Option::as_mut)
    }
}
