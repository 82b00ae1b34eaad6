//! Differential random-program testing of the reverse-mode tape.
//!
//! A seeded generator writes random programs over every operation of `Var` (element-wise
//! functions, arithmetic, scalar operators, matrix products, transposes, reductions,
//! softmax, the cross-entropies, stacking and selection, `gather`, `prelu`, ...) at a few
//! fixed shapes, with fan-out (operands drawn from every earlier value, the same one
//! twice), borrowed constants, inputs placed exactly on kinks, and (in some programs) a
//! NaN or ±∞ among the inputs. Each program runs on the tape and is checked against:
//!
//! - an independent interpreter written here with plain `f64` code: every intermediate
//!   value, NaN and ±∞ included;
//! - the same interpreter over forward-mode [`Dual`] numbers, whose derivatives are the
//!   hand-written rules below (with the tape's conventions at kinks), not the library's
//!   rule table: the whole gradient;
//! - central differences of the `f64` interpreter, away from kinks;
//! - a tape over `Dual<f64, 1>` (forward over reverse): its value's tangent is the
//!   directional derivative, its gradients' tangents a Hessian-vector product checked
//!   against central differences of tape gradients;
//! - capacity: the program padded so that it needs exactly one scalar, or one node, more
//!   than the tape has (must be `Error::Capacity` stating exactly the need), or exactly
//!   what it has (must succeed with the same gradients, bit for bit);
//! - replay: the program recorded on other parameters and constants, then replayed
//!   ([`Tape::replay`]) on these: the loss and both gradients must be the fresh
//!   recording's, bit for bit.
//!
//! The default run is bounded (6000 programs per shape); set
//! `STACKGRAD_PROGRAMS=N` for `N` programs per shape and `STACKGRAD_SEED=S` for another
//! seed. A failure prints the seed, the program and the mismatch. `tests/MUTATIONS.md`
//! records broken backward rules that this test caught.

#![allow(clippy::needless_range_loop)] // indices name parameters and their entries

use stackgrad::nalgebra::SMatrix;
use stackgrad::{Dual, Error, Graph, Real, Tape, Usage, Var};

/// SplitMix64: small, seedable, good enough for test generation.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// `a` and `b` agree within `tol` relative to the larger; NaN never agrees.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Agreement of a computed value with a reference that may be NaN or ±∞: NaN only
/// where the reference is NaN, the same infinity where it is infinite, else `close`.
pub fn same_value(got: f64, want: f64, tol: f64) -> bool {
    if want.is_nan() {
        got.is_nan()
    } else if want.is_infinite() {
        got == want
    } else {
        close(got, want, tol)
    }
}

/// `d ≤ tol`, false for NaN.
pub fn within(d: f64, tol: f64) -> bool {
    d <= tol
}

/// NaN-propagating maximum (`f64::max` drops a NaN).
pub fn nanmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a > b {
        a
    } else {
        b
    }
}

/// A number of the independent interpreter: `f64` (values only) or a forward-mode
/// `Dual` (values and the whole gradient). Every operation goes through `chain` or
/// `chain2` with a value and derivatives written in plain `f64`.
pub trait Ad: stackgrad::nalgebra::Scalar + Copy {
    fn re(self) -> f64;
    fn cst(x: f64) -> Self;
    fn chain(self, f: f64, df: f64) -> Self;
    fn chain2(self, o: Self, f: f64, dx: f64, dy: f64) -> Self;
}

impl Ad for f64 {
    fn re(self) -> f64 {
        self
    }
    fn cst(x: f64) -> Self {
        x
    }
    fn chain(self, f: f64, _: f64) -> Self {
        f
    }
    fn chain2(self, _: Self, f: f64, _: f64, _: f64) -> Self {
        f
    }
}

