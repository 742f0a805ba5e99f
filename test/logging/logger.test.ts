import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logging/logger.ts'
import { maskMsisdn, nationalNumber } from '../../src/logging/mask-msisdn.ts'

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('maskMsisdn', () => {
  it('keeps the national number\'s first 3 and last 4 digits', () => {
    expect(maskMsisdn('8613800000077')).toBe('138****0077')
    expect(maskMsisdn('+8613912345678')).toBe('139****5678')
  })

  it('strips one-, two- and three-digit country codes', () => {
    expect(nationalNumber('14155550123')).toBe('4155550123')
    expect(maskMsisdn('14155550123')).toBe('415****0123')
    expect(nationalNumber('447700900123')).toBe('7700900123')
    expect(nationalNumber('85291234567')).toBe('91234567')
    expect(maskMsisdn('85291234567')).toBe('912****4567')
  })

  it('never returns the input for short or non-numeric values', () => {
    expect(maskMsisdn('8612345')).toBe('****45')
    expect(maskMsisdn('hello')).toBe('[masked]')
    expect(maskMsisdn(undefined)).toBe('[masked]')
    expect(maskMsisdn({ msisdn: '8613800000077' })).toBe('[masked]')
  })
})

describe('createLogger', () => {
  it('masks phone numbers and redacts secrets, PINs, tokens and passwords up to three levels deep', () => {
    const { stream, lines } = capture()
    const log = createLogger('info', stream)
    log.info(
      {
        msisdn: '8613800000077',
        nas: { secret: 'testing123', name: 'pgw-1' },
        voucher: { serial: 'DEMO-0001', pin: '123456780001' },
        attempt: { line: { msisdn: '8613800000099' }, token: 'abc.def' },
        password: 'hunter2',
        headers: { authorization: 'Bearer xyz', cookie: 'sid=1' },
      },
      'something happened',
    )
    const [line] = lines()
    const text = JSON.stringify(line)
    expect(line?.msisdn).toBe('138****0077')
    expect(text).toContain('138****0099')
    expect(text).not.toContain('8613800000099')
    expect(text).not.toContain('testing123')
    expect(text).not.toContain('123456780001')
    expect(text).not.toContain('abc.def')
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('Bearer xyz')
    expect(text).not.toContain('8613800000077')
    expect(text).toContain('pgw-1')
    expect(text).toContain('DEMO-0001')
  })
})
