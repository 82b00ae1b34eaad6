//! `vector!` and `matrix!` for doc examples and user code that depends on stackgrad
//! alone. nalgebra's macros of the same names expand to paths in the `nalgebra` crate, so
//! they compile only where `nalgebra` is a direct dependency of the caller; these expand to
//! `stackgrad::nalgebra`, the version stackgrad was built with.

/// A column vector of fixed size from its entries: `vector![1.0, 2.0]` is an
/// `SVector<_, 2>` (as nalgebra's `vector!`, through `stackgrad::nalgebra`).
///
/// ```
/// use stackgrad::vector;
/// let v = vector![1.0, 2.0, 3.0];
/// assert_eq!(v, stackgrad::nalgebra::Vector3::new(1.0, 2.0, 3.0));
/// ```
#[macro_export]
macro_rules! vector {
    ($($x:expr),* $(,)?) => {
        $crate::nalgebra::SVector::from([$($x),*])
    };
}

/// A fixed-size matrix from its rows, separated by `;`: `matrix![1.0, 2.0; 3.0, 4.0]` is
/// a 2×2 `SMatrix` (as nalgebra's `matrix!`, through `stackgrad::nalgebra`).
///
/// ```
/// use stackgrad::matrix;
/// let m = matrix![1.0, 2.0, 3.0; 4.0, 5.0, 6.0];
/// assert_eq!(m, stackgrad::nalgebra::Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// ```
#[macro_export]
macro_rules! matrix {
    ($($($x:expr),+);+ $(;)?) => {
        $crate::macros::from_rows([$([$($x),+]),+])
    };
}

/// The matrix whose rows are `rows` (what [`matrix!`] expands to).
#[doc(hidden)]
pub fn from_rows<T: nalgebra::Scalar, const R: usize, const C: usize>(
    rows: [[T; C]; R],
) -> nalgebra::SMatrix<T, R, C> {
    // Stored column-major, `rows` is the C×R matrix whose columns are the rows wanted.
    nalgebra::SMatrix::<T, C, R>::from_data(nalgebra::ArrayStorage(rows)).transpose()
}
