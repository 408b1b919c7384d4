/**
 * True only in builds made for tests: the e2e harness builds the lab with `vite build --mode e2e`
 * (vite.config.ts defines it from the mode) and vitest defines it (vitest.config.ts). Code under
 * `if (__LAB_TEST_HOOKS__)` is dropped from the production bundle.
 */
declare const __LAB_TEST_HOOKS__: boolean;
