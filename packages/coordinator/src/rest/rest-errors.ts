// How the REST API answers a failed request: Flink's error body
// (`{"errors": [message]}`) with an HTTP status from the error's gRPC code,
// the one the gRPC API would answer with, so both APIs fail alike.
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { grpc, NotLeaderStatusError } from '@weir/protocol';

/** An error with the HTTP status it answers with. */
export class RestError extends Error {
  readonly statusCode: number;

  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'RestError';
    this.statusCode = statusCode;
  }
}

/** 404 with `message`. */
export function notFound(message: string): RestError {
  return new RestError(404, message);
}

/** The HTTP status of an error a handler threw. */
function statusOf(error: Error & { code?: unknown; statusCode?: number; validation?: unknown }): number {
  if (error instanceof RestError) return error.statusCode;
  if (error instanceof NotLeaderStatusError) return 503;
  if (error.validation !== undefined) return 400;
  switch (error.code) {
    case grpc.status.NOT_FOUND:
      return 404;
    case grpc.status.UNAVAILABLE:
    case grpc.status.FAILED_PRECONDITION:
      return 503;
    case undefined:
    case grpc.status.INVALID_ARGUMENT:
      // The gRPC API answers INVALID_ARGUMENT to what a job refuses (e.g. a savepoint of a job that does not run).
      return 400;
    default:
      return typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  }
}

/** fastify's error handler: the status from `statusOf`, the message (and a standby's leader) in Flink's error body. */
export function replyWithError(error: FastifyError | NotLeaderStatusError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(error);
  const leader = error instanceof NotLeaderStatusError ? error.leader : undefined;
  void reply.code(status).send({ errors: [error.message], ...(leader !== undefined ? { leader } : {}) });
}

/** fastify's schema error formatter: each failure names the field (`body/targetDirectory must be string`, `body has an unknown field 'x'`). */
export function validationError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const messages = errors.map((e) => {
    const where = `${dataVar}${e.instancePath}`;
    const unknown = (e.params as { additionalProperty?: string }).additionalProperty;
    return unknown !== undefined ? `${where} has an unknown field '${unknown}'` : `${where} ${e.message ?? 'is invalid'}`;
  });
  return new Error(messages.join('; '));
}
