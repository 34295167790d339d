// The store's tables on PostgreSQL, mirroring the SQLite schema (src/db/schema.ts) column for
// column. Text that is a key or is compared or ordered sorts in binary (COLLATE "C") as SQLite's
// does, so both backends answer in the same order. Exact decimals stay text. Ids and seqs are
// bigint, read as JS numbers (the pool's int8 parser), and assigned as max+1 under the write lock.
import { sql } from 'drizzle-orm'
import { bigint, boolean, check, customType, index, integer, pgTable, primaryKey, text, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core'

/** Text in binary order: codes, instants and anything a filter compares. */
const ctext = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' })
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })
const id = (name: string) => bigint(name, { mode: 'number' })

export const sources = pgTable('source', {
  id: ctext('id').primaryKey(),
  title: text('title').notNull(),
  titleEn: text('title_en'),
  documentNumber: text('document_number'),
  issuer: text('issuer').notNull(),
  recipient: text('recipient'),
  issuedOn: ctext('issued_on').notNull(),
  mediaType: text('media_type').notNull(),
  byteLength: integer('byte_length').notNull(),
  sha256: text('sha256').notNull(),
  content: bytea('content').notNull(),
  recordedAt: ctext('recorded_at').notNull(),
})

export const areas = pgTable(
  'area',
  {
    code: ctext('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    level: ctext('level').notNull(),
    parentCode: ctext('parent_code').references((): AnyPgColumn => areas.code),
    divisionCode: ctext('division_code'),
  },
  (t) => [index('area_parent_idx').on(t.parentCode)],
)

export const reportingPeriods = pgTable(
  'reporting_period',
  {
    code: ctext('code').primaryKey(),
    type: ctext('type').notNull(),
    startDate: ctext('start_date').notNull(),
    endDate: ctext('end_date').notNull(),
  },
  (t) => [index('reporting_period_start_idx').on(t.startDate, t.endDate)],
)

export const indicators = pgTable(
  'indicator',
  {
    code: ctext('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    description: text('description').notNull(),
    category: ctext('category').notNull(),
    unit: text('unit').notNull(),
    additive: boolean('additive').notNull(),
    /** JSON array of other words for it (English and Chinese) that search matches. */
    synonyms: text('synonyms').notNull().default('[]'),
  },
  (t) => [index('indicator_category_idx').on(t.category)],
)

export const observations = pgTable(
  'observation',
  {
    id: id('id').primaryKey(),
    indicatorCode: ctext('indicator_code')
      .notNull()
      .references(() => indicators.code),
    areaCode: ctext('area_code')
      .notNull()
      .references(() => areas.code),
    periodCode: ctext('period_code')
      .notNull()
      .references(() => reportingPeriods.code),
    kind: ctext('kind').notNull(),
    /** seq of the revision in force; the only column that changes after insert. */
    currentSeq: id('current_seq').notNull(),
  },
  (t) => [
    uniqueIndex('observation_natural_key').on(t.indicatorCode, t.areaCode, t.periodCode, t.kind),
    // Keyset pages in id order under a filter: one (filter column, id) index each.
    index('observation_indicator_idx').on(t.indicatorCode, t.id),
    index('observation_area_idx').on(t.areaCode, t.id),
    index('observation_period_idx').on(t.periodCode, t.id),
    // One kind is a page in id order whatever its share or where its rows lie (see docs/postgres.md).
    index('observation_kind_idx').on(t.kind, t.id),
    check('observation_kind_check', sql`${t.kind} in ('actual', 'target', 'forecast')`),
  ],
)

export const observationRevisions = pgTable(
  'observation_revision',
  {
    /** Global commit order: the change feed's sequence number. */
    seq: id('seq').primaryKey(),
    observationId: id('observation_id')
      .notNull()
      .references(() => observations.id),
    revision: integer('revision').notNull(),
    status: ctext('status').notNull(),
    value: text('value').notNull(),
    qualifier: ctext('qualifier').notNull(),
    reportedValue: text('reported_value').notNull(),
    reportedUnit: text('reported_unit').notNull(),
    /** The number as written when not in Arabic digits (四, 十一). */
    reportedText: text('reported_text'),
    sourceId: ctext('source_id')
      .notNull()
      .references(() => sources.id),
    quote: text('quote').notNull(),
    byteStart: integer('byte_start').notNull(),
    byteEnd: integer('byte_end').notNull(),
    /** JSON array of area codes the source names as involved, as text (inlined in the JSON as it is). */
    involvedAreas: text('involved_areas').notNull().default('[]'),
    note: text('note'),
    reason: text('reason').notNull(),
    actor: ctext('actor').notNull(),
    recordedAt: ctext('recorded_at').notNull(),
    /** `flow` over the period, or `stock` at reference_date. */
    temporality: ctext('temporality').notNull().default('flow'),
    referenceDate: ctext('reference_date'),
    /** When the authority published this revision (valid time for asOf); written on every insert, null only before migration 0003 filled it. */
    publishedAt: ctext('published_at'),
    /** JSON array of the validation rules whose state this revision changed. */
    ruleChanges: text('rule_changes').notNull().default('[]'),
  },
  (t) => [
    uniqueIndex('observation_revision_key').on(t.observationId, t.revision),
    // Corrections only (revision > 1): updatedSince reaches the older observations changed since T
    // through it, and the ones created since T by id; creations never pay for it.
    index('observation_revision_correction_idx').on(t.seq, t.observationId).where(sql`${t.revision} > 1`),
    // source=: the observations citing a source as a range in id order, not a scan of them all.
    index('observation_revision_source_idx').on(t.sourceId, t.observationId),
  ],
)

export const auditEntries = pgTable('audit_entry', {
  seq: id('seq').primaryKey(),
  recordedAt: ctext('recorded_at').notNull(),
  actor: ctext('actor').notNull(),
  action: ctext('action').notNull(),
  entityType: ctext('entity_type').notNull(),
  entityId: ctext('entity_id').notNull(),
  /** Canonical JSON of the entity before the change, or null (text: its bytes are hashed). */
  before: text('before'),
  /** Canonical JSON of the entity after the change, or null. */
  after: text('after'),
  prevHash: ctext('prev_hash').notNull(),
  hash: ctext('hash').notNull(),
})

export const apiKeys = pgTable('api_key', {
  id: ctext('id').primaryKey(),
  name: ctext('name').notNull().unique(),
  /** Comma-separated scopes: write, admin. */
  scopes: ctext('scopes').notNull(),
  /** SHA-256 of the whole secret, hex; the secret itself is never stored. */
  secretHash: ctext('secret_hash').notNull(),
  createdAt: ctext('created_at').notNull(),
  revokedAt: ctext('revoked_at'),
})

export const idempotencyKeys = pgTable(
  'idempotency_key',
  {
    actor: ctext('actor').notNull(),
    key: ctext('key').notNull(),
    requestHash: ctext('request_hash').notNull(),
    state: ctext('state').notNull(),
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    createdAt: ctext('created_at').notNull(),
    expiresAt: ctext('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index('idempotency_key_expiry_idx').on(t.expiresAt)],
)

/** The unit catalogue: a base unit has base = its own code and multiplier 1; a reported unit converts to its base exactly. */
export const units = pgTable(
  'unit',
  {
    code: ctext('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    base: ctext('base').notNull(),
    /** Exact decimal text: value in base = value × multiplier. */
    multiplier: text('multiplier').notNull(),
    description: text('description').notNull().default(''),
  },
  (t) => [index('unit_base_idx').on(t.base)],
)

export const topics = pgTable('topic', {
  code: ctext('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  descriptionZh: text('description_zh').notNull(),
  descriptionEn: text('description_en').notNull(),
  /** JSON array of other words for the topic that search matches. */
  synonyms: text('synonyms').notNull().default('[]'),
  /** Listing order (the brief's families first). */
  position: integer('position').notNull(),
})

export const topicIndicators = pgTable(
  'topic_indicator',
  {
    topicCode: ctext('topic_code')
      .notNull()
      .references(() => topics.code),
    indicatorCode: ctext('indicator_code')
      .notNull()
      .references(() => indicators.code),
  },
  (t) => [primaryKey({ columns: [t.topicCode, t.indicatorCode] }), index('topic_indicator_indicator_idx').on(t.indicatorCode)],
)

/** Declared relations between indicators (components → total, target ↔ actual, amount ↔ recipients, same scope). */
export const indicatorRelations = pgTable('indicator_relation', {
  code: ctext('code').primaryKey(),
  type: ctext('type').notNull(),
  /** Canonical JSON of the relation's members and rule. */
  definition: text('definition').notNull(),
  description: text('description').notNull(),
})

/** Reviewed corrections of a seed, each applied once. */
export const seedCorrections = pgTable('seed_correction', {
  id: ctext('id').primaryKey(),
  sourceId: ctext('source_id').notNull(),
  appliedAt: ctext('applied_at').notNull(),
})
