//! The object side of the arena: an object's value with the count of
//! capabilities naming it.

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct ObjectEntry<K> {
    pub value: K,
    /// Capabilities naming this object; never 0 while it is in the arena.
    pub caps: usize,
}
