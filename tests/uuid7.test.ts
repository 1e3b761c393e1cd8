import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validate, version } from 'uuid';
import { uuidv7 } from '../web-components/uuid7.js';

test('uuidv7: RFC 9562 version 7 and variant bits, the time of creation in its first 48 bits', () => {
  const before = Date.now();
  const id = uuidv7();
  const after = Date.now();
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(validate(id));
  assert.equal(version(id), 7);
  const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(ms >= before && ms <= after + 1, `${ms} not in [${before}, ${after}]`);
});

test('uuidv7: 20000 ids made in a tight loop (many in one ms) are unique and strictly increasing', () => {
  const ids = Array.from({ length: 20000 }, () => uuidv7());
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok((ids[i - 1] as string) < (ids[i] as string), `${ids[i - 1]} >= ${ids[i]}`);
  // Many per ms, so the counter was used; ids still carry a time close to now.
  const lastMs = Number.parseInt((ids.at(-1) as string).replace(/-/g, '').slice(0, 12), 16);
  assert.ok(Math.abs(lastMs - Date.now()) < 5000);
});

test('uuidv7: the random part differs between ids', () => {
  const tails = new Set(Array.from({ length: 100 }, () => uuidv7().slice(19)));
  assert.equal(tails.size, 100);
});

test('uuidv7: ids keep increasing when the clock steps back, and past 4096 ids in one ms', (t) => {
  const realNow = Date.now;
  t.after(() => {
    Date.now = realNow;
  });
  const first = uuidv7();
  Date.now = () => realNow() - 60_000; // the clock is set back a minute
  const ids = [first, ...Array.from({ length: 5000 }, () => uuidv7())];
  for (let i = 1; i < ids.length; i++) assert.ok((ids[i - 1] as string) < (ids[i] as string), `${ids[i - 1]} >= ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
});
