/**
 * The figure's typeface, read from font bytes (DejaVu Sans, the typeface matplotlib figures use),
 * turned into outlines by opentype.js and laid out here glyph by glyph (no shaping: the labels
 * are short Latin/Greek strings). The same outlines feed the pure-TS rasteriser in raster.ts, so
 * a PNG has the same pixels in the browser and in Node.
 */
import { parse, type Font, type Glyph, type PathCommand } from 'opentype.js/dist/opentype.mjs';

/**
 * Where the font bytes live: resolve against the @fontsource/dejavu-sans package directory
 * (its `exports` map only serves CSS, so resolve `@fontsource/dejavu-sans/LICENSE` and take
 * this file beside it). Despite its name the file holds the whole DejaVu Sans, Greek included.
 */
export const FIGURE_FONT_PACKAGE = '@fontsource/dejavu-sans';
export const FIGURE_FONT_FILE = 'files/dejavu-sans-latin-400-normal.woff';
/** CSS font stack for SVG text: the same face first, then faces with near-identical metrics. */
export const FIGURE_FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif";

export class FontError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FontError';
  }
}

/** A polygon as flat [x0, y0, x1, y1, ...] pixel coordinates, implicitly closed. */
export type Polygon = number[];

/** Text direction: 0 reads left to right, -90 reads bottom to top (a vertical axis label). */
export type TextAngle = 0 | -90;

export class FigureFont {
  private readonly glyphs = new Map<string, Glyph>();

  private constructor(private readonly font: Font) {}

  /** Parse TTF, OTF or WOFF bytes. Throws FontError when they are not a font. */
  static parse(bytes: ArrayBuffer | Uint8Array): FigureFont {
    const buffer = bytes instanceof Uint8Array ? bytes.slice().buffer : bytes;
    try {
      return new FigureFont(parse(buffer));
    } catch (e) {
      throw new FontError(`the figure font could not be read (${(e as Error).message}); is ${FIGURE_FONT_PACKAGE} installed?`);
    }
  }

  private glyph(ch: string): Glyph {
    let g = this.glyphs.get(ch);
    if (!g) {
      g = this.font.charToGlyph(ch);
      this.glyphs.set(ch, g);
    }
    return g;
  }

  /** Whether the font draws `ch` (not the .notdef box). */
  hasGlyph(ch: string): boolean {
    return this.glyph(ch).index !== 0;
  }

  /** Advance width of `text` at `size` px. */
  measure(text: string, size: number): number {
    let w = 0;
    for (const ch of text) w += this.glyph(ch).advanceWidth ?? 0;
    return (w * size) / this.font.unitsPerEm;
  }

  /** Height above the baseline of capital letters and digits, about 0.73 em in DejaVu Sans. */
  capHeight(size: number): number {
    return 0.73 * size;
  }

  /**
   * Outlines of `text` at `size` px with its baseline origin at (x, y), after the anchor shift
   * (`start`, `middle`, `end` of the advance), flattened to polygons with segments under ~0.5 px.
   */
  outline(text: string, size: number, x: number, y: number, anchor: 'start' | 'middle' | 'end', angle: TextAngle): Polygon[] {
    const width = this.measure(text, size);
    let u = anchor === 'start' ? 0 : anchor === 'middle' ? -width / 2 : -width;
    const polys: Polygon[] = [];
    // Local (u along the baseline, v downward) to the page: unrotated (x + u, y + v);
    // rotated -90 degrees (reading upward) (x + v, y - u).
    const put = angle === 0 ? (p: Polygon, pu: number, pv: number) => p.push(x + pu, y + pv) : (p: Polygon, pu: number, pv: number) => p.push(x + pv, y - pu);
    for (const ch of text) {
      const g = this.glyph(ch);
      flatten(g.getPath(u, 0, size).commands, polys, put);
      u += ((g.advanceWidth ?? 0) * size) / this.font.unitsPerEm;
    }
    return polys;
  }
}

/** Euclidean distance with sqrt (correctly rounded everywhere, unlike Math.hypot), so every JS engine flattens alike. */
function dist(x0: number, y0: number, x1: number, y1: number): number {
  return Math.sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
}

/** Number of line segments for a curve whose control polygon is `len` px long (~0.5 px each, 1..24). */
function pieces(len: number): number {
  return Math.min(24, Math.max(1, Math.ceil(len * 2)));
}

function flatten(commands: PathCommand[], out: Polygon[], put: (p: Polygon, u: number, v: number) => void): void {
  let poly: Polygon = [];
  let cx = 0;
  let cy = 0;
  const close = () => {
    if (poly.length >= 6) out.push(poly);
    poly = [];
  };
  for (const c of commands) {
    switch (c.type) {
      case 'M':
        close();
        cx = c.x ?? 0;
        cy = c.y ?? 0;
        put(poly, cx, cy);
        break;
      case 'L':
        cx = c.x ?? 0;
        cy = c.y ?? 0;
        put(poly, cx, cy);
        break;
      case 'Q': {
        const x1 = c.x1 ?? 0, y1 = c.y1 ?? 0, x = c.x ?? 0, y = c.y ?? 0;
        const n = pieces(dist(cx, cy, x1, y1) + dist(x1, y1, x, y));
        for (let i = 1; i <= n; i++) {
          // B(s) = (1-s)^2 P0 + 2 s (1-s) P1 + s^2 P2
          const s = i / n, r = 1 - s;
          put(poly, r * r * cx + 2 * s * r * x1 + s * s * x, r * r * cy + 2 * s * r * y1 + s * s * y);
        }
        cx = x;
        cy = y;
        break;
      }
      case 'C': {
        const x1 = c.x1 ?? 0, y1 = c.y1 ?? 0, x2 = c.x2 ?? 0, y2 = c.y2 ?? 0, x = c.x ?? 0, y = c.y ?? 0;
        const n = pieces(dist(cx, cy, x1, y1) + dist(x1, y1, x2, y2) + dist(x2, y2, x, y));
        for (let i = 1; i <= n; i++) {
          // B(s) = (1-s)^3 P0 + 3 s (1-s)^2 P1 + 3 s^2 (1-s) P2 + s^3 P3
          const s = i / n, r = 1 - s;
          const a = r * r * r, b = 3 * s * r * r, d = 3 * s * s * r, e = s * s * s;
          put(poly, a * cx + b * x1 + d * x2 + e * x, a * cy + b * y1 + d * y2 + e * y);
        }
        cx = x;
        cy = y;
        break;
      }
      case 'Z':
        close();
        break;
    }
  }
  close();
}
