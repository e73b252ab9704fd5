using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Search;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// An Engram store in a SQL database (SQLite or PostgreSQL, see <see cref="SqlDialect"/>). Memories and their
    /// provenance live in separate tables (<c>memories</c>, <c>_provenance</c>, linked by memory id); an entry is stored
    /// as the same YAML document the file store writes, with the same hash chain. Every change, however many rows it
    /// touches, is one SQL transaction taken under the store's write lock, so a crash or an error leaves nothing half
    /// done; readers never wait for writers.
    /// </summary>
    public sealed partial class SqlEngramStore : Engram.Core.Engine.EngramEngine
    {
        /// <summary>The newest table layout this build knows (engram_meta 'schema'): 2 = SQLite's full-text index keyed
        /// by row id (1: found by namespace and key, a scan per write). An older layout is brought up to date by the
        /// first write (<see cref="SqlDialect.UpgradeLayout"/>).</summary>
        public const int SchemaVersion = 2;

        private readonly SqlDialect _d;
        private readonly EngramStoreOptions _options;
        private bool _schemaReady;

        private readonly SqlStorage _storage;
        private Action<string>? _faultHook;

        public SqlEngramStore(SqlDialect dialect, EngramStoreOptions? options = null) : this(new SqlStorage(dialect, options), options) { }

        private SqlEngramStore(SqlStorage storage, EngramStoreOptions? options) : base(storage)
        {
            _storage = storage;
            _d = storage.Dialect;
            _options = options ?? new EngramStoreOptions();
        }

        public SqlDialect Dialect => _d;

        /// <summary>
        /// Test hook: called inside each write transaction after every statement ("exec") and before the commit
        /// ("before-commit"). Throwing <see cref="SimulatedCrashException"/> there leaves the transaction uncommitted,
        /// as a process that dies mid-transaction would.
        /// </summary>
        internal Action<string>? FaultHook
        {
            get => _faultHook;
            set { _faultHook = value; _storage.FaultHook = value; }
        }

        // ------------------------------------------------------------------ connections

        private string Origin(string ns, string key, string? branch = null) =>
            Root + "#" + ns + "/" + key + (branch == null || branch == Names.DefaultBranch ? "" : "@" + branch);

        /// <summary>A connection for reading; null when the database does not exist (SQLite file missing).</summary>
        private Db? OpenRead()
        {
            if (!_d.DatabaseExists) return null;
            try { return new Db(_d.Open(create: false)); }
            catch (Exception ex) when (CannotOpen(ex)) { throw Unreachable(ex); }
        }

        private bool CannotOpen(Exception ex) => ex is DbException || ex is ArgumentException || _d.IsUnreachable(ex);

        /// <summary>StoreUnavailable when the server cannot be reached (name, port, network, timeout), else
        /// InvalidStorePath (the database refused it: no such database, authentication, a bad option).</summary>
        private EngramException Unreachable(Exception ex) =>
            _d.IsUnreachable(ex)
                ? new EngramException(EngramErrorIds.StoreUnavailable, EngramErrorKind.ResourceUnavailable,
                    $"The {_d.Name} store '{Root}' cannot be reached: {ex.Message}. Check the host name, the port and that the server is running.", Root, ex)
                : new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument,
                    $"The {_d.Name} store '{Root}' cannot be opened: {ex.Message}", Root, ex);

        /// <summary>Runs a read; a database without Engram's tables reads as an empty store.</summary>
        private T Read<T>(Func<Db, T> read, T whenMissing)
        {
            using (var db = OpenRead())
            {
                if (db == null) return whenMissing;
                try { return read(db); }
                catch (Exception ex) when (_d.IsMissingTable(ex)) { return whenMissing; }
            }
        }

        /// <summary>
        /// Runs <paramref name="change"/> in one transaction holding the store's write lock (creating the store's tables
        /// first when needed) and commits; any exception rolls everything back.
        /// </summary>
        private T Write<T>(Func<Db, T> change)
        {
            DbConnection connection;
            try { connection = _d.Open(create: true); }
            catch (Exception ex) when (CannotOpen(ex)) { throw Unreachable(ex); }
            using (var db = new Db(connection))
            {
                EnsureSchema(db);
                try
                {
                    db.Transaction = _d.BeginWrite(connection, _options.LockTimeout);
                }
                catch (DbException ex)
                {
                    throw new EngramException(EngramErrorIds.StoreLocked, EngramErrorKind.ResourceBusy,
                        $"The store '{Root}' is being written by another process and did not become free within {_options.LockTimeout.TotalSeconds:0} s: {ex.Message}", Root, ex);
                }
                if (ReadConfig(db) is StoreConfig current) _storage.Saved(current); // another writer may have changed it
                db.FaultHook = FaultHook;
                try
                {
                    var result = change(db);
                    FaultHook?.Invoke("before-commit");
                    db.Transaction.Commit();
                    return result;
                }
                catch (SimulatedCrashException)
                {
                    throw; // a process that dies rolls nothing back itself: disposing the connection leaves it to the database
                }
                catch (Exception ex)
                {
                    try { db.Transaction.Rollback(); }
                    catch (Exception) { /* the connection is gone: the server rolls back */ }
                    if (ex is EngramException || ex is ArgumentException) throw;
                    throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                        $"A change to the store '{Root}' failed and was rolled back: {ex.Message}", Root, ex);
                }
            }
        }

        private void Write(Action<Db> change) => Write(db => { change(db); return 0; });

        private void EnsureSchema(Db db)
        {
            if (_schemaReady) return;
            // Tables that exist are not touched again: DDL takes table locks that would deadlock with other writers.
            if (SchemaCurrent(db)) { _schemaReady = true; return; }
            db.Transaction = _d.BeginSchemaChange(db.Connection);
            try
            {
                if (SchemaCurrent(db))
                {
                    db.Transaction.Commit();
                    _schemaReady = true;
                    return;
                }
                var schema = _d.TableExists(db, "engram_meta") ? db.Scalar("SELECT value FROM engram_meta WHERE name = 'schema'") as string : null;
                int? layout = schema != null && int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;
                if (layout > SchemaVersion)
                    throw NewerLayout(layout.Value);
                if (layout is int older && older < SchemaVersion)
                {
                    // An existing store of an older layout: only what changed since, in this same transaction.
                    foreach (var sql in _d.UpgradeLayout(older)) db.Exec(sql);
                    db.Exec("UPDATE engram_meta SET value = @v WHERE name = 'schema'", ("v", SchemaVersion.ToString(CultureInfo.InvariantCulture)));
                }
                else
                {
                    foreach (var sql in SchemaStatements()) db.Exec(sql);
                    foreach (var sql in _d.FullTextSchema) db.Exec(sql);
                    if (schema == null) db.Exec("INSERT INTO engram_meta (name, value) VALUES ('schema', @v)", ("v", SchemaVersion.ToString(CultureInfo.InvariantCulture)));
                }
                if (db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") == null)
                    db.Exec("INSERT INTO engram_meta (name, value) VALUES ('config', @v)", ("v", new StoreConfig().ToYaml()));
                db.Transaction.Commit();
            }
            catch
            {
                try { db.Transaction.Rollback(); } catch (Exception) { }
                throw;
            }
            finally
            {
                db.Transaction.Dispose();
                db.Transaction = null;
            }
            _schemaReady = true;
        }

        private EngramException NewerLayout(int layout) =>
            new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                $"The store '{Root}' has table layout {layout}, but this version of Engram only knows layouts up to {SchemaVersion}. Update the Engram module; nothing was changed.", Root);

        /// <summary>True when the tables exist at this build's layout and hold a configuration; throws for a newer layout.</summary>
        private bool SchemaCurrent(Db db)
        {
            if (db.Transaction == null)
            {
                try { return SchemaCurrentCore(db); }
                catch (Exception ex) when (_d.IsMissingTable(ex)) { return false; }
            }
            // Inside a transaction a failed statement would abort it (PostgreSQL): ask the catalog first.
            return _d.TableExists(db, "engram_meta") && SchemaCurrentCore(db);
        }

        private bool SchemaCurrentCore(Db db)
        {
            var schema = db.Scalar("SELECT value FROM engram_meta WHERE name = 'schema'") as string;
            if (schema == null) return false;
            bool known = int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out var v);
            if (known && v > SchemaVersion)
                throw NewerLayout(v);
            if (known && v < SchemaVersion) return false; // brought up to date by EnsureSchema
            return db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") != null;
        }

        private IEnumerable<string> SchemaStatements()
        {
            var big = _d.BigIntType;
            yield return "CREATE TABLE IF NOT EXISTS engram_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)";
            yield return "CREATE TABLE IF NOT EXISTS memories (ns TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL, updated TEXT NOT NULL, doc TEXT NOT NULL, key_text TEXT NOT NULL, search_text TEXT NOT NULL, PRIMARY KEY (ns, key))";
            yield return "CREATE INDEX IF NOT EXISTS memories_id ON memories (id)";
            yield return $"CREATE TABLE IF NOT EXISTS _provenance (ns TEXT NOT NULL, key TEXT NOT NULL, seq {big} NOT NULL, memory_id TEXT NOT NULL, branch TEXT NOT NULL, action TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, ts TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, key, seq))";
            yield return "CREATE INDEX IF NOT EXISTS _provenance_memory ON _provenance (memory_id)";
            yield return "CREATE TABLE IF NOT EXISTS branches (ns TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, name))";
            yield return "CREATE TABLE IF NOT EXISTS branch_memories (ns TEXT NOT NULL, branch TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, branch, kind, key))";
            yield return $"CREATE TABLE IF NOT EXISTS derived (source_ns TEXT NOT NULL, source_key TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, source_version INTEGER NOT NULL, seq {big} NOT NULL, branch TEXT NOT NULL)";
            yield return "CREATE INDEX IF NOT EXISTS derived_source ON derived (source_ns, source_key)";
            yield return $"CREATE TABLE IF NOT EXISTS vectors (ns TEXT NOT NULL, key TEXT NOT NULL, content_hash TEXT NOT NULL, model TEXT NOT NULL, vector {_d.BlobType} NOT NULL, PRIMARY KEY (ns, key))";
        }

        // ------------------------------------------------------------------ store lifecycle

        private StoreConfig? ReadConfig(Db db)
        {
            var text = db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") as string;
            return text == null ? null : StoreConfig.Parse(text, Root);
        }

        private void SaveConfig(Db db, StoreConfig config)
        {
            db.Exec("UPDATE engram_meta SET value = @v WHERE name = 'config'", ("v", config.ToYaml()));
            _storage.Saved(config);
        }

        // ------------------------------------------------------------------ memory rows

        private MemoryRecord ParseMemory(string doc, string ns, string key, string branch = Names.DefaultBranch)
        {
            var m = MemoryFile.Parse(doc, ns, Origin(ns, key, branch), branch);
            if (!string.Equals(m.Key, key, StringComparison.Ordinal))
                throw MemoryFile.Malformed(Origin(ns, key, branch), $"it holds key '{m.Key}', not '{key}'");
            return m;
        }

        private MemoryRecord? MainRow(Db db, string ns, string key)
        {
            var doc = db.Scalar("SELECT doc FROM memories WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key)) as string;
            return doc == null ? null : ParseMemory(doc, ns, key);
        }

        private void PutMain(Db db, MemoryRecord m, string? doc = null)
        {
            doc = doc ?? MemoryFile.Serialize(m);
            // Words as Engram tokenizes them (Unicode-aware, lower-case), so a query means the same on every backend.
            var keyText = string.Join(" ", SearchText.Tokenize(m.Key));
            var text = string.Join(" ", SearchText.Tokenize(SearchText.FromValue(m.Value)));
            int n = db.Exec("UPDATE memories SET id = @id, version = @v, content_hash = @h, updated = @u, doc = @doc, key_text = @kt, search_text = @t WHERE ns = @ns AND key = @key",
                ("id", m.Id), ("v", m.Version), ("h", m.ContentHash), ("u", MemoryFile.Time(m.UpdatedUtc)), ("doc", doc), ("kt", keyText), ("t", text), ("ns", m.Namespace), ("key", m.Key));
            if (n == 0)
                db.Exec("INSERT INTO memories (ns, key, id, version, content_hash, updated, doc, key_text, search_text) VALUES (@ns, @key, @id, @v, @h, @u, @doc, @kt, @t)",
                    ("id", m.Id), ("v", m.Version), ("h", m.ContentHash), ("u", MemoryFile.Time(m.UpdatedUtc)), ("doc", doc), ("kt", keyText), ("t", text), ("ns", m.Namespace), ("key", m.Key));
            if (_d.MaintainsFullTextInCode) db.Exec(SqliteDialect.PutWords, ("ns", m.Namespace), ("key", m.Key), ("kt", keyText), ("t", text));
        }

        private void DeleteMain(Db db, string ns, string key)
        {
            db.Exec("DELETE FROM memories WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
            if (_d.MaintainsFullTextInCode) db.Exec(SqliteDialect.DeleteWords, ("ns", ns), ("key", key));
            db.Exec("DELETE FROM vectors WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
        }

        // ------------------------------------------------------------------ provenance rows

        /// <summary>The newest entry of a history (header fields only), or null.</summary>
        private sealed class Tail
        {
            public long Seq;
            public string Hash = "";
            public string MemoryId = "";
            public string Action = "";
            public int Version;
            public string Branch = Names.DefaultBranch;
        }

        private static Tail? ReadTail(Db db, string ns, string key) =>
            db.Query("SELECT seq, hash, memory_id, action, version, branch FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq DESC LIMIT 1",
                r => new Tail
                {
                    Seq = Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture),
                    Hash = r.GetString(1),
                    MemoryId = r.GetString(2),
                    Action = r.GetString(3),
                    Version = Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture),
                    Branch = r.GetString(5),
                }, ("ns", ns), ("key", key)).FirstOrDefault();

        private static int? LastMainVersion(Db db, string ns, string key)
        {
            var v = db.Scalar("SELECT version FROM _provenance WHERE ns = @ns AND key = @key AND branch = @b ORDER BY seq DESC LIMIT 1", ("ns", ns), ("key", key), ("b", Names.DefaultBranch));
            return v == null ? (int?)null : Convert.ToInt32(v, CultureInfo.InvariantCulture);
        }

        private static string? LastMainAction(Db db, string ns, string key) =>
            db.Scalar("SELECT action FROM _provenance WHERE ns = @ns AND key = @key AND branch = @b ORDER BY seq DESC LIMIT 1", ("ns", ns), ("key", key), ("b", Names.DefaultBranch)) as string;

        private static void InsertEntry(Db db, ProvenanceEntry e) =>
            db.Exec("INSERT INTO _provenance (ns, key, seq, memory_id, branch, action, version, hash, ts, doc) VALUES (@ns, @key, @seq, @id, @b, @a, @v, @h, @ts, @doc)",
                ("ns", e.Namespace), ("key", e.Key), ("seq", e.Seq), ("id", e.MemoryId), ("b", e.Branch), ("a", e.Action), ("v", e.Version), ("h", e.Hash),
                ("ts", MemoryFile.Time(e.TimestampUtc)), ("doc", ProvenanceLog.SerializeDocument(e)));

        private ProvenanceEntry ParseEntry(string doc, string ns, string key, bool includeValues) =>
            ProvenanceLog.ParseDocumentText(doc, Root + "#_provenance/" + ns + "/" + key, includeValues);

        // ------------------------------------------------------------------ reads


        // ------------------------------------------------------------------ writes (main line)

        // ------------------------------------------------------------------ provenance reads

        /// <summary>Every entry of one history, oldest first, inside a transaction.</summary>
        private List<ProvenanceEntry> Entries(Db db, string ns, string key, bool includeValues = true) =>
            db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", r => r.GetString(0), ("ns", ns), ("key", key))
              .Select(d => ParseEntry(d, ns, key, includeValues)).ToList();

    }
}
