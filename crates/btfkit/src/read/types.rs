//! Zero-copy views of one type record and its trailing data (members, enumerators,
//! parameters, DATASEC entries, ...).

use crate::endian::Endian;
use crate::id::{StrOffset, TypeId};
use crate::kind::Kind;
use crate::raw;

/// One BTF type record, borrowed from the blob: the 12-byte `struct btf_type` and the
/// kind-specific data after it.
#[derive(Clone, Copy, Debug)]
pub struct Type<'data> {
    pub(crate) id: TypeId,
    pub(crate) record: &'data [u8],
    pub(crate) endian: Endian,
    pub(crate) blob_offset: u32,
    pub(crate) name_off: u32,
    pub(crate) info: u32,
    pub(crate) size_type: u32,
}

/// INT encoding data (the `u32` after an INT record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntInfo {
    /// `BTF_INT_ENCODING`: 0 or one of SIGNED (1), CHAR (2), BOOL (4).
    pub encoding: u8,
    /// `BTF_INT_OFFSET`: bit offset (always 0 in practice).
    pub offset: u8,
    /// `BTF_INT_BITS`: number of value bits.
    pub bits: u8,
    /// The whole raw word, for checks of unused bits.
    pub raw: u32,
}

/// ARRAY data (`struct btf_array`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    /// Element type.
    pub elem_type: TypeId,
    /// Index type.
    pub index_type: TypeId,
    /// Number of elements.
    pub nelems: u32,
}

/// A STRUCT/UNION member (`struct btf_member`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Member name.
    pub name_off: StrOffset,
    /// Member type.
    pub type_id: TypeId,
    /// The raw `offset` word: a bit offset, or with the kind flag, bitfield size (bits
    /// 24-31) and bit offset (bits 0-23).
    pub raw_offset: u32,
    /// Whether the owning type has the kind flag set.
    pub kflag: bool,
}

impl Member {
    /// Bit offset of the member from the start of the STRUCT/UNION.
    #[inline]
    pub fn bit_offset(&self) -> u32 {
        if self.kflag {
            raw::member_bit_offset(self.raw_offset)
        } else {
            self.raw_offset
        }
    }

    /// Bitfield size in bits, 0 when the member is not a bitfield (or without kind flag).
    #[inline]
    pub fn bitfield_size(&self) -> u32 {
        if self.kflag {
            raw::member_bitfield_size(self.raw_offset)
        } else {
            0
        }
    }
}

/// An enumerator of an ENUM or ENUM64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumValue {
    /// Enumerator name.
    pub name_off: StrOffset,
    /// The value's bits: for ENUM the 32-bit value zero-extended, for ENUM64 both halves.
    pub raw: u64,
}

/// A FUNC_PROTO parameter (`struct btf_param`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Parameter name (may be empty).
    pub name_off: StrOffset,
    /// Parameter type; 0 for a trailing `...`.
    pub type_id: TypeId,
}

/// A DATASEC entry (`struct btf_var_secinfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecinfo {
    /// The VAR (or FUNC) placed in the section.
    pub type_id: TypeId,
    /// Offset inside the section.
    pub offset: u32,
    /// Size in the section.
    pub size: u32,
}

