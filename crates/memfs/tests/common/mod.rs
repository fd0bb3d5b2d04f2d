//! A store of plain memory that counts its pages, and helpers.

#![allow(dead_code)]

use memfs::{Errno, Limits, MemFs, Store, Time, PAGE};

/// Pages are `Vec<u8>`s; the image is a byte vector.
#[derive(Default)]
pub struct TestStore {
    pub image: Vec<u8>,
    pub live: u64,
    pub allocs: u64,
    /// `alloc` fails with `ENOMEM` once `live` reaches this.
    pub cap: Option<u64>,
}

impl Store for TestStore {
    type Page = Vec<u8>;
    fn alloc(&mut self) -> Result<Vec<u8>, Errno> {
        if self.cap.is_some_and(|c| self.live >= c) {
            return Err(Errno::ENOMEM);
        }
        self.live += 1;
        self.allocs += 1;
        Ok(vec![0; PAGE])
    }
    fn free(&mut self, page: Vec<u8>) {
        assert_eq!(page.len(), PAGE);
        self.live -= 1;
    }
    fn read(&self, page: &Vec<u8>, off: usize, out: &mut [u8]) {
        out.copy_from_slice(&page[off..off + out.len()]);
    }
    fn write(&mut self, page: &mut Vec<u8>, off: usize, data: &[u8]) {
        page[off..off + data.len()].copy_from_slice(data);
    }
    fn read_image(&self, at: u64, out: &mut [u8]) {
        let at = at as usize;
        out.copy_from_slice(&self.image[at..at + out.len()]);
    }
}

pub fn t(sec: i64) -> Time {
    Time { sec, nsec: 0 }
}

pub const BIG: Limits = Limits {
    bytes: 1 << 30,
    nodes: 1 << 20,
};

pub fn fs() -> MemFs<TestStore> {
    MemFs::new(TestStore::default(), BIG, 0o1777, 0, 0, t(1))
}

pub fn fs_with(limits: Limits, image: Vec<u8>) -> MemFs<TestStore> {
    let store = TestStore {
        image,
        ..TestStore::default()
    };
    MemFs::new(store, limits, 0o755, 0, 0, t(1))
}
