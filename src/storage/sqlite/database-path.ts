// Checks where the database file will live before SQLite touches it, so a bad DATABASE_URL fails at
// once with one line naming the path and the reason (Node's recursive mkdir loops for ever under /proc).
import { accessSync, constants, mkdirSync, statSync, statfsSync, type Stats } from 'node:fs'
import { dirname, resolve } from 'node:path'

export class DatabasePathError extends Error {
  constructor(path: string, reason: string) {
    super(`database ${path}: ${reason}`)
    this.name = 'DatabasePathError'
  }
}

// statfs(2) magic numbers of kernel pseudo file systems: they hold no user files.
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e0, 'efivarfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
  [0xf97cff8c, 'selinuxfs'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
])

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : String(err)
}

/** The entry at `path`, or undefined when there is none (or a file stands where a folder would be). */
function entry(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false })
  } catch (err) {
    if (errorCode(err) === 'ENOTDIR') return undefined
    throw new DatabasePathError(path, `cannot be inspected (${errorCode(err)})`)
  }
}

/** The folder chain is made one level at a time; throws DatabasePathError naming the path and the reason. */
export function prepareDatabasePath(url: string): void {
  const file = resolve(url)
  const missing: string[] = []
  let dir = dirname(file)
  let stat = entry(dir)
  while (!stat) {
    missing.unshift(dir)
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
    stat = entry(dir)
  }
  if (!stat?.isDirectory()) throw new DatabasePathError(url, `${dir} is not a folder`)
  let fsType: number | undefined
  try {
    fsType = Number(statfsSync(dir).type)
  } catch {
    // statfs unsupported here: the checks below still apply.
  }
  const pseudo = fsType === undefined ? undefined : PSEUDO_FILE_SYSTEMS.get(fsType)
  if (pseudo) throw new DatabasePathError(url, `${dir} is on the ${pseudo} pseudo file system, which cannot hold a database`)
  for (const folder of missing) {
    try {
      mkdirSync(folder)
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw new DatabasePathError(url, `cannot create folder ${folder} (${errorCode(err)})`)
    }
  }
  const parent = dirname(file)
  try {
    accessSync(parent, constants.W_OK | constants.X_OK)
  } catch (err) {
    throw new DatabasePathError(url, `folder ${parent} is not writable (${errorCode(err)})`)
  }
  const existing = entry(file)
  if (!existing) return
  if (!existing.isFile()) throw new DatabasePathError(url, 'exists but is not a regular file')
  try {
    accessSync(file, constants.R_OK | constants.W_OK)
  } catch (err) {
    throw new DatabasePathError(url, `is not readable and writable (${errorCode(err)})`)
  }
}
