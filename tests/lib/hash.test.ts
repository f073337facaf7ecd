import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../lib/hash';
import { tempDir } from '../helpers/build';

describe('sha256File', () => {
  it('hashes small files (read whole) and large ones (streamed) alike', async () => {
    const dir = await tempDir('hash');
    for (const size of [0, 1000, (1 << 22) + 1, 9_000_000]) {
      const bytes = Buffer.alloc(size).map((_, i) => (i * 31 + (i >> 12)) & 255);
      const file = path.join(dir, `f${size}`);
      await writeFile(file, bytes);
      expect(await sha256File(file), String(size)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
