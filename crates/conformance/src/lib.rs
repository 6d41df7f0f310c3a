//! libbpf oracle.
