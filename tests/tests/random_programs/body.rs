// The random-program tester at one shape `R×C` (`R`, `C` are constants of the including
// module, so stacking and selection use compile-time indices). Included by
// `random_programs.rs` once per shape.

/// Derivatives per program: two `R×C` parameters.
const NP: usize = 2 * R * C;
type M<A> = SMatrix<A, R, C>;
type D = Dual<f64, NP>;
/// The tape for ordinary runs, and the one capacity runs are padded against.
type BigTape<T> = Tape<T, 8192, 256>;
const CAP: Usage = Usage {
    scalars: 4096,
    nodes: 160,
};
type CapTape = Tape<f64, 4096, 160>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Un {
    Exp,
    Ln,
    Sqrt,
    Tanh,
    Sigmoid,
    Softplus,
    Relu,
    Leaky(f64),
    HardTanh,
    Abs,
    Sin,
    Cos,
    Square,
    Powf(f64),
    Powi(i32),
}

/// A `1×1` value made from `R×C` ones, used as a PReLU slope.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sc {
    Sum,
    Mean,
    Dot(usize),
    NormSq,
    /// 0: `at::<0, 0>`, 1: `at::<R−1, C−1>`, 2: `at::<1, 0>`.
    At(u8),
    SoftmaxCe(usize),
    Bce(usize),
    /// `nn::mse(b, c)`.
    Mse(usize),
    /// `nn::max_margin(b, c)`: the mean hinge `max(0, 1 − b + c)`.
    MaxMargin(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Unary(Un, usize),
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Max(usize, usize),
    Min(usize, usize),
    Scale(usize, f64),
    AddScalar(usize, f64),
    MulK(usize, f64),
    DivK(usize, f64),
    PlusK(usize, f64),
    MinusK(usize, f64),
    Clamp(usize, f64, f64),
    Softmax(usize),
    LogSoftmax(usize),
    /// `(a·bᵀ)·c`: `R×R` in the middle.
    MatAbc(usize, usize, usize),
    /// `a·(bᵀ·c)`: `C×C` in the middle.
    MatAtb(usize, usize, usize),
    /// `a.add_bias(b.column_sum())`.
    BiasSum(usize, usize),
    /// `a.add_bias(b.column_mean())`.
    BiasMean(usize, usize),
    /// `a.add_bias(b.column::<0>())` or `column::<C−1>` (the flag).
    BiasCol(usize, usize, bool),
    /// `a.rows::<0, 1>().vstack(b.rows::<1, R−1>())`.
    Vstack(usize, usize),
    /// `a.row_sum().vstack(b.rows::<1, R−1>())`.
    VstackRowSum(usize, usize),
    /// `a.row_mean().vstack(b.rows::<1, R−1>())`.
    VstackRowMean(usize, usize),
    /// `a.column::<0>().hstack(bᵀ.rows::<1, C−1>()ᵀ)`.
    Hstack(usize, usize),
    /// `a.prelu(scalar from b)`.
    Prelu(usize, Sc, usize),
    /// Row `idx` of table `a` (`gather::<1, C>`), transposed, on top of `b`'s other rows.
    Gather(usize, f64, usize),
    /// `a.column_log_sum_exp().vstack(b.rows::<1, R−1>())`.
    VstackLse(usize, usize),
}

#[derive(Clone, Debug)]
struct Program {
    seed: u64,
    params: [M<f64>; 2],
    consts: Vec<M<f64>>,
    ops: Vec<Op>,
    /// The loss is `dot(last value, w)`.
    w: M<f64>,
    /// Inputs hold a NaN or ±∞ (only values are compared then).
    injected: bool,
}

impl Program {
    fn leaves(&self) -> usize {
        2 + self.consts.len()
    }
}

// ---- the independent interpreter ------------------------------------------------------

fn relu_like<A: Ad>(x: A, neg_slope: f64) -> A {
    let v = x.re();
    if v > 0.0 || v.is_nan() {
        x.chain(v, if v.is_nan() { f64::NAN } else { 1.0 })
    } else if neg_slope == 0.0 {
        x.chain(0.0, 0.0) // relu(−∞) = 0
    } else {
        x.chain(neg_slope * v, neg_slope)
    }
}

fn sigmoid_f(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + (-v).exp())
    } else {
        let e = v.exp();
        e / (1.0 + e)
    }
}

fn unary<A: Ad>(u: Un, x: A, s: &mut Smooth) -> A {
    let v = x.re();
    match u {
        Un::Exp => exp(x),
        Un::Ln => {
            s.pole(v);
            ln(x)
        }
        Un::Sqrt => {
            s.pole(v);
            let r = v.sqrt();
            x.chain(r, 0.5 / r)
        }
        Un::Tanh => {
            let t = v.tanh();
            x.chain(t, 1.0 - t * t)
        }
        Un::Sigmoid => {
            let y = sigmoid_f(v);
            x.chain(y, y * (1.0 - y))
        }
        Un::Softplus => {
            let y = if v > 0.0 {
                v + (-v).exp().ln_1p()
            } else {
                v.exp().ln_1p()
            };
            x.chain(y, sigmoid_f(v))
        }
        Un::Relu => {
            s.near(v);
            relu_like(x, 0.0)
        }
        Un::Leaky(a) => {
            s.near(v);
            relu_like(x, a)
        }
        Un::HardTanh => {
            s.near(v.abs() - 1.0);
            if v.is_nan() {
                x.chain(v, f64::NAN)
            } else if v >= 1.0 {
                x.chain(1.0, 0.0)
            } else if v <= -1.0 {
                x.chain(-1.0, 0.0)
            } else {
                x.chain(v, 1.0)
            }
        }
        Un::Abs => {
            s.near(v);
            let d = if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else if v == 0.0 {
                0.0
            } else {
                f64::NAN
            };
            x.chain(v.abs(), d)
        }
        Un::Sin => x.chain(v.sin(), v.cos()),
        Un::Cos => x.chain(v.cos(), -v.sin()),
        Un::Square => x.chain(v * v, 2.0 * v),
        Un::Powf(p) => {
            if p < 1.0 {
                s.pole(v);
            } else {
                s.near(v);
            }
            x.chain(v.powf(p), p * v.powf(p - 1.0))
        }
        Un::Powi(n) => {
            if n < 0 {
                s.pole(v);
            }
            let d = if n == 0 { 0.0 } else { f64::from(n) * v.powi(n - 1) };
            x.chain(v.powi(n), d)
        }
    }
}

