#!/usr/bin/env node
// The rnnlab command: runs the TypeScript sources directly (tsx), with `?raw` imports as in Vite.
import '../src/node/register.mjs';

const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// A Dawn device can keep the process alive: exit explicitly once the work is done.
process.exit(code);
