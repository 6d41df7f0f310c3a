//! pahole's inference of `__packed__` structs (`class__infer_packed_attributes` and
//! the hole search under it, `dwarves.c`), which decides whether a function that takes a
//! struct by value on the stack has an "uncertain parameter location" and is left out.
//! The inference has side effects pahole depends on: a struct with holes marks the
//! structs it embeds at unnatural offsets as packed, so the order of the queries, which
//! is the order of the functions, matters and is kept.

use super::load::{self, Cu, Kind, Member};

/// Memo of the inference over one unit.
pub(crate) struct Packing {
    /// `packed_attributes_inferred` / `is_packed` per type id.
    inferred: Vec<Option<bool>>,
    /// `type->natural_alignment` per type id (0: not computed).
    natural: Vec<u64>,
}

const MAX_DEPTH: u32 = 256;

impl Packing {
    pub(crate) fn new(cu: &Cu<'_>) -> Packing {
        Packing {
            inferred: vec![None; cu.types.len()],
            natural: vec![0; cu.types.len()],
        }
    }

    /// `ftype__has_uncertain_arg_loc`.
    pub(crate) fn uncertain_arg_loc(
        &mut self,
        cu: &Cu<'_>,
        f: &load::Function<'_>,
        nr_register_params: i32,
    ) -> bool {
        if (f.params.len() as i32) < nr_register_params {
            return false;
        }
        for (idx, &pi) in f.params.iter().enumerate() {
            if (idx as i32) < nr_register_params {
                continue;
            }
            let ty = cu.params[pi as usize].type_;
            let Some(t) = cu.types.get(ty as usize) else {
                continue;
            };
            if ty == 0 || !is_struct(t.tag) || t.name.is_none() {
                continue;
            }
            if self.infer(cu, ty) {
                return true;
            }
        }
        false
    }

    /// `class__infer_packed_attributes`.
    fn infer(&mut self, cu: &Cu<'_>, id: u32) -> bool {
        let t = &cu.types[id as usize];
        if !is_struct(t.tag) {
            return false;
        }
        if let Some(p) = self.inferred[id as usize] {
            return p;
        }
        let Kind::Composite {
            size, ref members, ..
        } = t.kind
        else {
            return false;
        };
        let (nr_holes, padding) = find_holes(size, members);
        let mut packed = false;
        if padding != 0 || nr_holes != 0 {
            // type__check_structs_at_unnatural_alignments
            for m in members {
                let mt = strip(cu, m.type_);
                let Some(e) = cu.types.get(mt as usize) else {
                    continue;
                };
                if mt == 0 || !is_struct(e.tag) {
                    continue;
                }
                let na = self.tag_natural_alignment(cu, mt, 0);
                if m.byte_offset as u64 % na != 0 {
                    self.inferred[mt as usize] = Some(true);
                }
            }
        } else {
            let mut max_na: u64 = 1;
            for m in members {
                if m.is_static {
                    continue;
                }
                let mt = strip(cu, m.type_);
                let na = self.tag_natural_alignment(cu, mt, 0);
                if na == 1 {
                    continue;
                }
                max_na = max_na.max(na) as u16 as u64;
                if m.byte_offset as u64 % na != 0 {
                    packed = true;
                    break;
                }
            }
            // (The alignment attribute is ignored when encoding BTF.)
            if !packed && max_na != 0 && size as u64 % max_na != 0 {
                packed = true;
            }
        }
        self.inferred[id as usize] = Some(packed);
        packed
    }

    /// `tag__natural_alignment`.
    fn tag_natural_alignment(&mut self, cu: &Cu<'_>, id: u32, depth: u32) -> u64 {
        if id == 0 || depth > MAX_DEPTH {
            return 1;
        }
        let Some(t) = cu.types.get(id as usize) else {
            return 1;
        };
        let na = match t.tag {
            load::DW_TAG_POINTER_TYPE => cu.addr_size as u64,
            load::DW_TAG_BASE_TYPE => match t.kind {
                Kind::Base { bit_size, .. } => (bit_size / 8) as u64,
                _ => 1,
            },
            load::DW_TAG_ENUMERATION_TYPE => match t.kind {
                Kind::Enum { size, .. } => (size / 8) as u64,
                _ => 1,
            },
            load::DW_TAG_STRUCTURE_TYPE
            | load::DW_TAG_CLASS_TYPE
            | load::DW_TAG_INTERFACE_TYPE
            | load::DW_TAG_UNION_TYPE => self.type_natural_alignment(cu, id, depth),
            load::DW_TAG_ARRAY_TYPE => {
                let e = strip(cu, t.type_);
                self.tag_natural_alignment(cu, e, depth + 1)
            }
            _ => 1,
        };
        if na == 0 {
            1
        } else {
            na
        }
    }

