// The last file of a full run (its own project, after every other group): every log line the
// suite produced (test/helpers/log-capture.ts) is scanned for unmasked phone numbers, secrets,
// PINs and tokens. Run alone, there is nothing to scan and it says so.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LEAK_MARKER } from '../helpers/global-setup.ts'
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
    if (findings.length > 0) writeFileSync(join(dir!, LEAK_MARKER), `${JSON.stringify(findings, null, 1)}\n`) // kept for inspection
    expect(findings.slice(0, 20), `leaks in ${dir} (kept)`).toEqual([])
    expect(lines).toBeGreaterThan(0) // loggers were made and wrote: the capture works (a full run: ~47,000 lines)
  })
})
