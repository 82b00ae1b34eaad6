//! The CS224n window classifier `s = uᵀ tanh(W x + b)` over the 5-word window
//! `museums in Paris are amazing`: the tape's gradients beside the hand-derived ones,
//! the split of `∂s/∂x` into one gradient per word, and a numerical gradient check.
//!
//! Part two trains the same classifier (is the centre word a location?) with trainable
//! word vectors and the max-margin loss on a small labelled corpus, and reports its
//! held-out accuracy and the words whose vectors moved most.
//!
//! Run: `cargo run --release --example ner_window`

use std::collections::HashMap;

use stackgrad::dot::DotOptions;
use stackgrad::nalgebra::{SMatrix, SVector};
use stackgrad::nn::loss::max_margin;
use stackgrad::nn::{
    Embedding, Init, Layer, Linear, LinearIds, LinearVars, Mat, Module, Rng, Tanh, Visitor,
};
use stackgrad::optim::{Adagrad, Optimizer};
use stackgrad::{Error, Graph, Real, ReplayKey, Tape, Usage, Var, VarId};
use stackgrad_examples::{pseudo_random, window_grads_by_hand, window_score, WINDOW};
use stackgrad_std::check_gradient;

const DIM: usize = 4; // word-vector size
const D: usize = 5 * DIM; // window size
const H: usize = 8; // hidden units

fn max_abs_diff<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
) -> f64 {
    (a - b).amax()
}

fn fmt_vec(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:+.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), stackgrad::Error> {
    part_one_gradients()?;
    part_two_training()
}

/// Part one: the gradients of one window, by the tape, by hand and numerically.
fn part_one_gradients() -> Result<(), stackgrad::Error> {
    let w0: SMatrix<f64, H, D> = pseudo_random(1, 0.5);
    let b0: SVector<f64, H> = pseudo_random(2, 0.1);
    let u0: SVector<f64, H> = pseudo_random(3, 1.0);
    let words: [SVector<f64, DIM>; 5] = core::array::from_fn(|i| pseudo_random(10 + i as u64, 1.0));

    let mut tape: Tape<f64, 512, 32> = Tape::new();
    let g = tape.graph();
    let (w, b, u) = (g.param(&w0), g.param(&b0), g.param(&u0));
    // The window x = [x₁; …; x₅]: each word vector is a parameter of its own, so the
    // gradient of x arrives already split per word.
    let xs = words.each_ref().map(|v| g.param(v));
    let x = xs[0]
        .vstack::<DIM, 8>(xs[1])
        .vstack::<DIM, 12>(xs[2])
        .vstack::<DIM, 16>(xs[3])
        .vstack::<DIM, D>(xs[4]);
    let s = window_score(w, b, u, x);
    let grads = s.backward()?;

    let x0 = x.value();
    let hand = window_grads_by_hand(&w0, &b0, &u0, &x0);
    println!("window: {}", WINDOW.join(" "));
    println!("score s = uᵀ tanh(Wx + b) = {:.6}\n", s.scalar());
    println!("gradient        shape   hand-derived   max |tape − hand|");
    println!(
        "∂s/∂W           {H}×{D}    δxᵀ            {:.1e}",
        max_abs_diff(&grads.wrt(w)?.into_owned(), &hand.w)
    );
    println!(
        "∂s/∂b           {H}×1     δ              {:.1e}",
        max_abs_diff(&grads.wrt(b)?.into_owned(), &hand.b)
    );
    println!(
        "∂s/∂u           {H}×1     h              {:.1e}",
        max_abs_diff(&grads.wrt(u)?.into_owned(), &hand.u)
    );
    println!(
        "∂s/∂x           {D}×1    Wᵀδ            {:.1e}",
        max_abs_diff(&grads.wrt(x)?.into_owned(), &hand.x)
    );
    println!("\nδ = u ∘ (1 − h²) = [{}]", fmt_vec(hand.b.as_slice()));

    println!(
        "\n∂s/∂x split into one gradient per word (word k is rows {DIM}k..{DIM}k+{DIM} of Wᵀδ):"
    );
    for (k, (word, xk)) in WINDOW.iter().zip(xs).enumerate() {
        let gk = grads.wrt(xk)?;
        let from_x = hand.x.rows(DIM * k, DIM);
        println!(
            "  {word:<8} [{}]   max |tape − (Wᵀδ)ₖ| = {:.1e}",
            fmt_vec(gk.as_slice()),
            (gk - from_x).amax()
        );
    }
    // The picture of this graph, values above the edges, gradients under them.
    let mut dot = String::new();
    let names = ["W", "b", "u", "museums", "in", "Paris", "are", "amazing"];
    g.write_dot(
        &mut dot,
        &DotOptions {
            leaf_names: &names,
            max_entries: 4,
            left_to_right: false,
            ..DotOptions::default()
        },
    )
    .map_err(|_| stackgrad::Error::Internal)?;
    drop(grads);
    let dir = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let (dot_path, svg_path) = (dir.join("window.dot"), dir.join("window.svg"));
    let written = std::fs::write(&dot_path, &dot).is_ok()
        && stackgrad_std::dot_to_svg(&dot)
            .ok()
            .is_some_and(|svg| std::fs::write(&svg_path, svg).is_ok());
    if written {
        println!(
            "\nthe graph: {} and {}",
            dot_path.display(),
            svg_path.display()
        );
    }
    println!(
        "\ntape used {:?} (capacity {:?})",
        tape.used(),
        tape.capacity()
    );

    // The numerical check: central differences in f64 against the tape, for W and for x.
    let check_w = check_gradient(&w0, |g, w| {
        window_score(
            w,
            g.constant_value(b0),
            g.constant_value(u0),
            g.constant_value(x0),
        )
    })?;
    let check_x = check_gradient(&x0, |g, x| {
        window_score(
            g.constant_value(w0),
            g.constant_value(b0),
            g.constant_value(u0),
            x,
        )
    })?;
    println!("\nnumerical check ∂s/∂W: {check_w}");
    println!("numerical check ∂s/∂x: {check_x}");
    if !(check_w.passed() && check_x.passed()) {
        std::process::exit(1);
    }
    Ok(())
}

