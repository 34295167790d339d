// The fast unit tests of the data rules only, for mutation testing (npm run mutation):
// no build, no server, no database.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/domain.test.ts', 'test/citation-rules.test.ts', 'test/audit-chain*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    env: { PROPERTY_RUNS_SCALE: '0.1' },
  },
})
