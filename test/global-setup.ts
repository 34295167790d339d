// Builds dist/ once for the tests that start the real process.
import { spawnSync } from 'node:child_process'
import { projectRoot } from '../src/paths.js'

export default function setup(): void {
  const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`)
}
