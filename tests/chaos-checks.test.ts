import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { freePort } from './cluster-helpers.js';
import { loadBalancer, type Sent, startAll, until, type View, viewProblems } from './chaos-helpers.js';
import { startApp } from './helpers.js';

/** The chaos runs' own tools, proven able to fail. */

function message(seq: number, clientId: string, text = `m${seq}`, author = 'ada'): Message {
  return { id: `r:${seq}`, seq, room: 'r', text, author: { id: author, name: author, kind: 'guest' }, clientId, ts: 1000 + seq };
}

const stored = [message(1, 'a'), message(2, 'b'), message(3, 'c')];
const store = new Map([['r', stored]]);
const sent: Sent[] = [
  { room: 'r', author: 'ada', clientId: 'a', text: 'm1', seq: 1 },
  { room: 'r', author: 'ada', clientId: 'c', text: 'm3' },
];
const view = (messages: Message[]): View => ({ client: 'bob', room: 'r', messages });

describe('the view checker', () => {
  test('finds nothing wrong when every view is the store', () => {
    assert.deepEqual(viewProblems(store, [view(stored), view([...stored])], sent), []);
  });

  test('finds a missing, a repeated, a changed, an invented and a misordered message in a view', () => {
    const cases: [Message[], RegExp][] = [
      [[stored[0]!, stored[2]!], /missing: 2$/],
      [[stored[0]!, stored[1]!, stored[1]!, stored[2]!], /seq 2 shown 2 times/],
      [[stored[0]!, message(2, 'b', 'lie'), stored[2]!], /seq 2 is .*lie/],
      [[...stored, message(4, 'd')], /seq 4 "m4" is not in the store/],
      [[stored[1]!, stored[0]!, stored[2]!], /seq 1 shown after 2/],
      [[stored[0]!, stored[1]!, { ...stored[2]!, seq: 4, id: 'r:4' }, stored[2]!], /ada c \(author, clientId\) shown 2 times/],
    ];
    for (const [messages, expected] of cases) {
      const problems = viewProblems(store, [view(messages)], sent);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} not in ${JSON.stringify(problems)}`,
      );
    }
  });

  test('compares a page’s view on the fields it shows, and finds an outboxed message shown twice', () => {
    const fields = ['seq', 'text', 'clientId'] as const;
    const page = (messages: View['messages'], pending: View['pending'] = []): View => ({
      client: 'page',
      room: 'r',
      messages,
      fields,
      pending,
    });
    const shown = stored.map(({ seq, text, clientId }) => ({ seq, text, ...(clientId ? { clientId } : {}) }));
    assert.deepEqual(viewProblems(store, [page(shown, [{ clientId: 'd', text: 'm4' }])], sent), []);
    const cases: [View, RegExp][] = [
      [page([shown[0]!, { ...shown[1]!, text: 'lie' }, shown[2]!]), /seq 2 is .*lie/],
      [page([shown[0]!, { ...shown[1]!, clientId: 'x' }, shown[2]!]), /seq 2 is .*"x"/],
      [
        page(shown, [
          { clientId: 'd', text: 'm4' },
          { clientId: 'd', text: 'm4' },
        ]),
        /clientId d shown pending 2 times/,
      ],
      [page(shown, [{ clientId: 'c', text: 'm3' }]), /clientId c shown both sent and pending/],
    ];
    for (const [v, expected] of cases) {
      const problems = viewProblems(store, [v], sent);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} not in ${JSON.stringify(problems)}`,
      );
    }
  });

  test('finds a store with a gap or a clientId twice, and sends stored twice, never, or otherwise', () => {
    const twice = new Map([['r', [...stored, message(4, 'c')]]]);
    assert.ok(viewProblems(twice, [], sent).some((p) => /clientId c stored 2 times/.test(p)));
    assert.ok(viewProblems(twice, [], sent).some((p) => /"m3" .* stored 2 times/.test(p)));
    const gap = new Map([['r', [stored[0]!, stored[2]!]]]);
    assert.ok(viewProblems(gap, [], []).some((p) => /seqs not 1, 2, 3/.test(p)));
    const lost: Sent = { room: 'r', author: 'ada', clientId: 'z', text: 'lost', seq: 4 };
    assert.ok(viewProblems(store, [], [lost]).some((p) => /"lost" .* stored 0 times/.test(p)));
    const renumbered: Sent = { room: 'r', author: 'ada', clientId: 'b', text: 'm2', seq: 7 };
    assert.ok(viewProblems(store, [], [renumbered]).some((p) => /acked as seq 7, stored as 2/.test(p)));
    const otherAuthor: Sent = { room: 'r', author: 'eve', clientId: 'b', text: 'm2' };
    assert.ok(viewProblems(store, [], [otherAuthor]).some((p) => /stored as ada's, sent by eve/.test(p)));
  });
});

describe('the test load balancer', () => {
  test('skips a backend that refuses, spreads clients over the live ones, and moves them when one goes', async () => {
    const [a, b] = await Promise.all([startApp(), startApp()]);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const lb = await loadBalancer([dead, a.url, b.url]);
    const clients = await startAll(
      [1, 2, 3, 4].map((i) => ({ url: lb.url, options: { name: `c${i}`, rooms: ['lb'], backoff: { min: 50, max: 200 } } })),
    );
    assert.deepEqual([lb.connections(dead), lb.connections(a.url), lb.connections(b.url)], [0, 2, 2]);
    assert.ok(lb.refused(dead) > 0, 'the dead backend was never tried');

    await a.close();
    await until(
      [lb.events, ...clients.map((c) => c.events)],
      () => lb.connections(b.url) === 4 && clients.every((c) => c.ready),
      'all on b',
    );
    assert.equal(lb.connections(a.url), 0);
    // The two of `a` came back once, through the balancer, to `b`.
    assert.deepEqual(clients.map((c) => c.stats.connects).sort(), [1, 1, 2, 2]);
  });
});
