/**
 * The one heatmap renderer shared by the lab and the CLI: a field and a grid name in, a PNG
 * (pure-TS raster, same bytes everywhere) or an SVG (vector text and axes; the cells as rects
 * for small grids, else one embedded PNG with a pixel per cell) out.
 */
import { encode } from 'fast-png';
import { STATISTICS, type GradientField } from '../core/field.ts';
import { colourTable, HATCH_BACK, HATCH_LINE, HATCH_PERIOD, HATCH_WIDTH, isHatchLine, lutIndex, rgbHex, type Rgb } from './colormap.ts';
import { buildHeatmapScene, cellColour, type Box, type HeatmapOptions, type HeatmapScene } from './figure.ts';
import { FIGURE_FONT_FAMILY, type FigureFont } from './font.ts';
import { Raster } from './raster.ts';

/** Pixel bounds of a CSS-px box at a scale: [x0, y0, x1, y1), edges rounded. */
function pixelBox(b: Box, s: number): [number, number, number, number] {
  return [Math.round(b.x * s), Math.round(b.y * s), Math.round((b.x + b.w) * s), Math.round((b.y + b.h) * s)];
}

/** The plot's pixel geometry at the scene's scale: which cell each pixel shows, and a pixel inside each cell. */
export function plotPixels(scene: HeatmapScene) {
  const [x0, y0, x1, y1] = pixelBox(scene.plot, scene.scale);
  const pw = x1 - x0;
  const ph = y1 - y0;
  const { K, T } = scene;
  return {
    x0,
    y0,
    width: pw,
    height: ph,
    /** Cell (k, j) drawn at plot pixel (px, py): nearest cell to the pixel centre; row 0 of pixels is rho_{K-1}. */
    cellAt(px: number, py: number): { k: number; j: number } {
      return { j: Math.floor(((px + 0.5) * T) / pw), k: K - 1 - Math.floor(((py + 0.5) * K) / ph) };
    },
    /** A figure pixel showing cell (k, j): the one nearest the cell's centre. */
    pixelOf(k: number, j: number): { x: number; y: number } {
      return { x: x0 + Math.floor(((j + 0.5) * pw) / T), y: y0 + Math.floor(((K - 1 - k + 0.5) * ph) / K) };
    },
  };
}

function fillHatch(r: Raster, x0: number, y0: number, x1: number, y1: number, s: number): void {
  for (let y = Math.max(0, y0); y < Math.min(r.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(r.width, x1); x++) {
      const c = isHatchLine(x, y, s) ? HATCH_LINE : HATCH_BACK;
      r.set(x, y, c[0], c[1], c[2]);
    }
  }
}

/** Draw the scene into an RGBA raster at its scale. */
export function rasteriseScene(scene: HeatmapScene, font: FigureFont): Raster {
  const s = scene.scale;
  const r = new Raster(scene.width * s, scene.height * s);
  const rgb = [0, 0, 0];
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect': {
        const [x0, y0, x1, y1] = pixelBox(item.box, s);
        r.fillRect(x0, y0, Math.max(x1, x0 + 1), Math.max(y1, y0 + 1), item.fill);
        break;
      }
      case 'hatch': {
        const [x0, y0, x1, y1] = pixelBox(item.box, s);
        fillHatch(r, x0, y0, x1, y1, s);
        break;
      }
      case 'cells': {
        const g = plotPixels(scene);
        for (let py = 0; py < g.height; py++) {
          for (let px = 0; px < g.width; px++) {
            const { k, j } = g.cellAt(px, py);
            const x = g.x0 + px;
            const y = g.y0 + py;
            if (cellColour(scene, k * scene.T + j, rgb)) r.set(x, y, rgb[0], rgb[1], rgb[2]);
            else {
              const c = isHatchLine(x, y, s) ? HATCH_LINE : HATCH_BACK;
              r.set(x, y, c[0], c[1], c[2]);
            }
          }
        }
        break;
      }
      case 'colorbar': {
        const [x0, y0, x1, y1] = pixelBox(item.box, s);
        const lut = colourTable(scene.colormap);
        for (let y = y0; y < y1; y++) {
          // Top row is the range maximum.
          const i = 3 * lutIndex(1 - (y - y0 + 0.5) / (y1 - y0));
          r.fillRect(x0, y, x1, y + 1, [lut[i], lut[i + 1], lut[i + 2]]);
        }
        break;
      }
      case 'dash': {
        const th = Math.max(1, Math.round(item.thickness * s));
        const y0 = Math.round(item.y * s - th / 2);
        const x1 = Math.round(item.x1 * s);
        for (let x = Math.round(item.x0 * s); x < x1; x += (item.on + item.off) * s) {
          r.fillRect(x, y0, Math.min(x1, x + item.on * s), y0 + th, item.colour);
        }
        break;
      }
      case 'text':
        r.fillPolygons(font.outline(item.text, item.size * s, item.x * s, item.y * s, item.anchor, item.angle), item.colour);
        break;
    }
  }
  return r;
}

