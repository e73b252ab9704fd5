using System;
using System.Globalization;
using Engram.Core.Values;

namespace Engram.Core.Provenance
{
    /// <summary>Well-known provenance actions. Others (lower-case words) are allowed for richer histories.</summary>
    public static class ProvenanceActions
    {
        public const string Created = "created";
        public const string Revised = "revised";
        public const string Deleted = "deleted";
        public const string Forked = "forked";
        public const string Merged = "merged";
        public const string Squashed = "squashed";
        /// <summary>History started for a memory that existed untracked (its state at that moment).</summary>
        public const string Tracked = "tracked";
        /// <summary><c>Test-EngramStore -Repair</c> rebuilt a missing or malformed memory file from this history (value unchanged).</summary>
        public const string Repaired = "repaired";
    }

    /// <summary>
    /// One entry of a memory's append-only history. Entries form a hash chain: <see cref="Hash"/> is the SHA-256 of
    /// every field except <see cref="Hash"/> and <see cref="Value"/> (so old values can be freed later without
    /// breaking the chain; <see cref="ContentHash"/> still pins what the value was), and <see cref="PrevHash"/> is
    /// the previous entry's hash.
    /// </summary>
    public sealed class ProvenanceEntry
    {
        /// <summary>The newest entry schema this build reads. Ordinary entries are written as schema 1 (readable by
        /// every build); schema 2 is the <c>squashed</c> entry of retention, whose chain link is its recorded
        /// <c>lastHash</c> (a schema-1 reader would misread it as a broken chain, so it must refuse it).</summary>
        public const int CurrentSchema = 2;

        public const int BaseSchema = 1;

        public int Schema { get; set; } = BaseSchema;
        public long Seq { get; set; }
        public string MemoryId { get; set; } = "";
        public string Namespace { get; set; } = "";
        public string Key { get; set; } = "";
        public string Action { get; set; } = "";
        public string Actor { get; set; } = "";
        public DateTime TimestampUtc { get; set; }
        public string Branch { get; set; } = Names.DefaultBranch;
        /// <summary>The memory version this entry produced (for <c>deleted</c>: the version that was deleted).</summary>
        public int Version { get; set; }
        public string? Reason { get; set; }
        /// <summary><c>sha256:…</c> of the value this version holds; null for deletions.</summary>
        public string? ContentHash { get; set; }
        public string? PrevHash { get; set; }
        public string Hash { get; set; } = "";
        /// <summary>Extra structured fields (sources, parents, confidence…), covered by the hash.</summary>
        public EngramMap? Details { get; set; }
        /// <summary>True when the value of this version is stored with the entry.</summary>
        public bool HasValue { get; set; }
        public object? Value { get; set; }

        /// <summary>Computes the hash this entry must carry, from its fields (not from <see cref="Hash"/>).</summary>
        public string ComputeHash()
        {
            var m = new EngramMap(MapKind.Ordered)
            {
                { "action", Action },
                { "actor", Actor },
                { "branch", Branch },
                { "contentHash", ContentHash },
                { "details", Details },
                { "key", Key },
                { "memoryId", MemoryId },
                { "namespace", Namespace },
                { "prevHash", PrevHash },
                { "reason", Reason },
                { "schema", Schema },
                { "seq", Seq },
                { "timestamp", TimestampUtc.ToString("o", CultureInfo.InvariantCulture) },
                { "version", Version },
            };
            return ValueCodec.ContentHash(m).Substring("sha256:".Length);
        }

        /// <summary>True when <see cref="Hash"/> matches the entry's fields.</summary>
        public bool VerifyHash() => string.Equals(Hash, ComputeHash(), StringComparison.Ordinal);
    }
}
