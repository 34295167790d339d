// The storage seam: everything the services ask of a database, as async ports.
// Two adapters implement it (storage/sqlite, storage/postgres); nothing outside
// src/storage imports a driver or writes SQL. Records are plain data, values
// exact decimal strings, instants RFC 3339 UTC strings.
import type { CheckedObservation, Kind, Qualifier, Temporality } from '../domain/observation.js'

export type Dialect = 'sqlite' | 'postgres'

// ---------------------------------------------------------------- records

export interface ObservationRow {
  id: number
  indicator: string
  area: string
  period: string
  kind: Kind
  unit: string
  seq: number
  revision: number
  status: 'active' | 'withdrawn'
  value: string
  qualifier: Qualifier
  reportedValue: string
  reportedUnit: string
  reportedText: string | null
  sourceId: string
  quote: string
  byteStart: number
  byteEnd: number
  /** JSON array text of area codes, as stored (e.g. `[]`, `["a","b"]`). */
  involvedAreas: string
  note: string | null
  temporality: Temporality
  referenceDate: string | null
  /** When the authority published this revision (valid time); the recording instant when none was declared. */
  publishedAt: string
  reason: string
  actor: string
  recordedAt: string
  /** JSON array text of the rule state changes this revision caused (see RuleChange), as stored. */
  ruleChanges: string
}

export interface ObservationFilter {
  indicators?: string[] | undefined
  areas?: string[] | undefined
  periods?: string[] | undefined
  /** Periods that lie within [periodFrom, periodTo] (dates, YYYY-MM-DD). */
  periodFrom?: string | undefined
  periodTo?: string | undefined
  kinds?: Kind[] | undefined
  categories?: string[] | undefined
  /** Indicators that belong to any of these topics. */
  topics?: string[] | undefined
  /** Observations whose revision in force (current, or as of asOf/knownAt) cites one of these sources. */
  sources?: string[] | undefined
  /** Valid time: the latest revision (by seq) published at or before this instant (store form), instead of the current one. */
  asOf?: string | undefined
  /** Transaction time: the latest revision (by seq) recorded at or before this instant; with asOf, both must hold. */
  knownAt?: string | undefined
  /** Only observations whose revision in force was recorded at or after this instant (withdrawn included). */
  updatedSince?: string | undefined
  includeWithdrawn?: boolean | undefined
}

export interface VintageFilter {
  indicators?: string[] | undefined
  areas?: string[] | undefined
}

/** One publication date: how many revisions were published that UTC day and how many observations they touch. */
export interface Vintage {
  date: string
  revisions: number
  observations: number
}

export interface NaturalKey {
  indicator: string
  area: string
  period: string
  kind: Kind
}

export interface NewRevision {
  observationId: number
  revision: number
  status: 'active' | 'withdrawn'
  observation: CheckedObservation
  reason: string
  actor: string
  recordedAt: string
  /** When the authority published it (the observation's publishedAt); defaults to recordedAt. */
  publishedAt?: string | undefined
  /** JSON array text of the validation rules whose state this revision changed; '[]' when none (the default). */
  ruleChanges?: string | undefined
}

export type AreaLevel = 'province' | 'prefecture' | 'banner' | 'town' | 'village' | 'reserve'
export interface AreaRecord {
  code: string
  nameZh: string
  nameEn: string
  level: AreaLevel
  parentCode: string | null
  divisionCode: string | null
}

export type PeriodType = 'year' | 'half' | 'quarter' | 'month'
export interface PeriodRecord {
  code: string
  type: PeriodType
  startDate: string
  endDate: string
}

export interface IndicatorRecord {
  code: string
  nameZh: string
  nameEn: string
  description: string
  category: string
  unit: string
  additive: boolean
  /** Other words for it that search matches; reads always set it, writers may leave it out (= none). */
  synonyms?: string[]
}

/** A topic: a family of indicators under the words users look for them by. */
export interface TopicRecord {
  code: string
  nameZh: string
  nameEn: string
  descriptionZh: string
  descriptionEn: string
  synonyms: string[]
  /** Listing order. */
  position: number
  /** Member indicator codes, sorted. */
  indicators: string[]
}

/** A unit of the catalogue: a base unit has base = code and multiplier '1'. */
export interface UnitRecord {
  code: string
  nameZh: string
  nameEn: string
  base: string
  /** Exact decimal text: value in base = value in this unit × multiplier. */
  multiplier: string
  description: string
}

/** Why a unit's base or multiplier may not change: what refers to it. */
export interface UnitUse {
  /** Observation revisions reported in it. */
  observations: boolean
  /** Indicators whose values are in it (a base unit). */
  indicators: boolean
  /** Other units converting to it (a base unit). */
  units: boolean
}

