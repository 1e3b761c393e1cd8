import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { type DomainEventName, domainEventNames } from './bus.js';

/** Everything roomcast reads from its environment, parsed and validated once at start. */
export interface Config {
  /** PORT: HTTP and Socket.IO port. Default 3000. */
  port: number;
  /** HOST: interface to bind. Default 0.0.0.0 (a platform router must reach it). */
  host: string;
  /** DATABASE_PATH: the SQLite file. Default ./data/roomcast.db. */
  databasePath: string;
  /** DATABASE_URL: a postgres:// URL; when set, PostgreSQL is the store instead of SQLite. */
  databaseUrl: string | undefined;
  /** REDIS_URL: redis:// or rediss://; when set, nodes share Socket.IO broadcasts and state. */
  redisUrl: string | undefined;
  /** REDIS_SHARDED: use the sharded adapter (Redis 7 sharded pub/sub, Redis Cluster). */
  redisSharded: boolean;
  /** REDIS_TLS_INSECURE: accept self-signed certificates on rediss:// (some hosted plans). */
  redisTlsInsecure: boolean;
  /** REDIS_PREFIX: prefix of every key and channel, so deployments can share one Redis. */
  redisPrefix: string;
  /** NODE_HEARTBEAT_MS: how often a node says it is alive; a node silent 3 times is gone. */
  nodeHeartbeatMs: number;
  /** ALLOWED_ORIGINS: browser origins that may connect; empty means same origin only, `*` any. */
  allowedOrigins: string[];
  /**
   * PUBLIC_URL: the origin browsers reach roomcast at (e.g. `https://chat.example.com`), used for
   * same-origin checks and the CSP instead of the request's Host header. Default unset.
   */
  publicUrl: string | undefined;
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For and X-Forwarded-Proto to believe: `false` (none,
   * the default), a hop count, or their addresses and CIDR ranges.
   */
  trustProxy: TrustProxy;
  /** ALLOW_GUESTS: accept visitors without a token. Default true. */
  allowGuests: boolean;
  /** JWT_SECRET: HS256 secret for user tokens; unset turns user tokens off. */
  jwtSecret: string | undefined;
  /** JWT_MAX_AGE: the longest lifetime, in seconds, a user token may have. Default 86400 (24 h). */
  jwtMaxAgeSeconds: number;
  /** API_KEY: bearer key of the backend HTTP API; unset turns that API off. */
  apiKey: string | undefined;
  /**
   * METRICS_TOKEN: bearer token of `GET /metrics`; unset: metrics are served to loopback clients
   * only (the TCP peer and, behind a trusted proxy, the client both on loopback).
   */
  metricsToken: string | undefined;
  /** SESSION_SECRET: signs guest session tokens; unset: kept in the store. */
  sessionSecret: string | undefined;
  /** HISTORY_LIMIT: messages sent on join without `limit`. Default 50. */
  historyLimit: number;
  /** HISTORY_MAX_LIMIT: the largest `limit` a client may ask for. Default 200. */
  historyMaxLimit: number;
  /** MAX_MESSAGE_LENGTH: characters of a message after cleaning and trimming; longer is too_large. Default 2000. */
  maxMessageLength: number;
  /** EDIT_WINDOW_SECONDS: how long after sending its author may edit a message (moderators: any time). Default 900. */
  editWindowSeconds: number;
  /** MAX_UPLOAD_BYTES: the largest attachment in bytes; larger is too_large before it is read. Default 10485760 (10 MB). */
  maxUploadBytes: number;
  /** UPLOADS_PER_MINUTE: attachments each user may upload per minute, all nodes together. Default 10. */
  uploadsPerMinute: number;
  /** UPLOAD_BYTES_PER_HOUR: bytes each user may upload per hour, all nodes together. Default 104857600 (100 MB). */
  uploadBytesPerHour: number;
  /** MAX_HTTP_BUFFER_SIZE: Engine.IO's maxPayload, the largest packet in bytes; above it the transport is closed. Default 65536. */
  maxHttpBufferSize: number;
  /**
   * PING_INTERVAL_MS: Engine.IO heartbeat; stays below 30 s for platform routers, and a ping every
   * 20 s keeps a connection busy behind any 55 s idle proxy. Default 20000.
   */
  pingIntervalMs: number;
  /**
   * PING_TIMEOUT_MS: how long a pong may be late before the connection is dropped. Default 10000,
   * so with the interval a silent drop is noticed within 30 s.
   */
  pingTimeoutMs: number;
  /** MESSAGE_RATE_PER_SEC: sustained `message:send` per user, all their sockets and nodes together. Default 5. */
  messageRatePerSec: number;
  /** MESSAGE_RATE_BURST: `message:send` a user may make at once. Default 10. */
  messageRateBurst: number;
  /** CONNECTIONS_PER_ADDRESS: connections one client address may hold open on one node. Default 100. */
  connectionsPerAddress: number;
  /** CONNECTION_RATE_PER_ADDRESS: new connections one client address may open a minute, all nodes together. Default 300. */
  connectionRatePerAddress: number;
  /** ROOMS_PER_SOCKET: rooms (`/chat`) or topics (`/push`) one socket may be in at once. Default 100. */
  roomsPerSocket: number;
  /** TYPING_INTERVAL_SECONDS: a user's `typing: true` is relayed to a room at most once this often. Default 2. */
  typingIntervalSeconds: number;
  /** HISTORY_RATE_PER_SEC: history reads (`room:join`, `message:history`) per user a second, counted over 5 s. Default 20. */
  historyRatePerSec: number;
  /** HISTORY_READS_PER_SOCKET: `message:history` requests one socket may have unanswered. Default 4. */
  historyReadsPerSocket: number;
  /** NEW_ROOMS_PER_ADDRESS: rooms one client address may create (by their first message) an hour. Default 30. */
  newRoomsPerAddress: number;
  /** PUSH_RETENTION_BYTES: retained pushes of all topics together, as JSON; the oldest go first. Default 64 MiB. */
  pushRetentionBytes: number;
  /** RESERVED_NAMES: names guests cannot take (besides `System` and the names of users seen). Default none. */
  reservedNames: string[];
  /** PUSH_RETENTION_COUNT: pushes kept per topic for recovery. Default 100. */
  pushRetentionCount: number;
  /** PUSH_RETENTION_SECONDS: how long a push is kept for recovery. Default 600. */
  pushRetentionSeconds: number;
  /** LIVE_INTERVAL_MS: live-data push interval. Default 2000. */
  liveIntervalMs: number;
  /** LIVE_DURATION_MS: how long one live-data click keeps pushing. Default 60000. */
  liveDurationMs: number;
  /** WEBHOOK_URL: where domain events are POSTed; unset turns webhooks off. */
  webhookUrl: string | undefined;
  /** WEBHOOK_SECRET: HMAC-SHA256 key of X-Roomcast-Signature; required with WEBHOOK_URL. */
  webhookSecret: string | undefined;
  /** WEBHOOK_EVENTS: the domain events sent. Default message.created,member.joined,member.left and the conversation.* events. */
  webhookEvents: DomainEventName[];
  /** WEBHOOK_MAX_ATTEMPTS: tries per event before it is dropped. Default 5. */
  webhookMaxAttempts: number;
  /** WEBHOOK_QUEUE_SIZE: events waiting at most; more are dropped and logged. Default 1000. */
  webhookQueueSize: number;
  /** WEBHOOK_TIMEOUT_MS: how long one POST may take. Default 5000. */
  webhookTimeoutMs: number;
  /** SHUTDOWN_TIMEOUT_MS: hard exit after SIGTERM. Default 25000. */
  shutdownTimeoutMs: number;
  /** DRAIN_RATE: at shutdown, clients sent to the other nodes per second, at most. Default 500. */
  drainRate: number;
  /** DRAIN_MS: the longest the drain at shutdown may take (a faster pace past it). Default 15000. */
  drainMs: number;
  /** LOG_LEVEL: fatal, error, warn, info, debug, trace or silent. Default info. */
  logLevel: LogLevel;
  /** NODE_NAME: this node's name in logs and live data. Default the host name. */
  nodeName: string;
  /**
   * DEMO: demo mode. `GET /api/demo/staff-token` hands anyone a short-lived staff token of the
   * `support` inbox (the `/inbox?demo` link on `/demo`); without JWT_SECRET the server signs it with
   * a random secret of its own, kept in the database. Never on a site with real visitors. Default false.
   */
  demo: boolean;
}

