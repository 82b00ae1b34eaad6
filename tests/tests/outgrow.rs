//! The network trained in JAX, loaded from `.safetensors`, computes the same logits in
//! stackgrad (to 1e-5), and a wrong file is refused without loading anything.

use stackgrad::nn::Layer;
use stackgrad_examples::outgrow::{load_jax_digits, JAX_DIGITS};
use stackgrad_std::formats::{load_safetensors, Slot};

#[test]
fn jax_logits_are_reproduced() {
    let (net, r) = load_jax_digits(JAX_DIGITS).expect("the checked-in file loads");
    let ours = net.eval(&r.x.transpose()); // 10 × CHECK, one column per image
    let theirs = r.logits.transpose();
    let worst = (ours - theirs).amax();
    assert!(worst < 1e-5, "largest logit difference {worst}");
    assert!(theirs.amax() > 1.0, "the reference logits are not trivial");
}

#[test]
fn a_wrong_shape_or_name_loads_nothing() {
    let mut w = stackgrad::nalgebra::SMatrix::<f32, 64, 32>::repeat(7.0); // transposed
    let mut b = stackgrad::nalgebra::SVector::<f32, 32>::repeat(7.0);
    let r = load_safetensors(
        JAX_DIGITS,
        &mut [
            Slot::matrix("0.bias", &mut b),
            Slot::matrix("0.weight", &mut w),
        ],
    );
    assert!(r.is_err());
    assert!(
        b.iter().chain(w.iter()).all(|&v| v == 7.0),
        "nothing loaded half-way"
    );
    let mut m = stackgrad::nalgebra::SVector::<f32, 32>::zeros();
    assert!(load_safetensors(JAX_DIGITS, &mut [Slot::matrix("1.bias", &mut m)]).is_err());
}
