//! Text renderings of BTF: bpftool's `format raw` and a JSON form.

pub mod raw;
