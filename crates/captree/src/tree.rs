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

#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct Tree {
    nodes: Vec<Option<CapNode>>,
    free: Vec<NodeIdx>,
    live: usize,
}

impl Tree {
    pub(crate) const fn new() -> Self {
        Tree {
            nodes: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// True if [`add`](Self::add) has an index to give.
    pub(crate) fn has_room(&self) -> bool {
        !self.free.is_empty() || self.nodes.len() < u32::MAX as usize
    }

    /// The node `n`. Indices reach here only from slots and tree links,
    /// which always name live nodes (see `consistency`).
    pub(crate) fn get(&self, n: NodeIdx) -> &CapNode {
        self.nodes[n as usize]
            .as_ref()
            .expect("tree link names a free node")
    }

    fn get_mut(&mut self, n: NodeIdx) -> &mut CapNode {
        self.nodes[n as usize]
            .as_mut()
            .expect("tree link names a free node")
    }

    /// The node `n` if it is live (for the consistency checker).
    pub(crate) fn try_get(&self, n: NodeIdx) -> Option<&CapNode> {
        self.nodes.get(n as usize)?.as_ref()
    }

    /// Every live node with its index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeIdx, &CapNode)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i as NodeIdx, n)))
    }

    pub(crate) fn set_slot(&mut self, n: NodeIdx, slot: SlotAddr) {
        self.get_mut(n).cap.slot = slot;
    }

    /// Adds a node, as the first child of `parent` or as a root. The
    /// caller checked [`has_room`](Self::has_room).
    pub(crate) fn add(&mut self, cap: CapData, parent: Option<NodeIdx>) -> NodeIdx {
        let next = parent.and_then(|p| self.get(p).first_child);
        let node = CapNode {
            cap,
            parent,
            first_child: None,
            prev: None,
            next,
        };
        let n = match self.free.pop() {
            Some(n) => {
                self.nodes[n as usize] = Some(node);
                n
            }
            None => {
                // Below u32::MAX by the caller's has_room() check.
                let n = self.nodes.len() as NodeIdx;
                self.nodes.push(Some(node));
                n
            }
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
        let node = self.nodes[n as usize].take().expect("removing a free node");
        self.free.push(n);
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
