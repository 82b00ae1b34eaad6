//! A seeded pseudo-random generator for `no_std`: xoshiro256** (Blackman and Vigna,
//! 2018) with its state filled by SplitMix64 from a 64-bit seed, the seeding its
//! authors recommend.
//!
//! It uses only integer arithmetic, so the same seed gives the same bits on every target;
//! the floating-point draws ([`Rng::normal`]) are computed in `f64` with `libm` (pure
//! Rust, the same results on the host and on a chip) before rounding to the model's
//! scalar type. Not for cryptography.

use crate::Real;

/// One step of SplitMix64 (Steele, Lea and Flood, 2014): advances `state` and returns
/// the next output.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**: 256 bits of state, period 2²⁵⁶ − 1, 32 bytes, `Copy`.
///
/// ```
/// use stackgrad::nn::Rng;
/// let mut a = Rng::seed_from_u64(7);
/// let mut b = Rng::seed_from_u64(7);
/// assert_eq!(a.next_u64(), b.next_u64()); // the same seed, the same stream
/// let u: f32 = a.uniform(-1.0, 1.0);
/// assert!((-1.0..1.0).contains(&u));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four SplitMix64 outputs of `seed` (never all zero).
    pub fn seed_from_u64(seed: u64) -> Rng {
        let mut x = seed;
        let s = [
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
        ];
        Rng::from_state(s)
    }

    /// A generator with exactly this state. The all-zero state, the one fixed point of
    /// xoshiro, is replaced by the state of seed 0.
    pub fn from_state(s: [u64; 4]) -> Rng {
        if s == [0; 4] {
            Rng::seed_from_u64(0)
        } else {
            Rng { s }
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`, with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, n)`, without modulo bias (Lemire's multiply-and-reject). `0` for
    /// `n = 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `[lo, hi)` (computed in `f64`, then rounded to `T`, which may round up
    /// to `hi` in `f32`). Reversed bounds draw from `(hi, lo]`; NaN bounds give NaN.
    pub fn uniform<T: Real>(&mut self, lo: T, hi: T) -> T {
        let (lo, hi) = (lo.to_f64(), hi.to_f64());
        T::constant(lo + (hi - lo) * self.next_f64())
    }

    /// Normal with mean `mean` and standard deviation `std`, by the Box–Muller
    /// transform (two uniform draws per sample, computed in `f64` with `libm`).
    pub fn normal<T: Real>(&mut self, mean: T, std: T) -> T {
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let z = r * libm::cos(core::f64::consts::TAU * u2);
        T::constant(mean.to_f64() + std.to_f64() * z)
    }

    /// Shuffles `items` in place (Fisher–Yates): every order is equally likely.
    pub fn shuffle<X>(&mut self, items: &mut [X]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // The published test vector for seed 1234567.
        let mut x = 1_234_567;
        let want = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for w in want {
            assert_eq!(splitmix64(&mut x), w);
        }
    }

    #[test]
    fn xoshiro256starstar_reference_values() {
        // From state [1, 2, 3, 4], as in the reference C implementation's test vectors.
        let mut r = Rng::from_state([1, 2, 3, 4]);
        let want = [
            11_520,
            0,
            1_509_978_240,
            1_215_971_899_390_074_240,
            1_216_172_134_540_287_360,
            607_988_272_756_665_600,
        ];
        for w in want {
            assert_eq!(r.next_u64(), w);
        }
    }

    #[test]
    fn seeding_is_splitmix_into_xoshiro() {
        let mut r = Rng::seed_from_u64(42);
        assert_eq!(r.next_u64(), 1_546_998_764_402_558_742);
        assert_eq!(r.next_u64(), 6_990_951_692_964_543_102);
        assert_eq!(Rng::from_state([0; 4]), Rng::seed_from_u64(0));
    }

    #[test]
    fn draws_have_the_right_range_and_moments() {
        let mut r = Rng::seed_from_u64(1);
        let n = 20_000;
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let u: f64 = r.uniform(-2.0, 2.0);
            assert!((-2.0..2.0).contains(&u));
            s1 += u;
            s2 += u * u;
        }
        let (mean, var) = (s1 / n as f64, s2 / n as f64 - (s1 / n as f64).powi(2));
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 16.0 / 12.0).abs() < 0.05, "variance {var}");
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z: f64 = r.normal(1.0, 3.0);
            assert!(z.is_finite());
            s1 += z;
            s2 += z * z;
        }
        let (mean, var) = (s1 / n as f64, s2 / n as f64 - (s1 / n as f64).powi(2));
        assert!((mean - 1.0).abs() < 0.1, "mean {mean}");
        assert!((var - 9.0).abs() < 0.4, "variance {var}");
        let mut counts = [0u32; 7];
        for _ in 0..7000 {
            counts[r.below(7) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut r = Rng::seed_from_u64(3);
        let mut v = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        r.shuffle(&mut v);
        assert_ne!(v, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let mut sorted = v;
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        r.shuffle::<u8>(&mut []);
    }
}
