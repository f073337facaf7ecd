import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** Files up to this size (4 MB) are hashed in one read. */
const STREAM_ABOVE = 1 << 22;

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a value's canonical JSON. */
export function sha256Json(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** SHA-256 of a file: read whole when small, streamed when large. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  // A stream allocates a 4 MB buffer per file, which dominates for the many small files of an image pool.
  if ((await stat(file)).size <= STREAM_ABOVE) return hash.update(await readFile(file)).digest('hex');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
