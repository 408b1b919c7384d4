/**
 * Dawn in Node needs a Vulkan driver. On a machine without a GPU, point the Vulkan loader at
 * the SwiftShader driver the `chromium` package ships; where a GPU device node exists (a real
 * card with its own driver) or VK_ICD_FILENAMES is already set, leave the choice alone.
 */
import { existsSync, readdirSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasGpuDevice(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** Set VK_ICD_FILENAMES to SwiftShader when no GPU is there. Returns what it decided, in words. */
export function ensureVulkanDriver(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VK_ICD_FILENAMES) return `VK_ICD_FILENAMES already set (${env.VK_ICD_FILENAMES})`;
  if (hasGpuDevice()) return 'a GPU device is present: using its Vulkan driver';
  if (existsSync(SWIFTSHADER_ICD)) {
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return `no GPU device: using SwiftShader (${SWIFTSHADER_ICD})`;
  }
  return 'no GPU device and no SwiftShader driver found (install the chromium package)';
}
