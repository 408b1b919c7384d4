"""A straightforward float32 NumPy implementation of the default training run, the speed peer of
the CPU trainer (bench/train.ts): the adding problem, the four default models (tanh-gaussian,
tanh-orthogonal, relu-gaussian clipped at 1, IRNN), N = 64, T = 150, batch 32, Adam lr 1e-3,
held-out loss on 256 sequences and W's spectral radius every 50 steps, as rnnlab train does.
One model after another, single-threaded (the caller sets OMP/OPENBLAS/MKL_NUM_THREADS=1 before
NumPy loads). The data come from NumPy's own generator: the work is the same, the numbers are not
meant to match the lab's. Prints one JSON line: seconds per model and in total.

    python3 bench/peers/train_numpy.py [--iterations 3000] [--hidden 64] [--length 150] [--batch 32]
"""
import argparse
import json
import time

import numpy as np

F = np.float32


def adding_batch(rng, B, T):
    x = np.zeros((T, B, 2), F)
    x[:, :, 0] = rng.random((T, B), dtype=F)
    half = T // 2
    m1 = rng.integers(0, half, B)
    m2 = rng.integers(half, T, B)
    x[m1, np.arange(B), 1] = 1
    x[m2, np.arange(B), 1] = 1
    y = x[m1, np.arange(B), 0] + x[m2, np.arange(B), 0]
    return x, y.astype(F)


def init_model(rng, kind, N, D):
    act, init = kind
    if init == 'identity':
        W = np.eye(N, dtype=F)
    else:
        g = rng.standard_normal((N, N)) / np.sqrt(N)
        if init == 'orthogonal':
            q, r = np.linalg.qr(g)
            g = q * np.sign(np.diag(r))
        W = (g / np.abs(np.linalg.eigvals(g)).max()).astype(F)
    return {
        'W': W,
        'U': (rng.standard_normal((N, D)) / np.sqrt(D)).astype(F),
        'b': np.zeros(N, F),
        'v': (rng.standard_normal(N) / np.sqrt(N)).astype(F),
        'c': np.ones(1, F),
    }


def forward(p, x, act, keep):
    T, B, _ = x.shape
    N = p['W'].shape[0]
    h = np.zeros((B, N), F)
    hs, As = [h], []
    for t in range(T):
        a = h @ p['W'].T + x[t] @ p['U'].T + p['b']
        h = np.tanh(a) if act == 'tanh' else np.maximum(a, 0)
        if keep:
            As.append(a)
            hs.append(h)
    y = h @ p['v'] + p['c'][0]
    return y, hs, As


def loss_and_grad(p, x, target, act):
    T, B, _ = x.shape
    y, hs, As = forward(p, x, act, True)
    r = y - target
    loss = float(np.mean(r * r))
    dy = (2 / B) * r  # [B]
    g = {k: np.zeros_like(v) for k, v in p.items()}
    g['v'] = hs[-1].T @ dy
    g['c'][0] = dy.sum()
    dh = np.outer(dy, p['v'])  # [B, N]
    deltas = np.empty((T, B, p['W'].shape[0]), F)
    for t in range(T - 1, -1, -1):
        der = 1 - hs[t + 1] ** 2 if act == 'tanh' else (As[t] > 0).astype(F)
        delta = dh * der
        deltas[t] = delta
        dh = delta @ p['W']
    H = np.stack(hs[:-1])  # h_{t-1} for t = 0..T-1
    N = H.shape[2]
    g['W'] = deltas.reshape(-1, N).T @ H.reshape(-1, N)
    g['U'] = deltas.reshape(-1, N).T @ x.reshape(T * B, -1)
    g['b'] = deltas.sum(axis=(0, 1))
    return loss, g


def train(kind, clip, args, seed):
    rng = np.random.default_rng(seed)
    p = init_model(rng, kind, args.hidden, 2)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s = {k: np.zeros_like(v) for k, v in p.items()}
    xh, yh = adding_batch(np.random.default_rng(seed + 1), args.heldout, args.length)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3
    last = None
    for i in range(args.iterations + 1):
        x, y = adding_batch(rng, args.batch, args.length)
        loss, g = loss_and_grad(p, x, y, kind[0])
        norm = float(np.sqrt(sum(float(np.sum(v * v)) for v in g.values())))
        if i % 50 == 0 or i == args.iterations:
            yh_pred, _, _ = forward(p, xh, kind[0], False)
            last = (float(np.mean((yh_pred - yh) ** 2)), float(np.abs(np.linalg.eigvals(p['W'])).max()))
        if i == args.iterations:
            break
        if clip and norm > clip:
            for v in g.values():
                v *= F(clip / norm)
        t = i + 1
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            s[k] = b2 * s[k] + (1 - b2) * g[k] * g[k]
            p[k] -= (lr * (m[k] / (1 - b1 ** t)) / (np.sqrt(s[k] / (1 - b2 ** t)) + eps)).astype(F)
    return last


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--iterations', type=int, default=3000)
    ap.add_argument('--hidden', type=int, default=64)
    ap.add_argument('--length', type=int, default=150)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--heldout', type=int, default=256)
    args = ap.parse_args()
    models = [(('tanh', 'gaussian'), 0), (('tanh', 'orthogonal'), 0), (('relu', 'gaussian'), 1), (('relu', 'identity'), 0)]
    per_model, finals = [], []
    t_all = time.perf_counter()
    for kind, clip in models:
        t0 = time.perf_counter()
        finals.append(train(kind, clip, args, 1))
        per_model.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    print(json.dumps({
        'peer': 'numpy-float32-single-thread',
        'numpy': np.__version__,
        'iterations': args.iterations,
        'seconds': total,
        'secondsPerModel': per_model,
        'secondsPer100StepsPerModel': total / len(models) / args.iterations * 100,
        'final': [{'heldoutLoss': l, 'spectralRadius': r} for l, r in finals],
    }))


if __name__ == '__main__':
    main()
