// The build's search attributes, defined once (typed keys): the CLI starts a
// build with its release, the workflow keeps its stage up to date, and both
// can be searched in the Temporal Web UI.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CifarRelease = defineSearchAttributeKey('CifarRelease', SearchAttributeType.KEYWORD);
export const CifarStage = defineSearchAttributeKey('CifarStage', SearchAttributeType.KEYWORD);
