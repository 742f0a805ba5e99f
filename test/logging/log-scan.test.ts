// The leak scan itself (test/helpers/log-scan.ts), on planted lines: it must find what the final
// scan of the suite's logs is there to catch, and pass what the logger legitimately writes.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logging/logger.ts'
import { scanLog, TEST_SECRETS } from '../helpers/log-scan.ts'

function logged(write: (log: ReturnType<typeof createLogger>) => void): string {
  let text = ''
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk)
      done()
    },
  })
  write(createLogger('debug', stream))
  return text
}

describe('the log leak scan', () => {
  it('finds a planted unmasked phone number, with or without country code or +', () => {
    for (const planted of ['8613800000077', '+8613800000077', '13800000077']) {
      const text = `{"level":30,"time":1795000000000,"pid":4242,"msg":"voucher recharge for ${planted}"}`
      expect(scanLog('planted.log', text, [])).toEqual([{ file: 'planted.log', line: 1, kind: 'digits', text: planted }])
    }
  })

  it('finds a PIN, an unredacted secret field, a known secret and a token in a URL', () => {
    expect(scanLog('f', '{"voucher":{"pin":"123456780001"}}', []).map((f) => f.kind)).toEqual(['secret-field', 'digits'])
    expect(scanLog('f', '{"nas":{"secret":"s3cr3t"}}', []).map((f) => f.kind)).toEqual(['secret-field'])
    expect(scanLog('f', '{"msg":"bad secret testing123 for pgw"}', TEST_SECRETS).map((f) => f.kind)).toEqual(['known-secret'])
    expect(scanLog('f', '{"url":"/portal?continue=http%3A%2F%2Fx%2F&rt=eyJhIjoxfQ.abcdefgh"}', []).map((f) => f.kind)).toEqual(['url-token'])
  })

  it('passes what the real logger writes for a phone number and secrets (masked and redacted)', () => {
    const text = logged((log) => {
      log.info({ msisdn: '8613800000077', pin: '123456780001', secret: 'testing123', token: 'abc.def' }, 'recharge')
      log.info({ attempt: 'R-2F9K', ms: 12.5, bytes: 1877 }, 'request completed')
    })
    expect(text).toContain('138****0077')
    expect(scanLog('logger', text, TEST_SECRETS)).toEqual([])
  })

  it('catches what the logger would leak if a number were logged under a field it does not mask', () => {
    const text = logged((log) => log.warn({ calledNumber: '8613800000077' }, 'unexpected'))
    expect(scanLog('logger', text, []).map((f) => f.text)).toEqual(['8613800000077'])
  })
})