/** A declared relation between indicators; `definition` is the canonical JSON text of its type's definition (domain/relations.ts). */
export interface RelationRecord {
  code: string
  type: string
  definition: string
  description: string
}

export interface SourceMetadata {
  id: string
  title: string
  titleEn: string | null
  documentNumber: string | null
  issuer: string
  recipient: string | null
  issuedOn: string
  mediaType: string
  byteLength: number
  sha256: string
  recordedAt: string
}
export interface SourceRecord extends SourceMetadata {
  content: Buffer
}

export interface ApiKeyRecord {
  id: string
  name: string
  /** Comma-separated, sorted: `admin,write`. */
  scopes: string
  secretHash: string
  createdAt: string
  revokedAt: string | null
}

export interface IdempotencyRecord {
  actor: string
  key: string
  requestHash: string
  statusCode: number | null
  responseBody: string | null
  createdAt: string
  expiresAt: string
}

/** A row of audit_entry: before and after as their canonical JSON text. */
export interface StoredAuditRow {
  seq: number
  recordedAt: string
  actor: string
  action: string
  entityType: string
  entityId: string
  before: string | null
  after: string | null
  prevHash: string
  hash: string
}

// ---------------------------------------------------------------- reads

export interface ObservationReads {
  /** One keyset page in id order (rows after `afterId`, at most `limit`) as row objects. */
  page(filter: ObservationFilter, afterId: number, limit: number): Promise<ObservationRow[]>
  /** The same page as [id, Observation JSON text] pairs, byte-identical to the schema serializer's output. */
  pageJson(filter: ObservationFilter, afterId: number, limit: number): Promise<Array<[number, string]>>
  /** The same page as CSV lines (CRLF-terminated, no header), their count, and the last id. */
  pageCsv(filter: ObservationFilter, afterId: number, limit: number): Promise<{ text: string; count: number; lastId: number }>
  /** The revision in force now, or the latest one published by `asOf` and recorded by `knownAt` (store-form instants). */
  byId(id: number, asOf?: string, knownAt?: string): Promise<ObservationRow | null>
  /** Publication dates (UTC) of the revisions of the matching observations, ascending. */
  vintages(filter: VintageFilter): Promise<Vintage[]>
  exists(id: number): Promise<boolean>
  /** Revisions in seq (commit) order after `afterSeq`. */
  changes(afterSeq: number, limit: number): Promise<ObservationRow[]>
  /** The same as [seq, ObservationRevision JSON text] pairs. */
  changesJson(afterSeq: number, limit: number): Promise<Array<[number, string]>>
  /** Every revision of one observation, oldest first. */
  revisions(id: number): Promise<ObservationRow[]>
}

export interface CatalogReads {
  /** By code; with `q`, only matches, in search rank order (see storage/search.ts). */
  indicators(filter?: { categories?: string[] | undefined; topics?: string[] | undefined; q?: string | undefined }): Promise<IndicatorRecord[]>
  /** In position order (code breaks ties). */
  topics(): Promise<TopicRecord[]>
  topic(code: string): Promise<TopicRecord | null>
  indicator(code: string): Promise<IndicatorRecord | null>
  categories(): Promise<string[]>
  areas(filter?: { level?: string[] | undefined; parent?: string | undefined }): Promise<AreaRecord[]>
  area(code: string): Promise<AreaRecord | null>
  /** Direct children, by code. */
  areaChildren(code: string): Promise<AreaRecord[]>
  /** Containing period first: start date ascending, then end date descending. */
  periods(filter?: { type?: string[] | undefined }): Promise<PeriodRecord[]>
  period(code: string): Promise<PeriodRecord | null>
  sources(): Promise<SourceMetadata[]>
  source(id: string): Promise<SourceMetadata | null>
  sourceContent(id: string): Promise<{ content: Buffer; sha256: string; mediaType: string } | null>
  /** The unit catalogue by code, optionally only the units of these bases. */
  units(filter?: { base?: string[] | undefined }): Promise<UnitRecord[]>
  unit(code: string): Promise<UnitRecord | null>
  /** Declared relations, by code. */
  relations(): Promise<RelationRecord[]>
}

export interface AuditReads {
  head(): Promise<{ seq: number; hash: string; recordedAt: string } | null>
  page(afterSeq: number, limit: number): Promise<StoredAuditRow[]>
  entry(seq: number): Promise<StoredAuditRow | null>
}