// ─────────────────────────────────────────────────────────────────────────────────────
// Part two: training the window classifier.
// ─────────────────────────────────────────────────────────────────────────────────────

/// A small corpus written for this example. Words in brackets are locations: the
/// classifier learns to say whether the centre word of a 5-word window is one.
const CORPUS: &str = "\
we visited museums in [Paris] last spring
the museums in [Paris] are amazing
she moved to [Berlin] after the war
he flew from [Tokyo] to [Sydney] on monday
they live in a small flat in [Lisbon]
the train to [Vienna] was late again
our office in [Madrid] is closed today
i was born in [Nairobi] and grew up there
the conference takes place in [Toronto] next year
my sister studies in [Edinburgh] now
flights to [Cairo] are cheap in winter
we drove from [Munich] to [Prague] overnight
the best coffee is in [Rome] they say
he works for a bank in [Zurich]
the ship sailed from [Lisbon] to [Rio]
people in [Oslo] ride bikes all year
the festival in [Edinburgh] starts in august
she sent a letter from [Dublin] to her mother
the rain in [London] never stops
we met her in [Athens] during the summer
the museum of art in [Madrid] opens at nine
they opened a shop in [Seoul] last month
a storm hit [Manila] on tuesday
the river runs through [Budapest] and [Vienna]
my friend from [Lagos] plays the guitar
the old town of [Prague] is beautiful
he returned to [Delhi] after ten years
prices in [Tokyo] are high
she teaches music in [Vienna]
we took the ferry to [Helsinki]
our team beat the team from [Chicago]
the mayor of [Paris] spoke on the radio
students from [Berlin] won the prize
i bought this hat in [Lima]
the bridge in [Sydney] is famous
they walked across [London] at night
the bus from [Dublin] arrives at noon
we had dinner in [Rome] with friends
he painted the harbour of [Oslo]
the night market in [Bangkok] is busy
she called me from [Toronto] yesterday
the library in [Cairo] holds old maps
tourists crowd the streets of [Venice]
he sold his car and moved to [Denver]
the snow in [Montreal] was deep
they are flying to [Nairobi] tomorrow
the embassy in [Lima] sent a reply
the band played in [Glasgow] and [Dublin]
a new bridge was built in [Lisbon]
we lost our bags in [Frankfurt]
the museums are amazing this year
the coffee was cold again
she plays the guitar every night
our team won the prize last year
the train was late on monday
he works at the bank now
they sold the old car
the festival starts next week
my mother sent me a letter
the river is deep and cold
students crowd the library at night
we walked to the market after dinner
the storm was bad on tuesday
he painted a picture of his friend
the shop opens at nine
i was tired after the long flight
prices are high this winter
the radio played old music
the mayor spoke about the new bridge
people ride bikes to work
her friend teaches art
we had a great summer
the ferry was full of tourists
she studies music and art
the old maps are in the museum
they opened the door and walked in
the bus arrives at noon every day
he returned the hat to the shop
the prize went to a young painter
our office moved to a new building
a letter arrived from [Seoul] today
she grew up near [Manila]
the old port of [Marseille] is busy
we visited friends in [Glasgow]
the marathon in [Chicago] was hot
he teaches art in [Montreal]
they met in [Bangkok] ten years ago
my brother lives in [Denver] now
the flight from [Frankfurt] was full
the canals of [Venice] are old
she bought flowers in [Amsterdam]
the shop in [Amsterdam] sells maps
he studied in [Marseille] for a year
the night train to [Budapest] was cold
";

