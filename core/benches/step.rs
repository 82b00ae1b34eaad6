//! Instruction counts of a whole training step, for callgrind (`scripts/icount.sh step`
//! runs them all):
//!
//! ```text
//! cargo bench -p stackgrad --bench step --no-run
//! valgrind --tool=callgrind target/release/deps/step-* VARIANT BATCH ITERS
//! ```
//!
//! The model is the issue's 64-32-10 ReLU MLP, softmax cross-entropy (mean) + L2
//! (λ = 1e-4, `0` with `VARIANT` suffixed `_l0`), Adam with PyTorch's rule, `f32`.
//! `VARIANT` is `hand` (a careful hand-written step: nalgebra's gemm into buffers, one
//! fused Adam loop, `std`'s square root, which the compiler vectorises), `hand_libm`
//! (the same with libm's square root, one scalar at a time on x86-64), `tape` (`train_classifier`), `compiled`
//! (`train_classifier_compiled`), `replay` (`train_classifier_replayed`: the first
//! step records, every later one replays), `adam_slice` / `adam_model` (the optimizer alone, over
//! the 2,410 scalars as a slice / as the model with compiled gradients), or `none`
//! (setup only, to subtract). `BATCH` is 1 or 32.

use std::hint::black_box;

use stackgrad::compiled::{ParamGrads, Zeroed};
use stackgrad::nalgebra::SMatrix;
use stackgrad::nn::{mlp, Mlp, Module, Rng};
use stackgrad::optim::{Adam, Optimizer};
use stackgrad::train::{train_classifier, train_classifier_replayed, ClassifierStep};
use stackgrad::train::{train_classifier_compiled, ClassifierBuffers};
use stackgrad::{ReplayKey, Tape};

const IN: usize = 64;
const H: usize = 32;
const K: usize = 10;
type Net = Mlp<f32, IN, H, K>;
const P: usize = <Net as Module<f32>>::PARAMS;

/// The hand-written step's state: parameters, Adam's moments (flat, in the model's
/// order), and the buffers of one step, all allocated once.
struct Hand<const B: usize> {
    w1: SMatrix<f32, H, IN>,
    b1: SMatrix<f32, H, 1>,
    w2: SMatrix<f32, K, H>,
    b2: SMatrix<f32, K, 1>,
    m: [f32; P],
    v: [f32; P],
    t: i32,
    z1: SMatrix<f32, H, B>,
    z2: SMatrix<f32, K, B>,
    dz2: SMatrix<f32, K, B>,
    dz1: SMatrix<f32, H, B>,
    gw1: SMatrix<f32, H, IN>,
    gb1: SMatrix<f32, H, 1>,
    gw2: SMatrix<f32, K, H>,
    gb2: SMatrix<f32, K, 1>,
}

impl<const B: usize> Hand<B> {
    fn new(net: &Net) -> Box<Self> {
        Box::new(Hand {
            w1: net.0.weight,
            b1: net.0.bias,
            w2: net.2.weight,
            b2: net.2.bias,
            m: [0.0; P],
            v: [0.0; P],
            t: 0,
            z1: SMatrix::zeros(),
            z2: SMatrix::zeros(),
            dz2: SMatrix::zeros(),
            dz1: SMatrix::zeros(),
            gw1: SMatrix::zeros(),
            gb1: SMatrix::zeros(),
            gw2: SMatrix::zeros(),
            gb2: SMatrix::zeros(),
        })
    }

