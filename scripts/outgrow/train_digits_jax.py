"""Train the digits network at full scale in JAX and hand it to stackgrad.

The "outgrow" path: a model too big to train on the device is trained here (in JAX,
where it could run on accelerators and across machines), written as .safetensors with
PyTorch's names and layouts, then loaded, checked, fine-tuned and turned into firmware
constants by stackgrad (`cargo run --release --example outgrow`).

The network is stackgrad's `nn::Mlp<f32, 64, 32, 10>`: Linear(64→32), ReLU,
Linear(32→10), saved under PyTorch's `nn.Sequential` names:

    0.weight  [32, 64]    0.bias  [32]    2.weight  [10, 32]    2.bias  [10]

(a weight is [out, in], row-major, as `torch.nn.Linear` stores it). The file also holds
`check.x` [N, 64] (held-out images) and `check.logits` [N, 10] (this network's logits
for them), so stackgrad can show it computes the same function, and `split.test` [360],
the held-out rows of digits.csv.

Not run by CI (it needs JAX: `pip install jax safetensors numpy`). Run from the
repository root:

    python3 scripts/outgrow/train_digits_jax.py

It writes examples/data/outgrow/digits_jax.safetensors (about 20 KB), checked in.
"""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data" / "digits.csv"
OUT = ROOT / "examples" / "data" / "outgrow" / "digits_jax.safetensors"
SEED = 7
EPOCHS = 300
BATCH = 64
LR = 3e-3
L2 = 1e-4
CHECK = 32  # held-out images whose logits are stored


def load():
    raw = np.loadtxt(DATA, delimiter=",", dtype=np.float32)
    x = raw[:, :64] / 16.0
    y = raw[:, 64].astype(np.int32)
    return x, y


def init(key):
    k1, k2 = jax.random.split(key)
    # He-uniform for the ReLU layer, Xavier-uniform for the output (as stackgrad's `mlp`).
    a1 = np.sqrt(6.0 / 64)
    a2 = np.sqrt(6.0 / (32 + 10))
    return {
        "0.weight": jax.random.uniform(k1, (32, 64), minval=-a1, maxval=a1),
        "0.bias": jnp.zeros(32),
        "2.weight": jax.random.uniform(k2, (10, 32), minval=-a2, maxval=a2),
        "2.bias": jnp.zeros(10),
    }


def logits(p, x):
    h = jax.nn.relu(x @ p["0.weight"].T + p["0.bias"])
    return h @ p["2.weight"].T + p["2.bias"]


def loss(p, x, y):
    z = logits(p, x)
    ce = -jnp.mean(jnp.sum(jax.nn.log_softmax(z) * jax.nn.one_hot(y, 10), axis=1))
    return ce + 0.5 * L2 * (jnp.sum(p["0.weight"] ** 2) + jnp.sum(p["2.weight"] ** 2))


@jax.jit
def adam_step(p, m, v, t, x, y):
    g = jax.grad(loss)(p, x, y)
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, g)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, g)
    mhat = jax.tree_util.tree_map(lambda m: m / (1 - b1**t), m)
    vhat = jax.tree_util.tree_map(lambda v: v / (1 - b2**t), v)
    p = jax.tree_util.tree_map(lambda p, m, v: p - LR * m / (jnp.sqrt(v) + eps), p, mhat, vhat)
    return p, m, v


def main():
    x, y = load()
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(x))
    n_train = len(x) * 4 // 5
    train, test = order[:n_train], order[n_train:]
    p = init(jax.random.PRNGKey(SEED))
    m = jax.tree_util.tree_map(jnp.zeros_like, p)
    v = jax.tree_util.tree_map(jnp.zeros_like, p)
    t = 0
    for epoch in range(EPOCHS):
        perm = rng.permutation(train)
        for s in range(0, len(perm), BATCH):
            b = perm[s : s + BATCH]
            t += 1
            p, m, v = adam_step(p, m, v, t, x[b], y[b])
    acc = float(jnp.mean(jnp.argmax(logits(p, x[test]), axis=1) == y[test]))
    print(f"held-out accuracy {100 * acc:.2f}% after {EPOCHS} epochs ({t} steps)")
    check = test[:CHECK]
    tensors = {k: np.asarray(w, dtype=np.float32) for k, w in p.items()}
    tensors["check.x"] = x[check].astype(np.float32)
    tensors["check.logits"] = np.asarray(logits(p, x[check]), dtype=np.float32)
    # The held-out rows of digits.csv (as float32: exact for these small integers), so
    # stackgrad fine-tunes on the same training rows and measures on the same held-out
    # ones.
    tensors["split.test"] = test.astype(np.float32)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"framework": "jax", "jax": jax.__version__})
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
