//! The body of the `formats_load` fuzz target, shared with `tests/tests/fuzz_known.rs`,
//! which runs it on the inputs saved under `fuzz/known/`.

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

/// Loads `data` after its first byte, which chooses the parser (so one corpus covers all
/// three), into fixed slots: it must not panic, and a failed load must leave every slot
/// unchanged. Whether it loaded.
pub fn run(data: &[u8]) -> bool {
    let Some((&which, bytes)) = data.split_first() else {
        return false;
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
    ok
}
