// Starts the writer thread from TypeScript sources (tests, `npm run dev`):
// registers tsx in this thread, then loads the worker.
import { register } from 'tsx/esm/api'

register()
await import('./writer-worker.ts')
