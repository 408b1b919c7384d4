import { defineConfig } from 'vitest/config';
import { ensureVulkanDriver } from './src/node/vulkan.ts';

ensureVulkanDriver();

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: process.env.VK_ICD_FILENAMES ? { VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES } : {},
  },
});
