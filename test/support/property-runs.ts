// Property tests run their full count in the suite and a tenth under mutation testing
// (vitest.mutation.config.ts), where every mutant runs them again.
export const runs = (full: number): number => Math.max(50, Math.round(full * Number(process.env.PROPERTY_RUNS_SCALE ?? '1')))
