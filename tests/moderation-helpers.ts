import type { TestContext } from 'node:test';
import { SignJWT } from 'jose';
import type { ErrorBody } from '../src/protocol.js';
import { redisAvailable, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { connectChat, createTestDatabase, startApp } from './helpers.js';

export const secret = 'test-secret-0123456789abcdef';
export const apiKey = 'test-api-key-0123456789';
/** What the moderation tests' servers run with: tokens and the API key. */
export const moderationEnv = { JWT_SECRET: secret, API_KEY: apiKey };

/** A user JWT of the tests' secret, valid for an hour. */
export function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
}

/** Connects a `/chat` client as the user the claims describe. */
export async function connectAs(url: string, claims: Record<string, unknown>) {
  return connectChat(url, { token: await token(claims) });
}

export interface ApiAnswer<T> {
  status: number;
  body: T & { ok?: false; error?: ErrorBody };
}

/** One JSON request to the moderation HTTP API, with `credentials` as its bearer (none when empty). */
export async function api<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  credentials: string,
  body?: unknown,
): Promise<ApiAnswer<T>> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(credentials ? { authorization: `Bearer ${credentials}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiAnswer<T>['body'] };
}

/**
 * Two nodes in this process sharing PostgreSQL and Redis, as a cluster of roomcast runs; undefined
 * (and the test skipped, loudly outside CI) without them.
 */
export async function moderationCluster(t: TestContext, env: Record<string, string> = {}) {
  const databaseUrl = await createTestDatabase();
  if (!databaseUrl || !(await redisAvailable())) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  const shared = { ...moderationEnv, DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix(), ...env };
  return Promise.all(['a', 'b'].map((name) => startApp({ ...shared, NODE_NAME: name })));
}
