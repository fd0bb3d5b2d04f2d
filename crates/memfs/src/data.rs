//! File contents: pages of a [`Store`], or of the image until written,
//! with the charge against the instance's byte limit.

use alloc::collections::BTreeMap;

use crate::{Errno, Store, PAGE};

/// One page of a file as it reads (absent pages are holes: zeros).
pub(crate) enum Slot<P> {
    /// The image's bytes at `at`; the page reads zeros past `len`.
    /// Invariant: a slot with `len < PAGE` is the file's last page and
    /// the size ends at or before `len` into it (so a mapper that zeroes
    /// past the end of the file sees the right bytes).
    Image { at: u64, len: usize },
    /// A page of the store (zeros past the size, always).
    Store(P),
}

/// The bytes of the image a file started as: its pages not yet in
/// [`Data::pages`] read from here (one record for the whole file, so a
/// large image costs no memory per page).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extent {
    pub at: u64,
    /// Bytes of the image that are still the file's (from its start).
    pub len: u64,
}

/// The store and what the instance has taken from it.
pub(crate) struct Pages<S> {
    pub store: S,
    /// Store pages held by files.
    pub used: u64,
    /// Store pages allowed (`limits.bytes / PAGE`).
    pub max: u64,
}

impl<S: Store> Pages<S> {
    /// A zeroed page charged to the limit.
    pub fn alloc(&mut self) -> Result<S::Page, Errno> {
        if self.used >= self.max {
            return Err(Errno::ENOSPC);
        }
        let p = self.store.alloc()?;
        self.used += 1;
        Ok(p)
    }

    pub fn free(&mut self, p: S::Page) {
        self.used -= 1;
        self.store.free(p);
    }
}

/// The contents of a regular file.
pub(crate) struct Data<P> {
    pub size: u64,
    /// Pages written (store pages).
    pub pages: BTreeMap<u64, Slot<P>>,
    /// Where the pages not in `pages` come from, below its length.
    pub image: Option<Extent>,
}

fn page_of(off: u64) -> u64 {
    off / PAGE as u64
}

fn in_page(off: u64) -> usize {
    (off % PAGE as u64) as usize
}

impl<P> Data<P> {
    pub fn new() -> Data<P> {
        Data {
            size: 0,
            pages: BTreeMap::new(),
            image: None,
        }
    }

    /// Page `idx` as it reads now.
    pub fn slot(&self, idx: u64) -> Option<Slot<&P>> {
        match self.pages.get(&idx) {
            Some(Slot::Store(p)) => Some(Slot::Store(p)),
            Some(Slot::Image { at, len }) => Some(Slot::Image { at: *at, len: *len }),
            None => {
                let e = self.image?;
                let start = idx.checked_mul(PAGE as u64)?;
                (start < e.len).then(|| Slot::Image {
                    at: e.at + start,
                    len: (e.len - start).min(PAGE as u64) as usize,
                })
            }
        }
    }

    /// Pages that hold bytes (store pages and image pages not yet copied).
    pub fn page_count(&self) -> u64 {
        let image = self.image.map_or(0, |e| e.len.div_ceil(PAGE as u64));
        let copied = self.pages.range(..image).count() as u64;
        self.pages.len() as u64 + image - copied
    }

