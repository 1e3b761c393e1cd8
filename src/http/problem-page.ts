import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply } from 'fastify';
import { publicDir } from '../paths.js';

/** What a friendly 404 page says (issue 13 point 9): no page at the address, or a room name that cannot be. */
export type Problem = 'not-found' | 'bad-room';

/**
 * The friendly 404 pages for people (the API answers JSON): one template, public/problem.html,
 * read once; the answer names the problem in `<html data-problem>`, and the page's script
 * (web-components/pages/problem-page.ts) puts in its words in the reader's language.
 */
export async function loadProblemPage(): Promise<(reply: FastifyReply, problem: Problem) => FastifyReply> {
  const template = await readFile(join(publicDir, 'problem.html'), 'utf8');
  const pages = {
    'not-found': template,
    'bad-room': template.replace('data-problem="not-found"', 'data-problem="bad-room"'),
  };
  return (reply, problem) => reply.code(404).type('text/html; charset=utf-8').send(pages[problem]);
}
