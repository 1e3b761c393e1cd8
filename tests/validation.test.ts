import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError, toAppError } from '../src/errors.js';
import { cleanName } from '../src/identity.js';
import { chatParsers as parse, messageText, plainText, pushParsers } from '../src/validation.js';

describe('validation', () => {
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

  test('plain text: well-formed, no controls but newline and tab, no bidi overrides or isolates', () => {
    assert.equal(plainText('a\uD800b\uDC00c'), 'a\uFFFDb\uFFFDc');
    assert.equal(plainText('\uDBFF'), '\uFFFD');
    assert.equal(plainText('😀 \uD83D\uDE00'), '😀 😀', 'a surrogate pair is kept');
    assert.equal(plainText('a\u0000b\u0007c\u001bd\u007fe\u0085f\u009fg'), 'abcdefg');
    assert.equal(plainText('line\r\nnext\tcell'), 'line\nnext\tcell');
    assert.equal(plainText('\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069'), 'abcdefgh');
    assert.equal(plainText('👩\u200D👩\u200D👧 \u200Fשלום'), '👩\u200D👩\u200D👧 \u200Fשלום', 'joiners and marks are kept');
    assert.throws(() => messageText('\u0000\u202E \u2066', 10), { code: 'bad_request' });
    assert.equal(messageText('\u0000 hi\u202E ', 10), 'hi');
  });

  test('null means absent; required nulls, unsafe seqs and odd clientIds are bad_request', () => {
    assert.deepEqual(parse.history({ room: 'r', before: null, after: null, limit: null }), { room: 'r' });
    assert.deepEqual(pushParsers.subscribe({ topic: 't', after: null }), { topic: 't' });
    assert.throws(() => parse.join({ room: null }), { code: 'bad_request' });
    assert.equal(parse.join({ room: 'r', after: Number.MAX_SAFE_INTEGER }).after, Number.MAX_SAFE_INTEGER);
    assert.throws(() => parse.join({ room: 'r', after: Number.MAX_SAFE_INTEGER + 1 }), { code: 'bad_request' });
    assert.throws(() => pushParsers.subscribe({ topic: 't', after: 1e20 }), { code: 'bad_request' });
    assert.equal(parse.send({ room: 'r', text: 'x', clientId: '😀'.repeat(64) }).clientId, '😀'.repeat(64));
    for (const clientId of ['a\u0000b', 'tab\t', '\uD800', 'x'.repeat(65), '']) {
      assert.throws(() => parse.send({ room: 'r', text: 'x', clientId }), { code: 'bad_request' }, JSON.stringify(clientId));
    }
  });

  test('names lose control characters and stop at 40 characters', () => {
    assert.equal(cleanName(' A\u0000b\u001bc\u200e '), 'Abc');
    assert.equal(cleanName('Eve\u202E\u2066 \uD800\nX'), 'Eve \uFFFDX');
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
});
