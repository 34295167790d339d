// Create-or-update of a catalog entity (indicator, area, period) with its
// audit entry in the same transaction. An identical PUT records nothing.
import type { JsonValue } from '../../domain/canonical-json.js'
import type { AuditAppender } from './audit-appender.js'

export type PutOutcome = 'created' | 'updated' | 'unchanged'

export async function auditedPut<T extends object>(
  audit: AuditAppender,
  change: { entityType: string; entityId: string; actor: string; before: T | null; after: T; insert(): Promise<void>; update(): Promise<void> },
): Promise<PutOutcome> {
  const { before, after } = change
  if (before && JSON.stringify(before) === JSON.stringify({ ...before, ...after })) return 'unchanged'
  if (before) await change.update()
  else await change.insert()
  audit.append({
    actor: change.actor,
    action: `${change.entityType}.${before ? 'update' : 'create'}`,
    entityType: change.entityType,
    entityId: change.entityId,
    before: before as Record<string, JsonValue> | null,
    after: after as Record<string, JsonValue>,
  })
  return before ? 'updated' : 'created'
}