/** Fastify's `trustProxy`: off, the number of proxies in front, or their addresses. */
export type TrustProxy = false | number | string[];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof logLevels)[number];

/** A bad environment value: one line naming the variable and the problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Variable<K extends keyof Config> {
  name: string;
  key: K;
  default: string | undefined;
  help: string;
  parse: (raw: string, name: string) => Config[K];
}

function integer(min: number, max: number) {
  return (raw: string, name: string): number => {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function boolean(raw: string, name: string): boolean {
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function text(raw: string): string {
  return raw;
}

function secret(raw: string, name: string): string {
  if (raw.length < 16) throw new ConfigError(`${name} must be at least 16 characters long`);
  return raw;
}

function origins(raw: string, name: string): string[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`${name} must be a comma-separated list of origins like https://example.com, got "${origin}"`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(`${name} entries must be bare origins (scheme://host[:port]), got "${origin}"`);
    }
  }
  return list.map((o) => o.replace(/\/$/, ''));
}

/**
 * A URL as logs and error lines may show it: without credentials and query string, where
 * passwords and tokens hide.
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const credentials = url.username || url.password ? '***@' : '';
    return `${url.protocol}//${credentials}${url.host}${url.pathname}${url.search ? '?***' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

function urlWithScheme(schemes: readonly string[]) {
  return (raw: string, name: string): string => {
    let scheme = '';
    try {
      scheme = new URL(raw).protocol;
    } catch {}
    if (!schemes.includes(scheme)) {
      throw new ConfigError(`${name} must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL, got "${redactUrl(raw)}"`);
    }
    return raw;
  };
}
const postgresUrl = urlWithScheme(['postgres:', 'postgresql:']);
const redisUrl = urlWithScheme(['redis:', 'rediss:']);
const httpUrl = urlWithScheme(['http:', 'https:']);

function webhookUrl(raw: string, name: string): string {
  const { username, password } = new URL(httpUrl(raw, name));
  // fetch refuses such a URL on every delivery, and the credentials would end up in logs.
  if (username || password) {
    throw new ConfigError(
      `${name} must not contain credentials (user:password@); receivers check X-Roomcast-Signature with WEBHOOK_SECRET instead`,
    );
  }
  return raw;
}

function publicOrigin(raw: string, name: string): string {
  let origin: string | undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
  } catch {}
  // Compared with what was given, so a path, a query or credentials do not pass silently.
  if (origin === undefined || origin !== raw.replace(/\/$/, '').toLowerCase()) {
    throw new ConfigError(`${name} must be the bare public origin, like https://chat.example.com, got "${redactUrl(raw)}"`);
  }
  return origin;
}

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts. */
const rangeNames = ['loopback', 'linklocal', 'uniquelocal'];

