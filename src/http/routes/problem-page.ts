// A small page that says what went wrong with a recharge request and links back to the portal.
import type { FastifyReply } from 'fastify'
import { type Lang, messages, type Messages } from '../portal/i18n.ts'

/** Answer `status` with `message` on the status-page layout (`t`: the texts in force). */
export async function problemPage(reply: FastifyReply, status: number, lang: Lang, message: string, t: Messages = messages(lang)): Promise<string> {
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('recharge-status.eta', { t, lang, heading: t.title, lines: [message], backHref: `/portal?lang=${lang}`, referenceLine: '' })
}
