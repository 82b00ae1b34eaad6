//! The iris data set, compiled into flash from `data/iris.csv` by `build.rs`.
//! Attribution: `data/README.md` (UCI / R. A. Fisher 1936, CC BY 4.0).

include!(concat!(env!("OUT_DIR"), "/iris.rs"));

/// Iris classes.
pub const IRIS_CLASSES: usize = 3;

/// Row `i` standardised with the data set's mean and standard deviation.
pub fn iris_standardised(i: usize) -> [f32; 4] {
    let mut x = [0.0; 4];
    if let Some(row) = IRIS_FEATURES.get(i) {
        for j in 0..4 {
            x[j] = (row[j] - IRIS_MEAN[j]) / IRIS_STD[j];
        }
    }
    x
}

/// The fixed split: every fifth row (0, 5, 10, …) is held out for testing.
pub const fn iris_is_test(i: usize) -> bool {
    i.is_multiple_of(5)
}