/// Element-wise maximum (`sign = 1`) or minimum (`−1`): ties split the tangent evenly.
fn minmax<A: Ad>(a: A, b: A, sign: f64, s: &mut Smooth) -> A {
    let (x, y) = (a.re(), b.re());
    s.near(x - y);
    let (sx, sy) = (sign * x, sign * y);
    if x.is_nan() || y.is_nan() {
        a.chain2(b, f64::NAN, f64::NAN, f64::NAN)
    } else if sx > sy {
        a.chain2(b, x, 1.0, 0.0)
    } else if sx < sy {
        a.chain2(b, y, 0.0, 1.0)
    } else {
        a.chain2(b, x, 0.5, 0.5)
    }
}

fn clamp<A: Ad>(x: A, lo: f64, hi: f64, s: &mut Smooth) -> A {
    let v = x.re();
    s.near(v - lo);
    s.near(v - hi);
    if v.is_nan() {
        x.chain(v, f64::NAN)
    } else {
        let y = if v < lo { lo } else { v };
        let y = if y > hi { hi } else { y };
        x.chain(y, if y == v { 1.0 } else { 0.0 })
    }
}

fn matmul<A: Ad, const P: usize, const K: usize, const Q: usize>(
    a: &SMatrix<A, P, K>,
    b: &SMatrix<A, K, Q>,
) -> SMatrix<A, P, Q> {
    SMatrix::from_fn(|i, j| {
        let mut acc = A::cst(0.0);
        for k in 0..K {
            acc = add(acc, mul(a[(i, k)], b[(k, j)]));
        }
        acc
    })
}

/// `(m, ln Σ e^{z − m})` of one column of logits, `m` the (NaN-propagating) maximum held
/// constant (its derivative cancels).
fn lse<A: Ad>(z: &[A]) -> A {
    let m = z.iter().fold(f64::NEG_INFINITY, |m, x| nanmax(m, x.re()));
    if m == f64::NEG_INFINITY {
        return A::cst(m);
    }
    let mut acc = A::cst(0.0);
    for &x in z {
        acc = add(acc, exp(sub(x, A::cst(m))));
    }
    add(A::cst(m), ln(acc))
}

fn column<A: Ad>(v: &M<A>, j: usize) -> [A; R] {
    std::array::from_fn(|i| v[(i, j)])
}

fn softmax<A: Ad>(v: &M<A>, log: bool) -> M<A> {
    let mut out = *v;
    for j in 0..C {
        let z = column(v, j);
        // (z − m) − ln Σ e^{z−m}, exact where z is the maximum (the formula the tape
        // documents); z − lse would round a log-probability near 0 differently.
        let m = z.iter().fold(f64::NEG_INFINITY, |m, x| nanmax(m, x.re()));
        let mut acc = A::cst(0.0);
        for &x in &z {
            acc = add(acc, exp(sub(x, A::cst(m))));
        }
        let l = ln(acc);
        for i in 0..R {
            let lp = if m == f64::NEG_INFINITY {
                sub(z[i], A::cst(m))
            } else {
                sub(sub(z[i], A::cst(m)), l)
            };
            out[(i, j)] = if log { lp } else { exp(lp) };
        }
    }
    out
}

fn scalar<A: Ad>(sc: Sc, b: &M<A>, vals: &[M<A>], s: &mut Smooth) -> A {
    let mut acc = A::cst(0.0);
    match sc {
        Sc::Sum => {
            for &x in b.iter() {
                acc = add(acc, x);
            }
        }
        Sc::Mean => {
            for &x in b.iter() {
                acc = add(acc, x);
            }
            acc = scale(acc, 1.0 / (R * C) as f64);
        }
        Sc::Dot(c) => {
            for (&x, &y) in b.iter().zip(vals[c].iter()) {
                acc = add(acc, mul(x, y));
            }
        }
        Sc::NormSq => {
            for &x in b.iter() {
                acc = add(acc, mul(x, x));
            }
        }
        Sc::At(k) => {
            acc = match k {
                0 => b[(0, 0)],
                1 => b[(R - 1, C - 1)],
                _ => b[(1, 0)],
            }
        }
        Sc::SoftmaxCe(c) => {
            let t = &vals[c];
            for j in 0..C {
                let z = column(b, j);
                let l = lse(&z);
                for i in 0..R {
                    let (x, y) = (z[i], t[(i, j)]);
                    if !(y.re() == 0.0 && x.re() == f64::NEG_INFINITY) {
                        acc = add(acc, mul(y, sub(l, x)));
                    }
                }
            }
            acc = scale(acc, 1.0 / C as f64);
        }
        Sc::Bce(c) => {
            let t = &vals[c];
            for (&z, &y) in b.iter().zip(t.iter()) {
                let (x, yv) = (z.re(), y.re());
                let f = nanmax(x, 0.0) - x * yv + (-x.abs()).exp().ln_1p();
                acc = add(acc, z.chain2(y, f, sigmoid_f(x) - yv, -x));
            }
            acc = scale(acc, 1.0 / (R * C) as f64);
        }
        Sc::Mse(c) => {
            for (&x, &y) in b.iter().zip(vals[c].iter()) {
                let d = sub(x, y);
                acc = add(acc, mul(d, d));
            }
            acc = scale(acc, 1.0 / (R * C) as f64);
        }
        Sc::MaxMargin(c) => {
            for (&x, &y) in b.iter().zip(vals[c].iter()) {
                let z = sub(y, x);
                let v = 1.0 + z.re();
                s.near(v);
                acc = add(
                    acc,
                    if v > 0.0 {
                        z.chain(v, 1.0)
                    } else if v.is_nan() {
                        z.chain(v, f64::NAN)
                    } else {
                        z.chain(0.0, 0.0)
                    },
                );
            }
            acc = scale(acc, 1.0 / (R * C) as f64);
        }
    }
    acc
}

