// CIFAR-10 as it is distributed, written for tests: cifar-10-python.tar.gz (pickled by python3
// with numpy, as Python 2's cPickle wrote the real one) and cifar-10-binary.tar.gz (tar-stream).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { tempDir } from './build';
import { runPython } from './python';

const TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`);

/**
 * Writes the python version from the binary folder `bin`, with numpy, as
 * CIFAR-10's own files were written: by Python 2's cPickle, protocol 2, so a
 * dict of Python 2 str keys (SHORT_BINSTRING), the pixels as one BINSTRING
 * inside numpy.core.multiarray._reconstruct, labels a list of ints. Python 3
 * cannot write Python 2 str, so the 'py2' variant uses a pickler that writes
 * them as cPickle did; 'p2', 'p4', 'p5' are Python 3's own protocols.
 * `damage` edits the batches before pickling: {name: python expression of d}.
 * Then packs `cifar-10-batches-py/` into `cifar-10-python.tar.gz` with tarfile.
 */
const WRITE_PYTHON = `
import json, os, pickle, struct, sys, tarfile
import numpy as np
src, out, variant, damage = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

class Py2Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()
    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode('ascii')
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(data)) + data)
        self.memoize(obj)
    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str
    def save_global(self, obj, name=None):
        module = obj.__module__.replace('numpy._core', 'numpy.core')
        self.write(pickle.GLOBAL + ('%s\\n%s\\n' % (module, name or obj.__qualname__)).encode())
        self.memoize(obj)
    def reducer_override(self, obj):
        if isinstance(obj, np.dtype):  # numpy of 2009 pickled dtype('u1', 0, 1)
            _, args, state = obj.__reduce__()
            return np.dtype, (args[0], 0, 1), state
        return NotImplemented

def dump(obj, f):
    if variant == 'py2':
        Py2Pickler(f, protocol=2).dump(obj)
    else:
        pickle.dump(obj, f, protocol=int(variant[1:]))

folder = os.path.join(out, 'cifar-10-batches-py')
os.makedirs(folder)
names = ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']
for i, name in enumerate(names):
    rec = np.frombuffer(open(os.path.join(src, name + '.bin'), 'rb').read(), np.uint8).reshape(-1, 3073)
    d = {b'batch_label': b'batch %d' % i, b'labels': rec[:, 0].tolist(), b'data': rec[:, 1:].copy(),
         b'filenames': [b'image_%d.png' % j for j in range(len(rec))]}
    if name in damage:
        exec(damage[name])
    with open(os.path.join(folder, name), 'wb') as f:
        dump(d, f)
meta = {b'num_cases_per_batch': 10, b'label_names': [n.encode() for n in open(os.path.join(src, 'batches.meta.txt')).read().split()], b'num_vis': 3072}
if 'batches.meta' in damage:
    exec(damage['batches.meta'].replace('d[', 'meta['))
with open(os.path.join(folder, 'batches.meta'), 'wb') as f:
    dump(meta, f)
open(os.path.join(folder, 'readme.html'), 'w').write('<html></html>')
with tarfile.open(os.path.join(out, 'cifar-10-python.tar.gz'), 'w:gz') as t:
    t.add(folder, arcname='cifar-10-batches-py')
`;

export async function writePython(bin: string, variant: 'py2' | 'p2' | 'p4' | 'p5', damage: Record<string, string> = {}): Promise<string> {
  const out = await tempDir('cifar-py');
  runPython(`import sys; sys.argv = ${JSON.stringify(['fixture', bin, out, variant, JSON.stringify(damage)])}\n${WRITE_PYTHON}`);
  return out;
}

/** A gzipped tar of `entries` (a name ending in / is a folder), written with tar-stream. */
export async function tarGz(entries: [string, Buffer?][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, bytes] of entries) {
    if (bytes) pack.entry({ name }, bytes);
    else pack.entry({ name, type: 'directory' });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** Packs the binary folder's files into `cifar-10-binary.tar.gz` in the real layout (`cifar-10-batches-bin/…`). */
export async function writeBinaryArchive(bin: string, out: string, skip: string[] = [], replace: Record<string, Buffer> = {}): Promise<string> {
  const entries: [string, Buffer?][] = [['cifar-10-batches-bin/']];
  for (const name of ['batches.meta.txt', ...TRAIN.map((n) => `${n}.bin`), 'test_batch.bin', 'readme.html']) {
    if (skip.includes(name)) continue;
    const bytes = replace[name] ?? (name === 'readme.html' ? Buffer.from('<html></html>') : await readFile(path.join(bin, name)));
    entries.push([`cifar-10-batches-bin/${name}`, bytes]);
  }
  const file = path.join(out, 'cifar-10-binary.tar.gz');
  await writeFile(file, await tarGz(entries));
  return file;
}

