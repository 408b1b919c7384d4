/**
 * Line-and-point charts as a scene (the slice chart, the eigenvalue plot): rectangles, dashed
 * polylines, filled polygons, circles and labels with positions in CSS px (scale 1). One
 * rasteriser (PNG, through raster.ts's exact-area polygon fill) and one SVG writer draw the same
 * scene, as the heatmap's do (figure.ts, heatmap.ts), so the two files show the same figure.
 * Strokes are drawn as polygons: each segment a quad of the stroke's width (non-zero winding,
 * coverage clamped to 1, so joins overlap without darkening).
 */
import { encode } from 'fast-png';
import { rgbHex, type Rgb } from './colormap.ts';
import type { Box, Scale } from './figure.ts';
import { FIGURE_FONT_FAMILY, type FigureFont, type Polygon, type TextAngle } from './font.ts';
import { Raster } from './raster.ts';

export type ChartItem =
  | { kind: 'rect'; box: Box; fill: Rgb }
  /** A polyline through [x0, y0, x1, y1, ...]; dash = [on, off, ...] in CSS px (none: solid). */
  | { kind: 'line'; points: number[]; colour: Rgb; width: number; dash?: number[] }
  /** A filled polygon [x0, y0, ...] with an opacity in (0, 1]. */
  | { kind: 'polygon'; points: number[]; fill: Rgb; opacity: number }
  /** A circle: filled (fill) or outlined (stroke, width). */
  | { kind: 'circle'; cx: number; cy: number; r: number; fill?: Rgb; stroke?: Rgb; width?: number; opacity?: number }
  | { kind: 'text'; x: number; y: number; text: string; size: number; anchor: 'start' | 'middle' | 'end'; angle: TextAngle; colour: Rgb };

export interface ChartScene {
  /** Figure size in CSS px (scale 1). */
  width: number;
  height: number;
  scale: Scale;
  /** The plot area, CSS px. */
  plot: Box;
  /** The figure's title (SVG <title>, PNG tEXt). */
  title: string;
  items: ChartItem[];
}

/** Clip segment (x0, y0)-(x1, y1) to a box (Liang-Barsky); null when it lies outside. */
export function clipSegment(b: Box, x0: number, y0: number, x1: number, y1: number): [number, number, number, number] | null {
  let t0 = 0;
  let t1 = 1;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const edges: [number, number][] = [
    [-dx, x0 - b.x],
    [dx, b.x + b.w - x0],
    [-dy, y0 - b.y],
    [dy, b.y + b.h - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
      continue;
    }
    const r = q / p;
    if (p < 0) {
      if (r > t1) return null;
      t0 = Math.max(t0, r);
    } else {
      if (r < t0) return null;
      t1 = Math.min(t1, r);
    }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

/** Points [x, y, ...] of a polyline clipped to a box: the visible runs, each a polyline of its own. */
export function clipPolyline(b: Box, pts: number[]): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i + 3 < pts.length; i += 2) {
    const c = clipSegment(b, pts[i], pts[i + 1], pts[i + 2], pts[i + 3]);
    if (!c) {
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    const n = run.length;
    if (n > 0 && run[n - 2] === c[0] && run[n - 1] === c[1]) run.push(c[2], c[3]);
    else {
      if (n > 0) runs.push(run);
      run = [c[0], c[1], c[2], c[3]];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** The polyline split into its dashes (on/off lengths along the path, pattern restarting at the start). */
export function dashes(pts: number[], dash: number[]): number[][] {
  const out: number[][] = [];
  let di = 0;
  let left = dash[0];
  let on = true;
  let cur: number[] = [pts[0], pts[1]];
  for (let i = 0; i + 3 < pts.length; i += 2) {
    let x = pts[i];
    let y = pts[i + 1];
    const ex = pts[i + 2];
    const ey = pts[i + 3];
    let len = Math.hypot(ex - x, ey - y);
    while (len > left) {
      const f = left / len;
      x += (ex - x) * f;
      y += (ey - y) * f;
      len -= left;
      if (on) {
        cur.push(x, y);
        out.push(cur);
      }
      cur = [x, y];
      on = !on;
      di = (di + 1) % dash.length;
      left = dash[di];
    }
    left -= len;
    if (on) cur.push(ex, ey);
    else cur = [ex, ey];
  }
  if (on && cur.length >= 4) out.push(cur);
  return out;
}

/** A stroked polyline as polygons at pixel scale s: one quad per segment, a square cap-free join. */
export function strokePolygons(pts: number[], width: number, s: number): Polygon[] {
  const polys: Polygon[] = [];
  const h = (width * s) / 2;
  for (let i = 0; i + 3 < pts.length; i += 2) {
    const x0 = pts[i] * s, y0 = pts[i + 1] * s, x1 = pts[i + 2] * s, y1 = pts[i + 3] * s;
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len === 0) continue;
    // Extend each segment by half the width along itself so consecutive segments meet without a notch.
    const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    const ax = x0 - ux * h * 0.5, ay = y0 - uy * h * 0.5, bx = x1 + ux * h * 0.5, by = y1 + uy * h * 0.5;
    const nx = -uy * h, ny = ux * h;
    // Same orientation for every quad: overlaps add winding, never cancel it.
    polys.push([ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny]);
  }
  return polys;
}

/** A filled circle (centre and radius in CSS px) as a polygon at pixel scale s. */
export function circlePolygon(cx: number, cy: number, r: number, s: number): Polygon {
  const n = Math.max(16, Math.ceil(2 * Math.PI * r * s / 2));
  const p: Polygon = [];
  for (let i = 0; i < n; i++) p.push((cx + r * Math.cos((2 * Math.PI * i) / n)) * s, (cy + r * Math.sin((2 * Math.PI * i) / n)) * s);
  return p;
}

/** A ring (outline of a circle) as two opposite-wound polygons: non-zero winding leaves the inside empty. */
function ringPolygons(cx: number, cy: number, r: number, width: number, s: number): Polygon[] {
  const outer = circlePolygon(cx, cy, r + width / 2, s);
  const inner = circlePolygon(cx, cy, Math.max(0, r - width / 2), s);
  const rev: Polygon = [];
  for (let i = inner.length - 2; i >= 0; i -= 2) rev.push(inner[i], inner[i + 1]);
  return [outer, rev];
}

/** Draw the chart into an RGBA raster at its scale. */
export function rasteriseChart(scene: ChartScene, font: FigureFont): Raster {
  const s = scene.scale;
  const r = new Raster(scene.width * s, scene.height * s);
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect': {
        const b = item.box;
        const x0 = Math.round(b.x * s), y0 = Math.round(b.y * s);
        r.fillRect(x0, y0, Math.max(Math.round((b.x + b.w) * s), x0 + 1), Math.max(Math.round((b.y + b.h) * s), y0 + 1), item.fill);
        break;
      }
      case 'line': {
        const parts = item.dash ? dashes(item.points, item.dash) : [item.points];
        for (const p of parts) r.fillPolygons(strokePolygons(p, item.width, s), item.colour);
        break;
      }
      case 'polygon': {
        r.fillPolygons([item.points.map((v) => v * s)], item.fill, item.opacity);
        break;
      }
      case 'circle':
        if (item.fill) r.fillPolygons([circlePolygon(item.cx, item.cy, item.r, s)], item.fill, item.opacity ?? 1);
        if (item.stroke) r.fillPolygons(ringPolygons(item.cx, item.cy, item.r, item.width ?? 1, s), item.stroke, item.opacity ?? 1);
        break;
      case 'text':
        r.fillPolygons(font.outline(item.text, item.size * s, item.x * s, item.y * s, item.anchor, item.angle), item.colour);
        break;
    }
  }
  return r;
}

