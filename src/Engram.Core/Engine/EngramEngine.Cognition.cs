using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>A source resolved to the exact version a derived memory was made from.</summary>
    internal sealed class ResolvedSource
    {
        public ResolvedSource(MemoryRef reference, string memoryId, int version)
        {
            Ref = reference;
            MemoryId = memoryId;
            Version = version;
        }

        public MemoryRef Ref { get; }
        public string MemoryId { get; }
        public int Version { get; }
    }
}

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        public const string ConnectedAction = "connected";

        /// <summary>Actions that mark a turning point in a memory's story (kept when retention squashes history, as are
        /// entries with sources and low-confidence entries).</summary>
        public static readonly IReadOnlyList<string> TurningPointActions = new[]
        {
            ProvenanceActions.Forked, ProvenanceActions.Merged, ConnectedAction, "crystallized", "synthesized", RestoredAction,
        };

        /// <summary>Below this confidence an entry is a turning point too.</summary>
        public const double LowConfidence = 0.5;

        internal static void ValidateCognition(SetRequest request, string ns, string key)
        {
            if (request.Confidence is double c && (double.IsNaN(c) || c < 0 || c > 1))
                throw new EngramException(EngramErrorIds.InvalidConfidence, EngramErrorKind.InvalidArgument, $"Confidence must be between 0 and 1, not {c}.", c);
            if (request.IsCognitive && request.TrackProvenance == false)
                throw new EngramException(EngramErrorIds.ProvenanceRequired, EngramErrorKind.InvalidOperation,
                    $"An action, sources or a confidence are provenance: '{key}' in '{ns}' must be tracked to record them.", ns + "/" + key);
        }

        /// <summary>Pins every source to an exact version (the current one unless the reference names one).</summary>
        internal List<ResolvedSource> ResolveSources(SetRequest request)
        {
            var list = new List<ResolvedSource>();
            if (request.DerivedFrom == null) return list;
            foreach (var r in request.DerivedFrom)
            {
                var current = TryGet(r.Namespace, r.Key, r.Branch);
                if (r.Version == null)
                {
                    if (current == null) throw StoreErrors.MemoryMissing(r.Namespace, r.Key);
                    list.Add(new ResolvedSource(r, current.Id, current.Version));
                }
                else if (current != null && current.Version == r.Version)
                    list.Add(new ResolvedSource(r, current.Id, current.Version));
                else
                    list.Add(new ResolvedSource(r, GetVersion(r.Namespace, r.Key, r.Version.Value, r.Branch).MemoryId, r.Version.Value));
            }
            return list;
        }

        internal static EngramMap? CognitionDetails(SetRequest request, List<ResolvedSource> sources)
        {
            if (request.Details == null && sources.Count == 0 && request.Confidence == null) return null;
            var d = new EngramMap(MapKind.Ordered);
            if (request.Details != null) foreach (var kv in request.Details) d[kv.Key] = kv.Value;
            if (sources.Count > 0)
                d["derivedFrom"] = sources.Select(s =>
                {
                    var m = new EngramMap(MapKind.Ordered) { { "namespace", s.Ref.Namespace }, { "key", s.Ref.Key }, { "version", s.Version }, { "memoryId", s.MemoryId } };
                    if (s.Ref.Branch != Names.DefaultBranch) m.Add("branch", s.Ref.Branch);
                    return (object?)m;
                }).ToArray();
            if (request.Confidence != null) d["confidence"] = request.Confidence.Value;
            return d;
        }

        // ------------------------------------------------------------------ connections

        /// <summary>Records a connection between two memories in both histories, without changing their values.</summary>
        public (ProvenanceEntry from, ProvenanceEntry to) Connect(MemoryRef from, MemoryRef to, string? actor = null, string? reason = null)
        {
            if (from.Namespace == to.Namespace && from.Key == to.Key)
                throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument, "A memory cannot be connected to itself.", from.ToString());
            actor = WriteRules.NormalizeActor(actor);
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                var a = s.ReadMemory(from.Namespace, from.Key) ?? throw StoreErrors.MemoryMissing(from.Namespace, from.Key);
                var b = s.ReadMemory(to.Namespace, to.Key) ?? throw StoreErrors.MemoryMissing(to.Namespace, to.Key);
                foreach (var (r, m) in new[] { (from, a), (to, b) })
                    if (r.Branch != Names.DefaultBranch || (r.Version != null && r.Version != m.Version))
                        throw new EngramException(EngramErrorIds.VersionNotFound, EngramErrorKind.InvalidArgument,
                            $"A connection links the current main-line versions; '{r}' names {(r.Branch != Names.DefaultBranch ? "branch " + r.Branch : "version " + r.Version)}, but '{r.Key}' is at v{m.Version} on main.", r.ToString());
                var now = DateTime.UtcNow;
                var ea = Connection(s, a, b, "to", actor, reason, now);
                var eb = Connection(s, b, a, "from", actor, reason, now);
                s.Commit();
                return (ea, eb);
            }
        }

        private ProvenanceEntry Connection(IStorageWrite s, MemoryRecord self, MemoryRecord other, string direction, string actor, string? reason, DateTime now)
        {
            var tail = Reconcile(s, self, self.Namespace, self.Key);
            var entry = WriteRules.NewEntry(tail, self.Id, self.Namespace, self.Key, ConnectedAction, actor, now, Names.DefaultBranch, self.Version, reason,
                self.ContentHash, null, hasValue: false, details: new EngramMap(MapKind.Ordered)
                {
                    { "direction", direction },
                    { "with", new EngramMap(MapKind.Ordered) { { "namespace", other.Namespace }, { "key", other.Key }, { "version", other.Version }, { "memoryId", other.Id } } },
                });
            s.Append(tail, new[] { entry });
            return entry;
        }

        // ------------------------------------------------------------------ lineage

        /// <summary>
        /// The lineage graph of a memory: Up walks the sources recorded in its history (each pinned to the version
        /// used, and from there the sources of that version), Down walks the derived-from index. Cycles are cut.
        /// </summary>
        public IReadOnlyList<LineageLink> GetLineage(string ns, string key, int depth = 3, LineageDirection direction = LineageDirection.Both)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            EnsureExists();
            if (TryGet(ns, key) == null && !HasProvenance(ns, key)) throw StoreErrors.MemoryMissing(ns, key);
            var links = new List<LineageLink>();
            if (direction != LineageDirection.Down) WalkUp(ns, key, int.MaxValue, null, 1, depth, links, new HashSet<string>(StringComparer.Ordinal));
            if (direction != LineageDirection.Up) WalkDown(ns, key, 1, depth, links, new HashSet<string>(StringComparer.Ordinal));
            return links;
        }

        /// <param name="branch">The line a pinned source version belongs to; null (the memory asked about) for every line.</param>
        private void WalkUp(string ns, string key, int maxVersion, string? branch, int level, int depth, List<LineageLink> links, HashSet<string> seen)
        {
            if (level > depth || !seen.Add(ns + "/" + key + "@" + maxVersion + "@" + branch)) return;
            if (!HasProvenance(ns, key)) return;
            var entries = GetProvenance(ns, key, null, includeValues: false, branch: "*").ToList();
            var onLine = branch == null ? (_ => true) : LineOf(entries, branch, maxVersion);
            foreach (var e in entries)
            {
                if (e.Version > maxVersion || !onLine(e)) continue;
                if (!(e.Details != null && e.Details.TryGetValue("derivedFrom", out var raw) && raw is object?[] sources)) continue;
                var confidence = e.Details.TryGetValue("confidence", out var c) && c is double d ? d : (double?)null;
                foreach (var s in sources.OfType<EngramMap>())
                {
                    var sns = (string)s["namespace"]!;
                    var skey = (string)s["key"]!;
                    var sver = Convert.ToInt32(s["version"], CultureInfo.InvariantCulture);
                    var sbranch = s.TryGetValue("branch", out var sb) && sb is string bs ? bs : Names.DefaultBranch;
                    links.Add(new LineageLink(LineageDirection.Up, level, ns, key, e.Version, sns, skey, sver, e.Action, e.Actor, e.TimestampUtc, confidence, e.Reason, e.Seq));
                    WalkUp(sns, skey, sver, sbranch, level + 1, depth, links, seen);
                }
            }
        }

        /// <summary>
        /// Which entries made a version of one line (a pinned source): version numbers alone do not tell, as a branch
        /// continues main's numbering. Main: its own entries, and a branch's work up to a merge into main (at or before
        /// the pinned version). A branch: its own entries, and main's before the branch's first entry (its fork).
        /// </summary>
        private static Func<ProvenanceEntry, bool> LineOf(List<ProvenanceEntry> entries, string branch, int maxVersion)
        {
            if (branch == Names.DefaultBranch)
            {
                var mergedUpTo = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var m in entries)
                    if (m.Branch == Names.DefaultBranch && m.Action == ProvenanceActions.Merged && m.Version <= maxVersion
                        && m.Details != null && m.Details.TryGetValue("from", out var f) && f is string from)
                        mergedUpTo[from] = m.Seq;
                return e => e.Branch == Names.DefaultBranch || (mergedUpTo.TryGetValue(e.Branch, out var upTo) && e.Seq < upTo);
            }
            var forkSeq = entries.Where(e => e.Branch == branch).Select(e => e.Seq).DefaultIfEmpty(long.MaxValue).Min();
            return e => e.Branch == branch || (e.Branch == Names.DefaultBranch && e.Seq < forkSeq);
        }

        private void WalkDown(string ns, string key, int level, int depth, List<LineageLink> links, HashSet<string> seen)
        {
            if (level > depth || !seen.Add(ns + "/" + key)) return;
            List<DerivedLink> derived;
            using (var view = Storage.OpenRead()) derived = view.ReadDerived(ns, key).ToList();
            foreach (var d in derived)
            {
                var entry = GetProvenance(d.Namespace, d.Key, null, includeValues: false, branch: "*").FirstOrDefault(e => e.Seq == d.Seq);
                var confidence = entry?.Details != null && entry.Details.TryGetValue("confidence", out var c) && c is double dd ? dd : (double?)null;
                links.Add(new LineageLink(LineageDirection.Down, level, d.Namespace, d.Key, d.Version, ns, key, d.SourceVersion,
                    entry?.Action ?? "", entry?.Actor ?? "", entry?.TimestampUtc ?? DateTime.MinValue, confidence, entry?.Reason, d.Seq));
                WalkDown(d.Namespace, d.Key, level + 1, depth, links, seen);
            }
        }
    }
}
