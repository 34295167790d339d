// The seeded unit catalogue (seeds/units.json), for tests of the rules outside a database.
import { UnitCatalogue } from '../../src/domain/units.js'
import { readSeedUnits } from '../../src/seed/seed-units.js'

export const SEED_UNITS = readSeedUnits()
export const SEED_CATALOGUE = new UnitCatalogue(SEED_UNITS)
/** The rule context's unit questions, answered from the seed catalogue. */
export const seedUnitContext = {
  unitBase: (code: string) => SEED_CATALOGUE.reportedUnit(code)?.base,
  unitMultiplier: (code: string) => SEED_CATALOGUE.reportedUnit(code)?.multiplier,
  unitWords: () => SEED_CATALOGUE.words,
}
