// Runs the real entry points (src/main.ts, src/cli.ts) as child processes, the way an operator does.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { captureChildOutput } from './log-capture.ts'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A started child and everything it printed so far. */
export interface Running {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited: Promise<number | string>
}

/** Start `node <script> ...args` from the repository root with `env` added to a clean environment. */
export function runNode(script: string, args: string[], env: Record<string, string>): Running {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info' }
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const name = basename(script, '.ts')
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    captureChildOutput(child.pid, `${name}-stdout`, chunk)
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString()
    captureChildOutput(child.pid, `${name}-stderr`, chunk)
  })
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))
  })
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Poll `check` every 100 ms until it returns true or `ms` pass. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** Run `recharge-gateway <args>` (src/cli.ts) to completion with `env` and `stdin`; its exit code and output. */
export function runCli(args: string[], env: Record<string, string>, stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env } })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('close', (code) => resolve({ code, out, err }))
    child.stdin.end(stdin)
  })
}
