import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Identity, mayModerate } from '../src/identity.js';
import { connectChat, startApp } from './helpers.js';
import { connectAs, moderationEnv } from './moderation-helpers.js';

function identity(roles: Partial<Identity>): Identity {
  return { user: { id: 'u', name: 'U', kind: 'user' }, rooms: [], topics: [], admin: false, moderates: [], inboxes: [], ...roles };
}

describe('moderation roles', () => {
  test('mayModerate: admin everywhere, moderates its rooms or *, nobody else', () => {
    assert.equal(mayModerate(identity({ admin: true }), 'any'), true);
    assert.equal(mayModerate(identity({ moderates: ['lobby'] }), 'lobby'), true);
    assert.equal(mayModerate(identity({ moderates: ['lobby'] }), 'other'), false);
    assert.equal(mayModerate(identity({ moderates: ['*'] }), 'other'), true);
    assert.equal(mayModerate(identity({ rooms: ['*'] }), 'lobby'), false);
    assert.equal(mayModerate(identity({}), 'lobby'), false);
  });

  test('session carries admin and moderates from the token, and nothing for others', async () => {
    const { url } = await startApp(moderationEnv);
    const admin = await connectAs(url, { sub: 'root', admin: true });
    assert.equal(admin.admin, true);
    assert.equal(admin.moderates, undefined);
    const moderator = await connectAs(url, { sub: 'mod', moderates: ['lobby', 7, '*'] });
    assert.deepEqual(moderator.moderates, ['lobby', '*']);
    assert.equal(moderator.admin, undefined);
    const user = await connectAs(url, { sub: 'ada', admin: 'yes', moderates: 'lobby' });
    assert.equal(user.admin, undefined);
    assert.equal(user.moderates, undefined);
    const guest = await connectChat(url);
    assert.equal(guest.admin, undefined);
    assert.equal(guest.moderates, undefined);
  });
});
