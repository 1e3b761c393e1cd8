import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createBus, type DomainEvents } from '../src/bus.js';
import type { PresenceEvent } from '../src/protocol.js';
import { createPresenceUpdates, presenceWindowMs } from '../src/realtime/presence-updates.js';

const ada = { id: 'ada', name: 'Ada', kind: 'user' as const };
const bob = { id: 'bob', name: 'Bob', kind: 'user' as const };
const carl = { id: 'carl', name: 'Carl', kind: 'user' as const };

function setup() {
  const bus = createBus(pino({ level: 'silent' }));
  const domain: [string, DomainEvents['member.joined']][] = [];
  bus.on('member.joined', (e) => domain.push(['joined', e]));
  bus.on('member.left', (e) => domain.push(['left', e]));
  const sent: PresenceEvent[] = [];
  const waiters: (() => void)[] = [];
  const updates = createPresenceUpdates((event) => {
    sent.push(event);
    waiters.shift()?.();
  }, bus);
  /** Resolves at the next event sent (or rejects after twice the window). */
  const nextSent = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no presence:update sent')), presenceWindowMs * 2);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return { updates, sent, domain, nextSent };
}

describe('presence updates', () => {
  test('a window of several changes is one event with its net joins and leaves; the bus gets each change', async () => {
    const { updates, sent, domain, nextSent } = setup();
    updates.joined('r', ada, 1);
    assert.deepEqual(sent, [{ room: 'r', joined: ada, count: 1 }], 'the first change in a quiet room goes out at once');
    updates.joined('r', bob, 2);
    updates.left('r', bob, 1);
    updates.left('r', ada, 0);
    updates.joined('r', carl, 1);
    updates.joined('other', bob, 1);
    assert.equal(sent.length, 2, 'another room has its own window');
    await nextSent();
    // Bob came and went within the window: in neither list. Ada was in at its start, Carl at its end.
    assert.deepEqual(sent[2], { room: 'r', count: 1, joins: [carl], leaves: [ada] });
    assert.deepEqual(
      domain.map(([kind, e]) => [kind, e.room, e.member.id, e.count]),
      [
        ['joined', 'r', 'ada', 1],
        ['joined', 'r', 'bob', 2],
        ['left', 'r', 'bob', 1],
        ['left', 'r', 'ada', 0],
        ['joined', 'r', 'carl', 1],
        ['joined', 'other', 'bob', 1],
      ],
    );
  });

  test('a window with one change sends it in the v1 shape; flush sends what is gathered at once', async () => {
    const { updates, sent, nextSent } = setup();
    updates.joined('r', ada, 1);
    const windowEnd = nextSent();
    updates.left('r', ada, 0);
    await windowEnd;
    assert.deepEqual(sent[1], { room: 'r', left: ada, count: 0 });

    updates.joined('s', ada, 1);
    updates.joined('s', bob, 2);
    updates.flush();
    assert.deepEqual(sent.slice(2), [
      { room: 's', joined: ada, count: 1 },
      { room: 's', joined: bob, count: 2 },
    ]);
  });
});
