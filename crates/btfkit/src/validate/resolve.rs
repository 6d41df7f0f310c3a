//! References: the kernel's resolve pass (`btf_check_all_types`, `btf_resolve` with its
//! explicit stack, resolve modes and depth limit, and each kind's `*_resolve`), the
//! function prototype checks (`btf_func_proto_check`) and the modifier chains
//! (`btf_check_type_tags`).

use super::*;

impl<'a, 'd, O: ByteOrder + Default> Validator<'a, 'd, O> {
    pub(super) fn check_all_types(&mut self) {
        let n = self.ent.len();
        self.ptr_size = self.detect_ptr_size();
        for idx in 0..n {
            let st = self.state_of(idx);
            if st == FAILED {
                continue;
            }
            let k = self.kind_at(idx);
            let id = self.start_id + idx as u32;
            if k == Kind::FUNC {
                // An early FUNC: this is where the kernel resolves it.
                self.ent[idx].ks &= !(u16::from(EARLY) << 8);
            }
            if needs_resolve(k) && st != RESOLVED {
                self.resolve(id);
            }
            if k == Kind::FUNC_PROTO {
                self.func_proto_check(id);
            }
        }
    }

    /// libbpf's `determine_ptr_size`: the size of the first INT named like `long`, base
    /// types first.
    fn detect_ptr_size(&self) -> u32 {
        let mut chain = Vec::new();
        let mut b = self.btf.base();
        while let Some(x) = b {
            chain.push(x);
            b = x.base();
        }
        for base in chain.iter().rev() {
            for t in base.types() {
                if let Some(sz) = long_size(base, &t) {
                    return sz;
                }
            }
        }
        self.own_ptr_size.unwrap_or(DEFAULT_PTR_SIZE)
    }

    /// The kind of any id: void is 0.
    #[inline(always)]
    fn kind_of(&self, id: u32) -> Kind {
        if id >= self.start_id {
            self.kind_at(self.idx(id))
        } else if id == 0 {
            Kind::UNKN
        } else {
            match self.base_info.get(id as usize) {
                m if m != 0 => Kind((m >> 56) as u8 & 0x7f),
                _ => self
                    .btf
                    .type_by_id(TypeId(id))
                    .map_or(Kind::UNKN, |t| t.kind()),
            }
        }
    }

    /// Kind, `size` word and INT data word of base type `id`, memoized.
    #[inline(always)]
    fn base_info(&mut self, id: u32) -> (Kind, u32, u32) {
        fn decode(m: u64) -> (Kind, u32, u32) {
            let int = m as u32 & 0xf_ffff;
            (
                Kind((m >> 56) as u8 & 0x7f),
                (m >> 24) as u32,
                (int & 0xff) | (int >> 8 & 0xff) << 16 | (int >> 16) << 24,
            )
        }
        let m = self.base_info.get(id as usize);
        if m != 0 {
            return decode(m);
        }
        decode(self.base_info_miss(id))
    }

    /// Reads and memoizes what [`Self::base_info`] returns, encoded.
    #[inline(never)]
    fn base_info_miss(&mut self, id: u32) -> u64 {
        let (k, st, data) = match self.btf.type_by_id(TypeId(id)) {
            Some(t) => (t.kind().0, t.size(), t.int_info().map_or(0, |i| i.raw)),
            None => (0, 0, 0),
        };
        let int = (data & 0xff) | (data >> 16 & 0xff) << 8 | (data >> 24 & 0xf) << 16;
        let m = 1 << 63 | u64::from(k) << 56 | u64::from(st) << 24 | u64::from(int);
        *self.base_info.entry(id as usize, self.start_id as usize) = m;
        m
    }

    /// Kind, `size` word and INT data word of any type (void: zeros).
    #[inline(always)]
    fn info_of(&mut self, id: u32) -> (Kind, u32, u32) {
        if id >= self.start_id {
            let idx = self.idx(id);
            let k = self.kind_at(idx);
            let data = if k == Kind::INT {
                self.field(id, raw::TYPE_LEN)
            } else {
                0
            };
            (k, self.st_at(idx), data)
        } else if id == 0 {
            (Kind::UNKN, 0, 0)
        } else {
            self.base_info(id)
        }
    }

    /// The `size` word of any type (0 for an id past the last type).
    #[inline(always)]
    fn size_of(&self, id: u32) -> u32 {
        if id >= self.next_id {
            0
        } else if id >= self.start_id {
            self.st_at(self.idx(id))
        } else {
            self.btf.type_by_id(TypeId(id)).map_or(0, |t| t.size())
        }
    }

    /// The `u32` `at` bytes into the record of any type (0 for an id past the last
    /// type).
    #[inline]
    fn any_field(&self, id: u32, at: usize) -> u32 {
        if id >= self.next_id {
            0
        } else if id >= self.start_id {
            self.field(id, at)
        } else {
            self.btf
                .type_by_id(TypeId(id))
                .filter(|t| t.record().len() >= at + 4)
                .map_or(0, |t| t.u32_at(at))
        }
    }

    /// Whether `id` is an own type that already failed (its problem is reported).
    #[inline(always)]
    fn dep_failed(&self, id: u32) -> bool {
        id >= self.start_id && self.state_of(self.idx(id)) == FAILED
    }

