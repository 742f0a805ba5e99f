// The one place that maps errors to HTTP. Expected errors (AppError, Fastify's validation and
// body errors) keep their code; an unreachable database is a 503 to retry; anything else is logged
// and shown as a bare 500 with no detail.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.ts'
import { AppError, ERRORS } from '../errors.ts'
import type { Metrics } from '../metrics/metrics.ts'

interface ErrorBody {
  code: string
  status: number
  message: string
}

function toBody(err: FastifyError | AppError | Error): ErrorBody {
  if (err instanceof AppError) return { code: err.code, status: err.status, message: err.message }
  const fastifyErr = err as FastifyError
  if (fastifyErr.validation) return { ...ERRORS.BAD_REQUEST, message: `${ERRORS.BAD_REQUEST.message}: ${err.message}` }
  if (fastifyErr.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { ...ERRORS.PAYLOAD_TOO_LARGE }
  if (fastifyErr.statusCode === 429) return { ...ERRORS.RATE_LIMITED }
  const status = fastifyErr.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return { code: `HTTP.${fastifyErr.code ?? 'BAD_REQUEST'}`, status, message: err.message }
  }
  // An outage, not a bug: 503 with Retry-After, so browsers, providers' webhooks and scripts retry.
  if (isDatabaseUnavailable(err)) return { ...ERRORS.DATABASE_UNAVAILABLE }
  return { ...ERRORS.INTERNAL }
}

/** Send an error as JSON or, to a browser, as a small HTML page. */
export async function sendError(request: FastifyRequest, reply: FastifyReply, body: ErrorBody): Promise<string | object> {
  reply.code(body.status)
  if (body.status === 503) reply.header('retry-after', '5')
  if (body.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60')
  if (wantsHtml(request)) {
    reply.type('text/html; charset=utf-8')
    return reply.viewAsync('error.eta', { status: body.status, message: body.message, requestId: request.id })
  }
  reply.type('application/json; charset=utf-8')
  return { error: body.code, message: body.message, requestId: request.id }
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  return accept.includes('text/html')
}

/** Install the error and not-found handlers. */
export function registerErrorHandling(app: FastifyInstance, metrics: Metrics): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const body = toBody(err)
    // Never the request object itself: its raw headers (Authorization, Cookie, as an array too) and
    // query string (redirect and form tokens) would reach the log. The route template says where.
    if (body.status >= 500) request.log.error({ err, request: { id: request.id, method: request.method, route: request.routeOptions.url ?? 'unmatched' } }, 'request failed')
    else request.log.info({ code: body.code, status: body.status }, 'request rejected')
    metrics.httpErrors.inc({ code: body.code })
    return sendError(request, reply, body)
  })
  app.setNotFoundHandler(async (request, reply) => {
    metrics.httpErrors.inc({ code: ERRORS.NOT_FOUND.code })
    return sendError(request, reply, { ...ERRORS.NOT_FOUND })
  })
}
