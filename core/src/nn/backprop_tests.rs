//! The compiled path against the tape: values and every gradient bit for bit (NaN
//! compared as NaN), per layer and for compositions, and whole training runs.

use nalgebra::SMatrix;

use super::{Backprop, Grad, ParamGrads, Zeroed};
use crate::nn::{mlp, Init, Linear, Mat, Mlp, Module, PRelu, Rng, Visitor};
use crate::ops::unary::{Relu, Sigmoid, Softplus, Tanh};
use crate::optim::{Adam, Optimizer, Sgd};
use crate::testing::mat;
use crate::train::{train_classifier, ClassifierStep};
use crate::train::{train_classifier_compiled, ClassifierBuffers};
use crate::{Error, Real, Tape};

/// Equal bits (for a number: equal value and sign, which tells ±0 apart), or both NaN.
fn same<T: Real>(a: T, b: T) -> bool {
    (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

fn assert_same<T: Real>(what: &str, a: &[T], b: &[T]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(same(x, y), "{what}[{i}]: tape {x:?}, compiled {y:?}");
    }
}

/// Every gradient of a model, flattened in visiting order.
struct Flat<T> {
    v: [T; 1024],
    n: usize,
}

impl<T: Real> Flat<T> {
    fn new() -> Self {
        Flat {
            v: [T::zero(); 1024],
            n: 0,
        }
    }
    fn push(&mut self, g: impl Iterator<Item = T>) {
        for g in g {
            self.v[self.n] = g;
            self.n += 1;
        }
    }
    fn get(&self) -> &[T] {
        &self.v[..self.n]
    }
}

struct FromTape<'t, T: 'static, const S: usize, const N: usize> {
    tape: &'t Tape<T, S, N>,
    out: Flat<T>,
}

impl<T: Real, const S: usize, const N: usize> Visitor<T> for FromTape<'_, T, S, N> {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        _: &mut SMatrix<T, R, C>,
        grad: Grad<'_, T, R, C>,
    ) -> Result<(), Error> {
        let Grad::Id(id) = grad else {
            return Err(Error::Foreign);
        };
        self.out.push(self.tape.grad(id)?.iter().copied());
        Ok(())
    }
}

impl<T: Real> Visitor<T> for Flat<T> {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        _: &mut SMatrix<T, R, C>,
        grad: Grad<'_, T, R, C>,
    ) -> Result<(), Error> {
        let Grad::Value(g) = grad else {
            return Err(Error::Foreign);
        };
        self.push(g.iter().copied());
        Ok(())
    }
}

/// Runs `model` on `x` both ways with `up = ∂loss/∂y` (on the tape, the loss is
/// `⟨y, up⟩`), and asserts that `y`, `∂x` and every parameter gradient are the same.
fn compare<T, M, const IN: usize, const OUT: usize, const B: usize>(
    model: &M,
    x: SMatrix<T, IN, B>,
    up: SMatrix<T, OUT, B>,
) where
    T: Real,
    M: Backprop<T, Mat<IN, B>, Output = Mat<OUT, B>> + Clone,
{
    let mut tape: Tape<T, 8192, 64> = Tape::new();
    let (ids, y_tape, dx_tape) = {
        let g = tape.graph();
        let vars = model.bind(&g);
        let xv = g.param(&x);
        let y = M::forward(&vars, xv);
        let grads = y.dot(g.constant(&up)).backward().expect("fits");
        let dx = grads.wrt(xv).expect("tracked").into_owned();
        drop(grads);
        (M::ids(&vars), y.value(), dx)
    };
    let mut from_tape = FromTape {
        tape: &tape,
        out: Flat::new(),
    };
    model.clone().visit(&ids, &mut from_tape).expect("readable");

    let mut cache = M::Cache::zeroed();
    let mut y = SMatrix::<T, OUT, B>::zeros();
    model.forward_cached(&x, &mut cache, &mut y);
    let mut grads = M::Grads::zeroed();
    // Stale contents must be overwritten, not added to.
    let mut dx = SMatrix::<T, IN, B>::repeat(T::constant(7.0));
    model.backward(&x, &y, &mut cache, &up, &mut grads, Some(&mut dx), None);
    let mut compiled = Flat::new();
    model
        .clone()
        .visit_grads(&grads, &mut compiled)
        .expect("never fails");

    assert_same("y", y_tape.as_slice(), y.as_slice());
    assert_same("eval", model.eval(&x).as_slice(), y.as_slice());
    assert_same("dx", dx_tape.as_slice(), dx.as_slice());
    assert_eq!(compiled.n, M::PARAMS);
    assert_same("params", from_tape.out.get(), compiled.get());
}

