/**
 * The figure font in the browser: Vite serves the @fontsource file and this fetches it once.
 * (Node reads the same file from disk: src/cli/font.ts. Node's loader hook supports `?raw`
 * only, so Node code must not import this module.)
 */
import fontUrl from '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff?url';
import { FigureFont, FontError } from './font.ts';

let pending: Promise<FigureFont> | null = null;

export function fetchFigureFont(): Promise<FigureFont> {
  pending ??= fetch(fontUrl)
    .then((r) => {
      if (!r.ok) throw new FontError(`the figure font did not load (${r.status} ${r.statusText} for ${fontUrl}); reload the page`);
      return r.arrayBuffer();
    })
    .then((bytes) => FigureFont.parse(bytes))
    .catch((e: unknown) => {
      pending = null; // let a later export try again
      throw e;
    });
  return pending;
}
