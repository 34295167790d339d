// Creating and changing topics (admin): the row and its whole member list in one audited write.
import { bodyErrors, Errors } from '../../errors.js'
import type { Storage, TopicRecord } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'

/** A topic as an admin sends it: no position means after the last topic. */
export type TopicInput = Omit<TopicRecord, 'position'> & { position?: number | undefined }

export function putTopic(storage: Storage, input: TopicInput, actor: string): Promise<{ topic: TopicRecord; outcome: PutOutcome }> {
  const indicators = [...new Set(input.indicators)].sort()
  return writeUnit(storage, async (tx, audit) => {
    const known = await tx.indicatorUnits(indicators)
    const unknown = indicators.filter((c) => !known.has(c))
    if (unknown.length) {
      throw Errors.unprocessable(`Topic "${input.code}": no indicator ${unknown.map((c) => `"${c}"`).join(', ')}.`, {
        errors: bodyErrors(unknown.map((c) => ({ pointer: `/indicators/${input.indicators.indexOf(c)}`, message: `unknown indicator "${c}"` }))),
      })
    }
    const before = await tx.topic(input.code)
    const position = input.position ?? before?.position ?? Math.max(0, ...(await tx.topics()).map((t) => t.position)) + 1
    // Key order as the store reads it, so an identical PUT compares equal and the snapshot matches the integrity check's.
    const topic: TopicRecord = { code: input.code, nameZh: input.nameZh, nameEn: input.nameEn, descriptionZh: input.descriptionZh, descriptionEn: input.descriptionEn, synonyms: input.synonyms, position, indicators }
    const { indicators: _members, ...row } = topic
    const members = async () => {
      const had = before?.indicators ?? []
      await tx.removeTopicMembers(topic.code, had.filter((c) => !indicators.includes(c)))
      await tx.addTopicMembers(topic.code, indicators.filter((c) => !had.includes(c)))
    }
    const outcome = await auditedPut(audit, {
      entityType: 'topic',
      entityId: topic.code,
      actor,
      before,
      after: topic,
      insert: async () => {
        await tx.insertTopic(row)
        await members()
      },
      update: async () => {
        await tx.updateTopic(row)
        await members()
      },
    })
    return { topic, outcome }
  })
}
