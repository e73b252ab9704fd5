using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests
{
    public partial class BranchMergeTests : IDisposable
    {
        [Fact]
        public void Merge_DeleteOnOneSide_ChangeOnTheOther_IsAConflict()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "t", null);
            _s.Remove(Ns, "a", "t", null, "feat");   // deleted on the branch…
            Set("a", 11);                             // …changed on main
            Set("b", 22, "feat");                     // changed on the branch…
            _s.Remove(Ns, "b", "t", null);            // …deleted on main
            var before = StoreSnapshot.Take(_root);

            var ex = Assert.Throws<MergeConflictException>(() => _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null));
            Assert.Equal(new[] { "a", "b" }, ex.Plan.Conflicts.Select(c => c.Key));
            var a = ex.Plan.Conflicts.First();
            Assert.Null(a.Theirs);
            Assert.Equal(11, a.Ours!.Value);
            var b = ex.Plan.Conflicts.Last();
            Assert.Null(b.Ours);
            Assert.Equal(22, b.Theirs!.Value);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_root), "a failed merge");

            _s.Merge(Ns, "feat", MergeStrategy.Theirs, "m", null);
            Assert.Null(_s.TryGet(Ns, "a"));
            Assert.Equal(22, Main("b"));
            Assert.Equal(ProvenanceActions.Merged, History("b").Last().Action);
            Assert.Equal(ProvenanceActions.Deleted, History("a").Last().Action);
            AssertHealthy();
        }

        [Fact]
        public void Merge_WithAKeyFilter_MergesOnlyMatchingKeys()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "t", null);
            Set("a", 10, "feat");
            Set("b", 20, "feat");
            Set("c", 30, "feat");

            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null, keyFilter: k => k != "b");

            Assert.Equal(new[] { "a", "c" }, result.Items.Select(i => i.Key));
            Assert.Equal(10, Main("a"));
            Assert.Equal(2, Main("b"));
            Assert.Equal(30, Main("c"));
            Assert.Equal(1, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "b"));
            Assert.True(File.Exists(Overlay("feat", "b")));
            Assert.Equal(new[] { "b" }, _s.PlanMerge(Ns, "feat").Items.Select(i => i.Key));
            AssertHealthy();
        }

        [Fact]
        public void Merge_InAnUntrackedNamespace_WritesNoHistory()
        {
            const string S = "session";
            Set("a", 1, ns: S);
            Set("b", 2, ns: S);
            _s.Fork(S, "sb", null, "t", null);
            Set("a", 10, "sb", S);
            _s.Remove(S, "b", "t", null, "sb");
            Set("n", 3, "sb", S);
            Set("c", 4, ns: S); // main, after the fork: kept as a tombstone base

            Assert.Null(_s.TryGet(S, "c", "sb"));
            var result = _s.Merge(S, "sb", MergeStrategy.Fail, "m", null);

            Assert.Equal(3, result.Merged.Count());
            Assert.Equal(10, Main("a", S));
            Assert.Equal(2, _s.TryGet(S, "a")!.Version);
            Assert.Null(_s.TryGet(S, "b"));
            Assert.Equal(3, Main("n", S));
            Assert.Equal(4, Main("c", S));
            Assert.False(_s.HasProvenance(S, "a"));
            Assert.False(Directory.Exists(P("_provenance", S)));
            Assert.Equal(0, Info("sb", S).ChangedCount);
            _s.RemoveBranch(S, "sb");
            Assert.False(Directory.Exists(P("_branches", S)));
            AssertHealthy();
        }

        [Fact]
        public void Merge_OfAMemoryCreatedOnTheBranch_KeepsItsVersion_TrackedOrNot()
        {
            Set("seed", 1);
            Set("seed", 1, ns: "session");
            _s.Fork(Ns, "feat", null, "t", null);
            _s.Fork("session", "feat", null, "t", null);
            Set("n", "new", "feat");
            Set("n", "new", "feat", "session");

            _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null);
            _s.Merge("session", "feat", MergeStrategy.Fail, "m", null);

            var tracked = _s.TryGet(Ns, "n")!;
            var untracked = _s.TryGet("session", "n")!;
            Assert.Equal(1, tracked.Version);
            Assert.Equal(1, untracked.Version);
            Assert.Equal(new[] { "created@feat v1", "merged@main v1" }, History("n").Select(e => $"{e.Action}@{e.Branch} v{e.Version}"));
            Assert.Equal(History("n")[0].MemoryId, tracked.Id);
            // The next change on main continues from there.
            Assert.Equal(2, Set("n", "newer").Memory.Version);
            AssertHealthy();
        }

        [Fact]
        public void Merge_OfAMemoryReCreatedOnTheBranch_ContinuesMainsVersions()
        {
            Set("a", 1);
            Set("a", 2);
            var id = _s.TryGet(Ns, "a")!.Id;
            _s.Remove(Ns, "a", "t", null);
            _s.Fork(Ns, "feat", null, "t", null);
            Assert.Null(_s.TryGet(Ns, "a", "feat"));
            Set("a", 3, "feat");

            _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null);

            var a = _s.TryGet(Ns, "a")!;
            Assert.Equal(3, a.Value);
            Assert.Equal(3, a.Version);          // v1, v2, deleted v2, re-created: v3 (never back to an old version)
            Assert.Equal(id, a.Id);
            Assert.Equal(new[] { "created@main v1", "revised@main v2", "deleted@main v2", "created@feat v1", "merged@main v3" },
                History("a").Select(e => $"{e.Action}@{e.Branch} v{e.Version}"));
            AssertHealthy();
        }

        [Fact]
        public void ReCreatingOnMain_AfterABranchCreatedTheKey_ContinuesMainsVersions()
        {
            Set("a", 1);
            Set("a", 2);
            Set("a", 3);
            _s.Remove(Ns, "a", "t", null);          // main: v1..v3, deleted v3
            _s.Fork(Ns, "feat", null, "t", null);
            Set("a", "branch", "feat");             // created on the branch: v1 there (its log's tail now)
            var r = Set("a", "main again");         // re-created on main

            Assert.Equal(4, r.Memory.Version);      // never back to a version main already had
            Assert.Equal("created@feat v1", History("a")[4].Action + "@" + History("a")[4].Branch + " v" + History("a")[4].Version);
            Assert.Equal(4, History("a").Last().Version);
            Assert.Equal("branch", On("feat", "a"));
            AssertHealthy();
        }

        [Fact]
        public void RemoveBranch_DropsItsChanges_KeepsMainAndHistory()
        {
            Set("a", 1);
            _s.Fork(Ns, "feat", null, "t", null);
            _s.Fork(Ns, "keep", null, "t", null);
            Set("a", 10, "feat");
            Set("a", 2);
            var mainA = File.ReadAllBytes(MemFile("a"));
            var count = History("a").Count;

            var info = _s.RemoveBranch(Ns, "feat");

            Assert.Equal("feat", info.Record.Name);
            Assert.Equal(1, info.ChangedCount);
            Assert.False(Directory.Exists(BranchDir("feat")));
            Assert.Equal(mainA, File.ReadAllBytes(MemFile("a")));
            Assert.Equal(count, History("a").Count);
            Assert.Equal(new[] { "keep" }, _s.GetBranches(Ns).Select(b => b.Record.Name));
            Assert.Equal(1, On("keep", "a"));
            _s.Fork(Ns, "feat", null, "t", null); // the name is free again
            Assert.Equal(2, On("feat", "a"));
            AssertHealthy();
        }

        [Fact]
        public void EverythingTogether_TheScenarioStore_IsHealthy_AndMergesAsExpected()
        {
            var s = BranchScenario.Build(_dir.NewRoot("scenario"));
            Assert.Equal(10, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Null(s.TryGet(Ns, "b", "feat"));
            Assert.Equal(3, s.TryGet(Ns, "c", "other")!.Value);
            var result = s.Merge(Ns, "feat", MergeStrategy.Theirs, "m", null);
            Assert.Equal(new[] { "a:Merged", "b:Merged", "c:Conflict", "n:Merged" }, result.Items.Select(i => i.Key + ":" + i.Outcome));
            Assert.Equal(new[] { "a", "c", "d", "e", "n" }, s.ListKeys(Ns, null));
            Assert.Equal(30, s.TryGet(Ns, "c")!.Value);
            Assert.Equal(44, s.TryGet(Ns, "d")!.Value);
            // "other" still sees the fork point, for merged keys too.
            Assert.Equal(new[] { "a", "b", "c", "d", "e" }, s.ListKeys(Ns, "other"));
            Assert.Equal(1, s.TryGet(Ns, "a", "other")!.Value);
            Assert.Equal(2, s.TryGet(Ns, "b", "other")!.Value);
            Assert.Null(s.TryGet(Ns, "n", "other"));
            var report = s.Verify();
            Assert.True(report.Healthy && report.Findings.Count == 0, string.Join("; ", report.Findings.Select(f => f.Kind + ": " + f.Message)));
            Assert.True(report.BranchesChecked >= 3);
        }

        private static void TestThrows(string errorId, Action action)
        {
            var ex = Assert.Throws<EngramException>(action);
            Assert.Equal(errorId, ex.ErrorId);
        }

        private static void TestThrows(string errorId, Func<object?> action) => TestThrows(errorId, () => { action(); });
    }
}
