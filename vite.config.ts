import { defineConfig } from 'vite';

/**
 * The lab is a static page. `npm start` runs the dev server (it prints the URL); `vite build`
 * writes dist/. webgpu (Dawn) and gpu.js's Node parts are Node-only and must never reach the
 * browser bundle: importing them from browser code fails the build loudly.
 */
const NODE_ONLY = ['webgpu'];

/**
 * Every npm module the browser code imports, pre-bundled when the dev server starts. Vite's
 * scan of index.html does not see imports inside workers (the CPU engine, the export and
 * bundle workers) nor always those behind dynamic import(); meeting one later makes the dev
 * server re-optimise and reload the page, and the user loses what they were doing (the first
 * export's download). tests/e2e/dev-server.test.ts checks this on a cold cache;
 * tests/app/vite-deps.test.ts that the list covers every import.
 */
export const BROWSER_DEPS = [
  'd3-scale-chromatic',
  'fast-png',
  'fflate',
  'gpu.js',
  'lit',
  'lit/decorators.js',
  'ml-matrix',
  'opentype.js/dist/opentype.mjs',
  'three',
  'three/examples/jsm/controls/OrbitControls.js',
  'three/examples/jsm/renderers/CSS2DRenderer.js',
  'zod',
];

export default defineConfig(({ mode }) => ({
  base: './',
  // Test hooks (src/app/test-hooks.ts) only in a build the tests ask for: `vite build --mode e2e`.
  define: { __LAB_TEST_HOOKS__: JSON.stringify(mode === 'e2e') },
  server: { port: 5173, strictPort: false, host: '127.0.0.1' },
  preview: { port: 4173, strictPort: false, host: '127.0.0.1' },
  worker: { format: 'es' },
  optimizeDeps: { include: BROWSER_DEPS },
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
}));