/// Inputs with the values where conventions matter: ±0 (kinks), ±∞, NaN, huge.
fn edgy<const R: usize, const C: usize>(seed: u64) -> SMatrix<f64, R, C> {
    let special = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        800.0,
        -800.0,
    ];
    let mut m = mat::<R, C>(seed);
    for (i, x) in m.iter_mut().enumerate() {
        if i % 3 == 1 {
            *x = special[(i / 3) % special.len()];
        }
    }
    m
}

#[test]
fn activations_are_bit_identical_at_kinks_and_non_finite_inputs() {
    let (x, up) = (edgy::<7, 3>(1), mat::<7, 3>(2));
    compare(&Relu, x, up);
    compare(&Tanh, x, up);
    compare(&Sigmoid, x, up);
    compare(&Softplus, x, up);
    // A NaN or infinite upstream gradient, too.
    let up = edgy::<7, 3>(3);
    compare(&Relu, x, up);
    compare(&Tanh, x, up);
}

#[test]
fn linear_is_bit_identical() {
    let l = Linear::<f64, 5, 3> {
        weight: mat(1),
        bias: mat(2),
    };
    compare(&l, mat::<5, 4>(3), mat::<3, 4>(4));
    compare(&l, mat::<5, 1>(5), mat::<3, 1>(6));
    compare(&l, edgy::<5, 4>(7), mat::<3, 4>(8));
    compare(&l, mat::<5, 4>(9), edgy::<3, 4>(10));
    // Long columns: every lane and the tail of the 8-lane dot product.
    let l = Linear::<f64, 3, 19> {
        weight: mat(11),
        bias: mat(12),
    };
    compare(&l, mat::<3, 2>(13), mat::<19, 2>(14));
}

#[test]
fn prelu_is_bit_identical() {
    for a in [0.25, -1.5, 0.0, f64::NAN] {
        compare(&PRelu::new(a), edgy::<4, 3>(1), mat::<4, 3>(2));
    }
}

#[test]
fn compositions_are_bit_identical() {
    let mut rng = Rng::seed_from_u64(3);
    let net: Mlp<f64, 6, 9, 4> = mlp(&mut rng);
    compare(&net, mat::<6, 5>(1), mat::<4, 5>(2));
    compare(&net, edgy::<6, 5>(3), mat::<4, 5>(4));
    let deep = (
        Linear::<f64, 4, 8>::new(Init::XavierUniform, &mut rng),
        Tanh,
        Linear::<f64, 8, 8>::new(Init::XavierUniform, &mut rng),
        PRelu::default(),
        Linear::<f64, 8, 3>::new(Init::XavierUniform, &mut rng),
        Sigmoid,
        Softplus,
        Relu,
    );
    compare(&deep, mat::<4, 2>(5), mat::<3, 2>(6));
    compare(&(Tanh,), mat::<2, 2>(7), mat::<2, 2>(8));
    compare(
        &(Linear::<f64, 2, 2>::zeroed(), Relu),
        mat::<2, 3>(9),
        mat::<2, 3>(10),
    );
}

#[test]
fn window_classifier_in_f32_is_bit_identical() {
    // s = uᵀ tanh(Wx + b): ∂s/∂h = u.
    let net = (
        Linear::<f32, 20, 8>::new(Init::XavierUniform, &mut Rng::seed_from_u64(4)),
        Tanh,
    );
    let x = mat::<20, 1>(1).map(|v| v as f32);
    let u = mat::<8, 1>(2).map(|v| v as f32);
    compare(&net, x, u);
}

type Net = Mlp<f64, 3, 5, 2>;
const B: usize = 4;

fn data() -> (SMatrix<f64, 3, B>, SMatrix<f64, 2, B>) {
    let x = mat::<3, B>(7);
    let y = SMatrix::from_fn(|k, c| f64::from(u8::from((k == 1) == (x[(0, c)] > x[(1, c)]))));
    (x, y)
}

/// The parameters of a model, flattened in visiting order.
struct Params(Flat<f64>);

