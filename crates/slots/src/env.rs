//! [`EnvId`]: how the scheduler names an environment. The kernel maps its
//! own environment (or thread) ids to these.

use core::fmt;

/// An environment, as far as the scheduler is concerned: an opaque number,
/// ordered so that ties are broken the same way every time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvId(pub u32);

impl fmt::Debug for EnvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "env{}", self.0)
    }
}

impl fmt::Display for EnvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
