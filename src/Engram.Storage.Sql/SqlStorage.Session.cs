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

        public MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) => Read(db => S.MainRow(db, ns, key), null);

        public IEnumerable<MemoryLocation> ListMemories(string ns)
        {
            var keys = Read(db => db.Query("SELECT key FROM memories WHERE ns = @ns", r => r.GetString(0), ("ns", ns)), new List<string>());
            keys.Sort(StringComparer.Ordinal);
            return keys.Select(k => new MemoryLocation(ns, k, S.Origin(ns, k))).ToList();
        }

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

        public IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns) =>
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

        public HistoryTail? ReadTail(string ns, string key) => Read(db => SqlStorage.ReadTail(db, ns, key), null);

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
    /// A write session: one SQL transaction holding the store's write lock. A statement that fails rolls the whole
    /// session back at once (WriteFailed "was rolled back"); <see cref="SimulatedCrashException"/> passes through
    /// untouched; disposing the session uncommitted rolls it back. Its reads run in the transaction, so (unlike the
    /// file storage) they see the rows the session has already written.
    /// </summary>
    internal sealed class SqlWrite : SqlView, IStorageWrite
    {
        private bool _committed;
        private bool _rolledBack;
        private bool _configChanged;

        public SqlWrite(SqlStorage storage, Db db, StoreConfig config) : base(storage, db)
        {
            Config = config;
        }

        public StoreConfig Config { get; private set; }

        /// <summary>Runs a statement of the session (reads included): the tables exist, so nothing reads as missing.</summary>
        internal override T Read<T>(Func<Db, T> read, T whenMissing) => Run(read);

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
            try { Db?.Transaction?.Rollback(); }
            catch (Exception) { /* the connection is gone: the server rolls back */ }
        }

        /// <summary>Inside the transaction: buffered, since one connection runs one command at a time (PostgreSQL).</summary>
        public override IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues) =>
            Run(db =>
            {
                using (var cmd = SqlStorage.HistoryCommand(db, ns, key, upTo?.Seq))
                using (var r = cmd.ExecuteReader())
                {
                    var docs = new List<string>();
                    while (r.Read()) docs.Add(r.GetString(0));
                    return docs;
                }
            }).Select(doc => S.ParseEntry(doc, ns, key, includeValues)).ToList();

        public void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null)
        {
            if (memory == null) throw new ArgumentNullException(nameof(memory));
            if (pendingHash != null) memory.WithContentHash(pendingHash());
            Run(db => S.PutMain(db, memory));
        }

        public void DeleteMemory(string ns, string key) => Run(db => S.DeleteMain(db, ns, key));

        public void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory) =>
            Run(db => SqlStorage.PutBranchMemory(db, ns, branch, SqlStorage.KindOf(slot), memory));

        public void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key) =>
            Run(db => SqlStorage.DeleteBranchMemory(db, ns, branch, SqlStorage.KindOf(slot), key));

        public void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries) =>
            Run(db => { foreach (var e in entries) SqlStorage.InsertEntry(db, e); });

        /// <summary>Deletes the tail's row and the derived-from links its entry made.</summary>
        public void CutNewest(HistoryTail tail) =>
            Run(db =>
            {
                db.Exec("DELETE FROM _provenance WHERE ns = @ns AND key = @key AND seq = @seq", ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq));
                db.Exec("DELETE FROM derived WHERE ns = @ns AND key = @key AND seq = @seq", ("ns", tail.Namespace), ("key", tail.Key), ("seq", tail.Seq));
            });

        /// <summary>Deletes every row of the history and inserts <paramref name="entries"/> (as Optimize does today; the
        /// derived-from index is left as it is).</summary>
        public void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries) =>
            Run(db =>
            {
                db.Exec("DELETE FROM _provenance WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
                foreach (var e in entries) SqlStorage.InsertEntry(db, e);
            });

        public void PutBranch(BranchRecord branch) =>
            Run(db =>
            {
                var doc = branch.ToYaml();
                if (db.Exec("UPDATE branches SET doc = @doc WHERE ns = @ns AND name = @b", ("doc", doc), ("ns", branch.Namespace), ("b", branch.Name)) == 0)
                    db.Exec("INSERT INTO branches (ns, name, doc) VALUES (@ns, @b, @doc)", ("ns", branch.Namespace), ("b", branch.Name), ("doc", doc));
            });

        public void DropBranch(string ns, string branch) =>
            Run(db =>
            {
                db.Exec("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b", ("ns", ns), ("b", branch));
                db.Exec("DELETE FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch));
            });

        public void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived) =>
            Run(db => db.Exec("INSERT INTO derived (source_ns, source_key, ns, key, version, source_version, seq, branch) VALUES (@sns, @skey, @ns, @key, @v, @sv, @seq, @b)",
                ("sns", sourceNs), ("skey", sourceKey), ("ns", derived.Namespace), ("key", derived.Key), ("v", derived.Version), ("sv", sourceVersion),
                ("seq", derived.Seq), ("b", derived.Branch)));

        public void PutConfig(StoreConfig config)
        {
            if (config == null) throw new ArgumentNullException(nameof(config));
            Run(db => db.Exec("UPDATE engram_meta SET value = @v WHERE name = 'config'", ("v", config.ToYaml())));
            Config = config;
            _configChanged = true;
        }

        public void Commit()
        {
            Run(db =>
            {
                S.FaultHook?.Invoke("before-commit");
                db.Transaction!.Commit();
            });
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