const VOCAB: usize = 256;
const WDIM: usize = 8;
const WIN: usize = 5;
const X: usize = WIN * WDIM;
const HID: usize = 16;

/// Word vectors `L`, and the classifier `s = uᵀ tanh(W x + b)` on the stacked window.
type Words = Embedding<f32, VOCAB, WDIM>;

struct WindowModel {
    words: Words,
    layer: Linear<f32, X, HID>,
    u: SVector<f32, HID>,
}

/// The model is a user's struct of layers: it is a [`Module`] by delegating to its
/// parts, so an optimizer steps each parameter with its own gradient.
impl Module<f32> for WindowModel {
    const PARAMS: usize = <Embedding<f32, VOCAB, WDIM> as Module<f32>>::PARAMS
        + <Linear<f32, X, HID> as Module<f32>>::PARAMS
        + HID;
    const TENSORS: usize = 1 + 2 + 1;
    const PENALTY: Usage = Usage::ZERO;
    type Vars<'g> = (
        Var<'g, f32, VOCAB, WDIM>,
        LinearVars<'g, f32, X, HID>,
        Var<'g, f32, HID, 1>,
    );
    type Ids = (VarId<VOCAB, WDIM>, LinearIds<X, HID>, VarId<HID, 1>);

    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, f32, S, N>,
    ) -> Self::Vars<'g> {
        (self.words.bind(g), self.layer.bind(g), g.param(&self.u))
    }

    fn ids(v: &Self::Vars<'_>) -> Self::Ids {
        (v.0.id(), Linear::ids(&v.1), v.2.id())
    }

    fn visit<V: Visitor<f32>>(&mut self, ids: &Self::Ids, v: &mut V) -> Result<(), Error> {
        self.words.visit(&ids.0, v)?;
        self.layer.visit(&ids.1, v)?;
        v.visit(&mut self.u, ids.2.into())
    }

    fn penalty<'g>(_: &Self::Vars<'g>, _: f32) -> Option<Var<'g, f32, 1, 1>> {
        None
    }
}

/// What scoring one window records: the gather, `Wx + b`, `tanh`, `uᵀh`.
const WINDOW_USAGE: Usage = Usage {
    scalars: Embedding::<f32, VOCAB, WDIM>::window_scalars(WIN),
    nodes: 2,
}
.plus(<Linear<f32, X, HID> as Layer<f32, Mat<X, 1>>>::FORWARD)
.plus(<Tanh as Layer<f32, Mat<HID, 1>>>::FORWARD)
.plus(Usage {
    scalars: 2,
    nodes: 1,
});

/// One step: the parameters, a true and a corrupt window, and the max-margin loss
/// (`s_c − s`, the hinge and the mean: 2 scalars and a node each). All computed by the
/// compiler from the parts' types.
const STEP: Usage = <WindowModel as Module<f32>>::BIND
    .plus(WINDOW_USAGE)
    .plus(WINDOW_USAGE)
    .plus(Usage {
        scalars: 6,
        nodes: 3,
    });

impl WindowModel {
    fn score(&self, window: [usize; WIN]) -> f32 {
        let x: SVector<f32, X> = self.words.eval_window(window);
        let h = self.layer.eval(&x).map(<f32 as Real>::tanh);
        self.u.dot(&h)
    }

