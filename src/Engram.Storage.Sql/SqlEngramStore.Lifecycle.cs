using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Search;

namespace Engram.Storage.Sql
{
    /// <summary>Verification, anchors, time travel, retention, search, vectors and moving whole stores.</summary>
    public sealed partial class SqlEngramStore
    {
        // ------------------------------------------------------------------ verify

        /// <summary>Every (namespace, key) with a history, sorted.</summary>
        private static List<(string ns, string key)> Histories(Db db, string? ns = null) =>
            db.Query("SELECT DISTINCT ns, key FROM _provenance" + (ns == null ? "" : " WHERE ns = @ns"), r => (r.GetString(0), r.GetString(1)),
                    ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) })
              .OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2, StringComparer.Ordinal).ToList();

        /// <summary>Checks one history's chain and that its main-line end agrees with the memory row.</summary>
        private void VerifyHistory(Db db, string ns, string key, MemoryRecord? memory, StoreReport report, bool repair = false)
        {
            var where = Root + "#_provenance/" + ns + "/" + key;
            IEnumerable<ProvenanceEntry> Parsed()
            {
                foreach (var doc in db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", r => r.GetString(0), ("ns", ns), ("key", key)))
                    yield return ParseEntry(doc, ns, key, includeValues: true);
            }
            var walk = ChainRules.CheckChain(Parsed(), ns, key, where, report);
            if (walk.Broken || walk.LastMain == null) return;
            var lastMain = walk.LastMain;
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (!consistent && memory == null && lastMain.Action != ProvenanceActions.Deleted)
            {
                // The row is gone while its history verifies (a change is one transaction here: never a crashed write).
                var f = ChainRules.ReportRebuild(walk, ns, key, Origin(ns, key), null, report, out var source);
                if (!repair || source == null) return;
                Write(w =>
                {
                    var tail = ReadTail(w, ns, key);
                    var (record, entry) = ChainRules.Rebuilt(walk, source, ns, key, tail?.Seq ?? 0, tail?.Hash, malformed: false);
                    PutMain(w, record);
                    InsertEntry(w, entry);
                    return 0;
                });
                f.Repaired = true;
            }
            else if (!consistent)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The memory '{key}' in '{ns}' (version {memory?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", where, ns, key, lastMain.Seq));
        }

        /// <summary>Reads a memory row for verification: null when absent, a finding (and false) when it does not parse.</summary>
        private bool TryReadForVerify(Db db, string ns, string key, StoreReport report, out MemoryRecord? memory)
        {
            memory = null;
            try
            {
                memory = MainRow(db, ns, key);
                return true;
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedMemory", ex.Message, Origin(ns, key), ns, key));
                return false;
            }
        }

        public override StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
            {
                var rows = db.Query("SELECT ns, key FROM memories", r => (ns: r.GetString(0), key: r.GetString(1)));
                var histories = Histories(db);
                var withHistory = new HashSet<(string, string)>(histories);
                var all = rows.Select(r => r.ns).Concat(histories.Select(h => h.ns)).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
                int done = 0;
                foreach (var ns in all)
                {
                    progress?.Invoke(++done, all.Count, ns);
                    foreach (var (_, key) in rows.Where(r => r.ns == ns))
                    {
                        report.MemoriesChecked++;
                        if (!TryReadForVerify(db, ns, key, report, out var m) || withHistory.Contains((ns, key))) continue;
                        _ = m;
                    }
                    foreach (var (_, key) in histories.Where(h => h.ns == ns))
                    {
                        report.HistoriesChecked++;
                        if (!TryReadForVerify(db, ns, key, report, out var memory)) continue;
                        VerifyHistory(db, ns, key, memory, report, repair);
                    }
                }
                foreach (var (ns, name, doc) in db.Query("SELECT ns, name, doc FROM branches", r => (r.GetString(0), r.GetString(1), r.GetString(2))))
                {
                    report.BranchesChecked++;
                    try
                    {
                        var record = ParseBranch(doc, ns, name);
                        if (record.Name != name || record.Namespace != ns)
                            throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record of '{ns}@{name}' names '{record.Namespace}@{record.Name}'.", ns + "@" + name);
                        foreach (var (key, mdoc) in db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b", r => (r.GetString(0), r.GetString(1)), ("ns", ns), ("b", name)))
                        {
                            _ = ParseMemory(mdoc, ns, key, name);
                            if (!record.Covers(key))
                                throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"Branch '{name}' of '{ns}' holds key '{key}', which it does not cover.", ns + "@" + name);
                        }
                    }
                    catch (EngramException ex)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedBranch", ex.Message, Root + "#_branches/" + ns + "/" + name, ns));
                    }
                }
            }
            return report;
        }

        public override StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
                foreach (var (_, key) in Histories(db, ns))
                {
                    if (keyFilter != null && !keyFilter(key)) continue;
                    report.HistoriesChecked++;
                    if (!TryReadForVerify(db, ns, key, report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(db, ns, key, memory, report);
                }
            return report;
        }

        // ------------------------------------------------------------------ anchors

        public override ProvenanceHead GetHead(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var list = Read(db => db.Query(
                    "SELECT p.key, p.seq, p.hash FROM _provenance p WHERE p.ns = @ns AND p.seq = (SELECT MAX(q.seq) FROM _provenance q WHERE q.ns = p.ns AND q.key = p.key)",
                    r => new HeadEntry(r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), r.GetString(2)), ("ns", ns)),
                new List<HeadEntry>());
            return new ProvenanceHead(ns, DateTime.UtcNow, list.OrderBy(e => e.Key, StringComparer.Ordinal).ToList());
        }

        public override StoreReport VerifyAgainst(ProvenanceHead head)
        {
            ChainRules.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            using (var db = OpenRead()!)
                foreach (var anchored in head.Entries)
                {
                    report.HistoriesChecked++;
                    var where = Root + "#_provenance/" + ns + "/" + anchored.Key;
                    if (!HasHistory(db, ns, anchored.Key))
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                            $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", where, ns, anchored.Key, anchored.Seq));
                        continue;
                    }
                    int before = report.Findings.Count;
                    if (!TryReadForVerify(db, ns, anchored.Key, report, out var memory)) continue;
                    if (memory != null) report.MemoriesChecked++;
                    VerifyHistory(db, ns, anchored.Key, memory, report); // counts the entries it walks
                    if (report.Findings.Count > before) continue;
                    var entries = Entries(db, ns, anchored.Key, includeValues: false);
                    ChainRules.CheckAnchor(anchored, entries, ns, where, report);
                }
            return report;
        }

        // ------------------------------------------------------------------ time travel

        public override AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var result = new AsOfResult();
            using (var db = OpenRead()!)
                foreach (var (_, key) in Histories(db, ns))
                {
                    if (keyFilter != null && !keyFilter(key)) continue;
                    if (EngramStore.AsOfState(Entries(db, ns, key), asOfUtc, out var state, out var first, out var unknown) == null) continue;
                    if (unknown) { result.Unavailable.Add(key); continue; }
                    if (state == null) continue;
                    result.Memories.Add(new MemoryRecord(state.MemoryId, ns, key, state.Value, Array.Empty<string>(), state.Version,
                        (first ?? state).TimestampUtc, state.TimestampUtc));
                }
            result.Memories.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        // ------------------------------------------------------------------ format, retention

        public override UpgradeReport Upgrade(bool dryRun = false)
        {
            EnsureExists();
            var from = Config.Format;
            if (!dryRun) Write(_ => { }); // brings the table layout up to date (as any first write does)
            if (from == StoreConfig.CurrentFormat || dryRun) return new UpgradeReport(from, StoreConfig.CurrentFormat, false);
            var config = EditConfig(c => c.Format = StoreConfig.CurrentFormat); // 1 → 2: the configuration gains retention; rows are valid as they are
            return new UpgradeReport(from, config.Format, true);
        }

        private void RequireFormat(int format, string what)
        {
            if (Config.Format < format) throw StoreErrors.UpgradeRequired(Root, format, Config.Format, what);
        }

        public override StoreConfig SetRetention(string? ns, RetentionPolicy policy)
        {
            var name = ns == null ? null : Names.NormalizeNamespace(ns);
            EnsureExists();
            RequireFormat(2, "Retention");
            return EditConfig(config => config.SetRetention(name, policy));
        }

        public override StoreConfig SetEmbeddings(EmbeddingsConfig? embeddings)
        {
            EnsureExists();
            return EditConfig(config => config.Embeddings = embeddings);
        }

        /// <summary>Reads the configuration row in the write transaction, applies <paramref name="edit"/> and saves it.</summary>
        private StoreConfig EditConfig(Action<StoreConfig> edit) => Write(db =>
        {
            var config = ReadConfig(db) ?? new StoreConfig();
            edit(config);
            SaveConfig(db, config);
            return config;
        });

        public override IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            actor = EngramStore.NormalizeActor(actor);
            var now = nowUtc ?? DateTime.UtcNow;
            if (!dryRun) RequireFormat(2, "Squashing history");
            List<OptimizeReport> Run(Db db)
            {
                var reports = new List<OptimizeReport>();
                var namespaces = Histories(db).Select(h => h.ns).Distinct().Where(n => namespaceFilter == null || namespaceFilter(n)).ToList();
                int done = 0;
                foreach (var ns in namespaces)
                {
                    progress?.Invoke(++done, namespaces.Count, ns);
                    var policy = Config.RetentionFor(ns);
                    var report = new OptimizeReport(ns, policy) { Applied = !dryRun };
                    reports.Add(report);
                    var branches = BranchRows(db, ns);
                    foreach (var (_, key) in Histories(db, ns))
                    {
                        report.HistoriesChecked++;
                        var docs = db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", r => r.GetString(0), ("ns", ns), ("key", key));
                        long before = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
                        report.BytesBefore += before;
                        int removed = 0;
                        var squashed = policy.IsForever ? null
                            : EngramStore.SquashEntries(docs.Select(d => ParseEntry(d, ns, key, includeValues: true)).ToList(), ns, policy, branches, now, actor!, out removed);
                        if (squashed == null) { report.BytesAfter += before; continue; }
                        report.HistoriesSquashed++;
                        report.EntriesRemoved += removed;
                        report.BytesAfter += squashed.Sum(e => (long)Encoding.UTF8.GetByteCount(ProvenanceLog.SerializeDocument(e)));
                        if (dryRun) continue;
                        db.Exec("DELETE FROM _provenance WHERE ns = @ns AND key = @key", ("ns", ns), ("key", key));
                        foreach (var e in squashed) InsertEntry(db, e);
                    }
                }
                return reports;
            }
            if (dryRun)
                using (var db = OpenRead()!) return Run(db);
            return Write(Run);
        }

        // ------------------------------------------------------------------ search

        public override IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10, Action<EngramException>? unreadable = null)
        {
            var parsed = SearchQuery.Parse(query);
            var ns = namespaces?.Select(Names.NormalizeNamespace).Distinct().ToList();
            if (ns != null && ns.Count == 0) return Array.Empty<SearchHit>();
            var ps = new List<(string, object?)> { ("q", _d.FullTextArgument(parsed)), ("top", Math.Max(1, top)) };
            var filter = "";
            if (ns != null)
            {
                filter = "m.ns IN (" + string.Join(", ", ns.Select((n, i) => "@ns" + i.ToString(CultureInfo.InvariantCulture))) + ")";
                for (int i = 0; i < ns.Count; i++) ps.Add(("ns" + i.ToString(CultureInfo.InvariantCulture), ns[i]));
            }
            return Read(db =>
            {
                var hits = db.Query(_d.FullTextQuery(filter), r => (ns: r.GetString(0), key: r.GetString(1), score: Convert.ToDouble(r.GetValue(2), CultureInfo.InvariantCulture)), ps.ToArray());
                var result = new List<SearchHit>();
                foreach (var h in hits)
                {
                    MemoryRecord? m;
                    try { m = MainRow(db, h.ns, h.key); }
                    catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile)
                    {
                        unreadable?.Invoke(ex); // a row that does not parse: left out, reported
                        continue;
                    }
                    if (m != null) result.Add(new SearchHit(m, h.score, SearchMatch.Text));
                }
                return (IReadOnlyList<SearchHit>)result;
            }, Array.Empty<SearchHit>());
        }

        // ------------------------------------------------------------------ vectors

        public override IReadOnlyList<StoredVector> GetVectors(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            return Read(db => db.Query("SELECT key, content_hash, model, vector FROM vectors WHERE ns = @ns",
                r => new StoredVector(r.GetString(0), r.GetString(1), r.GetString(2), FromBytes((byte[])r.GetValue(3))), ("ns", ns)),
                new List<StoredVector>());
        }

        public override void PutVectors(string ns, IReadOnlyList<StoredVector> vectors)
        {
            ns = Names.NormalizeNamespace(ns);
            Write(db =>
            {
                foreach (var v in vectors)
                {
                    db.Exec("DELETE FROM vectors WHERE ns = @ns AND key = @key", ("ns", ns), ("key", v.Key));
                    db.Exec("INSERT INTO vectors (ns, key, content_hash, model, vector) VALUES (@ns, @key, @h, @m, @v)",
                        ("ns", ns), ("key", v.Key), ("h", v.ContentHash), ("m", v.Model), ("v", ToBytes(v.Vector)));
                }
            });
        }

        private static byte[] ToBytes(float[] v)
        {
            var bytes = new byte[v.Length * 4];
            for (int i = 0; i < v.Length; i++)
            {
                var b = BitConverter.GetBytes(v[i]);
                if (!BitConverter.IsLittleEndian) Array.Reverse(b);
                Buffer.BlockCopy(b, 0, bytes, i * 4, 4);
            }
            return bytes;
        }

        private static float[] FromBytes(byte[] bytes)
        {
            var v = new float[bytes.Length / 4];
            for (int i = 0; i < v.Length; i++)
            {
                if (BitConverter.IsLittleEndian) v[i] = BitConverter.ToSingle(bytes, i * 4);
                else { var b = new byte[4]; Buffer.BlockCopy(bytes, i * 4, b, 0, 4); Array.Reverse(b); v[i] = BitConverter.ToSingle(b, 0); }
            }
            return v;
        }

        // ------------------------------------------------------------------ moving whole stores

        public override StoreExport Export()
        {
            EnsureExists();
            int memories = Read(db => Convert.ToInt32(db.Scalar("SELECT COUNT(*) FROM memories"), CultureInfo.InvariantCulture), 0);
            int histories = Read(db => Histories(db).Count, 0);
            return new StoreExport(Config, ExportMemories, ExportHistories, ExportBranches, memories, histories);
        }

        private IEnumerable<MemoryRecord> ExportMemories()
        {
            using (var db = OpenRead()!)
                foreach (var (ns, key, doc) in db.Stream("SELECT ns, key, doc FROM memories ORDER BY ns, key", r => (r.GetString(0), r.GetString(1), r.GetString(2))))
                    yield return ParseMemory(doc, ns, key);
        }

        private IEnumerable<IReadOnlyList<ProvenanceEntry>> ExportHistories()
        {
            using (var db = OpenRead()!)
                foreach (var (ns, key) in Histories(db))
                    yield return Entries(db, ns, key);
        }

        private IEnumerable<BranchExport> ExportBranches()
        {
            using (var db = OpenRead()!)
                foreach (var info in GetBranches())
                {
                    var r = info.Record;
                    IReadOnlyList<MemoryRecord> Rows(string kind) =>
                        db.Query("SELECT key, doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k", x => (x.GetString(0), x.GetString(1)), ("ns", r.Namespace), ("b", r.Name), ("k", kind))
                          .Select(x => ParseMemory(x.Item2, r.Namespace, x.Item1, r.Name)).ToList();
                    yield return new BranchExport(r, Rows(Mem), Rows(Base));
                }
        }

        public override void Import(StoreExport export, Action<int, int, string>? progress = null)
        {
            if (export == null) throw new ArgumentNullException(nameof(export));
            Write(db =>
            {
                if (db.Scalar("SELECT 1 FROM memories LIMIT 1") != null || db.Scalar("SELECT 1 FROM _provenance LIMIT 1") != null || db.Scalar("SELECT 1 FROM branches LIMIT 1") != null)
                    throw StoreErrors.ImportTargetNotEmpty(Root);
                int total = export.MemoryCount + export.HistoryCount, done = 0;
                SaveConfig(db, export.Config);
                foreach (var m in export.Memories)
                {
                    progress?.Invoke(++done, total, m.Namespace + "/" + m.Key);
                    PutMain(db, m);
                }
                foreach (var history in export.Histories)
                {
                    if (history.Count == 0) continue;
                    progress?.Invoke(++done, total, history[0].Namespace + "/" + history[0].Key);
                    foreach (var e in history)
                    {
                        InsertEntry(db, e);
                        foreach (var (sns, skey, sver) in EngramStore.DerivedSources(e))
                            db.Exec("INSERT INTO derived (source_ns, source_key, ns, key, version, source_version, seq, branch) VALUES (@sns, @skey, @ns, @key, @v, @sv, @seq, @b)",
                                ("sns", sns), ("skey", skey), ("ns", e.Namespace), ("key", e.Key), ("v", e.Version), ("sv", sver), ("seq", e.Seq), ("b", e.Branch));
                    }
                }
                foreach (var b in export.Branches)
                {
                    var r = b.Record;
                    db.Exec("INSERT INTO branches (ns, name, doc) VALUES (@ns, @b, @doc)", ("ns", r.Namespace), ("b", r.Name), ("doc", r.ToYaml()));
                    foreach (var m in b.Changes) PutBranchMemory(db, r.Namespace, r.Name, Mem, m);
                    foreach (var m in b.Bases) PutBranchMemory(db, r.Namespace, r.Name, Base, m);
                }
            });
        }
    }
}
