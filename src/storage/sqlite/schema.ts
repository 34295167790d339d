// The store's tables. Observations are identities (indicator × area × period ×
// kind); their values live in append-only revisions, so history is never lost.
import { sql } from 'drizzle-orm'
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core'

export const sources = sqliteTable('source', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  titleEn: text('title_en'),
  documentNumber: text('document_number'),
  issuer: text('issuer').notNull(),
  recipient: text('recipient'),
  issuedOn: text('issued_on').notNull(),
  mediaType: text('media_type').notNull(),
  byteLength: integer('byte_length').notNull(),
  sha256: text('sha256').notNull(),
  content: blob('content', { mode: 'buffer' }).notNull(),
  recordedAt: text('recorded_at').notNull(),
})

export const areas = sqliteTable(
  'area',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    level: text('level', { enum: ['province', 'prefecture', 'banner', 'town', 'village', 'reserve'] }).notNull(),
    parentCode: text('parent_code').references((): AnySQLiteColumn => areas.code),
    divisionCode: text('division_code'),
  },
  (t) => [index('area_parent_idx').on(t.parentCode)],
)

export const reportingPeriods = sqliteTable(
  'reporting_period',
  {
    code: text('code').primaryKey(),
    type: text('type', { enum: ['year', 'half', 'quarter', 'month'] }).notNull(),
    startDate: text('start_date').notNull(),
    endDate: text('end_date').notNull(),
  },
  (t) => [index('reporting_period_start_idx').on(t.startDate, t.endDate)],
)

export const indicators = sqliteTable(
  'indicator',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    description: text('description').notNull(),
    category: text('category').notNull(),
    unit: text('unit').notNull(),
    additive: integer('additive', { mode: 'boolean' }).notNull(),
    /** JSON array of other words for it (English and Chinese) that search matches. */
    synonyms: text('synonyms').notNull().default('[]'),
  },
  (t) => [index('indicator_category_idx').on(t.category)],
)

export const observations = sqliteTable(
  'observation',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    indicatorCode: text('indicator_code').notNull().references(() => indicators.code),
    areaCode: text('area_code').notNull().references(() => areas.code),
    periodCode: text('period_code').notNull().references(() => reportingPeriods.code),
    kind: text('kind', { enum: ['actual', 'target', 'forecast'] }).notNull(),
    /** seq of the revision in force; the only column that changes after insert. */
    currentSeq: integer('current_seq').notNull(),
  },
  (t) => [
    uniqueIndex('observation_natural_key').on(t.indicatorCode, t.areaCode, t.periodCode, t.kind),
    // Keyset pages in id order under a filter: one (filter column, id) index each, so a page reads only its rows.
    index('observation_indicator_idx').on(t.indicatorCode, t.id),
    index('observation_area_idx').on(t.areaCode, t.id),
    index('observation_period_idx').on(t.periodCode, t.id),
    check('observation_kind_check', sql`${t.kind} in ('actual', 'target', 'forecast')`),
  ],
)

