//! The on-disk layout of BTF, after uapi `linux/btf.h`: record sizes, field offsets and
//! bit masks. Names follow the C ones without the `btf_` prefix.

/// `BTF_MAGIC`, as read in the blob's own byte order.
pub const MAGIC: u16 = 0xeb9f;
/// `BTF_VERSION`.
pub const VERSION: u8 = 1;
/// Size of the classic `struct btf_header` (up to `str_len`).
pub const HEADER_LEN: usize = 24;
/// Size of the extended header with `layout_off` / `layout_len`.
pub const HEADER_LAYOUT_LEN: usize = 32;
/// Size of `struct btf_type` (`name_off`, `info`, `size`/`type`).
pub const TYPE_LEN: usize = 12;
/// Size of one `struct btf_layout` entry (`info_sz`, `elem_sz`, `flags`).
pub const LAYOUT_ENTRY_LEN: usize = 4;

// The data after `struct btf_type`, by C struct; which kind has which is the kind table's
// business (`crate::kind::KindFacts`).
/// Size of the INT data word (`__u32` with encoding, offset, bits).
pub const INT_DATA_LEN: usize = 4;
/// Size of `struct btf_array` (`type`, `index_type`, `nelems`).
pub const ARRAY_LEN: usize = 12;
/// Size of `struct btf_member` (`name_off`, `type`, `offset`).
pub const MEMBER_LEN: usize = 12;
/// Size of `struct btf_enum` (`name_off`, `val`).
pub const ENUM_LEN: usize = 8;
/// Size of `struct btf_enum64` (`name_off`, `val_lo32`, `val_hi32`).
pub const ENUM64_LEN: usize = 12;
/// Size of `struct btf_param` (`name_off`, `type`).
pub const PARAM_LEN: usize = 8;
/// Size of `struct btf_var` (`linkage`).
pub const VAR_LEN: usize = 4;
/// Size of `struct btf_var_secinfo` (`type`, `offset`, `size`).
pub const VAR_SECINFO_LEN: usize = 12;
/// Size of `struct btf_decl_tag` (`component_idx`).
pub const DECL_TAG_LEN: usize = 4;

/// `BTF_MAX_TYPE`: the highest type id.
pub const MAX_TYPE: u32 = 0x000f_ffff;
/// `BTF_MAX_NAME_OFFSET`: the highest string offset.
pub const MAX_NAME_OFFSET: u32 = 0x00ff_ffff;
/// `BTF_MAX_VLEN` of the current uapi (24 bits).
pub const MAX_VLEN: u32 = 0x00ff_ffff;

/// Field offsets inside `struct btf_header`.
pub mod header {
    /// `__u16 magic`
    pub const MAGIC: usize = 0;
    /// `__u8 version`
    pub const VERSION: usize = 2;
    /// `__u8 flags`
    pub const FLAGS: usize = 3;
    /// `__u32 hdr_len`
    pub const HDR_LEN: usize = 4;
    /// `__u32 type_off`
    pub const TYPE_OFF: usize = 8;
    /// `__u32 type_len`
    pub const TYPE_LEN: usize = 12;
    /// `__u32 str_off`
    pub const STR_OFF: usize = 16;
    /// `__u32 str_len`
    pub const STR_LEN: usize = 20;
    /// `__u32 layout_off`
    pub const LAYOUT_OFF: usize = 24;
    /// `__u32 layout_len`
    pub const LAYOUT_LEN: usize = 28;
}

/// `BTF_INFO_KIND`: bits 24-30.
#[inline(always)]
pub fn info_kind(info: u32) -> u8 {
    ((info >> 24) & 0x7f) as u8
}

/// `BTF_INFO_VLEN`: bits 0-23.
#[inline(always)]
pub fn info_vlen(info: u32) -> u32 {
    info & 0x00ff_ffff
}

/// `BTF_INFO_KFLAG`: bit 31.
#[inline(always)]
pub fn info_kflag(info: u32) -> bool {
    info >> 31 != 0
}

/// Builds an `info` word from kind, vlen and kind flag.
#[inline]
pub fn info(kind: u8, vlen: u32, kflag: bool) -> u32 {
    ((kflag as u32) << 31) | (((kind as u32) & 0x7f) << 24) | (vlen & 0x00ff_ffff)
}

/// `BTF_INT_ENCODING`.
#[inline]
pub fn int_encoding(v: u32) -> u8 {
    ((v & 0x0f00_0000) >> 24) as u8
}
/// `BTF_INT_OFFSET`.
#[inline]
pub fn int_offset(v: u32) -> u8 {
    ((v & 0x00ff_0000) >> 16) as u8
}
/// `BTF_INT_BITS`.
#[inline]
pub fn int_bits(v: u32) -> u8 {
    (v & 0xff) as u8
}
/// Bits of the INT data word the kernel accepts (`BTF_INT_MASK` of `kernel/bpf/btf.c`):
/// encoding, offset and bits, and bits 8-15, which are unused but tolerated.
pub const INT_MASK: u32 = 0x0fff_ffff;
/// `BTF_INT_SIGNED`
pub const INT_SIGNED: u8 = 1;
/// `BTF_INT_CHAR`
pub const INT_CHAR: u8 = 2;
/// `BTF_INT_BOOL`
pub const INT_BOOL: u8 = 4;

/// `BTF_MEMBER_BITFIELD_SIZE`.
#[inline]
pub fn member_bitfield_size(offset: u32) -> u32 {
    offset >> 24
}
/// `BTF_MEMBER_BIT_OFFSET`.
#[inline]
pub fn member_bit_offset(offset: u32) -> u32 {
    offset & 0x00ff_ffff
}

/// `BTF_FUNC_STATIC`
pub const FUNC_STATIC: u32 = 0;
/// `BTF_FUNC_GLOBAL`
pub const FUNC_GLOBAL: u32 = 1;
/// `BTF_FUNC_EXTERN`
pub const FUNC_EXTERN: u32 = 2;
/// `BTF_VAR_STATIC`
pub const VAR_STATIC: u32 = 0;
/// `BTF_VAR_GLOBAL_ALLOCATED`
pub const VAR_GLOBAL_ALLOCATED: u32 = 1;
/// `BTF_VAR_GLOBAL_EXTERN`
pub const VAR_GLOBAL_EXTERN: u32 = 2;