impl Visitor<f64> for Params {
    fn visit<const R: usize, const C: usize>(
        &mut self,
        p: &mut SMatrix<f64, R, C>,
        _: Grad<'_, f64, R, C>,
    ) -> Result<(), Error> {
        self.0.push(p.iter().copied());
        Ok(())
    }
}

fn params(net: &Net) -> Params {
    let mut p = Params(Flat::new());
    let grads = <Net as ParamGrads<f64>>::Grads::zeroed();
    net.clone().visit_grads(&grads, &mut p).unwrap();
    p
}

/// Trains one copy of the model on the tape and one compiled, and asserts equal losses
/// and parameters, bit for bit, after every step.
fn train_both<O: Optimizer<f64> + Clone>(opt: O, lambda: f64, steps: usize) {
    type Step = ClassifierStep<f64, Net, 3, 2, B>;
    let (x, y) = data();
    let start: Net = mlp(&mut Rng::seed_from_u64(11));
    let (mut a, mut b) = (start, start);
    let (mut oa, mut ob) = (opt.clone(), opt);
    let mut tape: Tape<f64, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut buffers = ClassifierBuffers::<f64, Net, 3, 2, B>::new();
    for step in 0..steps {
        let la = train_classifier(&mut a, &mut tape, &mut oa, &x, &y, lambda).unwrap();
        let lb = train_classifier_compiled(&mut b, &mut buffers, &mut ob, &x, &y, lambda).unwrap();
        assert!(same(la, lb), "step {step}: loss {la} vs {lb}");
        assert_same("params", params(&a).0.get(), params(&b).0.get());
    }
    assert_ne!(a, start);
}

#[test]
fn training_is_bit_identical_on_both_paths() {
    train_both(
        Adam::<f64, { <Net as Module<f64>>::PARAMS }>::new(0.05),
        1e-2,
        30,
    );
    train_both(Sgd::new(0.1), 0.0, 30);
    train_both(
        Sgd::new(0.1).momentum::<{ <Net as Module<f64>>::PARAMS }>(0.9),
        1e-3,
        30,
    );
}

#[test]
fn the_penalty_is_the_tapes() {
    let net: Net = mlp(&mut Rng::seed_from_u64(2));
    let mut tape: Tape<f64, 256, 32> = Tape::new();
    let g = tape.graph();
    let vars = net.bind(&g);
    let p = Net::penalty(&vars, 0.3).expect("weights").scalar();
    assert!(same(p, net.penalty_value(0.3).expect("weights")));
    assert_eq!((Relu, Tanh).penalty_value(0.3), None::<f64>);
}

#[test]
fn a_bad_step_is_refused_and_changes_nothing() {
    let (x, mut y) = data();
    let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
    let net0 = net;
    let mut buffers = ClassifierBuffers::<f64, Net, 3, 2, B>::default();
    let mut wrong: Adam<f64, 3> = Adam::new(0.1);
    let r = train_classifier_compiled(&mut net, &mut buffers, &mut wrong, &x, &y, 0.0);
    assert!(matches!(r, Err(Error::LengthMismatch { .. })));
    y[(0, 0)] = f64::NAN;
    let r = train_classifier_compiled(&mut net, &mut buffers, &mut Sgd::new(0.1), &x, &y, 0.0);
    assert_eq!(r, Err(Error::NonFinite));
    assert_eq!(net, net0);
}

#[test]
fn three_tuples_pass_the_input_gradient_through_their_middle() {
    let mut rng = Rng::seed_from_u64(21);
    let a = (
        Linear::<f64, 3, 4>::new(Init::XavierUniform, &mut rng),
        Sigmoid,
        Linear::<f64, 4, 2>::new(Init::XavierUniform, &mut rng),
    );
    compare(&a, mat::<3, 3>(1), mat::<2, 3>(2));
    compare(&a, edgy::<3, 3>(3), mat::<2, 3>(4));
    let b = (
        Linear::<f64, 3, 4>::new(Init::XavierUniform, &mut rng),
        PRelu::default(),
        Linear::<f64, 4, 2>::new(Init::XavierUniform, &mut rng),
    );
    compare(&b, mat::<3, 2>(5), mat::<2, 2>(6));
    let c = (
        Tanh,
        Linear::<f64, 3, 3>::new(Init::XavierUniform, &mut rng),
        Softplus,
    );
    compare(&c, mat::<3, 2>(7), mat::<3, 2>(8));
    compare(&c, edgy::<3, 2>(9), mat::<3, 2>(10));
}