    /// `env_type_is_resolved`: base types count as resolved, void never is.
    #[inline(always)]
    fn is_resolved(&self, id: u32) -> bool {
        if id >= self.start_id {
            self.flags_at(self.idx(id)) & (STATE_MASK | EARLY) == RESOLVED
        } else {
            id != 0
        }
    }

    /// `env_type_is_resolve_sink`.
    #[inline(always)]
    fn is_sink(&self, k: Kind) -> bool {
        match self.mode {
            Mode::Tbd => !needs_resolve(k),
            Mode::Ptr => !k.is_modifier() && k != Kind::PTR,
            Mode::StructOrArray => !k.is_modifier() && k != Kind::ARRAY && !k.is_composite(),
        }
    }

    /// The resolved id of an own type (0 while unresolved); a base id stands for itself.
    #[inline(always)]
    fn rid(&self, id: u32) -> u32 {
        if id >= self.start_id {
            self.ent[self.idx(id)].res
        } else {
            id
        }
    }

    /// The resolved size of an ARRAY.
    #[inline]
    fn array_size(&mut self, id: u32) -> u32 {
        if id >= self.start_id {
            self.ent[self.idx(id)].res
        } else {
            self.base_id_size(id).map_or(0, |x| x.1)
        }
    }

    /// `btf_type_id_size`: the sized type `id` stands for and its size, or `None` for
    /// void, FWD, FUNC, FUNC_PROTO, DECL_TAG and modifiers of those.
    #[inline(always)]
    fn id_size(&mut self, id: u32) -> Option<(u32, u32)> {
        if id >= self.start_id {
            let idx = self.idx(id);
            let k = self.kind_at(idx);
            if k.has_size() {
                return Some((id, self.st_at(idx)));
            } else if k == Kind::PTR {
                return Some((id, self.ptr_size));
            }
        }
        self.id_size_slow(id)
    }

    fn id_size_slow(&mut self, id: u32) -> Option<(u32, u32)> {
        if id == 0 {
            return None;
        }
        if id < self.start_id {
            return self.base_id_size(id);
        }
        let idx = self.idx(id);
        let k = self.kind_at(idx);
        if k.has_size() {
            Some((id, self.st_at(idx)))
        } else if k == Kind::ARRAY {
            Some((id, self.ent[idx].res))
        } else if k == Kind::PTR {
            Some((id, self.ptr_size))
        } else if k.is_modifier() || k == Kind::VAR {
            let r = self.ent[idx].res;
            if r == 0 {
                return None;
            }
            let rk = self.kind_of(r);
            if rk.has_size() {
                Some((r, self.size_of(r)))
            } else if rk == Kind::ARRAY {
                Some((r, self.array_size(r)))
            } else if rk == Kind::PTR {
                Some((r, self.ptr_size))
            } else {
                None
            }
        } else {
            None
        }
    }

    /// `btf_type_id_size` of a base type, computed as the kernel would have resolved the
    /// base, memoized, iteratively (chains of modifiers, VARs and ARRAYs).
    #[inline(always)]
    fn base_id_size(&mut self, id: u32) -> Option<(u32, u32)> {
        let m = self.base_memo.get(id as usize);
        if m & MEMO_DONE != 0 {
            return memo_decode(m);
        }
        self.base_id_size_slow(id)
    }

    /// [`Self::base_id_size`] when `id` is not memoized yet.
    #[inline(never)]
    fn base_id_size_slow(&mut self, id: u32) -> Option<(u32, u32)> {
        let btf = self.btf;
        self.path.clear();
        let mut cur = id;
        let mut res = loop {
            if cur == 0 || cur >= self.start_id || self.path.len() > self.start_id as usize {
                break None;
            }
            let m = self.base_memo.get(cur as usize);
            if m & MEMO_DONE != 0 {
                break memo_decode(m);
            }
            let Some(t) = btf.type_by_id(TypeId(cur)) else {
                break None;
            };
            let k = t.kind();
            if k.has_size() {
                break Some((cur, t.size()));
            } else if k == Kind::PTR {
                break Some((cur, self.ptr_size));
            } else if k.is_modifier() || k == Kind::VAR {
                self.path.push(cur);
                cur = t.size_or_type();
            } else if let Some(a) = t.array_info() {
                self.path.push(cur);
                cur = a.elem_type.0;
            } else {
                break None;
            }
        };
        if cur != 0 && cur < self.start_id {
            *self.base_memo.entry(cur as usize, self.start_id as usize) = memo_encode(res);
        }
        while let Some(p) = self.path.pop() {
            if let Some(t) = btf.type_by_id(TypeId(p)) {
                if let Some(a) = t.array_info() {
                    res = Some((p, res.map_or(0, |r| r.1).wrapping_mul(a.nelems)));
                }
            }
            *self.base_memo.entry(p as usize, self.start_id as usize) = memo_encode(res);
        }
        res
    }

