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

    }
}
