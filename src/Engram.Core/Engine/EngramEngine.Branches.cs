using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        // ------------------------------------------------------------------ branch reads

        /// <summary>The branch record, or null when the branch does not exist.</summary>
        public BranchRecord? TryGetBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            using (var view = Storage.OpenRead()) return view.ReadBranch(ns, branch);
        }

        private static BranchRecord RequireBranch(IStorageView view, string ns, string branch) =>
            view.ReadBranch(ns, branch) ?? throw StoreErrors.BranchMissing(ns, branch);

        /// <summary>Branches of a namespace (all namespaces when null), with their unmerged change counts.</summary>
        public IReadOnlyList<BranchInfo> GetBranches(string? ns = null)
        {
            var n = ns == null ? null : Names.NormalizeNamespace(ns);
            using (var view = Storage.OpenRead()) return view.ReadBranches(n).Select(b => new BranchInfo(b.Key, b.Value)).ToList();
        }

        /// <summary>
        /// The memory as the branch sees it, tombstones included: its own version if it changed it, else the merge base
        /// kept when main changed after the fork, else main's current version. Null: never existed for the branch.
        /// </summary>
        internal static MemoryRecord? ViewRaw(IStorageView view, string ns, string branch, string key) =>
            branch == Names.DefaultBranch ? view.ReadMemory(ns, key)
                : view.ReadBranchMemory(ns, branch, BranchSlot.Own, key)
                  ?? view.ReadBranchMemory(ns, branch, BranchSlot.Base, key)
                  ?? view.ReadMemory(ns, key)?.OnBranch(branch);

        /// <summary>Reads one memory on a branch; null when it does not exist there.</summary>
        public MemoryRecord? TryGet(string ns, string key, string? branch)
        {
            var b = Names.NormalizeBranch(branch);
            if (b == Names.DefaultBranch) return TryGet(ns, key);
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            using (var view = Storage.OpenRead())
            {
                var record = RequireBranch(view, ns, b);
                if (!record.Covers(key)) return null;
                var m = ViewRaw(view, ns, b, key);
                return m == null || m.Deleted ? null : m;
            }
        }

        /// <summary>Lists the keys a branch sees, sorted: main's (for a namespace fork), its merge bases and its own changes,
        /// without the ones it does not see (deleted on the branch, or created on main after the fork).</summary>
        public IReadOnlyList<string> ListKeys(string ns, string? branch)
        {
            ns = Names.NormalizeNamespace(ns);
            var b = Names.NormalizeBranch(branch);
            var keys = new SortedSet<string>(Names.KeyOrder);
            using (var view = Storage.OpenRead())
            {
                var main = view.ListMemories(ns);
                if (b == Names.DefaultBranch)
                {
                    foreach (var l in main) keys.Add(l.Key ?? view.ReadListed(l).Key);
                    return keys.ToList();
                }
                var record = RequireBranch(view, ns, b);
                // The branch's own version hides its merge base, which hides main; a tombstone in either means the branch
                // does not see the key (deleted on the branch, or created on main after the fork).
                var own = new Dictionary<string, bool>(StringComparer.Ordinal); // key -> visible
                foreach (var slot in new[] { BranchSlot.Own, BranchSlot.Base })
                    foreach (var m in view.ReadBranchMemories(ns, b, slot))
                        if (!own.ContainsKey(m.Key)) own[m.Key] = !m.Deleted;
                var mainKeys = new HashSet<string>(main.Select(l => l.Key ?? view.ReadListed(l).Key), StringComparer.Ordinal);
                if (record.Keys != null) { foreach (var k in record.Keys) if (!own.ContainsKey(k) && mainKeys.Contains(k)) keys.Add(k); }
                else foreach (var k in mainKeys) if (!own.ContainsKey(k)) keys.Add(k);
                foreach (var kv in own) if (kv.Value) keys.Add(kv.Key);
                return keys.ToList();
            }
        }

        // ------------------------------------------------------------------ fork and remove

        /// <summary>
        /// Forks a namespace (keys null: copies nothing) or some of its memories (their merge base is kept eagerly and
        /// tracked ones get a <c>forked</c> entry) into a new branch, atomically.
        /// </summary>
        public BranchRecord Fork(string ns, string branch, IReadOnlyList<string>? keys, string? actor = null, string? reason = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            if (branch == Names.DefaultBranch)
                throw new EngramException(EngramErrorIds.InvalidBranch, EngramErrorKind.InvalidArgument, "'main' is the main line; fork into another name.", branch);
            if (keys != null) foreach (var k in keys) Names.ValidateKey(k);
            actor = WriteRules.NormalizeActor(actor);
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                if (s.ReadBranch(ns, branch) != null) throw StoreErrors.BranchExists(ns, branch);
                var now = DateTime.UtcNow;
                var record = new BranchRecord(branch, ns, now, actor, string.IsNullOrEmpty(reason) ? null : reason, keys?.Distinct(StringComparer.Ordinal).ToList());
                s.PutBranch(record);
                if (record.Keys != null)
                {
                    foreach (var key in record.Keys)
                    {
                        var current = s.ReadMemory(ns, key) ?? throw StoreErrors.MemoryMissing(ns, key);
                        s.PutBranchMemory(ns, branch, BranchSlot.Base, current);
                        var tail = Reconcile(s, current, ns, key);
                        if (tail == null) continue; // untracked (or only a write that never finished, now cut)
                        s.Append(tail, new[] { WriteRules.ForkedEntry(tail, current, ns, key, actor, now, branch, reason) });
                    }
                }
                s.Commit();
                return record;
            }
        }

        /// <summary>Deletes a branch and its unmerged changes, atomically. Histories keep their branch entries.</summary>
        public BranchInfo RemoveBranch(string ns, string branch)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                var info = s.ReadBranches(ns).Where(b => b.Key.Name == branch).Select(b => new BranchInfo(b.Key, b.Value)).FirstOrDefault()
                           ?? throw new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{branch}' of namespace '{ns}'.", ns + "@" + branch);
                s.DropBranch(ns, branch);
                s.Commit();
                return info;
            }
        }

        // ------------------------------------------------------------------ writes on a branch

        /// <summary>The rules of one Set on a branch, staged into <paramref name="s"/> (not committed); refusals come
        /// before anything is staged.</summary>
        private SetResult StageOnBranch(IStorageWrite s, SetRequest request, CheckedWrite w)
        {
            string ns = w.Namespace, branch = w.Branch, key = w.Key, actor = w.Actor, contentHash = w.ContentHash;
            var record = RequireBranch(s, ns, branch);
            if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
            var main = s.ReadMemory(ns, key);
            // Reconciled before the tracking decision, as on main: a lone entry of a write that never finished is cut
            // first and does not make the memory tracked.
            var tail = Reconcile(s, main, ns, key);
            bool tracked = WriteRules.Tracked(request, tail != null, s.Config, ns, key, mainLine: false); // true whenever a tail remains
            var sources = ResolveSources(request);

            var view = ViewRaw(s, ns, branch, key);
            var live = view != null && !view.Deleted ? view : null;
            ConditionalWrite.Check(request, live, ns, key, branch);
            var newTags = w.Tags ?? live?.Tags ?? Array.Empty<string>();
            if (live != null && !request.IsCognitive && live.ContentHash == contentHash && newTags.SequenceEqual(live.Tags, StringComparer.Ordinal))
                return new SetResult(live, false, null);

            var now = DateTime.UtcNow;
            var id = view != null && view.Id.Length > 0 ? view.Id : main?.Id ?? (tail != null ? s.ReadEntry(tail, includeValues: false).MemoryId : Guid.NewGuid().ToString("N"));
            var version = (view?.Version ?? 0) + 1;
            var written = new MemoryRecord(id, ns, key, request.Value, newTags, version, live?.CreatedUtc ?? now, now, branch);
            bool firstChange = s.ReadBranchMemory(ns, branch, BranchSlot.Own, key) == null;
            var entries = new List<ProvenanceEntry>();
            if (tracked)
            {
                if (firstChange && record.Keys == null && live != null)
                    entries.Add(WriteRules.ForkedEntry(tail, live, ns, key, actor, now, branch, null));
                entries.Add(WriteRules.NewEntry(tail, id, ns, key, request.Action ?? (live == null ? ProvenanceActions.Created : ProvenanceActions.Revised),
                    actor, now, branch, version, request.Reason, contentHash, request.Value, details: CognitionDetails(request, sources), previous: entries.LastOrDefault()));
            }
            var last = entries.LastOrDefault(); // made before anything is staged
            s.PutBranchMemory(ns, branch, BranchSlot.Own, written);
            if (last != null)
            {
                s.Append(tail, entries);
                foreach (var src in sources) s.AddDerived(src.Ref.Namespace, src.Ref.Key, src.Version, last);
            }
            return new SetResult(written, true, last);
        }

        private ProvenanceEntry? StageRemoveOnBranch(IStorageWrite s, CheckedRemove r)
        {
            string ns = r.Namespace, key = r.Key, branch = r.Branch;
            var record = RequireBranch(s, ns, branch);
            if (!record.Covers(key)) throw StoreErrors.NotInBranch(ns, branch, key);
            var view = ViewRaw(s, ns, branch, key);
            if (view == null || view.Deleted) throw StoreErrors.MemoryMissing(ns, key);
            var tail = Reconcile(s, s.ReadMemory(ns, key), ns, key); // before anything is staged: it may refuse
            s.PutBranchMemory(ns, branch, BranchSlot.Own, MemoryRecord.Tombstone(view.Id, ns, key, view.Version, branch));
            ProvenanceEntry? entry = null;
            if (tail != null)
            {
                entry = WriteRules.NewEntry(tail, view.Id, ns, key, ProvenanceActions.Deleted, r.Actor, DateTime.UtcNow, branch, view.Version, r.Reason, null, null, hasValue: false);
                s.Append(tail, new[] { entry });
            }
            return entry;
        }
    }
}
