// Starts the full verification thread from TypeScript sources (tests, `npm run dev`):
// registers tsx in this thread, then loads the worker.
import { register } from 'tsx/esm/api'

register()
await import('./integrity-worker.ts')
