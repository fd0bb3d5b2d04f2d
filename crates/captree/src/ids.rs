//! The public names of things: [`ObjectId`] and [`CSpaceId`] (an index plus
//! a generation, so a stale id is detected rather than aliased) and
//! [`SlotAddr`] (a capability space and a slot index in it).

/// Names an object in the arena. Once its object is released the id stays
/// stale forever: the index may be reused, but with a higher generation,
/// and an index whose generation would wrap is never reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct ObjectId {
    index: u32,
    generation: u32,
}

/// Names a capability space. Stale ids are detected like [`ObjectId`]'s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct CSpaceId {
    index: u32,
    generation: u32,
}

macro_rules! generational_id {
    ($t:ident) => {
        impl $t {
            pub(crate) const fn new(index: u32, generation: u32) -> Self {
                $t { index, generation }
            }

            /// The arena index.
            pub const fn index(self) -> u32 {
                self.index
            }

            /// The generation of the index this id was issued for.
            pub const fn generation(self) -> u32 {
                self.generation
            }

            /// Packs the id into one word (generation high, index low), for
            /// the system-call ABI.
            pub const fn to_raw(self) -> u64 {
                ((self.generation as u64) << 32) | self.index as u64
            }

            /// Unpacks [`to_raw`](Self::to_raw). Any word gives an id; a
            /// made-up one is simply stale.
            pub const fn from_raw(raw: u64) -> Self {
                $t {
                    index: raw as u32,
                    generation: (raw >> 32) as u32,
                }
            }
        }
    };
}

generational_id!(ObjectId);
generational_id!(CSpaceId);

/// The address of a slot: which capability space, which slot in it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SlotAddr {
    /// The capability space.
    pub cspace: CSpaceId,
    /// The slot index, below the space's slot count.
    pub index: u32,
}

impl SlotAddr {
    /// Slot `index` of `cspace`.
    pub const fn new(cspace: CSpaceId, index: u32) -> Self {
        SlotAddr { cspace, index }
    }
}