export interface RenderedRaster {
  scene: HeatmapScene;
  raster: Raster;
}

/** The heatmap as RGBA pixels, with the scene that says where everything is. */
export function renderHeatmapRaster(field: GradientField, font: FigureFont, opts: HeatmapOptions): RenderedRaster {
  const scene = buildHeatmapScene(field, font, opts);
  return { scene, raster: rasteriseScene(scene, font) };
}

/** The heatmap as PNG bytes (8-bit RGBA). */
export function renderHeatmapPng(field: GradientField, font: FigureFont, opts: HeatmapOptions): Uint8Array {
  const { raster, scene } = renderHeatmapRaster(field, font, opts);
  // PNG tEXt chunks are Latin-1: the ASCII label, not the figure's pretty one.
  const title = (opts.difference?.label ?? STATISTICS[opts.grid].label).replace(/[^\x20-\x7e]/g, '?');
  return encode({
    width: raster.width,
    height: raster.height,
    data: raster.data,
    channels: 4,
    depth: 8,
    text: { Software: 'RNN Gradient Lab', Title: title, Comment: `${scene.K} x ${scene.T} cells, colour range ${scene.range.min}..${scene.range.max}` },
  });
}

// ---------------------------------------------------------------- SVG

/** Grids up to this many cells are written as one <rect> per cell; larger ones as an embedded PNG. */
export const SVG_RECT_LIMIT = 4096;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers in SVG attributes: at most 3 decimals, no trailing zeros. */
function n(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (RFC 4648) of bytes, without Node's Buffer so the browser can use it too. */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 3 * 4096;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    let s = '';
    for (let i = start; i < end; i += 3) {
      const a = bytes[i], b = i + 1 < end ? bytes[i + 1] : 0, c = i + 2 < end ? bytes[i + 2] : 0;
      s += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)];
      s += i + 1 < end ? B64[((b & 15) << 2) | (c >> 6)] : '=';
      s += i + 2 < end ? B64[c & 63] : '=';
    }
    parts.push(s);
  }
  return parts.join('');
}

