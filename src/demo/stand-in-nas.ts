// Demo only (embedded default): a stand-in NAS on the demo CoA target 127.0.0.1:3799 that ACKs
// authentic CoA-Request and Disconnect-Request packets, so `npm start` plus a browser walks the
// whole loop to "service restored" on a laptop. It uses the same hardened packet layer as the
// gateway; it is never started with DATABASE_URL, and the tests use FreeRADIUS instead.
import dgram from 'node:dgram'
import type { Logger } from 'pino'
import { buildResponse } from '../radius/build-response.ts'
import { PacketCode } from '../radius/codes.ts'
import { verifyRequest } from '../radius/verify-request.ts'

/** A running stand-in NAS. */
export interface StandInNas {
  close(): Promise<void>
}

/** Listen on `host:port`; resolves undefined (with a log line) when the port is taken. */
export async function startStandInNas(host: string, port: number, secret: string, log: Logger): Promise<StandInNas | undefined> {
  const socket = dgram.createSocket('udp4')
  const key = Buffer.from(secret)
  socket.on('message', (datagram, from) => {
    const verified = verifyRequest(datagram, key, { requireMessageAuthenticator: true, codes: [PacketCode.CoaRequest, PacketCode.DisconnectRequest] })
    if (!verified.ok) return
    const code = verified.packet.code === PacketCode.CoaRequest ? PacketCode.CoaAck : PacketCode.DisconnectAck
    socket.send(buildResponse(verified.packet, code, key, { messageAuthenticator: 'request-authenticator' }), from.port, from.address)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, host, () => resolve())
    })
  } catch (err) {
    socket.close()
    log.warn({ err: (err as Error).message, port }, 'demo stand-in NAS not started; CoA to the demo NAS will go unanswered')
    return undefined
  }
  socket.on('error', () => {})
  log.info({ host, port }, 'demo stand-in NAS answering CoA/Disconnect')
  return { close: () => new Promise<void>((resolve) => socket.close(() => resolve())) }
}
