import { describe, expect, it } from 'vitest';
import { attachConflict, type BuildIdentity, checkMayAttach } from '../../lib/build-identity';
import { InputError } from '../../lib/errors';

const demo: BuildIdentity = { source: { kind: 'demo', seed: 101 }, taskQueue: 'cifar101-1a2b3c', outDir: '/data/artifacts' };
const files: BuildIdentity = { source: { kind: 'files', tinyimages: '/data/tiny', cifar10: '/data/cifar-10-python.tar.gz' }, taskQueue: 'cifar101-1a2b3c' };

describe('attachConflict', () => {
  it('lets a build attach to one of the same source and store queue, wherever either writes its release', () => {
    expect(attachConflict(demo, { ...demo })).toBeNull();
    // The same store mounted at another path on another machine: same queue, another --out.
    expect(attachConflict(demo, { ...demo, outDir: '/mnt/shared/artifacts' })).toBeNull();
    expect(attachConflict({ ...demo, outDir: undefined }, demo)).toBeNull();
  });

  it('lets a build attach to one started without an identity (by hand)', () => {
    expect(attachConflict(undefined, demo)).toBeNull();
  });

  it('refuses another source, naming both builds\' source, queue and --out, and what to do', () => {
    expect(attachConflict(demo, files)).toBe(
      'is already running (source {"kind":"demo","seed":101}, store queue cifar101-1a2b3c, --out /data/artifacts), '
      + 'and this build asks for source {"kind":"files","tinyimages":"/data/tiny","cifar10":"/data/cifar-10-python.tar.gz"}, store queue cifar101-1a2b3c; '
      + 'wait for it to finish (cifar101 status), or run this one on its own --task-queue',
    );
    // A field deep in the source counts: another seed is another corpus.
    expect(attachConflict(demo, { ...demo, source: { kind: 'demo', seed: 102 } })).toContain('this build asks for source {"kind":"demo","seed":102}');
  });

  it('refuses the same source kept in another store (another queue)', () => {
    const conflict = attachConflict(demo, { ...demo, taskQueue: 'cifar101-9f8e7d' });
    expect(conflict).toMatch(/^is already running \(source \{"kind":"demo","seed":101\}, store queue cifar101-1a2b3c, --out \/data\/artifacts\), /);
    expect(conflict).toContain('this build asks for source {"kind":"demo","seed":101}, store queue cifar101-9f8e7d, --out /data/artifacts;');
  });
});

describe('checkMayAttach', () => {
  it('passes a memo of the same build, a memo without one, and no memo', () => {
    expect(() => checkMayAttach({ build: { ...demo, outDir: '/elsewhere' } }, demo, 'build cifar101-v4')).not.toThrow();
    expect(() => checkMayAttach({ other: 1 }, demo, 'build cifar101-v4')).not.toThrow();
    expect(() => checkMayAttach(undefined, demo, 'build cifar101-v4')).not.toThrow();
  });

  it('throws an InputError about the subject, with the conflict as its message', () => {
    let thrown: unknown;
    try {
      checkMayAttach({ build: demo }, files, 'base release build cifar101-v4-1a2b3c');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).subject).toBe('base release build cifar101-v4-1a2b3c');
    expect((thrown as InputError).message).toBe(`base release build cifar101-v4-1a2b3c: ${attachConflict(demo, files)}`);
  });
});