impl<const N: usize> Ad for Dual<f64, N> {
    fn re(self) -> f64 {
        self.re
    }
    fn cst(x: f64) -> Self {
        Dual::constant(x)
    }
    fn chain(self, f: f64, df: f64) -> Self {
        // A zero tangent component stays 0 even for an infinite derivative (√ at 0):
        // that input does not reach this value, as in reverse mode, where the infinity
        // only meets the gradient of the inputs that do.
        let mut eps = self.eps;
        for e in eps.iter_mut() {
            if *e != 0.0 {
                *e *= df;
            }
        }
        Dual::new(f, eps)
    }
    fn chain2(self, o: Self, f: f64, dx: f64, dy: f64) -> Self {
        // Zero weights and zero tangents contribute nothing, as in `chain`.
        let mut eps = self.eps;
        for (e, &y) in eps.iter_mut().zip(o.eps.iter()) {
            let a = if dx == 0.0 || *e == 0.0 { 0.0 } else { *e * dx };
            let b = if dy == 0.0 || y == 0.0 { 0.0 } else { y * dy };
            *e = a + b;
        }
        Dual::new(f, eps)
    }
}

pub fn add<A: Ad>(a: A, b: A) -> A {
    a.chain2(b, a.re() + b.re(), 1.0, 1.0)
}
pub fn sub<A: Ad>(a: A, b: A) -> A {
    a.chain2(b, a.re() - b.re(), 1.0, -1.0)
}
pub fn mul<A: Ad>(a: A, b: A) -> A {
    a.chain2(b, a.re() * b.re(), b.re(), a.re())
}
pub fn div<A: Ad>(a: A, b: A) -> A {
    let (x, y) = (a.re(), b.re());
    a.chain2(b, x / y, 1.0 / y, -x / (y * y))
}
pub fn exp<A: Ad>(a: A) -> A {
    let e = a.re().exp();
    a.chain(e, e)
}
pub fn ln<A: Ad>(a: A) -> A {
    a.chain(a.re().ln(), 1.0 / a.re())
}
pub fn scale<A: Ad>(a: A, k: f64) -> A {
    a.chain(a.re() * k, k)
}

/// The minimum distance of any kinked operation's input to its kink in a program, and
/// whether every intermediate value stayed finite.
#[derive(Clone, Copy, Debug)]
pub struct Smooth {
    pub kink: f64,
    pub finite: bool,
    /// A derivative was infinite (`√`, `ln`, a negative power or a division at 0):
    /// gradients are not compared, since `∞·0` lands differently in each mode.
    pub singular: bool,
}

impl Smooth {
    pub fn new() -> Self {
        Smooth {
            kink: f64::INFINITY,
            finite: true,
            singular: false,
        }
    }
    /// Notes an input `x` of a function whose derivative is infinite at 0.
    pub fn pole(&mut self, x: f64) {
        self.near(x);
        if x == 0.0 {
            self.singular = true;
        }
    }
    pub fn near(&mut self, d: f64) {
        let d = d.abs();
        if d < self.kink || d.is_nan() {
            self.kink = if d.is_nan() { 0.0 } else { d };
        }
    }
}

impl Default for Smooth {
    fn default() -> Self {
        Self::new()
    }
}

/// Programs per shape: `STACKGRAD_PROGRAMS`, else the bounded default.
pub fn program_count(default: usize) -> usize {
    std::env::var("STACKGRAD_PROGRAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub fn base_seed() -> u64 {
    std::env::var("STACKGRAD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2024)
}

/// Counters of one run, printed at the end (`--nocapture`).
#[derive(Default, Debug)]
pub struct Tally {
    pub programs: usize,
    pub ops: usize,
    pub injected: usize,
    pub forward_checked: usize,
    pub fd_checked: usize,
    pub fd_skipped_entries: usize,
    pub hvp_checked: usize,
    pub capacity_runs: usize,
    pub replays: usize,
}

// The bounded default: 6000 programs per shape, about 20 s in a debug build on two cores.
const DEFAULT_PROGRAMS: usize = 6000;

macro_rules! shape_test {
    ($name:ident, $r:expr, $c:expr, $salt:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            const R: usize = $r;
            const C: usize = $c;
            include!("random_programs/body.rs");

            #[test]
            fn random_programs() {
                let n = program_count(DEFAULT_PROGRAMS);
                let seed = base_seed() ^ $salt;
                let mut tally = Tally::default();
                for i in 0..n {
                    run_one(seed.wrapping_add(i as u64), &mut tally);
                }
                println!("{}x{}: {:?}", R, C, tally);
                assert_eq!(tally.programs, n);
            }
        }
    };
}

shape_test!(shape_3x2, 3, 2, 0x32);
shape_test!(shape_2x4, 2, 4, 0x24);
shape_test!(shape_4x3, 4, 3, 0x43);
