import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../lib/errors';
import { sha256Json } from '../lib/hash';
import { releaseConfigSchema, type ReleaseConfigFile } from './schema';

/** A validated release config, with its base release (v6 grows from v4) resolved. */
export type ReleaseConfig = ReleaseConfigFile & {
  /** The file it came from, for messages. */
  file: string;
  /** SHA-256 of the parsed config (and its base), the build's identity. */
  hash: string;
  base?: ReleaseConfig;
};

/** Reads, validates and resolves a release config; errors name the file and the key. */
export async function loadReleaseConfig(file: string, seen: string[] = []): Promise<ReleaseConfig> {
  const abs = path.resolve(file);
  if (seen.includes(abs)) throw new InputError(`base configs form a cycle: ${[...seen, abs].join(' -> ')}`, file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read config (${(err as NodeJS.ErrnoException).code ?? err})`, file);
  }
  const parsed = parseConfig(text, file);
  // Files a config names are relative to it.
  if (parsed.labeling.decisions) {
    const { round1, round2 } = parsed.labeling.decisions;
    parsed.labeling.decisions = { round1: path.resolve(path.dirname(abs), round1), round2: path.resolve(path.dirname(abs), round2) };
  }
  const base = parsed.sampling.method === 'balanced' && parsed.sampling.base
    ? await loadReleaseConfig(path.resolve(path.dirname(abs), parsed.sampling.base), [...seen, abs])
    : undefined;
  if (base && base.release === parsed.release) {
    throw new InputError(`base release has the same name "${base.release}"`, `${file}: sampling.base`);
  }
  const hash = sha256Json({ config: { ...parsed, sampling: { ...parsed.sampling, base: base?.hash } } });
  return { ...parsed, file, hash, ...(base ? { base } : {}) };
}

/** Validates config text; exported for tests and for configs passed inline. */
export function parseConfig(text: string, file: string): ReleaseConfigFile {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new InputError(`invalid YAML${where}: ${(err as Error).message.split('\n')[0]}`, file);
  }
  const result = releaseConfigSchema.safeParse(doc ?? {}, { reportInput: true });
  if (!result.success) throw new InputError(describeIssues(result.error.issues), file);
  return result.data;
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map((issue) => {
    const key = issue.path.join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
      return `unknown key ${issue.keys.map((k) => `"${prefix}${k}"`).join(', ')}`;
    }
    if (issue.code === 'invalid_type') {
      return issue.input === undefined
        ? `missing key "${key}" (expected ${issue.expected})`
        : `key "${key}": expected ${issue.expected}, got ${JSON.stringify(issue.input)}`;
    }
    return `key "${key}": ${issue.message}`;
  }).join('; ');
}
