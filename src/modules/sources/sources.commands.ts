// Storing a new report (admin): its bytes exactly as sent, with their SHA-256.
// A source never changes once stored; a corrected report is a new source.
import { createHash } from 'node:crypto'
import { TextDecoder } from 'node:util'
import { Errors, type FieldError } from '../../errors.js'
import type { SourceMetadata, Storage, WriteTx } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'
import type { AuditAppender } from '../audit/audit-appender.js'

export interface NewSource {
  id: string
  title: string
  titleEn?: string | undefined
  documentNumber?: string | undefined
  issuer: string
  recipient?: string | undefined
  issuedOn: string
  content: Buffer
  /** When given, must equal the SHA-256 of the content: a check against transport damage. */
  sha256?: string | undefined
}

// The bytes come as `text` or `contentBase64`; either way the reason is about the content.
const contentError = (message: string): FieldError => ({ in: 'body', name: '/text', message })

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export async function createSource(storage: Storage, input: NewSource, actor: string): Promise<SourceMetadata> {
  try {
    strictUtf8.decode(input.content)
  } catch {
    throw Errors.unprocessable('The text is not valid UTF-8.', { errors: [contentError('invalid UTF-8')] })
  }
  // A report's text holds no NUL; PostgreSQL could not store a quote of one.
  if (input.content.includes(0)) throw Errors.unprocessable('The text contains U+0000 (NUL).', { errors: [contentError('contains U+0000 (NUL)')] })
  if (input.content.length === 0) throw Errors.unprocessable('The text is empty.', { errors: [contentError('empty text')] })
  const sha256 = createHash('sha256').update(input.content).digest('hex')
  if (input.sha256 !== undefined && input.sha256 !== sha256) {
    throw Errors.unprocessable(`The text's SHA-256 is ${sha256}, not ${input.sha256}.`, { errors: [{ in: 'body', name: '/sha256', message: 'does not match the text' }] })
  }
  return writeUnit(storage, async (tx, audit) => {
    if (await tx.source(input.id)) throw Errors.conflict(`Source "${input.id}" exists; sources never change. Store a corrected report under a new id.`)
    return storeSource(tx, audit, { ...input, sha256 }, actor)
  })
}

/**
 * Inside a write transaction: the source row with its bytes, and its audit
 * entry (the metadata; the bytes are named by their SHA-256). The API and the
 * seed loader store reports through this one path.
 */
export async function storeSource(tx: WriteTx, audit: AuditAppender, input: NewSource & { sha256: string; mediaType?: string }, actor: string): Promise<SourceMetadata> {
  const record: SourceMetadata = {
    id: input.id,
    title: input.title,
    titleEn: input.titleEn ?? null,
    documentNumber: input.documentNumber ?? null,
    issuer: input.issuer,
    recipient: input.recipient ?? null,
    issuedOn: input.issuedOn,
    mediaType: input.mediaType ?? 'text/plain; charset=utf-8',
    byteLength: input.content.length,
    sha256: input.sha256,
    recordedAt: audit.recordedAt,
  }
  await tx.insertSource({ ...record, content: input.content })
  audit.append({ actor, action: 'source.create', entityType: 'source', entityId: input.id, before: null, after: { ...record } })
  return record
}
