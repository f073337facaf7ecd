import { z } from 'zod';
import { resizeSchema } from './render';

/**
 * The config's `pool` section, for configs/schema.ts: how images are brought
 * to 32×32, the keyword → class map of a `<keyword>/<image>` pool (and of
 * manifest lines without a class), and the fewest images a class may end with.
 */
export const poolConfigSchema = z.strictObject({
  resize: resizeSchema.prefault({}),
  keywordClasses: z.record(z.string(), z.string()).optional(),
  minImagesPerClass: z.int().positive().default(1),
});

export type PoolConfig = z.output<typeof poolConfigSchema>;
