//! Type-id and string-offset field visitors (libbpf's `btf_field_iter`): every field of a
//! record that holds a type id, or a string offset, at the positions the kind table
//! ([`KindFacts::type_ids`], [`KindFacts::str_offsets`]) gives. The writer and the
//! rewriting algorithms (distill, relocate, `.BTF_ids`) visit fields through here.
//!
//! [`KindFacts::type_ids`]: crate::kind::KindFacts::type_ids
//! [`KindFacts::str_offsets`]: crate::kind::KindFacts::str_offsets

use crate::kind::{FieldPositions, Kind};
use crate::raw;
use crate::read::Type;

/// Which fields to visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Fields that hold type ids.
    TypeIds,
    /// Fields that hold string offsets.
    StrOffsets,
}

/// Where the fields of one kind are: fixed byte positions in the record, then for each
/// of the `vlen` elements (starting right after the 12-byte header) positions relative
/// to the element.
#[derive(Clone, Copy, Debug)]
pub struct FieldLayout {
    fixed: &'static [u8],
    elem_size: u8,
    elem_fields: &'static [u8],
}

impl FieldLayout {
    /// The layout of `which` fields for `kind`; for unknown kinds only the name (a
    /// string offset at byte 0) is known.
    #[inline]
    pub fn of(kind: Kind, which: FieldKind) -> FieldLayout {
        let Some(f) = kind.facts() else {
            return match which {
                FieldKind::TypeIds => FieldLayout {
                    fixed: &[],
                    elem_size: 0,
                    elem_fields: &[],
                },
                FieldKind::StrOffsets => FieldLayout {
                    fixed: &[0],
                    elem_size: 0,
                    elem_fields: &[],
                },
            };
        };
        let p: FieldPositions = match which {
            FieldKind::TypeIds => f.type_ids,
            FieldKind::StrOffsets => f.str_offsets,
        };
        FieldLayout {
            fixed: p.fixed,
            elem_size: f.elem_size,
            elem_fields: p.per_elem,
        }
    }

    /// Byte positions of the fields in a record with `vlen` elements.
    pub fn positions(self, vlen: u32) -> Positions {
        Positions {
            layout: self,
            vlen: if self.elem_size == 0 { 0 } else { vlen },
            fixed_i: 0,
            elem_i: 0,
            field_i: 0,
        }
    }
}

/// Iterator over field byte positions; see [`FieldLayout::positions`].
#[derive(Clone, Debug)]
pub struct Positions {
    layout: FieldLayout,
    vlen: u32,
    fixed_i: usize,
    elem_i: u32,
    field_i: usize,
}

impl Iterator for Positions {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.fixed_i < self.layout.fixed.len() {
            self.fixed_i += 1;
            return Some(self.layout.fixed[self.fixed_i - 1] as usize);
        }
        if self.field_i == self.layout.elem_fields.len() {
            self.field_i = 0;
            self.elem_i += 1;
        }
        if self.elem_i >= self.vlen || self.layout.elem_fields.is_empty() {
            return None;
        }
        let pos = raw::TYPE_LEN
            + self.elem_i as usize * self.layout.elem_size as usize
            + self.layout.elem_fields[self.field_i] as usize;
        self.field_i += 1;
        Some(pos)
    }
}

/// One visited field: its byte position in the record and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Byte position inside the type record.
    pub pos: usize,
    /// The stored value (a type id or a string offset).
    pub value: u32,
}

/// Iterator over the type-id or string-offset fields of one read type.
#[derive(Clone, Debug)]
pub struct Fields<'data> {
    ty: Type<'data>,
    positions: Positions,
}

impl Iterator for Fields<'_> {
    type Item = Field;

    #[inline]
    fn next(&mut self) -> Option<Field> {
        let pos = self.positions.next()?;
        Some(Field {
            pos,
            value: self.ty.u32_at(pos),
        })
    }
}

impl<'data> Type<'data> {
    /// Every field of this type that holds `which` (type ids or string offsets).
    pub fn fields(&self, which: FieldKind) -> Fields<'data> {
        let vlen = if self.kind().is_known() {
            self.vlen()
        } else {
            0
        };
        Fields {
            ty: *self,
            positions: FieldLayout::of(self.kind(), which).positions(vlen),
        }
    }

    /// Every type-id field of this type.
    pub fn type_id_fields(&self) -> Fields<'data> {
        self.fields(FieldKind::TypeIds)
    }

    /// Every string-offset field of this type.
    pub fn str_offset_fields(&self) -> Fields<'data> {
        self.fields(FieldKind::StrOffsets)
    }
}
