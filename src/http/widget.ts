import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { webBuildDir } from '../paths.js';
import { createOriginPolicy } from '../origin.js';
import { Failure } from '../schemas/common.js';
import { Ok } from '../schemas/http.js';

export interface WidgetDeps {
  config: Config;
}

/** Routes other origins use: helmet's same-origin resource policy would block them there. */
const crossOrigin = { helmet: { crossOriginResourcePolicy: { policy: 'cross-origin' as const } } };

/** A lazy file of the widget: a language catalogue (`de.js`) or a chunk esbuild split off. */
const LAZY_FILE = /^[A-Za-z0-9_-]{1,64}\.js(\.map)?$/;

/**
 * What a page on another origin needs to embed the widget: `/widget.js` (a module script, so it
 * needs CORS) and the files it imports when needed (`/linkify.js`, `/locales/<lang>.js`, `/chunks/*.js`), `/api/origin` (may this page connect? the Engine.IO handshake's 403 is unreadable
 * cross-origin), and `/demo`, a fake host page with the widget on it.
 */
export async function registerWidget(app: FastifyInstance, { config }: WidgetDeps) {
  const sendScript = (reply: FastifyReply, file: string, dir: string) =>
    reply
      .header('access-control-allow-origin', '*')
      // Short: embedding pages pick up a new version within minutes; the ETag makes rechecks cheap.
      .header('cache-control', 'public, max-age=300')
      .sendFile(file, dir, { cacheControl: false });
  for (const file of ['widget.js', 'widget.js.map', 'linkify.js', 'linkify.js.map']) {
    app.get(`/${file}`, { config: crossOrigin }, (_req, reply) => sendScript(reply, file, webBuildDir));
  }
  for (const dir of ['locales', 'chunks']) {
    app.get(`/${dir}/:file`, { config: crossOrigin }, (req, reply) => {
      const { file } = req.params as { file: string };
      if (!LAZY_FILE.test(file)) throw new AppError('not_found', 'No such file.');
      return sendScript(reply, file, join(webBuildDir, dir));
    });
  }

  const origins = createOriginPolicy(config);
  const schema = {
    summary: "May a page of this request's Origin connect? (The Engine.IO handshake's 403 is unreadable cross-origin.)",
    tags: ['widget'],
    response: { 200: Ok, 403: Failure },
  };
  app.get('/api/origin', { config: crossOrigin, schema }, (req, reply) => {
    const { origin } = req.headers;
    reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
    if (origins.allowed(origin, req.headers.host)) return { ok: true };
    const error = new AppError(
      'forbidden',
      `This site (${origin}) is not allowed to use this chat server: its origin is not in the server's ALLOWED_ORIGINS.`,
    );
    return reply.code(403).send({ ok: false, error: error.toBody() });
  });

  app.get('/demo', (_req, reply) => reply.sendFile('demo.html'));
}
