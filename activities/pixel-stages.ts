// No imports: the workflow bundle includes this file.

/** Stages that need TinyImages pixels, skipped in a build from the published files. */
export const PIXEL_STAGES = ['findCifar10Keywords', 'assignKeywords', 'buildKeywordSubsets', 'computeDistances', 'checkNearDuplicates'];
