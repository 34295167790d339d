// Full verification passes on a database file run in a worker thread with its
// own read-only connection; on ':memory:' they stay in-process. Closing stops a
// pass under way and waits for its thread.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createIntegrityMonitor, readHead } from '../src/modules/audit/integrity-monitor.js'
import { createFullPassThread } from '../src/modules/audit/integrity-thread.js'
import * as integrity from '../src/modules/audit/integrity.js'
import { loadSigner } from '../src/modules/audit/signing.js'
import { freshDb } from './helpers.js'

// A pass-through spy: the worker thread loads its own copy of the module, so only in-process passes are counted here.
vi.mock('../src/modules/audit/integrity.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/modules/audit/integrity.js')>()
  return { ...mod, integritySteps: vi.fn(mod.integritySteps) }
})
// A switch to make the thread fail to run, as a missing worker file would.
const threadFails = vi.hoisted(() => ({ now: false }))
vi.mock('../src/modules/audit/integrity-thread.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../src/modules/audit/integrity-thread.js')>()
  return {
    ...mod,
    createFullPassThread(file: string) {
      const thread = mod.createFullPassThread(file)
      return { run: () => (threadFails.now ? Promise.reject(new Error('cannot start the worker')) : thread.run()), close: () => thread.close() }
    },
  }
})
const inProcessFullPasses = () => vi.mocked(integrity.integritySteps).mock.calls.filter(([, , full]) => full).length

const log = { warn: vi.fn(), error: vi.fn() }
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) c()
  vi.mocked(integrity.integritySteps).mockClear()
  threadFails.now = false
  log.warn.mockClear()
  log.error.mockClear()
})

async function monitorOn(file: boolean) {
  const store = await freshDb({ file })
  cleanups.push(store.cleanup)
  // syncStartEntries 0: the start pass goes to the background, as on a large database.
  const monitor = createIntegrityMonitor(store.storage, { signer: loadSigner(null), highWaterMarkFile: null, log, syncStartEntries: 0 })
  return { storage: store.storage, db: store.db, path: store.path, monitor }
}

describe('where full verification passes run', () => {
  it('on a database file: in a worker thread; the monitor takes in its checkpoint and the public check goes on from it', async () => {
    const { storage, monitor } = await monitorOn(true)
    const head = (await readHead(storage.audit))
    expect(head.seq).toBeGreaterThan(0)
    await monitor.start()
    expect(monitor.status().state).toBe('verifying')
    expect(await monitor.verify()).toBeNull()
    const full = await monitor.verifyFully()
    expect(full).toMatchObject({ ok: true, headSeq: head.seq, headHash: head.hash, checkedFrom: 1 })
    expect(monitor.status()).toMatchObject({ state: 'verified', verifiedSeq: head.seq })
    expect(monitor.status().lastFullAt).not.toBeNull()
    expect(inProcessFullPasses()).toBe(0)
    // The incremental check runs here, from the checkpoint the thread reported.
    expect(await monitor.verify()).toMatchObject({ ok: true, headSeq: head.seq })
    await monitor.close()
    expect(log.error).not.toHaveBeenCalled()
  })

  it('on a database file: a broken table found by the thread makes the monitor report tampering', async () => {
    const { db, monitor } = await monitorOn(true)
    db.$client.exec("UPDATE indicator SET unit = 'mu' WHERE rowid = (SELECT min(rowid) FROM indicator)")
    await monitor.start()
    const full = await monitor.verifyFully()
    expect(full).toMatchObject({ ok: false, reason: expect.stringMatching(/indicator .*unit differs/) })
    expect(monitor.status()).toMatchObject({ state: 'tampered' })
    expect(inProcessFullPasses()).toBe(0)
    await monitor.close()
  })

  it('on a database file whose thread cannot run: the pass falls back to the serving thread, in slices, with a warning', async () => {
    const { storage, monitor } = await monitorOn(true)
    threadFails.now = true
    await monitor.start()
    expect(await monitor.verifyFully()).toMatchObject({ ok: true, headSeq: (await readHead(storage.audit)).seq })
    expect(monitor.status().state).toBe('verified')
    expect(inProcessFullPasses()).toBeGreaterThan(0)
    expect(log.warn).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/verification thread failed/))
    await monitor.close()
  })

  it("on ':memory:': in-process, in slices (one connection only)", async () => {
    const { storage, monitor } = await monitorOn(false)
    await monitor.start()
    expect(await monitor.verifyFully()).toMatchObject({ ok: true, headSeq: (await readHead(storage.audit)).seq })
    expect(inProcessFullPasses()).toBeGreaterThan(0)
    await monitor.close()
  })
})

describe('closing', () => {
  it('stops a pass under way: its thread ends, the pass answers null, later passes do not start', async () => {
    const { path } = await monitorOn(true)
    const thread = createFullPassThread(path)
    const pass = thread.run()
    await new Promise((r) => setImmediate(r))
    const t0 = Date.now()
    await thread.close()
    expect(Date.now() - t0).toBeLessThan(6_000)
    expect(await pass).toBeNull()
    expect(await thread.run()).toBeNull()
  })

  it('the monitor waits for its thread when closed during the start pass, and takes no result from it', async () => {
    const { monitor } = await monitorOn(true)
    await monitor.start()
    await new Promise((r) => setImmediate(r))
    await monitor.close()
    expect(monitor.status().state).toBe('verifying')
    expect(await monitor.verifyFully()).toBeNull()
    expect(log.error.mock.calls).toEqual([])
  })
})