/// The rows `1..R` of `b` under the single row `top`.
fn over_rest<A: Ad>(top: [A; C], b: &M<A>) -> M<A> {
    M::from_fn(|i, j| if i == 0 { top[j] } else { b[(i, j)] })
}

fn apply<A: Ad>(op: Op, vals: &[M<A>], s: &mut Smooth) -> M<A> {
    let map = |a: usize, s: &mut Smooth, f: &dyn Fn(A, &mut Smooth) -> A| -> M<A> {
        let mut out = vals[a];
        for x in out.iter_mut() {
            *x = f(*x, s);
        }
        out
    };
    // `from_fn`'s closure cannot borrow `s` mutably; route it through a cell.
    let cell = std::cell::RefCell::new(*s);
    let zip2 = |a: usize, b: usize, f: &dyn Fn(A, A, &mut Smooth) -> A| {
        M::<A>::from_fn(|i, j| f(vals[a][(i, j)], vals[b][(i, j)], &mut cell.borrow_mut()))
    };
    let out = match op {
        Op::Unary(u, a) => map(a, &mut cell.borrow_mut(), &|x, s| unary(u, x, s)),
        Op::Neg(a) => map(a, &mut cell.borrow_mut(), &|x, _| scale(x, -1.0)),
        Op::Add(a, b) => zip2(a, b, &|x, y, _| add(x, y)),
        Op::Sub(a, b) => zip2(a, b, &|x, y, _| sub(x, y)),
        Op::Mul(a, b) => zip2(a, b, &|x, y, _| mul(x, y)),
        Op::Div(a, b) => zip2(a, b, &|x, y, s| {
            s.pole(y.re());
            div(x, y)
        }),
        Op::Max(a, b) => zip2(a, b, &|x, y, s| minmax(x, y, 1.0, s)),
        Op::Min(a, b) => zip2(a, b, &|x, y, s| minmax(x, y, -1.0, s)),
        Op::Scale(a, k) | Op::MulK(a, k) => map(a, &mut cell.borrow_mut(), &|x, _| scale(x, k)),
        Op::DivK(a, k) => map(a, &mut cell.borrow_mut(), &|x, _| x.chain(x.re() / k, 1.0 / k)),
        Op::AddScalar(a, k) | Op::PlusK(a, k) => {
            map(a, &mut cell.borrow_mut(), &|x, _| x.chain(x.re() + k, 1.0))
        }
        Op::MinusK(a, k) => map(a, &mut cell.borrow_mut(), &|x, _| x.chain(x.re() - k, 1.0)),
        Op::Clamp(a, lo, hi) => map(a, &mut cell.borrow_mut(), &|x, s| clamp(x, lo, hi, s)),
        Op::Softmax(a) => softmax(&vals[a], false),
        Op::LogSoftmax(a) => softmax(&vals[a], true),
        Op::MatAbc(a, b, c) => {
            let abt = matmul(&vals[a], &vals[b].transpose());
            matmul(&abt, &vals[c])
        }
        Op::MatAtb(a, b, c) => {
            let btc = matmul(&vals[b].transpose(), &vals[c]);
            matmul(&vals[a], &btc)
        }
        Op::BiasSum(a, b) | Op::BiasMean(a, b) => {
            let k = if matches!(op, Op::BiasMean(..)) {
                1.0 / C as f64
            } else {
                1.0
            };
            let bias: [A; R] = std::array::from_fn(|i| {
                let mut acc = A::cst(0.0);
                for j in 0..C {
                    acc = add(acc, vals[b][(i, j)]);
                }
                scale(acc, k)
            });
            M::from_fn(|i, j| add(vals[a][(i, j)], bias[i]))
        }
        Op::BiasCol(a, b, last) => {
            let j0 = if last { C - 1 } else { 0 };
            M::from_fn(|i, j| add(vals[a][(i, j)], vals[b][(i, j0)]))
        }
        Op::Vstack(a, b) => over_rest(std::array::from_fn(|j| vals[a][(0, j)]), &vals[b]),
        Op::VstackRowSum(a, b) | Op::VstackRowMean(a, b) => {
            let k = if matches!(op, Op::VstackRowMean(..)) {
                1.0 / R as f64
            } else {
                1.0
            };
            let top = std::array::from_fn(|j| {
                let mut acc = A::cst(0.0);
                for i in 0..R {
                    acc = add(acc, vals[a][(i, j)]);
                }
                scale(acc, k)
            });
            over_rest(top, &vals[b])
        }
        Op::Hstack(a, b) => M::from_fn(|i, j| if j == 0 { vals[a][(i, 0)] } else { vals[b][(i, j)] }),
        Op::VstackLse(a, b) => {
            let top = std::array::from_fn(|j| {
                let z = column(&vals[a], j);
                for x in &z {
                    // An entry at the column's maximum: the softmax is smooth, but an
                    // infinite or NaN entry is not.
                    if !x.re().is_finite() {
                        cell.borrow_mut().finite = false;
                    }
                }
                lse(&z)
            });
            over_rest(top, &vals[b])
        }
        Op::Prelu(a, sc, b) => {
            let slope = scalar(sc, &vals[b], vals, &mut cell.borrow_mut());
            map(a, &mut cell.borrow_mut(), &|x, s| {
                let v = x.re();
                s.near(v);
                if v > 0.0 {
                    x.chain2(slope, v, 1.0, 0.0)
                } else if v.is_nan() {
                    x.chain2(slope, v, f64::NAN, f64::NAN)
                } else {
                    x.chain2(slope, slope.re() * v, slope.re(), v)
                }
            })
        }
        Op::Gather(a, idx, b) => {
            let ok = (0.0..R as f64).contains(&idx) && idx.floor() == idx;
            let top = std::array::from_fn(|j| {
                if ok {
                    vals[a][(idx as usize, j)]
                } else {
                    A::cst(f64::NAN)
                }
            });
            over_rest(top, &vals[b])
        }
    };
    *s = cell.into_inner();
    for x in out.iter() {
        if !x.re().is_finite() {
            s.finite = false;
        }
    }
    out
}

