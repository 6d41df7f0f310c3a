//! Type-id and string-offset field visitors (libbpf's `btf_field_iter`): for each kind,
//! where in a record the type ids and the string offsets are. Reading, validation, dump
//! and the rewriting algorithms all go through this one table.

use crate::kind::Kind;
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
    const NONE: FieldLayout = FieldLayout {
        fixed: &[],
        elem_size: 0,
        elem_fields: &[],
    };

    /// The layout of `which` fields for `kind`; empty for kinds without such fields and
    /// for unknown kinds.
    pub fn of(kind: Kind, which: FieldKind) -> FieldLayout {
        const fn l(fixed: &'static [u8], elem_size: u8, elem_fields: &'static [u8]) -> FieldLayout {
            FieldLayout {
                fixed,
                elem_size,
                elem_fields,
            }
        }
        match which {
            FieldKind::TypeIds => match kind {
                Kind::PTR
                | Kind::TYPEDEF
                | Kind::VOLATILE
                | Kind::CONST
                | Kind::RESTRICT
                | Kind::FUNC
                | Kind::VAR
                | Kind::DECL_TAG
                | Kind::TYPE_TAG => l(&[8], 0, &[]),
                Kind::ARRAY => l(&[12, 16], 0, &[]),
                Kind::STRUCT | Kind::UNION => l(&[], 12, &[4]),
                Kind::FUNC_PROTO => l(&[8], 8, &[4]),
                Kind::DATASEC => l(&[], 12, &[0]),
                _ => Self::NONE,
            },
            FieldKind::StrOffsets => match kind {
                Kind::STRUCT | Kind::UNION | Kind::ENUM64 => l(&[0], 12, &[0]),
                Kind::ENUM | Kind::FUNC_PROTO => l(&[0], 8, &[0]),
                k if k.is_known() => l(&[0], 0, &[]),
                // Unknown kinds: only the name is known to be a string offset.
                _ => l(&[0], 0, &[]),
            },
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
