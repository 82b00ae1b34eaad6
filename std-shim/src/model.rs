//! A whole model in one call: every parameter of a [`Module`], named by the model's
//! structure ([`Module::names`]: `0.weight`, `0.bias`, `2.weight`, ... for a tuple of
//! layers, as PyTorch's `nn.Sequential` names them), to and from `.safetensors`.
//!
//! ```
//! use stackgrad::nn::{mlp, Mlp, Rng};
//! use stackgrad_std::{load_model, save_model};
//!
//! type Net = Mlp<f64, 4, 8, 3>;
//! let net: Net = mlp(&mut Rng::seed_from_u64(1));
//! let path = std::env::temp_dir().join("stackgrad-doc-model.safetensors");
//! save_model(&net, &path)?;
//! let mut again: Net = mlp(&mut Rng::seed_from_u64(2));
//! load_model(&mut again, &path)?;
//! assert_eq!(again, net); // f64 saved as F64: bit for bit
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A model of `f32` is written as `F32` tensors and one of `f64` as `F64`; either loads
//! from either (an `F64` value too large for `f32` is refused, not made infinite).
//! Weights follow the layout rules of [`formats`](crate::formats): row-major in the file,
//! a column vector 1-D. Loading is all or nothing: every tensor is found, checked and
//! converted before the first parameter is written. For Rust constants (a firmware's
//! flash), go through [`Weights::from_model`](crate::Weights::from_model) and
//! [`Weights::to_rust`](crate::Weights::to_rust).

use std::fmt;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{Grad, Module, Visitor};
use stackgrad::{Error, Real};

use crate::formats::{
    decode, duplicate_json_key, malformed, missing, row_major_values, saved_shape, shape_fits,
    FormatError,
};

/// What [`save_model`] and [`load_model`] can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelError {
    /// Reading or writing the file failed.
    Io(std::io::Error),
    /// The file is not a `.safetensors` file of this model (see [`FormatError`]).
    Format(FormatError),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Io(e) => write!(f, "model file: {e}"),
            ModelError::Format(e) => write!(
                f,
                "{e} (a model loads from a file saved from the same model type; \
                 `save_model` names each tensor by the model's structure)"
            ),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelError::Io(e) => Some(e),
            ModelError::Format(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for ModelError {
    fn from(e: std::io::Error) -> Self {
        ModelError::Io(e)
    }
}

impl From<FormatError> for ModelError {
    fn from(e: FormatError) -> Self {
        ModelError::Format(e)
    }
}

/// One parameter: its name, shape and values (column-major, as `f64`).
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) values: Vec<f64>,
}

/// Every parameter of `model`, named, in [`Module::visit`] order.
pub(crate) fn params<T: Real, M: Module<T> + Clone>(model: &M) -> Vec<Param> {
    struct Collect(Vec<Param>);
    impl<T: Real> Visitor<T> for Collect {
        fn visit<const R: usize, const C: usize>(
            &mut self,
            p: &mut SMatrix<T, R, C>,
            _: Grad<'_, T, R, C>,
        ) -> Result<(), Error> {
            self.0.push(Param {
                name: String::new(),
                rows: R,
                cols: C,
                values: p.iter().map(|x| x.to_f64()).collect(),
            });
            Ok(())
        }
    }
    let mut c = Collect(Vec::with_capacity(M::TENSORS));
    let _ = model.clone().visit(&M::Ids::default(), &mut c);
    let mut names = Vec::with_capacity(M::TENSORS);
    M::names(&mut |path| names.push(path.join(".")));
    for (i, p) in c.0.iter_mut().enumerate() {
        // A model whose `names` lists fewer tensors than it visits: number the rest.
        p.name = names.get(i).cloned().unwrap_or_else(|| i.to_string());
    }
    c.0
}

/// Writes `values` (one per parameter, in visit order, column-major) into `model`.
pub(crate) fn write_params<T: Real, M: Module<T>>(model: &mut M, values: Vec<Vec<f64>>) {
    struct Write(std::vec::IntoIter<Vec<f64>>);
    impl<T: Real> Visitor<T> for Write {
        fn visit<const R: usize, const C: usize>(
            &mut self,
            p: &mut SMatrix<T, R, C>,
            _: Grad<'_, T, R, C>,
        ) -> Result<(), Error> {
            if let Some(v) = self.0.next() {
                for (x, &v) in p.iter_mut().zip(&v) {
                    *x = T::constant(v);
                }
            }
            Ok(())
        }
    }
    let _ = model.visit(&M::Ids::default(), &mut Write(values.into_iter()));
}

/// `true` if `T` is stored in 4 bytes (`f32`): its files are `F32`.
fn is_single<T>() -> bool {
    std::mem::size_of::<T>() == 4
}

