/** The figure font in Node: the @fontsource/dejavu-sans file, found beside the package's LICENSE. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIGURE_FONT_FILE, FIGURE_FONT_PACKAGE, FigureFont } from '../export/font.ts';

let cached: FigureFont | null = null;

export function loadFigureFont(): FigureFont {
  if (!cached) {
    // The package's `exports` map serves only CSS, so resolve its LICENSE and read the font beside it.
    const dir = dirname(createRequire(import.meta.url).resolve(`${FIGURE_FONT_PACKAGE}/LICENSE`));
    cached = FigureFont.parse(readFileSync(join(dir, FIGURE_FONT_FILE)));
  }
  return cached;
}
