import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

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
  // Test hooks (src/app/test-hooks.ts) only in a build the tests ask for: `vite build --mode e2e`
  // (or e2e-offline: the same with the service worker, for tests/e2e/offline.test.ts).
  define: { __LAB_TEST_HOOKS__: JSON.stringify(mode === 'e2e' || mode === 'e2e-offline') },
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
    /**
     * Offline in a lecture hall: a service worker (Workbox, generated at build time) precaches
     * the built app, its workers, the figure font, the icons and the manifest, so that after one
     * visit the lab opens and computes with no network. A new build replaces the old cache on
     * the next visit (autoUpdate). The manifest and icons are public/'s own files (kept by URL),
     * so the plugin writes none. Not in the dev server (devOptions off): a service worker there
     * would serve stale modules, nor in the e2e tests' build (generating the worker costs about
     * 12 s a build); tests/e2e/offline.test.ts builds with it (mode e2e-offline) and checks it.
     */
    VitePWA({
      disable: mode === 'e2e',
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      manifest: false,
      workbox: {
        globPatterns: ['**/*.{html,js,css,wasm,woff,woff2,svg,png,webmanifest}'],
        // The gpu.js and three.js chunks exceed Workbox's 2 MiB default; the whole app is about 4 MB.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
      },
    }),
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
