//! [`FrameError`]: why the frame allocator refused a request.

use core::fmt;

/// Why a [`FrameAllocator`](super::FrameAllocator) request was refused. A
/// refused request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// No free frame (or no free run of the size and alignment asked for).
    OutOfFrames,
    /// `alloc_at` on a frame that is allocated or was never made free.
    NotFree,
    /// `free` of a frame that is already free (double free) or was never
    /// made free (not managed).
    NotAllocated,
    /// The address is not a multiple of the page size.
    Unaligned,
    /// The address lies beyond what the allocator covers, or the request can
    /// never be met (`alloc_contiguous` of zero frames).
    OutOfRange,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OutOfFrames => "out of physical frames",
            Self::NotFree => "frame is not free",
            Self::NotAllocated => "frame is not allocated",
            Self::Unaligned => "physical address is not page-aligned",
            Self::OutOfRange => "physical address or request out of range",
        })
    }
}
