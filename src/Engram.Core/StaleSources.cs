using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>A source of a derived memory's current version: the version it was pinned to and the source's version now.</summary>
    public sealed class SourceState
    {
        internal SourceState(string ns, string key, string branch, int pinnedVersion, int? currentVersion)
        {
            Namespace = ns;
            Key = key;
            Branch = branch;
            PinnedVersion = pinnedVersion;
            CurrentVersion = currentVersion;
        }

        public string Namespace { get; }
        public string Key { get; }
        public string Branch { get; }
        /// <summary>The version the derived memory was made from.</summary>
        public int PinnedVersion { get; }
        /// <summary>The source's version now; null when it no longer exists.</summary>
        public int? CurrentVersion { get; }
        /// <summary>The source moved on (or was removed) since the derived memory was made from it.</summary>
        public bool Stale => CurrentVersion != PinnedVersion;
        public bool Removed => CurrentVersion == null;

        public override string ToString() => $"{Namespace}/{Key}@{PinnedVersion}" + (Stale ? (Removed ? " (removed)" : $" (now v{CurrentVersion})") : "");
    }

    /// <summary>
    /// Stale sources: a memory derived from others pins each source's version in the history entry that wrote its
    /// current version. When a source has moved on since, the derived memory is stale. Every backend answers through
    /// <see cref="IEngramBackend"/>, so the rule is the same on files, SQLite and PostgreSQL.
    /// </summary>
    public static class StaleSources
    {
        /// <summary>The sources of the current main-line version of a memory (empty when it was not derived, or is untracked).</summary>
        public static IReadOnlyList<SourceState> Sources(IEngramBackend store, string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            var current = store.TryGet(ns, key);
            if (current == null || !store.HasProvenance(ns, key)) return Array.Empty<SourceState>();
            var entry = WritingEntry(store, ns, key, current.Version);
            if (entry == null) return Array.Empty<SourceState>();
            var list = new List<SourceState>();
            foreach (var s in ((object?[])entry.Details!["derivedFrom"]!).OfType<EngramMap>())
            {
                var sns = (string)s["namespace"]!;
                var skey = (string)s["key"]!;
                var sver = Convert.ToInt32(s["version"], CultureInfo.InvariantCulture);
                var sbranch = s.TryGetValue("branch", out var b) && b is string bs ? bs : Names.DefaultBranch;
                MemoryRecord? now;
                try { now = store.TryGet(sns, skey, sbranch); }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.BranchNotFound) { now = null; }
                list.Add(new SourceState(sns, skey, sbranch, sver, now?.Version));
            }
            return list;
        }

        /// <summary>Only the sources that moved on.</summary>
        public static IReadOnlyList<SourceState> Stale(IEngramBackend store, string ns, string key) => Sources(store, ns, key).Where(s => s.Stale).ToList();

        /// <summary>
        /// The main-line entry with sources that wrote <paramref name="version"/>: found among the newest few entries
        /// (the usual case: one round trip, no whole-history read), else in the whole history.
        /// </summary>
        private static ProvenanceEntry? WritingEntry(IEngramBackend store, string ns, string key, int version)
        {
            const int Newest = 8;
            var newest = store.GetProvenance(ns, key, Newest, includeValues: false, branch: Names.DefaultBranch).ToList();
            var found = Find(newest, version);
            if (found != null || newest.Count < Newest || newest.Any(e => e.Version < version)) return found;
            return Find(store.GetProvenance(ns, key, null, includeValues: false, branch: Names.DefaultBranch).ToList(), version);
        }

        private static ProvenanceEntry? Find(List<ProvenanceEntry> entries, int version) =>
            entries.Where(e => e.Version == version && e.Details != null && e.Details.TryGetValue("derivedFrom", out var d) && d is object?[])
                .OrderByDescending(e => e.Seq).FirstOrDefault();
    }
}
