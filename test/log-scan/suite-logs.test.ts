// The last file of a full run (its own project, after every other group): every log line the
// suite produced (test/helpers/log-capture.ts) is scanned for unmasked phone numbers, secrets,
// PINs and tokens. Run alone, there is nothing to scan and it says so.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLEAN_MARKER } from '../helpers/global-setup.ts'
import { LOG_DIR_ENV } from '../helpers/log-capture.ts'
import { scanLog, TEST_SECRETS } from '../helpers/log-scan.ts'

const dir = process.env[LOG_DIR_ENV]
const files = dir === undefined ? [] : readdirSync(dir).filter((f) => f.endsWith('.log'))

describe.skipIf(files.length === 0)('logs of the whole test run', () => {
  it('contain no unmasked phone number, secret, PIN or token', () => {
    let lines = 0
    const findings = files.flatMap((file) => {
      const text = readFileSync(join(dir!, file), 'utf8')
      // A child's stdout also carries the demo banner (demo data shown on purpose): only its JSON log lines count.
      const logLines = file.endsWith('-stdout.log') ? text.split('\n').filter((l) => l.startsWith('{')).join('\n') : text
      lines += logLines.split('\n').length
      return scanLog(file, logLines, TEST_SECRETS)
    })
    console.info(`log scan: ${lines} lines in ${files.length} files under ${dir}`)
    expect(findings.slice(0, 20), `leaks in ${dir}`).toEqual([])
    expect(lines).toBeGreaterThan(100) // the run logged enough for the scan to mean something
    writeFileSync(join(dir!, CLEAN_MARKER), '')
  })
})