    /// `btf_type_int_is_regular`: not a bitfield, 1, 2, 4, 8 or 16 bytes.
    fn int_is_regular(&self, id: u32) -> bool {
        let data = self.any_field(id, raw::TYPE_LEN);
        let bits = raw::int_bits(data) as u32;
        let bytes = roundup_bytes(bits);
        bits % 8 == 0 && raw::int_offset(data) == 0 && bytes <= 16 && bytes.is_power_of_two()
    }

    /// `btf_resolve`: the kernel's explicit-stack walk from `id`. False when it failed
    /// (then every type on the stack is marked failed).
    fn resolve(&mut self, id: u32) -> bool {
        self.mode = Mode::Tbd;
        self.root = id;
        self.depth = 0;
        if let Step::Fail(e) = self.push(id) {
            self.fail_stack(e);
            return false;
        }
        while self.depth > 0 {
            let v = self.stack[self.depth - 1];
            let step = match self.kind_at(self.idx(v.id)) {
                Kind::PTR
                | Kind::TYPEDEF
                | Kind::VOLATILE
                | Kind::CONST
                | Kind::RESTRICT
                | Kind::VAR
                | Kind::TYPE_TAG => self.op_ref(v),
                Kind::ARRAY => self.op_array(v),
                Kind::STRUCT | Kind::UNION => self.op_struct(v),
                Kind::FUNC => self.op_func(v),
                Kind::DATASEC => self.op_datasec(v),
                Kind::DECL_TAG => self.op_decl_tag(v),
                _ => Step::Fail(None),
            };
            if let Step::Fail(e) = step {
                self.fail_stack(e);
                return false;
            }
        }
        true
    }

    fn fail_stack(&mut self, e: Option<Error>) {
        while self.depth > 0 {
            self.depth -= 1;
            let idx = self.idx(self.stack[self.depth].id);
            self.set_state(idx, FAILED);
        }
        if let Some(e) = e {
            self.errs.push(e);
        }
    }

    /// `env_stack_push`.
    fn push(&mut self, id: u32) -> Step {
        if self.depth == MAX_RESOLVE_DEPTH {
            return Step::Fail(Some(self.depth_err(id)));
        }
        let idx = self.idx(id);
        if self.flags_at(idx) & EARLY != 0 {
            // The kernel would resolve this FUNC now: do it again, in its order.
            self.ent[idx].ks &= !((u16::from(EARLY) | u16::from(STATE_MASK)) << 8);
        }
        match self.state_of(idx) {
            NOT_VISITED => {}
            FAILED => return Step::Fail(None),
            _ => return Step::Fail(Some(self.loop_err(id))),
        }
        self.set_state(idx, VISITED);
        self.stack[self.depth] = Vertex {
            id,
            next_member: 0,
            bad: false,
        };
        self.depth += 1;
        if self.mode == Mode::Tbd {
            match self.kind_at(idx) {
                Kind::PTR => self.mode = Mode::Ptr,
                Kind::ARRAY | Kind::STRUCT | Kind::UNION => self.mode = Mode::StructOrArray,
                _ => {}
            }
        }
        Step::Ok
    }

    /// `env_stack_pop_resolved`.
    #[inline]
    fn pop(&mut self, res: u32) -> Step {
        self.depth -= 1;
        let idx = self.idx(self.stack[self.depth].id);
        self.set_state(idx, RESOLVED);
        self.ent[idx].res = res;
        Step::Ok
    }

    #[cold]
    fn path_text(&self, from: usize, to: u32) -> String {
        let mut s = String::new();
        for v in &self.stack[from..self.depth] {
            s.push_str(&self.describe(v.id));
            s.push_str(" -> ");
        }
        s.push_str(&self.describe(to));
        s
    }

    #[cold]
    fn loop_err(&self, id: u32) -> Error {
        let from = self.stack[..self.depth]
            .iter()
            .position(|v| v.id == id)
            .unwrap_or(0);
        let d = format!("reference loop: {}", self.path_text(from, id));
        self.make_err(Rule::ReferenceLoop, self.root, 8, d)
    }

    #[cold]
    fn depth_err(&self, next: u32) -> Error {
        let mut path = String::new();
        for (i, v) in self.stack[..self.depth].iter().enumerate() {
            if i < 3 || i + 2 >= self.depth {
                path.push_str(&self.describe(v.id));
                path.push_str(" -> ");
            } else if i == 3 {
                path.push_str("... -> ");
            }
        }
        path.push_str(&self.describe(next));
        let d = format!(
            "resolving this type follows more than the kernel's {MAX_RESOLVE_DEPTH} levels of not yet resolved references: {path}"
        );
        self.make_err(Rule::ReferenceLoop, self.root, 8, d)
    }

