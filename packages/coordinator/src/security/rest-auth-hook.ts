// The REST side of client authorization: one fastify onRequest hook that
// decides every API request (the dashboard's own files are open: they hold no
// data) and answers 401 or 403 with the reason.
import type { FastifyInstance } from 'fastify';
import type { ClientAuthorization } from './client-authorization.ts';
import { restRequirement } from './roles.ts';

/** Paths of the dashboard's static files: served to anyone, the data behind them needs a token. */
const OPEN_PATHS = /^\/($|dashboard\/)/;

/** Adds the hook that enforces `authorization` on every REST request of `app`. */
export function addRestAuthorization(app: FastifyInstance, authorization: ClientAuthorization): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (request.method === 'GET' && OPEN_PATHS.test(path)) return;
    const verdict = authorization.decide(
      restRequirement(request.method),
      { authorization: request.headers.authorization, member: false, peer: request.ip },
      `${request.method} ${path}`,
    );
    if (verdict.allowed) return;
    await reply.code(verdict.reason === 'unauthenticated' ? 401 : 403).send({ errors: [verdict.message] });
  });
}
