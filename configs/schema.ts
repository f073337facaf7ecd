import { z } from 'zod';

/** Everything that defines a release. Unknown keys are errors, not ignored. */
const rng = z.strictObject({
  kind: z.enum(['cpython', 'seedrandom']),
  setRule: z.enum(['3.6', '3.11']).default('3.6'),
});

const keywords = z.strictObject({
  matchMaxDistance: z.number().nonnegative(),
  topK: z.int().positive(),
  excluded: z.array(z.string()).default([]),
});

// Shards follow from the data size and the workers present (lib/sharding.ts): nothing to tune here.
const distances = z.strictObject({
  neighbors: z.int().min(1).max(100),
});

const labeling = z.strictObject({
  mode: z.enum(['simulated', 'interactive']),
  minCifarDistance: z.number().nonnegative(),
  /** Images per label page: a keyword with more candidates is split into pages that different people can take. */
  pageSize: z.int().min(1).max(5000).default(1000),
});

const perKeyword = z.strictObject({
  method: z.literal('per-keyword'),
  imagesPerCount: z.int().positive(),
  minFraction: z.number().min(0).max(1),
});

const balanced = z.strictObject({
  method: z.literal('balanced'),
  base: z.string(),
  perClass: z.int().positive(),
});

const nearDuplicates = z.strictObject({
  withinThreshold: z.number().nonnegative(),
  cifarThreshold: z.number().nonnegative(),
  rounds: z.int().min(1),
  review: z.enum(['auto', 'interactive']),
});

const exportOptions = z.strictObject({
  contactSheetColumns: z.int().min(1).max(200),
});

export const releaseConfigSchema = z.strictObject({
  release: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a release name of letters, digits, ".", "_" or "-"'),
  seed: z.int().nonnegative(),
  rng,
  classes: z.array(z.string().min(1)).min(2),
  keywords,
  distances,
  labeling,
  sampling: z.discriminatedUnion('method', [perKeyword, balanced]),
  nearDuplicates,
  export: exportOptions,
});

export type ReleaseConfigFile = z.infer<typeof releaseConfigSchema>;
