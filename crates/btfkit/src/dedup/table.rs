//! The candidate table: libbpf's `dedup_table`, a map from a type's signature hash to
//! every canonical type with that hash, iterated in exactly libbpf's order.
//!
//! libbpf keeps the candidates of one hash in a bucket chain of its `hashmap`: an append
//! puts the new entry at the head of the chain, and every time the map grows (before an
//! insert, when it is empty or more than 75% full) each chain is rebuilt by prepending
//! its entries in order, which reverses the entries of one hash relative to each other.
//! The first candidate that matches wins, so this order decides which of several
//! equivalent canonical types a duplicate maps to. The rule that follows: of two entries
//! of one hash, the newer comes first iff an even number of grows happened since it was
//! appended. Chains of other hashes that share a bucket in libbpf are skipped by its key
//! comparison, so they do not matter.
//!
//! Here each hash has its own chain: a linked list in one arena (no allocation per hash)
//! plus the grow parity it was last ordered for, reversed lazily when next touched after
//! an odd number of grows. The base's entries (all appended before any other) can be
//! frozen once and shared by many runs ([`FrozenTable`]): by the rule above a later entry
//! comes either before all of them or after all of them.
//!
//! A chain can be refined by a second key (`sub`): a lookup with `(key, sub)` sees the
//! entries of libbpf's chain for `key` that were added with that `sub`, in libbpf's
//! relative order. The caller uses this to leave out candidates that provably cannot
//! match.

use hashbrown::HashTable;

/// End of a chain.
const NIL: u32 = u32::MAX;

/// Spreads a key and its refinement over all bits (folded multiply), for the index of
/// chains.
#[inline]
fn mix(key: u64, sub: u64) -> u64 {
    let p = ((key ^ sub.rotate_left(29)) as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (p as u64) ^ ((p >> 64) as u64)
}

/// One candidate: a type id and where it stands in libbpf's append history.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    /// The type.
    pub(super) id: u32,
    /// Position in the append sequence (libbpf's `map->sz` before the append).
    seq: u32,
    /// Grows before the append (including one it caused).
    epoch: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    sub: u64,
    /// First node of the chain (in a [`FrozenTable`]: first index into its entries).
    head: u32,
    /// In a [`FrozenTable`]: the number of entries.
    len: u32,
    /// The grow parity the chain is ordered for.
    parity: bool,
}

#[derive(Clone, Copy)]
struct Node {
    entry: Entry,
    next: u32,
}

/// libbpf's hashmap size bookkeeping, which decides when it grows.
#[derive(Clone, Copy, Default)]
struct Growth {
    size: usize,
    cap: usize,
    cap_bits: u32,
    epoch: u32,
}

impl Growth {
    /// `hashmap_needs_to_grow` / `hashmap_grow` before an append, then the append.
    /// Returns the new entry's `(seq, epoch)`.
    fn append(&mut self) -> (u32, u32) {
        if self.cap == 0 || (self.size + 1) * 4 / 3 > self.cap {
            self.cap_bits = (self.cap_bits + 1).max(2);
            self.cap = 1usize << self.cap_bits.min(usize::BITS - 1);
            self.epoch += 1;
        }
        let seq = self.size as u32;
        self.size += 1;
        (seq, self.epoch)
    }
}

/// The chains of a finished table, immutable: each chain's entries in the order they had
/// when it was frozen.
pub(super) struct FrozenTable {
    /// Index of `chains` by (key, sub).
    slots: HashTable<u32>,
    chains: Vec<Slot>,
    entries: Vec<Entry>,
    growth: Growth,
    /// One bit per (key, sub) hash bucket that has a chain: most lookups of a run are
    /// for keys the base does not have, and this small filter answers them without
    /// probing the index.
    filter: Vec<u64>,
}

/// Bits of the frozen table's filter (a power of two).
const FILTER_BITS: usize = 1 << 21;

#[inline]
fn filter_bit(h: u64) -> usize {
    (h >> 20) as usize & (FILTER_BITS - 1)
}

/// Where a walk over one chain stands; advance with [`CandTable::next`].
#[derive(Clone, Copy)]
pub(super) struct Cursor {
    own: u32,
    phase: u8,
    pos: u32,
    start: u32,
    end: u32,
    rev: bool,
}

/// The candidate table of one run, continuing a frozen base table when given.
pub(super) struct CandTable<'b> {
    base: Option<&'b FrozenTable>,
    /// Index of `chains` by (key, sub): four bytes a bucket, the chains themselves
    /// packed in a vector.
    slots: HashTable<u32>,
    chains: Vec<Slot>,
    nodes: Vec<Node>,
    growth: Growth,
}

