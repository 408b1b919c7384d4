"""A straightforward float32 NumPy implementation of the default training run, the speed peer of
the CPU trainer (bench/train.ts): the adding problem, the four default models (tanh-gaussian,
tanh-orthogonal, relu-gaussian clipped at 1, IRNN), N = 64, T = 150, batch 32, Adam lr 1e-3,
held-out loss on 256 sequences and W's spectral radius every 50 steps, as rnnlab train does.
One model after another, single-threaded (the caller sets OMP/OPENBLAS/MKL_NUM_THREADS=1 before
NumPy loads).

Written as one would write it with NumPy in mind, not tuned beyond that: float32 arrays and
float32 (or Python, which NumPy 2 keeps weak) scalars throughout, so nothing is computed in
float64; the input projection U x_t + b for all T steps as one product; h_t written into a
preallocated [T + 1, B, N] store and phi'(a) for all steps in one operation after the forward
loop; per step one BLAS product forward (into a reused buffer) and one backward; the weight
gradients as single products over the stacked T x B rows (dW = deltas^T H, not T outer
products); parameters, gradient and Adam's moments as flat vectors, so clipping and the update
are a few whole-vector operations.

By default the data and initial weights come from NumPy's own generator (the work is the same,
the numbers are not the lab's). With --data DIR it trains on the lab's: DIR/params.npy [models,
P] (the lab's flat layout [W | U | b | V | c], float32), DIR/x.npy [K, T, B, 2] and DIR/y.npy
[K, B] (K training batches), DIR/models.json ([{"activation", "clip"}] per model), and prints
each model's training loss for those K batches (bench/train-peer-check.ts compares them with
the float64 reference).

    python3 bench/peers/train_numpy.py [--iterations 3000] [--hidden 64] [--length 150] [--batch 32]
    python3 bench/peers/train_numpy.py --data DIR
"""
import argparse
import json
import os
import time

import numpy as np

F = np.float32


def adding_batch(rng, B, T):
    x = np.zeros((T, B, 2), F)
    x[:, :, 0] = rng.random((T, B), dtype=F)
    half = T // 2
    m1 = rng.integers(0, half, B)
    m2 = rng.integers(half, T, B)
    cols = np.arange(B)
    x[m1, cols, 1] = 1
    x[m2, cols, 1] = 1
    return x, x[m1, cols, 0] + x[m2, cols, 0]


def init_params(rng, init, N, D):
    """The flat float32 parameters [W | U | b | v | c]: W scaled to spectral radius 1 (or the identity)."""
    if init == 'identity':
        W = np.eye(N)
    else:
        W = rng.standard_normal((N, N)) / np.sqrt(N)
        if init == 'orthogonal':
            q, r = np.linalg.qr(W)
            W = q * np.sign(np.diag(r))
        W = W / np.abs(np.linalg.eigvals(W)).max()
    U = rng.standard_normal((N, D)) / np.sqrt(D)
    v = rng.standard_normal(N) / np.sqrt(N)
    return np.concatenate([W.ravel(), U.ravel(), np.zeros(N), v, [1.0]]).astype(F)


class Model:
    """a_t = W h_{t-1} + U x_t + b, h_t = phi(a_t), y = v . h_T + c; BPTT over the whole sequence."""

    def __init__(self, act, N, D, T, B, params):
        self.act, self.N, self.T, self.B = act, N, T, B
        self.p = params.astype(F)
        self.g = np.zeros_like(self.p)
        self.W, self.U, self.b, self.v, self.c = self.views(self.p, N, D)
        self.gW, self.gU, self.gb, self.gv, self.gc = self.views(self.g, N, D)
        self.H = np.zeros((T + 1, B, N), F)  # H[0] = h_{-1} = 0
        self.deltas = np.empty((T, B, N), F)
        self.a = np.empty((B, N), F)

    @staticmethod
    def views(flat, N, D):
        o = np.cumsum([0, N * N, N * D, N, N, 1])
        return flat[o[0]:o[1]].reshape(N, N), flat[o[1]:o[2]].reshape(N, D), flat[o[2]:o[3]], flat[o[3]:o[4]], flat[o[4]:o[5]]

    def phi(self, a, out):
        return np.tanh(a, out=out) if self.act == 'tanh' else np.maximum(a, 0, out=out)

    def inputs(self, x):
        T, B, D = x.shape
        P = (x.reshape(T * B, D) @ self.U.T).reshape(T, B, self.N)
        P += self.b
        return P

    def predict(self, x):
        P = self.inputs(x)
        WT = self.W.T
        h = np.zeros((x.shape[1], self.N), F)
        for t in range(x.shape[0]):
            a = np.dot(h, WT)
            a += P[t]
            h = self.phi(a, a)
        return h @ self.v + self.c[0]

    def loss_and_grad(self, x, target):
        T, B, N, H, a = self.T, self.B, self.N, self.H, self.a
        P = self.inputs(x)
        WT = self.W.T
        for t in range(T):
            np.dot(H[t], WT, out=a)
            a += P[t]
            self.phi(a, H[t + 1])
        r = H[T] @ self.v + self.c[0] - target
        loss = float(r @ r) / B
        dy = r * F(2 / B)  # dL/dy
        R = 1 - H[1:] * H[1:] if self.act == 'tanh' else H[1:] > 0  # phi'(a_t) for every step
        self.gv[:] = dy @ H[T]
        self.gc[0] = dy.sum()
        dh = np.outer(dy, self.v)
        for t in range(T - 1, -1, -1):
            np.multiply(dh, R[t], out=self.deltas[t])
            dh = np.dot(self.deltas[t], self.W)
        Dl = self.deltas.reshape(T * B, N)
        np.dot(Dl.T, H[:-1].reshape(T * B, N), out=self.gW)
        np.dot(Dl.T, x.reshape(T * B, -1), out=self.gU)
        Dl.sum(axis=0, out=self.gb)
        return loss


