/**
 * Draws the lab's app icons into public/ (run once: `node --import ./src/node/register.mjs
 * scripts/make-icons.ts`; the PNGs are committed). The picture is the lab's own: the linear
 * theory's field log10 ||dL/dh_t|| = (T - t) log10 rho over (t, rho), rho from 0.5 to 1.5, in the
 * heatmap's colour map (viridis), the slice at rho = 1 drawn white. Full-bleed squares, so the
 * same files serve as maskable icons (the platform's mask crops the corners).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';
import { colourTable, lutIndex } from '../src/export/colormap.ts';

const OUT = resolve(import.meta.dirname, '..', 'public');
const lut = colourTable('viridis');
const T = 100;
// The field's range over the picture: (T - 1) log10(0.5) .. (T - 1) log10(1.5).
const lo = (T - 1) * Math.log10(0.5);
const hi = (T - 1) * Math.log10(1.5);

for (const size of [192, 512]) {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const rho = 1.5 - (y / (size - 1)); // top: rho = 1.5
    for (let x = 0; x < size; x++) {
      const t = 1 + (x / (size - 1)) * (T - 1);
      const v = (T - t) * Math.log10(rho);
      const i = 3 * lutIndex((v - lo) / (hi - lo));
      const o = 3 * (y * size + x);
      const onSlice = Math.abs(rho - 1) < 0.012;
      data[o] = onSlice ? 255 : lut[i];
      data[o + 1] = onSlice ? 255 : lut[i + 1];
      data[o + 2] = onSlice ? 255 : lut[i + 2];
    }
  }
  writeFileSync(join(OUT, `icon-${size}.png`), encode({ width: size, height: size, data, channels: 3, depth: 8 }));
  console.log(`public/icon-${size}.png`);
}