impl<'b> CandTable<'b> {
    /// An empty table (continuing `base`'s entries and growth), with room for about `n`
    /// more entries.
    pub(super) fn new(base: Option<&'b FrozenTable>, n: usize) -> CandTable<'b> {
        CandTable {
            base,
            slots: HashTable::with_capacity(n),
            chains: Vec::with_capacity(n),
            nodes: Vec::with_capacity(n),
            growth: base.map_or_else(Growth::default, |b| b.growth),
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

    /// `hashmap__append(dedup_table, key, id)`, on the chain `(key, sub)`. Returns the
    /// entry.
    pub(super) fn add(&mut self, key: u64, sub: u64, id: u32) -> Entry {
        let (seq, epoch) = self.growth.append();
        let entry = Entry { id, seq, epoch };
        self.link(key, sub, entry);
        entry
    }

    /// Puts `entry` (just added with [`Self::add`]) on one more refined chain, as the
    /// same libbpf entry.
    pub(super) fn add_also(&mut self, key: u64, sub: u64, entry: Entry) {
        self.link(key, sub, entry);
    }

    fn link(&mut self, key: u64, sub: u64, entry: Entry) {
        let node = self.nodes.len() as u32;
        let parity = self.growth.epoch & 1 != 0;
        let chains = &self.chains;
        let e = self.slots.entry(
            mix(key, sub),
            |&c| {
                let c = &chains[c as usize];
                c.key == key && c.sub == sub
            },
            |&c| {
                let c = &chains[c as usize];
                mix(c.key, c.sub)
            },
        );
        match e {
            hashbrown::hash_table::Entry::Occupied(o) => {
                let slot = &mut self.chains[*o.get() as usize];
                if slot.parity != parity {
                    slot.head = Self::reverse(&mut self.nodes, slot.head);
                    slot.parity = parity;
                }
                self.nodes.push(Node {
                    entry,
                    next: slot.head,
                });
                slot.head = node;
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(self.chains.len() as u32);
                self.chains.push(Slot {
                    key,
                    sub,
                    head: node,
                    len: 0,
                    parity,
                });
                self.nodes.push(Node { entry, next: NIL });
            }
        }
    }

    /// A walk over the chain `(key, sub)` in libbpf's order.
    #[inline]
    pub(super) fn cursor(&mut self, key: u64, sub: u64) -> Cursor {
        let parity = self.growth.epoch & 1 != 0;
        let h = mix(key, sub);
        let chains = &mut self.chains;
        let own = match self.slots.find(h, |&c| {
            let c = &chains[c as usize];
            c.key == key && c.sub == sub
        }) {
            Some(&c) => {
                let slot = &mut chains[c as usize];
                if slot.parity != parity {
                    slot.head = Self::reverse(&mut self.nodes, slot.head);
                    slot.parity = parity;
                }
                slot.head
            }
            None => NIL,
        };
        let (start, end, rev) = match self.base {
            Some(b) if b.filter[filter_bit(h) / 64] & (1 << (filter_bit(h) % 64)) == 0 => {
                (0, 0, false)
            }
            Some(b) => match b.slots.find(h, |&c| {
                let c = &b.chains[c as usize];
                c.key == key && c.sub == sub
            }) {
                Some(&c) => {
                    let s = &b.chains[c as usize];
                    (
                        s.head,
                        s.head + s.len,
                        (self.growth.epoch - b.growth.epoch) % 2 != 0,
                    )
                }
                None => (0, 0, false),
            },
            None => (0, 0, false),
        };
        Cursor {
            own,
            phase: 0,
            pos: if rev { end } else { start },
            start,
            end,
            rev,
        }
    }

    /// The next candidate of a walk.
    #[inline]
    pub(super) fn next(&self, c: &mut Cursor) -> Option<Entry> {
        loop {
            match c.phase {
                // own entries that come before every base entry
                0 => {
                    if c.own != NIL {
                        let n = self.nodes[c.own as usize];
                        if (self.growth.epoch - n.entry.epoch) % 2 == 0 {
                            c.own = n.next;
                            return Some(n.entry);
                        }
                    }
                    c.phase = 1;
                }
                // the base entries
                1 => {
                    let entries = self.base.map_or(&[][..], |b| &b.entries[..]);
                    if c.rev {
                        if c.pos > c.start {
                            c.pos -= 1;
                            return entries.get(c.pos as usize).copied();
                        }
                    } else if c.pos < c.end {
                        c.pos += 1;
                        return entries.get(c.pos as usize - 1).copied();
                    }
                    c.phase = 2;
                }
                // own entries that come after every base entry
                _ => {
                    if c.own == NIL {
                        return None;
                    }
                    let n = self.nodes[c.own as usize];
                    c.own = n.next;
                    return Some(n.entry);
                }
            }
        }
    }

    /// Whether entry `a` comes before entry `b` in libbpf's chain of their (common) key.
    pub(super) fn precedes(&self, a: Entry, b: Entry) -> bool {
        let newer = if a.seq > b.seq { a } else { b };
        let newer_first = (self.growth.epoch - newer.epoch) % 2 == 0;
        newer_first == (newer.seq == a.seq)
    }

    /// The chains as they stand, for sharing (a table without a base).
    pub(super) fn freeze(mut self) -> FrozenTable {
        let parity = self.growth.epoch & 1 != 0;
        let mut entries = Vec::with_capacity(self.nodes.len());
        for slot in self.chains.iter_mut() {
            if slot.parity != parity {
                slot.head = Self::reverse(&mut self.nodes, slot.head);
                slot.parity = parity;
            }
            let start = entries.len() as u32;
            let mut n = slot.head;
            while n != NIL {
                entries.push(self.nodes[n as usize].entry);
                n = self.nodes[n as usize].next;
            }
            slot.head = start;
            slot.len = entries.len() as u32 - start;
        }
        let mut filter = vec![0u64; FILTER_BITS / 64];
        for c in &self.chains {
            let bit = filter_bit(mix(c.key, c.sub));
            filter[bit / 64] |= 1 << (bit % 64);
        }
        FrozenTable {
            filter,
            slots: self.slots,
            chains: self.chains,
            entries,
            growth: self.growth,
        }
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
        fn new() -> Model {
            Model {
                buckets: vec![],
                bits: 0,
                size: 0,
            }
        }
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

    fn ids(t: &mut CandTable<'_>, key: u64, sub: u64) -> Vec<u32> {
        let mut v = vec![];
        let mut c = t.cursor(key, sub);
        while let Some(e) = t.next(&mut c) {
            v.push(e.id);
        }
        v
    }

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn order_matches_libbpf_hashmap() {
        let mut t = CandTable::new(None, 0);
        let mut m = Model::new();
        let mut x = 12345u64;
        for id in 0..3000u32 {
            let key = xorshift(&mut x) % 37;
            t.add(key, 0, id);
            m.add(key, id);
            if id % 97 == 0 {
                for k in 0..37 {
                    assert_eq!(ids(&mut t, k, 0), m.ids(k), "key {k} after {id}");
                }
            }
        }
        for k in 0..40 {
            assert_eq!(ids(&mut t, k, 0), m.ids(k));
        }
    }

    #[test]
    fn frozen_base_and_refined_chains_keep_libbpf_order() {
        let mut x = 777u64;
        let mut base = CandTable::new(None, 0);
        let mut m = Model::new();
        // (key, sub) of every id, to check refined chains against the model
        let mut subs = Vec::new();
        for id in 0..700u32 {
            let key = xorshift(&mut x) % 23;
            let sub = xorshift(&mut x) % 3;
            base.add(key, sub, id);
            m.add(key, id);
            subs.push(sub);
        }
        let frozen = base.freeze();
        let mut t = CandTable::new(Some(&frozen), 0);
        for id in 700..4000u32 {
            let key = xorshift(&mut x) % 23;
            let sub = xorshift(&mut x) % 3;
            t.add(key, sub, id);
            m.add(key, id);
            subs.push(sub);
            if id % 131 == 0 {
                for k in 0..23 {
                    for s in 0..3 {
                        let want: Vec<u32> = m
                            .ids(k)
                            .into_iter()
                            .filter(|&i| subs[i as usize] == s)
                            .collect();
                        assert_eq!(ids(&mut t, k, s), want, "key {k} sub {s} after {id}");
                    }
                }
            }
        }
        // precedes agrees with the chain order, own and frozen entries alike
        for k in 0..23 {
            let order = m.ids(k);
            let mut all: Vec<Entry> = Vec::new();
            for sub in 0..3 {
                let mut c = t.cursor(k, sub);
                while let Some(e) = t.next(&mut c) {
                    all.push(e);
                }
            }
            for a in all.iter().step_by(3) {
                for b in all.iter().step_by(5) {
                    if a.id != b.id {
                        let pos = |e: &Entry| order.iter().position(|&v| v == e.id).unwrap();
                        assert_eq!(t.precedes(*a, *b), pos(a) < pos(b));
                    }
                }
            }
        }
    }
}