#[test]
fn a_non_finite_parameter_is_refused_on_the_compiled_path() {
    let (x, y) = data();
    let mut net: Net = mlp(&mut Rng::seed_from_u64(1));
    for bad in [f64::NAN, f64::INFINITY] {
        net.2.bias[1] = bad;
        let before = params(&net).0;
        let mut buffers = ClassifierBuffers::<f64, Net, 3, 2, B>::new();
        let r = train_classifier_compiled(&mut net, &mut buffers, &mut Sgd::new(0.1), &x, &y, 0.0);
        assert_eq!(r, Err(Error::NonFinite));
        assert_same("params", before.get(), params(&net).0.get());
    }
}

/// The bits of a step's outcome: the loss, or the error.
fn outcome(r: Result<f64, Error>) -> Result<u64, Error> {
    r.map(f64::to_bits)
}

/// Trains on both paths from parameters, inputs and targets holding subnormals, ±0, NaN
/// and ±∞ (a NaN input refuses the step on both, identically), and asserts the same
/// outcome and the same parameters, bit for bit, after every step.
fn train_both_edgy<O: Optimizer<f64> + Clone>(opt: O, lambda: f64) {
    type Step = ClassifierStep<f64, Net, 3, 2, B>;
    let tiny = f64::MIN_POSITIVE;
    let mut start: Net = mlp(&mut Rng::seed_from_u64(5));
    start.0.weight[(0, 0)] = tiny * 0.75; // subnormal
    start.0.weight[(1, 1)] = -0.0;
    start.0.bias[2] = tiny * 1.000_000_1; // becomes subnormal under weight decay
    start.2.bias[0] = -tiny * 3.0;
    let (mut a, mut b) = (start, start);
    let (mut oa, mut ob) = (opt.clone(), opt);
    let mut tape: Tape<f64, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut buffers = ClassifierBuffers::<f64, Net, 3, 2, B>::new();
    let (x0, y0) = data();
    let mut refused = 0;
    for step in 0..40 {
        let (mut x, mut y) = (x0, y0);
        match step % 8 {
            1 => x[(0, 1)] = -0.0,
            2 => x[(1, 2)] = tiny / 4.0,
            3 => x[(2, 0)] = f64::NAN,
            4 => x[(0, 3)] = f64::INFINITY,
            5 => y[(1, 1)] = f64::NAN,
            6 => x[(1, 0)] = -1e300,
            _ => {}
        }
        let ra = train_classifier(&mut a, &mut tape, &mut oa, &x, &y, lambda);
        let rb = train_classifier_compiled(&mut b, &mut buffers, &mut ob, &x, &y, lambda);
        assert_eq!(outcome(ra), outcome(rb), "step {step}");
        refused += usize::from(ra.is_err());
        let (pa, pb) = (params(&a).0, params(&b).0);
        assert_same("params", pa.get(), pb.get());
        assert!(pa.get().iter().all(|p| p.is_finite() && !p.is_subnormal()));
    }
    assert!(refused > 0 && refused < 40, "{refused}");
    assert_ne!(a, start);
}

#[test]
fn whole_runs_are_bit_identical_through_subnormals_zeros_nan_and_infinities() {
    use crate::optim::{Adagrad, AdamW, RmsProp};
    const P: usize = <Net as Module<f64>>::PARAMS;
    train_both_edgy(Sgd::new(0.1).weight_decay(0.5), 0.0);
    train_both_edgy(Sgd::new(0.1), 1e-2);
    train_both_edgy(Sgd::new(0.1).momentum::<P>(0.9).nesterov(true), 1e-3);
    train_both_edgy(Adam::<f64, P>::new(0.05), 1e-2);
    train_both_edgy(AdamW::<f64, P>::new(0.05).weight_decay(0.3), 0.0);
    train_both_edgy(
        RmsProp::<f64, P>::new(0.01).momentum(0.5).centered(true),
        0.0,
    );
    train_both_edgy(Adagrad::<f64, P>::new(0.1).weight_decay(0.1), 1e-3);
}

