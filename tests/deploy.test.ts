import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../src/paths.js';
import { tempDir, waitFor } from './helpers.js';

/** The files a `git push` would carry: tracked ones and new ones git does not ignore. */
function copyRepo(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: projectRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(projectRoot, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(projectRoot, file), join(to, file));
  }
}

function npm(cwd: string, ...args: string[]): void {
  execFileSync('npm', args, { cwd, stdio: 'pipe', timeout: 600_000, env: { ...process.env, NODE_ENV: '' } });
}

describe('Heroku-style deploy', () => {
  test('npm ci, build, prune dev deps, then the Procfile web command serves and stops on SIGTERM', { timeout: 900_000 }, async () => {
    const app = join(tempDir(), 'app');
    copyRepo(app);
    npm(app, 'ci', '--no-audit', '--no-fund');
    npm(app, 'run', 'build');
    npm(app, 'prune', '--omit=dev', '--no-audit', '--no-fund');
    assert.equal(existsSync(join(app, 'node_modules', 'typescript')), false, 'dev dependencies were not pruned');

    const web = /^web:\s*(.+)$/m.exec(readFileSync(join(app, 'Procfile'), 'utf8'))?.[1]?.trim();
    assert.ok(web, 'Procfile has no web: line');
    const [command, ...args] = web.split(/\s+/);
    assert.equal(command, 'node', 'the web process must be node itself, so it gets SIGTERM');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, args, {
      cwd: app,
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening after 20 s:\n${output}`)), 20_000);
      child.stdout.on('data', (d) => {
        output += d;
        if (output.includes('Server listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stderr.on('data', (d) => (output += d));
    try {
      await listening;
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200, output);
      assert.equal((await fetch(`http://127.0.0.1:${port}/assets/room-page.js`)).status, 200);
      assert.ok(existsSync(join(app, 'data', 'roomcast.db')), 'the default SQLite file was not created under ./data');

      const exited = waitFor<number>(child, 'exit', 5000);
      const started = Date.now();
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.ok(Date.now() - started < 5000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
