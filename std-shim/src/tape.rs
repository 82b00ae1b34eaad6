//! Large tapes on the heap, without passing through the stack.
//!
//! `Box::new(Tape::new())` builds the tape as a value first, on the stack, and then moves
//! it into the box: in a debug build, a tape of megabytes overflows the main thread's
//! stack (8 MiB on Linux, 1 MiB on Windows) before it reaches the heap. [`boxed_tape`]
//! asks the allocator for zeroed memory instead, which *is* an empty tape: every byte of
//! [`Tape::new`] is zero (that is also what puts a `static` tape in `.bss`).

use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};

use stackgrad::forward::Dual;
use stackgrad::{Real, Tape};

mod sealed {
    pub trait Sealed {}
}

/// A scalar whose zero ([`Real::ZERO`]) is all-zero bytes, so that a tape of all-zero
/// bytes is [`Tape::new`]: `f32`, `f64` and [`Dual`] numbers over them, nested or not.
/// Sealed: [`boxed_tape`]'s soundness rests on it.
pub trait ZeroBytes: Real + sealed::Sealed {}

impl sealed::Sealed for f32 {}
impl ZeroBytes for f32 {}
impl sealed::Sealed for f64 {}
impl ZeroBytes for f64 {}
impl<T: ZeroBytes, const N: usize> sealed::Sealed for Dual<T, N> {}
impl<T: ZeroBytes, const N: usize> ZeroBytes for Dual<T, N> {}

/// An empty [`Tape`] on the heap, allocated zeroed: it never exists on the stack, so a
/// tape of any size works in a debug build and on a thread with a small stack.
///
/// The tape is the same as `Box::new(Tape::new())`, with the same compile-time limits
/// (`NODES` below 65535, `SCALARS` below 2³²−1).
///
/// ```
/// use stackgrad::nalgebra::Vector3;
///
/// // 64 MiB of f32: `Box::new(Tape::new())` would overflow the stack in a debug build.
/// let mut tape = stackgrad_std::boxed_tape::<f32, { 16 << 20 }, 1024>();
/// let x0 = Vector3::new(1.0, 2.0, 3.0);
/// let g = tape.graph();
/// let x = g.param(&x0);
/// let grads = x.norm_squared().backward()?;
/// assert_eq!(grads.wrt(x)?.into_owned(), Vector3::new(2.0, 4.0, 6.0));
/// # Ok::<(), stackgrad::Error>(())
/// ```
///
/// # Panics
///
/// Never, but the allocation can fail: then the global allocation error handler runs
/// (by default it aborts the process), as for any `Box`.
#[allow(unsafe_code)] // One block, below, with its justification.
pub fn boxed_tape<T: ZeroBytes, const SCALARS: usize, const NODES: usize>(
) -> Box<Tape<T, SCALARS, NODES>> {
    // `Tape::new`'s limits, which this function does not call (not even in a branch
    // never taken: a debug build reserves stack for every local of a function).
    const {
        assert!(NODES < u16::MAX as usize, "NODES must be below 65535");
        assert!(SCALARS < u32::MAX as usize, "SCALARS must fit in a u32");
        // A tape has counters, so never zero bytes, which `alloc_zeroed` refuses.
        assert!(size_of::<Tape<T, SCALARS, NODES>>() > 0);
    }
    let layout = Layout::new::<Tape<T, SCALARS, NODES>>();
    // SAFETY:
    // - `alloc_zeroed` gets a layout of non-zero size (checked at compile time above), as
    //   it requires; a null result is handled before the pointer is used.
    // - The memory is a valid `Tape<T, SCALARS, NODES>`, equal to `Tape::new()`: stackgrad
    //   documents `Tape::new` as all-zero bytes (its pool and node attributes are
    //   `T::ZERO`, all-zero bytes for every `ZeroBytes` type, which is sealed to `f32`,
    //   `f64` and `Dual`s of them; its node operations are `None`, the null niche of
    //   `Option<&'static _>`; its counters, flags and `Cell`s are zero and `false`).
    // - `Box::from_raw` takes a pointer the global allocator returned for exactly
    //   `Layout::new::<Tape<..>>()`, which is what the box frees it with.
    unsafe {
        let ptr = alloc_zeroed(layout).cast::<Tape<T, SCALARS, NODES>>();
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        Box::from_raw(ptr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackgrad::nalgebra::{Matrix2x3, Vector2};

    /// One small graph on `tape`: the value and gradient of `sum(tanh(W)·v)`.
    fn gradient<const S: usize, const N: usize>(
        tape: &mut Tape<f64, S, N>,
    ) -> (f64, Matrix2x3<f64>) {
        let w0 = Matrix2x3::new(0.1, -0.2, 0.3, 0.4, -0.5, 0.6);
        let v0 = stackgrad::nalgebra::Vector3::new(1.0, 2.0, -1.0);
        let g = tape.graph();
        let w = g.param(&w0);
        let y = (w.tanh() * g.constant(&v0)).sum();
        let grads = y.backward().unwrap();
        (y.scalar(), grads.wrt(w).unwrap().into_owned())
    }

    #[test]
    fn a_boxed_tape_is_an_empty_tape() {
        let mut boxed = boxed_tape::<f64, 256, 16>();
        let mut fresh: Tape<f64, 256, 16> = Tape::new();
        assert_eq!(boxed.high_water(), fresh.high_water());
        let (a, b) = (gradient(&mut boxed), gradient(&mut fresh));
        assert_eq!(a.0.to_bits(), b.0.to_bits());
        assert_eq!(a.1.map(f64::to_bits), b.1.map(f64::to_bits));
        assert_eq!(boxed.high_water(), fresh.high_water());

        // Over dual numbers too.
        let mut dual = boxed_tape::<Dual<f64, 2>, 64, 8>();
        let x0 = Vector2::new(Dual::variable(1.5, 0), Dual::variable(-0.5, 1));
        let g = dual.graph();
        let x = g.param(&x0);
        let grads = x.norm_squared().backward().unwrap();
        assert_eq!(grads.wrt(x).unwrap()[0].re, 3.0);
    }

    #[test]
    fn a_64_mib_tape_on_a_thread_with_a_small_stack() {
        // 16 Mi f32 scalars: 64 MiB, on a thread with 256 KiB of stack, in a debug build.
        let worked = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let mut tape = boxed_tape::<f32, { 16 << 20 }, 1024>();
                assert!(std::mem::size_of_val(&*tape) >= 64 << 20);
                let x0 = Vector2::new(3.0f32, -4.0);
                let g = tape.graph();
                let x = g.param(&x0);
                let grads = x.norm_squared().backward().unwrap();
                grads.wrt(x).unwrap().into_owned() == Vector2::new(6.0, -8.0)
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(worked);
    }
}
