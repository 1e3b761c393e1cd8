import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError, toAppError } from '../src/errors.js';
import { cleanName } from '../src/identity.js';
import { createTokenBucket } from '../src/rate-limit.js';
import { createChatParsers, messageText } from '../src/validation.js';

describe('validation', () => {
  const parse = createChatParsers(10);

  test('room names follow the contract', () => {
    for (const room of ['a', 'lobby', 'A-b_9', 'x'.repeat(64)]) assert.equal(parse.join({ room }).room, room);
    for (const room of ['', 'a b', 'ü', 'x'.repeat(65), 'a/b', 'a.b', 5, null]) {
      assert.throws(() => parse.join({ room }), { code: 'bad_request' }, String(room));
    }
  });

  test('message text: trimmed, counted in characters, empty and long refused', () => {
    assert.equal(messageText('  hi  ', 10), 'hi');
    assert.equal(messageText('😀'.repeat(10), 10), '😀'.repeat(10));
    assert.throws(() => messageText('   ', 10), { code: 'bad_request' });
    assert.throws(() => messageText('x'.repeat(11), 10), { code: 'too_large' });
  });

  test('names lose control characters and stop at 40 characters', () => {
    assert.equal(cleanName(' A\u0000b\u001bc\u200e '), 'Abc');
    assert.equal(cleanName('é'.repeat(50)).length, 40);
    assert.equal(cleanName(42), '');
  });

  test('unknown errors become internal with a generic message', () => {
    const err = toAppError(new Error('secret detail'));
    assert.equal(err.code, 'internal');
    assert.equal(err.status, 500);
    assert.doesNotMatch(err.message, /secret/);
    const known = new AppError('rate_limited', 'slow down', 250);
    assert.equal(toAppError(known), known);
    assert.deepEqual(known.toBody(), { code: 'rate_limited', message: 'slow down', retryAfterMs: 250 });
  });

  test('the token bucket allows the burst, then the rate', () => {
    let now = 0;
    const bucket = createTokenBucket(2, 3, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
    assert.equal(bucket.take(), 500);
    now = 500;
    assert.equal(bucket.take(), 0);
    assert.equal(bucket.take(), 500);
  });
});
