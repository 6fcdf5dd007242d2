// Serves the web dashboard (@weir/dashboard) at `/`: its files are bundled
// in memory with esbuild on the first request (nothing generated is
// committed or written to disk) and kept for the coordinator's lifetime.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { dashboardAssets } from '@weir/dashboard';

/** Registers `/` (the dashboard's page) and `/dashboard/*` (its script and styles). */
export function registerDashboardRoutes(app: FastifyInstance): void {
  const serve = (path: string) => async (_request: unknown, reply: FastifyReply) => {
    const asset = (await dashboardAssets()).get(path);
    if (!asset) return reply.code(404).send({ errors: [`the dashboard has no file ${path}`] });
    return reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body);
  };
  app.get('/', serve('index.html'));
  app.get<{ Params: { file: string } }>('/dashboard/:file', (request, reply) => serve(request.params.file)(request, reply));
}
