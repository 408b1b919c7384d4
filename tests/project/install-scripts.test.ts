/**
 * npm 11 runs a dependency's install scripts only when package.json's allowScripts approves
 * them, and warns about every one it skipped: every installed package with an install script
 * is decided in allowScripts, so a fresh `npm ci` is complete and silent (README says what
 * each one does).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const MODULES = resolve(import.meta.dirname, '../../node_modules');
const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall'];

/** Every package folder under node_modules (scoped and nested ones included). */
function packages(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (name.startsWith('@')) out.push(...packages(p));
    else if (existsSync(join(p, 'package.json'))) {
      out.push(p);
      out.push(...packages(join(p, 'node_modules')));
    }
  }
  return out;
}

it('every installed package with an install script is decided in package.json allowScripts', () => {
  const withScripts = new Set<string>();
  for (const p of packages(MODULES)) {
    const meta = JSON.parse(readFileSync(join(p, 'package.json'), 'utf8')) as { name?: string; scripts?: Record<string, string> };
    if (meta.name && INSTALL_HOOKS.some((h) => meta.scripts?.[h])) withScripts.add(meta.name);
  }
  expect(withScripts.size).toBeGreaterThan(0);
  const decided = Object.keys((pkg as { allowScripts?: Record<string, boolean> }).allowScripts ?? {}).map((k) => k.replace(/(.)@.*$/, '$1'));
  expect([...withScripts].filter((n) => !decided.includes(n)).sort()).toEqual([]);
});
