//! The candidate table: libbpf's `dedup_table`, a map from a type's signature hash to
//! every canonical type with that hash, iterated in exactly libbpf's order.
//!
//! libbpf keeps the candidates of one hash in a bucket chain of its `hashmap`: an append
//! puts the new entry at the head of the chain, and every time the map grows (before an
//! insert, when it is empty or more than 75% full) each chain is rebuilt by prepending
//! its entries in order, which reverses the entries of one hash relative to each other.
//! The first candidate that matches wins, so this order decides which of several
//! equivalent canonical types a duplicate maps to. Here each hash has its own chain (a
//! linked list in one arena, no allocation per hash) plus the grow parity it was last
//! ordered for; a chain is reversed lazily when it is next touched after an odd number of
//! grows. Chains of other hashes that share a bucket in libbpf are skipped by libbpf's
//! key comparison, so they do not matter.

use hashbrown::HashTable;

/// End of a chain.
pub(super) const NIL: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    /// A refinement of the key (see [`CandTable::add`]).
    sub: u64,
    head: u32,
    /// The grow parity the chain is ordered for.
    parity: bool,
}

#[derive(Clone, Copy)]
struct Node {
    id: u32,
    next: u32,
    /// Grows so far when the entry was added.
    epoch: u32,
}

/// Spreads a key and its refinement over all bits (folded multiply), for the index of
/// chains.
#[inline]
fn mix(key: u64, sub: u64) -> u64 {
    let p = ((key ^ sub.rotate_left(29)) as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The candidate table; see the module documentation.
pub(super) struct CandTable {
    slots: HashTable<Slot>,
    nodes: Vec<Node>,
    /// libbpf's `map->sz`, `map->cap`, `map->cap_bits`.
    size: usize,
    cap: usize,
    cap_bits: u32,
    /// Number of grows so far.
    epoch: u32,
}

impl CandTable {
    /// An empty table with room for about `n` entries (capacity does not change the
    /// emulated libbpf growth).
    pub(super) fn with_capacity(n: usize) -> CandTable {
        CandTable {
            slots: HashTable::with_capacity(n),
            nodes: Vec::with_capacity(n),
            size: 0,
            cap: 0,
            cap_bits: 0,
            epoch: 0,
        }
    }

    /// Reverses the chain starting at `head`; returns the new head.
    fn reverse(nodes: &mut [Node], mut head: u32) -> u32 {
        let mut prev = NIL;
        while head != NIL {
            let next = nodes[head as usize].next;
            nodes[head as usize].next = prev;
            prev = head;
            head = next;
        }
        prev
    }

    /// `hashmap__append(dedup_table, key, id)`. `sub` refines the key: a lookup with
    /// `(key, sub)` sees exactly the entries of libbpf's chain for `key` that were added
    /// with the same `sub`, in libbpf's relative order (reversing a chain reverses every
    /// part of it). The caller uses it to leave out candidates that provably cannot
    /// match. Returns the new node.
    pub(super) fn add(&mut self, key: u64, sub: u64, id: u32) -> u32 {
        // hashmap_needs_to_grow / hashmap_grow, before the insert.
        if self.cap == 0 || (self.size + 1) * 4 / 3 > self.cap {
            self.cap_bits = (self.cap_bits + 1).max(2);
            self.cap = 1usize << self.cap_bits.min(usize::BITS - 1);
            self.epoch += 1;
        }
        self.size += 1;
        self.add_also(key, sub, id)
    }

    /// Puts the entry just added with [`Self::add`] on one more refined chain too
    /// (`(key, sub)`), as the same libbpf entry.
    pub(super) fn add_also(&mut self, key: u64, sub: u64, id: u32) -> u32 {
        let node = self.nodes.len() as u32;
        let h = mix(key, sub);
        let (parity, epoch) = (self.epoch & 1 != 0, self.epoch);
        match self.slots.find_mut(h, |s| s.key == key && s.sub == sub) {
            Some(slot) => {
                if slot.parity != parity {
                    slot.head = Self::reverse(&mut self.nodes, slot.head);
                    slot.parity = parity;
                }
                self.nodes.push(Node {
                    id,
                    next: slot.head,
                    epoch,
                });
                slot.head = node;
            }
            None => {
                self.nodes.push(Node {
                    id,
                    next: NIL,
                    epoch,
                });
                self.slots.insert_unique(
                    h,
                    Slot {
                        key,
                        sub,
                        head: node,
                        parity,
                    },
                    |s| mix(s.key, s.sub),
                );
            }
        }
        node
    }

    /// Whether the entry at node `a` comes before the entry at node `b` in libbpf's
    /// chain of their (common) key. Right after an append the new entry is first, and
    /// every grow since reverses the two.
    pub(super) fn precedes(&self, a: u32, b: u32) -> bool {
        let newer = a.max(b);
        let newer_first = (self.epoch - self.nodes[newer as usize].epoch) % 2 == 0;
        newer_first == (newer == a)
    }

    /// The first candidate node for `(key, sub)` in libbpf's order (`NIL` when there is
    /// none); walk on with [`Self::next`].
    #[inline]
    pub(super) fn first(&mut self, key: u64, sub: u64) -> u32 {
        let parity = self.epoch & 1 != 0;
        match self
            .slots
            .find_mut(mix(key, sub), |s| s.key == key && s.sub == sub)
        {
            Some(slot) => {
                if slot.parity != parity {
                    slot.head = Self::reverse(&mut self.nodes, slot.head);
                    slot.parity = parity;
                }
                slot.head
            }
            None => NIL,
        }
    }

    /// The type id at `node` and the node after it.
    #[inline]
    pub(super) fn next(&self, node: u32) -> (u32, u32) {
        let n = self.nodes[node as usize];
        (n.id, n.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libbpf's hashmap with an identity hash, chains as vectors (head first).
    struct Model {
        buckets: Vec<Vec<(u64, u32)>>,
        bits: u32,
        size: usize,
    }

    impl Model {
        fn bucket(key: u64, bits: u32) -> usize {
            if bits == 0 {
                0
            } else {
                (key.wrapping_mul(11400714819323198485) >> (64 - bits)) as usize
            }
        }
        fn add(&mut self, key: u64, id: u32) {
            if self.buckets.is_empty() || (self.size + 1) * 4 / 3 > self.buckets.len() {
                let bits = (self.bits + 1).max(2);
                let mut nb = vec![Vec::new(); 1 << bits];
                for b in &self.buckets {
                    for &e in b {
                        nb[Self::bucket(e.0, bits)].insert(0, e);
                    }
                }
                self.buckets = nb;
                self.bits = bits;
            }
            let b = Self::bucket(key, self.bits);
            self.buckets[b].insert(0, (key, id));
            self.size += 1;
        }
        fn ids(&self, key: u64) -> Vec<u32> {
            if self.buckets.is_empty() {
                return vec![];
            }
            self.buckets[Self::bucket(key, self.bits)]
                .iter()
                .filter(|e| e.0 == key)
                .map(|e| e.1)
                .collect()
        }
    }

    fn ids(t: &mut CandTable, key: u64) -> Vec<u32> {
        let mut v = vec![];
        let mut n = t.first(key, 0);
        while n != NIL {
            let (id, next) = t.next(n);
            v.push(id);
            n = next;
        }
        v
    }

    #[test]
    fn order_matches_libbpf_hashmap() {
        let mut t = CandTable::with_capacity(0);
        let mut m = Model {
            buckets: vec![],
            bits: 0,
            size: 0,
        };
        let mut x = 12345u64;
        for id in 0..3000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = x % 37;
            t.add(key, 0, id);
            m.add(key, id);
            if id % 97 == 0 {
                for k in 0..37 {
                    assert_eq!(ids(&mut t, k), m.ids(k), "key {k} after {id}");
                }
            }
        }
        for k in 0..40 {
            assert_eq!(ids(&mut t, k), m.ids(k));
        }
    }

    #[test]
    fn precedes_matches_chain_order() {
        let mut t = CandTable::with_capacity(0);
        let mut nodes = Vec::new();
        for id in 0..500u32 {
            // key 7 on chain (7, 0); every third also on (7, 1)
            let n = t.add(7, 0, id);
            nodes.push(n);
            if id % 3 == 0 {
                t.add_also(7, 1, id);
            }
            t.add(id as u64 + 100, 0, id);
            if id % 50 == 49 {
                let order = ids(&mut t, 7);
                let pos = |x: u32| order.iter().position(|&v| v == x).unwrap();
                for a in (0..=id).step_by(7) {
                    for b in (0..=id).step_by(11) {
                        if a != b {
                            assert_eq!(
                                t.precedes(nodes[a as usize], nodes[b as usize]),
                                pos(a) < pos(b),
                                "{a} vs {b} after {id}"
                            );
                        }
                    }
                }
            }
        }
    }
}
