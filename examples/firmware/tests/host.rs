//! Host tests: the firmware programs' code run with `std`, checked against known values
//! (the boards' output is compared with the host's by `run.sh`).

use stackgrad::check::{check_gradient, Direction, Tolerance};
use stackgrad_firmware::programs::{gradients, handwritten, selfcheck, train};
use stackgrad_firmware::window::{window_input, Window, WindowGrads, WindowTape};
use stackgrad_firmware::Io;

/// Collects a program's output.
struct Capture(String);

impl core::fmt::Write for Capture {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.push_str(s);
        Ok(())
    }
}

impl Io for Capture {
    fn counter(&mut self) -> Option<u64> {
        None
    }
}

fn run(program: fn(&mut dyn Io) -> stackgrad_firmware::Outcome) -> String {
    let mut io = Capture(String::new());
    let outcome = program(&mut io);
    stackgrad_firmware::report(&mut io, outcome);
    io.0
}

#[test]
fn lecture_example_is_exact() {
    assert_eq!(
        gradients::lecture(1.0, 2.0, 0.0).unwrap(),
        (6.0, [2.0, 5.0, 0.0])
    );
    let out = run(gradients::run);
    assert!(
        out.starts_with("f(1,2,0): 6e0\ngrad f: 2e0 5e0 0e0\n"),
        "{out}"
    );
    assert!(out.ends_with("ok\n"), "{out}");
}

