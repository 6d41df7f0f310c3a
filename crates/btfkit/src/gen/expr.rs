//! DWARF expressions decoded into operations the way libdw's `__libdw_intern_expression`
//! does (one `Dwarf_Op` per operation: the opcode and its decoded operands), which is
//! what pahole's location analysis looks at. An expression with an unknown opcode or a
//! truncated operand fails as a whole, as in libdw.

/// One decoded operation (`Dwarf_Op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op<'a> {
    /// The opcode.
    pub atom: u8,
    /// First operand (or the length of a block operand).
    pub number: u64,
    /// Second operand.
    pub number2: u64,
    /// The block operand of `DW_OP_entry_value` / `DW_OP_GNU_entry_value` /
    /// `DW_OP_implicit_value` / `DW_OP_const_type`.
    pub block: &'a [u8],
}

pub(crate) const DW_OP_ADDR: u8 = 0x03;
pub(crate) const DW_OP_CONSTU: u8 = 0x10;
pub(crate) const DW_OP_CONSTS: u8 = 0x11;
pub(crate) const DW_OP_PLUS_UCONST: u8 = 0x23;
pub(crate) const DW_OP_LIT0: u8 = 0x30;
pub(crate) const DW_OP_LIT31: u8 = 0x4f;
pub(crate) const DW_OP_REG0: u8 = 0x50;
pub(crate) const DW_OP_REG1: u8 = 0x51;
pub(crate) const DW_OP_REG31: u8 = 0x6f;
pub(crate) const DW_OP_BREG0: u8 = 0x70;
pub(crate) const DW_OP_BREG31: u8 = 0x8f;
pub(crate) const DW_OP_FBREG: u8 = 0x91;
pub(crate) const DW_OP_PIECE: u8 = 0x93;
pub(crate) const DW_OP_STACK_VALUE: u8 = 0x9f;
pub(crate) const DW_OP_ENTRY_VALUE: u8 = 0xa3;
pub(crate) const DW_OP_ADDRX: u8 = 0xa1;
pub(crate) const DW_OP_GNU_ENTRY_VALUE: u8 = 0xf3;

/// Most operations kept per expression, against hostile input (libdw has no limit, but
/// an expression is at most a few dozen operations in practice).
const MAX_OPS: usize = 1 << 16;

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    big: bool,
}

impl<'a> Cursor<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn fixed(&mut self, n: usize) -> Option<u64> {
        let v = crate::dwarf::read_n(self.data, self.pos, n, self.big)?;
        self.pos += n;
        Some(v)
    }
    fn signed(&mut self, n: usize) -> Option<u64> {
        let v = self.fixed(n)?;
        let shift = 64 - 8 * n as u32;
        Some((((v << shift) as i64) >> shift) as u64)
    }
    fn uleb(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift < 64 {
                v |= ((b & 0x7f) as u64) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
    }
    fn sleb(&mut self) -> Option<u64> {
        let mut v = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.u8()?;
            if shift < 64 {
                v |= ((b & 0x7f) as i64) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Some(v as u64);
            }
        }
    }
    fn block(&mut self, len: u64) -> Option<&'a [u8]> {
        let len = usize::try_from(len).ok()?;
        let b = self.data.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(b)
    }
}

