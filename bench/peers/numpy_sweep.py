"""The sweep in plain float32 NumPy: the benchmark's peer (bench/peers/numpy.ts drives it).

The same work as the lab's engines (src/core/reference.ts), on the same numbers: W0, U, b, r, h0,
the inputs and the rho values are read from .npy files that the benchmark wrote from the lab's own
seeded generator, so nothing here draws a random number.

  forward,  t = 1..T:  a_t = rho W0 h_{t-1} + U x_t + b,   h_t = phi(a_t),   phi'(a_t) kept
  backward, t = T..1:  log10 ||g_t|| recorded, g_t renormalised to unit length (the log of the
                       factor accumulated), delta_t = phi'(a_t) * g_t,  g_{t-1} = W0^T delta_t,
                       log10(rho) added to the log scale (exact, also for rho = 0)
  the K x T grid:      mean over the S samples of log10 ||dL/dh_t||

All B = K * S sequences run as one batch: every step is one [B, N] x [N, N] float32 product
(OpenBLAS SGEMM). Only the gradient grid is computed; the engines also keep hidden norms,
saturation, weight-gradient norms and range flags, which this peer does not.

Protocol on stdin/stdout, one JSON object per output line:
  start-up       -> {"ready": true, "numpy": ..., "python": ..., "blas": {...}}
  "run"          -> {"seconds": wall time of one sweep (time.perf_counter)}
  "grid PATH"    -> writes the last run's gradLog10Mean, float64 [K, T], to PATH as .npy; {"ok": true}
  "quit"         -> exits
Usage: python3 numpy_sweep.py DIR ACTIVATION LEAKY_ALPHA
"""

import ctypes
import json
import os
import platform
import sys
import time

import numpy as np


def openblas_info():
    """Which OpenBLAS NumPy loaded and which kernel (core type) it chose at run time."""
    info = {}
    try:
        import threadpoolctl  # the library scikit-learn uses for exactly this

        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas":
                info = {
                    "source": "threadpoolctl",
                    "library": lib.get("internal_api"),
                    "version": lib.get("version"),
                    "coreType": lib.get("architecture"),
                    "threads": lib.get("num_threads"),
                    "path": lib.get("filepath"),
                }
                break
    except ImportError:
        pass
    if info:
        return info
    # Without threadpoolctl: what it does, by hand -- find the OpenBLAS that this process mapped
    # and ask it (openblas_get_corename/get_config, with scipy-openblas's symbol prefix and suffix).
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and line.split()[-1].startswith("/")})
        for path in paths:
            lib = ctypes.CDLL(path)
            for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "64_"), ("openblas_", "")):
                corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
                if corename is None:
                    continue
                corename.restype = ctypes.c_char_p
                config = getattr(lib, f"{prefix}get_config{suffix}")
                config.restype = ctypes.c_char_p
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
                return {
                    "source": "ctypes (openblas_get_corename of the loaded library)",
                    "library": "openblas",
                    "config": config().decode(),
                    "coreType": corename().decode(),
                    "threads": threads(),
                    "path": path,
                }
    except OSError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return {"source": "numpy.show_config (build time: the kernel chosen at run time is unknown)", **blas}
    except Exception as e:  # noqa: BLE001 -- any failure here only loses information
        return {"source": "unknown", "error": str(e)}


def activation(name, alpha):
    """phi and phi', both in place on a float32 array; phi' written into `der`."""
    if name == "tanh":

        def f(a, der):
            np.tanh(a, out=a)
            np.multiply(a, a, out=der)
            np.subtract(1, der, out=der)  # d tanh(a) = 1 - tanh(a)^2

    elif name == "sigmoid":

        def f(a, der):
            np.negative(a, out=a)
            np.exp(a, out=a)
            a += 1
            np.reciprocal(a, out=a)
            np.subtract(1, a, out=der)
            der *= a  # d sigmoid(a) = sigmoid(a) (1 - sigmoid(a))

    elif name == "relu":

        def f(a, der):
            np.greater(a, 0, out=der)  # d relu(a) = 1 for a > 0, else 0
            np.maximum(a, 0, out=a)

    elif name == "leaky_relu":
        slope = np.float32(alpha)

        def f(a, der):
            np.copyto(der, np.where(a > 0, np.float32(1), slope))  # d leaky(a) = 1 for a > 0, else alpha
            a *= der

    elif name == "linear":

        def f(a, der):
            der.fill(1)

    else:
        raise SystemExit(f"numpy_sweep.py: unknown activation {name!r}")
    return f


