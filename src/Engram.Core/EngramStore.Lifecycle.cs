using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
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
        public UpgradeReport Upgrade(bool dryRun = false)
        {
            EnsureExists();
            var from = Config.Format;
            if (from == StoreConfig.CurrentFormat || dryRun) return new UpgradeReport(from, StoreConfig.CurrentFormat, false);
            using (LockForWrite())
            {
                var config = StoreConfig.Parse(FileOps.ReadAllText(ConfigPath), ConfigPath);
                using (var txn = BeginTransaction())
                {
                    // 1 → 2: the configuration gains retention (default: forever). Memory files and schema-1 entries
                    // are valid in format 2 as they are, so nothing else is rewritten.
                    config.Format = StoreConfig.CurrentFormat;
                    txn.Write(ConfigPath, config.ToYaml());
                    txn.Commit();
                }
                _config = config;
                return new UpgradeReport(from, config.Format, true);
            }
        }

        private void RequireFormat(int format, string what)
        {
            if (Config.Format < format)
                throw new EngramException(EngramErrorIds.StoreUpgradeRequired, EngramErrorKind.InvalidOperation,
                    $"{what} needs store format {format}; the store at '{Root}' is format {Config.Format}. Run Update-EngramStore first.", Root);
        }

        // ------------------------------------------------------------------ retention

        /// <summary>Sets the retention of one namespace (or the store default when <paramref name="ns"/> is null), in engram.yaml.</summary>
        public StoreConfig SetRetention(string? ns, RetentionPolicy policy)
        {
            var name = ns == null ? null : Names.NormalizeNamespace(ns);
            EnsureExists();
            RequireFormat(2, "Retention");
            using (LockForWrite())
            {
                var config = StoreConfig.Parse(FileOps.ReadAllText(ConfigPath), ConfigPath);
                if (name == null) config.DefaultRetention = policy;
                else config.NamespaceRetention[name] = policy;
                FileOps.WriteAtomic(ConfigPath, config.ToYaml(), TempDir, config.Durability);
                _config = config;
                return config;
            }
        }

        /// <summary>
        /// Applies retention: per memory, entries older than the namespace's policy are replaced by one
        /// <c>squashed</c> entry (count, time span, actions and actors, hash of the last squashed entry), so the
        /// chain still verifies; their values are freed. The newest entry, and everything from the fork point of a
        /// live branch on, are always kept.
        /// </summary>
        public IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            actor = NormalizeActor(actor);
            var now = nowUtc ?? DateTime.UtcNow;
            var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
            var namespaces = Directory.Exists(provRoot)
                ? Directory.EnumerateDirectories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
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
                        foreach (var path in Directory.EnumerateFiles(Path.Combine(provRoot, ns), "*.prov").OrderBy(p => p, StringComparer.Ordinal))
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
            bool firstIsSquash = entries[0].Action == ProvenanceActions.Squashed;
            if (keepFrom <= (firstIsSquash ? 1 : 0)) return null;

            var squashedPart = entries.Take(keepFrom).ToList();
            var lastSquashed = squashedPart[squashedPart.Count - 1];
            var prior = firstIsSquash ? entries[0].Details : null;
            long count = squashedPart.Count(e => e.Action != ProvenanceActions.Squashed) + (prior != null && prior.TryGetValue("count", out var pc) ? Convert.ToInt64(pc, CultureInfo.InvariantCulture) : 0);
            var actions = Counts(prior, "actions", squashedPart.Where(e => e.Action != ProvenanceActions.Squashed).Select(e => e.Action));
            var actors = Counts(prior, "actors", squashedPart.Where(e => e.Action != ProvenanceActions.Squashed).Select(e => e.Actor));
            var real = squashedPart.Where(e => e.Action != ProvenanceActions.Squashed).ToList();
            var squash = new ProvenanceEntry
            {
                Schema = 2,
                Seq = lastSquashed.Seq,
                MemoryId = lastSquashed.MemoryId,
                Namespace = ns,
                Key = lastSquashed.Key,
                Action = ProvenanceActions.Squashed,
                Actor = actor,
                TimestampUtc = now,
                Branch = Names.DefaultBranch,
                Version = lastSquashed.Version,
                Reason = "retention " + policy.ToYaml(),
                Details = new EngramMap(MapKind.Ordered)
                {
                    { "count", count },
                    { "firstSeq", prior != null && prior.TryGetValue("firstSeq", out var fs) ? fs : (object)squashedPart[0].Seq },
                    { "lastSeq", lastSquashed.Seq },
                    { "from", prior != null && prior.TryGetValue("from", out var pf) ? pf : (real.Count > 0 ? real[0].TimestampUtc.ToString("o", CultureInfo.InvariantCulture) : null) },
                    { "to", (real.Count > 0 ? real[real.Count - 1] : lastSquashed).TimestampUtc.ToString("o", CultureInfo.InvariantCulture) },
                    { "lastHash", lastSquashed.Action == ProvenanceActions.Squashed ? lastSquashed.Details!["lastHash"] : lastSquashed.Hash },
                    { "actions", actions },
                    { "actors", actors },
                },
            };
            squash.Hash = squash.ComputeHash();
            removed = real.Count;

            var sb = new StringBuilder();
            long offset = 0;
            foreach (var e in new[] { squash }.Concat(entries.Skip(keepFrom)))
            {
                var t = ProvenanceLog.Serialize(e, offset);
                offset += Encoding.UTF8.GetByteCount(t);
                sb.Append(t);
            }
            return sb.ToString();
        }

        private static EngramMap Counts(EngramMap? prior, string name, IEnumerable<string> items)
        {
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            if (prior != null && prior.TryGetValue(name, out var p) && p is EngramMap pm)
                foreach (var kv in pm) counts[kv.Key] = Convert.ToInt64(kv.Value, CultureInfo.InvariantCulture);
            foreach (var i in items) counts[i] = counts.TryGetValue(i, out var c) ? c + 1 : 1;
            var m = new EngramMap(MapKind.Ordered);
            foreach (var kv in counts) m.Add(kv.Key, kv.Value);
            return m;
        }

        // ------------------------------------------------------------------ anchors

        /// <summary>The head of every tracked memory's history in a namespace (O(1) per memory: trailers only).</summary>
        public ProvenanceHead GetHead(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            var list = new List<HeadEntry>();
            if (Directory.Exists(dir))
                foreach (var path in Directory.EnumerateFiles(dir, "*.prov"))
                {
                    var log = new ProvenanceLog(path);
                    var tail = log.ReadTail();
                    if (tail == null || tail.Seq == 0) continue;
                    var key = Names.DecodeKey(Path.GetFileNameWithoutExtension(path)) ?? ReadKeyFromLog(log, tail);
                    list.Add(new HeadEntry(key, tail.Seq, tail.Hash));
                }
            return new ProvenanceHead(ns, DateTime.UtcNow, list.OrderBy(e => e.Key, StringComparer.Ordinal).ToList());
        }

        private static string ReadKeyFromLog(ProvenanceLog log, LogTail tail)
        {
            using (var fs = log.OpenForRandomRead()) return log.ReadEntry(fs, tail.Start, tail.ValidLength, includeValues: false).Key;
        }

        /// <summary>
        /// Verifies the namespace's histories against a head saved earlier: each anchored entry must still be in its
        /// chain with the same hash (no truncation, no rewriting), and every chain must verify.
        /// </summary>
        public StoreReport VerifyAgainst(ProvenanceHead head)
        {
            var ns = Names.NormalizeNamespace(head.Namespace);
            EnsureExists();
            var report = new StoreReport(Root);
            foreach (var anchored in head.Entries)
            {
                report.HistoriesChecked++;
                var log = new ProvenanceLog(ProvenancePath(ns, anchored.Key));
                if (!log.Exists)
                {
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMissing",
                        $"The history of '{anchored.Key}' in '{ns}' was anchored at entry {anchored.Seq} but no longer exists.", log.Path, ns, anchored.Key, anchored.Seq));
                    continue;
                }
                int before = report.Findings.Count;
                VerifyHistory(ns, anchored.Key, log, TryGet(ns, anchored.Key), false, report);
                if (report.Findings.Count > before) continue; // chain itself is broken: already reported
                var entries = log.ReadAll(log.ReadTail()!.ValidLength, includeValues: false).ToList();
                var match = entries.FirstOrDefault(e => e.Seq == anchored.Seq && e.Action != ProvenanceActions.Squashed);
                var squash = entries.FirstOrDefault(e => e.Action == ProvenanceActions.Squashed);
                if (match != null)
                {
                    if (match.Hash != anchored.Hash)
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "AnchorMismatch",
                            $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was rewritten since it was anchored (its hash changed).", log.Path, ns, anchored.Key, anchored.Seq));
                }
                else if (squash != null && anchored.Seq <= squash.Seq)
                {
                    bool ok = anchored.Seq == squash.Seq && squash.Details?["lastHash"] as string == anchored.Hash;
                    if (!ok && anchored.Seq == squash.Seq)
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "AnchorMismatch",
                            $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was squashed with a different hash than anchored.", log.Path, ns, anchored.Key, anchored.Seq));
                    else if (!ok)
                        report.Findings.Add(new StoreFinding(FindingSeverity.Warning, "AnchorSquashed",
                            $"Entry {anchored.Seq} of '{anchored.Key}' in '{ns}' was squashed by retention; the anchor can only be checked up to entry {squash.Seq}.", log.Path, ns, anchored.Key, anchored.Seq));
                }
                else
                {
                    long lastSeq = entries.Count == 0 ? 0 : entries[entries.Count - 1].Seq;
                    report.Findings.Add(new StoreFinding(FindingSeverity.Error, "Truncated",
                        $"The history of '{anchored.Key}' in '{ns}' ends at entry {lastSeq}, but entry {anchored.Seq} was anchored: it was truncated.", log.Path, ns, anchored.Key, anchored.Seq));
                }
                report.EntriesChecked += entries.Count;
            }
            return report;
        }

        /// <summary>Verifies the provenance chains of one namespace (optionally some keys) without touching anything else.</summary>
        public StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var report = new StoreReport(Root);
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir)) return report;
            foreach (var path in Directory.EnumerateFiles(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal))
            {
                var log = new ProvenanceLog(path);
                var tail = log.ReadTail();
                var key = Names.DecodeKey(Path.GetFileNameWithoutExtension(path)) ?? (tail != null && tail.Seq > 0 ? ReadKeyFromLog(log, tail) : Path.GetFileName(path));
                if (keyFilter != null && !keyFilter(key)) continue;
                report.HistoriesChecked++;
                MemoryRecord? memory = null;
                try { memory = TryGet(ns, key); }
                catch (EngramException ex) { report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedMemory", ex.Message, MemoryPath(ns, key), ns, key)); continue; }
                VerifyHistory(ns, key, log, memory, false, report);
            }
            return report;
        }

        // ------------------------------------------------------------------ time travel

        /// <summary>The tracked memories of a namespace as they were at <paramref name="asOfUtc"/>, rebuilt from history.</summary>
        public AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var result = new AsOfResult();
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir)) return result;
            foreach (var path in Directory.EnumerateFiles(dir, "*.prov"))
            {
                var log = new ProvenanceLog(path);
                var tail = log.ReadTail();
                if (tail == null || tail.Seq == 0) continue;
                ProvenanceEntry? state = null, first = null;
                bool unknown = false; // the state at asOfUtc was decided by an entry that retention squashed away
                string? key = null;
                foreach (var e in log.ReadAll(tail.ValidLength, includeValues: true))
                {
                    key = e.Key;
                    if (e.Branch != Names.DefaultBranch) continue;
                    if (e.Action == ProvenanceActions.Squashed)
                    {
                        // Unknown from the first squashed entry on, until a kept entry at or before asOfUtc decides the
                        // state again (not only up to 'to': between the last squashed and the first kept entry the
                        // memory held the freed value of the last squashed one). Before 'from' it did not exist yet.
                        var from = e.Details != null && e.Details.TryGetValue("from", out var f) ? f as string : null;
                        unknown = from == null || DateTime.Parse(from, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) <= asOfUtc;
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
                if (key == null || (keyFilter != null && !keyFilter(key))) continue;
                if (unknown) { result.Unavailable.Add(key); continue; }
                if (state == null) continue;
                result.Memories.Add(new MemoryRecord(state.MemoryId, ns, key, state.Value, Array.Empty<string>(), state.Version,
                    (first ?? state).TimestampUtc, state.TimestampUtc));
            }
            result.Memories.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }
    }
}