/// Decodes `data` into operations; `None` when libdw would refuse it.
pub(crate) fn decode<'a>(
    data: &'a [u8],
    addr_size: u8,
    offset_size: u8,
    big: bool,
) -> Option<Vec<Op<'a>>> {
    let mut c = Cursor { data, pos: 0, big };
    let mut ops = Vec::new();
    let addr = addr_size as usize;
    let offs = offset_size as usize;
    while c.pos < data.len() {
        if ops.len() >= MAX_OPS {
            return None;
        }
        let atom = c.u8()?;
        let mut op = Op {
            atom,
            number: 0,
            number2: 0,
            block: &[],
        };
        match atom {
            0x03 => op.number = c.fixed(addr)?,            // addr
            0x08 => op.number = c.fixed(1)?,               // const1u
            0x09 => op.number = c.signed(1)?,              // const1s
            0x0a => op.number = c.fixed(2)?,               // const2u
            0x0b => op.number = c.signed(2)?,              // const2s
            0x0c => op.number = c.fixed(4)?,               // const4u
            0x0d => op.number = c.signed(4)?,              // const4s
            0x0e => op.number = c.fixed(8)?,               // const8u
            0x0f => op.number = c.signed(8)?,              // const8s
            0x10 => op.number = c.uleb()?,                 // constu
            0x11 => op.number = c.sleb()?,                 // consts
            0x15 | 0x94 | 0x95 => op.number = c.fixed(1)?, // pick, deref_size, xderef_size
            0x23 => op.number = c.uleb()?,                 // plus_uconst
            0x2f | 0x28 => op.number = c.signed(2)?,       // skip, bra
            0x70..=0x8f | 0x91 => op.number = c.sleb()?,   // breg*, fbreg
            0x90 | 0x93 => op.number = c.uleb()?,          // regx, piece
            0x92 => {
                // bregx
                op.number = c.uleb()?;
                op.number2 = c.sleb()?;
            }
            0x9d => {
                // bit_piece
                op.number = c.uleb()?;
                op.number2 = c.uleb()?;
            }
            0x98 => op.number = c.fixed(2)?,    // call2
            0x99 => op.number = c.fixed(4)?,    // call4
            0x9a => op.number = c.fixed(offs)?, // call_ref
            0x9e => {
                // implicit_value
                op.number = c.uleb()?;
                op.block = c.block(op.number)?;
            }
            0xa3 | 0xf3 => {
                // entry_value, GNU_entry_value
                op.number = c.uleb()?;
                op.block = c.block(op.number)?;
            }
            0xa4 | 0xf4 => {
                // const_type, GNU_const_type
                op.number = c.uleb()?;
                let n = c.u8()?;
                op.number2 = n as u64;
                op.block = c.block(n as u64)?;
            }
            0xa5 | 0xf5 => {
                // regval_type, GNU_regval_type
                op.number = c.uleb()?;
                op.number2 = c.uleb()?;
            }
            0xa6 | 0xf6 | 0xa7 => {
                // deref_type, GNU_deref_type, xderef_type
                op.number = c.fixed(1)?;
                op.number2 = c.uleb()?;
            }
            0xa8 | 0xa9 | 0xf7 | 0xf9 => op.number = c.uleb()?, // convert, reinterpret (+GNU)
            0xa0 | 0xf2 => {
                // implicit_pointer, GNU_implicit_pointer
                op.number = c.fixed(offs)?;
                op.number2 = c.sleb()?;
            }
            0xfd => op.number = c.fixed(offs)?, // GNU_variable_value
            0xa1 | 0xa2 | 0xfb | 0xfc => op.number = c.uleb()?, // addrx, constx (+GNU)
            0xfa => op.number = c.fixed(4)?,    // GNU_parameter_ref
            // No operands.
            0x06
            | 0x12..=0x14
            | 0x16..=0x22
            | 0x24..=0x27
            | 0x29..=0x2e
            | 0x30..=0x6f
            | 0x96
            | 0x97
            | 0x9b
            | 0x9c
            | 0x9f
            | 0xe0
            | 0xf0 => {}
            _ => return None,
        }
        ops.push(op);
    }
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_common_operations() {
        // DW_OP_addr 0x1000 (8 bytes LE), DW_OP_plus_uconst 16
        let ops = decode(&[0x03, 0, 0x10, 0, 0, 0, 0, 0, 0, 0x23, 0x10], 8, 4, false).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!((ops[0].atom, ops[0].number), (DW_OP_ADDR, 0x1000));
        assert_eq!((ops[1].atom, ops[1].number), (DW_OP_PLUS_UCONST, 16));
        // DW_OP_breg7 -8, DW_OP_stack_value
        let ops = decode(&[0x77, 0x78, 0x9f], 8, 4, false).unwrap();
        assert_eq!(ops[0].number as i64, -8);
        // DW_OP_entry_value(1: DW_OP_reg5), DW_OP_stack_value
        let ops = decode(&[0xa3, 1, 0x55, 0x9f], 8, 4, false).unwrap();
        assert_eq!(ops[0].block, &[0x55]);
        // truncated and unknown operations fail
        assert!(decode(&[0x03, 0, 0], 8, 4, false).is_none());
        assert!(decode(&[0x01], 8, 4, false).is_none());
    }
}
