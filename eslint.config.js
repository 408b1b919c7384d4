import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Modules the pure math core must never import: no DOM/UI, no GPU, no three.js, no engines. */
const CORE_FORBIDDEN = [
  { group: ['lit', 'lit/*', '@lit/*'], message: 'src/core is pure math: no Lit.' },
  { group: ['three', 'three/*'], message: 'src/core is pure math: no three.js.' },
  { group: ['webgpu', 'gpu.js'], message: 'src/core is pure math: no GPU packages.' },
  { group: ['node:*', 'fs', 'path', 'worker_threads'], message: 'src/core runs in the browser and Node alike: no Node built-ins.' },
  { group: ['**/engine/**', '**/ui/**', '**/cli/**', '**/export/**'], message: 'src/core imports nothing of the other layers.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'artifacts/**', 'bench/results/**', 'public/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'All randomness goes through the seeded Rng (src/core/rng.ts).' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: {
      'no-restricted-imports': ['error', { patterns: CORE_FORBIDDEN }],
      // No DOM or GPU globals in the core either.
      'no-restricted-globals': ['error', 'document', 'window', 'navigator', 'HTMLElement', 'GPUBufferUsage', 'GPUMapMode', 'GPUShaderStage', 'requestAnimationFrame', 'localStorage', 'location'],
    },
  },
  {
    // Figures and data files are made in the browser and in the CLI from the same code.
    files: ['src/export/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', 'fs', 'path', 'worker_threads', 'child_process'], message: 'src/export runs in the browser too: bytes in, bytes out; no Node built-ins.' },
        { group: ['lit', 'lit/*', 'three', 'three/*', '**/ui/**', '**/cli/**', '**/engine/**'], message: 'src/export depends only on core.' },
      ] }],
    },
  },
  {
    // The page's components: state in, events out. They reach engines only through src/app.
    files: ['src/ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/engine/**', 'webgpu', 'gpu.js'], message: 'src/ui never imports an engine directly: go through src/app (which owns the engines and the backend policy).' },
        { group: ['**/node/**', '**/cli/**', 'node:*'], message: 'src/ui runs in the browser: no Node code.' },
      ] }],
    },
  },
  {
    // The app layer (store, backends, workers, downloads) is plain TypeScript under the components.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/ui/**', 'lit', 'lit/*', '@lit/*', 'three', 'three/*'], message: 'src/app never imports src/ui (or its Lit and three.js): components receive state from app, not the other way round.' },
        { group: ['**/node/**', '**/cli/**', 'node:*'], message: 'src/app runs in the browser: no Node code.' },
      ] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['lit', 'lit/*', 'three', 'three/*', '**/ui/**', '**/cli/**'], message: 'engines import only core (and GPU packages).' },
      ] }],
    },
  },
);