    /// One max-margin step `J = max(0, 1 − s + s_c)` on a true and a corrupt window.
    ///
    /// One description for both ways a step runs: the first step records the graph,
    /// every later one replays it (`graph_or_replay`): the leaves (the parameters, then
    /// both windows' word indices) are bound anew, and the operations in `output` run
    /// from the recording, without being recorded again. Returns the loss and whether
    /// the step replayed.
    fn train_step<O: Optimizer<f32>>(
        &mut self,
        tape: &mut Tape<f32, { STEP.scalars }, { STEP.nodes }>,
        opt: &mut O,
        key: &mut ReplayKey,
        good: [usize; WIN],
        bad: [usize; WIN],
    ) -> Result<(f32, bool), Error> {
        let (loss, ids, replayed) = {
            let g = tape.graph_or_replay(key);
            let vars = self.bind(&g);
            let (good, bad) = (Words::indices(&g, good), Words::indices(&g, bad));
            let (table, lin, u) = vars;
            let j = g.output(|| {
                // `s = uᵀ tanh(Wx + b)` with `Wx + b` by the layer's forward pass: one
                // node, the kernels its `eval` runs (`window_score` writes the lecture's
                // operations one by one, as part one draws them).
                let score = |w| {
                    let x = table.gather::<WIN, X>(w);
                    u.dot(lin.forward(x).tanh())
                };
                max_margin(score(good), score(bad))
            });
            let _ = j.backward()?;
            (j.scalar(), Self::ids(&vars), g.is_replaying())
        };
        opt.step_model(self, tape, &ids)?;
        Ok((loss, replayed))
    }
}

/// A window of word indices around each token of each sentence, with its label.
struct Window {
    ids: [usize; WIN],
    location: bool,
}