    /// Forward, softmax cross-entropy (mean) + λ/2‖W‖², backward, Adam: the loss.
    /// `LIBM`: the square root is libm's (what `no_std` code without `core::arch` has:
    /// one scalar at a time on x86-64) instead of `std`'s (which the compiler vectorises).
    fn step<const LIBM: bool>(
        &mut self,
        x: &SMatrix<f32, IN, B>,
        y: &SMatrix<f32, K, B>,
        lambda: f32,
    ) -> f32 {
        // z1 = W1·x + b1, h = relu(z1) (kept in z1), z2 = W2·h + b2
        self.z1.gemm(1.0, &self.w1, x, 0.0);
        for mut c in self.z1.column_iter_mut() {
            for (z, &b) in c.iter_mut().zip(self.b1.iter()) {
                *z = (*z + b).max(0.0);
            }
        }
        self.z2.gemm(1.0, &self.w2, &self.z1, 0.0);
        let inv_b = 1.0 / B as f32;
        let mut loss = 0.0;
        for ((mut z, mut d), yc) in self
            .z2
            .column_iter_mut()
            .zip(self.dz2.column_iter_mut())
            .zip(y.column_iter())
        {
            for (z, &b) in z.iter_mut().zip(self.b2.iter()) {
                *z += b;
            }
            let mx = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let mut s = 0.0;
            for (d, &z) in d.iter_mut().zip(z.iter()) {
                *d = libm::expf(z - mx);
                s += *d;
            }
            let ls = libm::logf(s);
            let inv_s = 1.0 / s;
            for ((d, &z), &t) in d.iter_mut().zip(z.iter()).zip(yc.iter()) {
                loss -= t * (z - mx - ls);
                *d = (*d * inv_s - t) * inv_b;
            }
        }
        loss *= inv_b;
        if lambda != 0.0 {
            loss += 0.5 * lambda * (self.w1.norm_squared() + self.w2.norm_squared());
        }
        // gW2 = dz2·hᵀ + λW2, gb2 = Σ dz2, dz1 = (W2ᵀ·dz2) ∘ [z1 > 0], gW1, gb1
        self.gw2.copy_from(&self.w2);
        outer(&mut self.gw2, &self.dz2, &self.z1, lambda);
        self.gb2 = self.dz2.column_sum();
        self.dz1.gemm_tr(1.0, &self.w2, &self.dz2, 0.0);
        self.dz1.zip_apply(&self.z1, |d, h| {
            if h <= 0.0 {
                *d = 0.0
            }
        });
        self.gw1.copy_from(&self.w1);
        outer(&mut self.gw1, &self.dz1, x, lambda);
        self.gb1 = self.dz1.column_sum();
        // Adam, one fused loop per tensor.
        self.t += 1;
        let (lr, b1, b2, eps) = (1e-3f32, 0.9f32, 0.999f32, 1e-8f32);
        let bc1 = 1.0 - libm::pow(f64::from(b1), f64::from(self.t));
        let bc2 = 1.0 - libm::pow(f64::from(b2), f64::from(self.t));
        let step_size = (f64::from(lr) / bc1) as f32;
        let bc2_sqrt = libm::sqrt(bc2) as f32;
        let mut off = 0;
        let tensors: [(&mut [f32], &[f32]); 4] = [
            (self.w1.as_mut_slice(), self.gw1.as_slice()),
            (self.b1.as_mut_slice(), self.gb1.as_slice()),
            (self.w2.as_mut_slice(), self.gw2.as_slice()),
            (self.b2.as_mut_slice(), self.gb2.as_slice()),
        ];
        for (p, g) in tensors {
            let n = p.len();
            let (m, v) = (&mut self.m[off..off + n], &mut self.v[off..off + n]);
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                *m += (g - *m) * (1.0 - b1);
                *v = b2 * *v + (1.0 - b2) * g * g;
                let root = if LIBM { libm::sqrtf(*v) } else { v.sqrt() };
                *p -= step_size * *m / (root / bc2_sqrt + eps);
            }
            off += n;
        }
        loss
    }
}

/// `g ← a·bᵀ + λ·g`: rank-one updates for one column, a gemm for a batch.
fn outer<const R: usize, const C: usize, const B: usize>(
    g: &mut SMatrix<f32, R, C>,
    a: &SMatrix<f32, R, B>,
    b: &SMatrix<f32, C, B>,
    lambda: f32,
) {
    if B == 1 {
        g.ger(1.0, &a.column(0), &b.column(0), lambda);
    } else {
        g.gemm(1.0, a, &b.transpose(), lambda);
    }
}

fn data<const B: usize>() -> (Net, SMatrix<f32, IN, B>, SMatrix<f32, K, B>) {
    let mut rng = Rng::seed_from_u64(17);
    let net: Net = mlp(&mut rng);
    let x = SMatrix::<f32, IN, B>::from_fn(|_, _| rng.uniform(0.0, 1.0));
    let y = SMatrix::<f32, K, B>::from_fn(|r, c| if r == (c * 7) % K { 1.0 } else { 0.0 });
    (net, x, y)
}