    /// `type__natural_alignment`: the largest natural alignment of the members.
    fn type_natural_alignment(&mut self, cu: &Cu<'_>, id: u32, depth: u32) -> u64 {
        if self.natural[id as usize] != 0 {
            return self.natural[id as usize];
        }
        let Kind::Composite { ref members, .. } = cu.types[id as usize].kind else {
            return 0;
        };
        let mut na = 0u64;
        for m in members {
            if m.is_static {
                continue;
            }
            let mt = strip(cu, m.type_);
            if mt == 0 {
                continue;
            }
            let mna = self.tag_natural_alignment(cu, mt, depth + 1);
            na = na.max(mna);
        }
        self.natural[id as usize] = na;
        na
    }
}

fn is_struct(tag: u16) -> bool {
    matches!(
        tag,
        load::DW_TAG_STRUCTURE_TYPE | load::DW_TAG_CLASS_TYPE | load::DW_TAG_INTERFACE_TYPE
    )
}

/// `tag__strip_typedefs_and_modifiers` of a type id.
fn strip(cu: &Cu<'_>, mut id: u32) -> u32 {
    let mut guard = 0;
    while let Some(t) = cu.types.get(id as usize) {
        if id == 0 || guard > MAX_DEPTH {
            break;
        }
        guard += 1;
        match t.tag {
            load::DW_TAG_TYPEDEF
            | load::DW_TAG_CONST_TYPE
            | load::DW_TAG_VOLATILE_TYPE
            | load::DW_TAG_RESTRICT_TYPE
            | load::DW_TAG_ATOMIC_TYPE => id = t.type_,
            _ => break,
        }
    }
    id
}

/// `class__find_holes`: the number of byte holes and the tail padding.
fn find_holes(size: u32, members: &[Member<'_>]) -> (u32, u32) {
    let mut cur_bitfield_end: u32 = size.wrapping_mul(8);
    let mut cur_bitfield_size: u32 = 0;
    let mut last_seen_bit: u32 = 0;
    let mut in_bitfield = false;
    let mut nr_holes = 0u32;
    for m in members {
        if m.tag == load::DW_TAG_INHERITANCE && m.byte_size == 0 {
            continue;
        }
        if m.is_static {
            continue;
        }
        let bit_size = (m.byte_size as u32).wrapping_mul(8);
        let bit_start = m.bit_offset;
        let bit_end = if m.bitfield_size != 0 {
            bit_start.wrapping_add(m.bitfield_size as u32)
        } else {
            bit_start.wrapping_add(bit_size)
        };
        let mut byte_holes: i32 = 0;
        if in_bitfield {
            let bitfield_end = bit_start.min(cur_bitfield_end);
            last_seen_bit = bitfield_end;
        }
        if m.bitfield_size != 0 {
            let aligned_start = m.byte_offset.wrapping_mul(8);
            if last_seen_bit < aligned_start && aligned_start <= bit_start {
                byte_holes = m.byte_offset.wrapping_sub(last_seen_bit / 8) as i32;
            }
        } else {
            byte_holes = (bit_start / 8).wrapping_sub(last_seen_bit / 8) as i32;
        }
        last_seen_bit = bit_end;
        if m.bitfield_size != 0 {
            in_bitfield = true;
            if bit_end > cur_bitfield_end || bit_size > cur_bitfield_size {
                cur_bitfield_size = bit_size;
                cur_bitfield_end = m
                    .byte_offset
                    .wrapping_mul(8)
                    .wrapping_add(cur_bitfield_size);
                if bit_end > cur_bitfield_end {
                    cur_bitfield_end = cur_bitfield_end.wrapping_add(cur_bitfield_size);
                }
            }
        } else {
            in_bitfield = false;
            cur_bitfield_size = 0;
            cur_bitfield_end = bit_end;
        }
        if byte_holes > 0 {
            nr_holes += 1;
        }
    }
    if in_bitfield {
        last_seen_bit = size.wrapping_mul(8).min(cur_bitfield_end);
    }
    (nr_holes, size.wrapping_sub(last_seen_bit / 8))
}
