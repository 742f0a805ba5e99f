// The node flags `npm start` runs the gateway with, read from package.json's start script
// (`node <flags> src/main.ts`): benchmarks start the gateway with exactly these, so they measure
// what an operator runs. As a command it prints them, space-separated, for the shell benchmarks.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_JSON = resolve(fileURLToPath(import.meta.url), '../../../package.json')

/** The flags between `node` and `src/main.ts` in package.json's start script. */
export function gatewayNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? ''
  const words = start.trim().split(/\s+/)
  const entry = words.indexOf('src/main.ts')
  if (words[0] !== 'node' || entry < 1) throw new Error(`package.json's start script is not "node [flags] src/main.ts": ${JSON.stringify(start)}`)
  return words.slice(1, entry)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${gatewayNodeFlags().join(' ')}\n`)
}