fn run<const B: usize, const S: usize, const N: usize>(
    variant: &str,
    lambda: f32,
    iters: usize,
) -> f32 {
    let (mut net, x, y) = data::<B>();
    let mut adam: Box<Adam<f32, P>> = Box::new(Adam::new(1e-3));
    let mut hand = Hand::<B>::new(&net);
    let mut tape: Box<Tape<f32, S, N>> = Box::new(Tape::new());
    let mut buffers: Box<ClassifierBuffers<f32, Net, IN, K, B>> =
        Box::new(ClassifierBuffers::new());
    let mut params = Box::new([0.5f32; P]);
    let grads = Box::new(core::array::from_fn::<f32, P, _>(|i| {
        (i as f32 * 0.37).sin() * 1e-2
    }));
    let mut model_grads = Box::new(<Net as ParamGrads<f32>>::Grads::ZERO);
    model_grads.0.weight.fill(1e-3);
    model_grads.2.bias.fill(-1e-3);
    let mut key = ReplayKey::new();
    let mut acc = 0.0;
    for _ in 0..iters {
        acc += match variant {
            "replay" => train_classifier_replayed(
                &mut net,
                &mut tape,
                &mut *adam,
                black_box(&x),
                &y,
                lambda,
                &mut key,
            )
            .unwrap(),
            "hand" => hand.step::<false>(black_box(&x), black_box(&y), lambda),
            "hand_libm" => hand.step::<true>(black_box(&x), black_box(&y), lambda),
            "tape" => train_classifier(&mut net, &mut tape, &mut *adam, black_box(&x), &y, lambda)
                .unwrap(),
            "compiled" => train_classifier_compiled(
                &mut net,
                &mut buffers,
                &mut *adam,
                black_box(&x),
                &y,
                lambda,
            )
            .unwrap(),
            "adam_slice" => {
                adam.step(&mut params[..], black_box(&grads[..])).unwrap();
                params[0]
            }
            "adam_model" => {
                adam.step_with((&mut net, black_box(&*model_grads)))
                    .unwrap();
                net.0.weight[0]
            }
            _ => 0.0,
        };
    }
    acc + hand.w1[0] + net.0.weight[0]
}

/// The three steps train the same: the largest parameter difference after 5 steps.
fn agree<const B: usize, const S: usize, const N: usize>(lambda: f32) -> f32 {
    let (net0, x, y) = data::<B>();
    let (mut a, mut b) = (net0, net0);
    let (mut adam_a, mut adam_b): (Box<Adam<f32, P>>, Box<Adam<f32, P>>) =
        (Box::new(Adam::new(1e-3)), Box::new(Adam::new(1e-3)));
    let mut hand = Hand::<B>::new(&net0);
    let mut tape: Box<Tape<f32, S, N>> = Box::new(Tape::new());
    let mut buffers: Box<ClassifierBuffers<f32, Net, IN, K, B>> =
        Box::new(ClassifierBuffers::new());
    let mut c = net0;
    let mut adam_c: Box<Adam<f32, P>> = Box::new(Adam::new(1e-3));
    let mut tape_c: Box<Tape<f32, S, N>> = Box::new(Tape::new());
    let mut key = ReplayKey::new();
    for _ in 0..5 {
        hand.step::<false>(&x, &y, lambda);
        train_classifier(&mut a, &mut tape, &mut *adam_a, &x, &y, lambda).unwrap();
        train_classifier_compiled(&mut b, &mut buffers, &mut *adam_b, &x, &y, lambda).unwrap();
        train_classifier_replayed(&mut c, &mut tape_c, &mut *adam_c, &x, &y, lambda, &mut key)
            .unwrap();
    }
    assert_eq!(a, b, "tape and compiled differ");
    assert_eq!(a, c, "tape and replay differ");
    let pairs = [
        (a.0.weight.as_slice(), hand.w1.as_slice()),
        (a.0.bias.as_slice(), hand.b1.as_slice()),
        (a.2.weight.as_slice(), hand.w2.as_slice()),
        (a.2.bias.as_slice(), hand.b2.as_slice()),
    ];
    pairs
        .iter()
        .flat_map(|(p, q)| p.iter().zip(q.iter()).map(|(x, y)| (x - y).abs()))
        .fold(0.0, f32::max)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let variant = args.get(1).map_or("none", String::as_str);
    let batch: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let iters: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100);
    let (variant, lambda) = match variant.strip_suffix("_l0") {
        Some(v) => (v, 0.0),
        None => (variant, 1e-4),
    };
    type S1 = ClassifierStep<f32, Net, IN, K, 1>;
    type S32 = ClassifierStep<f32, Net, IN, K, 32>;
    if variant == "agree" {
        let d1 = agree::<1, { S1::USAGE.scalars }, { S1::USAGE.nodes }>(lambda);
        let d32 = agree::<32, { S32::USAGE.scalars }, { S32::USAGE.nodes }>(lambda);
        println!("tape = compiled = replay bit for bit; largest |tape − hand| after 5 steps: {d1:e} (batch 1), {d32:e} (batch 32)");
        assert!(d1 < 1e-6 && d32 < 1e-6);
        return;
    }
    let r = match batch {
        1 => run::<1, { S1::USAGE.scalars }, { S1::USAGE.nodes }>(variant, lambda, iters),
        32 => run::<32, { S32::USAGE.scalars }, { S32::USAGE.nodes }>(variant, lambda, iters),
        _ => panic!("BATCH is 1 or 32"),
    };
    println!("{r}");
}
