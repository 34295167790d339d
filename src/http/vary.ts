// The Vary header (RFC 9110 §12.5.5), grown one request field at a time by whoever negotiates on it.
// Field names in lower case, as @fastify/compress writes (and looks for) accept-encoding.
import type { FastifyReply } from 'fastify'

/** Adds `field` to the reply's Vary unless it is there already (or Vary is `*`). */
export function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary')
  const list = current === undefined ? [] : String(current).split(',').map((v) => v.trim()).filter(Boolean)
  if (list.includes('*') || list.some((v) => v.toLowerCase() === field.toLowerCase())) return
  reply.header('vary', [...list, field].join(', '))
}
