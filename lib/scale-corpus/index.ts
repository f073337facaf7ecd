/**
 * A seeded, full-shape TinyImages + CIFAR-10 corpus with known answers, sized
 * by parameters (default: 5,000,000 TinyImages images, 60,000 CIFAR-10
 * images, 589,711 candidates in the top-50 keywords of the ten classes).
 *
 * Disk: 3,840 bytes per TinyImages image (image + metadata record) plus
 * CIFAR-10 (184 MB) and the ground truth: 19.39 GB at the defaults,
 * `scaleCorpusBytes(options)` for others (the real TinyImages' 79,302,017
 * images would need 305 GB).
 */
export { REAL_KEYWORDS, SCALE_DESIGN } from './design';
export { ensureScaleCorpus, optionsHash, type ScaleCorpusInfo, type ScaleCorpusProgress, scaleCorpusBytes } from './generate';
export { type KeywordPlan, planScaleCorpus, resolveOptions, type ScaleCorpusCounts, type ScaleCorpusOptions, type ScalePlan } from './plan';
