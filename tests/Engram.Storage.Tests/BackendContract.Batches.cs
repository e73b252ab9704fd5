using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Batches on every backend: SetMany and RemoveMany give each record exactly the outcome it would have had
    /// alone (versions, entries, errors), a refused record changes nothing, and the others still commit.</summary>
    public abstract partial class BackendContract
    {
        /// <summary>A mixed run of writes: new memories, the same key again, an unchanged value, tracking started on an
        /// unchanged memory, a branch write, a source written earlier in the run, conditional writes, and refusals.</summary>
        private static List<SetRequest> MixedRun() => new List<SetRequest>
        {
            new SetRequest(Ns, "a", 1) { Actor = "batch", Reason = "first" },
            new SetRequest(Ns, "b", "two") { Actor = "batch", Tags = new[] { "t1" } },
            new SetRequest(Ns, "a", 2) { Actor = "batch", Reason = "again" },               // same key: version 2
            new SetRequest(Ns, "bad\nkey", 0) { Actor = "batch" },                          // InvalidKey
            new SetRequest(Ns, "b", "two") { Actor = "batch", Tags = new[] { "t1" } },     // unchanged: no new version
            new SetRequest("session", "u", 5) { Actor = "batch" },                           // untracked
            new SetRequest("session", "u", 5) { Actor = "batch", TrackProvenance = true },   // tracking starts, same version
            new SetRequest(Ns, "c", 3) { Actor = "batch", ExpectedVersion = 4 },             // VersionConflict
            new SetRequest(Ns, "c", 3) { Actor = "batch", ExpectedVersion = 0 },             // fine: c does not exist
            new SetRequest(Ns, "d", "from a") { Actor = "batch", DerivedFrom = new[] { new MemoryRef(Ns, "a") } }, // pins a at 2
            new SetRequest(Ns, "a", 3) { Actor = "batch", Branch = "feat" },                 // on a branch (created after the fork), same history
            new SetRequest(Ns, "e", 1) { Actor = "batch", Branch = "nobranch" },             // BranchNotFound
            new SetRequest(Ns, "a", 4) { Actor = "batch", ExpectedVersion = 2 },             // main is at 2
        };

        private static string Describe(SetOutcome o) => Describe(o.Result, o.Error);

        private static string Describe(SetResult? r, Exception? error) =>
            error != null ? "error " + ((EngramException)error).ErrorId
                : $"{r!.Memory.Namespace}/{r.Memory.Key}@{r.Memory.Branch} v{r.Memory.Version} changed={r.Changed} entry={r.Entry?.Seq}:{r.Entry?.Action}";

        private static string Describe(IEngramStore s, string ns, string key) =>
            string.Join(" ", s.GetProvenance(ns, key, branch: "*").Select(e =>
                $"{e.Seq}:{e.Action}@{e.Branch}v{e.Version}:{e.Actor}:{e.Reason}:{ValueText(e.Value)}:{e.Details?.Count ?? 0}"));

        private static string ValueText(object? v) => v == null ? "-" : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "";

        private static IEngramStore Seeded(IEngramStore s)
        {
            Put(s, Ns, "seed", 0);
            s.Fork(Ns, "feat", null, "tester", "feature");
            return s;
        }

        [BackendFact]
        public void SetMany_GivesEachRecordTheOutcomeOfASingleSet_InOrder()
        {
            var batched = Seeded(S);
            var single = Seeded(Open(NewLocation()));
            var run = MixedRun();
            var outcomes = batched.SetMany(run);
            var expected = MixedRun().Select(r =>
            {
                try { return Describe(single.Set(r), null); }
                catch (EngramException ex) { return Describe(null, ex); }
            }).ToList();

            Assert.Equal(expected, outcomes.Select(Describe));
            Assert.Equal(
                new[] { "shared/a@main v1 changed=True entry=1:created", "shared/b@main v1 changed=True entry=1:created", "shared/a@main v2 changed=True entry=2:revised",
                        "error InvalidKey", "shared/b@main v1 changed=False entry=:", "session/u@main v1 changed=True entry=:",
                        "session/u@main v1 changed=False entry=1:tracked", "error VersionConflict", "shared/c@main v1 changed=True entry=1:created",
                        "shared/d@main v1 changed=True entry=1:created", "shared/a@feat v1 changed=True entry=3:created", "error BranchNotFound",
                        "shared/a@main v3 changed=True entry=4:revised" },
                outcomes.Select(Describe));
            Assert.Equal(run, outcomes.Select(o => o.Request)); // each outcome carries its request, in order
            foreach (var (ns, key) in new[] { (Ns, "a"), (Ns, "b"), (Ns, "c"), (Ns, "d"), ("session", "u") })
                Assert.Equal(Describe(single, ns, key), Describe(batched, ns, key));
            Assert.Equal(2, S.GetProvenance(Ns, "d").Single().Details!["derivedFrom"] is object?[] from && from.Length == 1
                ? Convert.ToInt32(((Engram.Core.Values.EngramMap)from[0]!)["version"], System.Globalization.CultureInfo.InvariantCulture) : -1);
            Assert.Equal(new[] { "a", "b", "c", "d", "seed" }, S.ListKeys(Ns, null));
            Assert.Equal(new[] { "a", "b", "c", "d", "seed" }, single.ListKeys(Ns, null));
            Assert.Equal(3, On("feat", "a"));
            Assert.Contains(S.GetLineage(Ns, "a", direction: LineageDirection.Down), l => l.Key == "d");
            AssertHealthy(Reopen().Verify());
        }

        [BackendFact]
        public void SetMany_ARefusedRecord_ChangesNothing_AndTheOthersCommit()
        {
            S.Initialize(new StoreConfig { MaxValueBytes = 100 });
            Put(Ns, "kept", "old");
            var outcomes = S.SetMany(new[]
            {
                new SetRequest(Ns, "x", 1) { Actor = "batch" },
                new SetRequest(Ns, "kept", "new") { Actor = "batch", ExpectedVersion = 7 },
                new SetRequest(Ns, "big", new string('x', 101)) { Actor = "batch" },
                new SetRequest(Ns, "y", 2) { Actor = " " + new string('a', 300) },
                new SetRequest(Ns, "kept", "newer") { Actor = "batch", TrackProvenance = false },
                new SetRequest(Ns, "z", 3) { Actor = "batch" },
            });
            Assert.Equal(new[] { null, EngramErrorIds.VersionConflict, EngramErrorIds.ValueTooLarge, EngramErrorIds.InvalidActor, EngramErrorIds.ProvenanceRequired, null },
                outcomes.Select(o => (o.Error as EngramException)?.ErrorId));
            Assert.All(outcomes.Where(o => o.Error != null), o => Assert.Null(o.Result));
            var store = Reopen();
            Assert.Equal(new[] { "kept", "x", "z" }, store.ListKeys(Ns, null));
            Assert.Equal("old", store.Get(Ns, "kept").Value);
            Assert.Single(History("kept"));
            Assert.Equal(1, store.Get(Ns, "x").Version);
            AssertHealthy(store.Verify());
        }

        [BackendFact]
        public void SetMany_SameKeyManyTimes_GivesGapFreeVersions_AndOneEntryEach()
        {
            var outcomes = S.SetMany(Enumerable.Range(1, 5).Select(i => new SetRequest(Ns, "k", i) { Actor = "batch" }).ToList());
            Assert.Equal(new[] { 1, 2, 3, 4, 5 }, outcomes.Select(o => o.Result!.Memory.Version));
            Assert.Equal(5, Main("k"));
            var h = History("k");
            Assert.Equal(new[] { 1, 2, 3, 4, 5 }, h.Select(e => e.Version));
            Assert.Equal(new object[] { 1, 2, 3, 4, 5 }, h.Select(e => e.Value));
            Assert.Equal(new[] { "created", "revised", "revised", "revised", "revised" }, h.Select(e => e.Action));
            AssertHealthy(Reopen().Verify());
        }

        [BackendFact]
        public void SetMany_OfNothing_And_OfOnlyRefusals_WriteNothing()
        {
            Assert.Empty(S.SetMany(Array.Empty<SetRequest>()));
            Assert.False(S.Exists);
            var outcomes = S.SetMany(new[] { new SetRequest(Ns, "", 1), new SetRequest("_reserved", "k", 1) });
            Assert.Equal(new[] { EngramErrorIds.InvalidKey, EngramErrorIds.ReservedNamespace }, outcomes.Select(o => ((EngramException)o.Error!).ErrorId));
            Assert.False(Reopen().Exists);
        }

        [BackendFact]
        public void RemoveMany_GivesEachRecordTheOutcomeOfASingleRemove()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            Put("session", "u", 3);
            S.Fork(Ns, "feat", null, "tester", null);
            var outcomes = S.RemoveMany(new[]
            {
                new RemoveRequest(Ns, "a") { Actor = "remover", Reason = "gone" },
                new RemoveRequest(Ns, "missing"),
                new RemoveRequest(Ns, "b") { Branch = "feat", Actor = "remover" },
                new RemoveRequest(Ns, "a"),                                       // removed just before: MemoryNotFound
                new RemoveRequest("session", "u"),
                new RemoveRequest(Ns, "b") { Branch = "nobranch" },
                new RemoveRequest(Ns, "bad\nkey"),
            });
            Assert.Equal(new[] { null, EngramErrorIds.MemoryNotFound, null, EngramErrorIds.MemoryNotFound, null, EngramErrorIds.BranchNotFound, EngramErrorIds.InvalidKey },
                outcomes.Select(o => (o.Error as EngramException)?.ErrorId));
            Assert.Equal(new[] { true, false, true, false, true, false, false }, outcomes.Select(o => o.Removed));
            Assert.Equal("deleted", outcomes[0].Entry!.Action);
            Assert.Equal("gone", outcomes[0].Entry!.Reason);
            Assert.Equal("feat", outcomes[2].Entry!.Branch);
            Assert.Null(outcomes[4].Entry); // untracked
            var store = Reopen();
            Assert.Null(store.TryGet(Ns, "a"));
            Assert.Equal(2, store.TryGet(Ns, "b")!.Value);            // still on main
            Assert.Null(store.TryGet(Ns, "b", "feat"));                 // deleted on the branch
            Assert.Equal(1, store.TryGet(Ns, "a", "feat")!.Value);      // the branch keeps its merge base of a
            Assert.Null(store.TryGet("session", "u"));
            Assert.Equal(new[] { "created", "deleted" }, History("a").Select(e => e.Action));
            AssertHealthy(store.Verify());
        }
    }
}