impl<'data> Type<'data> {
    /// The type's id.
    #[inline]
    pub fn id(&self) -> TypeId {
        self.id
    }
    /// The kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        Kind(raw::info_kind(self.info))
    }
    /// `vlen`: count of trailing elements (or FUNC linkage).
    #[inline]
    pub fn vlen(&self) -> u32 {
        raw::info_vlen(self.info)
    }
    /// The kind flag.
    #[inline]
    pub fn kflag(&self) -> bool {
        raw::info_kflag(self.info)
    }
    /// The raw `info` word.
    #[inline]
    pub fn info(&self) -> u32 {
        self.info
    }
    /// Offset of the name in the string section(s).
    #[inline]
    pub fn name_off(&self) -> StrOffset {
        StrOffset(self.name_off)
    }
    /// The `size`/`type` word as it is stored.
    #[inline]
    pub fn size_or_type(&self) -> u32 {
        self.size_type
    }
    /// `size` for INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT.
    #[inline]
    pub fn size(&self) -> u32 {
        self.size_type
    }
    /// `type` for PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO (return), VAR, tags.
    #[inline]
    pub fn type_id(&self) -> TypeId {
        TypeId(self.size_type)
    }
    /// The whole record, header and trailing data.
    #[inline]
    pub fn record(&self) -> &'data [u8] {
        self.record
    }
    /// Byte offset of the record from the start of the blob.
    #[inline]
    pub fn blob_offset(&self) -> usize {
        self.blob_offset as usize
    }
    /// Byte order of the blob.
    #[inline]
    pub fn endian(&self) -> Endian {
        self.endian
    }
    /// Reads the `u32` at `at` bytes into the record.
    #[inline]
    pub fn u32_at(&self, at: usize) -> u32 {
        self.endian.u32(self.record, at)
    }

    /// INT encoding, bit offset and bits.
    pub fn int_info(&self) -> Option<IntInfo> {
        (self.kind() == Kind::INT && self.record.len() >= 16).then(|| {
            let v = self.u32_at(12);
            IntInfo {
                encoding: raw::int_encoding(v),
                offset: raw::int_offset(v),
                bits: raw::int_bits(v),
                raw: v,
            }
        })
    }

    /// ARRAY element type, index type and length.
    pub fn array_info(&self) -> Option<ArrayInfo> {
        (self.kind() == Kind::ARRAY && self.record.len() >= 24).then(|| ArrayInfo {
            elem_type: TypeId(self.u32_at(12)),
            index_type: TypeId(self.u32_at(16)),
            nelems: self.u32_at(20),
        })
    }

    /// Linkage of a VAR (`struct btf_var`).
    pub fn var_linkage(&self) -> Option<u32> {
        (self.kind() == Kind::VAR && self.record.len() >= 16).then(|| self.u32_at(12))
    }

    /// `component_idx` of a DECL_TAG.
    pub fn decl_tag_component(&self) -> Option<i32> {
        (self.kind() == Kind::DECL_TAG && self.record.len() >= 16).then(|| self.u32_at(12) as i32)
    }

    /// Number and size of the trailing elements present, when the kind is one of
    /// `kinds`; (0, 0) otherwise.
    #[inline]
    fn elems(&self, kinds: &[Kind]) -> (usize, usize) {
        let k = self.kind();
        match k.facts() {
            Some(f) if kinds.contains(&k) => {
                let (at, size) = (raw::TYPE_LEN + f.info_size as usize, f.elem_size as usize);
                // Bounded by the record length, which parsing checked against vlen.
                let n = (self.vlen() as usize).min(self.record.len().saturating_sub(at) / size);
                (n, size)
            }
            _ => (0, 0),
        }
    }

    /// Members of a STRUCT or UNION (empty for other kinds).
    pub fn members(&self) -> impl ExactSizeIterator<Item = Member> + 'data {
        let (n, size) = self.elems(&[Kind::STRUCT, Kind::UNION]);
        let (rec, e, kflag) = (self.record, self.endian, self.kflag());
        (0..n).map(move |i| {
            let at = raw::TYPE_LEN + i * size;
            Member {
                name_off: StrOffset(e.u32(rec, at)),
                type_id: TypeId(e.u32(rec, at + 4)),
                raw_offset: e.u32(rec, at + 8),
                kflag,
            }
        })
    }

    /// Enumerators of an ENUM or ENUM64 (empty for other kinds).
    pub fn enum_values(&self) -> impl ExactSizeIterator<Item = EnumValue> + 'data {
        let (n, size) = self.elems(&[Kind::ENUM, Kind::ENUM64]);
        let wide = self.kind() == Kind::ENUM64;
        let (rec, e) = (self.record, self.endian);
        (0..n).map(move |i| {
            let at = raw::TYPE_LEN + i * size;
            if wide {
                let lo = e.u32(rec, at + 4) as u64;
                let hi = e.u32(rec, at + 8) as u64;
                EnumValue {
                    name_off: StrOffset(e.u32(rec, at)),
                    raw: (hi << 32) | lo,
                }
            } else {
                EnumValue {
                    name_off: StrOffset(e.u32(rec, at)),
                    raw: e.u32(rec, at + 4) as u64,
                }
            }
        })
    }

    /// Parameters of a FUNC_PROTO (empty for other kinds).
    pub fn params(&self) -> impl ExactSizeIterator<Item = Param> + 'data {
        let (n, size) = self.elems(&[Kind::FUNC_PROTO]);
        let (rec, e) = (self.record, self.endian);
        (0..n).map(move |i| {
            let at = raw::TYPE_LEN + i * size;
            Param {
                name_off: StrOffset(e.u32(rec, at)),
                type_id: TypeId(e.u32(rec, at + 4)),
            }
        })
    }

    /// Entries of a DATASEC (empty for other kinds).
    pub fn secinfos(&self) -> impl ExactSizeIterator<Item = VarSecinfo> + 'data {
        let (n, size) = self.elems(&[Kind::DATASEC]);
        let (rec, e) = (self.record, self.endian);
        (0..n).map(move |i| {
            let at = raw::TYPE_LEN + i * size;
            VarSecinfo {
                type_id: TypeId(e.u32(rec, at)),
                offset: e.u32(rec, at + 4),
                size: e.u32(rec, at + 8),
            }
        })
    }
}
