import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { scanPool } from '../../../lib/pool';
import { tempDir } from '../../helpers/build';
import { CLASSES, classPool, imageFiles, put } from './fixtures';

describe('scanPool', () => {
  let pool: string;

  beforeAll(async () => {
    pool = await tempDir('pool-scan');
    await classPool(pool);
  });

  it('lists a <class>/<keyword>/<image> folder in keyword then id order, passing over what is not an image location', async () => {
    const scanned = await scanPool(pool, { classes: CLASSES });
    expect(scanned.root).toBe(pool);
    expect(scanned.entries.map((e) => [e.keyword, e.className, e.id])).toEqual([
      ['airliner', 'airplane', 'airplane/airliner/alpha.webp'],
      ['airliner', 'airplane', 'airplane/airliner/anim.gif'],
      ['airliner', 'airplane', 'airplane/airliner/photo.jpg'],
      ['airliner', 'airplane', 'airplane/airliner/rgba.png'],
      ['biplane', 'airplane', 'airplane/biplane/cmyk.jpg'],
      ['biplane', 'airplane', 'airplane/biplane/deep.png'],
      ['biplane', 'airplane', 'airplane/biplane/grey.png'],
      ['cruiser', 'automobile', 'automobile/cruiser/car.png'],
      ['cruiser', 'ship', 'ship/cruiser/boat.jpg'],
      ['sedan', 'automobile', 'automobile/sedan/broken.png'],
      ['sedan', 'automobile', 'automobile/sedan/copy.png'],
      ['sedan', 'automobile', 'automobile/sedan/grey-alpha.png'],
      ['sedan', 'automobile', 'automobile/sedan/grey.jpg'],
      ['sedan', 'automobile', 'automobile/sedan/notes.txt'],
      ['sedan', 'automobile', 'automobile/sedan/scan.tiff'],
    ]);
    for (const e of scanned.entries) expect(e.file).toBe(path.join(pool, ...e.path.split('/')));
    expect(scanned.problems).toEqual([
      { path: 'README.txt', kind: 'misplaced', reason: 'a file outside <class>/<keyword>/ folders is not read' },
      { path: 'automobile/coupe', kind: 'empty-folder', reason: 'keyword folder "coupe" holds no files' },
    ]);
  });

  it('refuses a folder that is not a class, naming it', async () => {
    const dir = await tempDir('pool-scan');
    await put(path.join(dir, 'airplane', 'jet', 'a.png'), 'x');
    await put(path.join(dir, 'planes', 'jet', 'a.png'), 'x');
    await expect(scanPool(dir, { classes: CLASSES })).rejects.toThrow(
      `${path.join(dir, 'planes')}: "planes" is not a class (classes: airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck)`,
    );
  });

  it('lists a <keyword>/<image> folder with the keyword map of the config', async () => {
    const dir = await tempDir('pool-kw');
    const files = await imageFiles(3);
    await put(path.join(dir, 'jetliner', 'one.png'), files['rgba.png']);
    await put(path.join(dir, 'jetliner', 'two.jpg'), files['photo.jpg']);
    await put(path.join(dir, 'tabby', 'cat.webp'), files['alpha.webp']);
    await mkdir(path.join(dir, 'tabby', 'nested'));
    await mkdir(path.join(dir, 'wren'));
    const keywordClasses = { jetliner: 'airplane', tabby: 'cat', wren: 'bird' };
    const scanned = await scanPool(dir, { classes: CLASSES, keywordClasses });
    expect(scanned.entries.map((e) => [e.id, e.keyword, e.className])).toEqual([
      ['jetliner/one.png', 'jetliner', 'airplane'],
      ['jetliner/two.jpg', 'jetliner', 'airplane'],
      ['tabby/cat.webp', 'tabby', 'cat'],
    ]);
    expect(scanned.problems.map((p) => [p.path, p.kind])).toEqual([
      ['tabby/nested', 'misplaced'],
      ['wren', 'empty-folder'],
    ]);
    await expect(scanPool(dir, { classes: CLASSES, keywordClasses: { jetliner: 'airplane', tabby: 'cat' } })).rejects.toThrow(
      `${path.join(dir, 'wren')}: keyword "wren" has no class in the config's keywordClasses`,
    );
    await expect(scanPool(dir, { classes: CLASSES, keywordClasses: { ...keywordClasses, wren: 'songbird' } })).rejects.toThrow(
      'keywordClasses.wren: "songbird" is not a class',
    );
  });

  it('takes the class of a keyword from own keys of the map only', async () => {
    const dir = await tempDir('pool-kw');
    await put(path.join(dir, 'constructor', 'a.png'), 'x');
    await expect(scanPool(dir, { classes: CLASSES, keywordClasses: { jetliner: 'airplane' } })).rejects.toThrow(
      `${path.join(dir, 'constructor')}: keyword "constructor" has no class in the config's keywordClasses`,
    );
  });

  it('refuses a keyword folder whose name cannot be a TinyImages keyword', async () => {
    const dir = await tempDir('pool-kw');
    await put(path.join(dir, 'cat', 'chat noir ', 'a.png'), 'x');
    await expect(scanPool(dir, { classes: CLASSES })).rejects.toThrow(/chat noir : keyword "chat noir ": must be 1 to 80 printable ASCII characters/);
  });

  describe('manifests', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await tempDir('pool-manifest');
      const files = await imageFiles(4);
      await put(path.join(dir, 'img', 'a.png'), files['rgba.png']);
      await put(path.join(dir, 'img', 'b.jpg'), files['photo.jpg']);
      await put(path.join(dir, 'img', 'sub', 'c.gif'), files['anim.gif']);
    });

    it('reads a CSV manifest: paths relative to its folder, optional columns, class from the map when absent', async () => {
      const csv = path.join(dir, 'pool.csv');
      await writeFile(
        csv,
        'path,keyword,class,id,url,license\n' +
          'img/b.jpg,jetliner,airplane,b-1,https://example.org/b.jpg,CC-BY-4.0\n' +
          'img/a.png,jetliner,,,,\n' +
          '"img/sub/c.gif",tabby,cat,c-1,,CC0-1.0\n',
      );
      const scanned = await scanPool(csv, { classes: CLASSES, keywordClasses: { jetliner: 'airplane' } });
      expect(scanned.root).toBe(dir);
      expect(scanned.entries).toEqual([
        { file: path.join(dir, 'img', 'b.jpg'), path: 'img/b.jpg', keyword: 'jetliner', className: 'airplane', id: 'b-1', url: 'https://example.org/b.jpg', license: 'CC-BY-4.0' },
        { file: path.join(dir, 'img', 'a.png'), path: 'img/a.png', keyword: 'jetliner', className: 'airplane', id: 'img/a.png', url: undefined, license: undefined },
        { file: path.join(dir, 'img', 'sub', 'c.gif'), path: 'img/sub/c.gif', keyword: 'tabby', className: 'cat', id: 'c-1', url: undefined, license: 'CC0-1.0' },
      ]);
    });

    it('reads a JSONL manifest the same way', async () => {
      const jsonl = path.join(dir, 'pool.jsonl');
      await writeFile(
        jsonl,
        [
          { path: 'img/a.png', keyword: 'jetliner', class: 'airplane' },
          { path: './img/sub/c.gif', keyword: 'tabby', class: 'cat', id: 'c-1', license: 'CC0-1.0' },
        ].map((l) => JSON.stringify(l)).join('\n') + '\n\n',
      );
      const scanned = await scanPool(jsonl, { classes: CLASSES });
      expect(scanned.entries.map((e) => [e.path, e.id, e.className, e.license])).toEqual([
        ['img/a.png', 'img/a.png', 'airplane', undefined],
        ['img/sub/c.gif', 'c-1', 'cat', 'CC0-1.0'],
      ]);
    });

    const bad = async (name: string, text: string) => {
      const file = path.join(dir, name);
      await writeFile(file, text);
      return file;
    };

    it('refuses a path outside the manifest folder, naming the line', async () => {
      const outside = await bad('outside.csv', 'path,keyword,class\nimg/a.png,jetliner,airplane\n../elsewhere/x.png,jetliner,airplane\n');
      await expect(scanPool(outside, { classes: CLASSES })).rejects.toThrow(InputError);
      await expect(scanPool(outside, { classes: CLASSES })).rejects.toThrow(
        `${outside}: line 3: path "../elsewhere/x.png" is outside the manifest's folder ${dir}; refused`,
      );
      const absolute = await bad('absolute.jsonl', `${JSON.stringify({ path: '/etc/passwd', keyword: 'jetliner', class: 'airplane' })}\n`);
      await expect(scanPool(absolute, { classes: CLASSES })).rejects.toThrow(`${absolute}: line 1: path "/etc/passwd" is outside the manifest's folder`);
      // A link inside the folder that leads out of it is outside too.
      await symlink('/etc/hostname', path.join(dir, 'img', 'link.png'));
      const linked = await bad('linked.csv', 'path,keyword,class\nimg/link.png,jetliner,airplane\n');
      await expect(scanPool(linked, { classes: CLASSES })).rejects.toThrow(`${linked}: line 2: path "img/link.png" is outside the manifest's folder`);
    });

    it('refuses an unknown class, naming the line and class', async () => {
      const file = await bad('unknown.jsonl', [
        JSON.stringify({ path: 'img/a.png', keyword: 'jetliner', class: 'airplane' }),
        JSON.stringify({ path: 'img/b.jpg', keyword: 'jetliner', class: 'aeroplane' }),
      ].join('\n'));
      await expect(scanPool(file, { classes: CLASSES })).rejects.toThrow(`${file}: line 2: unknown class "aeroplane" (classes: airplane, automobile`);
    });

    it('refuses other bad lines, each naming its line', async () => {
      const cases: [string, string, string][] = [
        ['noclass.csv', 'path,keyword\nimg/a.png,jetliner\n', 'line 2: no class for keyword "jetliner": give a class column, or the keyword in the config\'s keywordClasses'],
        ['column.csv', 'path,keyword,clas\nimg/a.png,jetliner,airplane\n', 'line 1: unknown column "clas" (columns: path, keyword, class, id, url, license)'],
        ['dupid.csv', 'path,keyword,class,id\nimg/a.png,jetliner,airplane,x\nimg/b.jpg,jetliner,airplane,x\n', 'line 3: id "x" is already on line 2'],
        ['keyword.jsonl', JSON.stringify({ path: 'img/a.png', keyword: 'jet\u00e9', class: 'airplane' }), 'line 1: keyword "jet\u00e9": must be 1 to 80 printable ASCII'],
        ['missing.jsonl', JSON.stringify({ keyword: 'jet', class: 'airplane' }), 'line 1: path: Invalid input: expected string, received undefined'],
        ['extra.jsonl', JSON.stringify({ path: 'img/a.png', keyword: 'jet', class: 'airplane', colour: 'red' }), 'line 1: Unrecognized key: "colour"'],
        ['notjson.jsonl', '{"path": "img/a.png",', 'line 1: not JSON'],
      ];
      for (const [name, text, message] of cases) {
        const file = await bad(name, text);
        await expect(scanPool(file, { classes: CLASSES }), name).rejects.toThrow(`${file}: ${message}`);
      }
      const other = await bad('pool.txt', 'img/a.png');
      await expect(scanPool(other, { classes: CLASSES })).rejects.toThrow(`${other}: expected a pool folder, or a manifest ending in .csv or .jsonl`);
      await expect(scanPool(path.join(dir, 'nope'), { classes: CLASSES })).rejects.toThrow(`${path.join(dir, 'nope')}: not found`);
    });
  });
});