    /// PTR, modifiers and VAR: `btf_ptr_resolve`, `btf_modifier_resolve`,
    /// `btf_var_resolve`.
    fn op_ref(&mut self, v: Vertex) -> Step {
        let idx = self.idx(v.id);
        let k = self.kind_at(idx);
        let next = self.st_at(idx);
        if self.dep_failed(next) {
            return Step::Fail(None);
        }
        let nk = self.kf_kind(next);
        if source_only(nk) {
            let d = format!(
                "refers to {}: a {} cannot refer to a VAR, DATASEC or DECL_TAG",
                self.describe(next),
                k
            );
            return self.fail(Rule::BadReferencedKind, v.id, 8, d);
        }
        if !self.is_sink(nk) && !self.is_resolved(next) {
            return self.push(next);
        }
        if !k.is_modifier() && nk.is_modifier() {
            // A modifier resolved while resolving a struct may stop at a pointer that is
            // not resolved yet: continue from there to catch pointer loops.
            let r = self.rid(next);
            if r >= self.start_id && self.kind_at(self.idx(r)) == Kind::PTR {
                if self.dep_failed(r) {
                    return Step::Fail(None);
                }
                if !self.is_sink(Kind::PTR) && !self.is_resolved(r) {
                    return self.push(r);
                }
            }
        }
        match self.id_size(next) {
            Some((r, _)) => self.pop(r),
            None => {
                if k == Kind::VAR {
                    let d = format!("VAR of type {}, which has no size", self.describe(next));
                    return self.fail(Rule::BadReferencedKind, v.id, 8, d);
                }
                let mut r = next;
                let ok = if next != 0 && next < self.start_id {
                    // A base type: assumed valid, so a modifier chain (or FUNC) ending
                    // in void, FWD or FUNC_PROTO.
                    true
                } else {
                    if self.is_resolved(next) {
                        r = self.rid(next);
                    }
                    let rk = self.kf_kind(r);
                    r == 0 || rk == Kind::FWD || rk == Kind::FUNC_PROTO
                };
                if !ok {
                    let d = format!(
                        "refers to {}, which has no size and is not void, FWD or FUNC_PROTO",
                        self.describe(next)
                    );
                    return self.fail(Rule::BadReferencedKind, v.id, 8, d);
                }
                self.pop(r)
            }
        }
    }

    /// `btf_array_resolve`.
    fn op_array(&mut self, v: Vertex) -> Step {
        let elem = self.field(v.id, 12);
        let index = self.field(v.id, 16);
        let nelems = self.field(v.id, 20);
        if self.dep_failed(index) {
            return Step::Fail(None);
        }
        let ik = self.kf_kind(index);
        if nosize(ik) || source_only(ik) {
            let d = format!("index type {} is not an integer", self.describe(index));
            return self.fail(Rule::ArrayBadIndexType, v.id, 16, d);
        }
        if !self.is_sink(ik) && !self.is_resolved(index) {
            return self.push(index);
        }
        match self.id_size(index) {
            Some((r, _)) if self.kf_kind(r) == Kind::INT && self.int_is_regular(r) => {}
            _ => {
                let d = format!(
                    "index type {} is not a regular INT (1, 2, 4, 8 or 16 bytes, not a bitfield)",
                    self.describe(index)
                );
                return self.fail(Rule::ArrayBadIndexType, v.id, 16, d);
            }
        }
        if self.dep_failed(elem) {
            return Step::Fail(None);
        }
        let ek = self.kf_kind(elem);
        if nosize(ek) || source_only(ek) {
            let d = format!(
                "element type {} is not a sized data type",
                self.describe(elem)
            );
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        }
        if !self.is_sink(ek) && !self.is_resolved(elem) {
            return self.push(elem);
        }
        let Some((r, esize)) = self.id_size(elem) else {
            let d = format!("element type {} has no size", self.describe(elem));
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        };
        if self.kf_kind(r) == Kind::INT && !self.int_is_regular(r) {
            let d = format!(
                "element type {} is a bitfield INT, not a regular one",
                self.describe(r)
            );
            return self.fail(Rule::ArrayBadElemType, v.id, 12, d);
        }
        if nelems != 0 && esize > u32::MAX / nelems {
            let d = format!(
                "{nelems} elements of {esize} bytes = {} bytes overflows 32 bits",
                u64::from(nelems) * u64::from(esize)
            );
            return self.fail(Rule::ArraySizeOverflow, v.id, 20, d);
        }
        self.pop(esize * nelems)
    }

    /// Kind and state flags of any id in one load: void is `(0, 0)`, a base type counts
    /// as resolved.
    #[inline(always)]
    fn kf(&mut self, id: u32) -> (Kind, u8) {
        if id >= self.start_id {
            let v = self.ent[self.idx(id)].ks;
            (Kind(v as u8), (v >> 8) as u8)
        } else if id == 0 {
            (Kind::UNKN, 0)
        } else {
            (self.base_info(id).0, RESOLVED)
        }
    }

    /// The kind of any id, memoizing base types.
    #[inline(always)]
    fn kf_kind(&mut self, id: u32) -> Kind {
        self.kf(id).0
    }

