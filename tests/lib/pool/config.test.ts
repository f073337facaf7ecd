import { describe, expect, it } from 'vitest';
import { poolConfigSchema } from '../../../lib/pool/config';

describe('poolConfigSchema', () => {
  it('fills in the defaults: cover, lanczos3, white, at least one image a class', () => {
    expect(poolConfigSchema.parse({})).toEqual({ resize: { fit: 'cover', kernel: 'lanczos3', background: '#ffffff' }, minImagesPerClass: 1 });
    expect(poolConfigSchema.parse({ resize: { fit: 'contain' } }).resize).toEqual({ fit: 'contain', kernel: 'lanczos3', background: '#ffffff' });
  });

  it('keeps what the config gives', () => {
    const given = { resize: { fit: 'fill', kernel: 'nearest', background: '#0A0b0C' }, keywordClasses: { jetliner: 'airplane', tabby: 'cat' }, minImagesPerClass: 200 };
    expect(poolConfigSchema.parse(given)).toEqual(given);
  });

  it.each([
    ['an unknown key', { resise: {} }, 'resise'],
    ['an unknown resize key', { resize: { width: 64 } }, 'width'],
    ['a fit sharp has but the pool does not take', { resize: { fit: 'inside' } }, 'resize.fit'],
    ['an unknown kernel', { resize: { kernel: 'area' } }, 'resize.kernel'],
    ['a colour by name', { resize: { background: 'white' } }, 'a colour as #rrggbb'],
    ['a short colour', { resize: { background: '#fff' } }, 'a colour as #rrggbb'],
    ['a class that is not a string', { keywordClasses: { tabby: 3 } }, 'keywordClasses.tabby'],
    ['no image a class', { minImagesPerClass: 0 }, 'minImagesPerClass'],
    ['a fraction of an image', { minImagesPerClass: 1.5 }, 'minImagesPerClass'],
  ])('refuses %s, saying where', (_what, value, where) => {
    const parsed = poolConfigSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    const said = parsed.error!.issues.map((i) => `${i.path.join('.')} ${i.message} ${'keys' in i ? (i.keys as string[]).join(',') : ''}`).join('\n');
    expect(said).toContain(where);
  });
});
