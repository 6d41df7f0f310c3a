//! Building and serializing BTF: [`Builder`] appends types one `add_*` call per kind, the
//! way libbpf's `btf__add_*` API does, and [`Builder::to_bytes`] writes the blob in either
//! byte order.

mod strings;

pub use strings::StringTable;

use crate::endian::Endian;
use crate::error::{Error, Rule};
use crate::fields::{FieldKind, FieldLayout};
use crate::id::{StrOffset, TypeId};
use crate::kind::Kind;
use crate::raw;
use crate::read::{Btf, Type};

/// The base a split builder continues: a parsed blob or another builder.
#[derive(Clone, Copy, Debug)]
pub enum BaseRef<'b> {
    /// A parsed base BTF.
    Parsed(&'b Btf<'b>),
    /// A base being built (finished before the split is started).
    Built(&'b Builder<'b>),
}

impl BaseRef<'_> {
    fn find_str(&self, s: &[u8]) -> Option<StrOffset> {
        match self {
            BaseRef::Parsed(b) => b.find_str(s),
            BaseRef::Built(b) => b.find_str(s),
        }
    }
}

/// A builder call that libbpf refuses with `-EINVAL` (or `-E2BIG`): an element added
/// where the last type cannot take it, or a value its field cannot hold. Nothing is
/// added when a call fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// An element call on a builder that has no type of its own yet.
    #[error("{call}: no type was added yet; it adds to the last {expected}")]
    NoType {
        /// The call (`add_member`, ...).
        call: &'static str,
        /// The kinds it adds to.
        expected: &'static str,
    },
    /// An element call after a type of a kind that has no such elements.
    #[error("{call}: the last type [{last}] is {kind}; it adds to the last {expected}")]
    WrongKind {
        /// The call (`add_member`, ...).
        call: &'static str,
        /// The last type.
        last: TypeId,
        /// Its kind.
        kind: Kind,
        /// The kinds the call adds to.
        expected: &'static str,
    },
    /// The last type already has as many elements as `vlen` can count.
    #[error(
        "{call}: the last type [{last}] already has {} elements",
        raw::MAX_VLEN
    )]
    TooManyElements {
        /// The call.
        call: &'static str,
        /// The last type.
        last: TypeId,
    },
    /// A bitfield member's bit offset does not fit the 24 bits the kind-flag encoding
    /// leaves it.
    #[error("add_member: bitfield '{name}' at bit offset {bit_offset}: a bitfield's offset must be below 2^24")]
    BitfieldOffset {
        /// The member's name.
        name: String,
        /// Its bit offset.
        bit_offset: u32,
    },
    /// An ENUM value outside the range of a 32-bit enumerator (`i32::MIN ..= u32::MAX`).
    #[error("add_enum_value: '{name}' = {value} does not fit a 32-bit ENUM value (use an ENUM64)")]
    EnumValueRange {
        /// The enumerator's name.
        name: String,
        /// The value.
        value: i64,
    },
}

/// Flavour of a FWD declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FwdKind {
    /// `struct name;`
    Struct,
    /// `union name;`
    Union,
}

/// Builds a BTF blob type by type. Records are kept as 32-bit words in native order and
/// encoded on serialization.
pub struct Builder<'base> {
    words: Vec<u32>,
    starts: Vec<u32>,
    strings: StringTable,
    base: Option<BaseRef<'base>>,
    start_id: u32,
    start_str_off: u32,
    layout: bool,
    extended_header: bool,
}

impl std::fmt::Debug for Builder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("types", &self.starts.len())
            .field("start_id", &self.start_id)
            .finish()
    }
}

impl Default for Builder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'base> Builder<'base> {
    /// An empty base BTF.
    pub fn new() -> Self {
        Builder {
            words: Vec::new(),
            starts: Vec::new(),
            strings: StringTable::new_base(),
            base: None,
            start_id: 1,
            start_str_off: 0,
            layout: false,
            extended_header: false,
        }
    }

    /// An empty split BTF over `base`: ids continue after the base's, and strings that
    /// exist in the base resolve to the base's offsets.
    pub fn new_split(base: &'base Btf<'base>) -> Self {
        Builder {
            words: Vec::new(),
            starts: Vec::new(),
            strings: StringTable::new_split(),
            base: Some(BaseRef::Parsed(base)),
            start_id: base.next_id().0,
            start_str_off: base.next_str_off().0,
            layout: false,
            extended_header: false,
        }
    }

