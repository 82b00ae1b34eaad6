//! The type itself: constructors, comparisons, conversions, approx, `Display`.

use nalgebra::{vector, Vector3};

use super::*;

#[test]
fn constructors_comparisons_and_conversions() {
    let x = Dual::<f64, 3>::variable(2.0, 1);
    assert_eq!(x.eps, vector![0.0, 1.0, 0.0]);
    // Out of range: a constant, no panic.
    assert_eq!(Dual::<f64, 3>::variable(2.0, 7).eps, Vector3::zeros());
    assert_eq!(Dual::<f64, 3>::constant(4.0).eps, Vector3::zeros());
    // Comparisons use the value only.
    let y = Dual::<f64, 3>::new(2.0, vector![9.0, 9.0, 9.0]);
    assert!(x == y && x <= y && x >= y);
    assert_eq!(x.partial_cmp(&y), Some(core::cmp::Ordering::Equal));
    assert!(num_traits::Zero::is_zero(&Dual::<f64, 3>::new(
        0.0,
        vector![1.0, 0.0, 0.0]
    )));
    // Conversions.
    let c: Dual<f64, 3> = nalgebra::convert(1.5);
    assert_eq!((c.re, c.eps), (1.5, Vector3::zeros()));
    let back: Option<f64> = nalgebra::try_convert(c);
    assert_eq!(back, Some(1.5));
    assert_eq!(nalgebra::try_convert::<_, f64>(x), None);
    assert_eq!(nalgebra::convert_unchecked::<_, f32>(x), 2.0_f32);
    // num-traits.
    use num_traits::{FromPrimitive, Num, Signed};
    assert_eq!(
        <Dual<f64, 3> as Num>::from_str_radix("2.5", 10)
            .map(|d| d.re)
            .ok(),
        Some(2.5)
    );
    assert_eq!(Dual::<f64, 3>::from_i32(-3).map(|d| d.re), Some(-3.0));
    assert!(Signed::is_negative(&-x) && Signed::is_positive(&x));
    assert_eq!(Signed::abs_sub(&x, &(x + x)).re, 0.0);
    assert_eq!(Signed::abs_sub(&(x + x), &x).eps, x.eps);
    // Sum, product, assignment operators.
    let s: Dual<f64, 3> = [x, x, y].iter().copied().sum();
    assert_eq!((s.re, s.eps), (6.0, vector![9.0, 11.0, 9.0]));
    let p: Dual<f64, 3> = [x, x].iter().copied().product();
    assert_eq!((p.re, p.eps), (4.0, vector![0.0, 4.0, 0.0]));
    let mut z = x;
    z += x;
    z *= x;
    z -= x;
    z /= x;
    z %= Dual::constant(10.0);
    // ((2x)x − x)/x = 2x − 1 = 3, derivative 2.
    assert_eq!((z.re, z.eps[1]), (3.0, 2.0));
}

#[test]
fn approx_comparisons_use_the_value() {
    use approx::{AbsDiffEq, RelativeEq, UlpsEq};
    let a = D1::new(1.0, vector![5.0]);
    let b = D1::new(1.0 + 1e-15, vector![-5.0]);
    assert!(a.abs_diff_eq(&b, D1::default_epsilon() * D1::constant(10.0)));
    assert!(a.relative_eq(&b, D1::default_epsilon(), D1::constant(1e-14)));
    assert!(a.ulps_eq(&b, D1::constant(0.0), 8));
    assert!(!a.ulps_eq(&D1::constant(1.001), D1::constant(0.0), 8));
    assert!(!a.ulps_eq(&-a, D1::constant(0.0), 8));
    let n = D1::constant(f64::NAN);
    assert!(!n.relative_eq(&n, D1::default_epsilon(), D1::default_max_relative()));
    let i = D1::constant(f64::INFINITY);
    assert!(i.relative_eq(&i, D1::default_epsilon(), D1::default_max_relative()));
    assert!(!i.relative_eq(
        &D1::constant(1e308),
        D1::default_epsilon(),
        D1::constant(1.0)
    ));
}

#[test]
fn display_writes_value_and_tangents() {
    use core::fmt::Write;
    struct Buf([u8; 64], usize);
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1 + s.len();
            let dst = self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?;
            dst.copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut b = Buf([0; 64], 0);
    write!(b, "{}", Dual::<f64, 2>::variable(2.5, 1)).unwrap();
    assert_eq!(core::str::from_utf8(&b.0[..b.1]), Ok("2.5 + [0, 1]ε"));
}
