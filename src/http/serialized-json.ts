// Answers whose JSON is already built (by SQLite, to the route's response schema).
import type { FastifyReply } from 'fastify'

/**
 * Sends JSON text as it is: Fastify does not serialize a string sent with a JSON
 * content type. The route's schema still documents the answer; tests hold each
 * such body byte-equal to what the schema serializer would have produced.
 */
export function sendSerializedJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json)
}
