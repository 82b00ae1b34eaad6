//! Reading program outputs: comparison with the host and the `# name value` metrics.

/// A token that reads as a number.
fn number(s: &str) -> Option<f64> {
    match s {
        "NaN" | "inf" | "-inf" => None,
        _ => s.parse().ok(),
    }
}

/// Compares a board's output with the host's, measurement lines (`#`) left out. Numbers
/// must agree to a relative 1e-5 (absolute 1e-6 near zero), other words exactly.
/// `Ok(true)` if byte-identical, `Ok(false)` if within tolerance, `Err` at the first
/// disagreement.
pub fn compare(host: &str, board: &str) -> Result<bool, String> {
    let h: Vec<&str> = host.lines().filter(|l| !l.starts_with('#')).collect();
    let b: Vec<&str> = board.lines().filter(|l| !l.starts_with('#')).collect();
    if h.len() != b.len() {
        return Err(format!("line count: host {}, board {}", h.len(), b.len()));
    }
    for (i, (hl, bl)) in h.iter().zip(&b).enumerate() {
        let (ht, bt): (Vec<&str>, Vec<&str>) = (
            hl.split_whitespace().collect(),
            bl.split_whitespace().collect(),
        );
        let agree = ht.len() == bt.len()
            && ht.iter().zip(&bt).all(|(x, y)| {
                x == y
                    || match (number(x), number(y)) {
                        (Some(x), Some(y)) => {
                            let e = (x - y).abs();
                            e <= 1e-6 || e <= 1e-5 * x.abs().max(y.abs())
                        }
                        _ => false,
                    }
            });
        if !agree {
            return Err(format!("line {}: host {hl:?}, board {bl:?}", i + 1));
        }
    }
    Ok(h == b)
}

/// The value of the measurement line `# name value`, if present.
pub fn metric(out: &str, name: &str) -> Option<u64> {
    out.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some("#") && w.next() == Some(name))
            .then(|| w.next()?.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_with_a_tolerance_and_skips_measurements() {
        let host = "f: 1e0 2.5e-1\nok\n";
        assert_eq!(compare(host, "f: 1e0 2.5e-1\n# stack 12\nok\n"), Ok(true));
        assert_eq!(compare(host, "f: 1.000001e0 2.5e-1\nok\n"), Ok(false));
        assert!(compare(host, "f: 1.1e0 2.5e-1\nok\n").is_err());
        assert!(compare(host, "f: 1e0\nok\n").is_err());
        assert!(compare(host, "f: 1e0 2.5e-1\n").is_err());
        assert!(compare("x: NaN\n", "x: 0e0\n").is_err());
        assert_eq!(metric("a\n# stack 1460\n", "stack"), Some(1460));
        assert_eq!(metric("# stack x\n", "stack"), None);
    }
}
