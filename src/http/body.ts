import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * How deep any JSON body may nest (objects and arrays). Deep enough for any event an integrator
 * pushes; a few thousand levels would overflow the stack of `JSON.stringify` or a validator.
 */
const maxJsonDepth = 32;

/**
 * Whether JSON text nests deeper than `max`: one pass over the characters, brackets inside
 * strings skipped. It runs before `JSON.parse`, so an attacker's deep body costs a scan, not a
 * parse into millions of objects.
 */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: up to the next quote that is not escaped.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * Replaces Fastify's JSON body parser with one that refuses bodies nested deeper than
 * `maxJsonDepth` (400 `bad_request`) and then parses as Fastify does (prototype poisoning
 * refused). Fastify has no depth option; a parser of ours is the one place every JSON body passes.
 */
export function useBoundedJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (nestedDeeperThan(text, maxJsonDepth)) {
      done(new AppError('bad_request', `JSON bodies may nest at most ${maxJsonDepth} levels deep.`), undefined);
      return;
    }
    parse(req, text, done);
  });
}
