//! bpftool raw format.
