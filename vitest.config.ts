import { defineConfig } from 'vitest/config';
import { ensureVulkanDriver } from './src/node/vulkan.ts';

ensureVulkanDriver();

export default defineConfig({
  // Tests may use the lab's test hooks (src/test-hooks-flag.d.ts).
  define: { __LAB_TEST_HOOKS__: 'true' },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: process.env.VK_ICD_FILENAMES ? { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES } : {},
  },
});
