//! `Weights::from_bytes` (what `Weights::load` parses) on arbitrary bytes: never a panic,
//! an accepted file writes back to the same bytes, and its generated Rust is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackgrad_fuzz_common::check_rust;
use stackgrad_std::Weights;

#[path = "../src/common.rs"]
mod stackgrad_fuzz_common;

fuzz_target!(|data: &[u8]| {
    if let Ok(w) = Weights::from_bytes(data) {
        assert_eq!(
            w.to_bytes(),
            data,
            "an accepted file must write back unchanged"
        );
        check_rust(&w.to_rust(), w.names().count());
    }
});