export const observationRevisions = sqliteTable(
  'observation_revision',
  {
    /** Global commit order: the change feed's sequence number. */
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    observationId: integer('observation_id').notNull().references(() => observations.id),
    revision: integer('revision').notNull(),
    status: text('status', { enum: ['active', 'withdrawn'] }).notNull(),
    value: text('value').notNull(),
    qualifier: text('qualifier', { enum: ['eq', 'gt', 'gte', 'lt', 'lte', 'approx'] }).notNull(),
    reportedValue: text('reported_value').notNull(),
    reportedUnit: text('reported_unit').notNull(),
    /** The number as written when not in Arabic digits (四, 十一). */
    reportedText: text('reported_text'),
    sourceId: text('source_id').notNull().references(() => sources.id),
    quote: text('quote').notNull(),
    byteStart: integer('byte_start').notNull(),
    byteEnd: integer('byte_end').notNull(),
    /** JSON array of area codes the source names as involved. */
    involvedAreas: text('involved_areas').notNull().default('[]'),
    note: text('note'),
    reason: text('reason').notNull(),
    actor: text('actor').notNull(),
    recordedAt: text('recorded_at').notNull(),
    /** `flow` over the period, or `stock` at reference_date. */
    temporality: text('temporality', { enum: ['flow', 'stock'] }).notNull().default('flow'),
    referenceDate: text('reference_date'),
    /** When the authority published this revision (valid time for asOf); written on every insert, null only before migration 0006 filled it. */
    publishedAt: text('published_at'),
    /** JSON array of the validation rules whose state this revision changed. */
    ruleChanges: text('rule_changes').notNull().default('[]'),
  },
  // One index: asOf finds the revision in force among an observation's few revisions
  // through this one as well. A second (observation_id, recorded_at) index cost every
  // write an index insert (5 % of an import) to save reading a handful of entries.
  // The source index serves source=: the observations citing a source, read as a range in id
  // order rather than found by scanning every observation.
  (t) => [
    uniqueIndex('observation_revision_key').on(t.observationId, t.revision),
    index('observation_revision_source_idx').on(t.sourceId, t.observationId),
  ],
)

export const auditEntries = sqliteTable('audit_entry', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  recordedAt: text('recorded_at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  entityType: text('entity_type').notNull(),
  entityId: text('entity_id').notNull(),
  /** Canonical JSON of the entity before the change, or null. */
  before: text('before'),
  /** Canonical JSON of the entity after the change, or null. */
  after: text('after'),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
})

export const apiKeys = sqliteTable('api_key', {
  /** Public part of the key, also embedded in the secret (bti_<id>_<random>). */
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** Comma-separated scopes: write, admin. */
  scopes: text('scopes').notNull(),
  /** SHA-256 of the whole secret, hex; the secret itself is never stored. */
  secretHash: text('secret_hash').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
})

export const idempotencyKeys = sqliteTable(
  'idempotency_key',
  {
    /** The API key's name: keys are scoped per client. */
    actor: text('actor').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path, query and body: the same key with another request is refused. */
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'done'] }).notNull(),
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] }), index('idempotency_key_expiry_idx').on(t.expiresAt)],
)

/** The unit catalogue: a base unit has base = its own code and multiplier 1; a reported unit converts to its base exactly. */
export const units = sqliteTable(
  'unit',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    base: text('base').notNull(),
    /** Exact decimal text: value in base = value × multiplier. */
    multiplier: text('multiplier').notNull(),
    description: text('description').notNull().default(''),
  },
  (t) => [index('unit_base_idx').on(t.base)],
)

export const topics = sqliteTable('topic', {
  code: text('code').primaryKey(),
  nameZh: text('name_zh').notNull(),
  nameEn: text('name_en').notNull(),
  descriptionZh: text('description_zh').notNull(),
  descriptionEn: text('description_en').notNull(),
  /** JSON array of other words for the topic that search matches. */
  synonyms: text('synonyms').notNull().default('[]'),
  /** Listing order (the brief's families first). */
  position: integer('position').notNull(),
})

export const topicIndicators = sqliteTable(
  'topic_indicator',
  {
    topicCode: text('topic_code')
      .notNull()
      .references(() => topics.code),
    indicatorCode: text('indicator_code')
      .notNull()
      .references(() => indicators.code),
  },
  (t) => [primaryKey({ columns: [t.topicCode, t.indicatorCode] }), index('topic_indicator_indicator_idx').on(t.indicatorCode)],
)

/** Declared relations between indicators (components → total, target ↔ actual, amount ↔ recipients, same scope). */
export const indicatorRelations = sqliteTable('indicator_relation', {
  code: text('code').primaryKey(),
  type: text('type').notNull(),
  /** Canonical JSON of the relation's members and rule. */
  definition: text('definition').notNull(),
  description: text('description').notNull(),
})

/** Reviewed corrections of a seed, each applied once. */
export const seedCorrections = sqliteTable('seed_correction', {
  id: text('id').primaryKey(),
  sourceId: text('source_id').notNull(),
  appliedAt: text('applied_at').notNull(),
})