/// Every value of the program (leaves first) and the loss, with `A` numbers.
fn interpret<A: Ad>(p: &Program, params: [M<A>; 2], s: &mut Smooth) -> (Vec<M<A>>, A) {
    let mut vals: Vec<M<A>> = params.to_vec();
    vals.extend(p.consts.iter().map(|c| c.map(A::cst)));
    for &op in &p.ops {
        let v = apply(op, &vals, s);
        vals.push(v);
    }
    let last = vals[vals.len() - 1];
    let mut loss = A::cst(0.0);
    for (&x, &w) in last.iter().zip(p.w.iter()) {
        loss = add(loss, mul(x, A::cst(w)));
    }
    if !loss.re().is_finite() {
        s.finite = false;
    }
    (vals, loss)
}

fn loss_f64(p: &Program, params: [M<f64>; 2]) -> f64 {
    interpret(p, params, &mut Smooth::new()).1
}

// ---- the tape -------------------------------------------------------------------------

/// Inputs of a tape run with scalars `T`.
struct Data<T: Real> {
    params: [M<T>; 2],
    consts: Vec<M<T>>,
    w: M<T>,
    one: SMatrix<T, 1, 1>,
}

fn data<T: Real>(p: &Program, lift: impl Fn(usize, usize, f64) -> T) -> Data<T> {
    let param = |k: usize| M::<T>::from_fn(|i, j| lift(k, i + R * j, p.params[k][(i, j)]));
    Data {
        params: [param(0), param(1)],
        consts: p.consts.iter().map(|c| c.map(T::constant)).collect(),
        w: p.w.map(T::constant),
        one: SMatrix::from_element(T::one()),
    }
}

/// Extra scalars and nodes recorded before the program: a copied `1×2ᵏ` constant per bit
/// of `scalars`, then borrowed `1×1` constants (no scalars) for the remaining nodes.
#[derive(Clone, Copy, Debug)]
struct Pad {
    scalars: usize,
    nodes: usize,
}

fn pad<'a, T: Real, const S: usize, const N: usize>(g: &Graph<'a, T, S, N>, d: &'a Data<T>, pad: Pad) {
    macro_rules! chunk {
        ($($k:literal),*) => {$(
            if pad.scalars & (1 << $k) != 0 {
                let _ = g.constant_value(SMatrix::<T, 1, { 1 << $k }>::from_element(T::one()));
            }
        )*};
    }
    chunk!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    let used = pad.scalars.count_ones() as usize;
    for _ in used..pad.nodes {
        let _ = g.constant(&d.one);
    }
}

fn scalar_var<'g, T: Real>(sc: Sc, b: Var<'g, T, R, C>, vars: &[Var<'g, T, R, C>]) -> Var<'g, T, 1, 1> {
    match sc {
        Sc::Sum => b.sum(),
        Sc::Mean => b.mean(),
        Sc::Dot(c) => b.dot(vars[c]),
        Sc::NormSq => b.norm_squared(),
        Sc::At(0) => b.at::<0, 0>(),
        Sc::At(1) => b.at::<{ R - 1 }, { C - 1 }>(),
        Sc::At(_) => b.at::<1, 0>(),
        Sc::SoftmaxCe(c) => b.softmax_cross_entropy(vars[c]),
        Sc::Bce(c) => b.binary_cross_entropy_with_logits(vars[c]),
        Sc::Mse(c) => stackgrad::nn::loss::mse(b, vars[c]),
        Sc::MaxMargin(c) => stackgrad::nn::loss::max_margin(b, vars[c]),
    }
}

fn record_op<'g, T: Real>(op: Op, v: &[Var<'g, T, R, C>], g: &dyn Fn(T) -> Var<'g, T, 1, 1>) -> Var<'g, T, R, C> {
    let k = T::constant;
    match op {
        Op::Unary(u, a) => {
            let x = v[a];
            match u {
                Un::Exp => x.exp(),
                Un::Ln => x.ln(),
                Un::Sqrt => x.sqrt(),
                Un::Tanh => x.tanh(),
                Un::Sigmoid => x.sigmoid(),
                Un::Softplus => x.softplus(),
                Un::Relu => x.relu(),
                Un::Leaky(a) => x.leaky_relu(k(a)),
                Un::HardTanh => x.hardtanh(),
                Un::Abs => x.abs(),
                Un::Sin => x.sin(),
                Un::Cos => x.cos(),
                Un::Square => x.square(),
                Un::Powf(p) => x.powf(k(p)),
                Un::Powi(n) => x.powi(n),
            }
        }
        Op::Neg(a) => -v[a],
        Op::Add(a, b) => v[a] + v[b],
        Op::Sub(a, b) => v[a] - v[b],
        Op::Mul(a, b) => v[a].component_mul(v[b]),
        Op::Div(a, b) => v[a].component_div(v[b]),
        Op::Max(a, b) => v[a].max(v[b]),
        Op::Min(a, b) => v[a].min(v[b]),
        Op::Scale(a, x) => v[a].scale(k(x)),
        Op::AddScalar(a, x) => v[a].add_scalar(k(x)),
        Op::MulK(a, x) => v[a] * k(x),
        Op::DivK(a, x) => v[a] / k(x),
        Op::PlusK(a, x) => v[a] + k(x),
        Op::MinusK(a, x) => v[a] - k(x),
        Op::Clamp(a, lo, hi) => v[a].clamp(k(lo), k(hi)),
        Op::Softmax(a) => v[a].softmax(),
        Op::LogSoftmax(a) => v[a].log_softmax(),
        Op::MatAbc(a, b, c) => (v[a] * v[b].transpose()) * v[c],
        Op::MatAtb(a, b, c) => v[a] * (v[b].transpose() * v[c]),
        Op::BiasSum(a, b) => v[a].add_bias(v[b].column_sum()),
        Op::BiasMean(a, b) => v[a].add_bias(v[b].column_mean()),
        Op::BiasCol(a, b, false) => v[a].add_bias(v[b].column::<0>()),
        Op::BiasCol(a, b, true) => v[a].add_bias(v[b].column::<{ C - 1 }>()),
        Op::Vstack(a, b) => v[a].rows::<0, 1>().vstack(v[b].rows::<1, { R - 1 }>()),
        Op::VstackRowSum(a, b) => v[a].row_sum().vstack(v[b].rows::<1, { R - 1 }>()),
        Op::VstackRowMean(a, b) => v[a].row_mean().vstack(v[b].rows::<1, { R - 1 }>()),
        Op::Hstack(a, b) => v[a]
            .column::<0>()
            .hstack(v[b].transpose().rows::<1, { C - 1 }>().transpose()),
        Op::Prelu(a, sc, b) => v[a].prelu(scalar_var(sc, v[b], v)),
        Op::Gather(a, idx, b) => v[a]
            .gather::<1, C>(g(k(idx)))
            .transpose()
            .vstack(v[b].rows::<1, { R - 1 }>()),
        Op::VstackLse(a, b) => v[a].column_log_sum_exp().vstack(v[b].rows::<1, { R - 1 }>()),
    }
}

