//! Every record on its own: the kernel's `btf_check_all_metas` and each kind's
//! `*_check_meta` (`btf_int_check_meta`, `btf_struct_check_meta`, ...), with what every
//! kind shares taken from the kind table.

use super::*;

impl<'a, 'd, O: ByteOrder + Default> Validator<'a, 'd, O> {
    /// One pass over the type section: the kernel's `check_meta` of every record.
    pub(super) fn check_metas(&mut self) {
        let types = self.types;
        let n = self.btf.type_count() as usize;
        self.ent = vec![Ent::default(); n];
        let mut pos = 0usize;
        for idx in 0..n {
            if pos + raw::TYPE_LEN > types.len() {
                break;
            }
            let h = &types[pos..pos + raw::TYPE_LEN];
            let name_off = self.order.u32(h, 0);
            let info = self.order.u32(h, 4);
            let st = self.order.u32(h, 8);
            let k = Kind(raw::info_kind(info));
            let vlen = raw::info_vlen(info) as usize;
            let (info_sz, elem_sz) = match (k.info_size(), k.elem_size()) {
                (Some(i), Some(e)) => (i, e),
                _ => self
                    .btf
                    .layout_entry(k)
                    .map_or((0, 0), |l| (l.info_sz as usize, l.elem_sz as usize)),
            };
            self.ent[idx].off = pos as u32;
            self.ent[idx].ks = u16::from(k.0);
            let id = self.start_id + idx as u32;
            if !self.meta(id, pos, name_off, info, st) {
                self.set_state(idx, FAILED);
            }
            pos += raw::TYPE_LEN + info_sz + vlen * elem_sz;
        }
    }

    /// Whether `id` may be stored in a type-id field.
    #[inline(always)]
    fn id_ok(&self, id: u32) -> bool {
        id < self.next_id && id <= raw::MAX_TYPE
    }

    /// Checks a type-id field `at` bytes into own type `id`'s record.
    #[inline(always)]
    fn type_ref(&mut self, id: u32, at: usize, target: u32, field: Field) -> bool {
        if self.id_ok(target) {
            return true;
        }
        self.ref_err(id, at, target, field);
        false
    }

    #[cold]
    fn ref_err(&mut self, id: u32, at: usize, target: u32, field: Field) {
        let label = self.label(id, field);
        let what = match (field, at) {
            (Field::Type, 12) => "element type",
            (Field::Type, 16) => "index type",
            (Field::Type, _) if self.kind_at(self.idx(id)) == Kind::FUNC_PROTO => "return type",
            (Field::Type, _) if self.kind_at(self.idx(id)) == Kind::DECL_TAG => "target type",
            _ => "type",
        };
        let detail = format!(
            "{label}{what} [{target}] does not exist: the highest type id is {}",
            self.next_id - 1
        );
        self.type_err(Rule::TypeIdOutOfRange, id, at, detail);
    }

    #[cold]
    fn vlen_err(&mut self, id: u32, info: u32) {
        let d = format!(
            "{} must have vlen 0, has {}",
            Kind(raw::info_kind(info)),
            raw::info_vlen(info)
        );
        self.type_err(Rule::BadVlen, id, 4, d);
    }

    #[cold]
    fn kflag_err(&mut self, id: u32, info: u32) {
        let d = format!(
            "{} must not have the kind flag set",
            Kind(raw::info_kind(info))
        );
        self.type_err(Rule::BadKindFlag, id, 4, d);
    }

    #[cold]
    fn simple_err(&mut self, rule: Rule, id: u32, at: usize, detail: &str) {
        self.type_err(rule, id, at, detail.to_string());
    }

    /// What the kind table says of every record of kind `k` (`f`): its name, `vlen`, kind
    /// flag, an unused `size`/`type` word, a type id there. False when a problem was
    /// found. Inlined into each arm of [`Self::meta`] with a constant kind, so the facts
    /// fold into the code.
    #[inline(always)]
    fn meta_common(&mut self, k: Kind, id: u32, name_off: u32, info: u32, st: u32) -> bool {
        let Some(f) = k.facts() else {
            return false;
        };
        let vlen = raw::info_vlen(info);
        let kflag = raw::info_kflag(info);
        let mut ok = self.name(id, 0, name_off, Field::Type, f.name_rule);
        match f.vlen {
            Vlen::Zero if vlen != 0 => {
                self.vlen_err(id, info);
                ok = false;
            }
            Vlen::Linkage if vlen > raw::FUNC_GLOBAL => {
                self.linkage_err(id, vlen);
                ok = false;
            }
            _ => {}
        }
        if kflag && !f.kflag {
            self.kflag_err(id, info);
            ok = false;
        }
        match f.size_type {
            SizeType::ZeroSize if st != 0 => {
                let d = format!("{k} size field must be 0, is {st}");
                self.type_err(Rule::BadSize, id, 8, d);
                ok = false;
            }
            SizeType::ZeroType if st != 0 => {
                let d = format!("{k} type field must be 0, is {st}");
                self.type_err(Rule::UnexpectedTypeField, id, 8, d);
                ok = false;
            }
            SizeType::Type if k == Kind::VAR && st == 0 => {
                self.simple_err(Rule::BadReferencedKind, id, 8, "VAR has type void");
                ok = false;
            }
            SizeType::Type => ok &= self.type_ref(id, 8, st, Field::Type),
            _ => {}
        }
        ok
    }

