//! The "outgrow" path: the digits network trained at full scale elsewhere (JAX, by
//! `scripts/outgrow/train_digits_jax.py`), loaded into stackgrad from `.safetensors`.

use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::{Linear, Mlp, Relu};
use stackgrad_std::formats::{load_safetensors, FormatError, Slot};

/// The network: `Linear(64→32), ReLU, Linear(32→10)`.
pub type Digits = Mlp<f32, 64, 32, 10>;
/// Held-out images stored with their logits in the file.
pub const CHECK: usize = 32;
/// Held-out rows of `digits.csv` in the JAX run's split.
pub const HELD_OUT: usize = 360;

/// What the JAX run's file holds besides the weights.
#[derive(Clone, Debug)]
pub struct Reference {
    /// `CHECK` held-out images, one per row.
    pub x: SMatrix<f32, CHECK, 64>,
    /// JAX's logits for them, one row per image.
    pub logits: SMatrix<f32, CHECK, 10>,
    /// The held-out rows of `digits.csv`.
    pub test_rows: SVector<f32, HELD_OUT>,
}

/// The file the JAX script wrote (checked in).
pub const JAX_DIGITS: &[u8] = include_bytes!("../data/outgrow/digits_jax.safetensors");

/// Loads the network under PyTorch's `nn.Sequential` names (`0.weight` [32, 64], ...),
/// each shape checked against the model's types, all or nothing; and the reference data.
///
/// # Errors
///
/// A [`FormatError`] naming the tensor that is missing, of the wrong shape or dtype.
pub fn load_jax_digits(bytes: &[u8]) -> Result<(Digits, Reference), FormatError> {
    let mut net: Digits = (
        Linear {
            weight: SMatrix::zeros(),
            bias: SVector::zeros(),
        },
        Relu,
        Linear {
            weight: SMatrix::zeros(),
            bias: SVector::zeros(),
        },
    );
    let mut r = Reference {
        x: SMatrix::zeros(),
        logits: SMatrix::zeros(),
        test_rows: SVector::zeros(),
    };
    let (l0, _, l2) = &mut net;
    load_safetensors(
        bytes,
        &mut [
            Slot::matrix("0.weight", &mut l0.weight),
            Slot::matrix("0.bias", &mut l0.bias),
            Slot::matrix("2.weight", &mut l2.weight),
            Slot::matrix("2.bias", &mut l2.bias),
            Slot::matrix("check.x", &mut r.x),
            Slot::matrix("check.logits", &mut r.logits),
            Slot::matrix("split.test", &mut r.test_rows),
        ],
    )?;
    Ok((net, r))
}
