/**
 * Eigenvalues (no eigenvectors) of a general real matrix: balancing, reduction to upper
 * Hessenberg form by stabilised elementary similarity transforms, then the shifted QR
 * algorithm with Francis double shifts (EISPACK balanc/elmhes/hqr, as in Numerical Recipes
 * 2nd ed. section 11.5-11.6). Written here because the library decomposition computes
 * eigenvectors as well and took 51 s at N = 1024 on the reference machine; this is O(N^3)
 * with a small constant on flat arrays. Checked against ml-matrix in tests/core/spectrum.test.ts.
 */

/** Eigenvalues of the n x n row-major matrix `a` (not modified). Throws if QR fails to converge. */
export function hqrEigenvalues(a: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  // 1-based working copy, stride n + 1: A(i, j) = h[i * s + j], as the published algorithm indexes.
  const s = n + 1;
  const h = new Float64Array(s * s);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[(i + 1) * s + j + 1] = a[i * n + j];
  balance(h, n, s);
  hessenberg(h, n, s);
  for (let i = 3; i <= n; i++) for (let j = 1; j <= i - 2; j++) h[i * s + j] = 0;
  const wr = new Float64Array(n + 1);
  const wi = new Float64Array(n + 1);
  hqr(h, n, s, wr, wi);
  return { re: wr.slice(1), im: wi.slice(1) };
}

/**
 * Eigenvalues of an n x n upper Hessenberg matrix (row-major, entries below the subdiagonal
 * ignored), by the shifted QR step alone: used on the small Hessenberg matrix of an Arnoldi
 * iteration (krylov.ts), which is Hessenberg already.
 */
export function hessenbergEigenvalues(hess: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const s = n + 1;
  const h = new Float64Array(s * s);
  for (let i = 0; i < n; i++) for (let j = Math.max(0, i - 1); j < n; j++) h[(i + 1) * s + j + 1] = hess[i * n + j];
  const wr = new Float64Array(n + 1);
  const wi = new Float64Array(n + 1);
  hqr(h, n, s, wr, wi);
  return { re: wr.slice(1), im: wi.slice(1) };
}

/** Balance rows and columns by powers of 2 (exact), which leaves eigenvalues unchanged. */
function balance(a: Float64Array, n: number, s: number): void {
  const RADIX = 2;
  const sqrdx = RADIX * RADIX;
  let done = false;
  while (!done) {
    done = true;
    for (let i = 1; i <= n; i++) {
      let r = 0;
      let c = 0;
      for (let j = 1; j <= n; j++) {
        if (j !== i) {
          c += Math.abs(a[j * s + i]);
          r += Math.abs(a[i * s + j]);
        }
      }
      if (c !== 0 && r !== 0) {
        let g = r / RADIX;
        let f = 1;
        const total = c + r;
        while (c < g) {
          f *= RADIX;
          c *= sqrdx;
        }
        g = r * RADIX;
        while (c > g) {
          f /= RADIX;
          c /= sqrdx;
        }
        if ((c + r) / f < 0.95 * total) {
          done = false;
          g = 1 / f;
          for (let j = 1; j <= n; j++) a[i * s + j] *= g;
          for (let j = 1; j <= n; j++) a[j * s + i] *= f;
        }
      }
    }
  }
}

/** Reduce to upper Hessenberg form by Gaussian elimination with pivoting (elmhes). */
function hessenberg(a: Float64Array, n: number, s: number): void {
  for (let m = 2; m < n; m++) {
    let x = 0;
    let i = m;
    for (let j = m; j <= n; j++) {
      if (Math.abs(a[j * s + m - 1]) > Math.abs(x)) {
        x = a[j * s + m - 1];
        i = j;
      }
    }
    if (i !== m) {
      for (let j = m - 1; j <= n; j++) {
        const t = a[i * s + j];
        a[i * s + j] = a[m * s + j];
        a[m * s + j] = t;
      }
      for (let j = 1; j <= n; j++) {
        const t = a[j * s + i];
        a[j * s + i] = a[j * s + m];
        a[j * s + m] = t;
      }
    }
    if (x !== 0) {
      for (let r = m + 1; r <= n; r++) {
        let y = a[r * s + m - 1];
        if (y !== 0) {
          y /= x;
          a[r * s + m - 1] = y;
          for (let j = m; j <= n; j++) a[r * s + j] -= y * a[m * s + j];
          for (let j = 1; j <= n; j++) a[j * s + m] += y * a[j * s + r];
        }
      }
    }
  }
}

function sign(a: number, b: number): number {
  return b >= 0 ? Math.abs(a) : -Math.abs(a);
}