/// Records the program (after `padding`), returning every value and the loss.
fn record<'a, 'g, T: Real, const S: usize, const N: usize>(
    g: &'g Graph<'a, T, S, N>,
    p: &Program,
    d: &'a Data<T>,
    padding: Option<Pad>,
) -> (Vec<Var<'g, T, R, C>>, Var<'g, T, 1, 1>) {
    if let Some(x) = padding {
        pad(g, d, x);
    }
    let mut vars = vec![g.param(&d.params[0]), g.param(&d.params[1])];
    vars.extend(d.consts.iter().map(|c| g.constant(c)));
    let idx = |x: T| g.constant_value(SMatrix::<T, 1, 1>::from_element(x));
    for &op in &p.ops {
        let v = record_op(op, &vars, &idx);
        vars.push(v);
    }
    let loss = vars[vars.len() - 1].dot(g.constant(&d.w));
    (vars, loss)
}

/// One tape run: every value, the loss, both gradients and the need.
struct Run<T: Real> {
    values: Vec<M<T>>,
    loss: T,
    grads: Result<[M<T>; 2], Error>,
    needed: Usage,
}

fn run_tape<T: Real, const S: usize, const N: usize>(
    tape: &mut Tape<T, S, N>,
    p: &Program,
    d: &Data<T>,
    padding: Option<Pad>,
) -> Run<T> {
    let g = tape.graph();
    let (vars, loss) = record(&g, p, d, padding);
    let values = vars.iter().map(|v| v.value()).collect();
    let needed = g.needed();
    let lossv = loss.scalar();
    let grads = loss.backward().and_then(|gr| {
        Ok([
            gr.wrt(vars[0])?.into_owned(),
            gr.wrt(vars[1])?.into_owned(),
        ])
    });
    let ids = (vars[0].id(), vars[1].id());
    // The same gradients read through the tape after the graph is gone.
    if let Ok(gs) = &grads {
        let same = |x: &M<T>, y: &M<T>| {
            x.iter()
                .zip(y.iter())
                .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
        };
        let a = tape.grad(ids.0).map(|v| v.into_owned());
        let b = tape.grad(ids.1).map(|v| v.into_owned());
        let agree = matches!((&a, &b), (Ok(a), Ok(b)) if same(a, &gs[0]) && same(b, &gs[1]));
        assert!(agree, "Tape::grad disagrees with Grads::wrt");
    }
    Run {
        values,
        loss: lossv,
        grads,
        needed,
    }
}

/// Binds the program's leaves again on a replaying graph, in the order `record` made
/// them, and returns the replayed loss with the two parameters.
fn replay<'a, 'g, T: Real, const S: usize, const N: usize>(
    g: &'g Graph<'a, T, S, N>,
    p: &Program,
    d: &'a Data<T>,
) -> (Var<'g, T, R, C>, Var<'g, T, R, C>, Var<'g, T, 1, 1>) {
    let (a, b) = (g.param(&d.params[0]), g.param(&d.params[1]));
    for c in &d.consts {
        let _ = g.constant(c);
    }
    for op in &p.ops {
        if let Op::Gather(_, idx, _) = *op {
            let _ = g.constant_value(SMatrix::<T, 1, 1>::from_element(T::constant(idx)));
        }
    }
    let _ = g.constant(&d.w);
    (a, b, g.replayed::<1, 1>())
}

fn big_tape<T: Real>() -> Box<BigTape<T>> {
    Box::new(Tape::new())
}

// ---- generation -----------------------------------------------------------------------

fn entry(rng: &mut Rng) -> f64 {
    if rng.chance(0.15) {
        // Exactly on a kink (0, ±1) or a clamp bound.
        rng.pick(&[0.0, 0.0, 1.0, -1.0, 0.5, -0.5])
    } else {
        rng.uniform(-2.0, 2.0)
    }
}