    /// The kernel's `check_meta` for the record of `id` at `p`: what the kind table says
    /// of every kind ([`Self::meta_common`]), then the kind's own `*_check_meta`. False
    /// when a problem was found.
    fn meta(&mut self, id: u32, p: usize, name_off: u32, info: u32, st: u32) -> bool {
        if id >= raw::MAX_TYPE && !self.too_many_reported {
            self.too_many_reported = true;
            let d = format!(
                "type id {id} is past the last id the kernel accepts ({}): too many types",
                raw::MAX_TYPE - 1
            );
            self.type_err(Rule::TooManyTypes, id, 0, d);
        }
        let k = Kind(raw::info_kind(info));
        let vlen = raw::info_vlen(info);
        // Each arm passes its kind as a constant (see meta_common).
        macro_rules! common {
            ($k:expr) => {
                self.meta_common($k, id, name_off, info, st)
            };
        }
        match k {
            Kind::INT => {
                let ok = common!(Kind::INT);
                self.meta_int(id, p, st) & ok
            }
            Kind::PTR => common!(Kind::PTR),
            Kind::TYPEDEF => {
                self.modifiers.push(id - self.start_id);
                common!(Kind::TYPEDEF)
            }
            Kind::VOLATILE | Kind::CONST | Kind::RESTRICT => {
                self.modifiers.push(id - self.start_id);
                common!(k)
            }
            Kind::TYPE_TAG => {
                self.modifiers.push(id - self.start_id);
                common!(Kind::TYPE_TAG)
            }
            Kind::ARRAY => {
                let mut ok = common!(Kind::ARRAY);
                let elem = self.rd(p + 12);
                let index = self.rd(p + 16);
                if elem == 0 {
                    self.simple_err(Rule::ArrayBadElemType, id, 12, "element type is void");
                    ok = false;
                } else {
                    ok &= self.type_ref(id, 12, elem, Field::Type);
                }
                if index == 0 {
                    self.simple_err(Rule::ArrayBadIndexType, id, 16, "index type is void");
                    ok = false;
                } else {
                    ok &= self.type_ref(id, 16, index, Field::Type);
                }
                ok
            }
            Kind::STRUCT | Kind::UNION => {
                let ok = common!(k);
                let req = k.facts().and_then(|f| f.elem_name);
                self.meta_struct(id, p, info, st, req.unwrap_or(NameRule::Any)) & ok
            }
            Kind::ENUM | Kind::ENUM64 => {
                let mut ok = common!(k);
                if st > 8 || !st.is_power_of_two() {
                    let d = format!("size {st} is not 1, 2, 4 or 8");
                    self.type_err(Rule::EnumBadSize, id, 8, d);
                    ok = false;
                }
                let Some(f) = k.facts() else { return false };
                let esz = f.elem_size as usize;
                let req = f.elem_name.unwrap_or(NameRule::Any);
                let types = self.types;
                let values = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + esz * vlen as usize];
                for (i, v) in values.chunks_exact(esz).enumerate() {
                    let n = self.order.u32(v, 0);
                    ok &= self.name(id, raw::TYPE_LEN + i * esz, n, Field::Value(i), req);
                }
                ok
            }
            Kind::FWD => common!(Kind::FWD),
            Kind::FUNC => {
                let ok = common!(Kind::FUNC);
                if ok && st < id {
                    self.resolve_func_early(id, st)
                } else {
                    ok
                }
            }
            Kind::FUNC_PROTO => {
                let ok = common!(Kind::FUNC_PROTO);
                let req = Kind::FUNC_PROTO.facts().and_then(|f| f.elem_name);
                self.meta_func_proto(id, p, info, req.unwrap_or(NameRule::Any)) & ok
            }
            Kind::VAR => {
                let ok = common!(Kind::VAR);
                let linkage = self.rd(p + raw::TYPE_LEN);
                if linkage != raw::VAR_STATIC && linkage != raw::VAR_GLOBAL_ALLOCATED {
                    let d = format!(
                        "linkage {linkage} is not static (0) or global allocated (1){}",
                        if linkage == raw::VAR_GLOBAL_EXTERN {
                            "; the kernel rejects extern VARs"
                        } else {
                            ""
                        }
                    );
                    self.type_err(Rule::VarBadLinkage, id, raw::TYPE_LEN, d);
                    return false;
                }
                ok
            }
            Kind::DATASEC => {
                let ok = common!(Kind::DATASEC);
                self.meta_datasec(id, p, info, st) & ok
            }
            Kind::FLOAT => {
                let ok = common!(Kind::FLOAT);
                if !matches!(st, 2 | 4 | 8 | 12 | 16) {
                    let d = format!("FLOAT size {st} is not 2, 4, 8, 12 or 16");
                    self.type_err(Rule::BadSize, id, 8, d);
                    return false;
                }
                ok
            }
            Kind::DECL_TAG => {
                let ok = common!(Kind::DECL_TAG);
                let comp = self.rd(p + raw::TYPE_LEN) as i32;
                if comp < -1 {
                    let d = format!("component_idx {comp} is below -1");
                    self.type_err(Rule::DeclTagBadComponent, id, raw::TYPE_LEN, d);
                    return false;
                }
                ok
            }
            _ => {
                let d = format!(
                    "kind {} is not a kind the kernel knows (1..={})",
                    k.0,
                    Kind::MAX_KNOWN
                );
                self.type_err(Rule::UnknownKind, id, 4, d);
                false
            }
        }
    }

    #[cold]
    fn linkage_err(&mut self, id: u32, vlen: u32) {
        let d = format!(
            "linkage {vlen} is not static (0) or global (1){}",
            if vlen == raw::FUNC_EXTERN {
                "; the kernel rejects extern FUNCs"
            } else {
                ""
            }
        );
        self.type_err(Rule::FuncBadLinkage, id, 4, d);
    }

    fn meta_int(&mut self, id: u32, p: usize, st: u32) -> bool {
        let mut ok = true;
        let data = self.rd(p + raw::TYPE_LEN);
        if data & !raw::INT_MASK != 0 {
            let d = format!(
                "INT data {data:#010x} has bits set outside {:#010x}",
                raw::INT_MASK
            );
            self.type_err(Rule::IntBadData, id, raw::TYPE_LEN, d);
            ok = false;
        }
        let bits = raw::int_bits(data) as u32;
        let boff = raw::int_offset(data) as u32;
        let nr_bits = bits + boff;
        if nr_bits > 128 {
            let d = format!("bits {bits} + bit offset {boff} = {nr_bits} exceeds 128");
            self.type_err(Rule::IntBadBits, id, raw::TYPE_LEN, d);
            ok = false;
        } else if roundup_bytes(nr_bits) > st {
            let d = format!(
                "bits {bits} + bit offset {boff} = {nr_bits} bits do not fit in size {st} bytes"
            );
            self.type_err(Rule::IntBadBits, id, raw::TYPE_LEN, d);
            ok = false;
        }
        let enc = raw::int_encoding(data);
        if !matches!(enc, 0 | raw::INT_SIGNED | raw::INT_CHAR | raw::INT_BOOL) {
            let d = format!("encoding {enc:#x} is not one of none, SIGNED (1), CHAR (2), BOOL (4)");
            self.type_err(Rule::IntBadEncoding, id, raw::TYPE_LEN, d);
            ok = false;
        }
        if self.own_ptr_size.is_none() {
            if let Some(t) = self.btf.type_by_id(TypeId(id)) {
                self.own_ptr_size = long_size(self.btf, &t);
            }
        }
        ok
    }

    /// `btf_struct_check_meta`: member names (`req`), types and offsets.
    fn meta_struct(&mut self, id: u32, p: usize, info: u32, size: u32, req: NameRule) -> bool {
        let mut ok = true;
        let is_union = Kind(raw::info_kind(info)) == Kind::UNION;
        let kflag = raw::info_kflag(info);
        let mut last = 0u32;
        let types = self.types;
        let n = raw::info_vlen(info) as usize;
        let members = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::MEMBER_LEN * n];
        for (i, m) in members.chunks_exact(raw::MEMBER_LEN).enumerate() {
            let at = raw::TYPE_LEN + raw::MEMBER_LEN * i;
            let name_off = self.order.u32(m, 0);
            let mtype = self.order.u32(m, 4);
            let raw_off = self.order.u32(m, 8);
            ok &= self.name(id, at, name_off, Field::Member(i), req);
            if mtype == 0 {
                self.member_void(id, i);
                ok = false;
            } else if !self.id_ok(mtype) {
                self.ref_err(id, at + 4, mtype, Field::Member(i));
                ok = false;
            }
            let off = if kflag {
                raw::member_bit_offset(raw_off)
            } else {
                raw_off
            };
            if (is_union && off != 0) || last > off || roundup_bytes(off) > size {
                self.member_offset_err(id, i, off, last, is_union, size);
                ok = false;
            } else {
                last = off;
            }
        }
        ok
    }

    #[cold]
    fn member_void(&mut self, id: u32, i: usize) {
        let d = format!("{}member type is void", self.label(id, Field::Member(i)));
        self.type_err(
            Rule::BadReferencedKind,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 4,
            d,
        );
    }

    #[cold]
    fn member_offset_err(
        &mut self,
        id: u32,
        i: usize,
        off: u32,
        last: u32,
        is_union: bool,
        size: u32,
    ) {
        let label = self.label(id, Field::Member(i));
        let d = if is_union && off != 0 {
            format!("{label}bit offset {off}: UNION members must be at offset 0")
        } else if last > off {
            format!("{label}bit offset {off} is below the previous member's {last}: offsets must not decrease")
        } else {
            format!(
                "{label}bit offset {off} is past the end of the {size}-byte {}",
                if is_union { "union" } else { "struct" }
            )
        };
        self.type_err(
            Rule::MemberBadOffset,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 8,
            d,
        );
    }

    /// `btf_func_proto_check_meta`: parameter names (`req`) and types; `...` last.
    fn meta_func_proto(&mut self, id: u32, p: usize, info: u32, req: NameRule) -> bool {
        let mut ok = true;
        let n = raw::info_vlen(info) as usize;
        let mut unnamed = false;
        let types = self.types;
        let params = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::PARAM_LEN * n];
        for (i, q) in params.chunks_exact(raw::PARAM_LEN).enumerate() {
            let at = raw::TYPE_LEN + raw::PARAM_LEN * i;
            let name_off = self.order.u32(q, 0);
            let ty = self.order.u32(q, 4);
            if ty == 0 {
                if i + 1 < n {
                    self.vararg_err(id, i, at + 4, false);
                    ok = false;
                } else if name_off != 0 {
                    self.vararg_err(id, i, at, true);
                    ok = false;
                }
                continue;
            }
            unnamed |= name_off == 0;
            ok &= self.name(id, at, name_off, Field::Param(i), req);
            if !self.id_ok(ty) {
                self.ref_err(id, at + 4, ty, Field::Param(i));
                ok = false;
            }
        }
        if unnamed {
            let idx = self.idx(id);
            self.ent[idx].ks |= u16::from(UNNAMED_PARAM) << 8;
        }
        ok
    }

    #[cold]
    fn vararg_err(&mut self, id: u32, i: usize, at: usize, named: bool) {
        let label = self.label(id, Field::Param(i));
        let d = if named {
            format!("{label}the '...' parameter (type void) must have no name")
        } else {
            format!(
                "{label}type is void, which means '...' and is only allowed for the last parameter"
            )
        };
        self.type_err(Rule::FuncProtoBadParam, id, at, d);
    }

    /// `btf_datasec_check_meta`: a size, entries in order inside it.
    fn meta_datasec(&mut self, id: u32, p: usize, info: u32, size: u32) -> bool {
        let mut ok = true;
        if size == 0 {
            self.simple_err(Rule::BadSize, id, 8, "DATASEC size is 0");
            ok = false;
        }
        let mut last_end = 0u64;
        let mut sum = 0u64;
        for i in 0..raw::info_vlen(info) as usize {
            let at = raw::TYPE_LEN + raw::VAR_SECINFO_LEN * i;
            let ty = self.rd(p + at);
            let off = self.rd(p + at + 4);
            let sz = self.rd(p + at + 8);
            let bad = if ty == 0 {
                Some((at, "type is void".to_string()))
            } else if !self.id_ok(ty) {
                self.ref_err(id, at, ty, Field::Type);
                ok = false;
                None
            } else if u64::from(off) < last_end || off >= size {
                Some((
                    at + 4,
                    if u64::from(off) < last_end {
                        format!("offset {off} is below the end of the previous entry ({last_end})")
                    } else {
                        format!("offset {off} is past the end of the {size}-byte section")
                    },
                ))
            } else if sz == 0 || sz > size {
                Some((
                    at + 8,
                    format!("size {sz} is 0 or larger than the {size}-byte section"),
                ))
            } else if u64::from(off) + u64::from(sz) > u64::from(size) {
                Some((
                    at + 8,
                    format!("offset {off} + size {sz} exceeds the {size}-byte section"),
                ))
            } else {
                last_end = u64::from(off) + u64::from(sz);
                sum += u64::from(sz);
                None
            };
            if let Some((pos, what)) = bad {
                let d = format!("entry {i} (type [{ty}]): {what}");
                self.type_err(Rule::DatasecBadEntry, id, pos, d);
                ok = false;
            }
        }
        if sum > u64::from(size) {
            let d = format!("entry sizes add up to {sum}, more than the section size {size}");
            self.type_err(Rule::DatasecBadEntry, id, 8, d);
            ok = false;
        }
        ok
    }
}