    /// Bytes `[off, off + out.len())` of the file, clipped at its size.
    pub fn read<S: Store<Page = P>>(&self, store: &S, off: u64, out: &mut [u8]) -> usize {
        if off >= self.size {
            return 0;
        }
        let n = out
            .len()
            .min((self.size - off).min(usize::MAX as u64) as usize);
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let (idx, start) = (page_of(pos), in_page(pos));
            let chunk = (PAGE - start).min(n - done);
            let dst = &mut out[done..done + chunk];
            match self.slot(idx) {
                None => dst.fill(0),
                Some(Slot::Store(p)) => store.read(p, start, dst),
                Some(Slot::Image { at, len }) => {
                    let valid = len.saturating_sub(start).min(chunk);
                    store.read_image(at + start as u64, &mut dst[..valid]);
                    dst[valid..].fill(0);
                }
            }
            done += chunk;
        }
        n
    }

    /// Makes page `idx` a store page (copying the image's bytes, or a
    /// zeroed page for a hole); whether it was newly allocated.
    pub(crate) fn materialize<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        idx: u64,
    ) -> Result<bool, Errno> {
        match self.slot(idx) {
            Some(Slot::Store(_)) => Ok(false),
            Some(Slot::Image { at, len }) => {
                let mut page = pg.alloc()?;
                let mut buf = [0u8; PAGE];
                pg.store.read_image(at, &mut buf[..len]);
                pg.store.write(&mut page, 0, &buf[..len]);
                self.pages.insert(idx, Slot::Store(page));
                Ok(false)
            }
            None => {
                let page = pg.alloc()?;
                self.pages.insert(idx, Slot::Store(page));
                Ok(true)
            }
        }
    }

    /// Before the size grows past `self.size`: an image page the old size
    /// ends in must become a store page (its image bytes past the old end
    /// are not the file's).
    fn before_grow<S: Store<Page = P>>(&mut self, pg: &mut Pages<S>) -> Result<(), Errno> {
        if in_page(self.size) == 0 {
            return Ok(());
        }
        let idx = page_of(self.size);
        if let Some(Slot::Image { len, .. }) = self.slot(idx) {
            if len < PAGE {
                self.materialize(pg, idx)?;
            }
        }
        Ok(())
    }

    /// Writes `data` at `off` (the caller clipped it to the maximum size);
    /// how many bytes went in, or the error if none did.
    pub fn write<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        off: u64,
        data: &[u8],
    ) -> Result<usize, Errno> {
        let end = off + data.len() as u64;
        if end > self.size {
            self.before_grow(pg)?;
        }
        let mut done = 0;
        let mut err = None;
        while done < data.len() {
            let pos = off + done as u64;
            let (idx, start) = (page_of(pos), in_page(pos));
            let chunk = (PAGE - start).min(data.len() - done);
            if let Err(e) = self.materialize(pg, idx) {
                err = Some(e);
                break;
            }
            if let Some(Slot::Store(p)) = self.pages.get_mut(&idx) {
                pg.store.write(p, start, &data[done..done + chunk]);
            }
            done += chunk;
        }
        if done == 0 {
            if let Some(e) = err {
                return Err(e);
            }
        }
        self.size = self.size.max(off + done as u64);
        Ok(done)
    }

    /// Sets the size: frees whole pages past a smaller size and zeroes the
    /// tail of its last page; a larger size is a hole.
    pub fn truncate<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        size: u64,
    ) -> Result<(), Errno> {
        if size > self.size {
            self.before_grow(pg)?;
            self.size = size;
            return Ok(());
        }
        let keep = page_of(size) + u64::from(in_page(size) != 0);
        if let Some(e) = &mut self.image {
            e.len = e.len.min(size);
        }
        let gone = self.pages.split_off(&keep);
        for (_, slot) in gone {
            if let Slot::Store(p) = slot {
                pg.free(p);
            }
        }
        let tail = in_page(size);
        if tail != 0 {
            match self.pages.get_mut(&page_of(size)) {
                Some(Slot::Store(p)) => pg.store.write(p, tail, &[0u8; PAGE][tail..]),
                Some(Slot::Image { len, .. }) => *len = (*len).min(tail),
                None => {}
            }
        }
        self.size = size;
        Ok(())
    }

    /// Store pages for `[off, end)` (zeroed where holes, copied where
    /// image), all or none (`ENOSPC`).
    pub fn allocate<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        off: u64,
        end: u64,
        grow: bool,
    ) -> Result<(), Errno> {
        let (first, last) = (page_of(off), page_of(end - 1));
        let need = (first..=last)
            .filter(|i| !matches!(self.slot(*i), Some(Slot::Store(_))))
            .count() as u64;
        if pg.used + need > pg.max {
            return Err(Errno::ENOSPC);
        }
        if grow && end > self.size {
            self.before_grow(pg)?;
        }
        let mut fresh = alloc::vec::Vec::new();
        for i in first..=last {
            match self.materialize(pg, i) {
                Ok(true) => fresh.push(i),
                Ok(false) => {}
                Err(e) => {
                    for j in fresh {
                        if let Some(Slot::Store(p)) = self.pages.remove(&j) {
                            pg.free(p);
                        }
                    }
                    return Err(e);
                }
            }
        }
        if grow {
            self.size = self.size.max(end);
        }
        Ok(())
    }

    /// Zeroes `[off, end)`: whole store pages in it are freed, others
    /// zeroed in place (a page still the image's is copied first, so it
    /// cannot read the image again). Pages past the size go too.
    pub fn punch<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        off: u64,
        end: u64,
    ) -> Result<(), Errno> {
        if off >= end {
            return Ok(());
        }
        let (first, last) = (page_of(off), page_of(end));
        if first == last {
            return self.zero_part(pg, first, in_page(off), in_page(end));
        }
        if in_page(off) != 0 {
            self.zero_part(pg, first, in_page(off), PAGE)?;
        }
        self.zero_part(pg, last, 0, in_page(end))?;
        // The whole pages between.
        let full = first + u64::from(in_page(off) != 0)..last;
        let image_pages = self.image.map_or(0, |e| e.len.div_ceil(PAGE as u64));
        for idx in full.start..full.end.min(image_pages) {
            self.zero_part(pg, idx, 0, PAGE)?;
        }
        let from = full.start.max(image_pages);
        if from < full.end {
            let gone: alloc::vec::Vec<u64> =
                self.pages.range(from..full.end).map(|(i, _)| *i).collect();
            for i in gone {
                if let Some(Slot::Store(p)) = self.pages.remove(&i) {
                    pg.free(p);
                }
            }
        }
        Ok(())
    }

    /// Zeroes bytes `[start, end)` of page `idx` if it holds any.
    fn zero_part<S: Store<Page = P>>(
        &mut self,
        pg: &mut Pages<S>,
        idx: u64,
        start: usize,
        end: usize,
    ) -> Result<(), Errno> {
        if start >= end || self.slot(idx).is_none() {
            return Ok(());
        }
        self.materialize(pg, idx)?;
        if let Some(Slot::Store(p)) = self.pages.get_mut(&idx) {
            pg.store.write(p, start, &[0u8; PAGE][start..end]);
        }
        Ok(())
    }

    /// Gives every store page back.
    pub fn free_all<S: Store<Page = P>>(&mut self, pg: &mut Pages<S>) {
        self.image = None;
        for (_, slot) in core::mem::take(&mut self.pages) {
            if let Slot::Store(p) = slot {
                pg.free(p);
            }
        }
    }
}