fn matrix(rng: &mut Rng) -> M<f64> {
    M::from_fn(|_, _| entry(rng))
}

fn gen_unary(rng: &mut Rng) -> Un {
    match rng.below(15) {
        0 => Un::Exp,
        1 => Un::Ln,
        2 => Un::Sqrt,
        3 => Un::Tanh,
        4 => Un::Sigmoid,
        5 => Un::Softplus,
        6 => Un::Relu,
        7 => Un::Leaky(rng.pick(&[0.01, 0.1, 0.3])),
        8 => Un::HardTanh,
        9 => Un::Abs,
        10 => Un::Sin,
        11 => Un::Cos,
        12 => Un::Square,
        13 => Un::Powf(rng.pick(&[0.5, 1.0, 1.5, 2.5, 3.0])),
        _ => Un::Powi(rng.pick(&[-2, -1, 0, 1, 2, 3])),
    }
}

fn gen_op(rng: &mut Rng, n: usize) -> Op {
    // Operands from every earlier value, biased to recent ones; sometimes the same twice.
    let pick = |rng: &mut Rng| {
        if rng.chance(0.5) {
            n - 1 - rng.below(n.min(3))
        } else {
            rng.below(n)
        }
    };
    let a = pick(rng);
    let b = if rng.chance(0.15) { a } else { pick(rng) };
    let c = pick(rng);
    let k = rng.pick(&[-2.0, -0.5, 0.5, 1.0, 3.0]);
    match rng.below(29) {
        0..=3 => Op::Unary(gen_unary(rng), a),
        4 => Op::Neg(a),
        5 => Op::Add(a, b),
        6 => Op::Sub(a, b),
        7 => Op::Mul(a, b),
        8 => Op::Div(a, b),
        9 => Op::Max(a, b),
        10 => Op::Min(a, b),
        11 => match rng.below(6) {
            0 => Op::Scale(a, k),
            1 => Op::AddScalar(a, k),
            2 => Op::MulK(a, k),
            3 => Op::DivK(a, k),
            4 => Op::PlusK(a, k),
            _ => Op::MinusK(a, k),
        },
        12 => {
            let lo = rng.pick(&[-1.0, -0.5, 0.0, f64::NEG_INFINITY]);
            let hi = rng.pick(&[0.0, 0.5, 1.0, f64::INFINITY]);
            Op::Clamp(a, lo, hi)
        }
        13 => Op::Softmax(a),
        14 => Op::LogSoftmax(a),
        15 => Op::MatAbc(a, b, c),
        16 => Op::MatAtb(a, b, c),
        17 => Op::BiasSum(a, b),
        18 => Op::BiasMean(a, b),
        19 => Op::BiasCol(a, b, rng.chance(0.5)),
        20 => Op::Vstack(a, b),
        21 => Op::VstackRowSum(a, b),
        22 => Op::VstackRowMean(a, b),
        23 => Op::Hstack(a, b),
        24 | 25 => {
            let sc = match rng.below(9) {
                0 => Sc::Sum,
                1 => Sc::Mean,
                2 => Sc::Dot(c),
                3 => Sc::NormSq,
                4 => Sc::At(rng.below(3) as u8),
                5 => Sc::SoftmaxCe(c),
                6 => Sc::Bce(c),
                7 => Sc::Mse(c),
                _ => Sc::MaxMargin(c),
            };
            Op::Prelu(a, sc, b)
        }
        28 => Op::VstackLse(a, b),
        _ => Op::Gather(a, rng.below(R) as f64, b),
    }
}

fn generate(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    let injected = rng.chance(0.2);
    let params = [matrix(&mut rng), matrix(&mut rng)];
    let consts: Vec<M<f64>> = (0..rng.below(3)).map(|_| matrix(&mut rng)).collect();
    let mut p = Program {
        seed,
        params,
        consts,
        ops: Vec::new(),
        w: matrix(&mut rng),
        injected,
    };
    if injected {
        let bad = rng.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        let slot = rng.below(p.leaves());
        let (i, j) = (rng.below(R), rng.below(C));
        match slot {
            0 | 1 => p.params[slot][(i, j)] = bad,
            s => p.consts[s - 2][(i, j)] = bad,
        }
    }
    // Values as the program grows: an op is kept only if (outside injected programs)
    // everything stays finite and moderate, so most programs are checked in full.
    let mut vals: Vec<M<f64>> = p.params.to_vec();
    vals.extend(p.consts.iter().copied());
    let len = 1 + rng.below(14);
    let mut tries = 0;
    while p.ops.len() < len && tries < 200 {
        tries += 1;
        let mut op = gen_op(&mut rng, vals.len());
        if let Op::Gather(a, _, b) = op {
            if injected && rng.chance(0.3) {
                op = Op::Gather(a, rng.pick(&[-1.0, 0.5, R as f64, f64::NAN]), b);
            }
        }
        let v = apply(op, &vals, &mut Smooth::new());
        // Injected programs may carry NaN and ±∞, but their finite values stay moderate
        // too: cos of 1e20 is a different number for a one-ulp change of 1e20.
        let ok = v.iter().all(|x| (injected || x.is_finite()) && !(x.abs() >= 1e4 && x.is_finite()));
        if ok {
            p.ops.push(op);
            vals.push(v);
        }
    }
    if p.ops.is_empty() {
        p.ops.push(Op::Add(0, 1));
    }
    p
}

// ---- checking -------------------------------------------------------------------------

fn fail(p: &Program, what: String) -> ! {
    panic!(
        "random program failed ({}×{}, seed {}): {}\nprogram: {:?}",
        R, C, p.seed, what, p
    );
}