    /// An empty split BTF over a base that was itself built (and is now finished).
    pub fn new_split_over(base: &'base Builder<'base>) -> Self {
        Builder {
            words: Vec::new(),
            starts: Vec::new(),
            strings: StringTable::new_split(),
            base: Some(BaseRef::Built(base)),
            start_id: base.next_id().0,
            start_str_off: base.next_str_off().0,
            layout: false,
            extended_header: false,
        }
    }

    /// One past the highest string offset (base strings and own).
    pub fn next_str_off(&self) -> StrOffset {
        StrOffset(self.start_str_off + self.strings.len() as u32)
    }

    /// The offset of `s` among the base's strings and this builder's, base first.
    pub fn find_str(&self, s: &[u8]) -> Option<StrOffset> {
        if let Some(off) = self.base.and_then(|b| b.find_str(s)) {
            return Some(off);
        }
        self.strings
            .find(s)
            .map(|o| StrOffset(self.start_str_off + o))
    }

    /// Also write the extended header and a layout section describing kinds 0..=19.
    pub fn with_layout(mut self, on: bool) -> Self {
        self.layout = on;
        self
    }

    /// Write the 32-byte extended header even without a layout section (`layout_off` and
    /// `layout_len` 0), as libbpf 1.8 writes every BTF it creates from scratch.
    pub fn with_extended_header(mut self, on: bool) -> Self {
        self.extended_header = on;
        self
    }

    /// The id the next type will get.
    pub fn next_id(&self) -> TypeId {
        TypeId(self.start_id + self.starts.len() as u32)
    }

