//! Typed errors of parsing and validation: which rule failed, on which type, at which byte.

use crate::id::TypeId;
use crate::kind::Kind;
use std::fmt;

/// Defines [`Rule`] and [`Rule::ALL`] from one list, so that the list of every rule
/// (which the validation catalogue checks it has a case for) cannot drift from the enum.
macro_rules! rules {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The rule a BTF blob broke. One variant per distinct check, so callers and tests
        /// can tell failures apart without parsing messages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $name,)*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$name,)*];
        }
    };
}

rules! {
    // --- header and sections ---
    /// The blob is shorter than the header it announces (or than 24 bytes).
    HeaderTruncated,
    /// The magic is neither `0xeB9F` nor its byte swap.
    BadMagic,
    /// `version` is not 1.
    BadVersion,
    /// `flags` is not 0.
    BadFlags,
    /// `hdr_len` is smaller than the classic header or larger than the blob.
    BadHeaderLen,
    /// Header bytes past the fields this crate knows are not zero.
    HeaderTailNotZero,
    /// A section extends past the end of the blob.
    SectionOutOfBounds,
    /// Two sections overlap.
    SectionOverlap,
    /// Bytes between or after the sections belong to no section.
    SectionGap,
    /// The type section does not start on a 4-byte boundary.
    TypeSectionMisaligned,
    /// The string section is not the last part of the blob.
    StringSectionNotLast,
    /// The layout section is misaligned, has a partial entry, or contradicts a known kind.
    BadLayoutSection,
    /// A base BTF blob has no types at all.
    NoTypes,
    /// A base string section is empty, or does not start with the empty string.
    StringSectionNoLeadingNul,
    /// The string section does not end with a NUL byte.
    StringSectionNotTerminated,
    /// The string section is larger than `BTF_MAX_NAME_OFFSET`.
    StringSectionTooLarge,
    // --- type records ---
    /// A type record (or its trailing data) runs past the end of the type section.
    TypeTruncated,
    /// Kind 0, or a kind this crate does not know and no layout section describes.
    UnknownKind,
    /// More types than `BTF_MAX_TYPE`.
    TooManyTypes,
    /// `vlen` is non-zero for a kind that has no trailing elements, or too large.
    BadVlen,
    /// The kind flag is set on a kind that does not allow it.
    BadKindFlag,
    /// The `size` field has a value the kind does not allow.
    BadSize,
    /// The `type` field of a kind that has none is not 0.
    UnexpectedTypeField,
    // --- names ---
    /// A string offset is past the end of the string section(s).
    NameOffsetOutOfRange,
    /// A split BTF string offset points into the middle of a base string: the split was
    /// not built against this base.
    NameInsideBaseString,
    /// A name is required here but is empty.
    MissingName,
    /// A name is present where the kind forbids one.
    UnexpectedName,
    /// A name has characters the kernel does not allow here.
    InvalidName,
    // --- references ---
    /// A type id is not smaller than the number of types.
    TypeIdOutOfRange,
    /// A type id refers to a type of a kind that is not allowed there.
    BadReferencedKind,
    /// A chain of modifiers loops or is longer than the kernel follows.
    ReferenceLoop,
    /// A TYPE_TAG follows a modifier other than a TYPE_TAG.
    TypeTagAfterModifier,
    // --- per-kind rules ---
    /// INT data word has bits outside the defined fields.
    IntBadData,
    /// INT bits + offset exceed 128 or the type's size.
    IntBadBits,
    /// INT encoding is not one of none, SIGNED, CHAR, BOOL.
    IntBadEncoding,
    /// ARRAY index type is not a regular INT.
    ArrayBadIndexType,
    /// ARRAY element type is not a sized data type.
    ArrayBadElemType,
    /// ARRAY total size overflows 32 bits.
    ArraySizeOverflow,
    /// A STRUCT/UNION member's offset is decreasing, misaligned or past the type's size.
    MemberBadOffset,
    /// A member's bitfield size is invalid for its type.
    MemberBadBitfield,
    /// A member extends past the end of its STRUCT/UNION.
    MemberExceedsSize,
    /// ENUM/ENUM64 size is not a power of two up to 8.
    EnumBadSize,
    /// FUNC linkage is not static or global.
    FuncBadLinkage,
    /// FUNC_PROTO return or parameter types are invalid.
    FuncProtoBadParam,
    /// VAR linkage is not static or global-allocated.
    VarBadLinkage,
    /// A DATASEC entry's offset or size is invalid.
    DatasecBadEntry,
    /// DECL_TAG component index is out of range for its target.
    DeclTagBadComponent,
}

/// Where in the input an error was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The `.BTF` blob (raw file, ELF section, or sysfs file).
    Btf,
    /// The `.BTF.base` blob of an ELF file.
    BtfBase,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::Btf => ".BTF",
            Section::BtfBase => ".BTF.base",
        })
    }
}

/// A BTF parse or validation error: the rule, the type it concerns (if any), the byte
/// offset in the blob, and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.0)]
pub struct Error(Box<ErrorData>);

/// The fields of an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorData {
    /// The rule that failed.
    pub rule: Rule,
    /// The type the error concerns, with its kind and name.
    pub type_ref: Option<(TypeId, Kind, String)>,
    /// Byte offset from the start of the blob.
    pub offset: usize,
    /// Which blob.
    pub section: Section,
    /// What exactly is wrong.
    pub detail: String,
}

impl fmt::Display for ErrorData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((id, kind, name)) = &self.type_ref {
            let name = if name.is_empty() {
                "(anon)".into()
            } else {
                crate::escape::escape(name)
            };
            write!(f, "{kind} [{id}] '{name}' ")?;
        }
        write!(
            f,
            "{} (at {}+{:#x})",
            self.detail, self.section, self.offset
        )
    }
}

impl Error {
    /// An error that concerns the blob as a whole (header, sections).
    #[cold]
    pub fn blob(rule: Rule, offset: usize, detail: impl Into<String>) -> Error {
        Error(Box::new(ErrorData {
            rule,
            type_ref: None,
            offset,
            section: Section::Btf,
            detail: detail.into(),
        }))
    }

    /// An error that concerns one type.
    #[cold]
    pub fn at_type(
        rule: Rule,
        id: TypeId,
        kind: Kind,
        name: impl Into<String>,
        offset: usize,
        detail: impl Into<String>,
    ) -> Error {
        Error(Box::new(ErrorData {
            rule,
            type_ref: Some((id, kind, name.into())),
            offset,
            section: Section::Btf,
            detail: detail.into(),
        }))
    }

    /// The same error, attributed to another blob (for example `.BTF.base`).
    pub fn in_section(mut self, section: Section) -> Error {
        self.0.section = section;
        self
    }

    /// The rule that failed.
    pub fn rule(&self) -> Rule {
        self.0.rule
    }

    /// The type the error concerns, if any.
    pub fn type_id(&self) -> Option<TypeId> {
        self.0.type_ref.as_ref().map(|t| t.0)
    }

    /// Byte offset from the start of the blob.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// All fields.
    pub fn data(&self) -> &ErrorData {
        &self.0
    }
}

/// Result of parsing or validating BTF.
pub type Result<T, E = Error> = std::result::Result<T, E>;
