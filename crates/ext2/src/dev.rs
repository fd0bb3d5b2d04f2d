//! The block device the file system lives on, and an in-memory one.

use alloc::vec;
use alloc::vec::Vec;

use crate::error::DevError;

/// A device of fixed-size blocks. The block size is the length of the
/// buffer: block `n` of size `buf.len()` starts at byte `n * buf.len()`.
/// (The file system reads its superblock as 1024-byte block 1, then uses
/// its own block size.)
pub trait BlockDevice {
    /// Fills `buf` with block `n`.
    fn read_block(&mut self, n: u64, buf: &mut [u8]) -> Result<(), DevError>;
    /// Writes `buf` as block `n`.
    fn write_block(&mut self, n: u64, buf: &[u8]) -> Result<(), DevError>;
    /// A barrier: every write issued before is durable when this returns.
    fn flush(&mut self) -> Result<(), DevError> {
        Ok(())
    }
}

/// A device in memory (tests, and images built in memory).
#[derive(Clone, Debug, Default)]
pub struct MemDevice {
    data: Vec<u8>,
}

impl MemDevice {
    /// A zeroed device of `len` bytes.
    pub fn new(len: usize) -> MemDevice {
        MemDevice { data: vec![0; len] }
    }

    /// A device holding `data` (an image).
    pub fn from_vec(data: Vec<u8>) -> MemDevice {
        MemDevice { data }
    }

    /// The image.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// The image, mutable (tests that corrupt it).
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The image, consuming the device.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }

    fn range(&self, n: u64, len: usize) -> Result<core::ops::Range<usize>, DevError> {
        let start = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(len))
            .ok_or(DevError::OutOfRange)?;
        let end = start.checked_add(len).ok_or(DevError::OutOfRange)?;
        if end > self.data.len() {
            return Err(DevError::OutOfRange);
        }
        Ok(start..end)
    }
}

impl BlockDevice for MemDevice {
    fn read_block(&mut self, n: u64, buf: &mut [u8]) -> Result<(), DevError> {
        let r = self.range(n, buf.len())?;
        buf.copy_from_slice(self.data.get(r).ok_or(DevError::OutOfRange)?);
        Ok(())
    }

    fn write_block(&mut self, n: u64, buf: &[u8]) -> Result<(), DevError> {
        let r = self.range(n, buf.len())?;
        self.data
            .get_mut(r)
            .ok_or(DevError::OutOfRange)?
            .copy_from_slice(buf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_any_size() {
        let mut d = MemDevice::new(4096);
        d.write_block(1, &[7u8; 1024]).unwrap();
        let mut b = [0u8; 2048];
        d.read_block(0, &mut b).unwrap();
        assert!(b[..1024].iter().all(|&x| x == 0));
        assert!(b[1024..].iter().all(|&x| x == 7));
        assert_eq!(d.read_block(2, &mut b), Err(DevError::OutOfRange));
        assert_eq!(d.read_block(u64::MAX, &mut b), Err(DevError::OutOfRange));
    }
}