fn part_two_training() -> Result<(), stackgrad::Error> {
    println!("\n── part two: training the window classifier ──\n");
    // Vocabulary: 0 and 1 pad the sentence ends.
    let mut vocab: Vec<String> = vec!["<s>".into(), "</s>".into()];
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut is_location = vec![false, false];
    let mut sentences: Vec<Vec<(usize, bool)>> = Vec::new();
    for line in CORPUS.lines().filter(|l| !l.trim().is_empty()) {
        let mut sent = Vec::new();
        for tok in line.split_whitespace() {
            let loc = tok.starts_with('[');
            let word = tok.trim_matches(|c| c == '[' || c == ']').to_string();
            let id = *index.entry(word.clone()).or_insert_with(|| {
                vocab.push(word);
                is_location.push(false);
                vocab.len() - 1
            });
            is_location[id] |= loc;
            sent.push((id, loc));
        }
        sentences.push(sent);
    }
    assert!(vocab.len() <= VOCAB, "vocabulary of {} words", vocab.len());

    // Split by sentence, 80/20, with a fixed seed.
    let mut rng = Rng::seed_from_u64(7);
    rng.shuffle(&mut sentences);
    let n_train = sentences.len() * 4 / 5;
    let windows = |sents: &[Vec<(usize, bool)>]| -> Vec<Window> {
        let mut out = Vec::new();
        for s in sents {
            for c in 0..s.len() {
                let ids = core::array::from_fn(|k| {
                    let pos = c as isize + k as isize - 2;
                    if pos < 0 {
                        0
                    } else {
                        s.get(pos as usize).map_or(1, |t| t.0)
                    }
                });
                out.push(Window {
                    ids,
                    location: s[c].1,
                });
            }
        }
        out
    };
    let train = windows(&sentences[..n_train]);
    let test = windows(&sentences[n_train..]);
    let count = |w: &[Window]| w.iter().filter(|w| w.location).count();
    println!(
        "corpus: {} sentences, {} words in the vocabulary; {} training windows ({} locations), \
         {} held-out windows ({} locations)",
        sentences.len(),
        vocab.len(),
        train.len(),
        count(&train),
        test.len(),
        count(&test)
    );

    let mut model = WindowModel {
        words: Embedding::new(Init::Normal(0.5), &mut rng),
        layer: Linear::new(Init::XavierUniform, &mut rng),
        u: Init::XavierUniform.matrix(&mut rng),
    };
    let start_vectors = model.words.table;
    let mut tape: Tape<f32, { STEP.scalars }, { STEP.nodes }> = Tape::new();
    let mut opt: Adagrad<f32, { <WindowModel as Module<f32>>::PARAMS }> = Adagrad::new(0.05);
    println!(
        "model: {WDIM}-dimensional word vectors, window of {WIN} → {HID} tanh units → score; \
         {} parameters; Adagrad; tape per step {} scalars, {} nodes ({} bytes)",
        <WindowModel as Module<f32>>::PARAMS,
        STEP.scalars,
        STEP.nodes,
        core::mem::size_of_val(&tape)
    );

    // Each location window is paired with a corrupt one: its centre word replaced by a
    // random non-location word (the lecture's "Not all museums in Paris"), and with a
    // real window of the corpus whose centre is not a location.
    let positives: Vec<&Window> = train.iter().filter(|w| w.location).collect();
    let negatives: Vec<&Window> = train.iter().filter(|w| !w.location).collect();
    let others: Vec<usize> = (2..vocab.len()).filter(|&i| !is_location[i]).collect();
    let epochs = 40;
    let mut key = ReplayKey::new();
    let (mut steps, mut replays) = (0, 0);
    for epoch in 1..=epochs {
        let mut total = 0.0;
        let mut order: Vec<usize> = (0..positives.len()).collect();
        rng.shuffle(&mut order);
        for &p in &order {
            let good = positives[p].ids;
            let mut corrupt = good;
            corrupt[2] = others[rng.below(others.len() as u64) as usize];
            let real = negatives[rng.below(negatives.len() as u64) as usize].ids;
            for bad in [corrupt, real] {
                let (loss, replayed) =
                    model.train_step(&mut tape, &mut opt, &mut key, good, bad)?;
                total += loss;
                steps += 1;
                replays += usize::from(replayed);
            }
        }
        if epoch % 10 == 0 || epoch == 1 {
            println!(
                "epoch {epoch:>2}: mean max-margin loss {:.4}",
                total / (2 * positives.len()) as f32
            );
        }
    }
    println!(
        "{steps} steps: the graph recorded once, replayed {replays} times (the same \
         operations and bits, without recording them again)"
    );

    // The max-margin loss ranks windows; the decision threshold is the score that
    // classifies the training windows best.
    let mut scored: Vec<(f32, bool)> = train
        .iter()
        .map(|w| (model.score(w.ids), w.location))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best = (0usize, f32::NEG_INFINITY);
    let mut right = count(&train); // threshold below every score: all "location"
    for (i, &(s, loc)) in scored.iter().enumerate() {
        right = if loc { right - 1 } else { right + 1 };
        if right > best.0 {
            let next = scored.get(i + 1).map_or(s + 1.0, |n| n.0);
            best = (right, (s + next) / 2.0);
        }
    }
    let threshold = best.1;
    let evaluate = |set: &[Window]| {
        let (mut right, mut found) = (0, 0);
        for w in set {
            let says = model.score(w.ids) > threshold;
            right += usize::from(says == w.location);
            found += usize::from(says && w.location);
        }
        (
            right as f32 / set.len() as f32,
            found as f32 / count(set).max(1) as f32,
        )
    };
    let (train_acc, _) = evaluate(&train);
    let (test_acc, test_recall) = evaluate(&test);
    let baseline = 1.0 - count(&test) as f32 / test.len() as f32;
    println!(
        "\ntraining accuracy {:.1}%; held-out accuracy {:.1}% (always answering \"not a \
         location\" would score {:.1}%); held-out locations found: {:.1}%",
        100.0 * train_acc,
        100.0 * test_acc,
        100.0 * baseline,
        100.0 * test_recall
    );
    let seen: std::collections::HashSet<usize> = train.iter().map(|w| w.ids[2]).collect();
    let unseen = test
        .iter()
        .filter(|w| w.location && !seen.contains(&w.ids[2]))
        .count();
    println!(
        "{unseen} of the {} held-out locations are words never seen in training: their \
         vectors are still random, and only the context can give them away",
        count(&test)
    );
    for w in test.iter().filter(|w| w.location).take(4) {
        let text: Vec<&str> = w.ids.iter().map(|&i| vocab[i].as_str()).collect();
        println!("  {:<40} score {:+.2}", text.join(" "), model.score(w.ids));
    }

    let mut moved: Vec<(f32, usize)> = (2..vocab.len())
        .map(|i| {
            let d = model.words.table.row(i) - start_vectors.row(i);
            (d.norm(), i)
        })
        .collect();
    moved.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("\nwords whose vectors moved most (‖L_final − L_start‖ of their row):");
    for (d, i) in moved.iter().take(12) {
        let tag = if is_location[*i] { "  (location)" } else { "" };
        println!("  {:<12} {d:.3}{tag}", vocab[*i]);
    }
    Ok(())
}