def train(model, clip, iterations, batches, heldout=None):
    """Adam (lr 1e-3, 0.9, 0.999, 1e-8) after clipping by global norm; returns the training losses and the last evaluation."""
    b1, b2, eps, lr = F(0.9), F(0.999), F(1e-8), 1e-3
    m, s = np.zeros_like(model.p), np.zeros_like(model.p)
    g, p = model.g, model.p
    losses, last = [], None
    for i in range(iterations + 1):
        x, y = batches(i)
        losses.append(model.loss_and_grad(x, y))
        norm = float(np.sqrt(np.dot(g, g)))
        if heldout is not None and (i % 50 == 0 or i == iterations):
            xh, yh = heldout
            e = model.predict(xh) - yh
            last = (float(e @ e) / len(yh), float(np.abs(np.linalg.eigvals(model.W)).max()))
        if i == iterations:
            break
        if clip and norm > clip:
            g *= F(clip / norm)
        t = i + 1
        m *= b1
        m += (1 - b1) * g
        s *= b2
        s += (1 - b2) * g * g
        p -= F(lr / (1 - 0.9 ** t)) * m / (np.sqrt(s / F(1 - 0.999 ** t)) + eps)
    return losses, last


def run_default(args):
    models = [('tanh', 'gaussian', 0), ('tanh', 'orthogonal', 0), ('relu', 'gaussian', 1), ('relu', 'identity', 0)]
    per_model, finals = [], []
    t_all, c_all = time.perf_counter(), time.process_time()
    for act, init, clip in models:
        t0 = time.perf_counter()
        rng = np.random.default_rng(1)
        model = Model(act, args.hidden, 2, args.length, args.batch, init_params(rng, init, args.hidden, 2))
        heldout = adding_batch(np.random.default_rng(2), args.heldout, args.length)
        _, last = train(model, clip, args.iterations, lambda i: adding_batch(rng, args.batch, args.length), heldout)
        finals.append(last)
        per_model.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    print(json.dumps({
        'peer': 'numpy-float32-single-thread',
        'numpy': np.__version__,
        'iterations': args.iterations,
        'seconds': total,
        'cpuSeconds': time.process_time() - c_all,
        'secondsPerModel': per_model,
        'secondsPer100StepsPerModel': total / len(models) / args.iterations * 100,
        'final': [{'heldoutLoss': l, 'spectralRadius': r} for l, r in finals],
    }))


def run_data(d):
    params = np.load(os.path.join(d, 'params.npy'))
    xs = np.load(os.path.join(d, 'x.npy'))
    ys = np.load(os.path.join(d, 'y.npy'))
    with open(os.path.join(d, 'models.json')) as f:
        specs = json.load(f)
    K, T, B, D = xs.shape
    out = []
    for spec, flat in zip(specs, params):
        N = int(round((-(D + 2) + np.sqrt((D + 2) ** 2 - 4 * (1 - flat.size))) / 2))  # P = N^2 + (D + 2) N + 1
        model = Model(spec['activation'], N, D, T, B, flat)
        losses, _ = train(model, spec['clip'], K - 1, lambda i: (xs[i], ys[i]))
        out.append(losses)
    print(json.dumps({'numpy': np.__version__, 'trainLoss': out}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iterations', type=int, default=3000)
    ap.add_argument('--hidden', type=int, default=64)
    ap.add_argument('--length', type=int, default=150)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--heldout', type=int, default=256)
    ap.add_argument('--data', help="train on the lab's weights and batches in this directory and print the training losses")
    args = ap.parse_args()
    if args.data:
        run_data(args.data)
    else:
        run_default(args)


if __name__ == '__main__':
    main()
