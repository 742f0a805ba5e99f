// Loopback UDP plumbing for the interop tests: sockets on random ports in 20000-60000 on
// 127.0.0.1 only, and a radclient runner that feeds its attribute list on stdin.
import { spawn } from 'node:child_process'
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'

/** A random port in 20000-60000. */
export function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000)
}

/** Bind a UDP socket on 127.0.0.1 at a random free port; `onMessage` gets every datagram. */
export async function bindLoopback(onMessage: (message: Buffer, from: RemoteInfo) => void): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    const socket = createSocket('udp4')
    socket.on('message', onMessage)
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind(randomPort(), '127.0.0.1', () => {
          socket.off('error', reject)
          resolve()
        })
      })
      return socket
    } catch (error) {
      socket.close()
      if (attempt >= 20) throw error
    }
  }
}

/** A port that was free on 127.0.0.1 a moment ago, for a peer process to bind. */
export async function freePort(): Promise<number> {
  const probe = await bindLoopback(() => {})
  const { port } = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

/** Send one datagram to 127.0.0.1:`port` and wait for the first datagram back, or undefined. */
export async function exchange(
  socket: Socket,
  port: number,
  datagram: Buffer,
  waitMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage)
      resolve(undefined)
    }, waitMs)
    const onMessage = (message: Buffer) => {
      clearTimeout(timer)
      socket.off('message', onMessage)
      resolve(message)
    }
    socket.on('message', onMessage)
    socket.send(datagram, port, '127.0.0.1')
  })
}

/** What a radclient run printed and how it exited. */
export interface RadclientRun {
  code: number | null
  output: string
}

/**
 * Run radclient once against 127.0.0.1:`port` (`type` is acct, coa or disconnect) with the
 * attribute list `input`; one try, `timeoutSeconds` to wait.
 */
export function runRadclient(
  radclient: string,
  port: number,
  type: string,
  secret: string,
  input: string,
  timeoutSeconds = 2,
): Promise<RadclientRun> {
  return new Promise((resolve, reject) => {
    const args = ['-x', '-4', '-r', '1', '-t', String(timeoutSeconds), `127.0.0.1:${port}`, type, secret]
    const child = spawn(radclient, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
    child.stdin.end(input)
  })
}

/**
 * Send `datagram` to 127.0.0.1:`port` and collect the answers: until `settleMs` after the first
 * (so a second answer would be seen), or `waitMs` when none comes (how long a silence proves
 * "not answered").
 */
export async function sendAndCollect(socket: Socket, port: number, datagram: Buffer, waitMs = 5000, settleMs = 150): Promise<Buffer[]> {
  const answers: Buffer[] = []
  await new Promise<void>((resolve) => {
    const giveUp = setTimeout(done, waitMs)
    function done() {
      clearTimeout(giveUp)
      socket.off('message', onMessage)
      resolve()
    }
    function onMessage(m: Buffer) {
      answers.push(m)
      if (answers.length === 1) setTimeout(done, settleMs)
    }
    socket.on('message', onMessage)
    socket.send(datagram, port, '127.0.0.1')
  })
  return answers
}
