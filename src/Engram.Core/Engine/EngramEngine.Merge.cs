using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core.Engine
{
    public partial class EngramEngine
    {
        private static string Fingerprint(MemoryRecord? m) =>
            m == null || m.Deleted ? "absent" : m.ContentHash + "|" + string.Join("\u001f", m.Tags);

        private static MemoryRecord? Live(MemoryRecord? m) => m == null || m.Deleted ? null : m;

        /// <summary>
        /// The three-way decision for one key a branch changed: the merge base is the snapshot kept when main changed
        /// after the fork, else main itself (main did not change).
        /// </summary>
        internal static MergeItem PlanItem(string key, bool hasSnapshot, MemoryRecord? snapshot, MemoryRecord? ours, MemoryRecord theirsRaw, MergeStrategy strategy)
        {
            var baseRec = hasSnapshot ? Live(snapshot) : ours;
            var theirs = Live(theirsRaw);
            bool theirsChanged = Fingerprint(theirs) != Fingerprint(baseRec);
            bool oursChanged = hasSnapshot && Fingerprint(ours) != Fingerprint(baseRec);
            MergeOutcome outcome;
            if (!theirsChanged) outcome = MergeOutcome.Unchanged;
            else if (!oursChanged) outcome = MergeOutcome.Merged;
            else if (Fingerprint(ours) == Fingerprint(theirs)) outcome = MergeOutcome.Unchanged; // same change on both sides
            else outcome = MergeOutcome.Conflict;
            var item = new MergeItem(key, baseRec, ours, theirs, outcome);
            if (outcome == MergeOutcome.Conflict)
                item.Resolution = strategy == MergeStrategy.Ours ? "ours" : strategy == MergeStrategy.Theirs ? "theirs" : null;
            return item;
        }

        /// <summary>
        /// The name of the branch a conflict moves to: the source branch, "-conflict-" and the memory id's start,
        /// numbered when <paramref name="exists"/> says it is taken.
        /// </summary>
        internal static string ConflictBranchName(string branch, MergeItem item, Func<string, bool> exists)
        {
            var id = item.Theirs?.Id ?? item.Ours?.Id ?? item.Base?.Id ?? "";
            var stem = branch + "-conflict-" + (id.Length >= 8 ? id.Substring(0, 8) : Names.EncodeKey(item.Key).Replace("^", "").Replace("_", "").Replace("~", ""));
            if (stem.Length > Names.MaxNamespaceLength - 4) stem = stem.Substring(0, Names.MaxNamespaceLength - 4);
            var name = stem;
            for (int i = 2; exists(name); i++) name = stem + "-" + i;
            return Names.NormalizeBranch(name);
        }

        /// <summary>Three-way plan of merging <paramref name="branch"/> into main; reads only, changes nothing.</summary>
        public MergeResult PlanMerge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            EnsureExists();
            using (var view = Storage.OpenRead()) return Plan(view, ns, branch, strategy, keyFilter);
        }

        private static MergeResult Plan(IStorageView view, string ns, string branch, MergeStrategy strategy, Func<string, bool>? keyFilter)
        {
            RequireBranch(view, ns, branch);
            var items = new List<MergeItem>();
            foreach (var theirsRaw in view.ReadBranchMemories(ns, branch, BranchSlot.Own).OrderBy(m => Names.EncodeKey(m.Key), StringComparer.Ordinal))
            {
                var key = theirsRaw.Key;
                if (keyFilter != null && !keyFilter(key)) continue;
                var snapshot = view.ReadBranchMemory(ns, branch, BranchSlot.Base, key);
                items.Add(PlanItem(key, snapshot != null, snapshot, view.ReadMemory(ns, key), theirsRaw, strategy));
            }
            return new MergeResult(ns, branch, strategy, items);
        }

        /// <summary>
        /// Merges a branch into main, all-or-nothing: clean changes are taken, conflicts resolved by
        /// <paramref name="strategy"/> (or reported with nothing changed, for <see cref="MergeStrategy.Fail"/>). Merged
        /// memories get a <c>merged</c> entry naming the branch and both parent versions. Merged keys leave the branch's
        /// pending changes (the branch then sees main for them); the branch itself stays until Remove-EngramBranch.
        /// </summary>
        public MergeResult Merge(string ns, string branch, MergeStrategy strategy = MergeStrategy.Fail, string? actor = null, string? reason = null,
            Func<string, bool>? keyFilter = null, Action<int, int, string>? progress = null)
        {
            ns = Names.NormalizeNamespace(ns);
            branch = Names.NormalizeBranch(branch);
            actor = WriteRules.NormalizeActor(actor);
            EnsureExists();
            using (var s = Storage.BeginWrite())
            {
                var plan = Plan(s, ns, branch, strategy, keyFilter);
                if (strategy == MergeStrategy.Fail && plan.Conflicts.Any()) throw new MergeConflictException(plan);
                var now = DateTime.UtcNow;
                int done = 0;
                foreach (var item in plan.Items)
                {
                    progress?.Invoke(++done, plan.Items.Count, item.Key);
                    bool take = item.Outcome == MergeOutcome.Merged || (item.Outcome == MergeOutcome.Conflict && strategy == MergeStrategy.Theirs);
                    if (take) TakeTheirs(s, ns, branch, item, actor, reason, now);
                    else if (item.Outcome == MergeOutcome.Conflict && strategy == MergeStrategy.ConflictBranch)
                    {
                        var name = ConflictBranchName(branch, item, n => plan.ConflictBranches.Contains(n) || s.ReadBranch(ns, n) != null);
                        ConflictBranch(s, ns, name, branch, item, actor, now);
                        item.Resolution = "conflict-branch:" + name;
                        plan.ConflictBranches.Add(name);
                    }
                    // The branch is caught up for this key: drop its pending change and merge base.
                    s.DeleteBranchMemory(ns, branch, BranchSlot.Own, item.Key);
                    s.DeleteBranchMemory(ns, branch, BranchSlot.Base, item.Key);
                }
                s.Commit();
                plan.Applied = true;
                return plan;
            }
        }

        private void TakeTheirs(IStorageWrite s, string ns, string branch, MergeItem item, string actor, string? reason, DateTime now)
        {
            var key = item.Key;
            var ours = item.Ours;
            var theirs = item.Theirs;
            var tail = Reconcile(s, ours, ns, key); // before deciding: a write that never finished is cut
            bool tracked = tail != null || s.Config.IsTracked(ns);
            KeepBases(s, BranchesNeedingBase(s, ns, key, except: branch), ours, ns, key);
            var details = new EngramMap(MapKind.Ordered)
            {
                { "from", branch },
                { "oursVersion", ours?.Version },
                { "theirsVersion", item.Theirs?.Version },
                { "baseVersion", item.Base?.Version },
            };
            if (theirs == null)
            {
                if (ours == null) return;
                s.DeleteMemory(ns, key);
                if (tracked)
                    s.Append(tail, new[] { WriteRules.NewEntry(tail, ours.Id, ns, key, ProvenanceActions.Deleted, actor, now, Names.DefaultBranch,
                        ours.Version, reason, null, null, hasValue: false, details: details) });
                return;
            }
            // New on main: continue after main's last version when it had one (re-created after a delete), else keep the
            // branch's version. (The tail may be one of the branch's own entries, so it cannot be used as is.)
            int? lastMain = ours == null && tail != null ? HistoryRules.LastMain(s, tail)?.Version : null;
            int version = ours != null ? ours.Version + 1 : lastMain.HasValue ? lastMain.Value + 1 : Math.Max(1, theirs.Version);
            var id = ours?.Id ?? theirs.Id;
            var merged = new MemoryRecord(id, ns, key, theirs.Value, theirs.Tags, version, ours?.CreatedUtc ?? theirs.CreatedUtc, now);
            s.PutMemory(merged);
            if (tracked)
                s.Append(tail, new[] { WriteRules.NewEntry(tail, id, ns, key, ProvenanceActions.Merged, actor, now, Names.DefaultBranch,
                    version, reason, merged.ContentHash, theirs.Value, details: details) });
        }

        private void ConflictBranch(IStorageWrite s, string ns, string name, string fromBranch, MergeItem item, string actor, DateTime now)
        {
            var why = $"conflict while merging '{fromBranch}' into main";
            s.PutBranch(new BranchRecord(name, ns, now, actor, why, new[] { item.Key }));
            // Base = main as it is now, so merging this branch later is a clean "take theirs" and removing it keeps main.
            s.PutBranchMemory(ns, name, BranchSlot.Base, item.Ours ?? MemoryRecord.Tombstone("", ns, item.Key, 0, name));
            var theirs = item.Theirs;
            var id = theirs?.Id ?? item.Ours?.Id ?? "";
            s.PutBranchMemory(ns, name, BranchSlot.Own, theirs != null
                ? new MemoryRecord(theirs.Id, ns, item.Key, theirs.Value, theirs.Tags, (item.Ours?.Version ?? 0) + 1, theirs.CreatedUtc, now, name)
                : MemoryRecord.Tombstone(id, ns, item.Key, item.Ours?.Version ?? 0, name));
            if (item.Ours == null) return;
            var tail = Reconcile(s, item.Ours, ns, item.Key);
            if (tail == null) return; // untracked (or only a write that never finished, now cut)
            s.Append(tail, new[] { WriteRules.ForkedEntry(tail, item.Ours, ns, item.Key, actor, now, name, why, fromBranch) });
        }
    }
}
