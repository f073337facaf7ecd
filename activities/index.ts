import { awaitRelease } from './await-release';
import { buildKeywordSubsets } from './build-subsets';
import { checkNearDuplicates, updateBlacklist } from './check-duplicates';
import { computeKeywordCounts } from './compute-counts';
import { computeDistances } from './compute-distances';
import { describePublishedRelease, describeRelease } from './describe-release';
import { evaluateModels } from './evaluate-models';
import { exportRelease } from './export-release';
import { extractSources } from './extract-sources';
import { ingestPool } from './ingest-pool';
import { poolKeywords } from './pool-keywords';
import { assignKeywords, findCifar10Keywords } from './find-keywords';
import { confirmCandidates, labelCandidates, recordLabels, saveDecisions } from './label-rounds';
import { importDecisions, simulateLabeler } from './labelers';
import { publishedBaseRelease, publishedBlacklist, publishedLabels, publishedQuotas, verifyPublishedSample } from './published';
import { publishRelease } from './publish-release';
import { reportRelease } from './report-release';
import { findRelease, recordRelease } from './release-record';
import { sampleRelease } from './sample-release';
import { mergeShards, planShards } from './shards';
import type { ActivityDeps } from './support/deps';

export type { ActivityDeps } from './support/deps';

/** Every stage activity, bound to its dependencies; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  return {
    ingestPool: ingestPool(deps),
    extractSources: extractSources(deps),
    poolKeywords: poolKeywords(deps),
    planShards: planShards(deps),
    findCifar10Keywords: findCifar10Keywords(deps),
    mergeShards: mergeShards(deps),
    assignKeywords: assignKeywords(deps),
    buildKeywordSubsets: buildKeywordSubsets(deps),
    computeDistances: computeDistances(deps),
    computeKeywordCounts: computeKeywordCounts(deps),
    labelCandidates: labelCandidates(deps),
    confirmCandidates: confirmCandidates(deps),
    simulateLabeler: simulateLabeler(deps),
    importDecisions: importDecisions(deps),
    saveDecisions: saveDecisions(deps),
    recordLabels: recordLabels(deps),
    sampleRelease: sampleRelease(deps),
    checkNearDuplicates: checkNearDuplicates(deps),
    updateBlacklist: updateBlacklist(deps),
    exportRelease: exportRelease(deps),
    evaluateModels: evaluateModels(deps),
    describeRelease: describeRelease(deps),
    describePublishedRelease: describePublishedRelease(deps),
    reportRelease: reportRelease(deps),
    publishRelease: publishRelease(deps),
    findRelease: findRelease(deps),
    awaitRelease: awaitRelease(deps),
    recordRelease: recordRelease(deps),
    publishedQuotas: publishedQuotas(deps),
    publishedLabels: publishedLabels(deps),
    publishedBlacklist: publishedBlacklist(deps),
    publishedBaseRelease: publishedBaseRelease(deps),
    verifyPublishedSample: verifyPublishedSample(deps),
  };
}
