//! Replayed training steps against recorded ones: losses and parameters bit for bit over
//! whole runs (every optimizer, subnormals, ±0, NaN and ±∞ in parameters, inputs and
//! targets), for a tuple of layers and for a user's struct with word vectors.

extern crate std;
use std::vec::Vec;

use nalgebra::{SMatrix, SVector};

use crate::nn::loss::max_margin;
use crate::nn::{
    for_each_param, mlp, Embedding, Init, Layer, Linear, LinearIds, LinearVars, Mat, Mlp, Module,
    Rng, Visitor,
};
use crate::ops::unary::Tanh;
use crate::optim::{Adagrad, Adam, AdamW, Optimizer, RmsProp, Sgd};
use crate::testing::mat;
use crate::train::{train_classifier, train_classifier_replayed, ClassifierStep};
use crate::{Error, Graph, ReplayKey, Tape, Usage, Var, VarId};

/// Every parameter's bits, in visiting order.
fn bits<M: Module<f64> + Clone>(model: &M) -> Vec<u64> {
    let mut out = Vec::new();
    for_each_param(&mut model.clone(), |p| {
        out.extend(p.iter().map(|x| x.to_bits()))
    });
    out
}

type Net = Mlp<f64, 3, 5, 2>;
const B: usize = 4;
type Step = ClassifierStep<f64, Net, 3, 2, B>;

/// Trains one copy recording every step and one replaying, from parameters, inputs and
/// targets with subnormals, ±0, NaN and ±∞; λ changes half-way (the replay must record
/// anew), and another graph is recorded on the replaying tape once (likewise).
fn train_both<O: Optimizer<f64> + Clone>(opt: O, lambda: f64) {
    let tiny = f64::MIN_POSITIVE;
    let mut start: Net = mlp(&mut Rng::seed_from_u64(5));
    start.0.weight[(0, 0)] = tiny * 0.75;
    start.0.weight[(1, 1)] = -0.0;
    start.0.bias[2] = tiny * 1.000_000_1;
    start.2.bias[0] = -tiny * 3.0;
    let (mut a, mut b) = (start, start);
    let (mut oa, mut ob) = (opt.clone(), opt);
    let mut ta: Tape<f64, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut tb: Tape<f64, { Step::USAGE.scalars }, { Step::USAGE.nodes }> = Tape::new();
    let mut key = ReplayKey::new();
    let x0 = mat::<3, B>(7);
    let y0 = SMatrix::<f64, 2, B>::from_fn(|k, c| {
        f64::from(u8::from((k == 1) == (x0[(0, c)] > x0[(1, c)])))
    });
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
            _ => x[(2, 3)] = 0.1 * step as f64,
        }
        let l = if step < 20 { lambda } else { lambda * 0.5 };
        if step == 13 {
            // Another graph on the replaying tape: the next step must record anew.
            let g = tb.graph();
            let _ = g.param(&x0).sum().backward();
        }
        let ra = train_classifier(&mut a, &mut ta, &mut oa, &x, &y, l);
        let rb = train_classifier_replayed(&mut b, &mut tb, &mut ob, &x, &y, l, &mut key);
        assert_eq!(
            ra.map(crate::testing::bits),
            rb.map(crate::testing::bits),
            "step {step}"
        );
        refused += usize::from(ra.is_err());
        assert_eq!(bits(&a), bits(&b), "step {step}");
        // The next step replays what this one recorded or replayed.
        assert!(tb.can_replay(), "step {step}");
    }
    assert!(refused > 0 && refused < 40, "{refused}");
    assert_ne!(a, start);
}

#[test]
fn replayed_training_is_bit_identical_with_every_optimizer() {
    const P: usize = <Net as Module<f64>>::PARAMS;
    train_both(Sgd::new(0.1).weight_decay(0.5), 0.0);
    train_both(Sgd::new(0.1), 1e-2);
    train_both(Sgd::new(0.1).momentum::<P>(0.9).nesterov(true), 1e-3);
    train_both(Adam::<f64, P>::new(0.05), 1e-2);
    train_both(AdamW::<f64, P>::new(0.05).weight_decay(0.3), 0.0);
    train_both(
        RmsProp::<f64, P>::new(0.01).momentum(0.5).centered(true),
        0.0,
    );
    train_both(Adagrad::<f64, P>::new(0.1).weight_decay(0.1), 1e-3);
}

// ---- the window classifier with word vectors, as a user's struct ----------------------

