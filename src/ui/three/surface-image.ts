/**
 * The 3D surface as a PNG-ready canvas of a chosen size: a title strip on top, the scene
 * rendered at the rest of the size (SurfaceScene.renderImage, the same camera as on screen),
 * its axis labels drawn in 2D where the DOM labels sit, a colour bar with ticks on the right and
 * a legend (rho = 1 line, current slice, overflow) at the bottom left.
 *
 * Sizes scale with the image height: text is as large relative to the picture as on a view
 * about IMAGE_REFERENCE_HEIGHT pixels tall.
 */
import { colourTable, flaggedShort, lutIndex, OVERFLOW_SOLID, rangePosition, rgbCss } from '../../export/colormap.ts';
import { labelledTicks } from '../../export/ticks.ts';
import type { SurfaceData, SurfaceScene } from './surface-scene.ts';

const IMAGE_REFERENCE_HEIGHT = 520;
const RHO_ONE = '#ff8c1a';

export interface SurfaceImageOptions {
  width: number;
  height: number;
  /** Title line, e.g. the config and the field shown. */
  title: string;
  /** CSS font family of the labels. */
  font: string;
  /** The slider's rho, named in the legend. */
  sliceRho: number | null;
}

export function composeSurfaceImage(scene: SurfaceScene, data: SurfaceData, o: SurfaceImageOptions): HTMLCanvasElement {
  const f = o.height / IMAGE_REFERENCE_HEIGHT;
  const titleH = Math.round(30 * f);
  const legendH = Math.round(24 * f);
  const barW = Math.round(74 * f);
  const sceneW = o.width - barW;
  const sceneH = o.height - titleH - legendH;
  if (sceneW < 64 || sceneH < 64) throw new Error(`${o.width} x ${o.height} pixels is too small for the 3D view`);
  const { image, labels, dark } = scene.renderImage(sceneW, sceneH);
  const fg = dark ? '#d6dae0' : '#333a44';
  const muted = dark ? '#9aa3ad' : '#5b6570';
  const bg = dark ? '#15181d' : '#ffffff';

  const out = document.createElement('canvas');
  out.width = o.width;
  out.height = o.height;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('the browser gave no 2D canvas to compose the image');
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, o.width, o.height);
  ctx.drawImage(image, 0, titleH);
  const font = (px: number, weight = 400) => `${weight} ${(px * f).toFixed(1)}px ${o.font}`;

  // Axis labels where the page's DOM labels sit (centred on their anchor, as CSS2DRenderer does),
  // with a halo in the background colour so they read over the surface.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineJoin = 'round';
  for (const l of labels) {
    const title = l.cls.includes('title');
    ctx.font = l.cls.includes('axis-rho') ? font(15) : title ? font(11, 600) : font(11);
    ctx.fillStyle = l.cls.includes('rho1') ? RHO_ONE : title && !l.cls.includes('axis-rho') ? muted : fg;
    ctx.strokeStyle = bg;
    ctx.lineWidth = 3 * f;
    ctx.strokeText(l.text, l.x, l.y + titleH);
    ctx.fillText(l.text, l.x, l.y + titleH);
  }

  // Title.
  ctx.textAlign = 'left';
  ctx.fillStyle = fg;
  ctx.font = font(14, 600);
  ctx.fillText(o.title, 12 * f, titleH / 2 + 2 * f, o.width - 24 * f);

  // Colour bar: the value range bottom to top, ticks in the field's units.
  const r = data.range;
  const l = colourTable(data.colormap);
  const x0 = sceneW + 8 * f;
  const y0 = titleH + 18 * f;
  const y1 = titleH + sceneH - 18 * f;
  const w = 14 * f;
  for (let y = Math.floor(y0); y < y1; y++) {
    const i = 3 * lutIndex((y1 - y - 0.5) / (y1 - y0));
    ctx.fillStyle = `rgb(${l[i]}, ${l[i + 1]}, ${l[i + 2]})`;
    ctx.fillRect(x0, y, w, 1);
  }
  ctx.strokeStyle = fg;
  ctx.lineWidth = Math.max(1, 0.75 * f);
  ctx.strokeRect(x0, y0, w, y1 - y0);
  ctx.font = font(11);
  ctx.fillStyle = fg;
  ctx.textBaseline = 'middle';
  for (const v of labelledTicks(r.min, r.max, 4)) {
    const y = y1 - rangePosition(v.value, r) * (y1 - y0);
    ctx.fillRect(x0 + w, y - ctx.lineWidth / 2, 4 * f, ctx.lineWidth);
    ctx.fillText(v.label, x0 + w + 6 * f, y);
  }

  // Legend.
  let x = 12 * f;
  const y = o.height - legendH / 2;
  const item = (colour: string, text: string) => {
    ctx.fillStyle = colour;
    ctx.fillRect(x, y - 1.5 * f, 18 * f, 3 * f);
    x += 24 * f;
    ctx.fillStyle = fg;
    ctx.fillText(text, x, y);
    x += ctx.measureText(text).width + 18 * f;
  };
  ctx.font = font(11);
  if (data.rho[0] <= 1 && data.rho[data.K - 1] >= 1) item(RHO_ONE, 'ρ = 1');
  if (o.sliceRho !== null) item(dark ? '#ffffff' : '#000000', `slice at ρ = ${Number(o.sliceRho.toPrecision(4))}`);
  if (data.counts.overflow > 0) item(rgbCss(OVERFLOW_SOLID), `${flaggedShort(data.counts)}, drawn on top`);
  if (data.counts.negativeInfinity > 0) item(muted, 'exact zeros (−∞ in log10) at the bottom of the range');
  return out;
}
