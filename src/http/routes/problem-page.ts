// A small page that says what went wrong with a recharge request and links back to the portal.
import type { FastifyReply } from 'fastify'
import { type Lang, messages } from '../portal/i18n.ts'

/** Answer `status` with `message` on the status-page layout. */
export async function problemPage(reply: FastifyReply, status: number, lang: Lang, message: string): Promise<string> {
  const t = messages(lang)
  reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
  return reply.viewAsync('recharge-status.eta', { t, lang, heading: t.title, lines: [message], backHref: `/portal?lang=${lang}`, referenceLine: '' })
}
