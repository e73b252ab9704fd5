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

    /// <summary>A lineage link with its source's current version and whether it is stale (see <see cref="StaleSources.Mark"/>).</summary>
    public sealed class LinkState
    {
        internal LinkState(LineageLink link, int? sourceCurrentVersion, bool stale)
        {
            Link = link;
            SourceCurrentVersion = sourceCurrentVersion;
            Stale = stale;
        }

        public LineageLink Link { get; }
        /// <summary>The source's version now; null when it no longer exists.</summary>
        public int? SourceCurrentVersion { get; }
        public bool Stale { get; }
    }

    /// <summary>
    /// Stale sources: a memory derived from others pins each source's version in the history entry that wrote its
    /// current version. When a source has moved on since, the derived memory is stale. Every backend answers through
    /// <see cref="IEngramStore"/>, so the rule is the same on files, SQLite and PostgreSQL.
    /// </summary>
    public static class StaleSources
    {
        /// <summary>The sources of the current main-line version of a memory (empty when it was not derived, or is untracked).</summary>
        public static IReadOnlyList<SourceState> Sources(IEngramStore store, string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            var current = store.TryGet(ns, key);
            if (current == null) return Array.Empty<SourceState>();
            ProvenanceEntry? entry;
            try { entry = WritingEntry(store, ns, key, current.Version); }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.NoProvenance || ex.ErrorId == EngramErrorIds.MemoryNotFound)
            {
                return Array.Empty<SourceState>(); // untracked (or removed meanwhile): no sources
            }
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

        /// <summary>
        /// Marks lineage links: a link is stale when it made its memory's current version and its source has moved on
        /// (or gone) since. Each memory's current version is read once.
        /// </summary>
        public static IReadOnlyList<LinkState> Mark(IEngramStore store, IEnumerable<LineageLink> links)
        {
            var versions = new Dictionary<string, int?>(StringComparer.Ordinal);
            int? Current(string ns, string key)
            {
                if (!versions.TryGetValue(ns + "/" + key, out var v)) versions[ns + "/" + key] = v = store.TryGet(ns, key)?.Version;
                return v;
            }
            return links.Select(l =>
            {
                var now = Current(l.SourceNamespace, l.SourceKey);
                return new LinkState(l, now, Current(l.Namespace, l.Key) == l.Version && now != l.SourceVersion);
            }).ToList();
        }

        /// <summary>Only the sources that moved on.</summary>
        public static IReadOnlyList<SourceState> Stale(IEngramStore store, string ns, string key) => Sources(store, ns, key).Where(s => s.Stale).ToList();

        /// <summary>
        /// The main-line entry with sources that wrote <paramref name="version"/>: found among the newest few entries
        /// (the usual case: one round trip, no whole-history read), else in the whole history.
        /// </summary>
        private static ProvenanceEntry? WritingEntry(IEngramStore store, string ns, string key, int version)
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
