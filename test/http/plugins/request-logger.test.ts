// Each request's logger is a pino child only once the request logs: what it writes is exactly what
// the eager child would write (request id, bindings, masking, redaction), levels answer as the
// parent's, and a route with its own level or serializers gets its child at once.
import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { lazyRequestLogger } from '../../../src/http/plugins/request-logger.ts'
import { createLogger } from '../../../src/logging/logger.ts'

function setup(level: string) {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) })
  const parent = createLogger(level, sink).child({ part: 'http' })
  // Children made of the parent while requests run (Fastify makes its own at start-up).
  let children = 0
  let requests = 0
  const child = parent.child
  parent.child = function (this: typeof parent, ...args: Parameters<typeof child>) {
    children++
    return child.apply(this, args)
  } as typeof parent.child
  const app = Fastify({
    loggerInstance: parent as FastifyBaseLogger,
    childLoggerFactory: lazyRequestLogger,
    genReqId: () => `req-${requests++}`,
    logController: new LogController({ disableRequestLogging: true }),
  })
  const inject = async (url: string) => {
    await app.ready()
    children = 0
    return app.inject(url)
  }
  return { app, inject, lines, made: () => children }
}

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

describe('lazy request logger', () => {
  it('makes no child for a request that logs nothing, or only below the level', async () => {
    const { app, inject, lines, made } = setup('info')
    close = () => app.close()
    app.get('/quiet', async (request) => {
      request.log.debug({ msisdn: '8613800000001' }, 'below the level')
      request.log.trace('far below')
      expect(request.log.level).toBe('info')
      return 'ok'
    })
    for (let i = 0; i < 3; i++) {
      expect((await inject('/quiet')).statusCode).toBe(200)
      expect(made()).toBe(0)
    }
    expect(lines).toEqual([])
  })

  it('writes what an eager child would: request id, the parent’s bindings, masked numbers, redacted secrets', async () => {
    const { app, inject, lines, made } = setup('info')
    close = () => app.close()
    app.get('/speaks', async (request) => {
      request.log.warn({ msisdn: '8613812345678', pin: '12345678' }, 'first line')
      request.log.info('second line')
      request.log.debug('not written')
      return 'ok'
    })
    expect((await inject('/speaks')).statusCode).toBe(200)
    expect(made()).toBe(1)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ level: 40, part: 'http', reqId: 'req-0', msg: 'first line', pin: '[redacted]' })
    expect(lines[0]!.msisdn).not.toBe('8613812345678')
    expect(String(lines[0]!.msisdn)).toContain('****')
    expect(lines[1]).toMatchObject({ level: 30, part: 'http', reqId: 'req-0', msg: 'second line' })
  })

  it('answers level questions from the parent, and children of it carry the request id', async () => {
    const { app, inject, lines } = setup('warn')
    close = () => app.close()
    app.get('/nested', async (request) => {
      const log = request.log as FastifyBaseLogger & { isLevelEnabled(l: string): boolean }
      expect([log.isLevelEnabled('warn'), log.isLevelEnabled('info')]).toEqual([true, false])
      log.child({ step: 'inner' }).error('from a grandchild')
      return 'ok'
    })
    expect((await inject('/nested')).statusCode).toBe(200)
    expect(lines).toEqual([expect.objectContaining({ level: 50, reqId: 'req-0', step: 'inner', msg: 'from a grandchild' })])
  })

  it('gives a route with its own log level its real child at once, at that level', async () => {
    const { app, inject, lines, made } = setup('warn')
    close = () => app.close()
    app.get('/chatty', { logLevel: 'debug' }, async (request) => {
      request.log.debug('route-level debug')
      return 'ok'
    })
    expect((await inject('/chatty')).statusCode).toBe(200)
    expect(made()).toBe(1)
    expect(lines).toEqual([expect.objectContaining({ level: 20, reqId: 'req-0', msg: 'route-level debug' })])
  })
})
