import { awaitRelease } from './await-release';
import { buildKeywordSubsets } from './build-subsets';
import { checkNearDuplicates, updateBlacklist } from './check-duplicates';
import type { ActivityDeps } from './common';
import { computeKeywordCounts } from './compute-counts';
import { computeDistances } from './compute-distances';
import { evaluateModels } from './evaluate-models';
import { exportRelease } from './export-release';
import { extractSources } from './extract-sources';
import { assignKeywords, findCifar10Keywords } from './find-keywords';
import { importPublished } from './import-published';
import { confirmCandidates, labelCandidates, recordLabels, simulateLabeler } from './label-candidates';
import { findRelease, recordRelease } from './release-record';
import { sampleRelease } from './sample-release';

export type { ActivityDeps } from './common';

/** Every stage activity, bound to its dependencies; the worker registers the result. */
export function createActivities(deps: ActivityDeps) {
  return {
    extractSources: extractSources(deps),
    findCifar10Keywords: findCifar10Keywords(deps),
    assignKeywords: assignKeywords(deps),
    buildKeywordSubsets: buildKeywordSubsets(deps),
    computeDistances: computeDistances(deps),
    computeKeywordCounts: computeKeywordCounts(deps),
    labelCandidates: labelCandidates(deps),
    confirmCandidates: confirmCandidates(deps),
    recordLabels: recordLabels(deps),
    simulateLabeler: simulateLabeler(deps),
    sampleRelease: sampleRelease(deps),
    checkNearDuplicates: checkNearDuplicates(deps),
    updateBlacklist: updateBlacklist(deps),
    exportRelease: exportRelease(deps),
    evaluateModels: evaluateModels(deps),
    awaitRelease: awaitRelease(deps),
    importPublished: importPublished(deps),
    findRelease: findRelease(deps),
    recordRelease: recordRelease(deps),
  };
}
