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
        public void Search_HonoursNamespacesAndTop_AndSeesOnlyCurrentValues()
        {
            Put("projects", "deploy-target", "prod");
            Put("projects", "deploy-notes", "deploy on fridays, never");
            Put(Ns, "deploy-policy", "deploy only with approval");
            Put("session", "deploy-scratch", "deploy tmp");
            Put(Ns, "old", "the word deploy was here");
            Put(Ns, "old", "now it is gone");

            var all = S.Search("deploy", null, 10);
            Assert.Equal(new[] { "projects/deploy-notes", "projects/deploy-target", "session/deploy-scratch", "shared/deploy-policy" },
                all.Select(h => h.Namespace + "/" + h.Key).OrderBy(x => x, StringComparer.Ordinal));
            var projects = S.Search("deploy", new[] { "projects" }, 10);
            Assert.Equal(2, projects.Count);
            Assert.All(projects, h => Assert.Equal("projects", h.Namespace));
            Assert.Equal(3, S.Search("deploy", new[] { "projects", "shared" }, 10).Count);
            Assert.Single(S.Search("deploy", null, 1));
            Assert.Equal(2, S.Search("deploy", null, 2).Count);
            S.Remove("projects", "deploy-notes", "tester");
            Assert.Single(S.Search("deploy", new[] { "projects" }, 10));
        }

        // ================================================================== moving between backends

        /// <summary>Everything <paramref name="b"/> holds equals what <paramref name="a"/> holds, read through the interface.</summary>
        protected static void AssertSameContent(IEngramStore a, IEngramStore b)
        {
            Assert.Equal(a.Config.ToYaml(), b.Config.ToYaml());
            Assert.Equal(a.ListNamespaces(), b.ListNamespaces());
            foreach (var ns in a.ListNamespaces())
            {
                Assert.Equal(a.ListKeys(ns, null), b.ListKeys(ns, null));
                foreach (var key in a.ListKeys(ns, null))
                {
                    var ma = a.Get(ns, key);
                    var mb = b.Get(ns, key);
                    Assert.Equal(ma.Id, mb.Id);
                    Assert.Equal(ma.Version, mb.Version);
                    Assert.Equal(ma.Tags, mb.Tags);
                    Assert.Equal(ma.CreatedUtc, mb.CreatedUtc);
                    Assert.Equal(ma.UpdatedUtc, mb.UpdatedUtc);
                    AssertSameValue(ma.Value, mb.Value, ns + "/" + key);
                    Assert.Equal(a.HasProvenance(ns, key), b.HasProvenance(ns, key));
                }
                Assert.Equal(a.GetHead(ns).Digest, b.GetHead(ns).Digest);
            }
            foreach (var history in a.Export().Histories)
            {
                var first = history[0];
                var other = b.GetProvenance(first.Namespace, first.Key, branch: "*").ToList();
                Assert.Equal(history.Count, other.Count);
                for (int i = 0; i < history.Count; i++)
                {
                    var x = history[i];
                    var y = other[i];
                    var where = $"{x.Namespace}/{x.Key}#{x.Seq}";
                    Assert.True(x.Hash == y.Hash, where + ": hash differs");
                    Assert.True(y.VerifyHash(), where + ": does not verify on the destination");
                    Assert.Equal(x.Seq, y.Seq);
                    Assert.Equal(x.PrevHash, y.PrevHash);
                    Assert.Equal(x.Schema, y.Schema);
                    Assert.Equal(x.Action, y.Action);
                    Assert.Equal(x.Branch, y.Branch);
                    Assert.Equal(x.TimestampUtc, y.TimestampUtc);
                    Assert.Equal(x.HasValue, y.HasValue);
                    if (x.HasValue) AssertSameValue(x.Value, y.Value, where);
                }
            }
            var ba = a.GetBranches();
            var bb = b.GetBranches();
            Assert.Equal(ba.Select(i => $"{i.Record.Namespace}@{i.Record.Name}:{i.ChangedCount}:{string.Join(",", i.Record.Keys ?? Array.Empty<string>())}:{i.Record.Actor}:{i.Record.Reason}:{i.Record.CreatedUtc:o}"),
                         bb.Select(i => $"{i.Record.Namespace}@{i.Record.Name}:{i.ChangedCount}:{string.Join(",", i.Record.Keys ?? Array.Empty<string>())}:{i.Record.Actor}:{i.Record.Reason}:{i.Record.CreatedUtc:o}"));
            foreach (var info in ba)
            {
                var ns = info.Record.Namespace;
                var name = info.Record.Name;
                Assert.Equal(a.ListKeys(ns, name), b.ListKeys(ns, name));
                foreach (var key in a.ListKeys(ns, name))
                {
                    var ma = a.TryGet(ns, key, name)!;
                    var mb = b.TryGet(ns, key, name)!;
                    Assert.Equal(ma.Version, mb.Version);
                    AssertSameValue(ma.Value, mb.Value, ns + "/" + key + "@" + name);
                }
                Assert.Equal(a.PlanMerge(ns, name).Items.Select(i => i.Key + ":" + i.Outcome + ":" + i.Base?.Version),
                             b.PlanMerge(ns, name).Items.Select(i => i.Key + ":" + i.Outcome + ":" + i.Base?.Version));
            }
            Assert.Equal(a.GetLineage("thinking", "obs").Select(L), b.GetLineage("thinking", "obs").Select(L));
            var ea = a.Export();
            var eb = b.Export();
            Assert.Equal(ea.MemoryCount, eb.MemoryCount);
            Assert.Equal(ea.HistoryCount, eb.HistoryCount);
        }

        /// <summary>The mixed workload, plus retention on one namespace (so squashed entries move too).</summary>
        protected static void RichStore(IEngramStore s)
        {
            MixedWorkload(s);
            for (int i = 0; i < 5; i++) Put(s, "squash", "k", i, track: true);
            s.SetRetention("squash", new RetentionPolicy(null, 2));
            s.Optimize(n => n == "squash", actor: "janitor");
        }

        private void Transfer(BackendKind from, BackendKind to, bool initializeDestination)
        {
            var src = from == Kind ? S : OpenNew(from);
            RichStore(src);
            var dst = OpenNew(to);
            if (initializeDestination) dst.Initialize();
            var export = src.Export();
            Assert.Equal(src.ListNamespaces().Sum(ns => src.ListKeys(ns, null).Count), export.MemoryCount);
            Assert.Equal(6, export.HistoryCount);
            var progress = new List<(int done, int total)>();
            dst.Import(export, (done, total, what) => progress.Add((done, total)));
            Assert.NotEmpty(progress);
            Assert.Equal(progress.Last().total, progress.Last().done);

            var fresh = Reopen(dst);
            Assert.True(fresh.Exists);
            AssertSameContent(src, fresh);
            AssertHealthy(fresh.Verify());
            foreach (var ns in fresh.ListNamespaces().Concat(new[] { "squash" }).Distinct())
                AssertHealthy(fresh.VerifyProvenance(ns));
            // The copy is a working store: writes continue its chains.
            var next = Put(fresh, Ns, "cfg", "after the copy");
            Assert.Equal(src.Get(Ns, "cfg").Version + 1, next.Memory.Version);
            AssertChain(fresh.GetProvenance(Ns, "cfg").ToList());
            AssertHealthy(fresh.Verify());
        }

        [BackendFact]
        public void ExportImport_IntoAnEmptyStoreOfAnotherBackend_KeepsEverything() => Transfer(Kind, OtherKind, initializeDestination: false);

        [BackendFact]
        public void ExportImport_FromAnotherBackend_KeepsEverything() => Transfer(OtherKind, Kind, initializeDestination: false);

        [BackendFact]
        public void ExportImport_IntoAnInitializedEmptyStoreOfTheSameBackend_KeepsEverything() => Transfer(Kind, Kind, initializeDestination: true);

        [BackendFact]
        public void Import_IntoAStoreWithMemoriesHistoriesOrBranches_IsRefused_AndChangesNothing()
        {
            Put(Ns, "src", "source value");
            var export = S.Export();

            var withMemory = OpenNew(Kind);
            Put(withMemory, "session", "k", 1);
            Throws(EngramErrorIds.StoreAlreadyExists, () => withMemory.Import(export));
            var reopened = Reopen(withMemory);
            Assert.Equal(new[] { "session" }, reopened.ListNamespaces());
            Assert.Null(reopened.TryGet(Ns, "src"));
            Assert.Equal(1, reopened.Get("session", "k").Value);

            var withHistory = OpenNew(Kind);
            Put(withHistory, Ns, "k", 1);
            withHistory.Remove(Ns, "k", "tester");
            Throws(EngramErrorIds.StoreAlreadyExists, () => withHistory.Import(export));
            Assert.Null(withHistory.TryGet(Ns, "src"));
            Assert.Equal(2, withHistory.GetProvenance(Ns, "k").Count());

            var withBranch = OpenNew(Kind);
            withBranch.Initialize(new StoreConfig { TrackAll = true });
            withBranch.Fork("projects", "b", null, "tester");
            Throws(EngramErrorIds.StoreAlreadyExists, () => withBranch.Import(export));
            var again = Reopen(withBranch);
            Assert.Null(again.TryGet(Ns, "src"));
            Assert.True(again.Config.TrackAll);
            Assert.Single(again.GetBranches());
        }

        // ================================================================== concurrency

        [BackendFact]
        public void FourWriters_OnOneTrackedKey_ThroughSeparateStoreObjects_LoseNothing()
        {
            const int Threads = 4, PerThread = 50, Total = Threads * PerThread;
            S.Initialize();
            var stores = Enumerable.Range(0, Threads).Select(_ => Reopen()).ToList();
            var errors = new ConcurrentQueue<Exception>();
            using var start = new ManualResetEventSlim(false);
            var writers = Enumerable.Range(0, Threads).Select(w => new Thread(() =>
            {
                start.Wait();
                try
                {
                    for (int i = 0; i < PerThread; i++)
                        if (!Put(stores[w], Ns, "hot", $"t{w}-{i}", actor: "thread-" + w).Changed)
                            throw new InvalidOperationException("a write reported no change");
                }
                catch (Exception ex) { errors.Enqueue(ex); }
            })).ToList();
            writers.ForEach(t => t.Start());
            start.Set();
            writers.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a writer did not finish"));
            Assert.Empty(errors);

            var m = Reopen().Get(Ns, "hot");
            Assert.Equal(Total, m.Version);
            var hist = Reopen().GetProvenance(Ns, "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total), hist.Select(e => e.Version));
            AssertChain(hist);
            var written = Enumerable.Range(0, Threads).SelectMany(w => Enumerable.Range(0, PerThread).Select(i => ValueCodec.ContentHash($"t{w}-{i}")));
            Assert.Equal(written.OrderBy(h => h, StringComparer.Ordinal), hist.Select(e => e.ContentHash!).OrderBy(h => h, StringComparer.Ordinal));
            for (int w = 0; w < Threads; w++)
            {
                var own = hist.Where(e => e.Actor == "thread-" + w).Select(e => (string)e.Value!).ToList();
                Assert.Equal(Enumerable.Range(0, PerThread).Select(i => $"t{w}-{i}"), own); // each writer's order is kept
            }
            Assert.Equal(hist.Last().ContentHash, m.ContentHash);
            AssertHealthy(S.Verify());
        }
    }
}
