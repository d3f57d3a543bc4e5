/**
 * @module store/sqlite/sqlite-backend
 * The embedded default Backend: one SQLite file in the data directory.
 * better-sqlite3 is synchronous, which is what a single-writer store wants: a commit is
 * one `BEGIN IMMEDIATE … COMMIT` with no event-loop turn in the middle. WAL mode keeps
 * every committed transaction across `kill -9`.
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Backend, Change, LoadedRow } from '../store.ts'
import type { Kind } from '../../model/resources.ts'

/** Schema migrations, applied in order; the index + 1 is the schema version. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE records (
     kind TEXT NOT NULL,
     id   TEXT NOT NULL,
     seq  INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX records_seq ON records (seq);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO meta (key, value) VALUES ('revision', '0'), ('seq', '0');`,
]

export class SqliteBackend implements Backend {
  readonly #db: Database.Database
  readonly #upsert: Database.Statement
  readonly #remove: Database.Statement
  readonly #setMeta: Database.Statement
  readonly #commit: (revision: number, changes: readonly Change[]) => void
  #seq: number

  /** Opens (creating if needed) `openalb.db` in `dataDir`, or an in-memory database for ':memory:'. */
  constructor(dataDir: string) {
    let file = ':memory:'
    if (dataDir !== ':memory:') {
      mkdirSync(dataDir, { recursive: true })
      file = join(dataDir, 'openalb.db')
    }
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL')
    this.#db.pragma('busy_timeout = 5000')
    this.#migrate()
    this.#upsert = this.#db.prepare(
      `INSERT INTO records (kind, id, seq, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data`,
    )
    this.#remove = this.#db.prepare('DELETE FROM records WHERE kind = ? AND id = ?')
    this.#setMeta = this.#db.prepare('UPDATE meta SET value = ? WHERE key = ?')
    const seqRow = this.#db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: string }
    this.#seq = Number(seqRow.value)
    this.#commit = this.#db.transaction((revision: number, changes: readonly Change[]) => {
      for (const change of changes) {
        if (change.data === undefined) this.#remove.run(change.kind, change.id)
        else this.#upsert.run(change.kind, change.id, ++this.#seq, JSON.stringify(change.data))
      }
      this.#setMeta.run(String(this.#seq), 'seq')
      this.#setMeta.run(String(revision), 'revision')
    }).immediate as (revision: number, changes: readonly Change[]) => void
  }

  #migrate(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)')
    const row = this.#db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
    const current = row.v ?? 0
    for (let i = current; i < MIGRATIONS.length; i++) {
      const apply = this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[i]!)
        this.#db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(i + 1)
      })
      apply.immediate()
    }
  }

  async load(): Promise<{ revision: number; rows: LoadedRow[] }> {
    const rev = this.#db.prepare("SELECT value FROM meta WHERE key = 'revision'").get() as { value: string }
    const rows = (this.#db.prepare('SELECT kind, id, data FROM records ORDER BY seq').all() as Array<{ kind: string; id: string; data: string }>)
      .map((r) => ({ kind: r.kind as Kind, id: r.id, data: JSON.parse(r.data) as unknown }))
    return { revision: Number(rev.value), rows }
  }

  async commit(revision: number, changes: readonly Change[]): Promise<void> {
    this.#commit(revision, changes)
  }

  async clear(revision: number): Promise<void> {
    const run = this.#db.transaction(() => {
      this.#db.exec('DELETE FROM records')
      this.#setMeta.run(String(revision), 'revision')
    })
    run.immediate()
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close()
  }
}
