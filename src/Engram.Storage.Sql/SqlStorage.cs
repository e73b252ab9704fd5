using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Search;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// The SQL storage (SQLite or PostgreSQL, see <see cref="SqlDialect"/>): the primitives of <see cref="IEngramStorage"/>
    /// over the tables <c>memories</c>, <c>_provenance</c>, <c>branches</c>, <c>branch_memories</c>, <c>derived</c>,
    /// <c>vectors</c> and <c>engram_meta</c> (the same rows, documents and hashes <see cref="SqlEngramStore"/> writes). A
    /// write session is one SQL transaction holding the store's write lock (<c>BEGIN IMMEDIATE</c> on SQLite,
    /// <c>SELECT … FOR UPDATE</c> of the configuration row on PostgreSQL), so it is all or nothing; readers never wait
    /// for writers. It decides nothing of the domain: versions, tracking, entries and merges are the engine's.
    /// </summary>
    public sealed partial class SqlStorage : IEngramStorage
    {
        internal const string Mem = "mem";
        internal const string Base = "base";

        private readonly SqlDialect _d;
        private readonly TimeSpan _lockTimeout;
        private StoreConfig? _config;
        private bool _schemaReady;

        public SqlStorage(SqlDialect dialect, EngramStoreOptions? options = null)
        {
            _d = dialect ?? throw new ArgumentNullException(nameof(dialect));
            _lockTimeout = (options ?? new EngramStoreOptions()).LockTimeout;
        }

        public SqlDialect Dialect => _d;

        /// <summary>"sqlite" or "postgres".</summary>
        public string Kind => _d.Name;

        /// <summary><c>sqlite:&lt;path&gt;</c> or a PostgreSQL address without its password.</summary>
        public string Location => _d.DisplayLocation;

        /// <summary>False: a write session is one SQL transaction, so no entry outlives the change it belongs to.</summary>
        public bool CanLeaveDanglingEntries => false;

        /// <summary>
        /// Test hook: called inside each write session after every statement ("exec") and before the commit
        /// ("before-commit"). Throwing <see cref="SimulatedCrashException"/> there leaves the transaction uncommitted,
        /// as a process that dies mid-transaction would.
        /// </summary>
        internal Action<string>? FaultHook { get; set; }

        public bool Exists
        {
            get
            {
                using (var view = new SqlView(this, OpenDb()))
                    return view.Read(db => db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") != null, false);
            }
        }

        /// <summary>The configuration row (read once, then refreshed by each write session); null when there is none.</summary>
        public StoreConfig? ReadConfig()
        {
            if (_config != null) return _config;
            using (var view = new SqlView(this, OpenDb()))
                return _config = view.Read(ConfigRow, null);
        }

        public IStorageView OpenRead() => new SqlView(this, OpenDb());

        /// <summary>
        /// Opens a connection, creates or upgrades the tables when needed, begins the write transaction (StoreLocked when
        /// another writer holds it past the lock timeout) and reads the configuration, writing the default one when the
        /// store has none. Nothing is ever left half done on SQL, so <paramref name="repair"/> changes nothing.
        /// </summary>
        public IStorageWrite BeginWrite(bool repair = false)
        {
            DbConnection connection;
            try { connection = _d.Open(create: true); }
            catch (Exception ex) when (CannotOpen(ex)) { throw Unreachable(ex); }
            var db = new Db(connection);
            try
            {
                if (!_schemaReady)
                {
                    SqlSchema.Ensure(db, _d, Location);
                    _schemaReady = true;
                }
                if (_d.DeferredWriteStart(_lockTimeout) is string start)
                {
                    db.FaultHook = FaultHook;
                    return new SqlWrite(this, db, start); // begun, locked and configured with its first read
                }
                string? configText;
                try
                {
                    db.Transaction = _d.BeginWriteReadingConfig(connection, _lockTimeout, out configText);
                }
                catch (DbException ex)
                {
                    throw new EngramException(EngramErrorIds.StoreLocked, EngramErrorKind.ResourceBusy,
                        $"The store '{Location}' is being written by another process and did not become free within {_lockTimeout.TotalSeconds:0} s: {ex.Message}", Location, ex);
                }
                var config = configText == null ? null : StoreConfig.Parse(configText, Location); // another writer may have changed it
                if (config == null)
                {
                    config = new StoreConfig();
                    db.Exec("INSERT INTO engram_meta (name, value) VALUES ('config', @v)", ("v", config.ToYaml()));
                }
                _config = config;
                db.FaultHook = FaultHook;
                return new SqlWrite(this, db, config);
            }
            catch
            {
                db.Dispose(); // as SqlEngramStore: what fails before the session exists propagates as it is
                throw;
            }
        }

        // ------------------------------------------------------------------ connections and errors

        /// <summary>A connection for reading; null when the database does not exist (SQLite file missing).</summary>
        internal Db? OpenDb()
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
                    $"The {_d.Name} store '{Location}' cannot be reached: {ex.Message}. Check the host name, the port and that the server is running.", Location, ex)
                : new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument,
                    $"The {_d.Name} store '{Location}' cannot be opened: {ex.Message}", Location, ex);

        internal EngramException StoreLocked(Exception ex) =>
            new EngramException(EngramErrorIds.StoreLocked, EngramErrorKind.ResourceBusy,
                $"The store '{Location}' is being written by another process and did not become free within {_lockTimeout.TotalSeconds:0} s: {ex.Message}", Location, ex);

        internal EngramException WriteFailed(Exception ex) =>
            new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                $"A change to the store '{Location}' failed and was rolled back: {ex.Message}", Location, ex);

        internal bool IsMissingTable(Exception ex) => _d.IsMissingTable(ex);

        /// <summary>The keys of a namespace's main-line memories in key order (<see cref="Names.KeyOrder"/>), as the
        /// database's order gives them (its index on SQLite).</summary>
        internal string ListKeysSql => "SELECT key FROM memories WHERE ns = @ns ORDER BY " + _d.InKeyOrder("key");

        /// <summary>The main-line memories of a namespace in key order, streamed on a connection of its own that the
        /// enumeration opens and closes; a store without tables lists nothing.</summary>
        internal IEnumerable<MemoryLocation> StreamMemoryKeys(string ns)
        {
            using (var db = OpenDb())
            {
                if (db == null) yield break;
                using (var keys = db.Stream(ListKeysSql, r => r.GetString(0), ("ns", ns)).GetEnumerator())
                    while (true)
                    {
                        bool more;
                        try { more = keys.MoveNext(); }
                        catch (Exception ex) when (IsMissingTable(ex)) { more = false; }
                        if (!more) yield break;
                        yield return new MemoryLocation(ns, keys.Current, Origin(ns, keys.Current));
                    }
            }
        }

        internal void Saved(StoreConfig config) => _config = config;

        // ------------------------------------------------------------------ rows: configuration, memories

        internal StoreConfig? ConfigRow(Db db)
        {
            var text = db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") as string;
            return text == null ? null : StoreConfig.Parse(text, Location);
        }

        internal string Origin(string ns, string key, string? branch = null) =>
            Location + "#" + ns + "/" + key + (branch == null || branch == Names.DefaultBranch ? "" : "@" + branch);

        internal MemoryRecord ParseMemory(string doc, string ns, string key, string branch = Names.DefaultBranch)
        {
            var m = MemoryFile.Parse(doc, ns, Origin(ns, key, branch), branch);
            if (!string.Equals(m.Key, key, StringComparison.Ordinal))
                throw MemoryFile.Malformed(Origin(ns, key, branch), $"it holds key '{m.Key}', not '{key}'");
            return m;
        }

        internal MemoryRecord? MainRow(Db db, string ns, string key)
        {
            var doc = db.Scalar("SELECT doc FROM memories WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key)) as string;
            return doc == null ? null : ParseMemory(doc, ns, key);
        }

        internal void PutMain(Db db, MemoryRecord m)
        {
            var doc = MemoryFile.Serialize(m);
            // Words as Engram tokenizes them (Unicode-aware, lower-case), so a query means the same on every backend.
            var keyText = string.Join(" ", SearchText.Tokenize(m.Key));
            var text = string.Join(" ", SearchText.Tokenize(SearchText.FromValue(m.Value)));
            foreach (var (sql, ps) in PutMainStatements(m, doc, keyText, text)) db.Exec(sql, ps);
        }

        /// <summary>The statements that store a memory's row (one upsert, plus SQLite's words), for a batch.</summary>
        internal IEnumerable<(string Sql, (string, object?)[] Parameters)> PutMainStatements(MemoryRecord m)
        {
            var keyText = string.Join(" ", SearchText.Tokenize(m.Key));
            var text = string.Join(" ", SearchText.Tokenize(SearchText.FromValue(m.Value)));
            return PutMainStatements(m, MemoryFile.Serialize(m), keyText, text);
        }

        private IEnumerable<(string Sql, (string, object?)[] Parameters)> PutMainStatements(MemoryRecord m, string doc, string keyText, string text)
        {
            yield return (UpsertMemory,
                new (string, object?)[] { ("id", m.Id), ("v", m.Version), ("h", m.ContentHash), ("u", MemoryFile.Time(m.UpdatedUtc)), ("doc", doc), ("kt", keyText), ("t", text), ("ns", m.Namespace), ("key", m.Key) });
            if (_d.MaintainsFullTextInCode) yield return (SqliteDialect.PutWords, new (string, object?)[] { ("ns", m.Namespace), ("key", m.Key), ("kt", keyText), ("t", text) });
        }

        private const string UpsertMemory =
            "INSERT INTO memories (ns, key, id, version, content_hash, updated, doc, key_text, search_text) VALUES (@ns, @key, @id, @v, @h, @u, @doc, @kt, @t) " +
            "ON CONFLICT (ns, key) DO UPDATE SET id = excluded.id, version = excluded.version, content_hash = excluded.content_hash, updated = excluded.updated, " +
            "doc = excluded.doc, key_text = excluded.key_text, search_text = excluded.search_text";

        internal const string InsertEntrySql =
            "INSERT INTO _provenance (ns, key, seq, memory_id, branch, action, version, hash, ts, doc) VALUES (@ns, @key, @seq, @id, @b, @a, @v, @h, @ts, @doc)";

        internal static (string, object?)[] EntryParameters(ProvenanceEntry e) => new (string, object?)[]
        {
            ("ns", e.Namespace), ("key", e.Key), ("seq", e.Seq), ("id", e.MemoryId), ("b", e.Branch), ("a", e.Action), ("v", e.Version), ("h", e.Hash),
            ("ts", MemoryFile.Time(e.TimestampUtc)), ("doc", EntryDocument.Serialize(e)),
        };

        internal void DeleteMain(Db db, string ns, string key)
        {
            db.Exec("DELETE FROM memories WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
            if (_d.MaintainsFullTextInCode) db.Exec(SqliteDialect.DeleteWords, ("ns", ns), ("key", key));
            db.Exec("DELETE FROM vectors WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
        }

        // ------------------------------------------------------------------ rows: branches

        internal BranchRecord ParseBranch(string doc, string ns, string name) => BranchRecord.Parse(doc, Location + "#_branches/" + ns + "/" + name);

        internal BranchRecord? BranchRow(Db db, string ns, string branch)
        {
            var doc = db.Scalar("SELECT doc FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch)) as string;
            return doc == null ? null : ParseBranch(doc, ns, branch);
        }

        internal static string KindOf(BranchSlot slot) => slot == BranchSlot.Own ? Mem : Base;

        internal MemoryRecord? BranchMemory(Db db, string ns, string branch, string kind, string key)
        {
            var doc = db.Scalar("SELECT doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key)) as string;
            return doc == null ? null : ParseMemory(doc, ns, key, branch);
        }

        internal static void PutBranchMemory(Db db, string ns, string branch, string kind, MemoryRecord m)
        {
            var doc = MemoryFile.Serialize(m);
            if (db.Exec("UPDATE branch_memories SET doc = @doc WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("doc", doc), ("ns", ns), ("b", branch), ("k", kind), ("key", m.Key)) == 0)
                db.Exec("INSERT INTO branch_memories (ns, branch, kind, key, doc) VALUES (@ns, @b, @k, @key, @doc)", ("doc", doc), ("ns", ns), ("b", branch), ("k", kind), ("key", m.Key));
        }

        internal static void DeleteBranchMemory(Db db, string ns, string branch, string kind, string key) =>
            db.Exec("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key));

        // ------------------------------------------------------------------ rows: histories

        /// <summary>A history tail read from <c>_provenance</c>, with the memory id its row records.</summary>
        internal sealed class SqlHistoryTail : HistoryTail
        {
            public SqlHistoryTail(string ns, string key, long seq, int version, string action, string hash, string branch, string memoryId)
                : base(ns, key, seq, version, action, hash, branch)
            {
                MemoryId = memoryId;
            }

            public string MemoryId { get; }
        }

        private const string TailColumns = "SELECT seq, hash, memory_id, action, version, branch FROM _provenance WHERE ns = @ns AND key = @key";

        private static SqlHistoryTail TailOf(DbDataReader r, string ns, string key) =>
            new SqlHistoryTail(ns, key, Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt32(r.GetValue(4), CultureInfo.InvariantCulture),
                r.GetString(3), r.GetString(1), r.GetString(5), r.GetString(2));

        internal static HistoryTail? ReadTail(Db db, string ns, string key) =>
            db.Query(TailColumns + " ORDER BY seq DESC LIMIT 1", r => TailOf(r, ns, key), ("ns", ns), ("key", key)).FirstOrDefault();

        internal static HistoryTail? ReadPrevious(Db db, HistoryTail tail) =>
            db.Query(TailColumns + " AND seq < @seq ORDER BY seq DESC LIMIT 1", r => TailOf(r, tail.Namespace, tail.Key),
                ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq)).FirstOrDefault();

        internal static void InsertEntry(Db db, ProvenanceEntry e) => db.Exec(InsertEntrySql, EntryParameters(e));

        internal const string TailQuery = TailColumns + " ORDER BY seq DESC LIMIT 1";

        internal static SqlHistoryTail ReadTailRow(DbDataReader r, string ns, string key) => TailOf(r, ns, key);

        internal ProvenanceEntry ParseEntry(string doc, string ns, string key, bool includeValues) =>
            EntryDocument.Parse(doc, Location + "#_provenance/" + ns + "/" + key, includeValues);

        /// <summary>The documents of one history, oldest first, up to and including entry <paramref name="upTo"/> (all when null).</summary>
        internal static DbCommand HistoryCommand(Db db, string ns, string key, long? upTo) =>
            upTo == null
                ? db.Command("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", ("ns", ns), ("key", key))
                : db.Command("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key AND seq <= @upTo ORDER BY seq", ("ns", ns), ("key", key), ("upTo", upTo.Value));
    }
}