/** Shifted QR on an upper Hessenberg matrix (destroyed); eigenvalues into wr, wi (1-based). */
function hqr(a: Float64Array, n: number, s: number, wr: Float64Array, wi: Float64Array): void {
  const A = (i: number, j: number) => a[i * s + j];
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(A(i, j));
  let nn = n;
  let t = 0;
  let p = 0;
  let q = 0;
  let r = 0;
  // Assigned on every path before use; declared here because the published loop shares them.
  let x: number;
  let y: number;
  let z: number;
  let w: number;
  while (nn >= 1) {
    let its = 0;
    let l: number;
    do {
      for (l = nn; l >= 2; l--) {
        let sc = Math.abs(A(l - 1, l - 1)) + Math.abs(A(l, l));
        if (sc === 0) sc = anorm;
        if (Math.abs(A(l, l - 1)) + sc === sc) {
          a[l * s + l - 1] = 0;
          break;
        }
      }
      x = A(nn, nn);
      if (l === nn) {
        wr[nn] = x + t;
        wi[nn--] = 0;
      } else {
        y = A(nn - 1, nn - 1);
        w = A(nn, nn - 1) * A(nn - 1, nn);
        if (l === nn - 1) {
          p = 0.5 * (y - x);
          q = p * p + w;
          z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + sign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z !== 0) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = -(wi[nn] = z);
          }
          nn -= 2;
        } else {
          if (its === 60) throw new Error(`eigenvalues: the QR iteration did not converge (N = ${n})`);
          if (its === 10 || its === 20 || its === 40) {
            // Exceptional shift to break a cycle.
            t += x;
            for (let i = 1; i <= nn; i++) a[i * s + i] -= x;
            const sc = Math.abs(A(nn, nn - 1)) + Math.abs(A(nn - 1, nn - 2));
            y = x = 0.75 * sc;
            w = -0.4375 * sc * sc;
          }
          ++its;
          let m: number;
          for (m = nn - 2; m >= l; m--) {
            z = A(m, m);
            r = x - z;
            const sm = y - z;
            p = (r * sm - w) / A(m + 1, m) + A(m, m + 1);
            q = A(m + 1, m + 1) - z - r - sm;
            r = A(m + 2, m + 1);
            const sc = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= sc;
            q /= sc;
            r /= sc;
            if (m === l) break;
            const u = Math.abs(A(m, m - 1)) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(A(m - 1, m - 1)) + Math.abs(z) + Math.abs(A(m + 1, m + 1)));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i * s + i - 2] = 0;
            if (i !== m + 2) a[i * s + i - 3] = 0;
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = A(k, k - 1);
              q = A(k + 1, k - 1);
              r = 0;
              if (k !== nn - 1) r = A(k + 2, k - 1);
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const sc = sign(Math.sqrt(p * p + q * q + r * r), p);
            if (sc !== 0) {
              if (k === m) {
                if (l !== m) a[k * s + k - 1] = -A(k, k - 1);
              } else {
                a[k * s + k - 1] = -sc * x;
              }
              p += sc;
              x = p / sc;
              y = q / sc;
              z = r / sc;
              q /= p;
              r /= p;
              // The row and column updates, with the three-row case apart from the two-row one
              // (the last k) so that the inner loops have no branch; the same operations in the
              // same order as the published loop.
              const r0 = k * s;
              const r1 = r0 + s;
              const r2 = r1 + s;
              const mmin = nn < k + 3 ? nn : k + 3;
              if (k !== nn - 1) {
                for (let j = k; j <= nn; j++) {
                  const pj = a[r0 + j] + q * a[r1 + j] + r * a[r2 + j];
                  a[r2 + j] -= pj * z;
                  a[r1 + j] -= pj * y;
                  a[r0 + j] -= pj * x;
                }
                for (let i = l; i <= mmin; i++) {
                  const o = i * s + k;
                  const pi = x * a[o] + y * a[o + 1] + z * a[o + 2];
                  a[o + 2] -= pi * r;
                  a[o + 1] -= pi * q;
                  a[o] -= pi;
                }
              } else {
                for (let j = k; j <= nn; j++) {
                  const pj = a[r0 + j] + q * a[r1 + j];
                  a[r1 + j] -= pj * y;
                  a[r0 + j] -= pj * x;
                }
                for (let i = l; i <= mmin; i++) {
                  const o = i * s + k;
                  const pi = x * a[o] + y * a[o + 1];
                  a[o + 1] -= pi * q;
                  a[o] -= pi;
                }
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
}
