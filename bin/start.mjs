#!/usr/bin/env node
// `npm start`: the Vite dev server in this process, so stopping it stops everything.
// npm runs scripts through sh, and sh does not pass a signal on to its child: killing npm by
// its PID used to leave a `vite` process serving on. Here SIGINT, SIGTERM and SIGHUP close the
// server, and so does the parent going away (sh killed: this process is re-parented).
import { createServer } from 'vite';

const server = await createServer({ server: { open: false } });
await server.listen();
server.printUrls();
server.bindCLIShortcuts({ print: true });

let closing = false;
async function stop() {
  if (closing) return;
  closing = true;
  // close() can wait on a dependency optimisation in flight: give it 2 s, then leave anyway.
  const timeout = new Promise((resolve) => setTimeout(resolve, 2000).unref());
  try {
    await Promise.race([server.close(), timeout]);
  } finally {
    process.exit(0);
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop());
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop();
}, 250).unref();