function addressOrRange(entry: string): boolean {
  if (rangeNames.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

function trustProxy(raw: string, name: string): TrustProxy {
  const value = raw.toLowerCase();
  if (['false', 'off', 'no', '0'].includes(value)) return false;
  if (['true', 'on', 'yes'].includes(value)) {
    throw new ConfigError(
      `${name}=${raw} would let any client choose its own address with X-Forwarded-For; give the number of proxies in front of roomcast (1 behind Heroku's router) or their addresses`,
    );
  }
  if (/^\d+$/.test(raw)) return integer(1, 10)(raw, name);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((entry) => !addressOrRange(entry));
  if (bad !== undefined || list.length === 0) {
    throw new ConfigError(
      `${name} must be off, a hop count or comma-separated addresses and CIDR ranges (e.g. 10.0.0.5,192.168.0.0/16), got "${bad ?? raw}"`,
    );
  }
  return list;
}

function names(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function domainEvents(raw: string, name: string): DomainEventName[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const event of list) {
    if (!(domainEventNames as readonly string[]).includes(event)) {
      throw new ConfigError(`${name} lists "${event}"; known events: ${domainEventNames.join(', ')}`);
    }
  }
  return list as DomainEventName[];
}

function logLevel(raw: string, name: string): LogLevel {
  const level = logLevels.find((l) => l === raw);
  if (!level) throw new ConfigError(`${name} must be one of ${logLevels.join(', ')}, got "${raw}"`);
  return level;
}

function optional<T>(parse: (raw: string, name: string) => T) {
  return (raw: string, name: string): T | undefined => (raw === '' ? undefined : parse(raw, name));
}

type Variables = { [K in keyof Config]: Variable<K> }[keyof Config];

const variables: Variables[] = [
  { name: 'PORT', key: 'port', default: '3000', help: 'HTTP and Socket.IO port', parse: integer(0, 65535) },
  { name: 'HOST', key: 'host', default: '0.0.0.0', help: 'interface to bind', parse: text },
  {
    name: 'DATABASE_PATH',
    key: 'databasePath',
    default: './data/roomcast.db',
    help: 'SQLite file (its folder is created)',
    parse: text,
  },
  {
    name: 'DATABASE_URL',
    key: 'databaseUrl',
    default: undefined,
    help: 'postgres:// URL (sslmode honoured); set: PostgreSQL instead of SQLite, needed for several nodes',
    parse: optional(postgresUrl),
  },
  {
    name: 'REDIS_URL',
    key: 'redisUrl',
    default: undefined,
    help: 'redis:// or rediss:// URL; set: nodes share broadcasts, presence, pushes and limits',
    parse: optional(redisUrl),
  },
  {
    name: 'REDIS_SHARDED',
    key: 'redisSharded',
    default: 'false',
    help: 'use the sharded Socket.IO adapter (Redis 7+ sharded pub/sub, Redis Cluster)',
    parse: boolean,
  },
  {
    name: 'REDIS_TLS_INSECURE',
    key: 'redisTlsInsecure',
    default: 'false',
    help: 'accept self-signed certificates on rediss:// (hosted plans that use them)',
    parse: boolean,
  },
  {
    name: 'REDIS_PREFIX',
    key: 'redisPrefix',
    default: 'roomcast:',
    help: 'prefix of every Redis key and channel, so deployments can share one Redis',
    parse: text,
  },
  {
    name: 'NODE_HEARTBEAT_MS',
    key: 'nodeHeartbeatMs',
    default: '5000',
    help: 'how often a node tells Redis it is alive; a dead node leaves presence after 3 missed beats',
    parse: integer(100, 60_000),
  },
  {
    name: 'ALLOWED_ORIGINS',
    key: 'allowedOrigins',
    default: '',
    help: 'comma-separated browser origins allowed to connect; empty: same origin only; * for any',
    parse: origins,
  },
  {
    name: 'PUBLIC_URL',
    key: 'publicUrl',
    default: undefined,
    help: 'the origin browsers reach roomcast at (https://chat.example.com): same-origin checks and the CSP use it; unset: the Host header (checked)',
    parse: optional(publicOrigin),
  },
  {
    name: 'TRUST_PROXY',
    key: 'trustProxy',
    default: 'off',
    help: "whose X-Forwarded-For to believe: off, a hop count (1 behind Heroku's router) or comma-separated proxy addresses/CIDRs",
    parse: trustProxy,
  },
  { name: 'ALLOW_GUESTS', key: 'allowGuests', default: 'true', help: 'accept visitors without a token', parse: boolean },
  {
    name: 'JWT_SECRET',
    key: 'jwtSecret',
    default: undefined,
    help: 'HS256 secret for user tokens (16+ chars); unset: user tokens are refused',
    parse: optional(secret),
  },
  {
    name: 'JWT_MAX_AGE',
    key: 'jwtMaxAgeSeconds',
    default: '86400',
    help: 'longest lifetime of a user token in seconds (exp - iat, or exp - now without iat)',
    parse: integer(60, 31_536_000),
  },
  {
    name: 'API_KEY',
    key: 'apiKey',
    default: undefined,
    help: 'bearer key of the backend HTTP API (16+ chars); unset: that API answers 401',
    parse: optional(secret),
  },
  {
    name: 'METRICS_TOKEN',
    key: 'metricsToken',
    default: undefined,
    help: 'bearer token Prometheus scrapes GET /metrics with (16+ chars); unset: only loopback clients may read it',
    parse: optional(secret),
  },
  {
    name: 'SESSION_SECRET',
    key: 'sessionSecret',
    default: undefined,
    help: 'signs guest session tokens (16+ chars); unset: a random one kept in the database',
    parse: optional(secret),
  },
  {
    name: 'HISTORY_LIMIT',
    key: 'historyLimit',
    default: '50',
    help: 'messages sent on join when no limit is asked',
    parse: integer(1, 1000),
  },
  {
    name: 'HISTORY_MAX_LIMIT',
    key: 'historyMaxLimit',
    default: '200',
    help: 'largest history page a client may ask for',
    parse: integer(1, 1000),
  },
  {
    name: 'MAX_MESSAGE_LENGTH',
    key: 'maxMessageLength',
    default: '2000',
    help: 'characters of a message after cleaning and trimming; longer is too_large',
    parse: integer(1, 20000),
  },
  {
    name: 'EDIT_WINDOW_SECONDS',
    key: 'editWindowSeconds',
    default: '900',
    help: "how long after sending its author may edit a message (a room's moderators: any time); 0: authors may not edit",
    parse: integer(0, 31_536_000),
  },
  {
    name: 'MAX_UPLOAD_BYTES',
    key: 'maxUploadBytes',
    default: '10485760',
    help: 'largest attachment in bytes; larger is too_large before its body is read',
    parse: integer(1024, 100 * 1024 * 1024),
  },
  {
    name: 'UPLOADS_PER_MINUTE',
    key: 'uploadsPerMinute',
    default: '10',
    help: 'attachments each user may upload per minute',
    parse: integer(1, 10_000),
  },
  {
    name: 'UPLOAD_BYTES_PER_HOUR',
    key: 'uploadBytesPerHour',
    default: '104857600',
    help: 'bytes each user may upload per hour',
    parse: integer(1024, 100 * 1024 * 1024 * 1024),
  },
  {
    name: 'MAX_HTTP_BUFFER_SIZE',
    key: 'maxHttpBufferSize',
    default: '65536',
    help: "Engine.IO's maxPayload: the largest packet in bytes; above it the transport is closed",
    parse: integer(1024, 10_000_000),
  },
  {
    name: 'PING_INTERVAL_MS',
    key: 'pingIntervalMs',
    default: '20000',
    help: 'Engine.IO heartbeat; below 30000 so platform routers keep long-polls alive and idle proxies never close a connection',
    parse: integer(1000, 29_999),
  },
  {
    name: 'PING_TIMEOUT_MS',
    key: 'pingTimeoutMs',
    default: '10000',
    help: 'how late a pong may be before the connection is dropped; with the interval, how soon a silent drop is noticed',
    parse: integer(1000, 120_000),
  },
  {
    name: 'MESSAGE_RATE_PER_SEC',
    key: 'messageRatePerSec',
    default: '5',
    help: 'sustained message:send per user, all their sockets and nodes together',
    parse: integer(1, 100_000),
  },
  {
    name: 'MESSAGE_RATE_BURST',
    key: 'messageRateBurst',
    default: '10',
    help: 'message:send a user may make at once (counted over BURST/RATE seconds)',
    parse: integer(1, 100_000),
  },
  {
    name: 'CONNECTIONS_PER_ADDRESS',
    key: 'connectionsPerAddress',
    default: '100',
    help: 'connections one client address (an IPv6 /64) may hold open on one node; raise it for offices behind one address',
    parse: integer(1, 1_000_000),
  },
  {
    name: 'CONNECTION_RATE_PER_ADDRESS',
    key: 'connectionRatePerAddress',
    default: '300',
    help: 'new connections one client address may open a minute, all nodes together',
    parse: integer(1, 1_000_000),
  },
  {
    name: 'ROOMS_PER_SOCKET',
    key: 'roomsPerSocket',
    default: '100',
    help: 'rooms (/chat) or topics (/push) one socket may be in at once',
    parse: integer(1, 100_000),
  },
  {
    name: 'TYPING_INTERVAL_SECONDS',
    key: 'typingIntervalSeconds',
    default: '2',
    help: "a user's typing:update is relayed to a room at most once this often; the rest are dropped",
    parse: integer(1, 60),
  },
  {
    name: 'HISTORY_RATE_PER_SEC',
    key: 'historyRatePerSec',
    default: '20',
    help: 'history reads (room:join, message:history) per user a second, all nodes together, counted over 5 s',
    parse: integer(1, 1_000_000),
  },
  {
    name: 'HISTORY_READS_PER_SOCKET',
    key: 'historyReadsPerSocket',
    default: '4',
    help: 'message:history requests one socket may have unanswered at once',
    parse: integer(1, 1000),
  },
  {
    name: 'NEW_ROOMS_PER_ADDRESS',
    key: 'newRoomsPerAddress',
    default: '30',
    help: 'rooms one client address may create an hour (a room is created by its first message)',
    parse: integer(1, 1_000_000),
  },
  {
    name: 'PUSH_RETENTION_BYTES',
    key: 'pushRetentionBytes',
    default: String(64 * 1024 * 1024),
    help: 'retained pushes of all topics together, in bytes of JSON; past it the oldest are dropped',
    parse: integer(0, 2 ** 40),
  },
  {
    name: 'RESERVED_NAMES',
    key: 'reservedNames',
    default: '',
    help: 'comma-separated names guests cannot take, look-alikes included (System and the names of signed-in users are always reserved)',
    parse: names,
  },
  {
    name: 'PUSH_RETENTION_COUNT',
    key: 'pushRetentionCount',
    default: '100',
    help: 'pushes kept per topic so reconnecting clients can recover them',
    parse: integer(0, 100_000),
  },
  {
    name: 'PUSH_RETENTION_SECONDS',
    key: 'pushRetentionSeconds',
    default: '600',
    help: 'how long a push is kept for recovery',
    parse: integer(0, 86_400),
  },
  {
    name: 'LIVE_INTERVAL_MS',
    key: 'liveIntervalMs',
    default: '2000',
    help: 'live-data push interval',
    parse: integer(100, 60_000),
  },
  {
    name: 'LIVE_DURATION_MS',
    key: 'liveDurationMs',
    default: '60000',
    help: 'how long one live-data request keeps pushing',
    parse: integer(100, 3_600_000),
  },
  {
    name: 'WEBHOOK_URL',
    key: 'webhookUrl',
    default: undefined,
    help: 'http(s) URL that domain events are POSTed to (no credentials in it; redirects are not followed); unset: no webhooks',
    parse: optional(webhookUrl),
  },
  {
    name: 'WEBHOOK_SECRET',
    key: 'webhookSecret',
    default: undefined,
    help: 'HMAC-SHA256 key of X-Roomcast-Signature (16+ chars); required with WEBHOOK_URL',
    parse: optional(secret),
  },
  {
    name: 'WEBHOOK_EVENTS',
    key: 'webhookEvents',
    default: 'message.created,member.joined,member.left,conversation.created,conversation.assigned,conversation.closed',
    help: `comma-separated domain events to send (${domainEventNames.join(', ')})`,
    parse: domainEvents,
  },
  {
    name: 'WEBHOOK_MAX_ATTEMPTS',
    key: 'webhookMaxAttempts',
    default: '5',
    help: 'tries per event, with exponential backoff, before it is dropped',
    parse: integer(1, 20),
  },
  {
    name: 'WEBHOOK_QUEUE_SIZE',
    key: 'webhookQueueSize',
    default: '1000',
    help: 'events waiting at most; more are dropped and logged',
    parse: integer(1, 1_000_000),
  },
  {
    name: 'WEBHOOK_TIMEOUT_MS',
    key: 'webhookTimeoutMs',
    default: '5000',
    help: 'how long one webhook POST may take',
    parse: integer(100, 60_000),
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    key: 'shutdownTimeoutMs',
    default: '25000',
    help: 'hard exit this long after SIGTERM',
    parse: integer(1000, 600_000),
  },
  {
    name: 'DRAIN_RATE',
    key: 'drainRate',
    default: '500',
    help: 'at shutdown, each client is told its own time to reconnect elsewhere, and its connection closes then: this many a second',
    parse: integer(1, 100_000),
  },
  {
    name: 'DRAIN_MS',
    key: 'drainMs',
    default: '15000',
    help: 'the longest the drain at shutdown may take; more clients than DRAIN_RATE allows in it go faster',
    parse: integer(0, 60_000),
  },
  { name: 'LOG_LEVEL', key: 'logLevel', default: 'info', help: logLevels.join(', '), parse: logLevel },
  { name: 'NODE_NAME', key: 'nodeName', default: hostname(), help: "this node's name in logs and live data", parse: text },
  {
    name: 'DEMO',
    key: 'demo',
    default: 'false',
    help: 'demo mode: GET /api/demo/staff-token gives anyone a 1-hour staff token of the support inbox (/inbox?demo); without JWT_SECRET it is signed with a random secret kept in the database. Never with real visitors',
    parse: boolean,
  },
];

/** Parses the environment; throws one ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const v of variables) {
    const raw = env[v.name]?.trim() || v.default;
    config[v.key] = raw === undefined ? undefined : v.parse(raw, v.name);
  }
  const result = config as Config;
  if (result.historyLimit > result.historyMaxLimit) {
    throw new ConfigError(`HISTORY_LIMIT (${result.historyLimit}) must not exceed HISTORY_MAX_LIMIT (${result.historyMaxLimit})`);
  }
  if (result.drainMs + 3000 > result.shutdownTimeoutMs) {
    throw new ConfigError(
      `DRAIN_MS (${result.drainMs}) must be at least 3000 below SHUTDOWN_TIMEOUT_MS (${result.shutdownTimeoutMs}), so the drain ends before the hard stop`,
    );
  }
  if (result.webhookUrl && !result.webhookSecret) {
    throw new ConfigError('WEBHOOK_SECRET must be set when WEBHOOK_URL is, so receivers can verify what they get');
  }
  return result;
}

/** The `--help` text: every variable with its default. */
export function configHelp(): string {
  const width = Math.max(...variables.map((v) => v.name.length));
  const lines = variables.map((v) => {
    const fallback = v.default === undefined ? 'unset' : v.default === '' ? 'empty' : v.default;
    return `  ${v.name.padEnd(width)}  ${v.help} (default: ${fallback})`;
  });
  return [
    'roomcast: self-hosted real-time chat and push server',
    '',
    'Usage: node dist/server.js [--help]',
    '',
    'Configured by environment variables:',
    ...lines,
    '',
  ].join('\n');
}
