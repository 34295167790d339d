// Locates the project's data folders whether running from src/ (tests, tsx) or dist/.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(start: string): string {
  let dir = start
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'migrations'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no project root above ${start}`)
    dir = parent
  }
  return dir
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)))
export const migrationsFolder = join(projectRoot, 'migrations')
export const seedsFolder = join(projectRoot, 'seeds')