#[test]
fn window_gradients_match_the_hand_written_ones_and_f64() {
    let model = Window::<f32>::example(handwritten::SEED);
    let x = window_input::<f32>();
    let mut tape = WindowTape::<f32>::new();
    let (mut ours, mut hand) = (WindowGrads::zeros(), WindowGrads::zeros());
    let s = model
        .stackgrad_gradient(&mut tape, &x, Some(&mut ours))
        .unwrap();
    let s_hand = model.gradient(&x, &mut hand);
    assert!((s - s_hand).abs() <= 1e-6);
    assert!(ours.max_abs_diff(&hand) <= 1e-6);
    // The same model in f64 through the hand-written formulas agrees to f32 precision.
    let m64 = Window::<f64>::example(handwritten::SEED);
    let mut g64 = WindowGrads::zeros();
    m64.gradient(&window_input::<f64>(), &mut g64);
    // micromath's approximate f32 `tanh` (relative error near 1e-3) moves the f32
    // gradients away from the exact ones; libm's is within an ulp or so.
    let tol = if <f32 as stackgrad::Real>::BACKEND == "micromath" {
        5e-3
    } else {
        1e-6
    };
    let worst = ours
        .iter()
        .zip(g64.iter())
        .map(|(a, b)| (f64::from(a) - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= tol, "worst difference from f64: {worst}");
}

#[test]
fn window_gradient_passes_the_check_in_f64() {
    let model = Window::<f64>::example(handwritten::SEED);
    let x = window_input::<f64>();
    let mut tape = WindowTape::<f64>::new();
    let mut g = WindowGrads::zeros();
    model
        .stackgrad_gradient(&mut tape, &x, Some(&mut g))
        .unwrap();
    for seed in 1..=8 {
        let dir = Direction::new(seed);
        let c = check_gradient(
            |t| model.score_along(&x, &dir, t),
            g.iter(),
            &dir,
            1e-5,
            Tolerance::new(1e-7, 1e-9),
        );
        assert!(c.passed, "seed {seed}: {c:?}");
    }
}

#[test]
fn selfcheck_passes_and_catches_corruption() {
    let out = run(selfcheck::run);
    assert!(out.contains("corrupted and NaN gradients caught"), "{out}");
    assert!(out.ends_with("ok\n"), "{out}");
}

#[test]
fn train_learns_iris_and_its_tape_is_big_enough() {
    let out = run(train::run);
    assert!(out.ends_with("ok\n"), "{out}");
    // The statics are taken: a second run in this process fails cleanly, no panic.
    assert!(run(train::run).ends_with("FAIL: the tape is already in use\n"));
    assert_eq!(run(train_on_heap), out);
    let acc = out
        .lines()
        .find(|l| l.starts_with("held-out accuracy"))
        .unwrap();
    let (c, n) = acc.rsplit(' ').next().unwrap().split_once('/').unwrap();
    let (c, n): (usize, usize) = (c.parse().unwrap(), n.parse().unwrap());
    assert!(c * 10 >= n * 9, "{acc}");
    // The tape is exactly what one step records: the compiler's count is the measured one.
    let mut tape = Box::new(train::TrainTape::new());
    let mut net = train::ZERO_NET;
    train::init(
        &mut net,
        &mut stackgrad::nn::Rng::seed_from_u64(train::SEED),
    );
    let x = stackgrad::nalgebra::SVector::<f32, 4>::new(0.1, -0.2, 0.3, 0.4);
    let y = stackgrad::nalgebra::SVector::<f32, 3>::new(0.0, 1.0, 0.0);
    let mut opt = stackgrad::optim::Sgd::new(0.0);
    stackgrad::train::train_classifier(&mut net, &mut *tape, &mut opt, &x, &y, train::WEIGHT_DECAY)
        .unwrap();
    assert_eq!(tape.high_water(), train::Step::<f32>::USAGE);
}

#[test]
fn train_fixed_learns_iris_as_well_as_f32() {
    let out = run(train::run_fixed);
    assert!(out.ends_with("ok\n"), "{out}");
    assert!(run(train::run_fixed).ends_with("FAIL: the tape is already in use\n"));
    assert_eq!(run(train_fixed_on_heap), out);
    let correct = |out: &str| -> usize {
        let acc = out
            .lines()
            .find(|l| l.starts_with("held-out accuracy"))
            .unwrap();
        acc.rsplit(' ')
            .next()
            .unwrap()
            .split_once('/')
            .unwrap()
            .0
            .parse()
            .unwrap()
    };
    // The same held-out accuracy as the f32 run on the same data, seed and steps.
    assert!(correct(&out) >= correct(&run(train_on_heap)), "{out}");
}

/// `train_fixed` on state of its own.
fn train_fixed_on_heap(io: &mut dyn Io) -> stackgrad_firmware::Outcome {
    use stackgrad::Q16;
    let mut tape = Box::new(train::TrainTape::<Q16>::new());
    let mut buffers = Box::new(train::TrainBuffers::<Q16>::new());
    let mut net = train::zero_net::<Q16>();
    let mut opt = stackgrad::optim::Sgd::new(<Q16 as train::Scalar>::LEARNING_RATE);
    train::train(io, &mut tape, &mut buffers, &mut net, &mut opt)
}

/// `train` on state of its own (its statics can be taken once per process).
#[test]
fn selfcheck_fixed_passes_and_catches_corruption() {
    let out = run(selfcheck::run_fixed);
    assert!(out.contains("corrupted and NaN gradients caught"), "{out}");
    assert!(out.ends_with("ok\n"), "{out}");
}

/// In Q16 the analytic directional derivative is close to the exact one; it is the
/// central difference that needs `selfcheck`'s looser Q16 tolerance.
#[test]
fn q16_gradient_agrees_with_f64() {
    use stackgrad::Q16;
    let exact = Window::<f64>::example(handwritten::SEED);
    let mut tape = Box::new(WindowTape::<f64>::new());
    let mut g64 = WindowGrads::zeros();
    exact
        .stackgrad_gradient(&mut tape, &window_input(), Some(&mut g64))
        .unwrap();
    let model = Window::<Q16>::example(handwritten::SEED);
    let mut tape = Box::new(WindowTape::<Q16>::new());
    let mut g = WindowGrads::zeros();
    model
        .stackgrad_gradient(&mut tape, &window_input(), Some(&mut g))
        .unwrap();
    for seed in 1..=4 {
        let dir = Direction::new(seed);
        let (a, e) = (dir.dot(g.iter()).to_f64(), dir.dot(g64.iter()));
        assert!((a - e).abs() <= 5e-4, "seed {seed}: {a} vs {e}");
    }
    assert!(
        g.max_abs_diff(&WindowGrads {
            w: g64.w.map(Q16::from_f64),
            b: g64.b.map(Q16::from_f64),
            u: g64.u.map(Q16::from_f64),
            x: g64.x.map(Q16::from_f64),
        }) <= Q16::from_f64(1e-4)
    );
}

fn train_on_heap(io: &mut dyn Io) -> stackgrad_firmware::Outcome {
    let mut tape = Box::new(train::TrainTape::new());
    let mut buffers = Box::new(train::TrainBuffers::new());
    let mut net = train::ZERO_NET;
    let mut opt = stackgrad::optim::Sgd::new(train::LEARNING_RATE);
    train::train(io, &mut tape, &mut buffers, &mut net, &mut opt)
}

#[test]
fn host_output_is_what_run_sh_compares() {
    // Every line a board prints, except measurements (`#`), comes from the program:
    // the host prints the same lines, and none of them is a measurement.
    for program in [
        gradients::run,
        selfcheck::run,
        selfcheck::run_fixed,
        train_on_heap,
        train_fixed_on_heap,
        handwritten::run,
    ] {
        let out = run(program);
        assert!(!out.lines().any(|l| l.starts_with('#')), "{out}");
    }
}