#[test]
fn step_model_and_the_compiled_step_flush_what_they_write() {
    // A parameter whose step lands in the subnormal range: both paths write a zero.
    let tiny = f64::MIN_POSITIVE;
    let (x, _) = data();
    let mut net: Net = mlp(&mut Rng::seed_from_u64(8));
    net.2.bias[0] = tiny * 1.5;
    // Weight decay 0.5 at lr 1 with a zero gradient: p ← p − 0.5p = p/2, subnormal.
    let mut tape: Tape<f64, 4096, 64> = Tape::new();
    let ids = {
        let g = tape.graph();
        let v = net.bind(&g);
        // A loss that does not depend on the output bias: its gradient is 0.
        let h = <Net as crate::nn::Layer<f64, Mat<3, B>>>::forward(&v, g.constant(&x));
        (h.row_sum().sum() * g.constant_value(nalgebra::Matrix1::new(0.0)))
            .backward()
            .unwrap();
        Net::ids(&v)
    };
    let mut sgd = Sgd::new(1.0).weight_decay(0.5);
    sgd.step_model(&mut net, &tape, &ids).unwrap();
    assert_eq!(
        net.2.bias[0].to_bits(),
        0.0f64.to_bits(),
        "{}",
        net.2.bias[0]
    );
    // The compiled path, through the same engine.
    let mut net: Net = mlp(&mut Rng::seed_from_u64(8));
    net.2.bias[0] = -tiny * 1.5;
    let grads = <Net as ParamGrads<f64>>::Grads::zeroed();
    sgd.step_with((&mut net, &grads)).unwrap();
    assert_eq!(
        net.2.bias[0].to_bits(),
        (-0.0f64).to_bits(),
        "{}",
        net.2.bias[0]
    );
}

/// One visitor for both kinds of gradients: a hand-written model whose compiled
/// gradients hand an id instead of a value has nothing to read it from. The step says so
/// ([`Error::Foreign`]) and changes nothing; handed by value, the same model steps.
#[test]
fn compiled_gradients_handed_as_an_id_are_refused() {
    use crate::nn::LinearVars;
    use crate::{Graph, Usage, Var};

    #[derive(Clone, Debug, PartialEq)]
    struct Mine {
        layer: Linear<f64, 1, 1>,
        by_id: bool,
    }
    impl Module<f64> for Mine {
        const PARAMS: usize = 2;
        const TENSORS: usize = 2;
        const PENALTY: Usage = Usage::ZERO;
        type Vars<'g> = LinearVars<'g, f64, 1, 1>;
        type Ids = <Linear<f64, 1, 1> as Module<f64>>::Ids;
        fn bind<'g, 'a, const S: usize, const N: usize>(
            &'a self,
            g: &'g Graph<'a, f64, S, N>,
        ) -> Self::Vars<'g> {
            self.layer.bind(g)
        }
        fn ids(vars: &Self::Vars<'_>) -> Self::Ids {
            Linear::ids(vars)
        }
        fn visit<V: Visitor<f64>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error> {
            self.layer.visit(ids, v)
        }
        fn penalty<'g>(_: &Self::Vars<'g>, _: f64) -> Option<Var<'g, f64, 1, 1>> {
            None
        }
    }
    impl ParamGrads<f64> for Mine {
        type Grads = Linear<f64, 1, 1>;
        fn visit_grads<V: Visitor<f64>>(
            &mut self,
            g: &Self::Grads,
            v: &mut V,
        ) -> Result<(), Error> {
            if self.by_id {
                // An id of a variable on some tape: not where these gradients are.
                let mut tape: Tape<f64, 8, 4> = Tape::new();
                let graph = tape.graph();
                let id = graph.param(&self.layer.weight).id();
                let mut copy = self.layer.weight;
                v.visit(&mut copy, Grad::Id(id))?;
            } else {
                v.visit(&mut self.layer.weight, (&g.weight).into())?;
            }
            v.visit(&mut self.layer.bias, (&g.bias).into())
        }
        fn penalty_value(&self, _: f64) -> Option<f64> {
            None
        }
    }
    let mut grads = Linear::<f64, 1, 1>::zeroed();
    grads.weight[0] = 1.0;
    grads.bias[0] = 1.0;
    let start = Linear::<f64, 1, 1>::zeroed();
    let mut bad = Mine {
        layer: start,
        by_id: true,
    };
    let mut opt = Sgd::new(0.5);
    assert_eq!(opt.step_with((&mut bad, &grads)), Err(Error::Foreign));
    assert_eq!(bad.layer, start);
    let mut good = Mine {
        layer: start,
        by_id: false,
    };
    assert_eq!(opt.step_with((&mut good, &grads)), Ok(()));
    assert_eq!((good.layer.weight[0], good.layer.bias[0]), (-0.5, -0.5));
}