    /// Releases the spare capacity of the type and string buffers (a builder that is done
    /// growing, kept for a later pass such as deduplication).
    pub fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
        self.starts.shrink_to_fit();
    }

    /// Number of types added.
    pub fn type_count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// The words of own type `id` (`name_off`, `info`, `size`/`type`, then the trailing
    /// data), or `None` when `id` is not one of this builder's types.
    pub fn own_type_words(&self, id: TypeId) -> Option<&[u32]> {
        let i = id.0.checked_sub(self.start_id)? as usize;
        let start = *self.starts.get(i)? as usize;
        let end = self
            .starts
            .get(i + 1)
            .map(|&e| e as usize)
            .unwrap_or(self.words.len());
        self.words.get(start..end)
    }

    /// The string at `off` of this builder's own strings (`None` for a base offset).
    pub fn own_str_at(&self, off: StrOffset) -> Option<&[u8]> {
        let rel = off.0.checked_sub(self.start_str_off)? as usize;
        let bytes = self.strings.bytes().get(rel..)?;
        Some(&bytes[..memchr::memchr(0, bytes).unwrap_or(bytes.len())])
    }

    /// Interns `s` and returns its offset (a base offset when the base has it).
    pub fn add_str(&mut self, s: &str) -> StrOffset {
        self.add_str_bytes(s.as_bytes())
    }

    /// Interns raw bytes (no NUL inside) and returns the offset.
    pub fn add_str_bytes(&mut self, s: &[u8]) -> StrOffset {
        if s.is_empty() {
            return StrOffset(0);
        }
        if let Some(off) = self.base.and_then(|b| b.find_str(s)) {
            return off;
        }
        StrOffset(self.start_str_off + self.strings.add(s))
    }

    fn name(&mut self, name: impl AsRef<[u8]>) -> u32 {
        self.add_str_bytes(name.as_ref()).0
    }

    /// Appends a record from raw words: `name_off`, `info`, `size`/`type`, then the
    /// trailing data. Nothing is checked: this is how malformed test inputs are built.
    pub fn add_raw(&mut self, name_off: u32, info: u32, size_or_type: u32, tail: &[u32]) -> TypeId {
        let id = self.next_id();
        self.starts.push(self.words.len() as u32);
        self.words
            .extend_from_slice(&[name_off, info, size_or_type]);
        self.words.extend_from_slice(tail);
        id
    }

    /// Where the last type's `info` word is, when its kind is one of `kinds` and it can
    /// take one more element (libbpf's checks of `btf_last_type`).
    fn open_type(
        &self,
        call: &'static str,
        kinds: &[Kind],
        expected: &'static str,
    ) -> Result<usize, BuildError> {
        let Some(&start) = self.starts.last() else {
            return Err(BuildError::NoType { call, expected });
        };
        let at = start as usize + 1;
        let info = self.words[at];
        let kind = Kind(raw::info_kind(info));
        let last = TypeId(self.next_id().0 - 1);
        if !kinds.contains(&kind) {
            return Err(BuildError::WrongKind {
                call,
                last,
                kind,
                expected,
            });
        }
        if raw::info_vlen(info) >= raw::MAX_VLEN {
            return Err(BuildError::TooManyElements { call, last });
        }
        Ok(at)
    }

    /// Appends one element (`words`) to the type whose `info` word is at `at`: vlen + 1,
    /// and the kind flag set when `kflag`.
    fn push_element(&mut self, at: usize, words: &[u32], kflag: bool) {
        self.words.extend_from_slice(words);
        let info = self.words[at];
        let vlen = raw::info_vlen(info) + 1;
        self.words[at] = raw::info(raw::info_kind(info), vlen, raw::info_kflag(info) || kflag);
    }

    /// `INT`: `size` bytes, `encoding` a combination of [`raw::INT_SIGNED`] etc. The
    /// bits field says `size * 8`, which it can hold up to 31 bytes; a larger INT (which
    /// BTF does not allow) gets 255 bits.
    pub fn add_int(&mut self, name: impl AsRef<[u8]>, size: u32, encoding: u8) -> TypeId {
        let n = self.name(name);
        self.add_raw(
            n,
            raw::info(Kind::INT.0, 0, false),
            size,
            &[((encoding as u32) << 24) | size.saturating_mul(8).min(0xff)],
        )
    }

    /// `FLOAT` of `size` bytes.
    pub fn add_float(&mut self, name: impl AsRef<[u8]>, size: u32) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::FLOAT.0, 0, false), size, &[])
    }

    fn add_ref(&mut self, kind: Kind, name: impl AsRef<[u8]>, ty: TypeId) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(kind.0, 0, false), ty.0, &[])
    }

    /// `PTR` to `ty`.
    pub fn add_ptr(&mut self, ty: TypeId) -> TypeId {
        self.add_ref(Kind::PTR, "", ty)
    }
    /// `TYPEDEF name` of `ty`.
    pub fn add_typedef(&mut self, name: impl AsRef<[u8]>, ty: TypeId) -> TypeId {
        self.add_ref(Kind::TYPEDEF, name, ty)
    }
    /// `VOLATILE` `ty`.
    pub fn add_volatile(&mut self, ty: TypeId) -> TypeId {
        self.add_ref(Kind::VOLATILE, "", ty)
    }
    /// `CONST` `ty`.
    pub fn add_const(&mut self, ty: TypeId) -> TypeId {
        self.add_ref(Kind::CONST, "", ty)
    }
    /// `RESTRICT` `ty`.
    pub fn add_restrict(&mut self, ty: TypeId) -> TypeId {
        self.add_ref(Kind::RESTRICT, "", ty)
    }
    /// `TYPE_TAG value` on `ty`.
    pub fn add_type_tag(&mut self, value: impl AsRef<[u8]>, ty: TypeId) -> TypeId {
        self.add_ref(Kind::TYPE_TAG, value, ty)
    }
    /// `TYPE_TAG value` on `ty` with the kind flag set: the tag is an `__attribute__`
    /// (libbpf's `btf__add_type_attr`).
    pub fn add_type_attr(&mut self, value: impl AsRef<[u8]>, ty: TypeId) -> TypeId {
        let n = self.name(value);
        self.add_raw(n, raw::info(Kind::TYPE_TAG.0, 0, true), ty.0, &[])
    }

    /// `ARRAY` of `nelems` elements of `elem`, indexed by `index`.
    pub fn add_array(&mut self, elem: TypeId, index: TypeId, nelems: u32) -> TypeId {
        self.add_raw(
            0,
            raw::info(Kind::ARRAY.0, 0, false),
            0,
            &[elem.0, index.0, nelems],
        )
    }

    /// `STRUCT` of `size` bytes; add members with [`Self::add_member`].
    pub fn add_struct(&mut self, name: impl AsRef<[u8]>, size: u32) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::STRUCT.0, 0, false), size, &[])
    }

    /// `UNION` of `size` bytes; add members with [`Self::add_member`].
    pub fn add_union(&mut self, name: impl AsRef<[u8]>, size: u32) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::UNION.0, 0, false), size, &[])
    }

    /// A member of the last STRUCT/UNION. A non-zero `bitfield_size` switches the type
    /// to the kind-flag encoding (bitfield size in bits 24-31 of the offset word).
    ///
    /// As libbpf's `btf__add_field`, the offset word is `bit_offset | bitfield_size << 24`
    /// whatever the kind flag, and earlier members are left as they are: a member at a
    /// bit offset of 2^24 or more cannot be combined with bitfields. A bitfield there is
    /// refused, as libbpf does; a plain member there in a type that has bitfields is not
    /// (libbpf does not check it either).
    ///
    /// Fails, adding nothing, when the last type is not a STRUCT/UNION or has the
    /// most members `vlen` can count.
    pub fn add_member(
        &mut self,
        name: impl AsRef<[u8]>,
        ty: TypeId,
        bit_offset: u32,
        bitfield_size: u8,
    ) -> Result<(), BuildError> {
        let at = self.open_type(
            "add_member",
            &[Kind::STRUCT, Kind::UNION],
            "STRUCT or UNION",
        )?;
        if bitfield_size != 0 && bit_offset > 0x00ff_ffff {
            return Err(BuildError::BitfieldOffset {
                name: String::from_utf8_lossy(name.as_ref()).into_owned(),
                bit_offset,
            });
        }
        let n = self.name(name);
        let off = bit_offset | ((bitfield_size as u32) << 24);
        self.push_element(at, &[n, ty.0, off], bitfield_size != 0);
        Ok(())
    }

    /// `ENUM` of `size` bytes; add values with [`Self::add_enum_value`].
    pub fn add_enum(&mut self, name: impl AsRef<[u8]>, size: u32, signed: bool) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::ENUM.0, 0, signed), size, &[])
    }

    /// An enumerator of the last ENUM. A negative value marks the ENUM signed (kind
    /// flag), as libbpf's `btf__add_enum_value` does.
    ///
    /// Fails, adding nothing, when the last type is not an ENUM or is full, or when
    /// `value` is outside `i32::MIN ..= u32::MAX`.
    pub fn add_enum_value(&mut self, name: impl AsRef<[u8]>, value: i64) -> Result<(), BuildError> {
        let at = self.open_type("add_enum_value", &[Kind::ENUM], "ENUM")?;
        if !(i32::MIN as i64..=u32::MAX as i64).contains(&value) {
            return Err(BuildError::EnumValueRange {
                name: String::from_utf8_lossy(name.as_ref()).into_owned(),
                value,
            });
        }
        let n = self.name(name);
        self.push_element(at, &[n, value as u32], value < 0);
        Ok(())
    }

    /// `ENUM64` of `size` bytes; add values with [`Self::add_enum64_value`].
    pub fn add_enum64(&mut self, name: impl AsRef<[u8]>, size: u32, signed: bool) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::ENUM64.0, 0, signed), size, &[])
    }

    /// An enumerator of the last ENUM64.
    ///
    /// Fails, adding nothing, when the last type is not an ENUM64 or is full.
    pub fn add_enum64_value(
        &mut self,
        name: impl AsRef<[u8]>,
        value: u64,
    ) -> Result<(), BuildError> {
        let at = self.open_type("add_enum64_value", &[Kind::ENUM64], "ENUM64")?;
        let n = self.name(name);
        self.push_element(at, &[n, value as u32, (value >> 32) as u32], false);
        Ok(())
    }

    /// `FWD` declaration.
    pub fn add_fwd(&mut self, name: impl AsRef<[u8]>, kind: FwdKind) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::FWD.0, 0, kind == FwdKind::Union), 0, &[])
    }

    /// An enum forward declaration: an ENUM of 4 bytes with no values, as libbpf's
    /// `btf__add_fwd(btf, name, BTF_FWD_ENUM)` writes it.
    pub fn add_fwd_enum(&mut self, name: impl AsRef<[u8]>) -> TypeId {
        self.add_enum(name, 4, false)
    }

    /// `FUNC name` with `linkage` (0 static, 1 global, 2 extern) of prototype `proto`.
    pub fn add_func(&mut self, name: impl AsRef<[u8]>, linkage: u32, proto: TypeId) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::FUNC.0, linkage, false), proto.0, &[])
    }

    /// `FUNC_PROTO` returning `ret`; add parameters with [`Self::add_param`].
    pub fn add_func_proto(&mut self, ret: TypeId) -> TypeId {
        self.add_raw(0, raw::info(Kind::FUNC_PROTO.0, 0, false), ret.0, &[])
    }

    /// A parameter of the last FUNC_PROTO (`ty` 0 with no name for `...`).
    ///
    /// Fails, adding nothing, when the last type is not a FUNC_PROTO or is full.
    pub fn add_param(&mut self, name: impl AsRef<[u8]>, ty: TypeId) -> Result<(), BuildError> {
        let at = self.open_type("add_param", &[Kind::FUNC_PROTO], "FUNC_PROTO")?;
        let n = self.name(name);
        self.push_element(at, &[n, ty.0], false);
        Ok(())
    }

    /// `VAR name` of type `ty` with `linkage` (0 static, 1 global, 2 extern).
    pub fn add_var(&mut self, name: impl AsRef<[u8]>, linkage: u32, ty: TypeId) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::VAR.0, 0, false), ty.0, &[linkage])
    }

    /// `DATASEC name` of `size` bytes; add entries with [`Self::add_secinfo`].
    pub fn add_datasec(&mut self, name: impl AsRef<[u8]>, size: u32) -> TypeId {
        let n = self.name(name);
        self.add_raw(n, raw::info(Kind::DATASEC.0, 0, false), size, &[])
    }

    /// An entry of the last DATASEC.
    ///
    /// Fails, adding nothing, when the last type is not a DATASEC or is full.
    pub fn add_secinfo(&mut self, ty: TypeId, offset: u32, size: u32) -> Result<(), BuildError> {
        let at = self.open_type("add_secinfo", &[Kind::DATASEC], "DATASEC")?;
        self.push_element(at, &[ty.0, offset, size], false);
        Ok(())
    }

    /// `DECL_TAG value` on `ty` (`component_idx` -1 for the type itself).
    pub fn add_decl_tag(
        &mut self,
        value: impl AsRef<[u8]>,
        ty: TypeId,
        component_idx: i32,
    ) -> TypeId {
        let n = self.name(value);
        self.add_raw(
            n,
            raw::info(Kind::DECL_TAG.0, 0, false),
            ty.0,
            &[component_idx as u32],
        )
    }

    /// `DECL_TAG value` on `ty` with the kind flag set: the tag is an `__attribute__`
    /// (libbpf's `btf__add_decl_attr`).
    pub fn add_decl_attr(
        &mut self,
        value: impl AsRef<[u8]>,
        ty: TypeId,
        component_idx: i32,
    ) -> TypeId {
        let n = self.name(value);
        self.add_raw(
            n,
            raw::info(Kind::DECL_TAG.0, 0, true),
            ty.0,
            &[component_idx as u32],
        )
    }

    /// A builder holding a copy of every own type of `btf`, in order (read-to-write
    /// conversion): a base builder for base BTF, a split builder over the same base for
    /// split BTF. Strings are re-interned in order of first use, so a blob written by
    /// libbpf or by this builder serializes back to the same bytes. A layout section is
    /// written when `btf` has one. Fails for types of kinds this crate does not know.
    pub fn from_btf(btf: &Btf<'base>) -> Result<Builder<'base>, Error> {
        let b = match btf.base() {
            Some(base) => Builder::new_split(base),
            None => Builder::new(),
        };
        let mut b = b.with_layout(btf.header().has_layout());
        for t in btf.types() {
            b.add_type_copy(btf, &t)?;
        }
        Ok(b)
    }

    /// Appends every own type of `src` (libbpf's `btf__add_btf`) and returns the id the
    /// first one gets. Type ids that point at `src`'s own types are shifted to where the
    /// copies land; void and, for split `src`, ids and string offsets of `src`'s base are
    /// kept as they are, so split `src` must be over this builder's base. Own strings are
    /// re-interned here. Nothing is added when a type cannot be copied (unknown kind).
    pub fn add_btf(&mut self, src: &Btf<'_>) -> Result<TypeId, Error> {
        if let Some(src_base) = src.base() {
            let same = match self.base {
                Some(BaseRef::Parsed(b)) => std::ptr::eq(b.data(), src_base.data()),
                _ => false,
            };
            if !same {
                return Err(Error::blob(
                    Rule::TypeIdOutOfRange,
                    0,
                    "split BTF can only be appended to a split builder over the same base",
                ));
            }
        }
        for t in src.types() {
            if !t.kind().is_known() || t.record().len() % 4 != 0 {
                return Err(Error::at_type(
                    Rule::UnknownKind,
                    t.id(),
                    t.kind(),
                    src.name_lossy(&t),
                    t.blob_offset(),
                    "cannot copy a type of a kind this crate does not know",
                ));
            }
        }
        let first = self.next_id();
        let src_start = src.start_id().0;
        let shift = first.0.wrapping_sub(src_start);
        let src_str_start = src.start_str_off().0;
        for t in src.types() {
            let start = self.words.len();
            self.starts.push(start as u32);
            let (rec, e) = (t.record(), t.endian());
            self.words
                .extend((0..rec.len() / 4).map(|i| e.u32(rec, i * 4)));
            for pos in FieldLayout::of(t.kind(), FieldKind::StrOffsets).positions(t.vlen()) {
                let at = start + pos / 4;
                let off = self.words[at];
                if off != 0 && off >= src_str_start {
                    let s = src.str_at(StrOffset(off)).unwrap_or(b"");
                    self.words[at] = self.add_str_bytes(s).0;
                }
            }
            for pos in FieldLayout::of(t.kind(), FieldKind::TypeIds).positions(t.vlen()) {
                let at = start + pos / 4;
                let id = self.words[at];
                if id != 0 && id >= src_start {
                    self.words[at] = id.wrapping_add(shift);
                }
            }
        }
        Ok(first)
    }

    /// Appends a copy of `t`, a type read from `src`, keeping its type ids as they are
    /// and re-interning its strings here (libbpf's `btf_add_type`). Fails for a record of
    /// a kind whose string fields are unknown or whose length is not a multiple of 4.
    pub fn add_type_copy(&mut self, src: &Btf<'_>, t: &Type<'_>) -> Result<TypeId, Error> {
        let rec = t.record();
        if !t.kind().is_known() || rec.len() % 4 != 0 {
            return Err(Error::at_type(
                Rule::UnknownKind,
                t.id(),
                t.kind(),
                src.name_lossy(t),
                t.blob_offset(),
                "cannot copy a type of a kind this crate does not know",
            ));
        }
        let id = self.next_id();
        let start = self.words.len();
        self.starts.push(start as u32);
        let e = t.endian();
        self.words
            .extend((0..rec.len() / 4).map(|i| e.u32(rec, i * 4)));
        for pos in FieldLayout::of(t.kind(), FieldKind::StrOffsets).positions(t.vlen()) {
            let at = start + pos / 4;
            let off = self.words[at];
            if off != 0 {
                let s = src.str_at(StrOffset(off)).unwrap_or(b"");
                self.words[at] = self.add_str_bytes(s).0;
            }
        }
        Ok(id)
    }

    /// Rewrites every type-id field of this builder's own types through `map`.
    pub fn map_type_ids(&mut self, mut map: impl FnMut(TypeId) -> TypeId) {
        for i in 0..self.starts.len() {
            let start = self.starts[i] as usize;
            let info = self.words[start + 1];
            let kind = Kind(raw::info_kind(info));
            for pos in FieldLayout::of(kind, FieldKind::TypeIds).positions(raw::info_vlen(info)) {
                let at = start + pos / 4;
                self.words[at] = map(TypeId(self.words[at])).0;
            }
        }
    }

    /// The string section built so far.
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// Serializes to a BTF blob in byte order `endian`: header, types, (layout), strings.
    pub fn to_bytes(&self, endian: Endian) -> Vec<u8> {
        let type_len = self.words.len() * 4;
        let layout_len = if self.layout {
            (Kind::MAX_KNOWN as usize + 1) * raw::LAYOUT_ENTRY_LEN
        } else {
            0
        };
        let hdr_len = if self.layout || self.extended_header {
            raw::HEADER_LAYOUT_LEN
        } else {
            raw::HEADER_LEN
        };
        let str_len = self.strings.len();
        let mut out = Vec::with_capacity(hdr_len + type_len + layout_len + str_len);
        out.extend_from_slice(&endian.u16_bytes(raw::MAGIC));
        out.push(raw::VERSION);
        out.push(0);
        for v in [
            hdr_len as u32,
            0,
            type_len as u32,
            (type_len + layout_len) as u32,
            str_len as u32,
        ] {
            out.extend_from_slice(&endian.u32_bytes(v));
        }
        if self.layout {
            out.extend_from_slice(&endian.u32_bytes(type_len as u32));
            out.extend_from_slice(&endian.u32_bytes(layout_len as u32));
        } else if self.extended_header {
            out.extend_from_slice(&[0; 8]);
        }
        for &w in &self.words {
            out.extend_from_slice(&endian.u32_bytes(w));
        }
        if self.layout {
            for k in 0..=Kind::MAX_KNOWN {
                let k = Kind(k);
                out.push(k.info_size().unwrap_or(0) as u8);
                out.push(k.elem_size().unwrap_or(0) as u8);
                out.extend_from_slice(&endian.u16_bytes(0));
            }
        }
        out.extend_from_slice(self.strings.bytes());
        out
    }
}

