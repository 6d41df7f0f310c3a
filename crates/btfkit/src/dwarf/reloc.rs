//! Applying the relocations of a relocatable object's debug sections, as libdwfl does
//! (`__libdwfl_relocate_section`): absolute relocations get `S + A` (REL: `S` plus the
//! value in place), the add/sub pairs of riscv and loongarch combine with the value in
//! place, and a relocation against an undefined symbol is left unapplied.

use super::elf::{Layout, Src, SymbolTable};
use super::{symbol_value, DwarfError, Section, SHT_RELA};

/// What a relocation type does to the bytes it points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Nothing.
    None,
    /// Write `S + A` in `n` bytes.
    Abs(u8),
    /// Add `S + A` to the `n`-byte value in place.
    Add(u8),
    /// Subtract `S + A` from the `n`-byte value in place.
    Sub(u8),
    /// Add/subtract in the low 6 bits of the byte in place.
    Add6,
    Sub6,
    /// Write the low 6 bits of `S + A` into the byte in place.
    Set6,
    /// ULEB128 in place, keeping its length: set to, add or subtract `S + A`.
    SetUleb,
    AddUleb,
    SubUleb,
}

fn op_for(machine: u16, r_type: u32) -> Option<Op> {
    use Op::*;
    Some(match (machine, r_type) {
        (_, 0) => None,
        // x86-64
        (62, 1) => Abs(8),
        (62, 10) | (62, 11) => Abs(4),
        (62, 12) => Abs(2),
        (62, 14) => Abs(1),
        // i386
        (3, 1) => Abs(4),
        (3, 20) => Abs(2),
        (3, 22) => Abs(1),
        // arm64
        (183, 256) => None,
        (183, 257) => Abs(8),
        (183, 258) => Abs(4),
        (183, 259) => Abs(2),
        // arm
        (40, 2) => Abs(4),
        // s390
        (22, 1) => Abs(1),
        (22, 3) => Abs(2),
        (22, 4) => Abs(4),
        (22, 22) => Abs(8),
        // powerpc, powerpc64
        (20, 1) | (20, 24) | (21, 1) | (21, 24) => Abs(4),
        (21, 38) | (21, 43) => Abs(8),
        // riscv
        (243, 1) => Abs(4),
        (243, 2) => Abs(8),
        (243, 33) => Add(1),
        (243, 34) => Add(2),
        (243, 35) => Add(4),
        (243, 36) => Add(8),
        (243, 37) => Sub(1),
        (243, 38) => Sub(2),
        (243, 39) => Sub(4),
        (243, 40) => Sub(8),
        (243, 52) => Sub6,
        (243, 53) => Set6,
        (243, 54) => Abs(1),
        (243, 55) => Abs(2),
        (243, 56) => Abs(4),
        (243, 60) => SetUleb,
        (243, 61) => SubUleb,
        // loongarch
        (258, 1) => Abs(4),
        (258, 2) => Abs(8),
        (258, 47) => Add(1),
        (258, 48) => Add(2),
        (258, 49) => Add(3),
        (258, 50) => Add(4),
        (258, 51) => Add(8),
        (258, 52) => Sub(1),
        (258, 53) => Sub(2),
        (258, 54) => Sub(3),
        (258, 55) => Sub(4),
        (258, 56) => Sub(8),
        (258, 105) => Add6,
        (258, 106) => Sub6,
        (258, 107) => AddUleb,
        (258, 108) => SubUleb,
        _ => return Option::None,
    })
}

fn machine_known(machine: u16) -> bool {
    matches!(machine, 62 | 3 | 183 | 40 | 22 | 20 | 21 | 243 | 258)
}

/// Relocation entries read per chunk: the relocation section is streamed, never held
/// whole (it is larger than the section it relocates).
const CHUNK: usize = 1 << 14;

/// Size of one relocation entry of `rs`.
pub(super) fn entsize(l: Layout, rs: &Section) -> usize {
    match (l.is_64, rs.sh_type == SHT_RELA) {
        (true, true) => 24,
        (true, false) => 16,
        (false, true) => 12,
        (false, false) => 8,
    }
}

/// Number of relocation entries of `rs`.
pub(super) fn count(l: Layout, rs: &Section) -> usize {
    (rs.size / entsize(l, rs) as u64) as usize
}

/// One decoded relocation entry: offset, symbol, type, addend (RELA only).
fn decode(l: Layout, rela: bool, e: &[u8]) -> (u64, u32, u32, Option<i64>) {
    if l.is_64 {
        let info = l.u64(e, 8);
        (
            l.u64(e, 0),
            (info >> 32) as u32,
            (info & 0xffff_ffff) as u32,
            rela.then(|| l.u64(e, 16) as i64),
        )
    } else {
        let info = l.u32(e, 4);
        (
            l.u32(e, 0) as u64,
            info >> 8,
            info & 0xff,
            rela.then(|| l.u32(e, 8) as i32 as i64),
        )
    }
}

/// Calls `f` with the offset of each relocation of `rs`, in order, reading the section
/// in chunks; stops early when `f` returns `false`.
pub(super) fn offsets(
    src: Src<'_>,
    l: Layout,
    rs: &Section,
    mut f: impl FnMut(usize, u64) -> bool,
) -> Result<(), DwarfError> {
    let es = entsize(l, rs);
    let rela = rs.sh_type == SHT_RELA;
    let count = count(l, rs);
    let mut done = 0usize;
    while done < count {
        let n = CHUNK.min(count - done);
        let chunk = src.read_at(rs.offset + (done * es) as u64, n * es)?;
        for k in 0..n {
            let (offset, ..) = decode(l, rela, &chunk[k * es..(k + 1) * es]);
            if !f(done + k, offset) {
                return Ok(());
            }
        }
        done += n;
    }
    Ok(())
}

