/**
 * The float64 reference trainer's model: forward pass, loss and exact BPTT gradient of every
 * parameter for one batch. Every other trainer is tested against it; it is written for clarity
 * (plain loops, the equation beside each), not speed. Nothing is renormalised: real training sees
 * the real magnitudes, so an exploding model overflows here too and the loop stops it.
 *
 * Forward, for t = 0..T-1 (h_{-1} = 0):
 *   a_t = W h_{t-1} + U x_t + b,   h_t = phi(a_t),   y_t = V h_t + c at the output steps.
 * Backward, g_t = dL/dh_t (only through h_{t+1} and y_t), delta_t = phi'(a_t) * g_t:
 *   g_t  = W^T delta_{t+1} + V^T dL/dy_t,
 *   dW = sum_t delta_t h_{t-1}^T,  dU = sum_t delta_t x_t^T,  db = sum_t delta_t,
 *   dV = sum_t dL/dy_t h_t^T,      dc = sum_t dL/dy_t           (each summed over the batch too).
 */
import { activationFns, type ActivationFns } from '../activations.ts';
import type { ModelConfig } from './config.ts';
import type { ModelKernel } from './loop.ts';
import { layoutFor, type ParamLayout } from './model.ts';
import { taskLoss, type Batch, type TaskShape } from './tasks.ts';

export class ReferenceModel implements ModelKernel<Float64Array> {
  readonly layout: ParamLayout;
  readonly grad: Float64Array;
  private readonly phi: ActivationFns;
  private readonly T: number;
  /** [T, B, N] pre-activations and [T + 1, B, N] states (row 0 is h_{-1} = 0), for the batch size last used. */
  private a = new Float64Array(0);
  private h = new Float64Array(0);
  private B = 0;

  constructor(
    model: ModelConfig,
    private readonly shape: TaskShape,
    T: number,
    readonly params: Float64Array,
  ) {
    this.layout = layoutFor(model, shape);
    if (params.length !== this.layout.size) throw new Error(`internal: ${params.length} parameters for a layout of ${this.layout.size}`);
    this.grad = new Float64Array(this.layout.size);
    this.phi = activationFns(model.activation, model);
    this.T = T;
  }

  private ensure(B: number): void {
    if (this.B === B) return;
    const { N } = this.layout;
    this.a = new Float64Array(this.T * B * N);
    this.h = new Float64Array((this.T + 1) * B * N);
    this.B = B;
  }

  /** Run the batch forward; returns y [outputSteps, B, O]. */
  private forward(batch: Batch): Float64Array {
    const B = batch.size;
    this.ensure(B);
    const { N, D, O } = this.layout;
    const L = this.layout;
    const p = this.params;
    const { a, h } = this;
    const steps = this.shape.outputSteps;
    const y = new Float64Array(steps.length * B * O);
    h.fill(0, 0, B * N);
    let s = 0;
    for (let t = 0; t < this.T; t++) {
      for (let bi = 0; bi < B; bi++) {
        const hp = t * B * N + bi * N; // h_{t-1} of sequence bi
        const ho = (t + 1) * B * N + bi * N; // h_t
        const ao = t * B * N + bi * N;
        const xo = (t * B + bi) * D;
        for (let i = 0; i < N; i++) {
          let acc = p[L.b + i];
          for (let d = 0; d < D; d++) acc += p[L.U + i * D + d] * batch.x[xo + d];
          for (let j = 0; j < N; j++) acc += p[L.W + i * N + j] * h[hp + j];
          a[ao + i] = acc;
          h[ho + i] = this.phi.output(acc);
        }
      }
      if (s < steps.length && steps[s] === t) {
        for (let bi = 0; bi < B; bi++) {
          const ho = (t + 1) * B * N + bi * N;
          for (let o = 0; o < O; o++) {
            let acc = p[L.c + o];
            for (let i = 0; i < N; i++) acc += p[L.V + o * N + i] * h[ho + i];
            y[(s * B + bi) * O + o] = acc;
          }
        }
        s++;
      }
    }
    return y;
  }

  loss(batch: Batch): number {
    return taskLoss(this.shape, this.forward(batch), batch.targets, batch.size);
  }

  lossAndGrad(batch: Batch): number {
    const y = this.forward(batch);
    const dy = new Float64Array(y.length);
    const B = batch.size;
    const loss = taskLoss(this.shape, y, batch.targets, B, dy);
    const { N, D, O } = this.layout;
    const L = this.layout;
    const p = this.params;
    const gr = this.grad;
    const { a, h } = this;
    const steps = this.shape.outputSteps;
    gr.fill(0);
    let g = new Float64Array(B * N); // dL/dh_t
    let gPrev = new Float64Array(B * N);
    const delta = new Float64Array(N);
    let s = steps.length - 1;
    for (let t = this.T - 1; t >= 0; t--) {
      if (s >= 0 && steps[s] === t) {
        for (let bi = 0; bi < B; bi++) {
          const ho = (t + 1) * B * N + bi * N;
          for (let o = 0; o < O; o++) {
            const e = dy[(s * B + bi) * O + o];
            gr[L.c + o] += e;
            for (let i = 0; i < N; i++) {
              gr[L.V + o * N + i] += e * h[ho + i];
              g[bi * N + i] += p[L.V + o * N + i] * e;
            }
          }
        }
        s--;
      }
      gPrev.fill(0);
      for (let bi = 0; bi < B; bi++) {
        const ao = t * B * N + bi * N;
        const hp = t * B * N + bi * N;
        const xo = (t * B + bi) * D;
        for (let i = 0; i < N; i++) delta[i] = this.phi.der(a[ao + i]) * g[bi * N + i];
        for (let i = 0; i < N; i++) {
          const di = delta[i];
          gr[L.b + i] += di;
          for (let d = 0; d < D; d++) gr[L.U + i * D + d] += di * batch.x[xo + d];
          for (let j = 0; j < N; j++) {
            gr[L.W + i * N + j] += di * h[hp + j];
            gPrev[bi * N + j] += p[L.W + i * N + j] * di; // (W^T delta)_j
          }
        }
      }
      [g, gPrev] = [gPrev, g];
    }
    return loss;
  }
}
