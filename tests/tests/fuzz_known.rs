//! The inputs the fuzzers found, kept under `fuzz/known/` (named `<target>-<what>`), run
//! through their target's own code on every `cargo test`: each must now pass. A slow one
//! (as `formats_load-timeout` was: still loading after 200 s) makes this test hang.

use std::path::Path;

#[path = "../../fuzz/src/formats_load.rs"]
mod formats_load;

#[test]
fn known_fuzz_inputs_pass_their_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/known");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/known is readable")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n == "formats_load-timeout"),
        "{names:?}"
    );
    for name in &names {
        let data = std::fs::read(dir.join(name)).unwrap();
        match name.split_once('-').map_or(name.as_str(), |(t, _)| t) {
            // Every known formats_load input so far is a file to refuse.
            "formats_load" => assert!(!formats_load::run(&data), "fuzz/known/{name} loaded"),
            other => panic!("fuzz/known/{name}: no test runs fuzz target {other:?}; add it here"),
        }
    }
}

#[test]
fn the_fuzz_seeds_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/formats_load");
    for entry in std::fs::read_dir(&dir).expect("the formats_load seeds are readable") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // The fixtures hold `w` [2, 3]; only the safetensors and npz ones hold `b` [2], not
        // [3]: those refuse, the lone .npy of `w` loads.
        let loaded = formats_load::run(&data);
        let is_npy = path.extension().is_some_and(|e| e == "npy");
        assert_eq!(loaded, is_npy, "{}", path.display());
    }
}
