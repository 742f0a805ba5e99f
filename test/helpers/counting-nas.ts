// A NAS's dynamic-authorization side for tests with real gateway processes: verifies each
// CoA-Request/Disconnect-Request with the shared secret, counts distinct requests (a retransmission
// repeats the bytes, so it is not a new request), and ACKs them — or stays silent, as a NAS that
// does not answer, until told to answer.
import { createSocket, type Socket } from 'node:dgram'
import { buildResponse } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { verifyRequest } from '../../src/radius/verify-request.ts'

/** A running counting NAS. */
export interface CountingNas {
  port: number
  /** Distinct authentic requests seen (by code, identifier and authenticator). */
  requests(): number
  /** Datagrams received, retransmissions included. */
  datagrams(): number
  answer(on: boolean): void
  close(): Promise<void>
}

/** Bind on 127.0.0.1 (random port) with `secret`; ACKs when `answering`. */
export async function startCountingNas(secret: string, answering: boolean): Promise<CountingNas> {
  const key = Buffer.from(secret)
  const seen = new Set<string>()
  let datagrams = 0
  let on = answering
  const socket: Socket = createSocket('udp4')
  socket.on('message', (datagram, from) => {
    datagrams++
    const verified = verifyRequest(datagram, key, { requireMessageAuthenticator: false, codes: [PacketCode.CoaRequest, PacketCode.DisconnectRequest] })
    if (!verified.ok) return
    seen.add(datagram.subarray(0, 20).toString('hex'))
    if (!on) return
    const code = verified.packet.code === PacketCode.CoaRequest ? PacketCode.CoaAck : PacketCode.DisconnectAck
    socket.send(buildResponse(verified.packet, code, key, { messageAuthenticator: 'request-authenticator' }), from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  return {
    port: socket.address().port,
    requests: () => seen.size,
    datagrams: () => datagrams,
    answer: (value) => (on = value),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
