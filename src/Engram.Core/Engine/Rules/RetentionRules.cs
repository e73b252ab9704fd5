using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core.Engine.Rules
{
    /// <summary>The retention rule: which entries of a history a policy squashes, and the <c>squashed</c> entry that
    /// summarises them (so the chain still verifies). The turning points of a memory's story are always kept.</summary>
    internal static class RetentionRules
    {
        /// <summary>A history after applying retention (oldest first), or null when nothing is past retention. The newest entry, and everything from the fork point of a live branch on, are always kept.</summary>
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
        internal static bool IsTurningPoint(ProvenanceEntry e) =>
            EngramEngine.TurningPointActions.Contains(e.Action)
            || (e.Details != null && e.Details.TryGetValue("confidence", out var c) && c is double d && d < EngramEngine.LowConfidence)
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
    }
}
