using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Search;

namespace Engram.Storage.Sql
{
    /// <summary>Verification, anchors, time travel, retention, search, vectors and moving whole stores.</summary>
    public sealed partial class SqlEngramStore
    {
        /// <summary>Every (namespace, key) with a history, sorted.</summary>
        private static List<(string ns, string key)> Histories(Db db, string? ns = null) =>
            db.Query("SELECT DISTINCT ns, key FROM _provenance" + (ns == null ? "" : " WHERE ns = @ns"), r => (r.GetString(0), r.GetString(1)),
                    ns == null ? Array.Empty<(string, object?)>() : new (string, object?)[] { ("ns", ns) })
              .OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2, StringComparer.Ordinal).ToList();

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