export interface KeyReads {
  byId(id: string): Promise<ApiKeyRecord | null>
  byName(name: string): Promise<ApiKeyRecord | null>
  /** Ordered by name. */
  list(): Promise<ApiKeyRecord[]>
}

export interface IdempotencyReads {
  find(actor: string, key: string): Promise<IdempotencyRecord | null>
}

/**
 * The reads the integrity checks make (see modules/audit/integrity.ts): every
 * table that changes an answer or an authority, in the log's snapshot terms.
 */
export interface IntegrityReads {
  apiKeys(): Promise<ApiKeyRecord[]>
  /** Sources without their bytes; `withRecordedAt` false may omit recordedAt (costly on SQLite). */
  sourcesMetadata(withRecordedAt: boolean): Promise<Array<Omit<SourceMetadata, 'recordedAt'> & { recordedAt?: string }>>
  sourceContents(): AsyncIterable<{ id: string; content: Buffer; sha256: string; byteLength: number }>
  areas(): Promise<AreaRecord[]>
  periods(): Promise<PeriodRecord[]>
  /** `additive` as stored: true/false, or whatever else a tampered row holds. */
  /** `synonyms` parsed from its JSON text, or the text itself when it is not a JSON array. */
  indicators(): Promise<Array<Omit<IndicatorRecord, 'additive' | 'synonyms'> & { additive: unknown; synonyms: unknown }>>
  topics(): Promise<TopicRecord[]>
  units(): Promise<UnitRecord[]>
  idempotencyRecords(): Promise<IdempotencyRecord[]>
  /** Declared relations as stored (definition as its JSON text). */
  relations(): Promise<RelationRecord[]>
  /** Revisions with lowSeq < seq <= highSeq (highSeq undefined: no upper bound). */
  revisionCount(lowSeq: number, highSeq?: number): Promise<number>
  maxObservationId(): Promise<number>
  /** The first observation with lowId < id <= highId whose current_seq is not the highest seq of its revisions, or null. */
  strayPointer(lowId: number, highId: number): Promise<number | null>
  /** Of these observation ids, the first whose current revision is not its highest one, or null. */
  strayPointerAmong(ids: number[]): Promise<number | null>
}

export interface HealthReads {
  /** Throws StorageUnavailableError when the database cannot answer. */
  ping(): Promise<void>
  migrations(): Promise<{ applied: number; expected: number }>
  /** Bytes the database holds on disk, when the adapter can tell. */
  sizeBytes(): Promise<number | null>
}

// ---------------------------------------------------------------- writes

/** What a write transaction can read and append. Only the writer runs these, one transaction at a time. */
export interface WriteTx {
  /** Reads inside the transaction's snapshot (the integrity checks run their tail and comparisons here). */
  readonly audit: AuditReads
  readonly integrity: IntegrityReads
  /** One revision of an observation, or null. */
  revision(observationId: number, revision: number): Promise<ObservationRow | null>

  // observations
  currentByKeys(keys: NaturalKey[]): Promise<Array<ObservationRow | null>>
  currentById(id: number): Promise<ObservationRow | null>
  /** Creates observation identities (ids are max(id)+1 onwards, in order); their first revisions follow in the same transaction. */
  insertIdentities(keys: NaturalKey[]): Promise<number[]>
  /** Appends revisions (seq max(seq)+1 onwards, in order) and points each observation at its new one; returns the seqs. */
  appendRevisions(revisions: NewRevision[]): Promise<number[]>
  /** The id the next created observation gets. */
  nextObservationId(): Promise<number>

  // audit
  auditHead(): Promise<{ seq: number; hash: string; recordedAt: string } | null>
  appendAudit(entries: StoredAuditRow[]): Promise<void>