    /// `btf_struct_resolve`, reporting every bad member.
    fn op_struct(&mut self, v: Vertex) -> Step {
        let idx = self.idx(v.id);
        let p = self.ent[idx].off as usize;
        let info = self.rd(p + 4);
        let ssize = self.st_at(idx);
        let kflag = raw::info_kflag(info);
        let vlen = raw::info_vlen(info);
        let mut bad = v.bad;
        if v.next_member > 0 {
            let i = v.next_member as usize - 1;
            let m = p + raw::TYPE_LEN + raw::MEMBER_LEN * i;
            let mt = self.rd(m + 4);
            let mk = self.kind_of(mt);
            let raw_off = self.rd(m + 8);
            if let Err(e) = self.check_member(v.id, i, kflag, mt, mk, raw_off, ssize) {
                self.errs.push(e);
                bad = true;
            }
        }
        let types = self.types;
        let members =
            &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::MEMBER_LEN * vlen as usize];
        for (i, m) in members
            .chunks_exact(raw::MEMBER_LEN)
            .enumerate()
            .skip(v.next_member as usize)
        {
            let mt = self.order.u32(m, 4);
            let (mk, mf) = self.kf(mt);
            if mf & STATE_MASK == FAILED {
                return Step::Fail(None);
            }
            if nosize(mk) || source_only(mk) {
                self.member_kind_err(v.id, i, mt);
                bad = true;
                continue;
            }
            if !self.is_sink(mk) && mf & (STATE_MASK | EARLY) != RESOLVED {
                let top = &mut self.stack[self.depth - 1];
                top.next_member = i as u32 + 1;
                top.bad = bad;
                return self.push(mt);
            }
            let raw_off = self.order.u32(m, 8);
            if self.member_fits(mt, mk, raw_off, kflag, ssize) {
                continue;
            }
            if let Err(e) = self.check_member(v.id, i, kflag, mt, mk, raw_off, ssize) {
                self.errs.push(e);
                bad = true;
            }
        }
        if bad {
            return Step::Fail(None);
        }
        self.pop(0)
    }

    /// The common cases of the kernel's member checks, decided quickly: true when the
    /// member of type `mt` (kind `mk`) with offset word `raw_off` certainly passes them.
    /// False sends it to [`Self::check_member`], which decides exactly.
    #[inline(always)]
    fn member_fits(&mut self, mt: u32, mk: Kind, raw_off: u32, kflag: bool, ssize: u32) -> bool {
        // A modifier stands for the type it resolves to.
        let t = if mk.is_modifier() {
            if mt >= self.start_id {
                self.ent[self.idx(mt)].res
            } else {
                match self.base_id_size(mt) {
                    Some((r, _)) => r,
                    None => return false,
                }
            }
        } else {
            mt
        };
        let (k, size, data) = self.info_of(t);
        let (off, bf) = if kflag {
            (
                raw::member_bit_offset(raw_off),
                raw::member_bitfield_size(raw_off),
            )
        } else {
            (raw_off, 0)
        };
        let fits = |bytes: u32| u64::from(off / 8) + u64::from(bytes) <= u64::from(ssize);
        match k {
            Kind::PTR => off % 8 == 0 && bf == 0 && fits(self.ptr_size),
            Kind::STRUCT | Kind::UNION => off % 8 == 0 && bf == 0 && fits(size),
            Kind::ARRAY => off % 8 == 0 && bf == 0 && fits(self.array_size(t)),
            Kind::ENUM if !kflag => off % 8 == 0 && fits(size),
            Kind::INT => {
                let bits = u32::from(raw::int_bits(data));
                if kflag {
                    let regular = bits % 8 == 0
                        && raw::int_offset(data) == 0
                        && roundup_bytes(bits) <= 16
                        && roundup_bytes(bits).is_power_of_two();
                    let nr = if bf == 0 { bits } else { bf };
                    regular
                        && (bf != 0 || off % 8 == 0)
                        && nr <= bits
                        && nr + off % 8 <= 128
                        && fits(roundup_bytes(nr + off % 8))
                } else {
                    let int_off = u32::from(raw::int_offset(data));
                    match raw_off.checked_add(int_off) {
                        Some(off) => {
                            bits + off % 8 <= 128
                                && u64::from(off / 8) + u64::from(roundup_bytes(bits + off % 8))
                                    <= u64::from(ssize)
                        }
                        None => false,
                    }
                }
            }
            _ => false,
        }
    }

    /// "struct" or "union", for messages.
    #[cold]
    fn sname(&self, sid: u32) -> &'static str {
        if self.kind_of(sid) == Kind::UNION {
            "union"
        } else {
            "struct"
        }
    }

    #[cold]
    fn member_kind_err(&mut self, id: u32, i: usize, mt: u32) {
        let d = format!(
            "{}type {} is not a sized data type",
            self.label(id, Field::Member(i)),
            self.describe(mt)
        );
        self.type_err(
            Rule::BadReferencedKind,
            id,
            raw::TYPE_LEN + raw::MEMBER_LEN * i + 4,
            d,
        );
    }

    /// A member error of STRUCT/UNION `sid`.
    #[cold]
    fn member_err(&self, rule: Rule, sid: u32, i: usize, at: usize, what: String) -> Error {
        let d = format!("{}{what}", self.label(sid, Field::Member(i)));
        self.make_err(rule, sid, at, d)
    }

    /// The kernel's `check_member` / `check_kflag_member` for member `i` of `sid` (of
    /// size `ssize`), whose type is `mt` of kind `k` and whose offset word is `raw_off`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn check_member(
        &mut self,
        sid: u32,
        i: usize,
        kflag: bool,
        mut mt: u32,
        mut k: Kind,
        raw_off: u32,
        ssize: u32,
    ) -> Result<(), Error> {
        let at = raw::TYPE_LEN + raw::MEMBER_LEN * i;
        if k.is_modifier() {
            match self.id_size(mt) {
                Some((r, _)) => {
                    mt = r;
                    k = self.kf_kind(r);
                }
                None => {
                    let what = format!(
                        "type {} does not resolve to a sized data type",
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::BadReferencedKind, sid, i, at + 4, what));
                }
            }
        }
        match k {
            Kind::INT => {
                let data = self.any_field(mt, raw::TYPE_LEN);
                let int_bits = raw::int_bits(data) as u32;
                let int_off = raw::int_offset(data) as u32;
                let (off, nr_bits) = if kflag {
                    if !self.int_is_regular(mt) {
                        let what = format!(
                            "type {} is not a regular INT, which a member of a STRUCT/UNION with the kind flag must be",
                            self.describe(mt)
                        );
                        return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 4, what));
                    }
                    let off = raw::member_bit_offset(raw_off);
                    let bf = raw::member_bitfield_size(raw_off);
                    if bf == 0 {
                        if off % 8 != 0 {
                            let what = format!(
                                "bit offset {off} of a non-bitfield member is not a multiple of 8"
                            );
                            return Err(self.member_err(
                                Rule::MemberBadOffset,
                                sid,
                                i,
                                at + 8,
                                what,
                            ));
                        }
                        (off, int_bits)
                    } else if bf > int_bits {
                        let what = format!(
                            "bitfield size {bf} exceeds the {int_bits} bits of its type {}",
                            self.describe(mt)
                        );
                        return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                    } else {
                        (off, bf)
                    }
                } else {
                    if u32::MAX - raw_off < int_off {
                        let what = format!(
                            "bit offset {raw_off} + INT bit offset {int_off} overflows 32 bits"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                    (raw_off + int_off, int_bits)
                };
                let bytes_off = off / 8;
                let copy_bits = nr_bits + off % 8;
                if copy_bits > 128 {
                    let what = format!(
                        "{nr_bits} bits at bit offset {off} span {copy_bits} bits, more than 128"
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                if ssize < bytes_off || ssize - bytes_off < roundup_bytes(copy_bits) {
                    let what = format!(
                        "bit offset {off} + size {nr_bits} bits exceeds {} size {ssize} bytes",
                        self.sname(sid)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            Kind::ENUM | Kind::ENUM64 if kflag => {
                let off = raw::member_bit_offset(raw_off);
                let mut nr_bits = raw::member_bitfield_size(raw_off);
                if nr_bits == 0 {
                    if off % 8 != 0 {
                        let what = format!(
                            "bit offset {off} of a non-bitfield member is not a multiple of 8"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                    nr_bits = 32;
                } else if nr_bits > 32 {
                    let what = format!(
                        "bitfield size {nr_bits} of an enum member exceeds 32 bits (the kernel's limit)"
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                if ssize < roundup_bytes(off + nr_bits) {
                    let what = format!(
                        "bit offset {off} + size {nr_bits} bits exceeds {} size {ssize} bytes",
                        self.sname(sid)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            Kind::PTR
            | Kind::ARRAY
            | Kind::STRUCT
            | Kind::UNION
            | Kind::ENUM
            | Kind::ENUM64
            | Kind::FLOAT => {
                if kflag && raw::member_bitfield_size(raw_off) != 0 {
                    let what = format!(
                        "bitfield size {} on a member of type {}, which cannot be a bitfield",
                        raw::member_bitfield_size(raw_off),
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::MemberBadBitfield, sid, i, at + 8, what));
                }
                let off = raw_off;
                let msize = match k {
                    Kind::PTR => self.ptr_size,
                    Kind::ARRAY => self.array_size(mt),
                    _ => self.size_of(mt),
                };
                if k == Kind::FLOAT {
                    let align = u64::from(self.ptr_size.min(msize)) * 8;
                    if align != 0 && u64::from(off) % align != 0 {
                        let what = format!(
                            "bit offset {off} of a {msize}-byte FLOAT is not a multiple of {align}"
                        );
                        return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                    }
                } else if off % 8 != 0 {
                    let what = format!(
                        "bit offset {off} is not a multiple of 8: a {} member must be byte-aligned",
                        k
                    );
                    return Err(self.member_err(Rule::MemberBadOffset, sid, i, at + 8, what));
                }
                if u64::from(off / 8) + u64::from(msize) > u64::from(ssize) {
                    let what = format!(
                        "bit offset {off} + size {} bits ({}) exceeds {} size {ssize} bytes",
                        self.sname(sid),
                        u64::from(msize) * 8,
                        self.describe(mt)
                    );
                    return Err(self.member_err(Rule::MemberExceedsSize, sid, i, at + 8, what));
                }
                Ok(())
            }
            _ => {
                let what = format!("type {} is not a sized data type", self.describe(mt));
                Err(self.member_err(Rule::BadReferencedKind, sid, i, at + 4, what))
            }
        }
    }

    /// `btf_func_check`: the type of FUNC `id` is a FUNC_PROTO with named parameters.
    /// `Step::Ok` when it is.
    fn func_check(&self, id: u32, proto: u32) -> Step {
        if self.dep_failed(proto) {
            return Step::Fail(None);
        }
        if self.kind_of(proto) != Kind::FUNC_PROTO {
            let d = format!("type {} is not a FUNC_PROTO", self.describe(proto));
            return self.fail(Rule::BadReferencedKind, id, 8, d);
        }
        let unnamed = if proto >= self.start_id {
            self.flags_at(self.idx(proto)) & UNNAMED_PARAM != 0
        } else {
            self.btf
                .type_by_id(TypeId(proto))
                .is_some_and(|p| p.params().any(|q| q.name_off.0 == 0 && q.type_id.0 != 0))
        };
        if unnamed {
            return Step::Fail(Some(self.unnamed_err(id, proto)));
        }
        Step::Ok
    }

    /// `btf_func_resolve`.
    fn op_func(&mut self, v: Vertex) -> Step {
        let proto = self.st_at(self.idx(v.id));
        match self.func_check(v.id, proto) {
            Step::Ok => self.pop(proto),
            fail => fail,
        }
    }

    /// Resolves FUNC `id` during the record pass when its FUNC_PROTO comes earlier (the
    /// usual order): the outcome does not depend on anything the resolve pass does.
    /// False when it failed.
    pub(super) fn resolve_func_early(&mut self, id: u32, proto: u32) -> bool {
        match self.func_check(id, proto) {
            Step::Ok => {
                let idx = self.idx(id);
                self.set_state(idx, RESOLVED);
                self.ent[idx].ks |= u16::from(EARLY) << 8;
                self.ent[idx].res = proto;
                true
            }
            Step::Fail(e) => {
                if let Some(e) = e {
                    self.errs.push(e);
                }
                false
            }
        }
    }

    #[cold]
    fn unnamed_err(&self, id: u32, proto: u32) -> Error {
        let i = self.btf.type_by_id(TypeId(proto)).map_or(0, |p| {
            p.params()
                .position(|q| q.name_off.0 == 0 && q.type_id.0 != 0)
                .unwrap_or(0)
        });
        let d = format!(
            "parameter {i} of its FUNC_PROTO [{proto}] has no name; a FUNC's parameters must be named"
        );
        self.make_err(Rule::MissingName, id, 8, d)
    }

    /// `btf_datasec_resolve`. Unlike the kernel, an entry whose VAR had to be resolved
    /// first is still checked afterwards.
    fn op_datasec(&mut self, v: Vertex) -> Step {
        self.mode = Mode::Tbd;
        let info = self.field(v.id, 4);
        let mut bad = v.bad;
        for i in v.next_member..raw::info_vlen(info) {
            let at = raw::TYPE_LEN + raw::VAR_SECINFO_LEN * i as usize;
            let vt = self.field(v.id, at);
            let vsize = self.field(v.id, at + 8);
            if self.dep_failed(vt) {
                return Step::Fail(None);
            }
            if self.kf_kind(vt) != Kind::VAR {
                let d = format!("entry {i}: {} is not a VAR", self.describe(vt));
                self.type_err(Rule::DatasecBadEntry, v.id, at, d);
                bad = true;
                continue;
            }
            if !self.is_resolved(vt) {
                let top = &mut self.stack[self.depth - 1];
                top.next_member = i;
                top.bad = bad;
                return self.push(vt);
            }
            let var_type = self.size_of(vt);
            match self.id_size(var_type) {
                None => {
                    let d = format!(
                        "entry {i}: the type {} of VAR {} has no size",
                        self.describe(var_type),
                        self.describe(vt)
                    );
                    self.type_err(Rule::DatasecBadEntry, v.id, at, d);
                    bad = true;
                }
                Some((_, size)) if vsize < size => {
                    let d = format!(
                        "entry {i}: size {vsize} is smaller than the {size} bytes of VAR {}",
                        self.describe(vt)
                    );
                    self.type_err(Rule::DatasecBadEntry, v.id, at + 8, d);
                    bad = true;
                }
                Some(_) => {}
            }
        }
        if bad {
            return Step::Fail(None);
        }
        self.pop(0)
    }

    /// `btf_decl_tag_resolve`.
    fn op_decl_tag(&mut self, v: Vertex) -> Step {
        let next = self.st_at(self.idx(v.id));
        if self.dep_failed(next) {
            return Step::Fail(None);
        }
        let nk = self.kf_kind(next);
        if !matches!(
            nk,
            Kind::FUNC | Kind::STRUCT | Kind::UNION | Kind::VAR | Kind::TYPEDEF
        ) {
            let d = format!(
                "target {} is not a STRUCT, UNION, FUNC, VAR or TYPEDEF",
                self.describe(next)
            );
            return self.fail(Rule::BadReferencedKind, v.id, 8, d);
        }
        if !self.is_sink(nk) && !self.is_resolved(next) {
            return self.push(next);
        }
        let comp = self.field(v.id, raw::TYPE_LEN) as i32;
        if comp != -1 {
            if nk == Kind::VAR || nk == Kind::TYPEDEF {
                let d = format!(
                    "component_idx {comp} on {}, which has no components (use -1)",
                    self.describe(next)
                );
                return self.fail(Rule::DeclTagBadComponent, v.id, raw::TYPE_LEN, d);
            }
            let (vlen, what) = if nk.is_composite() {
                (raw::info_vlen(self.any_field(next, 4)), "members")
            } else {
                let proto = self.size_of(next);
                (raw::info_vlen(self.any_field(proto, 4)), "parameters")
            };
            if comp as u32 >= vlen {
                let d = format!(
                    "component_idx {comp} is out of range: {} has {vlen} {what}",
                    self.describe(next)
                );
                return self.fail(Rule::DeclTagBadComponent, v.id, raw::TYPE_LEN, d);
            }
        }
        self.pop(next)
    }

    /// `btf_func_proto_check`: return and parameter types must be sized.
    fn func_proto_check(&mut self, id: u32) {
        let idx = self.idx(id);
        let ret = self.st_at(idx);
        if ret != 0 {
            if self.dep_failed(ret) {
                return;
            }
            let rk = self.kind_of(ret);
            if source_only(rk) {
                let d = format!("return type {} is not a data type", self.describe(ret));
                self.type_err(Rule::FuncProtoBadParam, id, 8, d);
            } else {
                if needs_resolve(rk) && !self.is_resolved(ret) && !self.resolve(ret) {
                    return;
                }
                if self.id_size(ret).is_none() {
                    let d = format!("return type {} has no size", self.describe(ret));
                    self.type_err(Rule::FuncProtoBadParam, id, 8, d);
                }
            }
        }
        let p = self.ent[idx].off as usize;
        let n = raw::info_vlen(self.rd(p + 4)) as usize;
        let types = self.types;
        let mut params = &types[p + raw::TYPE_LEN..p + raw::TYPE_LEN + raw::PARAM_LEN * n];
        if n > 0 && self.order.u32(params, raw::PARAM_LEN * (n - 1) + 4) == 0 {
            params = &params[..raw::PARAM_LEN * (n - 1)];
        }
        for (i, q) in params.chunks_exact(raw::PARAM_LEN).enumerate() {
            let ty = self.order.u32(q, 4);
            let (k, f) = self.kf(ty);
            // Fast path: a sized type or pointer needing no resolution.
            if (k.has_size() || k == Kind::PTR)
                && (f & (STATE_MASK | EARLY) == RESOLVED || !needs_resolve(k))
            {
                continue;
            }
            if f & STATE_MASK == FAILED {
                return;
            }
            if source_only(k) {
                self.param_err(id, i, ty, "is not a data type");
                continue;
            }
            if needs_resolve(k) && !self.is_resolved(ty) && !self.resolve(ty) {
                return;
            }
            if self.id_size(ty).is_none() {
                self.param_err(id, i, ty, "has no size");
            }
        }
    }

    #[cold]
    fn param_err(&mut self, id: u32, i: usize, ty: u32, what: &str) {
        let d = format!(
            "{}type {} {what}",
            self.label(id, Field::Param(i)),
            self.describe(ty)
        );
        self.type_err(
            Rule::FuncProtoBadParam,
            id,
            raw::TYPE_LEN + raw::PARAM_LEN * i + 4,
            d,
        );
    }

    // --- btf_check_type_tags ---

    /// TYPE_TAGs must precede the other modifiers of a chain, and a chain of modifiers
    /// has at most 32 links. Linear: a walk stops at the first id already checked.
    pub(super) fn check_type_tags(&mut self) {
        let mut good = self.start_id - 1;
        let modifiers = std::mem::take(&mut self.modifiers);
        for &idx in &modifiers {
            let idx = idx as usize;
            let v = self.ent[idx].ks;
            let k = Kind(v as u8);
            if (v >> 8) as u8 & STATE_MASK == FAILED {
                continue;
            }
            let id = self.start_id + idx as u32;
            let mut in_tags = k == Kind::TYPE_TAG;
            let mut limit = MAX_RESOLVE_DEPTH;
            let mut prev = id;
            let mut cur = id;
            let mut ck = k;
            while ck.is_modifier() {
                if limit == 0 {
                    let d = format!(
                        "the chain of modifiers starting here is longer than {MAX_RESOLVE_DEPTH} or loops"
                    );
                    self.type_err(Rule::ReferenceLoop, id, 8, d);
                    self.set_state(idx, FAILED);
                    break;
                }
                limit -= 1;
                if ck == Kind::TYPE_TAG {
                    if !in_tags {
                        let d = format!(
                            "refers to TYPE_TAG {}: type tags must come before the other modifiers of a chain",
                            self.describe(cur)
                        );
                        self.type_err(Rule::TypeTagAfterModifier, prev, 8, d);
                        if prev >= self.start_id {
                            let pidx = self.idx(prev);
                            self.set_state(pidx, FAILED);
                        }
                        break;
                    }
                } else {
                    in_tags = false;
                }
                if cur <= good {
                    break;
                }
                let next = self.size_of(cur);
                if self.dep_failed(next) {
                    break;
                }
                prev = cur;
                cur = next;
                ck = self.kind_of(cur);
            }
            good = id;
        }
    }
}
