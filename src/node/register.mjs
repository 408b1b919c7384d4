// `node --import ./src/node/register.mjs x.ts`: TypeScript through tsx, and `?raw` imports as Vite has them.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./raw-loader.mjs', import.meta.url);
registerTsx();
