// Signed audit heads: an Ed25519 key kept in a file outside the database signs
// the head of the chain, so a third party holding a signed head can prove a
// later truncation or rewrite with openssl alone, and the service itself
// keeps a signed high-water mark next to the database to notice one at start.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** The first line of every signed text: names what is signed and its version. */
export const SIGNED_HEAD_LABEL = 'bayantala-indicators audit head v1'

export interface Head {
  seq: number
  hash: string
  recordedAt: string | null
}

/** The exact bytes signed (UTF-8): four lines, each ending in "\n"; an empty chain's time is empty. */
export function signedHeadText(head: Head): string {
  return `${SIGNED_HEAD_LABEL}\nseq=${head.seq}\nhash=${head.hash}\nrecordedAt=${head.recordedAt ?? ''}\n`
}

export interface AuditSigner {
  /** Where the private key lives, or null for a key that lives only in this process (:memory:). */
  readonly keyFile: string | null
  readonly publicKeyPem: string
  /** Base64 Ed25519 signature of signedHeadText(head). */
  signHead(head: Head): string
  verifyHead(head: Head, signature: string): boolean
}

function signerOf(privateKey: KeyObject, keyFile: string | null): AuditSigner {
  const publicKey = createPublicKey(privateKey)
  return {
    keyFile,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    signHead: (head) => sign(null, Buffer.from(signedHeadText(head), 'utf8'), privateKey).toString('base64'),
    verifyHead: (head, signature) => {
      try {
        return verify(null, Buffer.from(signedHeadText(head), 'utf8'), publicKey, Buffer.from(signature, 'base64'))
      } catch {
        return false
      }
    },
  }
}

export class SigningKeyError extends Error {}

/**
 * Where the key and the high-water mark live for a database: next to its file
 * (never inside it), unless AUDIT_SIGNING_KEY_FILE names the key. An in-memory
 * database has no mark, and a key of its own process unless one is named.
 */
export function auditFilesFor(databaseUrl: string, configuredKeyFile: string): { keyFile: string | null; highWaterMarkFile: string | null } {
  const inMemory = databaseUrl === ':memory:' || databaseUrl.startsWith('file::memory:') || databaseUrl === ''
  return {
    keyFile: configuredKeyFile !== '' ? configuredKeyFile : inMemory ? null : `${databaseUrl}.audit-key.pem`,
    highWaterMarkFile: inMemory ? null : `${databaseUrl}.audit-head.json`,
  }
}

/**
 * Loads the Ed25519 key from `keyFile`, creating it (mode 0600, never
 * overwriting) when absent. With no file (an in-memory database), a key for
 * this process only.
 */
export function loadSigner(keyFile: string | null): AuditSigner {
  if (keyFile === null) return signerOf(generateKeyPairSync('ed25519').privateKey, null)
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true })
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    try {
      const fd = openSync(keyFile, 'wx', 0o600)
      writeSync(fd, pem)
      fsyncSync(fd)
      closeSync(fd)
    } catch (err) {
      // Another process made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SigningKeyError(`cannot create the audit signing key ${keyFile}: ${(err as Error).message}`)
    }
  }
  let key: KeyObject
  try {
    key = createPrivateKey(readFileSync(keyFile))
  } catch (err) {
    throw new SigningKeyError(`cannot read the audit signing key ${keyFile}: ${(err as Error).message}`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`the audit signing key ${keyFile} is not an Ed25519 private key`)
  return signerOf(key, keyFile)
}

/** Whether anyone but the owner may read the key file (the service warns). */
export function keyFileTooOpen(keyFile: string): boolean {
  return (statSync(keyFile).mode & 0o077) !== 0
}

/** The signed high-water mark: the newest head this service verified, kept in a file next to the database. */
export interface HighWaterMark extends Head {
  signature: string
}

export function readHighWaterMark(file: string): HighWaterMark | null | 'unreadable' {
  if (!existsSync(file)) return null
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as HighWaterMark
    if (!Number.isSafeInteger(v.seq) || typeof v.hash !== 'string' || typeof v.signature !== 'string') return 'unreadable'
    return { seq: v.seq, hash: v.hash, recordedAt: v.recordedAt ?? null, signature: v.signature }
  } catch {
    return 'unreadable'
  }
}

/** Replaces the file atomically (write, fsync, rename), so a crash leaves the old mark or the new one. */
export function writeHighWaterMark(file: string, mark: HighWaterMark): void {
  const tmp = `${file}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, `${JSON.stringify(mark)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
}