/// Raw access for the algorithms that rewrite a builder's types in place (dedup).
impl<'base> Builder<'base> {
    /// The records as words, and the word index where each starts.
    pub(crate) fn type_words(&self) -> (&[u32], &[u32]) {
        (&self.words, &self.starts)
    }

    /// The base this builder continues, if any.
    pub(crate) fn base_ref(&self) -> Option<BaseRef<'base>> {
        self.base
    }

    /// Takes every own type out (records as words, start of each record), leaving none.
    pub(crate) fn take_type_words(&mut self) -> (Vec<u32>, Vec<u32>) {
        (
            std::mem::take(&mut self.words),
            std::mem::take(&mut self.starts),
        )
    }

    /// Replaces every own type (records as words, start of each record).
    pub(crate) fn set_type_words(&mut self, words: Vec<u32>, starts: Vec<u32>) {
        self.words = words;
        self.starts = starts;
    }

    /// A builder over `base` (or a base builder) holding `words` / `starts` as its types
    /// and `strings` as its string section.
    pub(crate) fn from_type_words(
        base: Option<&'base Btf<'base>>,
        layout: bool,
        words: Vec<u32>,
        starts: Vec<u32>,
        strings: StringTable,
    ) -> Builder<'base> {
        let mut b = match base {
            Some(base) => Builder::new_split(base),
            None => Builder::new(),
        };
        b.layout = layout;
        b.words = words;
        b.starts = starts;
        b.strings = strings;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_go_only_to_a_type_of_this_builder() {
        let mut base = Builder::new();
        base.add_struct("s", 4);
        let bytes = base.to_bytes(Endian::Little);
        let parsed = Btf::parse(&bytes).unwrap();
        // The base's last type is a STRUCT, but a split builder adds to its own types.
        let mut split = Builder::new_split(&parsed);
        assert_eq!(
            split.add_member("x", TypeId(1), 0, 0),
            Err(BuildError::NoType {
                call: "add_member",
                expected: "STRUCT or UNION"
            })
        );
        assert_eq!(split.to_bytes(Endian::Little).len(), raw::HEADER_LEN);
    }

    #[test]
    fn a_full_vlen_takes_no_more() {
        let mut b = Builder::new();
        let proto = b.add_raw(
            0,
            raw::info(Kind::FUNC_PROTO.0, raw::MAX_VLEN, false),
            0,
            &[],
        );
        let before = b.to_bytes(Endian::Little);
        assert_eq!(
            b.add_param("p", TypeId(0)),
            Err(BuildError::TooManyElements {
                call: "add_param",
                last: proto
            })
        );
        assert_eq!(b.to_bytes(Endian::Little), before);
    }

    #[test]
    fn huge_int_sizes_do_not_overflow() {
        let mut b = Builder::new();
        b.add_int("huge", u32::MAX, 0);
        let bytes = b.to_bytes(Endian::Little);
        let t = Btf::parse(&bytes).unwrap().type_by_id(TypeId(1)).unwrap();
        assert_eq!(t.int_info().unwrap().bits, 255);
    }
}