const VOCAB: usize = 7;
const DIM: usize = 3;
const WIN: usize = 3;
const X: usize = WIN * DIM;
const HID: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Window {
    words: Embedding<f64, VOCAB, DIM>,
    layer: Linear<f64, X, HID>,
    u: SVector<f64, HID>,
}

impl Module<f64> for Window {
    const PARAMS: usize = VOCAB * DIM + X * HID + HID + HID;
    const TENSORS: usize = 4;
    const PENALTY: Usage = Usage::ZERO;
    type Vars<'g> = (
        Var<'g, f64, VOCAB, DIM>,
        LinearVars<'g, f64, X, HID>,
        Var<'g, f64, HID, 1>,
    );
    type Ids = (VarId<VOCAB, DIM>, LinearIds<X, HID>, VarId<HID, 1>);

    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, f64, S, N>,
    ) -> Self::Vars<'g> {
        (self.words.bind(g), self.layer.bind(g), g.param(&self.u))
    }
    fn ids(v: &Self::Vars<'_>) -> Self::Ids {
        (v.0.id(), Linear::ids(&v.1), v.2.id())
    }
    fn visit<V: Visitor<f64>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error> {
        self.words.visit(&ids.0, v)?;
        self.layer.visit(&ids.1, v)?;
        v.visit(&mut self.u, ids.2.into())
    }
    fn penalty<'g>(_: &Self::Vars<'g>, _: f64) -> Option<Var<'g, f64, 1, 1>> {
        None
    }
}

/// One max-margin step on a true and a corrupt window, from one description: the leaves
/// (parameters, then both windows' indices), then the output, recorded or replayed.
fn window_step<O: Optimizer<f64>>(
    m: &mut Window,
    tape: &mut Tape<f64, 512, 32>,
    opt: &mut O,
    good: [usize; WIN],
    bad: [usize; WIN],
    key: Option<&mut ReplayKey>,
) -> Result<(f64, bool), Error> {
    let (loss, ids, replayed) = {
        let g = match key {
            Some(k) => tape.graph_or_replay(k),
            None => tape.graph(),
        };
        let vars = m.bind(&g);
        let (gi, bi) = (
            Embedding::<f64, VOCAB, DIM>::indices(&g, good),
            Embedding::<f64, VOCAB, DIM>::indices(&g, bad),
        );
        let (table, lin, u) = vars;
        let j = g.output(|| {
            let score = |idx| {
                let x = table.gather::<WIN, X>(idx);
                let h = <Linear<f64, X, HID> as Layer<f64, Mat<X, 1>>>::forward(&lin, x);
                u.dot(h.map::<Tanh>(0.0))
            };
            max_margin(score(gi), score(bi))
        });
        j.backward()?;
        (j.scalar(), Window::ids(&vars), g.is_replaying())
    };
    opt.step_model(m, tape, &ids)?;
    Ok((loss, replayed))
}

#[test]
fn a_window_classifier_with_word_vectors_replays_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(3);
    let mut start = Window {
        words: Embedding::new(Init::Normal(0.5), &mut rng),
        layer: Linear::new(Init::XavierUniform, &mut rng),
        u: SVector::from_fn(|i, _| 0.3 - 0.2 * i as f64),
    };
    start.words.table[(2, 1)] = f64::MIN_POSITIVE / 8.0; // subnormal
    start.words.table[(4, 0)] = -0.0;
    let (mut a, mut b) = (start, start);
    let mut oa = Adam::<f64, { Window::PARAMS }>::new(0.05);
    let mut ob = oa.clone();
    let (mut ta, mut tb) = (Tape::new(), Tape::new());
    let mut key = ReplayKey::new();
    let mut replays = 0;
    for step in 0..60usize {
        // Word 0 twice in some windows (fan-out into one row); word 9 is outside the
        // vocabulary once (a NaN word vector: the step is refused on both).
        let good = [step % VOCAB, 0, (step * 3 + 1) % VOCAB];
        let bad = [0, if step == 17 { 9 } else { (step + 2) % VOCAB }, 0];
        let ra = window_step(&mut a, &mut ta, &mut oa, good, bad, None);
        let rb = window_step(&mut b, &mut tb, &mut ob, good, bad, Some(&mut key));
        assert_eq!(
            ra.map(|r| crate::testing::bits(r.0)),
            rb.map(|r| crate::testing::bits(r.0)),
            "step {step}"
        );
        replays += usize::from(matches!(rb, Ok((_, true))));
        assert_eq!(bits(&a), bits(&b), "step {step}");
    }
    assert_eq!(
        replays, 58,
        "every step but the first (and step 17, refused) replays"
    );
    assert_ne!(a, start);
}
