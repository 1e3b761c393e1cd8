import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { SignJWT } from 'jose';
import { foldName } from '../src/reserved-names.js';
import { redisAvailable, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, connectChat, nextMessages, startApp } from './helpers.js';

const jwtSecret = 'guest-names-jwt-secret-0123';
const guestName = /^Guest \d{4}$/;

function token(sub: string, name: string) {
  return new SignJWT({ sub, name }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(jwtSecret));
}

/** The name the server gives a guest who asks for `name`. */
async function nameGiven(url: string, name: string): Promise<string> {
  const { user, socket } = await connectChat(url, { name });
  assert.equal(user.kind, 'guest');
  socket.disconnect();
  return user.name;
}

describe('guests always look like guests', () => {
  test('look-alikes fold to the same name', () => {
    for (const name of ['System', 'SYSTEM', 's.y.s.t.e.m', 'Ｓｙｓｔｅｍ', 'Sуstеm', 'Ѕуѕтем', 'Sÿstém', 'Sy\u200Bstem']) {
      assert.equal(foldName(name), 'system', name);
    }
    assert.equal(foldName('Аdа Lоvеlасе'), foldName('Ada Lovelace'));
    assert.notEqual(foldName('Ada'), foldName('Ada Lovelace'));
    assert.notEqual(foldName('李小龍'), '');
  });

  test('a guest cannot take System, RESERVED_NAMES or a signed-in user name, in any look-alike spelling', async () => {
    const { url } = await startApp({ JWT_SECRET: jwtSecret, RESERVED_NAMES: 'Roomcast Support, Grace Hopper' });
    for (const name of ['System', 'ｓｙｓｔｅｍ', 'Sуstеm', 'roomcast-support', 'Grace  HOPPER', 'Grасе Норрег']) {
      assert.match(await nameGiven(url, name), guestName, name);
    }
    for (const name of ['Ada', 'Zoë', '李小龍', 'Systematic']) assert.equal(await nameGiven(url, name), name);

    const ada = await connectChat(url, { token: await token('u-ada', 'Ada Lovelace') });
    assert.deepEqual(ada.user, { id: 'u-ada', name: 'Ada Lovelace', kind: 'user' });
    const copies = await Promise.all(['Ada Lovelace', 'Аdа Lоvеlасе', 'ada lovelace!'].map((name) => nameGiven(url, name)));
    for (const name of copies) assert.match(name, guestName);

    // What others see: the guest's messages say guest, the user's say user.
    const guest = await connectChat(url, { name: 'Аdа Lоvеlасе' });
    await acked(ada.socket).emitWithAck('room:join', { room: 'who' });
    await acked(guest.socket).emitWithAck('room:join', { room: 'who' });
    const seen = nextMessages(ada.socket, 2);
    await acked(guest.socket).emitWithAck('message:send', { room: 'who', text: 'I am Ada', clientId: randomUUID() });
    await acked(ada.socket).emitWithAck('message:send', { room: 'who', text: 'No, I am', clientId: randomUUID() });
    const [fromGuest, fromUser] = await seen;
    assert.equal(fromGuest?.author.kind, 'guest');
    assert.match(fromGuest?.author.name ?? '', guestName);
    assert.deepEqual(fromUser?.author, ada.user);
  });

  test('with Redis, a name seen on one node is reserved on the others', async (t: TestContext) => {
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const env = { JWT_SECRET: jwtSecret, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix() };
    const [a, b] = await Promise.all([startApp(env), startApp(env)]);
    await connectChat(a.url, { token: await token('u-grace', 'Grace Hopper') });
    assert.match(await nameGiven(b.url, 'Grace Hopper'), guestName);
    assert.equal(await nameGiven(b.url, 'Grace'), 'Grace');
  });
});
