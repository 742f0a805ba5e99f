// Load shedding: past saturation a request is answered at once with 503 and Retry-After instead of
// joining a queue that makes every page late. Two signals: too many requests already inside the app
// (a database that slows down shows here first), and the event loop lagging (the CPU is the limit;
// sampled by @fastify/under-pressure). Registered after the walled garden, so the catch-all redirect
// (answered in its onRequest hook) is never shed, and /healthz, /readyz and /metrics are exempt: an
// overloaded instance must still look alive and be observable.
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { SheddingConfig } from '../../config/load-config.ts'
import type { PortalConfig } from '../../config/portal-config.ts'
import { ERRORS } from '../../errors.ts'

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics'])

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** The shed answer for browsers: static, so it costs nothing to send, and it lists the offline ways. */
function busyPage(offline: PortalConfig['offline'], retryAfterS: number): string {
  const ways = [`USSD: ${offline.ussd}`, `SMS "${offline.smsText}" to ${offline.smsNumber}`, `Hotline: ${offline.hotline}`]
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta http-equiv="refresh" content="${retryAfterS}"><title>Busy</title></head><body><h1>${escapeHtml(ERRORS.OVERLOADED.message)}</h1><p>You can also recharge without data:</p><ul>${ways.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></body></html>`
}

/** Install load shedding on `app` (after the walled garden's hook). */
export async function registerLoadShedding(app: FastifyInstance, deps: { shedding: SheddingConfig; portal: PortalConfig; registry: Registry }): Promise<void> {
  const { shedding } = deps
  const shed = new Counter({
    name: 'gateway_http_shed_total',
    help: 'Requests answered 503 by load shedding, by cause',
    labelNames: ['cause'],
    registers: [deps.registry],
  })
  // Browsers ignore Retry-After on a 503: the page itself comes back after that long.
  const html = busyPage(deps.portal.offline, shedding.retryAfterS)
  const json = JSON.stringify({ error: ERRORS.OVERLOADED.code, message: ERRORS.OVERLOADED.message })
  const retryAfter = String(shedding.retryAfterS)

  /** Set the 503's status and headers; returns the body to send. */
  function refuse(request: FastifyRequest, reply: FastifyReply, cause: string): string {
    shed.inc({ cause })
    reply.code(503).header('retry-after', retryAfter).header('cache-control', 'no-store')
    if ((request.headers.accept ?? '').includes('text/html')) {
      reply.type('text/html; charset=utf-8')
      return html
    }
    reply.type('application/json; charset=utf-8')
    return json
  }

  const exempt = (request: FastifyRequest) => EXEMPT.has(request.routeOptions.url ?? '')

  if (shedding.maxEventLoopDelayMs > 0 || shedding.maxEventLoopUtilizationPercent > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: shedding.maxEventLoopDelayMs,
      maxEventLoopUtilization: shedding.maxEventLoopUtilizationPercent / 100,
      // Utilisation over the last sample, not since start: the signal must fall when load does.
      eventLoopUtilizationMode: 'interval',
      sampleInterval: shedding.sampleMs,
      // The plugin sends a returned body and lets the request through on undefined (its types
      // only admit void; index.js handlePressure does both).
      pressureHandler: ((request: FastifyRequest, reply: FastifyReply, type: string) => (exempt(request) ? undefined : refuse(request, reply, type))) as unknown as () => void,
    })
  }

  if (shedding.maxInFlight > 0) {
    let inFlight = 0
    const counted = new WeakSet<FastifyRequest>()
    app.addHook('onRequest', async (request, reply) => {
      if (exempt(request)) return
      if (inFlight >= shedding.maxInFlight) return reply.send(refuse(request, reply, 'in_flight'))
      inFlight++
      counted.add(request)
    })
    const leave = async (request: FastifyRequest) => {
      if (counted.delete(request)) inFlight--
    }
    // onResponse for answered requests, onRequestAbort for clients that went away first.
    app.addHook('onResponse', leave)
    app.addHook('onRequestAbort', leave)
  }
}

/**
 * Refuse requests once the app is closing: 503, Retry-After, Connection: close, with the security
 * headers (Fastify's own return503OnClosing answers before any hook, so without them).
 */
export function registerClosingRefusal(app: FastifyInstance, retryAfterS: number): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  const body = JSON.stringify({ error: ERRORS.SHUTTING_DOWN.code, message: ERRORS.SHUTTING_DOWN.message })
  // Callback style: every request passes here, and almost always straight through.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done()
    reply.code(503).header('retry-after', String(retryAfterS)).header('connection', 'close').header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body)
  })
}