/** The heatmap as an SVG document (UTF-8 text). */
export function renderHeatmapSvg(field: GradientField, font: FigureFont, opts: HeatmapOptions): string {
  const scene = buildHeatmapScene(field, font, opts);
  const { K, T, plot } = scene;
  const out: string[] = [];
  out.push(
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">\n`,
  );
  out.push(`<title>${esc(scene.colourBarLabel)}</title>\n`);
  const lut = colourTable(scene.colormap);
  const stops: string[] = [];
  for (let i = 0; i <= 32; i++) {
    const c = 3 * lutIndex(Math.min(i / 32, 1 - 1e-9));
    stops.push(`<stop offset="${n(i / 32)}" stop-color="${rgbHex([lut[c], lut[c + 1], lut[c + 2]])}"/>`);
  }
  out.push(
    `<defs>\n` +
      // The raster's stripes repeat every HATCH_PERIOD along x (and y), i.e. every HATCH_PERIOD / sqrt 2 across them.
      `<pattern id="overflow-hatch" patternUnits="userSpaceOnUse" width="${n(HATCH_PERIOD / Math.SQRT2)}" height="${HATCH_PERIOD}" patternTransform="rotate(45)">` +
      `<rect width="${HATCH_PERIOD}" height="${HATCH_PERIOD}" fill="${rgbHex(HATCH_BACK)}"/><rect width="${n(HATCH_WIDTH / Math.SQRT2)}" height="${HATCH_PERIOD}" fill="${rgbHex(HATCH_LINE)}"/></pattern>\n` +
      `<linearGradient id="colour-bar" x1="0" y1="1" x2="0" y2="0">${stops.join('')}</linearGradient>\n` +
      `</defs>\n`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>\n`);
  out.push(`<g font-family="${esc(FIGURE_FONT_FAMILY)}">\n`);
  const rgb = [0, 0, 0];
  const cw = plot.w / T;
  const ch = plot.h / K;
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect': {
        const b = item.box;
        out.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" fill="${rgbHex(item.fill)}"/>\n`);
        break;
      }
      case 'hatch': {
        const b = item.box;
        out.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" fill="url(#overflow-hatch)"/>\n`);
        break;
      }
      case 'cells': {
        out.push(`<g id="cells" shape-rendering="crispEdges">\n`);
        if (K * T <= SVG_RECT_LIMIT) {
          for (let k = 0; k < K; k++) {
            for (let j = 0; j < T; j++) {
              if (!cellColour(scene, k * T + j, rgb)) continue;
              // Cells overlap by a hair so no background line shows between them when scaled.
              out.push(
                `<rect x="${n(plot.x + j * cw)}" y="${n(plot.y + (K - 1 - k) * ch)}" width="${n(cw + 0.02)}" height="${n(ch + 0.02)}" fill="${rgbHex(rgb as unknown as Rgb)}"/>\n`,
              );
            }
          }
        } else {
          // One pixel per cell, [K rows top = rho_{K-1}, T columns], scaled up without smoothing.
          const img = new Uint8Array(K * T * 4);
          for (let k = 0; k < K; k++) {
            for (let j = 0; j < T; j++) {
              const o = 4 * ((K - 1 - k) * T + j);
              const c: Rgb = cellColour(scene, k * T + j, rgb) ? (rgb as unknown as Rgb) : HATCH_BACK;
              img[o] = c[0];
              img[o + 1] = c[1];
              img[o + 2] = c[2];
              img[o + 3] = 255;
            }
          }
          const png = encode({ width: T, height: K, data: img, channels: 4, depth: 8 });
          out.push(
            `<image x="${n(plot.x)}" y="${n(plot.y)}" width="${n(plot.w)}" height="${n(plot.h)}" preserveAspectRatio="none" ` +
              `style="image-rendering:pixelated;image-rendering:crisp-edges" xlink:href="data:image/png;base64,${base64(png)}"/>\n`,
          );
        }
        // Overflow cells: the hatch pattern over each horizontal run of them (a few rects per row).
        for (let k = 0; k < K; k++) {
          for (let j = 0; j < T; ) {
            if (!scene.overflow[k * T + j]) {
              j++;
              continue;
            }
            let e = j;
            while (e < T && scene.overflow[k * T + e]) e++;
            out.push(
              `<rect class="overflow" x="${n(plot.x + j * cw)}" y="${n(plot.y + (K - 1 - k) * ch)}" width="${n((e - j) * cw + 0.02)}" height="${n(ch + 0.02)}" fill="url(#overflow-hatch)"/>\n`,
            );
            j = e;
          }
        }
        out.push(`</g>\n`);
        break;
      }
      case 'colorbar': {
        const b = item.box;
        out.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" fill="url(#colour-bar)"/>\n`);
        break;
      }
      case 'dash':
        out.push(
          `<line x1="${n(item.x0)}" y1="${n(item.y)}" x2="${n(item.x1)}" y2="${n(item.y)}" stroke="${rgbHex(item.colour)}" stroke-width="${n(item.thickness)}" stroke-dasharray="${item.on} ${item.off}"/>\n`,
        );
        break;
      case 'text': {
        const anchor = item.anchor === 'start' ? '' : ` text-anchor="${item.anchor}"`;
        const rot = item.angle === 0 ? '' : ` transform="rotate(${item.angle} ${n(item.x)} ${n(item.y)})"`;
        out.push(`<text x="${n(item.x)}" y="${n(item.y)}" font-size="${item.size}"${anchor}${rot} fill="${rgbHex(item.colour)}">${esc(item.text)}</text>\n`);
        break;
      }
    }
  }
  out.push(`</g>\n</svg>\n`);
  return out.join('');
}