def main():
    folder, act_name, alpha = sys.argv[1], sys.argv[2], float(sys.argv[3])
    load = lambda name: np.load(os.path.join(folder, name + ".npy"))  # noqa: E731
    W0 = load("W0")  # [N, N] float32
    U = load("U")  # [N, D] float32
    b = load("b")  # [N] float32
    r = load("r")  # [N] float32
    h0 = load("h0")  # [N] float32
    x = load("x")  # [S, T, D] float32, zeros where the input is off
    bias_on = load("bias_on").astype(bool)  # [T]
    rho = load("rho")  # [K] float64
    K, (S, T, D), N = rho.size, x.shape, W0.shape[0]
    B = K * S
    W0T = np.ascontiguousarray(W0.T)
    rho_b = np.repeat(rho, S).astype(np.float32)[:, None]  # [B, 1], sequence k * S + s
    with np.errstate(divide="ignore"):
        log_rho = np.repeat(np.log10(rho), S)  # [B]; -inf for rho = 0: every earlier gradient is an exact zero
    phi = activation(act_name, alpha)
    last = {}

    def sweep():
        ux = (x.reshape(S * T, D) @ U.T).reshape(S, T, N).transpose(1, 0, 2).copy()  # [T, S, N]: U x_t
        der = np.empty((T, B, N), np.float32)  # phi'(a_t), kept for BPTT
        h = np.broadcast_to(h0, (B, N)).astype(np.float32)
        a = np.empty((B, N), np.float32)
        for t in range(T):
            np.matmul(h, W0T, out=a)  # a = W0 h_{t-1} for every sequence
            a *= rho_b
            a.reshape(K, S, N)[:] += ux[t]
            if bias_on[t]:
                a += b
            phi(a, der[t])
            h, a = a, h
        g = np.broadcast_to(r, (B, N)).astype(np.float32)
        delta = np.empty((B, N), np.float32)
        log_scale = np.zeros(B)
        grad = np.empty((T, B))
        for t in range(T - 1, -1, -1):
            norm = np.sqrt(np.einsum("ij,ij->i", g, g, dtype=np.float64))
            positive = norm > 0
            with np.errstate(divide="ignore"):
                gl = np.log10(norm)
            grad[t] = gl + log_scale
            # renormalise where g is not exactly zero; an exact zero stays zero (log10 = -inf)
            scale = np.where(positive, 1 / np.where(positive, norm, 1), 1).astype(np.float32)
            log_scale += np.where(positive, gl, 0)
            np.multiply(der[t], g, out=delta)
            delta *= scale[:, None]
            np.matmul(delta, W0, out=g)  # g_{t-1} = W0^T delta_t, as rows
            log_scale += log_rho  # the factor rho, exactly
        last["grid"] = grad.reshape(T, K, S).mean(axis=2).T.copy()  # [K, T]

    print(json.dumps({"ready": True, "numpy": np.__version__, "python": platform.python_version(), "blas": openblas_info(), "shape": {"N": N, "D": D, "T": T, "K": K, "S": S}}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "run":
            t0 = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                sweep()
            print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)
        elif cmd.startswith("grid "):
            np.save(cmd[5:], last["grid"])
            print(json.dumps({"ok": True}), flush=True)
        elif cmd == "quit":
            break
        else:
            print(json.dumps({"error": f"unknown command {cmd!r}"}), flush=True)


if __name__ == "__main__":
    main()
