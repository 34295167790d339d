// The actors the code itself writes into the audit log. An API key's name is
// the actor of its writes, so no key may take a name that reads like one of these.

/** Every internal actor name, in one place so that the reserved list cannot drift from what is written. */
export const INTERNAL_ACTORS = {
  /** The seed loader (first start, `npm run db:seed`). */
  seed: 'seed',
  /** The key administration command (`npm run keys`). */
  cli: 'cli',
  /** The benchmark's synthetic data generator. */
  synth: 'synth',
} as const

/** Names reserved besides the actors written today: generic names an operator would read as "the system". */
const ALSO_RESERVED = ['system', 'server', 'service', 'root', 'migration', 'anonymous', 'unknown']

/** Case, dots, dashes and underscores do not tell two names apart for a reader of the audit log. */
function readable(name: string): string {
  return name.toLowerCase().replace(/[._-]/g, '')
}

const RESERVED = new Set([...Object.values(INTERNAL_ACTORS), ...ALSO_RESERVED].map(readable))

/** Whether `name` reads like an internal actor (e.g. `seed`, `Seed`, `S.E.E.D`, `c-l-i`). */
export function isReservedActorName(name: string): boolean {
  return RESERVED.has(readable(name))
}

export const RESERVED_ACTOR_NAMES: readonly string[] = [...Object.values(INTERNAL_ACTORS), ...ALSO_RESERVED]
