//! Compiles the iris data set into flash (`src/data.rs` includes the result).

use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    iris();
}

/// Writes `OUT_DIR/iris.rs`: the iris rows as `f32` constants, the labels, each
/// feature's mean and standard deviation (over all 150 rows, in `f64`), and the
/// standardised rows in Q16.16.
fn iris() {
    println!("cargo:rerun-if-changed=data/iris.csv");
    let text = fs::read_to_string("data/iris.csv").expect("data/iris.csv");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let n: usize = header
        .split(',')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("row count");
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        assert_eq!(cells.len(), 5, "iris row {line:?}");
        let x: Vec<f64> = cells[..4]
            .iter()
            .map(|c| c.parse().expect("number"))
            .collect();
        rows.push(x);
        labels.push(cells[4].parse::<u8>().expect("class"));
    }
    assert_eq!(rows.len(), n, "iris row count");
    let mut mean = [0.0f64; 4];
    let mut std = [0.0f64; 4];
    for j in 0..4 {
        mean[j] = rows.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n as f64;
        std[j] = var.sqrt();
    }
    let mut out = String::new();
    out.push_str(&format!(
        "/// Number of iris rows.\npub const IRIS_ROWS: usize = {n};\n"
    ));
    out.push_str(
        "/// Sepal length, sepal width, petal length, petal width (cm), one row per flower.\n",
    );
    out.push_str(&format!("pub static IRIS_FEATURES: [[f32; 4]; {n}] = [\n"));
    for r in &rows {
        out.push_str(&format!(
            "    [{:?}, {:?}, {:?}, {:?}],\n",
            r[0] as f32, r[1] as f32, r[2] as f32, r[3] as f32
        ));
    }
    out.push_str("];\n/// Class of each row: 0 setosa, 1 versicolor, 2 virginica.\n");
    out.push_str(&format!(
        "pub static IRIS_LABELS: [u8; {n}] = {labels:?};\n"
    ));
    out.push_str(&format!(
        "/// Mean of each feature.\npub const IRIS_MEAN: [f32; 4] = {:?};\n",
        mean.map(|m| m as f32)
    ));
    out.push_str(&format!(
        "/// Standard deviation of each feature.\npub const IRIS_STD: [f32; 4] = {:?};\n",
        std.map(|s| s as f32)
    ));
    out.push_str(
        "/// Each row standardised (in `f64`) as Q16.16 bit patterns (`stackgrad::Q16`), so \
         that a chip without an FPU reads its inputs without soft-float arithmetic.\n",
    );
    out.push_str(&format!("pub static IRIS_Q16: [[i32; 4]; {n}] = [\n"));
    for r in &rows {
        let q: Vec<i32> = (0..4)
            .map(|j| ((r[j] - mean[j]) / std[j] * 65536.0).round() as i32)
            .collect();
        out.push_str(&format!("    {q:?},\n"));
    }
    out.push_str("];\n");
    let dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    fs::write(dir.join("iris.rs"), out).expect("write iris.rs");
}
