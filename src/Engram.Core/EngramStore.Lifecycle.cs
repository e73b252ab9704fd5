using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>What <see cref="EngramStore.Optimize"/> did (or would do) to one namespace.</summary>
    public sealed class OptimizeReport
    {
        internal OptimizeReport(string ns, RetentionPolicy policy) { Namespace = ns; Policy = policy; }

        public string Namespace { get; }
        public RetentionPolicy Policy { get; }
        public int HistoriesChecked { get; internal set; }
        public int HistoriesSquashed { get; internal set; }
        public int EntriesRemoved { get; internal set; }
        public long BytesBefore { get; internal set; }
        public long BytesAfter { get; internal set; }
        public long BytesFreed => BytesBefore - BytesAfter;
        public bool Applied { get; internal set; }
    }

    /// <summary>The result of <see cref="EngramStore.Upgrade"/>.</summary>
    public sealed class UpgradeReport
    {
        internal UpgradeReport(int from, int to, bool applied) { FromFormat = from; ToFormat = to; Applied = applied; }
        public int FromFormat { get; }
        public int ToFormat { get; }
        public bool Applied { get; }
        public bool Changed => FromFormat != ToFormat;
    }

    /// <summary>One memory's position in a <see cref="ProvenanceHead"/>.</summary>
    public sealed class HeadEntry
    {
        public HeadEntry(string key, long seq, string hash) { Key = key; Seq = seq; Hash = hash; }
        public string Key { get; }
        public long Seq { get; }
        public string Hash { get; }
    }

    /// <summary>
    /// An anchor for a namespace's histories: every tracked memory's last sequence number and entry hash, and a
    /// digest over them. Saved outside the store, it later proves that no history was truncated or rewritten
    /// (appends since then are fine): anyone with write access can recompute a chain, but not the anchor you kept.
    /// </summary>
    public sealed class ProvenanceHead
    {
        public ProvenanceHead(string ns, DateTime createdUtc, IReadOnlyList<HeadEntry> entries)
        {
            Namespace = ns;
            CreatedUtc = createdUtc;
            Entries = entries;
            var sb = new StringBuilder("engram-head-v1\n").Append(ns).Append('\n');
            foreach (var e in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                sb.Append(e.Key).Append('\t').Append(e.Seq.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(e.Hash).Append('\n');
            Digest = "sha256:" + Names.Hex(Names.Sha256(Encoding.UTF8.GetBytes(sb.ToString())));
        }

        public string Namespace { get; }
        public DateTime CreatedUtc { get; }
        public IReadOnlyList<HeadEntry> Entries { get; }
        /// <summary>SHA-256 over the sorted (key, seq, hash) lines: equal digests mean identical heads.</summary>
        public string Digest { get; }
    }

    /// <summary>The store as it was at a point in time (tracked memories only).</summary>
    public sealed class AsOfResult
    {
        public List<MemoryRecord> Memories { get; } = new List<MemoryRecord>();
        /// <summary>Keys whose history before that time was squashed by retention, so their state then is unknown.</summary>
        public List<string> Unavailable { get; } = new List<string>();
    }

    public sealed partial class EngramStore
    {
        // ------------------------------------------------------------------ format upgrade

        /// <summary>Migrates an older store to <see cref="StoreConfig.CurrentFormat"/> in place, atomically.</summary>
        public override UpgradeReport Upgrade(bool dryRun = false)
        {
            EnsureExists();
            var from = Config.Format;
            if (from == StoreConfig.CurrentFormat || dryRun) return new UpgradeReport(from, StoreConfig.CurrentFormat, false);
            using (LockForWrite())
            {
                var config = StoreConfig.Parse(ReadConfigText(), ConfigPath);
                using (var txn = BeginTransaction())
                {
                    // 1 → 2: the configuration gains retention (default: forever). Memory files and schema-1 entries
                    // are valid in format 2 as they are, so nothing else is rewritten.
                    config.Format = StoreConfig.CurrentFormat;
                    txn.Write(ConfigPath, config.ToYaml());
                    txn.Commit();
                }
                Files.ForgetConfig();
                return new UpgradeReport(from, config.Format, true);
            }
        }

        private void RequireFormat(int format, string what)
        {
            if (Config.Format < format) throw StoreErrors.UpgradeRequired(Root, format, Config.Format, what);
        }

        // ------------------------------------------------------------------ retention

        /// <summary>Sets the retention of one namespace (or the store default when <paramref name="ns"/> is null), in engram.yaml.</summary>
        public override StoreConfig SetRetention(string? ns, RetentionPolicy policy)
        {
            var name = ns == null ? null : Names.NormalizeNamespace(ns);
            EnsureExists();
            RequireFormat(2, "Retention");
            return EditConfig(config => config.SetRetention(name, policy));
        }

        public override StoreConfig SetEmbeddings(Search.EmbeddingsConfig? embeddings)
        {
            EnsureExists();
            return EditConfig(config => config.Embeddings = embeddings);
        }

        /// <summary>Reads engram.yaml under the write lock, applies <paramref name="edit"/> and writes it back atomically.</summary>
        private StoreConfig EditConfig(Action<StoreConfig> edit)
        {
            using (LockForWrite())
            {
                var config = StoreConfig.Parse(ReadConfigText(), ConfigPath);
                edit(config);
                Files.WriteConfig(config);
                return config;
            }
        }

        /// <summary>
        /// Applies retention: per memory, entries older than the namespace's policy are replaced by one
        /// <c>squashed</c> entry (count, time span, actions and actors, hash of the last squashed entry), so the
        /// chain still verifies; their values are freed. The newest entry, and everything from the fork point of a
        /// live branch on, are always kept.
        /// </summary>
        public override IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            actor = NormalizeActor(actor);
            var now = nowUtc ?? DateTime.UtcNow;
            var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
            var namespaces = Directory.Exists(provRoot)
                ? _paths.Directories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                    .Where(n => namespaceFilter == null || namespaceFilter(n)).OrderBy(n => n, StringComparer.Ordinal).ToList()
                : new List<string>();
            var reports = new List<OptimizeReport>();
            if (!dryRun) RequireFormat(2, "Squashing history");
            IDisposable? writeLock = dryRun ? null : LockForWrite();
            try
            {
                int done = 0;
                foreach (var ns in namespaces)
                {
                    progress?.Invoke(++done, namespaces.Count, ns);
                    var policy = Config.RetentionFor(ns);
                    var report = new OptimizeReport(ns, policy) { Applied = !dryRun };
                    reports.Add(report);
                    var branches = GetBranches(ns).Select(b => b.Record).ToList();
                    using (var txn = dryRun ? null : BeginTransaction())
                    {
                        foreach (var path in _paths.Files(Path.Combine(provRoot, ns), "*.prov").OrderBy(p => p, StringComparer.Ordinal))
                        {
                            report.HistoriesChecked++;
                            long before = new FileInfo(path).Length;
                            report.BytesBefore += before;
                            var log = new ProvenanceLog(path);
                            int removed = 0;
                            var text = policy.IsForever ? null : SquashedText(log, ns, policy, branches, now, actor!, out removed);
                            if (text == null) { report.BytesAfter += before; continue; }
                            report.HistoriesSquashed++;
                            report.EntriesRemoved += removed;
                            report.BytesAfter += Encoding.UTF8.GetByteCount(text);
                            txn?.Write(path, text);
                        }
                        txn?.Commit();
                    }
                }
            }
            finally
            {
                writeLock?.Dispose();
            }
            return reports;
        }

        /// <summary>The new text of a log after squashing, or null when nothing is past retention.</summary>
        private string? SquashedText(ProvenanceLog log, string ns, RetentionPolicy policy, List<BranchRecord> branches, DateTime now, string actor, out int removed)
        {
            removed = 0;
            var tail = log.ReadTail();
            if (tail == null || tail.Seq == 0) return null;
            var entries = log.ReadAll(tail.ValidLength, includeValues: true).ToList();
            var squashed = SquashEntries(entries, ns, policy, branches, now, actor, out removed);
            if (squashed == null) return null;
            var sb = new StringBuilder();
            long offset = 0;
            foreach (var e in squashed)
            {
                var t = ProvenanceLog.Serialize(e, offset);
                offset += Encoding.UTF8.GetByteCount(t);
                sb.Append(t);
            }
            return sb.ToString();
        }

        /// <summary>A history after applying retention (oldest first), or null when nothing is past retention. Shared by every backend.</summary>
        internal static List<ProvenanceEntry>? SquashEntries(List<ProvenanceEntry> entries, string ns, RetentionPolicy policy, List<BranchRecord> branches, DateTime now, string actor, out int removed)
        {
            removed = 0;
            if (entries.Count < 2) return null;
            int keepFrom = 0;
            if (policy.MaxEntries != null) keepFrom = Math.Max(keepFrom, entries.Count - policy.MaxEntries.Value);
            if (policy.MaxAge != null)
            {
                var cutoff = now - policy.MaxAge.Value;
                int firstYoung = entries.FindIndex(e => e.TimestampUtc >= cutoff);
                keepFrom = Math.Max(keepFrom, firstYoung < 0 ? entries.Count : firstYoung);
            }
            keepFrom = Math.Min(keepFrom, entries.Count - 1); // the newest entry always stays
            var key = entries[entries.Count - 1].Key;
            foreach (var b in branches.Where(b => b.Covers(key)))
            {
                int baseIdx = entries.FindLastIndex(e => e.Branch == Names.DefaultBranch && e.TimestampUtc <= b.CreatedUtc);
                int onBranch = entries.FindIndex(e => e.Branch == b.Name);
                if (baseIdx >= 0) keepFrom = Math.Min(keepFrom, baseIdx);
                if (onBranch >= 0) keepFrom = Math.Min(keepFrom, onBranch);
            }
            if (keepFrom <= 0) return null;

            // Old entries are summarised run by run; turning points (forks, merges, connections, syntheses,
            // crystallisations, restores, low confidence) stay as they are, between the runs.
            var output = new List<ProvenanceEntry>();
            var run = new List<ProvenanceEntry>();
            bool changed = false;
            int removedCount = 0;
            void Flush()
            {
                if (run.Count == 0) return;
                // A lone entry stays as it is: one squashed entry would not be smaller than it.
                if (run.Count == 1) output.Add(run[0]);
                else
                {
                    output.Add(Squash(run, ns, policy, now, actor));
                    removedCount += run.Count(e => e.Action != ProvenanceActions.Squashed);
                    changed = true;
                }
                run.Clear();
            }
            foreach (var e in entries.Take(keepFrom))
            {
                if (e.Action != ProvenanceActions.Squashed && IsTurningPoint(e)) { Flush(); output.Add(e); }
                else run.Add(e);
            }
            Flush();
            removed = removedCount;
            if (!changed) return null;
            return output.Concat(entries.Skip(keepFrom)).ToList();
        }

        /// <summary>True for entries a squash keeps: the turning points of a memory's story.</summary>
        public static bool IsTurningPoint(ProvenanceEntry e) =>
            TurningPointActions.Contains(e.Action)
            || (e.Details != null && e.Details.TryGetValue("confidence", out var c) && c is double d && d < LowConfidence)
            || (e.Details != null && e.Details.ContainsKey("derivedFrom")); // lineage must survive retention

        /// <summary>One squashed entry for a run of consecutive entries (which may include earlier squashed ones).</summary>
        private static ProvenanceEntry Squash(List<ProvenanceEntry> run, string ns, RetentionPolicy policy, DateTime now, string actor)
        {
            var first = run[0];
            var last = run[run.Count - 1];
            object? D(ProvenanceEntry e, string name) => e.Details != null && e.Details.TryGetValue(name, out var v) ? v : null;
            bool Sq(ProvenanceEntry e) => e.Action == ProvenanceActions.Squashed;
            var real = run.Where(e => !Sq(e)).ToList();
            long count = real.Count + run.Where(Sq).Sum(e => Convert.ToInt64(D(e, "count") ?? 0L, CultureInfo.InvariantCulture));
            var actions = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var actors = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var e in run)
            {
                if (Sq(e))
                {
                    foreach (var (target, name) in new[] { (actions, "actions"), (actors, "actors") })
                        if (D(e, name) is EngramMap m)
                            foreach (var kv in m) target[kv.Key] = (target.TryGetValue(kv.Key, out var n) ? n : 0) + Convert.ToInt64(kv.Value, CultureInfo.InvariantCulture);
                    continue;
                }
                actions[e.Action] = (actions.TryGetValue(e.Action, out var a) ? a : 0) + 1;
                actors[e.Actor] = (actors.TryGetValue(e.Actor, out var b) ? b : 0) + 1;
            }
            EngramMap ToMap(SortedDictionary<string, long> d) { var m = new EngramMap(MapKind.Ordered); foreach (var kv in d) m.Add(kv.Key, kv.Value); return m; }
            string Time(ProvenanceEntry e, string field) => Sq(e) ? (string)D(e, field)! : e.TimestampUtc.ToString("o", CultureInfo.InvariantCulture);

            var squash = new ProvenanceEntry
            {
                Schema = 2,
                Seq = last.Seq,
                MemoryId = last.MemoryId,
                Namespace = ns,
                Key = last.Key,
                Action = ProvenanceActions.Squashed,
                Actor = actor,
                TimestampUtc = now,
                Branch = Names.DefaultBranch,
                Version = last.Version,
                Reason = "retention " + policy.ToYaml(),
                Details = new EngramMap(MapKind.Ordered)
                {
                    { "count", count },
                    { "firstSeq", Sq(first) ? D(first, "firstSeq") : first.Seq },
                    { "lastSeq", last.Seq },
                    { "from", Time(first, "from") },
                    { "to", Time(last, "to") },
                    { "firstPrevHash", Sq(first) ? D(first, "firstPrevHash") : first.PrevHash },
                    { "lastHash", Sq(last) ? D(last, "lastHash") : last.Hash },
                    { "actions", ToMap(actions) },
                    { "actors", ToMap(actors) },
                },
            };
            squash.Hash = squash.ComputeHash();
            return squash;
        }

        // ------------------------------------------------------------------ anchors

        /// <summary>
        /// Verifies the namespace's histories against a head saved earlier: each anchored entry must still be in its
        /// chain with the same hash (no truncation, no rewriting), and every chain must verify.
        /// </summary>
        public override StoreReport VerifyAgainst(ProvenanceHead head)
        {
            ChainRules.CheckAnchorHead(head);
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            foreach (var anchored in head.Entries)
            {
                report.HistoriesChecked++;
                var path = Path.Combine(Root, Names.ProvenanceNamespace, ns, Names.EncodeKey(anchored.Key) + ".prov");
                if (Files.UnsafeFinding(path, ns, anchored.Key, report) || Files.UnsafeFinding(Path.Combine(Root, ns, Names.EncodeKey(anchored.Key) + ".yaml"), ns, anchored.Key, report)) continue;
                var log = new ProvenanceLog(path);
                if (!log.Exists)
                {
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                        $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", log.Path, ns, anchored.Key, anchored.Seq));
                    continue;
                }
                Rechecked(report, false, r => // a finding is re-read under the lock: a write in progress is not damage
                {
                    int before = r.Findings.Count;
                    MemoryRecord? memory;
                    try { memory = TryGet(ns, anchored.Key); }
                    catch (EngramException ex)
                    {
                        r.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsafeStorePath ? "UnsafeStorePath" : "MalformedMemory",
                            ex.Message, ex.Target as string, ns, anchored.Key));
                        return;
                    }
                    if (memory != null) r.MemoriesChecked++;
                    VerifyHistory(ns, anchored.Key, log, memory, false, r); // counts the entries it walks
                    if (r.Findings.Count > before) return; // chain itself is broken: already reported
                    var entries = log.ReadAll(log.ReadTail()!.ValidLength, includeValues: false).ToList();
                    ChainRules.CheckAnchor(anchored, entries, ns, log.Path, r);
                });
            }
            return report;
        }

        /// <summary>Verifies the provenance chains of one namespace (optionally some keys) without touching anything else.</summary>
        public override StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir) || Files.UnsafeFinding(dir, ns, null, report)) return report;
            foreach (var path in Directory.EnumerateFiles(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal))
            {
                if (Files.UnsafeFinding(path, ns, Names.DecodeKey(Path.GetFileNameWithoutExtension(path)), report)) continue;
                var log = new ProvenanceLog(path);
                var key = Names.DecodeKey(Path.GetFileNameWithoutExtension(path));
                if (key == null)
                {
                    try { var tail = log.ReadTail(); key = tail != null && tail.Seq > 0 ? log.ReadTailEntry(tail).Key : null; }
                    catch (EngramException) { } // damage: VerifyHistory reports it
                    key = key ?? Path.GetFileName(path);
                }
                if (keyFilter != null && !keyFilter(key)) continue;
                report.HistoriesChecked++;
                Rechecked(report, false, r => // a finding is re-read under the lock: a write in progress is not damage
                {
                    MemoryRecord? memory = null;
                    try { memory = TryGet(ns, key); }
                    catch (EngramException ex)
                    {
                        r.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsafeStorePath ? "UnsafeStorePath" : "MalformedMemory",
                            ex.Message, ex.Target as string, ns, key));
                        return;
                    }
                    if (memory != null) r.MemoriesChecked++;
                    VerifyHistory(ns, key, log, memory, false, r);
                });
            }
            return report;
        }

        // ------------------------------------------------------------------ time travel

        /// <summary>The tracked memories of a namespace as they were at <paramref name="asOfUtc"/>, rebuilt from history.</summary>
        public override AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var result = new AsOfResult();
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir)) return result;
            foreach (var path in _paths.Files(dir, "*.prov"))
            {
                var log = new ProvenanceLog(path);
                var tail = log.ReadTail();
                if (tail == null || tail.Seq == 0) continue;
                var key = AsOfState(log.ReadAll(tail.ValidLength, includeValues: true), asOfUtc, out var state, out var first, out var unknown);
                if (key == null || (keyFilter != null && !keyFilter(key))) continue;
                if (unknown) { result.Unavailable.Add(key); continue; }
                if (state == null) continue;
                result.Memories.Add(new MemoryRecord(state.MemoryId, ns, key, state.Value, Array.Empty<string>(), state.Version,
                    (first ?? state).TimestampUtc, state.TimestampUtc));
            }
            result.Memories.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        /// <summary>
        /// The main-line state a history recorded at <paramref name="asOfUtc"/>: the entry holding the value then
        /// (<paramref name="state"/>, null when it did not exist), the entry that created it, and whether retention
        /// freed the deciding entry (<paramref name="unknown"/>). Returns the key (null for an empty history). Shared by every backend.
        /// </summary>
        internal static string? AsOfState(IEnumerable<ProvenanceEntry> entries, DateTime asOfUtc, out ProvenanceEntry? state, out ProvenanceEntry? first, out bool unknown)
        {
            state = null; first = null;
            unknown = false; // the state at asOfUtc was decided by an entry that retention squashed away
            string? key = null;
            foreach (var e in entries)
            {
                key = e.Key;
                if (e.Branch != Names.DefaultBranch) continue;
                if (e.Action == ProvenanceActions.Squashed)
                {
                    // Unknown from the first squashed entry on, until a kept entry at or before asOfUtc decides the
                    // state again (not only up to 'to': between the last squashed and the first kept entry the
                    // memory held the freed value of the last squashed one). Before 'from' it did not exist yet.
                    // A run squashed after a kept turning point starts later still: past asOfUtc it ends the walk.
                    var from = e.Details != null && e.Details.TryGetValue("from", out var f) ? f as string : null;
                    if (from != null && DateTime.Parse(from, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) > asOfUtc) break;
                    unknown = true;
                    continue;
                }
                if (e.TimestampUtc > asOfUtc) break;
                if (e.Action == ProvenanceActions.Forked) continue;
                if (e.Action == ProvenanceActions.Deleted) { state = null; first = null; unknown = false; continue; }
                if (!e.HasValue) continue;
                first = first ?? e;
                state = e;
                unknown = false;
            }
            return key;
        }
    }
}