/// The model as `.safetensors` bytes: `F32` tensors for an `f32` model, `F64` for `f64`.
///
/// # Errors
///
/// [`FormatError::Duplicate`] if two parameters get the same name (a model's own
/// [`Module::names`] that repeats one).
pub fn model_to_safetensors<T: Real, M: Module<T> + Clone>(
    model: &M,
) -> Result<Vec<u8>, FormatError> {
    let params = params::<T, M>(model);
    for (i, p) in params.iter().enumerate() {
        if params[..i].iter().any(|q| q.name == p.name) {
            return Err(FormatError::Duplicate {
                name: p.name.clone(),
            });
        }
    }
    let single = is_single::<T>();
    let buffers: Vec<Vec<u8>> = params
        .iter()
        .map(|p| {
            let row_major = row_major_values(&p.values, p.rows, p.cols);
            if single {
                row_major.flat_map(|x| (x as f32).to_le_bytes()).collect()
            } else {
                row_major.flat_map(f64::to_le_bytes).collect()
            }
        })
        .collect();
    let dtype = if single { Dtype::F32 } else { Dtype::F64 };
    let mut tensors = Vec::with_capacity(params.len());
    for (p, buf) in params.iter().zip(&buffers) {
        let view = TensorView::new(dtype, saved_shape(p.rows, p.cols), buf)
            .map_err(|e| malformed("safetensors", e))?;
        tensors.push((p.name.as_str(), view));
    }
    safetensors::tensor::serialize(tensors, None).map_err(|e| malformed("safetensors", e))
}

/// Loads every parameter of `model` from `.safetensors` bytes, all or nothing.
///
/// # Errors
///
/// The [`FormatError`] of the first problem, and `model` unchanged: a tensor missing
/// ([`FormatError::Missing`]), of another shape ([`FormatError::Shape`]) or type
/// ([`FormatError::Dtype`]), an `F64` value too large for an `f32` model
/// ([`FormatError::OutOfRange`]), two tensors of one name
/// ([`FormatError::DuplicateInFile`]), or bytes that are not a `.safetensors` file.
pub fn model_from_safetensors<T: Real, M: Module<T> + Clone>(
    model: &mut M,
    bytes: &[u8],
) -> Result<(), FormatError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| malformed("safetensors", e))?;
    if let Some(name) = duplicate_json_key(bytes)? {
        return Err(FormatError::DuplicateInFile {
            format: "safetensors",
            name,
        });
    }
    let single = is_single::<T>();
    let mut staged = Vec::with_capacity(M::TENSORS);
    for p in params::<T, M>(model) {
        let t = file.tensor(&p.name).map_err(|_| missing(&p.name))?;
        shape_fits(&p.name, p.rows, p.cols, t.shape())?;
        let file_values: Vec<f64> = match t.dtype() {
            Dtype::F32 => decode(t.data(), f32::from_le_bytes)
                .into_iter()
                .map(f64::from)
                .collect(),
            Dtype::F64 => decode(t.data(), f64::from_le_bytes),
            other => {
                return Err(FormatError::Dtype {
                    name: p.name,
                    found: format!("{other:?}"),
                })
            }
        };
        if file_values.len() != p.rows * p.cols {
            return Err(malformed(
                "safetensors",
                "a tensor's data does not match its shape",
            ));
        }
        if single {
            if let Some(&v) = file_values
                .iter()
                .find(|v| v.is_finite() && !(**v as f32).is_finite())
            {
                return Err(FormatError::OutOfRange {
                    name: p.name,
                    value: v,
                });
            }
        }
        // Row-major in the file, column-major in the matrix.
        let values = (0..p.cols)
            .flat_map(|j| (0..p.rows).map(move |i| (i, j)))
            .map(|(i, j)| file_values[i * p.cols + j])
            .collect();
        staged.push(values);
    }
    write_params(model, staged);
    Ok(())
}

/// Saves `model` to `path` as `.safetensors` ([`model_to_safetensors`]).
///
/// # Errors
///
/// [`ModelError::Io`] if the file cannot be written; [`ModelError::Format`] as
/// [`model_to_safetensors`].
pub fn save_model<T: Real, M: Module<T> + Clone>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<(), ModelError> {
    let bytes = model_to_safetensors::<T, M>(model)?;
    std::fs::write(path, bytes)?;
    Ok(())
}

