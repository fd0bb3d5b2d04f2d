//! The capability derivation tree: every capability is a node in a pool,
//! linked to its parent, its first child and its two siblings. Nodes have
//! stable indices, so moving a capability between slots only rewrites the
//! node's slot address, never a link.
//!
//! Children of one parent form a doubly linked list (newest first). Roots
//! (nodes without a parent) are not linked to one another.
//!
//! [`Tree::remove`] puts the removed node's children in its place in its
//! parent's child list (or makes them roots), touching each child once.

use alloc::vec::Vec;

use crate::{ObjectId, Rights, SlotAddr};

/// Index of a node in the pool.
pub(crate) type NodeIdx = u32;

/// What a capability is, apart from its place in the tree.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct CapData {
    pub object: ObjectId,
    pub rights: Rights,
    pub badge: u64,
    pub slot: SlotAddr,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct CapNode {
    pub cap: CapData,
    pub parent: Option<NodeIdx>,
    pub first_child: Option<NodeIdx>,
    pub prev: Option<NodeIdx>,
    pub next: Option<NodeIdx>,
}

/// A place in the pool.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Place {
    Live(CapNode),
    /// Free; the next free place ([`NONE`] ends the list).
    Free(NodeIdx),
}

/// The end of the free list.
const NONE: NodeIdx = NodeIdx::MAX;

#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Tree {
    nodes: Vec<Place>,
    /// The first free place, or [`NONE`].
    free: NodeIdx,
    live: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Place {
    fn live(&self) -> Option<&CapNode> {
        match self {
            Place::Live(n) => Some(n),
            Place::Free(_) => None,
        }
    }
}

impl Tree {
    pub(crate) const fn new() -> Self {
        Tree {
            nodes: Vec::new(),
            free: NONE,
            live: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Makes sure [`add`](Self::add) needs no allocation: false if no
    /// index or no memory is left.
    pub(crate) fn reserve(&mut self) -> bool {
        if self.free != NONE {
            return true;
        }
        self.nodes.len() < (NONE - 1) as usize && self.nodes.try_reserve(1).is_ok()
    }

    /// The node `n`. Indices reach here only from slots and tree links,
    /// which always name live nodes (see `consistency`).
    pub(crate) fn get(&self, n: NodeIdx) -> &CapNode {
        self.nodes[n as usize]
            .live()
            .expect("tree link names a free node")
    }

    fn get_mut(&mut self, n: NodeIdx) -> &mut CapNode {
        match &mut self.nodes[n as usize] {
            Place::Live(node) => node,
            Place::Free(_) => panic!("tree link names a free node"),
        }
    }

    /// The node `n` if it is live (for the consistency checker).
    pub(crate) fn try_get(&self, n: NodeIdx) -> Option<&CapNode> {
        self.nodes.get(n as usize)?.live()
    }

    /// Every live node with its index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeIdx, &CapNode)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.live().map(|n| (i as NodeIdx, n)))
    }

    pub(crate) fn set_slot(&mut self, n: NodeIdx, slot: SlotAddr) {
        self.get_mut(n).cap.slot = slot;
    }

    /// Adds a node, as the first child of `parent` or as a root. The
    /// caller made room with [`reserve`](Self::reserve).
    pub(crate) fn add(&mut self, cap: CapData, parent: Option<NodeIdx>) -> NodeIdx {
        let next = parent.and_then(|p| self.get(p).first_child);
        let node = CapNode {
            cap,
            parent,
            first_child: None,
            prev: None,
            next,
        };
        let n = if self.free != NONE {
            let n = self.free;
            if let Place::Free(next) = self.nodes[n as usize] {
                self.free = next;
            }
            self.nodes[n as usize] = Place::Live(node);
            n
        } else {
            // Below NONE, and with capacity, by the caller's reserve().
            let n = self.nodes.len() as NodeIdx;
            self.nodes.push(Place::Live(node));
            n
        };
        self.live += 1;
        if let Some(old_first) = next {
            self.get_mut(old_first).prev = Some(n);
        }
        if let Some(p) = parent {
            self.get_mut(p).first_child = Some(n);
        }
        n
    }

    /// Removes node `n`. Its children take its place: they become children
    /// of `n`'s parent, in `n`'s position among its siblings, or roots if
    /// `n` was a root. Costs O(number of children of `n`).
    pub(crate) fn remove(&mut self, n: NodeIdx) -> CapData {
        let node = match core::mem::replace(&mut self.nodes[n as usize], Place::Free(self.free)) {
            Place::Live(node) => node,
            Place::Free(_) => panic!("removing a free node"),
        };
        self.free = n;
        self.live -= 1;

        // Re-parent the children, finding the last one.
        let mut last = None;
        let mut c = node.first_child;
        while let Some(ci) = c {
            let child = self.get_mut(ci);
            child.parent = node.parent;
            let next = child.next;
            if node.parent.is_none() {
                // Roots are not linked to one another.
                child.prev = None;
                child.next = None;
            }
            last = Some(ci);
            c = next;
        }

        if node.parent.is_none() {
            return node.cap;
        }
        // Splice [first_child ..= last] (or nothing) between prev and next.
        let (head, tail) = match (node.first_child, last) {
            (Some(f), Some(l)) => (Some(f), Some(l)),
            _ => (node.next, node.prev),
        };
        if let (Some(f), Some(l)) = (node.first_child, last) {
            self.get_mut(f).prev = node.prev;
            self.get_mut(l).next = node.next;
        }
        match node.prev {
            Some(p) => self.get_mut(p).next = head,
            None => {
                if let Some(par) = node.parent {
                    self.get_mut(par).first_child = head;
                }
            }
        }
        if let Some(nx) = node.next {
            self.get_mut(nx).prev = tail;
        }
        node.cap
    }

    /// The children of `n`, newest first.
    pub(crate) fn children(&self, n: NodeIdx) -> ChildIter<'_> {
        ChildIter {
            tree: self,
            next: self.get(n).first_child,
        }
    }
}

/// Iterator over a node's children.
pub(crate) struct ChildIter<'a> {
    tree: &'a Tree,
    next: Option<NodeIdx>,
}

impl Iterator for ChildIter<'_> {
    type Item = NodeIdx;
    fn next(&mut self) -> Option<NodeIdx> {
        let n = self.next?;
        self.next = self.tree.get(n).next;
        Some(n)
    }
}
