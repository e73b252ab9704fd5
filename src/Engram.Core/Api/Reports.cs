using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

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
}
