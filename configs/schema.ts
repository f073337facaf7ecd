import { z } from 'zod';
import { poolConfigSchema } from '../lib/pool/config';

/** Everything that defines a release. Unknown keys are errors, not ignored. */
const rng = z.strictObject({
  kind: z.enum(['cpython', 'seedrandom']),
  setRule: z.enum(['3.6', '3.11']).default('3.6'),
});

const keywords = z.strictObject({
  /** L2 within which a TinyImages image counts as a CIFAR-10 image (stage 1; a pool's classes come from the pool). */
  matchMaxDistance: z.number().nonnegative(),
  topK: z.int().positive(),
  excluded: z.array(z.string()).default([]),
});

// Shards follow from the data size and the workers present (lib/sharding.ts): nothing to tune here.
const distances = z.strictObject({
  neighbors: z.int().min(1).max(100),
});

const labeling = z.strictObject({
  /** simulated: from a generated corpus's ground truth; interactive: people, in the labeling page; import: from decisions files. */
  mode: z.enum(['simulated', 'interactive', 'import']),
  minCifarDistance: z.number().nonnegative(),
  /** labeling.mode import: the decisions file (JSONL) of each round, relative to the config file. */
  decisions: z.strictObject({ round1: z.string().min(1), round2: z.string().min(1) }).optional(),
  /** Images per label page: a keyword with more candidates is split into pages that different people can take. */
  pageSize: z.int().min(1).max(5000).default(1000),
  /**
   * Hidden control images in round-1 pages (none when absent, so a config without them builds as before):
   * CIFAR-10 images of the page's class (the right answer is accept) and of other classes (reject), `rate`
   * of what a page shows. Answers on them never reach the build; the admin page scores each person on them
   * and flags for review whoever is under `minAccuracy` after at least `minControls` answers.
   */
  controls: z.strictObject({
    rate: z.number().min(0).max(0.5).default(0.1),
    minAccuracy: z.number().min(0).max(1).default(0.8),
    minControls: z.int().min(1).default(10),
  }).optional(),
});

/**
 * What a keyword's count is, which ranks the keywords (top-k) and sets the quotas:
 * cifar10-match, the CIFAR-10 images filed under it in the corpus (the original pipeline);
 * published, the published CIFAR-10.1 counts (keyword_counts_<release>.json), for a pool
 * searched with the same keywords; pool, the images under it in the pool (proportional);
 * uniform, the same for every keyword of a class.
 */
const counts = z.enum(['cifar10-match', 'published', 'pool', 'uniform']).default('cifar10-match');

const perKeyword = z.strictObject({
  method: z.literal('per-keyword'),
  counts,
  imagesPerCount: z.int().positive(),
  minFraction: z.number().min(0).max(1),
});

const balanced = z.strictObject({
  method: z.literal('balanced'),
  counts,
  /** The release this one grows from (v6: ./v4.yaml); without one, every image is drawn anew. */
  base: z.string().optional(),
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
  /** A pool of one's own images as the source (--pool): how they are brought to 32×32, their classes. */
  pool: poolConfigSchema.optional(),
}).superRefine((config, ctx) => {
  if (config.labeling.mode === 'import' && !config.labeling.decisions) {
    ctx.addIssue({ code: 'custom', path: ['labeling', 'decisions'], message: 'labeling.mode import needs the decisions file of each round (labeling.decisions.round1, .round2)' });
  }
});

export type ReleaseConfigFile = z.infer<typeof releaseConfigSchema>;
