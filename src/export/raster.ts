/**
 * An RGBA raster and the few drawing operations a figure needs: filled rectangles and
 * anti-aliased polygons (text outlines). Pure TypeScript with IEEE arithmetic only, so the
 * same figure gives the same bytes in every JS engine, in the browser and in Node.
 */
import type { Rgb } from './colormap.ts';
import type { Polygon } from './font.ts';

export class Raster {
  /** [height, width, 4] RGBA, row-major, top row first. */
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[4 * i] = background[0];
      this.data[4 * i + 1] = background[1];
      this.data[4 * i + 2] = background[2];
      this.data[4 * i + 3] = 255;
    }
  }

  /** Set pixel (x, y) to an opaque colour (ignored outside the raster). */
  set(x: number, y: number, r: number, g: number, b: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = 4 * (y * this.width + x);
    this.data[i] = r;
    this.data[i + 1] = g;
    this.data[i + 2] = b;
  }

  /** Blend colour c over pixel (x, y) with coverage a in [0, 1]: dst = dst (1 - a) + c a. */
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = 4 * (y * this.width + x);
    const k = Math.min(1, a);
    this.data[i] = Math.round(this.data[i] * (1 - k) + c[0] * k);
    this.data[i + 1] = Math.round(this.data[i + 1] * (1 - k) + c[1] * k);
    this.data[i + 2] = Math.round(this.data[i + 2] * (1 - k) + c[2] * k);
  }

  /** Fill the pixel rectangle [x0, x1) x [y0, y1) (integer pixel edges). */
  fillRect(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    const xa = Math.max(0, x0), xb = Math.min(this.width, x1);
    const ya = Math.max(0, y0), yb = Math.min(this.height, y1);
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.set(x, y, c[0], c[1], c[2]);
  }

  /**
   * Fill polygons (non-zero winding, as TrueType outlines are drawn) with exact-area
   * anti-aliasing: the signed-area accumulation of font-rs (R. Levien), each edge adding
   * its covered area to the cells it crosses, then a running sum along each row. Opacity
   * scales the coverage (a translucent fill such as a +-1 std band).
   */
  fillPolygons(polys: Polygon[], c: Rgb, opacity = 1): void {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const p of polys) {
      for (let i = 0; i < p.length; i += 2) {
        minX = Math.min(minX, p[i]);
        maxX = Math.max(maxX, p[i]);
        minY = Math.min(minY, p[i + 1]);
        maxY = Math.max(maxY, p[i + 1]);
      }
    }
    if (!(minX < maxX && minY < maxY)) return;
    const ox = Math.floor(minX), oy = Math.floor(minY);
    const w = Math.ceil(maxX) - ox + 1;
    const h = Math.ceil(maxY) - oy + 1;
    const stride = w + 2; // room for the area spilling one cell right of the last pixel
    const acc = new Float64Array(stride * h); // [h, w + 2] signed area per cell
    for (const p of polys) {
      const n = p.length / 2;
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        accumulateLine(acc, stride, h, p[2 * i] - ox, p[2 * i + 1] - oy, p[2 * j] - ox, p[2 * j + 1] - oy);
      }
    }
    for (let y = 0; y < h; y++) {
      let sum = 0;
      for (let x = 0; x < w; x++) {
        sum += acc[y * stride + x];
        const a = Math.min(1, Math.abs(sum)) * opacity;
        if (a > 1 / 512) this.blend(ox + x, oy + y, c, a);
      }
    }
  }
}

/** Add the signed area of edge (x0, y0) -> (x1, y1) (local pixel units, x >= 0) to the accumulation buffer. */
function accumulateLine(acc: Float64Array, stride: number, h: number, x0: number, y0: number, x1: number, y1: number): void {
  if (y0 === y1) return;
  let dir = 1;
  if (y0 > y1) {
    dir = -1;
    [x0, y0, x1, y1] = [x1, y1, x0, y0];
  }
  const dxdy = (x1 - x0) / (y1 - y0);
  let x = x0;
  if (y0 < 0) x -= y0 * dxdy;
  const yEnd = Math.min(h, Math.ceil(y1));
  for (let y = Math.max(0, Math.floor(y0)); y < yEnd; y++) {
    const line = y * stride;
    const dy = Math.min(y + 1, y1) - Math.max(y, y0);
    const xnext = x + dxdy * dy;
    const d = dy * dir;
    const xa = Math.min(x, xnext), xb = Math.max(x, xnext);
    const xaFloor = Math.floor(xa);
    const xai = xaFloor;
    const xbCeil = Math.ceil(xb);
    const xbi = xbCeil;
    if (xbi <= xai + 1) {
      // The edge stays within one pixel column on this row.
      const xmf = 0.5 * (x + xnext) - xaFloor;
      acc[line + xai] += d - d * xmf;
      acc[line + xai + 1] += d * xmf;
    } else {
      const s = 1 / (xb - xa);
      const x0f = xa - xaFloor;
      const a0 = 0.5 * s * (1 - x0f) * (1 - x0f);
      const x1f = xb - xbCeil + 1;
      const am = 0.5 * s * x1f * x1f;
      acc[line + xai] += d * a0;
      if (xbi === xai + 2) {
        acc[line + xai + 1] += d * (1 - a0 - am);
      } else {
        const a1 = s * (1.5 - x0f);
        acc[line + xai + 1] += d * (a1 - a0);
        for (let xi = xai + 2; xi < xbi - 1; xi++) acc[line + xi] += d * s;
        const a2 = a1 + (xbi - xai - 3) * s;
        acc[line + xbi - 1] += d * (1 - a2 - am);
      }
      acc[line + xbi] += d * am;
    }
    x = xnext;
  }
}
