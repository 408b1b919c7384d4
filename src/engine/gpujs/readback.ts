/**
 * Reading the per-step stats back without blocking the calling thread.
 *
 * WebGL2: readPixels into a PIXEL_PACK_BUFFER returns at once; a fence says when the GPU has
 * caught up; getBufferSubData after it is a plain copy. The engine keeps a few steps in
 * flight and awaits the oldest, so the GPU never waits for JavaScript and the main thread
 * never waits for the GPU (a synchronous readPixels stalled it up to 0.7 s per step on a
 * loaded machine). WebGL1 and gpu.js's cpu mode read synchronously.
 */
import type { Texture } from 'gpu.js';

/** A kernel's result: a GPU texture (webgl modes) or a nested array (cpu mode). */
export type KernelOut = Texture | Float32Array[] | Float32Array[][];

export function isTexture(x: unknown): x is Texture {
  return typeof x === 'object' && x !== null && typeof (x as { delete?: unknown }).delete === 'function';
}

/** The WebGL objects of a gpu.js texture that a raw read needs (gpu.js's GLTexture fields). */
interface GLTextureFields {
  texture: WebGLTexture;
  /** [width, height] of the texture in texels. */
  size: [number, number] | Int32Array;
  renderRawOutput(): Float32Array;
}

/**
 * A [n] vec4 kernel result as a flat Float32Array, element e at [4e .. 4e + 3], read now.
 * gpu.js lays a 1-D output out linearly in its RGBA32F texture; cpu mode gives arrays.
 */
export function readVec4Sync(x: KernelOut, n: number): Float32Array {
  if (isTexture(x)) {
    const raw = (x as unknown as GLTextureFields).renderRawOutput();
    return raw.length === 4 * n ? raw : raw.slice(0, 4 * n);
  }
  const out = new Float32Array(4 * n);
  const rows = x as ArrayLike<ArrayLike<number>>;
  for (let e = 0; e < n; e++) for (let c = 0; c < 4; c++) out[4 * e + c] = rows[e][c];
  return out;
}

/** Yield to the event loop without setTimeout's 4 ms clamp. */
export function yieldNow(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? yieldNow() : new Promise((resolve) => setTimeout(resolve, ms));
}

export const CONTEXT_LOST = 'gpujs engine: the WebGL context was lost during the run (GPU reset or too many contexts); run again or choose another backend';

/** A read that has been issued: its data arrive with wait(). */
export interface PendingRead {
  wait(): Promise<Float32Array>;
  /** Release its buffer and fence if it will never be waited for (abort). */
  cancel(): void;
}

/** Issues reads: asynchronous on WebGL2, synchronous otherwise. */
export class StatsReader {
  private readonly gl2: WebGL2RenderingContext | null;
  private fbo: WebGLFramebuffer | null = null;
  private readonly open = new Set<PendingRead>();

  constructor(
    private readonly gl: WebGLRenderingContext | WebGL2RenderingContext | null,
    async: boolean,
  ) {
    this.gl2 = async && gl && typeof (gl as WebGL2RenderingContext).fenceSync === 'function' ? (gl as WebGL2RenderingContext) : null;
  }

  private lost(): boolean {
    return !!this.gl && typeof this.gl.isContextLost === 'function' && this.gl.isContextLost();
  }

  /** Start reading the [n] vec4 result x; x may be released (deleted) right after. */
  start(x: KernelOut, n: number): PendingRead {
    const gl = this.gl2;
    if (!gl || !isTexture(x)) {
      const data = readVec4Sync(x, n);
      if (this.lost()) throw new Error(CONTEXT_LOST);
      return { wait: () => Promise.resolve(data), cancel: () => undefined };
    }
    const t = x as unknown as GLTextureFields;
    const [w, h] = [t.size[0], t.size[1]];
    this.fbo ??= gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t.texture, 0);
    const pbo = gl.createBuffer();
    const bytes = w * h * 16;
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    gl.bufferData(gl.PIXEL_PACK_BUFFER, bytes, gl.STREAM_READ);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.FLOAT, 0);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    // A fence is only queued: flush so the poll does not wait on commands never dispatched.
    gl.flush();
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.open.delete(pending);
      if (sync) gl.deleteSync(sync);
      gl.deleteBuffer(pbo);
    };
    const pending: PendingRead = {
      wait: async () => {
        let polls = 0;
        try {
          for (;;) {
            if (this.lost()) throw new Error(CONTEXT_LOST);
            const status = gl.clientWaitSync(sync!, 0, 0);
            if (status === gl.ALREADY_SIGNALED || status === gl.CONDITION_SATISFIED) break;
            if (status === gl.WAIT_FAILED) throw new Error('gpujs engine: waiting for the GPU failed (clientWaitSync)');
            // Not yet: sleep a little rather than spin (the GPU may be software, on our cores).
            await sleep(polls++ < 2 ? 0 : 2);
          }
          const all = new Float32Array(w * h * 4);
          gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
          gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, all);
          gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
          return all.length === 4 * n ? all : all.slice(0, 4 * n);
        } finally {
          release();
        }
      },
      cancel: release,
    };
    this.open.add(pending);
    return pending;
  }

  /** Release every read still open and the framebuffer. */
  dispose(): void {
    for (const p of [...this.open]) p.cancel();
    if (this.fbo && this.gl2 && !this.lost()) this.gl2.deleteFramebuffer(this.fbo);
    this.fbo = null;
  }
}