/** The chart as PNG bytes (8-bit RGBA). */
export function chartPng(scene: ChartScene, font: FigureFont): Uint8Array {
  const raster = rasteriseChart(scene, font);
  return encode({
    width: raster.width,
    height: raster.height,
    data: raster.data,
    channels: 4,
    depth: 8,
    // PNG tEXt chunks are Latin-1.
    text: { Software: 'RNN Gradient Lab', Title: scene.title.replace(/[^\x20-\x7e]/g, '?') },
  });
}

/** Text escaped for SVG/XML content and attributes. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers in SVG attributes: at most 2 decimals. */
export function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function pointList(pts: number[]): string {
  const out: string[] = [];
  for (let i = 0; i + 1 < pts.length; i += 2) out.push(`${n(pts[i])},${n(pts[i + 1])}`);
  return out.join(' ');
}

/** The chart as an SVG document (UTF-8 text). */
export function chartSvg(scene: ChartScene): string {
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">\n`,
    `<title>${esc(scene.title)}</title>\n`,
    `<rect width="100%" height="100%" fill="#ffffff"/>\n`,
    `<g font-family="${esc(FIGURE_FONT_FAMILY)}">\n`,
  ];
  for (const item of scene.items) {
    switch (item.kind) {
      case 'rect': {
        const b = item.box;
        out.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" fill="${rgbHex(item.fill)}"/>\n`);
        break;
      }
      case 'line': {
        const dash = item.dash ? ` stroke-dasharray="${item.dash.join(' ')}"` : '';
        out.push(`<polyline class="series" points="${pointList(item.points)}" fill="none" stroke="${rgbHex(item.colour)}" stroke-width="${n(item.width)}"${dash} stroke-linejoin="round"/>\n`);
        break;
      }
      case 'polygon':
        out.push(`<polygon points="${pointList(item.points)}" fill="${rgbHex(item.fill)}" fill-opacity="${n(item.opacity)}"/>\n`);
        break;
      case 'circle': {
        const fill = item.fill ? `fill="${rgbHex(item.fill)}"` : 'fill="none"';
        const stroke = item.stroke ? ` stroke="${rgbHex(item.stroke)}" stroke-width="${n(item.width ?? 1)}"` : '';
        const op = item.opacity !== undefined && item.opacity < 1 ? ` opacity="${n(item.opacity)}"` : '';
        out.push(`<circle cx="${n(item.cx)}" cy="${n(item.cy)}" r="${n(item.r)}" ${fill}${stroke}${op}/>\n`);
        break;
      }
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
