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
    /// <summary>Copy-on-write branches and three-way merges, checked on the files on disk and on what the API returns.</summary>
    public partial class BranchMergeTests : IDisposable
    {
        private const string Ns = "shared";
        private readonly ScratchDir _dir = new ScratchDir();
        private readonly string _root;
        private readonly EngramStore _s;

        public BranchMergeTests()
        {
            _root = _dir.NewRoot();
            _s = new EngramStore(_root);
            _s.Initialize();
        }

        public void Dispose() => _dir.Dispose();

        // ------------------------------------------------------------------ helpers

        private SetResult Set(string key, object? value, string? branch = null, string ns = Ns, IReadOnlyList<string>? tags = null) =>
            _s.Set(new SetRequest(ns, key, value) { Branch = branch, Actor = "tester", Tags = tags });

        private string P(params string[] parts) => Path.Combine(new[] { _root }.Concat(parts).ToArray());
        private string MemFile(string key, string ns = Ns) => P(ns, Names.EncodeKey(key) + ".yaml");
        private string BranchDir(string branch, string ns = Ns) => P("_branches", ns, branch);
        private string Overlay(string branch, string key, string ns = Ns) => Path.Combine(BranchDir(branch, ns), "mem", Names.EncodeKey(key) + ".yaml");
        private string Base(string branch, string key, string ns = Ns) => Path.Combine(BranchDir(branch, ns), "base", Names.EncodeKey(key) + ".yaml");

        private static List<string> FilesUnder(string dir) =>
            Directory.Exists(dir)
                ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal).ToList()
                : new List<string>();

        private object? Main(string key, string ns = Ns) => _s.TryGet(ns, key)?.Value;
        private object? On(string branch, string key, string ns = Ns) => _s.TryGet(ns, key, branch)?.Value;
        private List<ProvenanceEntry> History(string key) => _s.GetProvenance(Ns, key).ToList();
        private BranchInfo Info(string branch, string ns = Ns) => _s.GetBranches(ns).Single(b => b.Record.Name == branch);

        private void AssertHealthy()
        {
            var report = new EngramStore(_root).Verify(repair: false);
            Assert.True(report.Healthy && report.Findings.Count == 0,
                "Verify found: " + string.Join("; ", report.Findings.Select(f => f.Kind + ": " + f.Message)));
            if (Directory.Exists(P("_provenance", Ns)))
                foreach (var f in Directory.EnumerateFiles(P("_provenance", Ns), "*.prov"))
                    StoreState.AssertChain(_s.GetProvenance(Ns, Names.DecodeKey(Path.GetFileNameWithoutExtension(f))!).ToList(), f);
        }

        private static object? Detail(ProvenanceEntry e, string name)
        {
            Assert.NotNull(e.Details);
            Assert.True(e.Details!.TryGetValue(name, out var v), $"entry {e.Seq} has no detail '{name}'");
            return v;
        }

        // ------------------------------------------------------------------ branch semantics

        [Fact]
        public void NamespaceFork_CopiesNothing()
        {
            Set("a", 1);
            Set("b", 2);
            var before = StoreSnapshot.Take(_root);

            var record = _s.Fork(Ns, "feat", null, "forker", "try things");

            Assert.Equal("feat", record.Name);
            Assert.Equal(Ns, record.Namespace);
            Assert.Null(record.Keys);
            Assert.Equal("main", record.Parent);
            Assert.Equal(new[] { "branch.yaml" }, FilesUnder(BranchDir("feat")));
            Assert.False(Directory.Exists(Path.Combine(BranchDir("feat"), "mem")));
            Assert.False(Directory.Exists(Path.Combine(BranchDir("feat"), "base")));
            // Nothing else changed: no memory file, no history entry.
            var after = StoreSnapshot.Take(_root);
            after.Files.Remove("_branches/shared/feat/branch.yaml");
            StoreSnapshot.AssertSameFiles(before, after, "a namespace fork");

            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(1, On("feat", "a"));
            Assert.Equal(2, On("feat", "b"));
            Assert.Equal("feat", _s.TryGet(Ns, "a", "feat")!.Branch);
            Assert.Equal(new[] { "a", "b" }, _s.ListKeys(Ns, "feat"));
            AssertHealthy();
        }

        [Fact]
        public void WritingOnABranch_NeverChangesMain()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "tester", null);
            var mainA = File.ReadAllBytes(MemFile("a"));
            var mainB = File.ReadAllBytes(MemFile("b"));

            var r = Set("a", 10, "feat");
            Assert.True(r.Changed);
            Assert.Equal(2, r.Memory.Version);
            Assert.Equal("feat", r.Memory.Branch);
            Assert.Equal("revised", r.Entry!.Action);
            Assert.Equal("feat", r.Entry.Branch);
            _s.Remove(Ns, "b", "tester", "gone on feat", "feat");
            Set("n", 100, "feat");

            Assert.Equal(mainA, File.ReadAllBytes(MemFile("a")));
            Assert.Equal(mainB, File.ReadAllBytes(MemFile("b")));
            Assert.False(File.Exists(MemFile("n")));
            Assert.Equal(1, Main("a"));
            Assert.Equal(2, Main("b"));
            Assert.Null(_s.TryGet(Ns, "n"));
            Assert.Equal(new[] { "a", "b" }, _s.ListKeys(Ns, null));

            Assert.Equal(10, On("feat", "a"));
            Assert.Null(_s.TryGet(Ns, "b", "feat"));
            Assert.Equal(100, On("feat", "n"));
            Assert.Equal(new[] { "a", "n" }, _s.ListKeys(Ns, "feat"));
            Assert.Equal(new[] { "mem/a.yaml", "mem/b.yaml", "mem/n.yaml" }, FilesUnder(BranchDir("feat")).Where(f => f != "branch.yaml"));
            Assert.Equal(3, Info("feat").ChangedCount);

            // The history keeps the branch's entries, and main's view of it is unchanged.
            var a = History("a");
            Assert.Equal(new[] { "created@main", "forked@feat", "revised@feat" }, a.Select(e => e.Action + "@" + e.Branch));
            Assert.Equal(new[] { "created@main" }, _s.GetProvenance(Ns, "a", branch: "main").Select(e => e.Action + "@" + e.Branch));
            Assert.Equal("deleted@feat", History("b").Last().Action + "@" + History("b").Last().Branch);
            AssertHealthy();
        }

        [Fact]
        public void ABranchSeesMainAsOfTheFork_EvenAfterMainChanges()
        {
            Set("a", 1);
            Set("b", 2);
            Set("c", 3);
            _s.Fork(Ns, "feat", null, "tester", null);
            var mainA = File.ReadAllBytes(MemFile("a"));

            Set("a", 2);                              // changed on main
            _s.Remove(Ns, "b", "tester", null);       // deleted on main
            Set("x", 9);                              // created on main

            // The merge base is kept, in the main line's file format, only for what main touched.
            Assert.Equal(mainA, File.ReadAllBytes(Base("feat", "a")));
            Assert.True(File.Exists(Base("feat", "b")));
            Assert.True(File.Exists(Base("feat", "x")));
            Assert.False(File.Exists(Base("feat", "c")));
            Assert.False(Directory.Exists(Path.Combine(BranchDir("feat"), "mem")));
            Assert.Equal(0, Info("feat").ChangedCount);

            Assert.Equal(1, On("feat", "a"));
            Assert.Equal(1, _s.TryGet(Ns, "a", "feat")!.Version);
            Assert.Equal(2, On("feat", "b"));                       // deleted on main, still there on the branch
            Assert.Null(_s.TryGet(Ns, "x", "feat"));                // created on main after the fork: not on the branch
            Assert.Equal(3, On("feat", "c"));
            Assert.Equal(new[] { "a", "b", "c" }, _s.ListKeys(Ns, "feat"));

            Assert.Equal(2, Main("a"));
            Assert.Null(_s.TryGet(Ns, "b"));
            Assert.Equal(9, Main("x"));
            Assert.Equal(new[] { "a", "c", "x" }, _s.ListKeys(Ns, null));

            // A second change on main keeps the first base (the branch still sees the fork point).
            Set("a", 3);
            Assert.Equal(mainA, File.ReadAllBytes(Base("feat", "a")));
            Assert.Equal(1, On("feat", "a"));

            // A branch forked now sees main as it is now.
            _s.Fork(Ns, "late", null, "tester", null);
            Assert.Equal(3, On("late", "a"));
            Assert.Equal(9, On("late", "x"));
            Assert.Null(_s.TryGet(Ns, "b", "late"));
            AssertHealthy();
        }

        [Fact]
        public void KeyFork_KeepsTheBaseEagerly_RecordsAForkedEntry_AndRefusesOtherKeys()
        {
            Set("a", 1);
            Set("b", 2);
            Set("a", 11);
            var mainA = File.ReadAllBytes(MemFile("a"));

            var record = _s.Fork(Ns, "kf", new[] { "a" }, "forker", "only a");

            Assert.Equal(new[] { "a" }, record.Keys);
            Assert.Equal(new[] { "base/a.yaml", "branch.yaml" }, FilesUnder(BranchDir("kf")));
            Assert.Equal(mainA, File.ReadAllBytes(Base("kf", "a")));
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal("kf", forked.Branch);
            Assert.Equal("forker", forked.Actor);
            Assert.Equal("only a", forked.Reason);
            Assert.Equal(2, forked.Version);
            Assert.Equal("main", Detail(forked, "from"));
            Assert.Equal(2, Detail(forked, "fromVersion"));
            Assert.Equal(3, forked.Seq);
            Assert.Single(History("b")); // b untouched: one entry
            Assert.Equal(0, Info("kf").ChangedCount);

            Assert.Equal(11, On("kf", "a"));
            Assert.Null(_s.TryGet(Ns, "b", "kf"));
            Assert.Equal(new[] { "a" }, _s.ListKeys(Ns, "kf"));
            TestThrows(EngramErrorIds.KeyNotInBranch, () => Set("b", 20, "kf"));
            TestThrows(EngramErrorIds.KeyNotInBranch, () => Set("new", 20, "kf"));
            TestThrows(EngramErrorIds.KeyNotInBranch, () => _s.Remove(Ns, "b", "tester", null, "kf"));
            Assert.Equal(2, Main("b"));

            // Writing the forked key adds no second forked entry.
            var r = Set("a", 12, "kf");
            Assert.Equal(3, r.Memory.Version);
            Assert.Equal(new[] { "created", "revised", "forked", "revised" }, History("a").Select(e => e.Action));
            Assert.Equal(11, Main("a"));

            // A key fork of a memory that does not exist fails and creates nothing.
            TestThrows(EngramErrorIds.MemoryNotFound, () => _s.Fork(Ns, "ghost", new[] { "nope" }, "t", null));
            Assert.False(Directory.Exists(BranchDir("ghost")));
            Assert.Null(_s.TryGetBranch(Ns, "ghost"));
            AssertHealthy();
        }

        [Fact]
        public void BranchErrors_AlreadyExists_InvalidBranch_NotFound()
        {
            Set("a", 1);
            _s.Fork(Ns, "feat", null, "t", null);
            var before = StoreSnapshot.Take(_root);

            TestThrows(EngramErrorIds.BranchAlreadyExists, () => _s.Fork(Ns, "feat", null, "t", null));
            TestThrows(EngramErrorIds.BranchAlreadyExists, () => _s.Fork(Ns, "FEAT", new[] { "a" }, "t", null));
            TestThrows(EngramErrorIds.InvalidBranch, () => _s.Fork(Ns, "main", null, "t", null));
            TestThrows(EngramErrorIds.InvalidBranch, () => _s.Fork(Ns, "Main", null, "t", null));
            TestThrows(EngramErrorIds.InvalidBranch, () => _s.Fork(Ns, "bad/name", null, "t", null));

            TestThrows(EngramErrorIds.BranchNotFound, () => _s.TryGet(Ns, "a", "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.ListKeys(Ns, "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => Set("a", 2, "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.Remove(Ns, "a", "t", null, "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.PlanMerge(Ns, "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.Merge(Ns, "nope", MergeStrategy.Theirs));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.RemoveBranch(Ns, "nope"));
            TestThrows(EngramErrorIds.BranchNotFound, () => _s.TryGet("longterm", "a", "feat")); // branches belong to one namespace

            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_root), "refused branch operations");
            Assert.Null(_s.TryGetBranch(Ns, "nope"));
            AssertHealthy();
        }

        // ------------------------------------------------------------------ merge

        [Fact]
        public void Merge_OneSidedChangeOnTheBranch_IsTaken()
        {
            Set("a", 1);
            _s.Fork(Ns, "feat", null, "t", null);
            Set("a", 10, "feat");

            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "merger", "ship it");

            Assert.True(result.Applied);
            Assert.Equal("main", result.Into);
            var item = Assert.Single(result.Items);
            Assert.Equal(MergeOutcome.Merged, item.Outcome);
            Assert.Equal(1, item.Base!.Value);
            Assert.Equal(1, item.Ours!.Value);
            Assert.Equal(10, item.Theirs!.Value);
            var main = _s.TryGet(Ns, "a")!;
            Assert.Equal(10, main.Value);
            Assert.Equal(2, main.Version);
            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal("main", merged.Branch);
            Assert.Equal("merger", merged.Actor);
            Assert.Equal("ship it", merged.Reason);
            Assert.Equal(2, merged.Version);
            Assert.Equal(main.ContentHash, merged.ContentHash);
            Assert.Equal(10, merged.Value);
            Assert.Equal("feat", Detail(merged, "from"));
            Assert.Equal(1, Detail(merged, "oursVersion"));
            Assert.Equal(2, Detail(merged, "theirsVersion"));
            Assert.Equal(1, Detail(merged, "baseVersion"));

            // The branch is caught up: no pending change, it sees main.
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(new[] { "branch.yaml" }, FilesUnder(BranchDir("feat")));
            Assert.Equal(10, On("feat", "a"));
            Assert.Equal(2, _s.TryGet(Ns, "a", "feat")!.Version);
            Assert.Empty(_s.PlanMerge(Ns, "feat").Items);
            AssertHealthy();
        }

        [Fact]
        public void Merge_OneSidedChangeOnMain_IsKept()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "t", null);
            Set("b", 20, "feat");
            Set("a", 5, "feat");
            Set("a", 1, "feat");   // back to the base: no net change on the branch
            Set("a", 2);           // changed on main
            var mainA = File.ReadAllBytes(MemFile("a"));
            var historyA = History("a").Count;

            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "merger", null);

            Assert.Equal(MergeOutcome.Unchanged, result.Items.Single(i => i.Key == "a").Outcome);
            Assert.Equal(MergeOutcome.Merged, result.Items.Single(i => i.Key == "b").Outcome);
            Assert.Equal(mainA, File.ReadAllBytes(MemFile("a")));
            Assert.Equal(historyA, History("a").Count);
            Assert.Equal(2, Main("a"));
            Assert.Equal(20, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(2, On("feat", "a"));   // caught up with main for every merged key
            Assert.Equal(20, On("feat", "b"));
            AssertHealthy();
        }

        [Fact]
        public void Merge_MainChangeTheBranchNeverTouched_IsNotInThePlan_AndKept()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "t", null);
            Set("b", 20, "feat");
            Set("a", 2);

            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "merger", null);
            Assert.Equal(new[] { "b" }, result.Items.Select(i => i.Key));
            Assert.Equal(2, Main("a"));
            Assert.Equal(2, _s.TryGet(Ns, "a")!.Version);
            // The branch did not merge a, so it still sees its fork point for it.
            Assert.Equal(1, On("feat", "a"));
            AssertHealthy();
        }

        [Fact]
        public void Merge_SameChangeOnBothSides_IsUnchanged_NotAConflict()
        {
            Set("a", 1, tags: new[] { "x" });
            _s.Fork(Ns, "feat", null, "t", null);
            Set("a", 7, "feat");
            Set("a", 7);
            var before = File.ReadAllBytes(MemFile("a"));
            var count = History("a").Count;

            var plan = _s.PlanMerge(Ns, "feat");
            Assert.Equal(MergeOutcome.Unchanged, Assert.Single(plan.Items).Outcome);
            Assert.False(plan.Applied);
            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null);
            Assert.Empty(result.Conflicts);
            Assert.Equal(MergeOutcome.Unchanged, Assert.Single(result.Items).Outcome);
            Assert.Equal(before, File.ReadAllBytes(MemFile("a")));
            Assert.Equal(count, History("a").Count);
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(7, On("feat", "a"));
            AssertHealthy();
        }

        /// <summary>main a=1 b=2; feat: a=10; main: a=20 (conflict on a); feat: b=30 (clean).</summary>
        private void Conflicting()
        {
            Set("a", 1);
            Set("b", 2);
            _s.Fork(Ns, "feat", null, "t", null);
            Set("a", 10, "feat");
            Set("b", 30, "feat");
            Set("a", 20);
        }

        [Fact]
        public void Merge_Conflict_WithFail_Throws_ChangesNothing_AndReportsTheThreeVersions()
        {
            Conflicting();
            var before = StoreSnapshot.Take(_root);

            var ex = Assert.Throws<MergeConflictException>(() => _s.Merge(Ns, "feat", MergeStrategy.Fail, "m", null));

            Assert.Equal(EngramErrorIds.MergeConflict, ex.ErrorId);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_root), "a failed merge");
            Assert.False(ex.Plan.Applied);
            var c = Assert.Single(ex.Plan.Conflicts);
            Assert.Equal("a", c.Key);
            Assert.Equal(1, c.Base!.Value);
            Assert.Equal(20, c.Ours!.Value);
            Assert.Equal(10, c.Theirs!.Value);
            Assert.Null(c.Resolution);
            Assert.Equal(MergeOutcome.Merged, ex.Plan.Items.Single(i => i.Key == "b").Outcome);
            Assert.Contains("a", ex.Message);
            Assert.Equal(2, Info("feat").ChangedCount);
            AssertHealthy();
        }

        [Fact]
        public void Merge_Conflict_Ours_KeepsMain()
        {
            Conflicting();
            var mainA = File.ReadAllBytes(MemFile("a"));
            var count = History("a").Count;

            var result = _s.Merge(Ns, "feat", MergeStrategy.Ours, "m", null);

            Assert.Equal("ours", Assert.Single(result.Conflicts).Resolution);
            Assert.Equal(mainA, File.ReadAllBytes(MemFile("a")));
            Assert.Equal(count, History("a").Count);
            Assert.Equal(20, Main("a"));
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy();
        }

        [Fact]
        public void Merge_Conflict_Theirs_TakesTheBranch()
        {
            Conflicting();

            var result = _s.Merge(Ns, "feat", MergeStrategy.Theirs, "m", null);

            Assert.Equal("theirs", Assert.Single(result.Conflicts).Resolution);
            var a = _s.TryGet(Ns, "a")!;
            Assert.Equal(10, a.Value);
            Assert.Equal(3, a.Version);
            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal(2, Detail(merged, "oursVersion"));
            Assert.Equal(2, Detail(merged, "theirsVersion"));
            Assert.Equal(1, Detail(merged, "baseVersion"));
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(10, On("feat", "a"));
            Assert.DoesNotContain(FilesUnder(BranchDir("feat")), f => f != "branch.yaml");
            AssertHealthy();
        }

        [Fact]
        public void Merge_Conflict_ConflictBranch_MergesTheCleanOnes_AndParksTheIncomingVersion()
        {
            Conflicting();
            var mainA = File.ReadAllBytes(MemFile("a"));

            var result = _s.Merge(Ns, "feat", MergeStrategy.ConflictBranch, "m", "partial");

            Assert.Equal(30, Main("b"));
            Assert.Equal(mainA, File.ReadAllBytes(MemFile("a")));
            var name = Assert.Single(result.ConflictBranches);
            Assert.StartsWith("feat-conflict-", name);
            Assert.Equal("conflict-branch:" + name, Assert.Single(result.Conflicts).Resolution);

            var info = Info(name);
            Assert.Equal(new[] { "a" }, info.Record.Keys);
            Assert.Equal(1, info.ChangedCount);
            Assert.Equal(10, On(name, "a"));
            Assert.Equal(20, Main("a"));
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal(name, forked.Branch);
            Assert.Equal("feat", Detail(forked, "conflictWith"));
            // The original branch is caught up.
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy();

            // Merging the conflict branch later is clean and takes the parked version.
            var later = _s.Merge(Ns, name, MergeStrategy.Fail, "m", "resolve");
            Assert.Equal(MergeOutcome.Merged, Assert.Single(later.Items).Outcome);
            Assert.Equal(10, Main("a"));
            Assert.Equal(3, _s.TryGet(Ns, "a")!.Version);
            Assert.Equal(name, Detail(History("a").Last(), "from"));
            _s.RemoveBranch(Ns, name);
            Assert.Null(_s.TryGetBranch(Ns, name));
            Assert.False(Directory.Exists(BranchDir(name)));
            AssertHealthy();
        }

        [Fact]
        public void Merge_DeleteOnTheBranch_UnchangedOnMain_DeletesOnMain()
        {
            Set("a", 1);
            _s.Fork(Ns, "feat", null, "t", null);
            _s.Remove(Ns, "a", "t", "drop", "feat");
            Assert.Null(_s.TryGet(Ns, "a", "feat"));
            Assert.Equal(1, Main("a"));

            var result = _s.Merge(Ns, "feat", MergeStrategy.Fail, "merger", "apply drop");

            var item = Assert.Single(result.Items);
            Assert.Equal(MergeOutcome.Merged, item.Outcome);
            Assert.Null(item.Theirs);
            Assert.False(File.Exists(MemFile("a")));
            Assert.Null(_s.TryGet(Ns, "a"));
            var deleted = History("a").Last();
            Assert.Equal(ProvenanceActions.Deleted, deleted.Action);
            Assert.Equal("main", deleted.Branch);
            Assert.Equal(1, deleted.Version);
            Assert.Equal("feat", Detail(deleted, "from"));
            Assert.True(_s.HasProvenance(Ns, "a"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Null(_s.TryGet(Ns, "a", "feat"));
            Assert.Empty(_s.ListKeys(Ns, "feat"));
            AssertHealthy();
        }

    }
}
