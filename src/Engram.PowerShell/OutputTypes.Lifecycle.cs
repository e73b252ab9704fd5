using System;
using System.Linq;
using Engram.Core;

namespace Engram.PowerShell
{
    /// <summary>A namespace's provenance head (PSTypeName Engram.ProvenanceHead): save it elsewhere, verify later with Test-EngramProvenance -Anchor.</summary>
    public sealed class EngramProvenanceHead
    {
        public const string TypeName = "Engram.ProvenanceHead";

        internal EngramProvenanceHead(ProvenanceHead h, string store)
        {
            Namespace = h.Namespace;
            Created = h.CreatedUtc;
            Digest = h.Digest;
            Entries = h.Entries.Select(e => new EngramHeadEntry(e.Key, e.Seq, e.Hash)).ToArray();
            Store = store;
        }

        public string Namespace { get; }
        /// <summary>UTC time the head was taken.</summary>
        public DateTime Created { get; }
        /// <summary>SHA-256 over every memory's (key, last seq, last hash): equal digests mean nothing changed.</summary>
        public string Digest { get; }
        public EngramHeadEntry[] Entries { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);

        public override string ToString() => Namespace + " " + Digest;
    }

    public sealed class EngramHeadEntry
    {
        public EngramHeadEntry(string key, long seq, string hash)
        {
            Key = key;
            Seq = seq;
            Hash = hash;
        }

        public string Key { get; }
        public long Seq { get; }
        public string Hash { get; }
    }

    /// <summary>What Optimize-EngramProvenance did to a namespace (PSTypeName Engram.OptimizeReport).</summary>
    public sealed class EngramOptimizeReport
    {
        public const string TypeName = "Engram.OptimizeReport";

        internal EngramOptimizeReport(OptimizeReport r, string store)
        {
            Namespace = r.Namespace;
            Retention = r.Policy.ToYaml();
            HistoriesChecked = r.HistoriesChecked;
            HistoriesSquashed = r.HistoriesSquashed;
            EntriesRemoved = r.EntriesRemoved;
            BytesBefore = r.BytesBefore;
            BytesAfter = r.BytesAfter;
            BytesFreed = r.BytesFreed;
            Applied = r.Applied;
            Store = store;
        }

        public string Namespace { get; }
        public string Retention { get; }
        public int HistoriesChecked { get; }
        public int HistoriesSquashed { get; }
        public int EntriesRemoved { get; }
        public long BytesBefore { get; }
        public long BytesAfter { get; }
        public long BytesFreed { get; }
        /// <summary>False for -WhatIf: what would be freed.</summary>
        public bool Applied { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);
    }
}

namespace Engram.PowerShell
{
    /// <summary>One edge of a lineage graph (PSTypeName Engram.LineageLink): Namespace/Key v Version was derived
    /// from SourceNamespace/SourceKey v SourceVersion.</summary>
    public sealed class EngramLineageLink
    {
        public const string TypeName = "Engram.LineageLink";

        internal EngramLineageLink(Engram.Core.LineageLink l, string store, int? sourceCurrentVersion = null, bool stale = false)
        {
            SourceCurrentVersion = sourceCurrentVersion;
            Stale = stale;
            Direction = l.Direction.ToString();
            Depth = l.Depth;
            Namespace = l.Namespace;
            Key = l.Key;
            Version = l.Version;
            SourceNamespace = l.SourceNamespace;
            SourceKey = l.SourceKey;
            SourceVersion = l.SourceVersion;
            Action = l.Action;
            Actor = l.Actor;
            Timestamp = l.TimestampUtc.ToLocalTime();
            Confidence = l.Confidence;
            Reason = l.Reason;
            Store = store;
        }

        public string Direction { get; }
        public int Depth { get; }
        public string Namespace { get; }
        public string Key { get; }
        /// <summary>The key again, under the name -LiteralKey binds from the pipeline (see EngramMemory.PSKey).</summary>
        public string PSKey => Key;
        public int Version { get; }
        public string SourceNamespace { get; }
        public string SourceKey { get; }
        public int SourceVersion { get; }
        public string Action { get; }
        public string Actor { get; }
        public System.DateTime Timestamp { get; }
        public double? Confidence { get; }
        public string? Reason { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);
        /// <summary>The source's version now (null: it no longer exists).</summary>
        public int? SourceCurrentVersion { get; }
        /// <summary>The link made the memory's current version and its source has changed (or gone) since.</summary>
        public bool Stale { get; }

        public override string ToString() => $"{Namespace}/{Key}@{Version} <- {SourceNamespace}/{SourceKey}@{SourceVersion}";
    }
}
