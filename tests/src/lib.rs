//! Integration tests live in `tests/`.

/// The repository README's examples, compiled and run as documentation tests (the
/// `stackgrad` crate documents itself with its own `core/README.md`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct RepositoryReadme;
