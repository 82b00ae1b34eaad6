//! `formats::load_safetensors`, `load_npz` and `load_npy` on arbitrary bytes into fixed
//! slots: never a panic, and all or nothing (an error leaves every slot unchanged). The
//! body is `fuzz/src/formats_load.rs`, which `tests/tests/fuzz_known.rs` also runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../src/formats_load.rs"]
mod formats_load;

fuzz_target!(|data: &[u8]| {
    formats_load::run(data);
});
