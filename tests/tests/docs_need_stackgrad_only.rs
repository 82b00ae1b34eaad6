//! Every documentation example (README code blocks, `///` and `//!` examples) must compile
//! in a user's crate that depends on stackgrad alone: nalgebra is reached through
//! `stackgrad::nalgebra`, and `vector!`/`matrix!` through stackgrad's own macros, never
//! through a direct `nalgebra` dependency (rustdoc would accept that in stackgrad's own
//! doc tests, where nalgebra is a dependency, but a user's crate would not).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable source tree")
        .flatten()
    {
        let p = entry.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs" || e == "md") {
            out.push(p);
        }
    }
}

/// The code lines of a file's documentation examples: inside ``` fences of a Markdown
/// file, or of `///`/`//!` comments of a Rust file.
fn example_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("readable file");
    let markdown = path.extension().is_some_and(|e| e == "md");
    let mut inside = false;
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let doc = if markdown {
            Some(line.trim_start())
        } else {
            let t = line.trim_start();
            t.strip_prefix("///")
                .or_else(|| t.strip_prefix("//!"))
                .map(str::trim_start)
        };
        let Some(doc) = doc else {
            inside = false;
            continue;
        };
        if doc.starts_with("```") {
            let lang = doc.trim_start_matches('`');
            inside = !inside && (lang.is_empty() || lang.starts_with("rust"));
            continue;
        }
        if inside {
            lines.push((n + 1, doc.to_string()));
        }
    }
    lines
}

#[test]
fn examples_reach_nalgebra_through_stackgrad() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("README.md")];
    for dir in [
        "core/src",
        "core/README.md",
        "std-shim/src",
        "std-shim/README.md",
    ] {
        let p = root.join(dir);
        if p.is_dir() {
            sources(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    let mut bad = Vec::new();
    let mut checked = 0;
    for f in &files {
        for (n, line) in example_lines(f) {
            checked += 1;
            let code = line.trim_start_matches("# ");
            // `use stackgrad::{…, nalgebra::X}` and `stackgrad::nalgebra::X` are fine;
            // any other path into `nalgebra` is not.
            let direct = !code.starts_with("use stackgrad::")
                && code
                    .match_indices("nalgebra::")
                    .any(|(i, _)| !code[..i].ends_with("stackgrad::"));
            if code.starts_with("use nalgebra") || direct || code.contains("extern crate nalgebra")
            {
                bad.push(format!("{}:{n}: {line}", f.display()));
            }
        }
    }
    assert!(
        checked > 300,
        "only {checked} example lines found: is the scan broken?"
    );
    assert!(
        bad.is_empty(),
        "examples that need nalgebra as a direct dependency:\n{}",
        bad.join("\n")
    );
}
