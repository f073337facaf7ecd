import { describe, expect, it } from 'vitest';
import * as corpus from '../../../lib/scale-corpus';
import * as design from '../../../lib/scale-corpus/design';
import * as generate from '../../../lib/scale-corpus/generate';
import * as plan from '../../../lib/scale-corpus/plan';

describe('lib/scale-corpus', () => {
  it('exports the corpus\'s design, generator and plan from their modules, the same objects, and nothing else', () => {
    const from = {
      REAL_KEYWORDS: design.REAL_KEYWORDS, SCALE_DESIGN: design.SCALE_DESIGN,
      ensureScaleCorpus: generate.ensureScaleCorpus, optionsHash: generate.optionsHash, scaleCorpusBytes: generate.scaleCorpusBytes,
      planScaleCorpus: plan.planScaleCorpus, resolveOptions: plan.resolveOptions,
    };
    expect(Object.keys(corpus).sort()).toEqual(Object.keys(from).sort());
    for (const [name, value] of Object.entries(from)) expect(corpus[name as keyof typeof corpus], name).toBe(value);
  });
});
