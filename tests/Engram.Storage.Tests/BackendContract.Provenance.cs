using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Storage.Sql;
using Xunit;

namespace Engram.Storage.Tests
{
    public abstract partial class BackendContract : IDisposable
    {
        [BackendFact]
        public void TrackProvenanceTrue_WithAnUnchangedValue_RecordsTheCurrentStateAsATrackedEntry()
        {
            Put("session", "k", "v1", tags: new[] { "t" });
            var r = Put("session", "k", "v1", track: true);
            Assert.False(r.Changed);
            Assert.Equal(ProvenanceActions.Tracked, r.Entry!.Action);
            Assert.Equal(1, r.Memory.Version);
            var e = Assert.Single(History("k", "session"));
            Assert.Equal(ProvenanceActions.Tracked, e.Action);
            Assert.Equal(1, e.Version);
            Assert.Equal("v1", e.Value);
            Assert.Equal(r.Entry.Hash, e.Hash);
            var again = Put("session", "k", "v1", track: true);
            Assert.False(again.Changed);
            Assert.Null(again.Entry);
            Assert.Single(History("k", "session"));
            Assert.Equal(1, S.Get("session", "k").Version);
        }

        [BackendFact]
        public void TrackProvenanceFalse_OnATrackedMemory_IsProvenanceRequired_AndChangesNothing()
        {
            Put(Ns, "k", "v1");
            var ex = Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "v2", track: false));
            Assert.Equal(EngramErrorKind.InvalidOperation, ex.Kind);
            Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "v1", track: false)); // even a no-op
            Assert.Equal("v1", Reopen().Get(Ns, "k").Value);
            Assert.Equal(1, Reopen().Get(Ns, "k").Version);
            Assert.Single(History("k"));

            // Provenance-only requests (sources, action, confidence) cannot be untracked either.
            Throws(EngramErrorIds.ProvenanceRequired, () => S.Set(new SetRequest("session", "x", 1) { Confidence = 0.5, TrackProvenance = false, Actor = "t" }));
            Throws(EngramErrorIds.ProvenanceRequired, () => S.Set(new SetRequest("session", "x", 1) { Action = "synthesized", TrackProvenance = false, Actor = "t" }));
            Assert.Null(Reopen().TryGet("session", "x"));
        }

        [BackendFact]
        public void TrackProvenanceFalse_OnATrackedNamespace_WritesNoHistory_UntilAPlainWriteStartsIt()
        {
            var r = Put(Ns, "k", 1, track: false);
            Assert.Null(r.Entry);
            Assert.False(S.HasProvenance(Ns, "k"));
            Throws(EngramErrorIds.NoProvenance, () => S.GetProvenance(Ns, "k").ToList());
            // The namespace's policy applies again to the next write that does not say.
            var next = Put(Ns, "k", 2);
            Assert.Equal(2, next.Entry!.Version);
            Assert.Equal("revised", next.Entry.Action);
            Assert.Single(History("k"));
        }

        // ================================================================== remove

        [BackendFact]
        public void Remove_Untracked_DeletesIt_AndReCreationIsANewMemory()
        {
            var id = Put("session", "k", 1).Memory.Id;
            Put("session", "k", 2);
            Assert.Null(S.Remove("session", "k", "tester"));
            Assert.Null(S.TryGet("session", "k"));
            Assert.Null(Reopen().TryGet("session", "k"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Get("session", "k"));
            Assert.False(S.HasProvenance("session", "k"));
            Assert.Empty(S.ListKeys("session", null));
            var again = Put("session", "k", 3);
            Assert.Equal(1, again.Memory.Version);
            Assert.NotEqual(id, again.Memory.Id);
        }

        [BackendFact]
        public void Remove_Tracked_AppendsADeletedEntry_KeepsHistory_AndReCreationContinuesIdAndVersions()
        {
            var id = Put(Ns, "k", "a").Memory.Id;
            Put(Ns, "k", "b");
            var del = S.Remove(Ns, "k", "remover", "cleanup");
            Assert.NotNull(del);
            Assert.Equal(ProvenanceActions.Deleted, del!.Action);
            Assert.Equal(2, del.Version);
            Assert.Equal(3, del.Seq);
            Assert.Equal("remover", del.Actor);
            Assert.Equal("cleanup", del.Reason);
            Assert.Null(del.ContentHash);
            Assert.Equal(id, del.MemoryId);
            Assert.Null(Reopen().TryGet(Ns, "k"));
            Assert.True(S.HasProvenance(Ns, "k"));
            Assert.Empty(S.ListKeys(Ns, null));

            var hist = History("k");
            Assert.Equal(new[] { "created", "revised", "deleted" }, hist.Select(e => e.Action));
            Assert.False(hist[2].HasValue);
            Assert.Equal(del.Hash, hist[2].Hash);
            AssertChain(hist);

            var again = Put(Ns, "k", "c");
            Assert.Equal(id, again.Memory.Id);
            Assert.Equal(3, again.Memory.Version);
            Assert.Equal(ProvenanceActions.Created, again.Entry!.Action);
            hist = History("k");
            Assert.Equal(new[] { "created", "revised", "deleted", "created" }, hist.Select(e => e.Action));
            Assert.Equal(new[] { 1, 2, 2, 3 }, hist.Select(e => e.Version));
            Assert.All(hist, e => Assert.Equal(id, e.MemoryId));
            AssertChain(hist);
            Throws(EngramErrorIds.ProvenanceRequired, () => Put(Ns, "k", "d", track: false));
        }

        [BackendFact]
        public void Remove_Missing_IsMemoryNotFound()
        {
            Put(Ns, "other", 1);
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "nope", "tester"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove("session", "nope", "tester"));
            Assert.Single(History("other"));
            S.Remove(Ns, "other", "tester");
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "other", "tester"));
            Assert.Equal(2, History("other").Count);
        }

        // ================================================================== provenance reads

        private static readonly object?[] HistoryValues =
        {
            "first", 2, new EngramMap(MapKind.Ordered) { { "b", 1L }, { "a", new object?[] { 1.5, null } } }, "multi\nline\n", null,
        };

        private void WriteHistory(string key = "k")
        {
            for (int i = 0; i < HistoryValues.Length; i++)
                Put(Ns, key, HistoryValues[i], actor: "actor" + i, reason: i % 2 == 0 ? "reason " + i : null);
        }

        [BackendFact]
        public void History_IsOldestFirst_WithEveryField_AndTheChainVerifies()
        {
            var start = DateTime.UtcNow.AddSeconds(-1);
            WriteHistory();
            S.Remove(Ns, "k", "remover", "gone");
            var end = DateTime.UtcNow.AddSeconds(1);

            var hist = Reopen().GetProvenance(Ns, "k").ToList();
            Assert.Equal(HistoryValues.Length + 1, hist.Count);
            var id = hist[0].MemoryId;
            for (int i = 0; i < hist.Count; i++)
            {
                var e = hist[i];
                Assert.Equal(i + 1, e.Seq);
                Assert.Equal(ProvenanceEntry.BaseSchema, e.Schema);
                Assert.Equal(id, e.MemoryId);
                Assert.Equal(Ns, e.Namespace);
                Assert.Equal("k", e.Key);
                Assert.Equal("main", e.Branch);
                Assert.InRange(e.TimestampUtc, start, end);
                Assert.Equal(DateTimeKind.Utc, e.TimestampUtc.Kind);
                Assert.Null(e.Details);
                if (i > 0) Assert.True(e.TimestampUtc >= hist[i - 1].TimestampUtc);
                if (i < HistoryValues.Length)
                {
                    Assert.Equal(i + 1, e.Version);
                    Assert.Equal(i == 0 ? "created" : "revised", e.Action);
                    Assert.Equal("actor" + i, e.Actor);
                    Assert.Equal(i % 2 == 0 ? "reason " + i : null, e.Reason);
                    Assert.Equal(ValueCodec.ContentHash(HistoryValues[i]), e.ContentHash);
                    Assert.True(e.HasValue);
                    AssertSameValue(HistoryValues[i], e.Value, "entry " + e.Seq);
                }
                else
                {
                    Assert.Equal("deleted", e.Action);
                    Assert.Equal(HistoryValues.Length, e.Version);
                    Assert.Equal("remover", e.Actor);
                    Assert.Equal("gone", e.Reason);
                    Assert.False(e.HasValue);
                    Assert.Null(e.ContentHash);
                }
            }
            AssertChain(hist);
        }

        [BackendFact]
        public void SetResultEntry_IsExactlyWhatIsReadBack()
        {
            var r = Put(Ns, "k", new EngramMap { { "x", 1 } }, reason: "why");
            var e = Assert.Single(Reopen().GetProvenance(Ns, "k"));
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.Equal(r.Entry.Seq, e.Seq);
            Assert.Equal(r.Entry.TimestampUtc, e.TimestampUtc);
            Assert.Equal(r.Entry.Actor, e.Actor);
            Assert.Equal(r.Memory.Id, e.MemoryId);
            Assert.Equal(r.Memory.ContentHash, e.ContentHash);
            Assert.True(e.VerifyHash());
        }

        [BackendFact]
        public void History_Last_ReturnsTheNewestEntriesInOrder_AndIncludeValuesFalseDropsOnlyValues()
        {
            WriteHistory();
            var all = History("k");
            var last2 = S.GetProvenance(Ns, "k", last: 2).ToList();
            Assert.Equal(new long[] { HistoryValues.Length - 1, HistoryValues.Length }, last2.Select(e => e.Seq));
            Assert.Equal(all.Skip(HistoryValues.Length - 2).Select(e => e.Hash), last2.Select(e => e.Hash));
            AssertSameValue(HistoryValues[HistoryValues.Length - 2], last2[0].Value);
            Assert.Equal(HistoryValues.Length, S.GetProvenance(Ns, "k", last: 100).Count());
            Assert.Empty(S.GetProvenance(Ns, "k", last: 0));
            Assert.Equal(all.Last().Hash, S.GetProvenance(Ns, "k", last: 1).Single().Hash);

            var bare = S.GetProvenance(Ns, "k", includeValues: false).ToList();
            Assert.Equal(all.Select(e => e.Hash), bare.Select(e => e.Hash));
            Assert.All(bare, e => { Assert.False(e.HasValue); Assert.Null(e.Value); Assert.NotNull(e.ContentHash); });
            AssertChain(bare);
        }

        [BackendFact]
        public void History_BranchFilter_MainABranchOrEverything()
        {
            Put(Ns, "a", 1);
            S.Fork(Ns, "feat", null, "forker");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "a", 2);
            string Show(IEnumerable<ProvenanceEntry> es) => string.Join(",", es.Select(e => e.Action + "@" + e.Branch + "v" + e.Version));
            Assert.Equal("created@mainv1,forked@featv1,revised@featv2,revised@mainv2", Show(History("a")));
            Assert.Equal(Show(History("a")), Show(History("a", branch: "*")));
            Assert.Equal("created@mainv1,revised@mainv2", Show(History("a", branch: "main")));
            Assert.Equal("forked@featv1,revised@featv2", Show(History("a", branch: "feat")));
            Assert.Equal("revised@featv2", Show(S.GetProvenance(Ns, "a", last: 1, branch: "feat")));
            AssertChain(History("a"));
            var forked = History("a", branch: "feat")[0];
            Assert.Equal("main", Detail(forked, "from"));
            Assert.Equal("1", Detail(forked, "fromVersion"));
            Assert.Equal("tester", forked.Actor); // a namespace fork records nothing; the branch's first write does
        }

        [BackendFact]
        public void GetVersion_ReturnsEarlierValues_AndRestoreWritesThemAsANewVersion()
        {
            Put(Ns, "k", "one");
            Put(Ns, "k", "two");
            Put(Ns, "k", "three");
            var v1 = S.GetVersion(Ns, "k", 1);
            Assert.Equal("one", v1.Value);
            Assert.Equal("created", v1.Action);
            Assert.Equal("two", S.GetVersion(Ns, "k", 2).Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 9));

            var r = S.Restore(Ns, "k", 1, "restorer", "roll back");
            Assert.True(r.Changed);
            Assert.Equal(4, r.Memory.Version);
            Assert.Equal("one", Reopen().Get(Ns, "k").Value);
            var e = History("k").Last();
            Assert.Equal("restored", e.Action);
            Assert.Equal("restorer", e.Actor);
            Assert.Equal("1", Detail(e, "restoredFrom"));
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.False(S.Restore(Ns, "k", 1).Changed);
            Throws(EngramErrorIds.VersionNotFound, () => S.Restore(Ns, "k", 9));
            Assert.Equal(4, S.Get(Ns, "k").Version);

            // On a branch, versions before the fork come from main.
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "k", "branch value", branch: "feat");
            Assert.Equal("branch value", S.GetVersion(Ns, "k", 5, "feat").Value);
            Assert.Equal("two", S.GetVersion(Ns, "k", 2, "feat").Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 5));

            // Untracked: only the current version is known.
            Put("session", "u", "a");
            Put("session", "u", "b");
            Assert.Equal("b", S.GetVersion("session", "u", 2).Value);
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion("session", "u", 1));
            AssertHealthy(S.Verify());
        }

        // ================================================================== listing

        [BackendFact]
        public void Namespaces_AreListedWithCountsAndPolicy()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 1);
            Put("project-x", "a", 1);
            Put("session", "s", 1);
            var s = Reopen();
            Assert.Equal(new[] { "project-x", "session", "shared" }, s.ListNamespaces());
            var infos = s.GetNamespaces();
            Assert.Equal(infos.Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal), infos.Select(i => i.Name));
            foreach (var std in Names.StandardNamespaces) Assert.Contains(infos, i => i.Name == std);
            Assert.DoesNotContain(infos, i => i.Name.StartsWith('_'));
            var shared = infos.Single(i => i.Name == "shared");
            Assert.Equal(2, shared.MemoryCount);
            Assert.True(shared.Tracked && shared.IsStandard && shared.Exists);
            var px = infos.Single(i => i.Name == "project-x");
            Assert.Equal(1, px.MemoryCount);
            Assert.False(px.Tracked || px.IsStandard);
            Assert.True(px.Exists);
            var thinking = infos.Single(i => i.Name == "thinking");
            Assert.False(thinking.Exists);
            Assert.Equal(0, thinking.MemoryCount);
        }

        [BackendFact]
        public void List_Read_AndListKeys_AreSortedByKey()
        {
            Put(Ns, "b", 2);
            Put(Ns, "a", 1, tags: new[] { "t" });
            Put(Ns, "c", 3, track: false);
            var listed = Reopen().List(Ns).ToList();
            var read = listed.Select(l => S.Read(l)).ToList();
            Assert.Equal(new[] { "a", "b", "c" }, read.Select(m => m.Key));
            Assert.Equal(new object[] { 1, 2, 3 }, read.Select(m => m.Value!));
            Assert.Equal(new[] { "t" }, read[0].Tags);
            Assert.All(listed.Where(l => l.Key != null), l => Assert.Equal(l.Key, S.Read(l).Key));
            Assert.Equal(new[] { "a", "b", "c" }, S.ListKeys(Ns, null));
            Assert.Equal(new[] { "a", "b", "c" }, S.ListKeys(Ns, "main"));
            Assert.Empty(S.List("projects"));
            Assert.Empty(S.ListKeys("projects", null));
            Assert.Equal(1, S.TryGet(Ns, "a", "main")!.Value);
            Assert.Equal(1, S.TryGet(Ns, "a", null)!.Value);
        }

        // ================================================================== branches

        [BackendFact]
        public void NamespaceFork_CopiesNothing_AndTheBranchSeesMain()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            var head = S.GetHead(Ns).Digest;

            var record = S.Fork(Ns, "feat", null, "forker", "try things");

            Assert.Equal("feat", record.Name);
            Assert.Equal(Ns, record.Namespace);
            Assert.Null(record.Keys);
            Assert.Equal("main", record.Parent);
            Assert.Equal("forker", record.Actor);
            Assert.Equal("try things", record.Reason);
            Assert.Equal(head, S.GetHead(Ns).Digest); // no history entry
            var stored = Reopen().TryGetBranch(Ns, "feat")!;
            Assert.Equal(record.CreatedUtc, stored.CreatedUtc);
            Assert.Equal("forker", stored.Actor);
            Assert.Null(stored.Keys);
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(1, On("feat", "a"));
            Assert.Equal("feat", S.TryGet(Ns, "a", "feat")!.Branch);
            Assert.Equal(new[] { "a", "b" }, S.ListKeys(Ns, "feat"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void WritesOnABranch_AreInvisibleOnMain()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");

            var r = Put(Ns, "a", 10, branch: "feat");
            Assert.True(r.Changed);
            Assert.Equal(2, r.Memory.Version);
            Assert.Equal("feat", r.Memory.Branch);
            Assert.Equal("revised", r.Entry!.Action);
            Assert.Equal("feat", r.Entry.Branch);
            var del = S.Remove(Ns, "b", "tester", "gone on feat", "feat");
            Assert.Equal("deleted", del!.Action);
            Assert.Equal("feat", del.Branch);
            var created = Put(Ns, "n", 100, branch: "feat");
            Assert.Equal(1, created.Memory.Version);
            Assert.Equal("created", created.Entry!.Action);
            Assert.False(Put(Ns, "a", 10, branch: "feat").Changed);

            var s = Reopen();
            Assert.Equal(1, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(1, s.TryGet(Ns, "a")!.Version);
            Assert.Equal(2, s.TryGet(Ns, "b")!.Value);
            Assert.Null(s.TryGet(Ns, "n"));
            Assert.Equal(new[] { "a", "b" }, s.ListKeys(Ns, null));
            Assert.Equal(10, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Null(s.TryGet(Ns, "b", "feat"));
            Assert.Equal(100, s.TryGet(Ns, "n", "feat")!.Value);
            Assert.Equal(new[] { "a", "n" }, s.ListKeys(Ns, "feat"));
            Assert.Equal(3, Info("feat").ChangedCount);
            Throws(EngramErrorIds.MemoryNotFound, () => S.Remove(Ns, "b", "tester", null, "feat"));
            Assert.Equal(new[] { "created@main", "forked@feat", "revised@feat" }, History("a").Select(e => e.Action + "@" + e.Branch));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void WritesOnMainAfterTheFork_AreInvisibleOnTheBranch()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            Put(Ns, "c", 3);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 2);
            S.Remove(Ns, "b", "tester");
            Put(Ns, "x", 9);
            Put(Ns, "a", 3);

            var s = Reopen();
            Assert.Equal(1, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Equal(1, s.TryGet(Ns, "a", "feat")!.Version);
            Assert.Equal(2, s.TryGet(Ns, "b", "feat")!.Value);
            Assert.Null(s.TryGet(Ns, "x", "feat"));
            Assert.Equal(3, s.TryGet(Ns, "c", "feat")!.Value);
            Assert.Equal(new[] { "a", "b", "c" }, s.ListKeys(Ns, "feat"));
            Assert.Equal(new[] { "a", "c", "x" }, s.ListKeys(Ns, null));
            Assert.Equal(0, Info("feat").ChangedCount);

            S.Fork(Ns, "late", null, "tester");
            Assert.Equal(3, On("late", "a"));
            Assert.Equal(9, On("late", "x"));
            Assert.Null(S.TryGet(Ns, "b", "late"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void KeyFork_RecordsAForkedEntry_AndRefusesOtherKeys()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            Put(Ns, "a", 11);
            var record = S.Fork(Ns, "kf", new[] { "a" }, "forker", "only a");
            Assert.Equal(new[] { "a" }, record.Keys);
            Assert.Equal(new[] { "a" }, Reopen().TryGetBranch(Ns, "kf")!.Keys);
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal("kf", forked.Branch);
            Assert.Equal(2, forked.Version);
            Assert.Equal("forker", forked.Actor);
            Assert.Equal("only a", forked.Reason);
            Assert.Equal("main", Detail(forked, "from"));
            Assert.Equal("2", Detail(forked, "fromVersion"));

            Assert.Null(S.TryGet(Ns, "b", "kf"));
            Throws(EngramErrorIds.KeyNotInBranch, () => Put(Ns, "b", 20, branch: "kf"));
            Throws(EngramErrorIds.KeyNotInBranch, () => S.Remove(Ns, "b", "tester", null, "kf"));
            Assert.Equal(2, Main("b"));
            Assert.Single(History("b"));
            Assert.Equal(new[] { "a" }, S.ListKeys(Ns, "kf"));
            Assert.Equal(3, Put(Ns, "a", 12, branch: "kf").Memory.Version);
            Assert.Equal(11, Main("a"));
            Assert.Equal(12, On("kf", "a"));

            Throws(EngramErrorIds.MemoryNotFound, () => S.Fork(Ns, "missing", new[] { "a", "nope" }, "tester"));
            Assert.Null(S.TryGetBranch(Ns, "missing"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void BranchErrors_AlreadyExists_NotFound_InvalidName()
        {
            Put(Ns, "a", 1);
            var rec = S.Fork(Ns, "Feat", null, "tester");
            Assert.Equal("feat", rec.Name);
            Throws(EngramErrorIds.BranchAlreadyExists, () => S.Fork(Ns, "feat", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "main", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "bad name", null, "tester"));
            Throws(EngramErrorIds.InvalidBranch, () => S.Fork(Ns, "feat2\n", null, "tester"));
            Throws(EngramErrorIds.BranchNotFound, () => Put(Ns, "a", 2, branch: "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.TryGet(Ns, "a", "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.ListKeys(Ns, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.Remove(Ns, "a", "tester", null, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.PlanMerge(Ns, "nope"));
            Throws(EngramErrorIds.BranchNotFound, () => S.Merge(Ns, "nope", MergeStrategy.Fail, "tester"));
            Throws(EngramErrorIds.BranchNotFound, () => S.RemoveBranch(Ns, "nope"));
            S.Fork("projects", "x", null, "tester");
            Throws(EngramErrorIds.BranchNotFound, () => S.RemoveBranch(Ns, "x")); // a branch belongs to its namespace
            Throws(EngramErrorIds.BranchNotFound, () => Put(Ns, "a", 2, branch: "x"));
            Assert.Null(S.TryGetBranch(Ns, "nope"));
            Assert.Equal(1, Main("a"));
            Assert.Single(History("a"));
        }

        [BackendFact]
        public void GetBranches_ListsEveryNamespace_WithChangedCounts()
        {
            Put(Ns, "a", 1);
            Put("projects", "p", 1);
            S.Fork(Ns, "f1", null, "tester");
            S.Fork("projects", "f2", null, "tester");
            Put("projects", "p", 2, branch: "f2");
            Put("projects", "q", 1, branch: "f2");
            var all = Reopen().GetBranches();
            Assert.Equal(new[] { "projects@f2", "shared@f1" }, all.Select(b => b.Record.Namespace + "@" + b.Record.Name).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(2, all.Single(b => b.Record.Name == "f2").ChangedCount);
            Assert.Equal(0, all.Single(b => b.Record.Name == "f1").ChangedCount);
            Assert.Equal(new[] { "f1" }, S.GetBranches(Ns).Select(b => b.Record.Name));
            Assert.Empty(S.GetBranches("longterm"));
            Assert.False(S.HasProvenance("projects", "p")); // untracked stays untracked on a branch
        }

        // ================================================================== merge
    }
}
