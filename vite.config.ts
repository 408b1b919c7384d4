import { defineConfig } from 'vite';

/**
 * The lab is a static page. `npm start` runs the dev server (it prints the URL); `vite build`
 * writes dist/. webgpu (Dawn) and gpu.js's Node parts are Node-only and must never reach the
 * browser bundle: importing them from browser code fails the build loudly.
 */
const NODE_ONLY = ['webgpu'];

export default defineConfig({
  base: './',
  server: { port: 5173, strictPort: false, host: '127.0.0.1' },
  preview: { port: 4173, strictPort: false, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  plugins: [
    {
      name: 'rnnlab-no-node-only-packages',
      enforce: 'pre',
      resolveId(id, importer) {
        if (importer && !importer.includes('/src/node/') && !importer.includes('/src/cli/') && NODE_ONLY.includes(id)) {
          throw new Error(`${id} is Node-only (Dawn) and must not be imported by browser code (imported by ${importer})`);
        }
        return null;
      },
    },
  ],
});