/// Applies relocations `range` of `rs` (which targets the section named `target`) to
/// `buf`, which holds that section's bytes from offset `buf_base` on.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply(
    src: Src<'_>,
    l: Layout,
    rs: &Section,
    range: std::ops::Range<usize>,
    target: &[u8],
    buf: &mut [u8],
    buf_base: u64,
    sections: &[Section],
    symtab: &SymbolTable<'_>,
    machine: u16,
) -> Result<(), DwarfError> {
    if range.is_empty() {
        return Ok(());
    }
    if !machine_known(machine) {
        return Err(DwarfError::UnsupportedMachine(machine));
    }
    let rela = rs.sh_type == SHT_RELA;
    let es = entsize(l, rs);
    let section_name = || String::from_utf8_lossy(target).into_owned();
    let mut done = range.start;
    while done < range.end {
        let n = CHUNK.min(range.end - done);
        let chunk = src.read_at(rs.offset + (done * es) as u64, n * es)?;
        for k in 0..n {
            let (offset, sym, r_type, addend) = decode(l, rela, &chunk[k * es..(k + 1) * es]);
            let index = done + k;
            let err = |reason| DwarfError::Relocation {
                section: section_name(),
                index,
                r_type,
                reason,
            };
            let op = op_for(machine, r_type).ok_or_else(|| err("unsupported relocation type"))?;
            if op == Op::None {
                continue;
            }
            let s = if sym == 0 {
                Some(0)
            } else {
                let sym = symtab
                    .get(sym as usize)
                    .ok_or_else(|| err("symbol index out of range"))?;
                symbol_value(&sym, sections)
            };
            let Some(s) = s else {
                continue; // undefined symbol: libdwfl keeps the relocation
            };
            let at = offset
                .checked_sub(buf_base)
                .and_then(|o| usize::try_from(o).ok())
                .ok_or_else(|| err("offset out of range"))?;
            patch(buf, at, op, s, addend, l.big).ok_or_else(|| err("offset out of range"))?;
        }
        done += n;
    }
    Ok(())
}

/// The `n`-byte unsigned integer at `at` of `buf` (`n` <= 8), in either byte order.
pub(crate) fn read_n(buf: &[u8], at: usize, n: usize, big: bool) -> Option<u64> {
    let b = buf.get(at..at.checked_add(n)?)?;
    let mut v = 0u64;
    if big {
        for &x in b {
            v = (v << 8) | x as u64;
        }
    } else {
        for &x in b.iter().rev() {
            v = (v << 8) | x as u64;
        }
    }
    Some(v)
}

fn write_n(buf: &mut [u8], at: usize, n: usize, v: u64, big: bool) -> Option<()> {
    let b = buf.get_mut(at..at.checked_add(n)?)?;
    for (i, x) in b.iter_mut().enumerate() {
        let shift = if big { (n - 1 - i) * 8 } else { i * 8 };
        *x = (v >> shift) as u8;
    }
    Some(())
}

/// Applies one relocation; `None` when it points outside the section.
fn patch(buf: &mut [u8], at: usize, op: Op, s: u64, addend: Option<i64>, big: bool) -> Option<()> {
    // RELA: the value is S + A. REL: the addend is the value in place (absolute kinds).
    let sa = s.wrapping_add(addend.unwrap_or(0) as u64);
    match op {
        Op::None => Some(()),
        Op::Abs(n) => {
            let n = n as usize;
            let v = match addend {
                Some(_) => sa,
                None => s.wrapping_add(read_n(buf, at, n, big)?),
            };
            write_n(buf, at, n, v, big)
        }
        Op::Add(n) | Op::Sub(n) => {
            let n = n as usize;
            let old = read_n(buf, at, n, big)?;
            let v = if matches!(op, Op::Add(_)) {
                old.wrapping_add(sa)
            } else {
                old.wrapping_sub(sa)
            };
            write_n(buf, at, n, v, big)
        }
        Op::Add6 | Op::Sub6 | Op::Set6 => {
            let b = buf.get_mut(at)?;
            let low = *b & 0x3f;
            let v = match op {
                Op::Add6 => low.wrapping_add(sa as u8),
                Op::Sub6 => low.wrapping_sub(sa as u8),
                _ => sa as u8,
            };
            *b = (*b & 0xc0) | (v & 0x3f);
            Some(())
        }
        Op::SetUleb | Op::AddUleb | Op::SubUleb => {
            // Decode the ULEB128 in place to learn its length and value.
            let mut len = 0usize;
            let mut old = 0u64;
            loop {
                let byte = *buf.get(at + len)?;
                if len < 10 {
                    old |= ((byte & 0x7f) as u64) << (7 * len);
                }
                len += 1;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            let mut v = match op {
                Op::SetUleb => sa,
                Op::AddUleb => old.wrapping_add(sa),
                _ => old.wrapping_sub(sa),
            };
            for i in 0..len {
                let mut byte = (v & 0x7f) as u8;
                v >>= 7;
                if i + 1 < len {
                    byte |= 0x80;
                }
                buf[at + i] = byte;
            }
            Some(())
        }
    }
}
