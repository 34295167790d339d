import { defineConfig } from 'vitest/config'

/**
 * The API suite, run again on PostgreSQL (TEST_BACKEND=postgres, a fresh database per file). The
 * other files are about one backend's own machinery (the SQLite file, its writer thread, backups,
 * crash recovery of a process on a file) or about no database at all.
 */
export const API_SUITE = [
  'test/read-api.test.ts',
  'test/write-api.test.ts',
  'test/csv-export.test.ts',
  'test/hostile.test.ts',
  'test/http-hardening.test.ts',
  'test/imports-hardening.test.ts',
  'test/sync-audit.test.ts',
  'test/concurrency.test.ts',
  'test/response-cache.test.ts',
  'test/auth-hardening.test.ts',
  'test/shared-limits.test.ts',
  'test/http-semantics.test.ts',
  'test/corrections.test.ts',
  'test/topics.test.ts',
  'test/topics-admin.test.ts',
  'test/time.test.ts',
  'test/units.test.ts',
  'test/other-town.test.ts',
  'test/relations.test.ts',
  'test/jsonstat.test.ts',
  'test/web-pages.test.ts',
  'test/csv-roundtrip.test.ts',
  'test/sdmx.test.ts',
  'test/annotations.test.ts',
  'test/web-source.test.ts',
  'test/paging-links.test.ts',
  'test/source-filter.test.ts',
  'test/representation-parameters.test.ts',
]

/** The web view in a real browser (Debian's Chromium through playwright-core). */
export const BROWSER_SUITE = ['test/web-browser-*.test.ts']

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // Test processes share two cores: a starved event loop there is the machine, not an overloaded service (config.test checks the default).
    env: { OVERLOAD_DELAY_MS: '0' },
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: BROWSER_SUITE } },
      { extends: true, test: { name: 'postgres', include: API_SUITE, env: { TEST_BACKEND: 'postgres' } } },
      // Chromium beside the other files would starve their event loops (the overload guard answers 503): `npm test` runs it after them.
      { extends: true, test: { name: 'browser', include: BROWSER_SUITE, fileParallelism: false } },
    ],
  },
})
