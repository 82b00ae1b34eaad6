//! `formats::load_safetensors`, `load_npz` and `load_npy` on arbitrary bytes into fixed
//! slots: never a panic, and all or nothing (an error leaves every slot unchanged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackgrad_std::formats::{load_npy, load_npz, load_safetensors, Slot};

const SENTINEL: f32 = 12345.0;

fn slots<'a>(a: &'a mut [f32; 6], b: &'a mut [f32; 3]) -> [Slot<'a>; 2] {
    [
        Slot {
            name: "w",
            rows: 2,
            cols: 3,
            data: a,
        },
        Slot {
            name: "b",
            rows: 3,
            cols: 1,
            data: b,
        },
    ]
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the parser, so one corpus covers all three.
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let (mut a, mut b) = ([SENTINEL; 6], [SENTINEL; 3]);
    let ok = {
        let mut s = slots(&mut a, &mut b);
        match which % 3 {
            0 => load_safetensors(bytes, &mut s).is_ok(),
            1 => load_npz(bytes, &mut s).is_ok(),
            _ => load_npy(bytes, &mut s[0]).is_ok(),
        }
    };
    if !ok {
        assert!(
            a.iter().chain(&b).all(|&x| x == SENTINEL),
            "a failed load changed a slot"
        );
    }
});
