//! Host examples live in `examples/`.
