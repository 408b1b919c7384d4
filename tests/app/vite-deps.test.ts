/**
 * Every npm module that browser code imports is in vite.config.ts's pre-bundle list, so a cold
 * dev server never meets one late and reloads the page (tests/e2e/dev-server.test.ts shows the
 * reload itself). Browser code: src/ without the Node-only folders (src/node, src/cli).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { BROWSER_DEPS } from '../../vite.config.ts';

const SRC = resolve(import.meta.dirname, '../../src');
const NODE_ONLY_DIRS = new Set(['node', 'cli']);

function browserFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!(dir === SRC && NODE_ONLY_DIRS.has(name))) out.push(...browserFiles(p));
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.includes('-node')) out.push(p);
  }
  return out;
}

it('every bare module imported by browser code is pre-bundled by the dev server', () => {
  const imported = new Set<string>();
  for (const f of browserFiles(SRC)) {
    const text = readFileSync(f, 'utf8');
    // Static value imports (`import type` is erased) and dynamic import('…') of a bare name.
    for (const m of text.matchAll(/^import (?!type )[^;]*? from '([^'.][^']*)'/gm)) imported.add(m[1]);
    for (const m of text.matchAll(/import\('([^'.][^']*)'\)/g)) imported.add(m[1]);
  }
  const modules = [...imported].filter((m) => !m.startsWith('node:') && !m.includes('?'));
  expect(modules.length).toBeGreaterThan(5);
  expect(modules.filter((m) => !BROWSER_DEPS.includes(m)).sort()).toEqual([]);
});
