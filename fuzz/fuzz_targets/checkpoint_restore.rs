//! `checkpoint::restore` on arbitrary bytes: never a panic; an error leaves the slices
//! untouched; an accepted image is the one `save` writes for the restored values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackgrad::checkpoint::{restore, save};

const SENTINEL: f32 = 12345.0;

fuzz_target!(|data: &[u8]| {
    let (mut a, mut b) = ([SENTINEL; 3], [SENTINEL; 5]);
    let r = restore::<f32>(data, &mut [&mut a[..], &mut b[..]]);
    match r {
        Err(_) => assert!(
            a.iter().chain(&b).all(|&x| x == SENTINEL),
            "a refused image changed a slice"
        ),
        Ok(()) => {
            let mut out = [0u8; 64];
            let n = save::<f32>(&[&a[..], &b[..]], &mut out).expect("saving restored values");
            assert_eq!(
                &out[..n],
                &data[..n],
                "restore accepted an image save would not write"
            );
        }
    }
});
