//! Word vectors: a table with one row per word of a vocabulary.

use nalgebra::{SMatrix, SVector};

use super::{Init, Module, Rng, Visitor};
use crate::{Error, Graph, Real, Usage, Var, VarId};

/// A `VOCAB×DIM` table of word vectors `L` (row `i` is word `i`'s vector).
///
/// [`Embedding::window`] looks up the rows of a window and stacks them into one column
/// `x = [L[i₁]; …; L[i_N]]`; backward adds each word's gradient into its row, so a word
/// seen twice in the window gets both, and rows of words not in the window get 0.
///
/// # Tape memory
///
/// Binding costs `VOCAB·DIM` scalars (the table's gradient) and
/// 1 node; a window of `N` words costs `N + 2·N·DIM` scalars (the indices, then the
/// window's value and gradient) and 2 nodes.
///
/// ```
/// use stackgrad::nalgebra::{SMatrix, SVector};
/// use stackgrad::nn::{Embedding, Module};
/// use stackgrad::Tape;
///
/// // 3 words of 2 dimensions; a window of 2 words is a 4-vector.
/// let e = Embedding::<f64, 3, 2> { table: SMatrix::from_row_slice(&[1., 2., 3., 4., 5., 6.]) };
/// let mut tape: Tape<f64, 64, 8> = Tape::new();
/// let g = tape.graph();
/// let table = e.bind(&g);
/// let x = Embedding::window::<2, 4, _, _>(&g, table, [2, 0]);
/// assert_eq!(x.value(), SVector::<f64, 4>::new(5., 6., 1., 2.));
/// let grads = x.sum().backward()?;
/// // Rows of the words in the window get the gradient; word 1 gets none.
/// assert_eq!(grads.wrt(table)?, SMatrix::<f64, 3, 2>::from_row_slice(&[1., 1., 0., 0., 1., 1.]));
/// # Ok::<(), stackgrad::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Embedding<T: Real, const VOCAB: usize, const DIM: usize> {
    /// The table `L`, one row per word.
    pub table: SMatrix<T, VOCAB, DIM>,
}

impl<T: Real, const VOCAB: usize, const DIM: usize> Module<T> for Embedding<T, VOCAB, DIM> {
    const PARAMS: usize = VOCAB * DIM;
    const TENSORS: usize = 1;
    const PENALTY: Usage = Usage::ZERO;
    type Vars<'g> = Var<'g, T, VOCAB, DIM>;
    type Ids = VarId<VOCAB, DIM>;

    /// Registers the table as a parameter of `g`.
    fn bind<'g, 'a, const S: usize, const N: usize>(
        &'a self,
        g: &'g Graph<'a, T, S, N>,
    ) -> Var<'g, T, VOCAB, DIM> {
        g.param(&self.table)
    }

    fn ids(v: &Var<'_, T, VOCAB, DIM>) -> VarId<VOCAB, DIM> {
        v.id()
    }

    fn visit<V: Visitor<T>>(&mut self, id: &VarId<VOCAB, DIM>, v: &mut V) -> Result<(), Error> {
        v.visit(&mut self.table, (*id).into())
    }

    /// Word vectors are not penalised.
    fn penalty<'g>(_: &Self::Vars<'g>, _: T) -> Option<Var<'g, T, 1, 1>> {
        None
    }

    /// `weight`, as PyTorch's `nn.Embedding`.
    fn names(f: &mut dyn FnMut(&[&str])) {
        f(&["weight"]);
    }
}

impl<T: Real, const VOCAB: usize, const DIM: usize> Embedding<T, VOCAB, DIM> {
    /// Tape scalars taken by one [`Embedding::window`] of `n` words.
    pub const fn window_scalars(n: usize) -> usize {
        n + 2 * n * DIM
    }

    /// A table drawn from `init` (e.g. `Init::Normal(0.1)`).
    pub fn new(init: Init, rng: &mut Rng) -> Self {
        Embedding {
            table: init.matrix(rng),
        }
    }

