// Create-or-update of a catalog entity (indicator, area, period) with its
// audit entry in the same transaction. An identical PUT records nothing.
import type { JsonValue } from '../../domain/canonical-json.js'
import type { AuditAppender } from './audit.repository.js'

export type PutOutcome = 'created' | 'updated' | 'unchanged'

export function auditedPut<T extends Record<string, JsonValue>>(
  audit: AuditAppender,
  change: { entityType: string; entityId: string; actor: string; before: T | null; after: T; insert(): void; update(): void },
): PutOutcome {
  const { before, after } = change
  if (before && JSON.stringify(before) === JSON.stringify({ ...before, ...after })) return 'unchanged'
  if (before) change.update()
  else change.insert()
  audit.append({
    actor: change.actor,
    action: `${change.entityType}.${before ? 'update' : 'create'}`,
    entityType: change.entityType,
    entityId: change.entityId,
    before,
    after,
  })
  return before ? 'updated' : 'created'
}
