//! Checks shared by the targets that generate Rust with `Weights::to_rust`.

/// `src` must be the generated source of `n` matrices: a header comment, then per matrix
/// a doc line `/// Matrix "…": R×C.` whose name is an escaped literal of printable ASCII,
/// and `pub const IDENT: [f32; N] = [v, …];` with a fresh upper-case identifier; brackets
/// balanced, no braces at all, nothing else.
pub fn check_rust(src: &str, n: usize) {
    let mut lines = src.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("// ")), "header");
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    while let Some(doc) = lines.next() {
        count += 1;
        let lit = doc
            .strip_prefix("/// Matrix \"")
            .and_then(|r| r.rsplit_once("\": "))
            .unwrap_or_else(|| panic!("doc line: {doc:?}"))
            .0;
        assert!(
            lit.bytes().all(|c| (0x20..0x7f).contains(&c)),
            "non-printable name text: {doc:?}"
        );
        // Inside the literal every `"` and `\` is escaped.
        let mut chars = lit.chars();
        while let Some(c) = chars.next() {
            assert!(c != '"', "unescaped quote: {doc:?}");
            if c == '\\' {
                let e = chars.next();
                assert!(
                    matches!(
                        e,
                        Some('\\' | '"' | 'n' | 'r' | 't' | '0' | '\'' | 'u' | 'x')
                    ),
                    "escape: {doc:?}"
                );
            }
        }
        let code = lines
            .next()
            .unwrap_or_else(|| panic!("no constant after {doc:?}"));
        let rest = code
            .strip_prefix("pub const ")
            .unwrap_or_else(|| panic!("{code:?}"));
        let (ident, rest) = rest
            .split_once(": [f32; ")
            .unwrap_or_else(|| panic!("{code:?}"));
        let first = ident.chars().next().expect("empty identifier");
        assert!(
            first.is_ascii_uppercase() || first == '_',
            "identifier {ident:?}"
        );
        assert!(
            ident
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "identifier {ident:?}"
        );
        assert!(ident.chars().any(|c| c != '_'), "identifier {ident:?}");
        assert!(
            seen.insert(ident.to_owned()),
            "duplicate identifier {ident}"
        );
        let (len, values) = rest
            .split_once("] = [")
            .unwrap_or_else(|| panic!("{code:?}"));
        let len: usize = len.parse().unwrap_or_else(|_| panic!("{code:?}"));
        let values = values
            .strip_suffix("];")
            .unwrap_or_else(|| panic!("{code:?}"));
        let items: Vec<&str> = if values.is_empty() {
            Vec::new()
        } else {
            values.split(", ").collect()
        };
        assert_eq!(items.len(), len, "{code:?}");
        for v in items {
            let ok = v
                .parse::<f32>()
                .is_ok_and(|x| x.is_finite() && !v.contains(['i', 'n', 'N', 'I']))
                || matches!(v, "f32::NAN" | "f32::INFINITY" | "f32::NEG_INFINITY")
                || v.strip_prefix("f32::from_bits(")
                    .and_then(|b| b.strip_suffix(')'))
                    .is_some_and(|b| {
                        b.parse::<u32>().is_ok()
                            || b.strip_prefix("0x")
                                .is_some_and(|h| u32::from_str_radix(h, 16).is_ok())
                    });
            assert!(ok, "value {v:?} in {code:?}");
        }
    }
    assert_eq!(count, n, "one constant per matrix");
    let (mut depth, mut in_str, mut esc) = (0i64, false, false);
    for c in src.chars() {
        match (in_str, esc, c) {
            (true, true, _) => esc = false,
            (true, false, '\\') => esc = true,
            (true, false, '"') => in_str = false,
            (true, ..) => {}
            (false, _, '"') => in_str = true,
            (false, _, '[') => depth += 1,
            (false, _, ']') => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced ]");
            }
            (false, _, '{' | '}') => panic!("brace outside a literal"),
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced [");
    assert!(!in_str, "unterminated literal");
}
