import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Keeps a picture a test made for people to look at: the test writes it
 * under its own temporary folder (removed after the run); with
 * CIFAR101_SCREENSHOTS=DIR it is also copied to DIR/<name>, and the path printed.
 */
export async function keepScreenshot(file: string, name = path.basename(file)): Promise<void> {
  const dir = process.env.CIFAR101_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  const kept = path.join(path.resolve(dir), name);
  await copyFile(file, kept);
  console.log(`screenshot: ${kept}`);
}
