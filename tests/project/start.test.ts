/**
 * `npm start` as a person uses it: stopping it with Ctrl-C (SIGINT to its process group) or by
 * the PID of npm (SIGTERM) leaves no dev-server process behind. npm runs the script through
 * sh, and sh does not pass a signal on to its child: the server must notice on its own.
 * Linux only (process tree from /proc).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const linux = existsSync('/proc/self/stat');

/** Every live process whose ancestry reaches pid. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const p of parent.keys()) {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        out.push(p);
        break;
      }
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Start `npm start` in its own process group; resolve once the server printed its URL. */
async function startLab(): Promise<{ npm: number; tree: number[] }> {
  const child = spawn('npm', ['start'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`npm start printed no URL in 60 s:\n${text}`)), 60_000);
    const look = (b: Buffer) => {
      text += b.toString();
      // Vite colours its output when CI is set (picocolors), so match on the text without ANSI codes.
      if (/Local:\s+http/.test(stripVTControlCharacters(text))) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
  });
  const tree = descendants(child.pid!);
  expect(tree.length).toBeGreaterThan(0);
  return { npm: child.pid!, tree };
}

/** The processes still alive after up to 15 s, each with its command line (to say what was left). */
async function gone(pids: number[]): Promise<string[]> {
  for (let i = 0; i < 75; i++) {
    if (pids.every((p) => !alive(p))) return [];
    await new Promise((r) => setTimeout(r, 200));
  }
  const cmd = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      return '?';
    }
  };
  return pids.filter(alive).map((p) => `${p} ${cmd(p)}`);
}

describe.runIf(linux)('npm start stops cleanly', () => {
  it('SIGTERM to npm (kill <pid>) leaves no dev-server process', async () => {
    const { npm, tree } = await startLab();
    process.kill(npm, 'SIGTERM');
    const left = await gone([npm, ...tree]);
    for (const p of left) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    expect(left).toEqual([]);
  }, 90_000);

  it('Ctrl-C (SIGINT to the process group) leaves no dev-server process', async () => {
    const { npm, tree } = await startLab();
    process.kill(-npm, 'SIGINT');
    const left = await gone([npm, ...tree]);
    for (const p of left) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    expect(left).toEqual([]);
  }, 90_000);
});
