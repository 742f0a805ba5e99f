// Audit exports: RFC 4180 quoting, JSON text for before/after, no spreadsheet formulas, and the
// query parsing shared by the console and the API.
import { describe, expect, it } from 'vitest'
import { auditCsv, auditFilter, queryTime } from '../../src/audit/audit-export.ts'
import type { AuditRecord } from '../../src/audit/audit-log.ts'

const record = (over: Partial<AuditRecord>): AuditRecord => ({
  id: 1, at: new Date('2026-11-22T01:02:03Z'), actor: 'ada.admin', actorId: 1, via: 'session', action: 'settings.update', target: 'settings',
  before: null, after: null, reason: null, sourceAddress: null, requestId: null, ...over,
})

describe('audit export', () => {
  it('quotes commas, quotes and newlines and writes before/after as JSON', () => {
    const csv = auditCsv([record({ reason: 'a, "b"\nc', before: { x: 1 }, after: { x: 2 } })])
    const [header, row, end] = csv.split('\r\n')
    expect(header).toBe('id,at,actor,via,action,target,reason,before,after,sourceAddress,requestId')
    expect(row).toBe('1,2026-11-22T01:02:03.000Z,ada.admin,session,settings.update,settings,"a, ""b""\nc","{""x"":1}","{""x"":2}",,')
    expect(end).toBe('')
  })

  it('neutralises cells a spreadsheet would run as a formula', () => {
    const csv = auditCsv([record({ reason: '=HYPERLINK("http://x")', target: '+1', actor: '@me' })])
    expect(csv).toContain(`'=HYPERLINK`)
    expect(csv).toContain(`,'+1,`)
    expect(csv).toContain(`,'@me,`)
  })

  it('reads times as UTC unless they carry an offset, and names a field it cannot read', () => {
    expect(queryTime('2026-11-22T01:30')?.toISOString()).toBe('2026-11-22T01:30:00.000Z')
    expect(queryTime('2026-11-22T09:30+08:00')?.toISOString()).toBe('2026-11-22T01:30:00.000Z')
    expect(queryTime('')).toBeUndefined()
    expect(queryTime('soon')).toBeNull()
    expect(auditFilter({ to: 'later' }, 10)).toEqual({ invalid: 'to' })
    expect(auditFilter({ actor: ' ada.admin ', action: '' }, 10)).toMatchObject({ actor: 'ada.admin', action: undefined, limit: 10 })
  })
})
