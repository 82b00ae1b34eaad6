//! `f64` on libm, always, and `f32` on libm unless `micromath` is selected: every
//! elementary function is libm's function named in the table.

use super::float::{float_common, float_method, Magnitude};
use super::table::elementary_functions;
use super::Real;

impl Real for f64 {
    const BACKEND: &'static str = "libm";
    float_common!(f64);
    elementary_functions!(float_method!((f64, libm)));
}

#[cfg(not(feature = "micromath"))]
impl Real for f32 {
    const BACKEND: &'static str = "libm";
    float_common!(f32);
    elementary_functions!(float_method!((f32, libm)));
}
