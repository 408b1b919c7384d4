/** The figure font for tests: the @fontsource/dejavu-sans file beside its (exported) LICENSE. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIGURE_FONT_FILE, FIGURE_FONT_PACKAGE, FigureFont } from '../../src/export/font.ts';

let cached: FigureFont | null = null;

export function testFont(): FigureFont {
  if (!cached) {
    const dir = dirname(createRequire(import.meta.url).resolve(`${FIGURE_FONT_PACKAGE}/LICENSE`));
    cached = FigureFont.parse(readFileSync(join(dir, FIGURE_FONT_FILE)));
  }
  return cached;
}
