import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { check, InputError, innermostMessage } from '../../lib/errors';

describe('InputError', () => {
  it('puts the file, key or value at fault first in the message and keeps it apart', () => {
    const err = new InputError('labels must be a 1-D array', '/data/labels.npy');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('InputError');
    expect(err.message).toBe('/data/labels.npy: labels must be a 1-D array');
    expect(err.subject).toBe('/data/labels.npy');
    expect(String(err)).toBe('InputError: /data/labels.npy: labels must be a 1-D array');
  });

  it('is the bare message when nothing in particular is at fault', () => {
    const err = new InputError('no release has both predictions and a labels file');
    expect(err.message).toBe('no release has both predictions and a labels file');
    expect(err.subject).toBeUndefined();
  });
});

describe('check', () => {
  it('passes on truthy values and throws an InputError naming the subject on falsy ones', () => {
    for (const ok of [true, 1, 'x', {}, []]) expect(() => check(ok, 'k', 'never')).not.toThrow();
    for (const bad of [false, 0, '', null, undefined, NaN]) {
      let caught: unknown;
      try {
        check(bad, 'sampling.perClass', 'must be positive');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InputError);
      expect((caught as InputError).message).toBe('sampling.perClass: must be positive');
      expect((caught as InputError).subject).toBe('sampling.perClass');
    }
  });
});

describe('innermostMessage', () => {
  const fileError = () => ApplicationFailure.nonRetryable('/store/subsets.json: not valid JSON', 'InputError');

  it('finds the message that names the file under a workflow failure and its activity failure', () => {
    const activity = new ActivityFailure('Activity task failed', 'computeKeywordCounts', '7', RetryState.NON_RETRYABLE_FAILURE, 'worker@host', fileError());
    const workflow = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    expect(innermostMessage(workflow)).toBe('/store/subsets.json: not valid JSON');
  });

  it('finds a validator rejection inside a WorkflowUpdateFailedError', () => {
    const rejection = ApplicationFailure.create({ message: 'keyword "cat": 3 images selected, 4 needed', nonRetryable: true });
    expect(innermostMessage(new WorkflowUpdateFailedError('Workflow Update failed', rejection))).toBe('keyword "cat": 3 images selected, 4 needed');
  });

  it('follows plain Error causes to the last one with a message', () => {
    const inner = new Error('disk full');
    const middle = new Error('write failed', { cause: inner });
    expect(innermostMessage(new Error('stage failed', { cause: middle }))).toBe('disk full');
    // A cause without a string message ends the chain one level up.
    expect(innermostMessage(new Error('outer', { cause: 'just a string' }))).toBe('outer');
    expect(innermostMessage(new Error('outer', { cause: { code: 7 } }))).toBe('outer');
  });

  it('returns the message of an error without causes, and the string form of anything else', () => {
    expect(innermostMessage(new Error('only'))).toBe('only');
    expect(innermostMessage('plain text')).toBe('plain text');
    expect(innermostMessage(42)).toBe('42');
    expect(innermostMessage(undefined)).toBe('undefined');
    expect(innermostMessage(null)).toBe('null');
  });
});