  // catalog (rule context and puts)
  indicatorUnits(codes: string[]): Promise<Map<string, string>>
  existingAreas(codes: string[]): Promise<Set<string>>
  existingPeriods(codes: string[]): Promise<Set<string>>
  sourceHashes(ids: string[]): Promise<Map<string, string>>
  /** The issue date (YYYY-MM-DD) of each of these sources that exists. */
  sourceIssueDates(ids: string[]): Promise<Map<string, string>>
  sourceContent(id: string): Promise<Buffer | null>
  area(code: string): Promise<AreaRecord | null>
  areaChildren(code: string): Promise<AreaRecord[]>
  areasWithDivisionCode(divisionCode: string, exceptCode: string): Promise<AreaRecord[]>
  indicator(code: string): Promise<IndicatorRecord | null>
  /** Whether any observation is of this indicator (its unit may then not change). */
  indicatorInUse(code: string): Promise<boolean>
  period(code: string): Promise<PeriodRecord | null>
  source(id: string): Promise<SourceMetadata | null>
  insertArea(record: AreaRecord): Promise<void>
  updateArea(record: AreaRecord): Promise<void>
  insertIndicator(record: IndicatorRecord): Promise<void>
  updateIndicator(record: IndicatorRecord): Promise<void>
  insertPeriod(record: PeriodRecord): Promise<void>
  topic(code: string): Promise<TopicRecord | null>
  /** Every topic with its members, in position order. */
  topics(): Promise<TopicRecord[]>
  /** The topic's row; its members are added with addTopicMembers. */
  insertTopic(record: Omit<TopicRecord, 'indicators'>): Promise<void>
  /** The topic's row (names, descriptions, synonyms, position); members are not touched. */
  updateTopic(record: Omit<TopicRecord, 'indicators'>): Promise<void>
  addTopicMembers(topicCode: string, indicatorCodes: string[]): Promise<void>
  removeTopicMembers(topicCode: string, indicatorCodes: string[]): Promise<void>
  insertSource(record: SourceRecord): Promise<void>
  /** Whether this reviewed seed correction was applied (seed_correction); read under the write lock, so it is applied once. */
  seedCorrectionApplied(id: string): Promise<boolean>
  recordSeedCorrection(record: { id: string; sourceId: string; appliedAt: string }): Promise<void>
  /** The whole unit catalogue, by code. */
  units(): Promise<UnitRecord[]>
  unit(code: string): Promise<UnitRecord | null>
  unitUse(code: string): Promise<UnitUse>
  insertUnit(record: UnitRecord): Promise<void>
  updateUnit(record: UnitRecord): Promise<void>
  /** Declared relations, by code: the write path reads them once per transaction to attribute rule changes. */
  relations(): Promise<RelationRecord[]>
  insertRelation(record: RelationRecord): Promise<void>
  updateRelation(record: RelationRecord): Promise<void>

  // keys
  keyById(id: string): Promise<ApiKeyRecord | null>
  keyByName(name: string): Promise<ApiKeyRecord | null>
  insertKey(record: ApiKeyRecord): Promise<void>
  revokeKey(id: string, at: string): Promise<void>

  // idempotency
  idempotencyRecord(actor: string, key: string): Promise<IdempotencyRecord | null>
  deleteExpiredIdempotency(now: string): Promise<void>
  deleteIdempotency(actor: string, key: string): Promise<void>
  insertIdempotency(record: IdempotencyRecord): Promise<void>
}

// ---------------------------------------------------------------- the store

export interface Storage {
  readonly dialect: Dialect
  /** For logs and errors; never holds a password. */
  readonly description: string
  /**
   * What openStorage takes to open this same database again from another thread (the writer, the
   * integrity pass): a file path, `:memory:` (which no other thread can open), or the full URL.
   * May hold a password: never log it.
   */
  readonly location: string
  readonly observations: ObservationReads
  readonly catalog: CatalogReads
  readonly audit: AuditReads
  readonly keys: KeyReads
  readonly idempotency: IdempotencyReads
  readonly integrity: IntegrityReads
  readonly health: HealthReads

  /**
   * Runs `body` in one transaction. 'write': serialized with every other write
   * (across processes), so seq order is commit order; commits when body resolves,
   * rolls back when it throws. 'snapshot': a consistent read-only view, never
   * blocks writers (its write methods fail).
   */
  transaction<T>(mode: 'write' | 'snapshot', body: (tx: WriteTx) => Promise<T>): Promise<T>

  /**
   * A number that changes whenever committed data may have changed (this process's
   * writes or another's). Synchronous and cheap: response caches ask it on every hit.
   */
  dataVersion(): number

  /** Applies the shipped migrations not yet applied, under a lock so concurrent starts migrate once; returns their names. */
  migrate(): Promise<string[]>

  close(): Promise<void>
}

/** The database cannot be reached or answered with a connection-level failure: a 503, retryable. */
export class StorageUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause })
    this.name = 'StorageUnavailableError'
  }
}

/** A write lost a race with another writer's unique key (e.g. two creates of one source): a 409. */
export class StorageConflictError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StorageConflictError'
  }
}

/** Text the database cannot store (PostgreSQL and U+0000): a 422; validation refuses it first on every backend. */
export class StorageInvalidTextError extends Error {
  constructor(
    message: string,
    /** The database's own error code (SQLSTATE). */
    readonly code: string,
    cause?: unknown,
  ) {
    super(message, { cause })
    this.name = 'StorageInvalidTextError'
  }
}