    /// The stacked word vectors of `words` (`ND = N·DIM`, checked at compile time), from
    /// a bound `table`. A word index `≥ VOCAB` gives a NaN word vector and no gradient
    /// (see [`Var::gather`]).
    pub fn window<'g, 'a, const N: usize, const ND: usize, const S: usize, const NODES: usize>(
        g: &'g Graph<'a, T, S, NODES>,
        table: Var<'g, T, VOCAB, DIM>,
        words: [usize; N],
    ) -> Var<'g, T, ND, 1> {
        table.gather::<N, ND>(Self::indices(g, words))
    }

    /// The indices of `words` as a leaf of `g` (`N` scalars, copied), for
    /// [`Var::gather`]: [`Embedding::window`] without the gather. A step that replays its
    /// graph ([`Tape::graph_or_replay`](crate::Tape::graph_or_replay)) binds the indices
    /// with the other leaves, before its output, and gathers inside
    /// [`Graph::output`](crate::Graph::output). A word index `≥ VOCAB` is NaN.
    pub fn indices<'g, 'a, const N: usize, const S: usize, const NODES: usize>(
        g: &'g Graph<'a, T, S, NODES>,
        words: [usize; N],
    ) -> Var<'g, T, N, 1> {
        let idx = SVector::<T, N>::from_fn(|i, _| {
            words
                .get(i)
                .filter(|&&w| w < VOCAB)
                .map_or(T::nan(), |&w| T::constant(w as f64))
        });
        g.constant_value(idx)
    }

    /// Word `i`'s vector as a column, or `None` past the vocabulary.
    pub fn vector(&self, i: usize) -> Option<SVector<T, DIM>> {
        (i < VOCAB).then(|| self.table.row(i).transpose())
    }

    /// The stacked word vectors of `words`, without a tape (for inference). Words past
    /// the vocabulary give NaN, as on the tape.
    pub fn eval_window<const N: usize, const ND: usize>(
        &self,
        words: [usize; N],
    ) -> SVector<T, ND> {
        const {
            assert!(
                ND == N * DIM,
                "eval_window: the output must have N·DIM rows"
            )
        };
        SVector::from_fn(|r, _| {
            let (k, c) = (r / DIM, r % DIM);
            words
                .get(k)
                .and_then(|&w| self.table.get((w, c)))
                .copied()
                .unwrap_or(T::nan())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nalgebra::vector;
    use crate::testing::{check, mat};
    use crate::Tape;

    #[test]
    fn window_gradient_matches_central_differences() {
        let weights = mat::<6, 1>(9);
        check(mat::<4, 2>(1), |g, table| {
            Embedding::<f64, 4, 2>::window::<3, 6, _, _>(g, table, [1, 3, 1])
                .tanh()
                .dot(g.constant_value(weights))
        });
    }

    #[test]
    fn a_word_seen_twice_gets_both_gradients() {
        let e = Embedding::<f64, 3, 2> { table: mat(2) };
        let mut tape: Tape<f64, 128, 16> = Tape::new();
        let g = tape.graph();
        let t = e.bind(&g);
        let x = Embedding::window::<3, 6, _, _>(&g, t, [2, 0, 2]);
        assert_eq!(x.value(), e.eval_window::<3, 6>([2, 0, 2]));
        let u0 = vector![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let s = x.dot(g.constant(&u0));
        let used = g.used();
        let d = s.backward().unwrap().wrt(t).unwrap().into_owned();
        assert_eq!(d.row(0), vector![3.0, 4.0].transpose());
        assert_eq!(d.row(1), vector![0.0, 0.0].transpose());
        assert_eq!(d.row(2), vector![1.0 + 5.0, 2.0 + 6.0].transpose());
        type E = Embedding<f64, 3, 2>;
        // table, window, then the dot product's 2 scalars
        assert_eq!(used.scalars, E::PARAMS + E::window_scalars(3) + 2);
        assert!(e.eval_window::<2, 4>([0, 3])[2].is_nan());
        assert_eq!(e.vector(3), None);
    }
}
