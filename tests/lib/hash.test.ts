import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256, sha256File, sha256Json } from '../../lib/hash';
import { runPython } from '../helpers/python';
import { mulberry32 } from '../helpers/random';
import { useTempDir } from '../helpers/temp';

const tmp = useTempDir('hash');

// FIPS 180-2 test vectors.
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const TWO_BLOCKS = '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: 0, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,1,{"y":null,"z":0}]},"b":1}');
  });

  it('is the same text for the same value however its keys were inserted', () => {
    const a = { stage: 'sample', inputs: { seed: 1, sampling: { perClass: 200, method: 'balanced' } }, '10': 1, '9': 2 };
    const b = { '9': 2, inputs: { sampling: { method: 'balanced', perClass: 200 }, seed: 1 }, '10': 1, stage: 'sample' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('matches Python json.dumps(sort_keys=True) on string-keyed values', () => {
    const value = { zeta: [1, 2, { b: true, a: false }], alpha: 'é ü', Mid: { _x: null, X: -3 }, empty: {}, list: [] };
    const python = runPython(
      `import json, sys\nsys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(',', ':'), ensure_ascii=False))`,
      JSON.stringify(value),
    );
    expect(canonicalJson(value)).toBe(python);
  });

  it('leaves out undefined fields, as JSON does, so { x, y: undefined } equals { x }', () => {
    expect(canonicalJson({ x: 1, y: undefined })).toBe('{"x":1}');
  });
});

describe('sha256', () => {
  it('gives the standard digests of strings and bytes', () => {
    expect(sha256('')).toBe(EMPTY);
    expect(sha256('abc')).toBe(ABC);
    expect(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(TWO_BLOCKS);
    expect(sha256(Uint8Array.of(0x61, 0x62, 0x63))).toBe(ABC);
  });

  it('hashes a string as its UTF-8 bytes', () => {
    expect(sha256('é')).toBe(sha256(Uint8Array.of(0xc3, 0xa9)));
  });
});

describe('sha256Json', () => {
  it('is the SHA-256 of the canonical JSON', () => {
    expect(sha256Json({ b: 2, a: 1 })).toBe(sha256('{"a":1,"b":2}'));
    expect(sha256Json({ a: 1, b: 2 })).toBe(sha256Json({ b: 2, a: 1 }));
  });

  it('changes with any value, nested or not', () => {
    const base = { a: 1, b: { c: [1, 2] } };
    const variants = [{ a: 2, b: { c: [1, 2] } }, { a: 1, b: { c: [2, 1] } }, { a: 1, b: { c: [1, 2], d: 0 } }, { a: '1', b: { c: [1, 2] } }];
    const digests = new Set([base, ...variants].map(sha256Json));
    expect(digests.size).toBe(5);
  });
});

describe('sha256File', () => {
  it('streams a file larger than its 4 MiB chunk to the digest hashlib gives', async () => {
    const rng = mulberry32(5);
    const bytes = new Uint8Array(9 * 2 ** 20 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng() * 256;
    const file = path.join(tmp(), 'big.bin');
    await writeFile(file, bytes);
    const python = runPython(`import hashlib, sys\nprint(hashlib.sha256(open(${JSON.stringify(file)}, 'rb').read()).hexdigest())`).trim();
    expect(await sha256File(file)).toBe(python);
  });

  it('gives the empty digest for an empty file and rejects a missing one', async () => {
    const file = path.join(tmp(), 'empty.bin');
    await writeFile(file, '');
    expect(await sha256File(file)).toBe(EMPTY);
    await expect(sha256File(path.join(tmp(), 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('sha256File, by size', () => {
  it('hashes small files (read whole) and large ones (streamed) alike', async () => {
    for (const size of [0, 1000, (1 << 22) + 1, 9_000_000]) {
      const bytes = Buffer.alloc(size).map((_, i) => (i * 31 + (i >> 12)) & 255);
      const file = path.join(tmp(), `f${size}`);
      await writeFile(file, bytes);
      expect(await sha256File(file), String(size)).toBe(sha256(bytes));
    }
  });
});
