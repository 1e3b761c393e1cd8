import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';

const server = ['dist/server.js'];

describe('config', () => {
  test('defaults for an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databasePath, './data/roomcast.db');
    assert.deepEqual(config.allowedOrigins, []);
    assert.equal(config.allowGuests, true);
    assert.equal(config.jwtSecret, undefined);
    assert.equal(config.apiKey, undefined);
    assert.equal(config.historyLimit, 50);
    assert.equal(config.historyMaxLimit, 200);
    assert.equal(config.maxMessageLength, 2000);
    assert.equal(config.pingIntervalMs, 20000);
    assert.equal(config.pingTimeoutMs, 10000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.drainMs, 15000);
    assert.equal(config.drainRate, 500);
  });

  test('limits: defaults, and each bad value names its variable', () => {
    const config = loadConfig({});
    assert.deepEqual(
      [config.connectionsPerAddress, config.connectionRatePerAddress, config.roomsPerSocket, config.typingIntervalSeconds],
      [100, 300, 100, 2],
    );
    assert.deepEqual([config.historyRatePerSec, config.historyReadsPerSocket, config.newRoomsPerAddress], [20, 4, 30]);
    assert.equal(config.pushRetentionBytes, 64 * 1024 * 1024);
    assert.deepEqual(config.reservedNames, []);
    assert.equal(config.trustProxy, false);
    assert.deepEqual(loadConfig({ RESERVED_NAMES: ' Acme Support , ,Staff ' }).reservedNames, ['Acme Support', 'Staff']);
    for (const env of [{ CONNECTIONS_PER_ADDRESS: '0' }, { TYPING_INTERVAL_SECONDS: '0.5' }, { PUSH_RETENTION_BYTES: '-1' }]) {
      const name = Object.keys(env)[0] as string;
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith(name),
        name,
      );
    }
  });

  test('parses values', () => {
    const config = loadConfig({
      PORT: '8080',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173/',
      ALLOW_GUESTS: 'off',
      JWT_SECRET: 'x'.repeat(32),
      MAX_MESSAGE_LENGTH: '500',
      LOG_LEVEL: 'warn',
    });
    assert.equal(config.port, 8080);
    assert.deepEqual(config.allowedOrigins, ['https://a.example', 'http://localhost:5173']);
    assert.equal(config.allowGuests, false);
    assert.equal(config.maxMessageLength, 500);
    assert.equal(config.logLevel, 'warn');
  });

  test('each bad value names its variable', () => {
    const bad: Record<string, string>[] = [
      { PORT: 'eighty' },
      { PORT: '70000' },
      { ALLOW_GUESTS: 'maybe' },
      { ALLOWED_ORIGINS: 'not a url' },
      { ALLOWED_ORIGINS: 'https://a.example/path' },
      { JWT_SECRET: 'short' },
      { API_KEY: 'short' },
      { HISTORY_LIMIT: '0' },
      { MAX_MESSAGE_LENGTH: '-1' },
      { PING_INTERVAL_MS: '30000' },
      { LOG_LEVEL: 'loud' },
      { MESSAGE_RATE_PER_SEC: '1.5' },
      { DRAIN_MS: '23000' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0] as string;
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith(name),
        name,
      );
    }
    assert.throws(() => loadConfig({ HISTORY_LIMIT: '300' }), /HISTORY_LIMIT/);
  });

  test('the built server stops on a bad value with one clear line and exit code 1', () => {
    const run = spawnSync(process.execPath, server, {
      cwd: projectRoot,
      env: { ...process.env, PORT: 'abc' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^roomcast: PORT must be a whole number/);
    assert.doesNotMatch(run.stderr, /\bat .*\(/, 'no stack trace');
  });

  test('--help lists every variable with its default', () => {
    const run = spawnSync(process.execPath, [...server, '--help'], { cwd: projectRoot, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 0);
    for (const name of [
      'PORT',
      'HOST',
      'DATABASE_PATH',
      'ALLOWED_ORIGINS',
      'ALLOW_GUESTS',
      'JWT_SECRET',
      'API_KEY',
      'HISTORY_LIMIT',
      'HISTORY_MAX_LIMIT',
      'MAX_MESSAGE_LENGTH',
      'EDIT_WINDOW_SECONDS',
      'MAX_UPLOAD_BYTES',
      'UPLOADS_PER_MINUTE',
      'UPLOAD_BYTES_PER_HOUR',
      'PING_INTERVAL_MS',
      'PING_TIMEOUT_MS',
      'MESSAGE_RATE_PER_SEC',
      'CONNECTIONS_PER_ADDRESS',
      'CONNECTION_RATE_PER_ADDRESS',
      'ROOMS_PER_SOCKET',
      'TYPING_INTERVAL_SECONDS',
      'HISTORY_RATE_PER_SEC',
      'HISTORY_READS_PER_SOCKET',
      'NEW_ROOMS_PER_ADDRESS',
      'PUSH_RETENTION_BYTES',
      'RESERVED_NAMES',
      'LOG_LEVEL',
    ]) {
      assert.match(run.stdout, new RegExp(`^  ${name} .*\\(default: [^)]+\\)$`, 'm'), name);
    }
  });
});

describe('config of the HTTP edge', () => {
  test('TRUST_PROXY: off, a hop count or addresses; "true" is refused', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1,fd00::/8,loopback' }).trustProxy, [
      '10.0.0.5',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['true', 'yes', '11', '10.0.0.300', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/8']) {
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /^ConfigError: TRUST_PROXY/, bad);
    }
  });

  test('PUBLIC_URL is a bare http(s) origin; JWT_MAX_AGE defaults to 24 h', () => {
    assert.equal(loadConfig({}).publicUrl, undefined);
    assert.equal(loadConfig({ PUBLIC_URL: 'https://Chat.Example.com/' }).publicUrl, 'https://chat.example.com');
    assert.equal(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }).publicUrl, 'http://localhost:3000');
    for (const bad of ['chat.example.com', 'https://chat.example.com/app', 'wss://chat.example.com', 'https://u:p@chat.example.com']) {
      assert.throws(() => loadConfig({ PUBLIC_URL: bad }), /^ConfigError: PUBLIC_URL/, bad);
    }
    assert.equal(loadConfig({}).jwtMaxAgeSeconds, 86_400);
    assert.equal(loadConfig({ JWT_MAX_AGE: '3600' }).jwtMaxAgeSeconds, 3600);
    assert.throws(() => loadConfig({ JWT_MAX_AGE: '24h' }), /^ConfigError: JWT_MAX_AGE/);
  });

  test('a WEBHOOK_URL with credentials stops the start with one line that does not show them', () => {
    const run = spawnSync(process.execPath, server, {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, WEBHOOK_URL: 'https://hook:s3cret-pw@hooks.example/in', WEBHOOK_SECRET: 'w'.repeat(16) },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^roomcast: WEBHOOK_URL must not contain credentials/);
    assert.doesNotMatch(run.stderr + run.stdout, /s3cret-pw/);
    // A URL that is refused for another reason is not echoed with its password either.
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://app:s3cret-pw@db/x' }),
      (err: Error) => !err.message.includes('s3cret-pw'),
    );
  });
});