fn run_one(seed: u64, tally: &mut Tally) {
    let p = generate(seed);
    tally.programs += 1;
    tally.ops += p.ops.len();
    tally.injected += usize::from(p.injected);

    // (1) the independent interpreter in f64 and over forward-mode duals
    let mut smooth = Smooth::new();
    let (ref_vals, ref_loss) = interpret(&p, p.params, &mut smooth);
    let dparams: [M<D>; 2] =
        std::array::from_fn(|k| M::from_fn(|i, j| Dual::variable(p.params[k][(i, j)], k * R * C + i + R * j)));
    let (_, dloss) = interpret(&p, dparams, &mut Smooth::new());

    // (2) the tape in f64
    let d64 = data(&p, |_, _, x| x);
    let mut tape = big_tape::<f64>();
    let run = run_tape(&mut *tape, &p, &d64, None);
    // With an infinity injected, sums of overflowing terms depend on their order (the
    // tape's kernels and the reference add in different orders): there an infinity of
    // either sign or a NaN counts as agreeing with a non-finite reference.
    let agrees = |g: f64, w: f64| {
        same_value(g, w, 1e-7) || (p.injected && !g.is_finite() && !w.is_finite())
    };
    for (k, (got, want)) in run.values.iter().zip(&ref_vals).enumerate() {
        for (g, w) in got.iter().zip(want.iter()) {
            if !agrees(*g, *w) {
                fail(&p, format!("value {k}: tape {got:?}, reference {want:?}"));
            }
        }
    }
    if !agrees(run.loss, ref_loss) {
        fail(&p, format!("loss: tape {}, reference {}", run.loss, ref_loss));
    }
    let grads = match run.grads {
        Ok(g) => g,
        Err(e) => fail(&p, format!("backward failed: {e:?}")),
    };

    // Exactly on a kink (a tie, a clamp bound) both sides must follow the same
    // convention, but only if they see the same tie: values of the tape (libm) and of the
    // reference (the host's libm) may differ in the last bit, which turns a tie of one
    // into a near-tie of the other. So within 1e-9 of a kink, gradients are compared only
    // if every value agrees bit for bit.
    let bitwise = |a: &[M<f64>], b: &[M<f64>]| {
        a.iter().zip(b).all(|(x, y)| {
            x.iter()
                .zip(y.iter())
                .all(|(u, v)| u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()))
        })
    };
    let kinks_agree = smooth.kink >= 1e-9 || bitwise(&run.values, &ref_vals);

    // (3) gradients against forward mode, where everything is finite
    if smooth.finite && !p.injected && !smooth.singular && kinks_agree {
        tally.forward_checked += 1;
        for k in 0..2 {
            for (i, g) in grads[k].iter().enumerate() {
                let want = dloss.eps[k * R * C + i];
                // NaN or ±∞ only where forward mode has them too (sqrt′(0) = ∞, ...).
                if !same_value(*g, want, 1e-6) {
                    fail(&p, format!("∂loss/∂param{k}[{i}]: tape {g}, forward mode {want}\ntape gradient: {:?}", grads[k]));
                }
            }
        }
    }

    // (4) central differences, away from kinks
    let fd_ok = smooth.finite && !p.injected && smooth.kink > 1e-3 && ref_loss.abs() < 1e6;
    if fd_ok {
        tally.fd_checked += 1;
        for k in 0..2 {
            for i in 0..R * C {
                let x = p.params[k][i];
                let h = 1e-6 * x.abs().max(1.0);
                let mut plus = p.params;
                plus[k][i] = x + h;
                let mut minus = p.params;
                minus[k][i] = x - h;
                let fd = (loss_f64(&p, plus) - loss_f64(&p, minus)) / (2.0 * h);
                let g = grads[k][i];
                // The difference itself must be trustworthy: near a pole it changes with
                // the step. Then this entry is left to forward mode (checked above).
                let h2 = h / 8.0;
                let (mut plus2, mut minus2) = (p.params, p.params);
                plus2[k][i] = x + h2;
                minus2[k][i] = x - h2;
                let fd2 = (loss_f64(&p, plus2) - loss_f64(&p, minus2)) / (2.0 * h2);
                if !within((fd - fd2).abs(), 1e-4 * (1.0 + fd.abs())) {
                    tally.fd_skipped_entries += 1;
                    continue;
                }
                // Relative 1e-3: near a pole (a division by a small number) the
                // third derivative is large and so is the difference's error.
                let tol = 1e-3 * (1.0 + g.abs()) + 1e-9 * (1.0 + ref_loss.abs()) / h;
                if !within((fd - g).abs(), tol) {
                    fail(&p, format!("∂loss/∂param{k}[{i}]: tape {g}, central difference {fd}"));
                }
            }
        }
    }

    // (6) capacity: one scalar short, one node short, exactly enough
    let need = run.needed;
    if need.scalars + 12 >= CAP.scalars || need.nodes + 13 >= CAP.nodes {
        fail(&p, format!("program too large for the capacity runs: {need:?}"));
    }
    tally.capacity_runs += 3;
    for (extra_s, extra_n) in [(1usize, 0usize), (0, 1), (0, 0)] {
        let want = Usage {
            scalars: CAP.scalars + extra_s,
            nodes: CAP.nodes + extra_n,
        };
        let padding = Pad {
            scalars: want.scalars - need.scalars,
            nodes: want.nodes - need.nodes,
        };
        let mut t: Box<CapTape> = Box::new(Tape::new());
        let r = run_tape(&mut *t, &p, &d64, Some(padding));
        if r.needed != want {
            fail(&p, format!("padding {padding:?}: the graph needs {:?}, meant {want:?}", r.needed));
        }
        match (extra_s + extra_n, r.grads) {
            (0, Ok(g)) => {
                let same = g.iter().zip(&grads).all(|(a, b)| {
                    a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
                });
                if !same {
                    fail(&p, "gradients on an exactly full tape differ".into());
                }
            }
            (0, Err(e)) => fail(&p, format!("exactly enough capacity failed: {e:?}")),
            (_, Err(Error::Capacity { needed, capacity })) => {
                if needed != want || capacity != CAP {
                    fail(&p, format!("Capacity error states {needed:?}/{capacity:?}, want {want:?}/{CAP:?}"));
                }
            }
            (_, other) => fail(&p, format!("one short of {want:?}: {:?}", other.err())),
        }
    }

    // (7) replay: recorded on other parameters and constants, replayed on these, bit for
    // bit the fresh recording (every value is computed again, nothing kept but the
    // operations and their attributes).
    {
        let mut other = data(&p, |k, i, x| if (k + i) % 3 == 0 { -x } else { 0.5 * x + 0.25 });
        for c in other.consts.iter_mut() {
            *c = c.map(|x| 1.5 - x);
        }
        let mut t = big_tape::<f64>();
        {
            let g = t.graph();
            let (_, loss) = record(&g, &p, &other, None);
            let r = loss.backward().err();
            if let Some(e) = r {
                fail(&p, format!("recording for the replay failed: {e:?}"));
            }
        }
        let g = t.replay();
        let (a, b, loss) = replay(&g, &p, &d64);
        let got = loss.backward().and_then(|gr| Ok([gr.wrt(a)?.into_owned(), gr.wrt(b)?.into_owned()]));
        let same = |x: &M<f64>, y: &M<f64>| x.iter().zip(y.iter()).all(|(u, v)| u.to_bits() == v.to_bits());
        match got {
            Ok(gr) if loss.scalar().to_bits() == run.loss.to_bits() && same(&gr[0], &grads[0]) && same(&gr[1], &grads[1]) => {}
            Ok(gr) => fail(&p, format!("replay: loss {} and gradients {gr:?}, recorded {} and {grads:?}", loss.scalar(), run.loss)),
            Err(e) => fail(&p, format!("replay failed: {e:?}")),
        }
        tally.replays += 1;
    }

    // (5) the same program on a tape over Dual<f64, 1>: forward over reverse
    let mut drng = Rng::new(seed ^ 0xD1);
    let dir: [M<f64>; 2] = std::array::from_fn(|_| M::from_fn(|_, _| drng.uniform(-1.0, 1.0)));
    let dd = data(&p, |k, i, x| Dual::<f64, 1>::new(x, SMatrix::from_element(dir[k][i])));
    let mut dtape = big_tape::<Dual<f64, 1>>();
    let drun = run_tape(&mut *dtape, &p, &dd, None);
    // Values over Dual are the f64 values, always: branches on NaN follow the value
    // (`Dual::is_nan`), and a constant exponent takes nothing from `ln` of its base.
    let dvals = &drun.values[..];
    for (k, (got, want)) in dvals.iter().zip(&run.values).enumerate() {
        for (g, w) in got.iter().zip(want.iter()) {
            if !same_value(g.re, *w, 1e-12) {
                fail(&p, format!("value {k} over Dual {:?} vs f64 {want:?}", got.map(|x| x.re)));
            }
        }
    }
    if !same_value(drun.loss.re, run.loss, 1e-12) {
        fail(&p, format!("loss over Dual {} vs f64 {}", drun.loss.re, run.loss));
    }
    let dgrads = match drun.grads {
        Ok(g) => g,
        Err(e) => fail(&p, format!("backward over Dual failed: {e:?}")),
    };
    let dual_re: Vec<M<f64>> = drun.values.iter().map(|v| v.map(|x| x.re)).collect();
    let dual_kinks_agree = smooth.kink >= 1e-9 || bitwise(&dual_re, &run.values);
    if smooth.finite && !p.injected && !smooth.singular && dual_kinks_agree {
        let dirderiv: f64 = (0..2).map(|k| grads[k].dot(&dir[k])).sum();
        if !same_value(drun.loss.eps[0], dirderiv, 1e-6) {
            fail(&p, format!("loss tangent over Dual {} vs ∇loss·v {}", drun.loss.eps[0], dirderiv));
        }
        for k in 0..2 {
            for i in 0..R * C {
                if !same_value(dgrads[k][i].re, grads[k][i], 1e-10) {
                    fail(&p, format!("gradient over Dual {} vs f64 {}", dgrads[k][i].re, grads[k][i]));
                }
            }
        }
    }
    if fd_ok && smooth.kink > 1e-2 {
        // Hessian-vector product against central differences of tape gradients.
        tally.hvp_checked += 1;
        let h = 1e-6;
        let at = |step: f64| {
            let mut q = p.clone();
            for k in 0..2 {
                q.params[k] += dir[k] * step;
            }
            let d = data(&q, |_, _, x| x);
            let mut t = big_tape::<f64>();
            run_tape(&mut *t, &q, &d, None).grads.unwrap_or_else(|e| fail(&p, format!("{e:?}")))
        };
        let (gp, gm) = (at(h), at(-h));
        let (gp2, gm2) = (at(h / 8.0), at(-h / 8.0));
        for k in 0..2 {
            for i in 0..R * C {
                let fd = (gp[k][i] - gm[k][i]) / (2.0 * h);
                let fd2 = (gp2[k][i] - gm2[k][i]) / (2.0 * h / 8.0);
                let hv = dgrads[k][i].eps[0];
                let scale = 1.0 + grads[k][i].abs() + ref_loss.abs();
                if !within((fd - fd2).abs(), 1e-4 * (1.0 + fd.abs())) {
                    // Near a pole the difference changes with the step: not trustworthy.
                    tally.fd_skipped_entries += 1;
                    continue;
                }
                if !within((fd - hv).abs(), 1e-3 * (1.0 + hv.abs()) + 1e-9 * scale / h) {
                    fail(&p, format!("Hessian-vector product param{k}[{i}]: tape over Dual {hv}, central difference {fd}"));
                }
            }
        }
    }

}
