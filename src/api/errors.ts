/** The API's one error body, `{"error":{"code","message","field"?,"fix"}}`, made from catalogue errors and request validation. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CATALOGUE, SaaswatchError, type ErrorCode } from '../core/errors.js';

export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; field?: string; fix: string };
}

export function errorBody(code: ErrorCode, message: string, field?: string): ApiErrorBody {
  return { error: { code, message, ...(field === undefined ? {} : { field }), fix: ERROR_CATALOGUE[code].fix } };
}

/** Where in the request a validation error points: `body.user`, `query.limit`, `params.id`. */
function fieldOf(context: string | undefined, path: readonly PropertyKey[]): string {
  const where = context === 'querystring' ? 'query' : (context ?? 'body');
  return [where, ...path.map(String)].join('.');
}

export function sendError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    // The provider gives each zod issue as { instancePath: '/a/0', message }, its path in the pointer.
    const issue = err.validation[0]!;
    const field = fieldOf(err.validationContext, issue.instancePath.split('/').filter(Boolean));
    return reply.status(400).send(errorBody('INPUT_MALFORMED', `${field}: ${issue.message}`, field));
  }
  if (err instanceof SaaswatchError) {
    if (err.retryAfterMs !== undefined && (err.httpStatus === 429 || err.httpStatus === 503)) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
    if (err.httpStatus >= 500) req.log.error({ err }, 'Request failed.');
    return reply.status(err.httpStatus).send(errorBody(err.code, err.message, field));
  }
  const status = (err as FastifyError).statusCode;
  if (status === 413) return reply.status(413).send(errorBody('INPUT_TOO_LARGE', 'request body is over the limit'));
  if (status === 429) return reply.status(429).send(errorBody('RATE_LIMITED', err.message));
  if (status !== undefined && status >= 400 && status < 500) return reply.status(status).send(errorBody('INPUT_MALFORMED', err.message));
  req.log.error({ err }, 'Request failed.');
  return reply.status(500).send(errorBody('INTERNAL', 'internal error (the server log has the details)'));
}
