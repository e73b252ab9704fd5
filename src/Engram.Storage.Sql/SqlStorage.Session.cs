using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// A read view of the SQL storage: one connection (none when the SQLite file does not exist). A database without
    /// Engram's tables reads as an empty store, as <see cref="SqlEngramStore"/> does.
    /// </summary>
    internal class SqlView : IStorageView
    {
        protected readonly SqlStorage S;
        protected Db? Db;

        public SqlView(SqlStorage storage, Db? db)
        {
            S = storage;
            Db = db;
        }

        /// <summary>Runs a read on the view's connection; <paramref name="whenMissing"/> when there is no database or no tables.</summary>
        internal virtual T Read<T>(Func<Db, T> read, T whenMissing)
        {
            if (Db == null) return whenMissing;
            try { return read(Db); }
            catch (Exception ex) when (S.IsMissingTable(ex)) { return whenMissing; }
        }

        public virtual MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) => Read(db => S.MainRow(db, ns, key), null);

        /// <summary>Streams the keys in order from the database (its index on SQLite), on a connection of its own, opened
        /// when the enumeration starts and closed when it ends: nothing is held but the current row, and the view may be
        /// disposed first.</summary>
        public virtual IEnumerable<MemoryLocation> ListMemories(string ns) => Db == null ? Array.Empty<MemoryLocation>() : S.StreamMemoryKeys(ns);

        public MemoryRecord ReadListed(MemoryLocation location)
        {
            var key = location.Key ?? "";
            return ReadMemory(location.Namespace, key) ?? throw StoreErrors.MemoryNotFound(location.Namespace, key);
        }

        public IReadOnlyList<string> Namespaces()
        {
            var list = Read(db => db.Query("SELECT DISTINCT ns FROM memories", r => r.GetString(0)), new List<string>());
            list.Sort(StringComparer.Ordinal);
            return list;
        }

        public int CountMemories(string ns) =>
            Read(db => Convert.ToInt32(db.Scalar("SELECT COUNT(*) FROM memories WHERE ns = @ns", ("ns", ns)), CultureInfo.InvariantCulture), 0);

        public MemoryRecord? ReadBranchMemory(string ns, string branch, BranchSlot slot, string key) =>
            Read(db => S.BranchMemory(db, ns, branch, SqlStorage.KindOf(slot), key), null);

        public IReadOnlyList<MemoryRecord> ReadBranchMemories(string ns, string branch, BranchSlot slot)
        {
            var rows = Read(db => db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k",
                r => (key: r.GetString(0), doc: r.GetString(1)), ("ns", ns), ("b", branch), ("k", SqlStorage.KindOf(slot))), new List<(string key, string doc)>());
            return rows.OrderBy(x => x.key, StringComparer.Ordinal).Select(x => S.ParseMemory(x.doc, ns, x.key, branch)).ToList();
        }

        public BranchRecord? ReadBranch(string ns, string branch) => Read(db => S.BranchRow(db, ns, branch), null);

        public virtual IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns) =>
            Read(db =>
            {
                var rows = db.Query("SELECT ns, name, doc FROM branches" + (ns == null ? "" : " WHERE ns = @ns"),
                    r => (ns: r.GetString(0), name: r.GetString(1), doc: r.GetString(2)), ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) });
                // The memories a branch has changed: its own versions and tombstones (kind 'mem'), not its merge bases.
                var changed = db.Query("SELECT ns, branch, COUNT(*) FROM branch_memories WHERE kind = 'mem'" + (ns == null ? "" : " AND ns = @ns") + " GROUP BY ns, branch",
                        r => (ns: r.GetString(0), b: r.GetString(1), c: Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture)),
                        ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) })
                    .ToDictionary(x => x.ns + "\n" + x.b, x => x.c, StringComparer.Ordinal);
                return (IReadOnlyList<KeyValuePair<BranchRecord, int>>)rows
                    .OrderBy(x => x.ns, StringComparer.Ordinal).ThenBy(x => x.name, StringComparer.Ordinal)
                    .Select(x => new KeyValuePair<BranchRecord, int>(S.ParseBranch(x.doc, x.ns, x.name), changed.TryGetValue(x.ns + "\n" + x.name, out var c) ? c : 0))
                    .ToList();
            }, Array.Empty<KeyValuePair<BranchRecord, int>>());

        public virtual HistoryTail? ReadTail(string ns, string key) => Read(db => SqlStorage.ReadTail(db, ns, key), null);

        public HistoryTail? ReadPrevious(HistoryTail tail) => Read(db => SqlStorage.ReadPrevious(db, tail), null);

        public ProvenanceEntry ReadEntry(HistoryTail tail, bool includeValues)
        {
            var doc = Read(db => db.Scalar("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key AND seq = @seq",
                ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq)) as string, null);
            if (doc == null)
                throw new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData,
                    $"Entry {tail.Seq} of the history of '{tail.Key}' in '{tail.Namespace}' no longer exists.", tail.Namespace + "/" + tail.Key);
            return S.ParseEntry(doc, tail.Namespace, tail.Key, includeValues);
        }

        public IReadOnlyList<ProvenanceEntry> ReadNewest(HistoryTail upTo, int count, string? branch, bool includeValues)
        {
            // The newest entries first, in one round trip.
            var ps = new List<(string, object?)> { ("ns", upTo.Namespace), ("key", upTo.Key), ("seq", upTo.Seq), ("n", count) };
            if (branch != null) ps.Add(("b", branch));
            var docs = Read(db => db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key AND seq <= @seq" + (branch == null ? "" : " AND branch = @b") +
                " ORDER BY seq DESC LIMIT @n", r => r.GetString(0), ps.ToArray()), new List<string>());
            docs.Reverse();
            return docs.Select(d => S.ParseEntry(d, upTo.Namespace, upTo.Key, includeValues)).ToList();
        }

        /// <summary>Streams the history on a connection of its own (as <see cref="SqlEngramStore"/> does), so the caller
        /// may read other rows through this view while it enumerates.</summary>
        public virtual IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues)
        {
            if (Db == null) return Enumerable.Empty<ProvenanceEntry>();
            return Stream(ns, key, upTo?.Seq, includeValues);
        }

        private IEnumerable<ProvenanceEntry> Stream(string ns, string key, long? upTo, bool includeValues)
        {
            using (var db = S.OpenDb())
            {
                if (db == null) yield break;
                using (var cmd = SqlStorage.HistoryCommand(db, ns, key, upTo))
                {
                    DbDataReader? reader;
                    try { reader = cmd.ExecuteReader(); }
                    catch (Exception ex) when (S.IsMissingTable(ex)) { reader = null; }
                    if (reader == null) yield break;
                    using (reader)
                        while (reader.Read())
                            yield return S.ParseEntry(reader.GetString(0), ns, key, includeValues);
                }
            }
        }

        public IEnumerable<KeyValuePair<string, string>> Histories(string? ns) =>
            Read(db => db.Query("SELECT DISTINCT ns, key FROM _provenance" + (ns == null ? "" : " WHERE ns = @ns"),
                        r => new KeyValuePair<string, string>(r.GetString(0), r.GetString(1)),
                        ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) })
                    .OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Value, StringComparer.Ordinal).ToList(),
                new List<KeyValuePair<string, string>>());

        public IEnumerable<DerivedLink> ReadDerived(string ns, string key) =>
            Read(db => db.Query("SELECT ns, key, version, source_version, seq FROM derived WHERE source_ns = @ns AND source_key = @key",
                    r => new DerivedLink(r.GetString(0), r.GetString(1), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture),
                        Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(4), CultureInfo.InvariantCulture)),
                    ("ns", ns), ("key", key)),
                new List<DerivedLink>());

        public virtual void Dispose()
        {
            Db?.Dispose();
            Db = null;
        }
    }

    /// <summary>
    /// A write session: one SQL transaction holding the store's write lock, in as few round trips as the protocol
    /// allows: the lock and the configuration in one (<see cref="SqlDialect.BeginWriteReadingConfig"/>); a writer's read
    /// of a memory also fetches its history's tail and its namespace's branches (what the engine asks next); changes are
    /// queued and sent together, in one command, before the next read and at <see cref="Commit"/>, so a session's reads
    /// see what it has already changed. A statement that fails rolls the whole session back at once (WriteFailed "was
    /// rolled back"); <see cref="SimulatedCrashException"/> passes through untouched; disposing the session uncommitted
    /// rolls it back.
    /// </summary>
    internal sealed class SqlWrite : SqlView, IStorageWrite
    {
        private bool _committed;
        private bool _rolledBack;
        private bool _configChanged;
        private readonly List<(string Sql, (string, object?)[] Parameters)> _queued = new List<(string, (string, object?)[])>();
        private readonly Dictionary<(string, string), HistoryTail?> _tails = new Dictionary<(string, string), HistoryTail?>();
        private readonly Dictionary<string, IReadOnlyList<KeyValuePair<BranchRecord, int>>> _branches = new Dictionary<string, IReadOnlyList<KeyValuePair<BranchRecord, int>>>(StringComparer.Ordinal);

        public SqlWrite(SqlStorage storage, Db db, StoreConfig config) : base(storage, db)
        {
            _config = config;
        }

        /// <summary>A session whose transaction begins with its first read (<see cref="SqlDialect.DeferredWriteStart"/>).</summary>
        public SqlWrite(SqlStorage storage, Db db, string start) : base(storage, db)
        {
            _start = start;
        }

        /// <summary>Inside a write session: on the session's transaction (after what it queued), so it sees the session's
        /// own changes, held as a list.</summary>
        public override IEnumerable<MemoryLocation> ListMemories(string ns)
        {
            var keys = Read(db => db.Query(S.ListKeysSql, r => r.GetString(0), ("ns", ns)), new List<string>());
            return keys.Select(k => new MemoryLocation(ns, k, S.Origin(ns, k))).ToList();
        }

        private string? _start; // not sent yet: the SQL that begins the transaction and takes the lock
        private bool _started;
        private StoreConfig? _config;

        public StoreConfig Config
        {
            get
            {
                Start();
                return _config!;
            }
        }

        /// <summary>Begins the transaction and takes the lock now, unless it is done already.</summary>
        private void Start() => Start(null, null, null);

        /// <summary>Sends the deferred start, followed in the same command by <paramref name="reads"/> (whose results
        /// <paramref name="readRest"/> takes), and sets up the configuration (writing the default one when there is none).</summary>
        private void Start(string? reads, (string, object?)[]? parameters, Action<DbDataReader>? readRest)
        {
            if (_start == null) return;
            var sql = reads == null ? _start : _start + ";\n" + reads;
            _start = null;
            _started = true;
            string? configText = null;
            Run(db =>
            {
                try
                {
                    using (var cmd = db.Command(sql, parameters ?? Array.Empty<(string, object?)>()))
                    using (var r = cmd.ExecuteReader())
                    {
                        if (NextRows(r, first: true) && r.Read()) configText = r.GetString(0);
                        if (readRest != null) readRest(r);
                    }
                }
                catch (DbException ex) when (S.Dialect.IsLockTimeout(ex))
                {
                    throw S.StoreLocked(ex);
                }
            });
            var config = configText == null ? null : StoreConfig.Parse(configText, S.Location); // another writer may have changed it
            if (config == null)
            {
                config = new StoreConfig();
                _queued.Add(("INSERT INTO engram_meta (name, value) VALUES ('config', @v)", new (string, object?)[] { ("v", config.ToYaml()) }));
            }
            _config = config;
            S.Saved(config);
        }

        /// <summary>Moves to the next result that has columns (statements such as BEGIN or SET return none).</summary>
        private static bool NextRows(DbDataReader r, bool first = false)
        {
            if (!first && !r.NextResult()) return false;
            while (r.FieldCount == 0) if (!r.NextResult()) return false;
            return true;
        }

        /// <summary>Runs a read of the session: what it queued goes first; the tables exist, so nothing reads as missing.</summary>
        internal override T Read<T>(Func<Db, T> read, T whenMissing)
        {
            Start();
            Flush();
            return Run(read);
        }

        private T Run<T>(Func<Db, T> step)
        {
            if (_committed || _rolledBack || Db == null)
                throw new InvalidOperationException(_committed ? "The write session was committed." : "The write session was rolled back or disposed.");
            try { return step(Db); }
            catch (SimulatedCrashException)
            {
                throw; // a process that dies rolls nothing back itself: disposing the connection leaves it to the database
            }
            catch (Exception ex) when (!(ex is EngramException || ex is ArgumentException))
            {
                Rollback();
                throw S.WriteFailed(ex);
            }
        }

        private void Run(Action<Db> step) => Run(db => { step(db); return 0; });

        private void Rollback()
        {
            _rolledBack = true;
            try
            {
                if (Db?.Transaction != null) Db.Transaction.Rollback();
                else if (_started && Db != null)
                    using (var cmd = Db.Command("ROLLBACK")) cmd.ExecuteNonQuery();
            }
            catch (Exception) { /* the connection is gone: the server rolls back */ }
        }

        // ------------------------------------------------------------------ queued changes

        private void Queue(string sql, params (string, object?)[] parameters)
        {
            if (_committed || _rolledBack || Db == null)
                throw new InvalidOperationException(_committed ? "The write session was committed." : "The write session was rolled back or disposed.");
            Start(); // a change is made under the lock
            _queued.Add((sql, parameters));
        }

        private static readonly System.Text.RegularExpressions.Regex ParameterName = new System.Text.RegularExpressions.Regex(@"@(\w+)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        /// <summary>Statements per command when queued changes are sent together (a bulk write is sent in pieces: a
        /// command's cost grows with its statements times its parameters).</summary>
        private const int StatementsPerCommand = 64;

        /// <summary>
        /// Sends the queued statements. Across a network (the deferred dialect) they go together, a few dozen per command,
        /// with <paramref name="andThen"/> (the commit) in the last one; in process (SQLite) each runs on its own, which
        /// costs no round trip.
        /// </summary>
        private void Flush(string? andThen = null)
        {
            if (_queued.Count == 0 && andThen == null) return;
            var statements = _queued.ToArray();
            _queued.Clear();
            Run(db =>
            {
                if (andThen == null && Db!.Transaction != null)
                {
                    foreach (var (sql, ps) in statements) db.Exec(sql, ps); // (Exec calls the test hook after each)
                    return;
                }
                for (int from = 0; from < statements.Length || (from == 0 && andThen != null); from += StatementsPerCommand)
                {
                    int to = Math.Min(statements.Length, from + StatementsPerCommand);
                    bool last = to == statements.Length;
                    var sql = new System.Text.StringBuilder();
                    var parameters = new List<(string, object?)>();
                    for (int i = from; i < to; i++)
                    {
                        var prefix = "q" + (i - from).ToString(CultureInfo.InvariantCulture) + "_";
                        sql.Append(ParameterName.Replace(statements[i].Sql, m => "@" + prefix + m.Groups[1].Value)).Append(";\n");
                        foreach (var (name, value) in statements[i].Parameters) parameters.Add((prefix + name, value));
                    }
                    if (last && andThen != null)
                    {
                        // Every statement "runs" (the test hook sees each), then the commit goes with the last of them.
                        for (int i = 0; i < to - from; i++) S.FaultHook?.Invoke("exec");
                        S.FaultHook?.Invoke("before-commit");
                        sql.Append(andThen);
                    }
                    using (var cmd = db.Command(sql.ToString(), parameters.ToArray())) cmd.ExecuteNonQuery();
                    if (!(last && andThen != null)) for (int i = 0; i < to - from; i++) S.FaultHook?.Invoke("exec");
                }
            });
        }

        // ------------------------------------------------------------------ reads a writer makes

        /// <summary>A writer's read of a memory, with its history's tail and its namespace's branches, in one round trip.</summary>
        public override MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false)
        {
            if (!forWrite) return base.ReadMemory(ns, key, forWrite);
            const string reads = "SELECT doc FROM memories WHERE ns = @ns AND key = @key;\n" + SqlStorage.TailQuery + ";\n" + BranchesOfNamespace;
            var parameters = new (string, object?)[] { ("ns", ns), ("key", key) };
            string? doc = null;
            HistoryTail? tail = null;
            var branches = new List<(string Name, string Doc, int Changed)>();
            void Take(DbDataReader r)
            {
                if (NextRows(r) && r.Read()) doc = r.GetString(0);
                if (NextRows(r) && r.Read()) tail = SqlStorage.ReadTailRow(r, ns, key);
                if (NextRows(r)) while (r.Read()) branches.Add((r.GetString(0), r.GetString(1), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture)));
            }
            if (_start != null) Start(reads, parameters, Take); // the transaction's start, its lock and these reads: one round trip
            else
            {
                Flush();
                Run(db => db.ReadPrepared(reads, parameters, r =>
                {
                    if (r.Read()) doc = r.GetString(0);
                    r.NextResult();
                    if (r.Read()) tail = SqlStorage.ReadTailRow(r, ns, key);
                    r.NextResult();
                    while (r.Read()) branches.Add((r.GetString(0), r.GetString(1), Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture)));
                }));
            }
            _tails[(ns, key)] = tail;
            _branches[ns] = branches.OrderBy(b => b.Name, StringComparer.Ordinal)
                .Select(b => new KeyValuePair<BranchRecord, int>(S.ParseBranch(b.Doc, ns, b.Name), b.Changed)).ToList();
            return doc == null ? null : S.ParseMemory(doc, ns, key);
        }

        private const string BranchesOfNamespace =
            "SELECT b.name, b.doc, (SELECT COUNT(*) FROM branch_memories m WHERE m.ns = b.ns AND m.branch = b.name AND m.kind = 'mem') FROM branches b WHERE b.ns = @ns";

        public override HistoryTail? ReadTail(string ns, string key) =>
            _tails.TryGetValue((ns, key), out var tail) ? tail : base.ReadTail(ns, key);

        public override IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns) =>
            ns != null && _branches.TryGetValue(ns, out var branches) ? branches : base.ReadBranches(ns);

        /// <summary>Inside the transaction: buffered, since one connection runs one command at a time (PostgreSQL).</summary>
        public override IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues) =>
            Read(db =>
            {
                using (var cmd = SqlStorage.HistoryCommand(db, ns, key, upTo?.Seq))
                using (var r = cmd.ExecuteReader())
                {
                    var docs = new List<string>();
                    while (r.Read()) docs.Add(r.GetString(0));
                    return docs;
                }
            }, new List<string>()).Select(doc => S.ParseEntry(doc, ns, key, includeValues)).ToList();

        // ------------------------------------------------------------------ changes

        public void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null)
        {
            if (memory == null) throw new ArgumentNullException(nameof(memory));
            if (pendingHash != null) memory.WithContentHash(pendingHash());
            foreach (var (sql, ps) in S.PutMainStatements(memory)) Queue(sql, ps);
        }

        public void DeleteMemory(string ns, string key)
        {
            Queue("DELETE FROM memories WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
            if (S.Dialect.MaintainsFullTextInCode) Queue(SqliteDialect.DeleteWords, ("ns", ns), ("key", key));
            Queue("DELETE FROM vectors WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
        }

        public void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory)
        {
            _branches.Remove(ns);
            Queue("INSERT INTO branch_memories (ns, branch, kind, key, doc) VALUES (@ns, @b, @k, @key, @doc) ON CONFLICT (ns, branch, kind, key) DO UPDATE SET doc = excluded.doc",
                ("ns", ns), ("b", branch), ("k", SqlStorage.KindOf(slot)), ("key", memory.Key), ("doc", MemoryFile.Serialize(memory)));
        }

        public void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key)
        {
            _branches.Remove(ns);
            Queue("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", SqlStorage.KindOf(slot)), ("key", key));
        }

        public void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries)
        {
            foreach (var e in entries)
            {
                _tails.Remove((e.Namespace, e.Key));
                Queue(SqlStorage.InsertEntrySql, SqlStorage.EntryParameters(e));
            }
        }

        /// <summary>Deletes the tail's row and the derived-from links its entry made, at once.</summary>
        public void CutNewest(HistoryTail tail)
        {
            Start();
            Flush();
            _tails.Remove((tail.Namespace, tail.Key));
            Run(db =>
            {
                db.Exec("DELETE FROM _provenance WHERE ns = @ns AND key = @key AND seq = @seq", ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq));
                db.Exec("DELETE FROM derived WHERE ns = @ns AND key = @key AND seq = @seq", ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq));
            });
        }

        /// <summary>Deletes every row of the history and inserts <paramref name="entries"/> (as Optimize does; the
        /// derived-from index is left as it is).</summary>
        public void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries)
        {
            _tails.Remove((ns, key));
            Queue("DELETE FROM _provenance WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
            foreach (var e in entries) Queue(SqlStorage.InsertEntrySql, SqlStorage.EntryParameters(e));
        }

        public void PutBranch(BranchRecord branch)
        {
            _branches.Remove(branch.Namespace);
            Queue("INSERT INTO branches (ns, name, doc) VALUES (@ns, @b, @doc) ON CONFLICT (ns, name) DO UPDATE SET doc = excluded.doc",
                ("ns", branch.Namespace), ("b", branch.Name), ("doc", branch.ToYaml()));
        }

        public void DropBranch(string ns, string branch)
        {
            _branches.Remove(ns);
            Queue("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b", ("ns", ns), ("b", branch));
            Queue("DELETE FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch));
        }

        public void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived) =>
            Queue("INSERT INTO derived (source_ns, source_key, ns, key, version, source_version, seq, branch) VALUES (@sns, @skey, @ns, @key, @v, @sv, @seq, @b)",
                ("sns", sourceNs), ("skey", sourceKey), ("ns", derived.Namespace), ("key", derived.Key), ("v", derived.Version), ("sv", sourceVersion),
                ("seq", derived.Seq), ("b", derived.Branch));

        public void PutConfig(StoreConfig config)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            Queue("UPDATE engram_meta SET value = @v WHERE name = 'config'", ("v", config.ToYaml()));
            _config = config;
            _configChanged = true;
        }

        public void Commit()
        {
            if (_committed || _rolledBack || Db == null)
                throw new InvalidOperationException(_committed ? "The write session was committed." : "The write session was rolled back or disposed.");
            if (_start != null)
            {
                // Nothing was read or changed: there is no transaction to commit.
                _start = null;
                _committed = true;
                return;
            }
            if (Db.Transaction == null) Flush(andThen: "COMMIT"); // the changes and the commit: one round trip
            else
            {
                Flush();
                Run(db =>
                {
                    S.FaultHook?.Invoke("before-commit");
                    db.Transaction!.Commit();
                });
            }
            _committed = true;
            if (_configChanged) S.Saved(Config); // the cache follows what was committed, never a rolled-back change
        }

        public override void Dispose()
        {
            if (!_committed && !_rolledBack && Db != null) Rollback();
            base.Dispose();
        }
    }
}
