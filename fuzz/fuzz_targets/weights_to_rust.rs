//! `Weights::to_rust` on arbitrary names and values: the source must be well formed (see
//! `check_rust`): balanced delimiters, one constant per matrix with a unique identifier,
//! names only inside escaped string literals in doc comments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackgrad::nalgebra::SMatrix;
use stackgrad_fuzz_common::check_rust;
use stackgrad_std::Weights;

#[path = "../src/common.rs"]
mod stackgrad_fuzz_common;

fuzz_target!(|data: &[u8]| {
    // Records: [name length, name bytes…, 8 bytes of f64 bits for a 1×2 matrix …].
    let mut w = Weights::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len % 32).min(tail.len());
        let (name, tail) = tail.split_at(len);
        let name = String::from_utf8_lossy(name);
        let mut vals = [0.0f64; 2];
        let mut tail = tail;
        for v in &mut vals {
            if tail.len() >= 8 {
                let (b, t) = tail.split_at(8);
                *v = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                tail = t;
            }
        }
        w.add(&name, &SMatrix::<f64, 1, 2>::from_column_slice(&vals));
        rest = tail;
    }
    check_rust(&w.to_rust(), w.names().count());
});
