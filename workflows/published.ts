// A build from the published CIFAR-10.1 files: each stage they provide
// (quotas, both labeling rounds, the blacklist, the base release) is taken
// from them as its checkpoint; the stages that need pixels are skipped, and
// sampling runs for real (a per-keyword release, v4, is verified instead).
import type { Progress } from './stages';
import type { BuildConfig } from './types';

export async function fromPublished(progress: Progress, config: BuildConfig, dir: string) {
  const { release, classes, sampling } = config;
  const counts = await progress.run('publishedQuotas', `quotas: taken from the published keyword_counts_${release}.json`, { dir, release, sampling });
  const labels = await progress.run('publishedLabels', 'first labeling round: taken from the published tinyimage_good_indices.json', { dir, release, round: 1, classes });
  const confirmed = await progress.run('publishedLabels', `second round: taken from the published tinyimage_good_indices_subselected_${release}.json`, { dir, release, round: 2, classes });
  const blacklist = (await progress.run('publishedBlacklist', `blacklist: taken from the published blacklist_${release}.json`, { dir, release })).files['blacklist.json'];
  if (sampling.method === 'per-keyword') {
    // Its nearest-neighbour input was never published: the release is verified, not redrawn.
    const sample = await progress.run('verifyPublishedSample', `the published ${release} release, verified (not redrawn)`, { dir, release, classes, sampling });
    return { sample, blacklist, audit: { counts, labels, confirmed } };
  }
  const base = config.base && await progress.run('publishedBaseRelease', `the ${config.base.release} release per keyword, as published`, { dir, base: config.base.release });
  const sample = await progress.run('sampleRelease', `seeded sampling (${config.rng.kind}, seed ${config.seed}) from the published lists`, {
    release, seed: config.seed, rng: config.rng, sampling, classes, counts, confirmed, blacklist, basePerKeyword: base ? base.files['ti_indices_per_keyword.json'] : undefined,
  });
  return { sample, blacklist, audit: { counts, labels, confirmed, ...(base ? { basePerKeyword: base.files['ti_indices_per_keyword.json'] } : {}) } };
}