/// Loads `model` from the `.safetensors` file at `path` ([`model_from_safetensors`]),
/// all or nothing.
///
/// # Errors
///
/// [`ModelError::Io`] if the file cannot be read; [`ModelError::Format`] as
/// [`model_from_safetensors`]. On error `model` is unchanged.
pub fn load_model<T: Real, M: Module<T> + Clone>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), ModelError> {
    let bytes = std::fs::read(path)?;
    model_from_safetensors::<T, M>(model, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{save_safetensors, SlotView};
    use stackgrad::nn::{mlp, Embedding, Init, Linear, Mlp, PRelu, Rng};
    use stackgrad::ops::unary::Tanh;

    type Net32 = Mlp<f32, 3, 4, 2>;
    type Net64 = Mlp<f64, 3, 4, 2>;

    #[test]
    fn a_model_round_trips_bit_for_bit_in_its_own_type() {
        let a: Net32 = mlp(&mut Rng::seed_from_u64(1));
        let mut b: Net32 = mlp(&mut Rng::seed_from_u64(2));
        model_from_safetensors(&mut b, &model_to_safetensors(&a).unwrap()).unwrap();
        assert_eq!(a, b);
        let a: Net64 = mlp(&mut Rng::seed_from_u64(3));
        let bytes = model_to_safetensors(&a).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(file.tensor("0.weight").unwrap().dtype(), Dtype::F64);
        assert_eq!(file.tensor("2.bias").unwrap().shape(), [2]);
        let mut b: Net64 = mlp(&mut Rng::seed_from_u64(4));
        model_from_safetensors(&mut b, &bytes).unwrap();
        assert_eq!(a, b);
        // Across types: f64 → f32 rounds to nearest, f32 → f64 is exact.
        let mut c: Net32 = mlp(&mut Rng::seed_from_u64(5));
        model_from_safetensors(&mut c, &bytes).unwrap();
        assert_eq!(c.0.weight, a.0.weight.map(|x| x as f32));
    }

    #[test]
    fn names_come_from_the_structure() {
        type Model = ((Embedding<f32, 5, 2>, Tanh), PRelu<f32>, Linear<f32, 2, 1>);
        let mut rng = Rng::seed_from_u64(6);
        let m: Model = (
            (Embedding::new(Init::XavierUniform, &mut rng), Tanh),
            PRelu::default(),
            Linear::new(Init::XavierUniform, &mut rng),
        );
        let bytes = model_to_safetensors(&m).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let mut names: Vec<_> = file.names().into_iter().map(str::to_owned).collect();
        names.sort();
        assert_eq!(names, ["0.0.weight", "1.weight", "2.bias", "2.weight"]);
        // The embedding table keeps its orientation: row i is word i, as in PyTorch.
        let t = file.tensor("0.0.weight").unwrap();
        assert_eq!(t.shape(), [5, 2]);
        let first = f32::from_le_bytes(t.data()[4..8].try_into().unwrap());
        assert_eq!(first, m.0 .0.table[(0, 1)]);
    }

    #[test]
    fn a_wrong_file_changes_nothing_and_says_what() {
        let net: Net32 = mlp(&mut Rng::seed_from_u64(7));
        let mut target: Net32 = mlp(&mut Rng::seed_from_u64(8));
        let before = target;
        // A file of another model: the first layer has another shape.
        let other: Mlp<f32, 5, 4, 2> = mlp(&mut Rng::seed_from_u64(9));
        let e = model_from_safetensors(&mut target, &model_to_safetensors(&other).unwrap());
        assert!(matches!(e, Err(FormatError::Shape { ref name, .. }) if name == "0.weight"));
        assert_eq!(target, before);
        // A tensor missing: the others are not loaded either.
        let w = net.0.weight;
        let b = net.0.bias;
        let partial = save_safetensors(&[
            SlotView::matrix("0.weight", &w),
            SlotView::matrix("0.bias", &b),
        ])
        .unwrap();
        let e = model_from_safetensors(&mut target, &partial);
        assert!(matches!(e, Err(FormatError::Missing { ref name }) if name == "2.weight"));
        assert_eq!(target, before);
        // An F64 value beyond f32's range.
        let mut big: Net64 = mlp(&mut Rng::seed_from_u64(10));
        big.2.bias[1] = 1e300;
        let e = model_from_safetensors(&mut target, &model_to_safetensors(&big).unwrap());
        assert!(matches!(e, Err(FormatError::OutOfRange { ref name, .. }) if name == "2.bias"));
        assert_eq!(target, before);
        // Not a file at all, and a file that does not exist.
        assert!(model_from_safetensors(&mut target, b"nonsense").is_err());
        let e = load_model(&mut target, "/nonexistent/stackgrad.safetensors").unwrap_err();
        assert!(matches!(e, ModelError::Io(_)));
        assert_eq!(target, before);
        let shown = ModelError::Format(FormatError::Missing {
            name: "2.weight".into(),
        });
        assert!(shown.to_string().contains("same model type"), "{shown}");
    }
}
