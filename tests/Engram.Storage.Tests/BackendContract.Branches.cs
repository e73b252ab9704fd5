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
        public void Merge_Clean_TakesTheBranch_WithMergedEntries_AndCatchesTheBranchUp()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "n", 5, branch: "feat");
            S.Remove(Ns, "b", "tester", null, "feat");

            var plan = S.PlanMerge(Ns, "feat");
            Assert.False(plan.Applied);
            Assert.Equal(new[] { "a:Merged", "b:Merged", "n:Merged" }, plan.Items.Select(i => i.Key + ":" + i.Outcome).OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(1, Main("a"));
            Assert.Equal(3, Info("feat").ChangedCount);

            var result = S.Merge(Ns, "feat", MergeStrategy.Fail, "merger", "ship it");
            Assert.True(result.Applied);
            Assert.Equal(3, result.Merged.Count());
            Assert.Empty(result.Conflicts);

            var s = Reopen();
            Assert.Equal(10, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(2, s.TryGet(Ns, "a")!.Version);
            Assert.Null(s.TryGet(Ns, "b"));
            Assert.Equal(5, s.TryGet(Ns, "n")!.Value);
            Assert.Equal(new[] { "a", "n" }, s.ListKeys(Ns, null));

            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal("main", merged.Branch);
            Assert.Equal(2, merged.Version);
            Assert.Equal("merger", merged.Actor);
            Assert.Equal("ship it", merged.Reason);
            Assert.Equal("feat", Detail(merged, "from"));
            Assert.Equal("1", Detail(merged, "oursVersion"));
            Assert.Equal("2", Detail(merged, "theirsVersion"));
            Assert.Equal("1", Detail(merged, "baseVersion"));
            Assert.Equal(10, merged.Value);
            Assert.Equal("deleted@main", History("b").Last().Action + "@" + History("b").Last().Branch);
            Assert.Equal("merged@main", History("n").Last().Action + "@" + History("n").Last().Branch);

            Assert.NotNull(s.TryGetBranch(Ns, "feat"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(10, On("feat", "a"));
            Assert.Empty(S.PlanMerge(Ns, "feat").Items);
            AssertHealthy(S.Verify());
        }

        /// <summary>main a=1 b=2; feat: a=10; main: a=20 (conflict on a); feat: b=30 (clean).</summary>
        private void Conflicting()
        {
            Put(Ns, "a", 1);
            Put(Ns, "b", 2);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "b", 30, branch: "feat");
            Put(Ns, "a", 20);
        }

        [BackendFact]
        public void Merge_ConflictWithFail_ThrowsWithThePlan_AndChangesNothing()
        {
            Conflicting();
            var head = S.GetHead(Ns).Digest;

            var ex = Assert.Throws<MergeConflictException>(() => S.Merge(Ns, "feat", MergeStrategy.Fail, "m"));

            Assert.Equal(EngramErrorIds.MergeConflict, ex.ErrorId);
            Assert.False(ex.Plan.Applied);
            var c = Assert.Single(ex.Plan.Conflicts);
            Assert.Equal("a", c.Key);
            Assert.Equal(1, c.Base!.Value);
            Assert.Equal(20, c.Ours!.Value);
            Assert.Equal(10, c.Theirs!.Value);
            Assert.Null(c.Resolution);
            Assert.Equal(MergeOutcome.Merged, ex.Plan.Items.Single(i => i.Key == "b").Outcome);

            var s = Reopen();
            Assert.Equal(head, s.GetHead(Ns).Digest);
            Assert.Equal(20, s.TryGet(Ns, "a")!.Value);
            Assert.Equal(2, s.TryGet(Ns, "b")!.Value);
            Assert.Equal(10, s.TryGet(Ns, "a", "feat")!.Value);
            Assert.Equal(30, s.TryGet(Ns, "b", "feat")!.Value);
            Assert.Equal(2, Info("feat").ChangedCount);
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithOurs_KeepsMain()
        {
            Conflicting();
            var count = History("a").Count;
            var result = S.Merge(Ns, "feat", MergeStrategy.Ours, "m");
            Assert.Equal("ours", Assert.Single(result.Conflicts).Resolution);
            Assert.Equal(20, Main("a"));
            Assert.Equal(2, S.TryGet(Ns, "a")!.Version);
            Assert.Equal(count, History("a").Count);
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithTheirs_TakesTheBranch()
        {
            Conflicting();
            var result = S.Merge(Ns, "feat", MergeStrategy.Theirs, "m");
            Assert.Equal("theirs", Assert.Single(result.Conflicts).Resolution);
            var a = Reopen().TryGet(Ns, "a")!;
            Assert.Equal(10, a.Value);
            Assert.Equal(3, a.Version);
            var merged = History("a").Last();
            Assert.Equal(ProvenanceActions.Merged, merged.Action);
            Assert.Equal("2", Detail(merged, "oursVersion"));
            Assert.Equal("2", Detail(merged, "theirsVersion"));
            Assert.Equal("1", Detail(merged, "baseVersion"));
            Assert.Equal(30, Main("b"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(10, On("feat", "a"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Merge_ConflictWithConflictBranch_MergesTheCleanOnes_AndParksTheIncomingVersion()
        {
            Conflicting();
            var result = S.Merge(Ns, "feat", MergeStrategy.ConflictBranch, "m", "partial");
            Assert.Equal(30, Main("b"));
            Assert.Equal(20, Main("a"));
            var name = Assert.Single(result.ConflictBranches);
            Assert.StartsWith("feat-conflict-", name);
            Assert.Equal("conflict-branch:" + name, Assert.Single(result.Conflicts).Resolution);

            var info = Info(name);
            Assert.Equal(new[] { "a" }, info.Record.Keys);
            Assert.Equal(1, info.ChangedCount);
            Assert.Equal(10, On(name, "a"));
            var forked = History("a").Last();
            Assert.Equal(ProvenanceActions.Forked, forked.Action);
            Assert.Equal(name, forked.Branch);
            Assert.Equal("feat", Detail(forked, "conflictWith"));
            Assert.Equal(0, Info("feat").ChangedCount);
            Assert.Equal(20, On("feat", "a"));
            AssertHealthy(S.Verify());

            var later = S.Merge(Ns, name, MergeStrategy.Fail, "m", "resolve");
            Assert.Equal(MergeOutcome.Merged, Assert.Single(later.Items).Outcome);
            Assert.Equal(10, Main("a"));
            Assert.Equal(3, S.TryGet(Ns, "a")!.Version);
            Assert.Equal(name, Detail(History("a").Last(), "from"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void RemoveBranch_DropsItsChanges_KeepsHistories_AndTheNameCanBeReused()
        {
            Put(Ns, "a", 1);
            S.Fork(Ns, "feat", null, "tester");
            Put(Ns, "a", 10, branch: "feat");
            Put(Ns, "n", 1, branch: "feat");
            var info = S.RemoveBranch(Ns, "feat");
            Assert.Equal("feat", info.Record.Name);
            Assert.Equal(2, info.ChangedCount);

            var s = Reopen();
            Assert.Null(s.TryGetBranch(Ns, "feat"));
            Assert.Empty(s.GetBranches(Ns));
            Throws(EngramErrorIds.BranchNotFound, () => s.TryGet(Ns, "a", "feat"));
            Throws(EngramErrorIds.BranchNotFound, () => s.RemoveBranch(Ns, "feat"));
            Assert.Equal(1, s.TryGet(Ns, "a")!.Value);
            Assert.Null(s.TryGet(Ns, "n"));
            Assert.Equal(new[] { "created@main", "forked@feat", "revised@feat" }, History("a").Select(e => e.Action + "@" + e.Branch));
            AssertHealthy(s.Verify());

            S.Fork(Ns, "feat", null, "tester");
            Assert.Equal(1, On("feat", "a"));
            Assert.Null(S.TryGet(Ns, "n", "feat"));
            Assert.Equal(0, Info("feat").ChangedCount);
        }

        // ================================================================== integrity

        /// <summary>Tracked and untracked writes, deletes, a re-creation, branches, merges, a restore, sources and a connection.</summary>
        protected static void MixedWorkload(IEngramStore s)
        {
            Put(s, Ns, "cfg", new EngramMap(MapKind.Ordered) { { "port", 80 }, { "hosts", new object?[] { "a", "b" } } }, tags: new[] { "infra" });
            Put(s, Ns, "cfg", new EngramMap(MapKind.Ordered) { { "port", 8080 }, { "hosts", new object?[] { "a" } } });
            Put(s, Ns, "gone", "soon gone");
            s.Remove(Ns, "gone", "tester", "obsolete");
            Put(s, Ns, "back", 1);
            s.Remove(Ns, "back", "tester");
            Put(s, Ns, "back", 2);
            Put(s, "session", "note", "untracked", tags: new[] { "t" });
            Put(s, "session", "bytes", new byte[] { 1, 2, 3 });
            Put(s, "thinking", "obs", "builds are slow on mondays");
            s.Set(new SetRequest("longterm", "insight", "cache purges slow the build")
            {
                Action = "synthesized", DerivedFrom = new[] { MemoryRef.Parse("thinking/obs") }, Confidence = 0.8, Actor = "agent", Reason = "pattern",
            });
            s.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("shared/cfg"), "agent", "related");
            s.Fork(Ns, "feat", null, "tester", "experiment");
            Put(s, Ns, "cfg", "replaced on feat", branch: "feat");
            Put(s, Ns, "only-on-feat", 1, branch: "feat");
            s.Remove(Ns, "back", "tester", null, "feat");
            Put(s, Ns, "cfg", "main moved on");
            s.Fork(Ns, "kf", new[] { "back" }, "tester", null);
            Put(s, Ns, "back", 3, branch: "kf");
            s.Fork(Ns, "clash", null, "tester");
            Put(s, Ns, "back", 30, branch: "clash");
            Put(s, Ns, "back", 31);
            s.Merge(Ns, "clash", MergeStrategy.ConflictBranch, "merger");
            s.Restore(Ns, "back", 2, "tester", "undo");
            Put(s, "projects", "p", 1);
            s.Fork("projects", "pf", null, "tester");
            Put(s, "projects", "p", 2, branch: "pf");
        }

        [BackendFact]
        public void Verify_IsHealthy_AfterAMixedWorkload_AndEveryChainVerifies()
        {
            MixedWorkload(S);
            var progress = new List<(int done, int total)>();
            var report = Reopen().Verify(false, (done, total, what) => progress.Add((done, total)));
            AssertHealthy(report);
            Assert.Empty(report.Findings);
            Assert.True(report.MemoriesChecked >= 7, "memories checked: " + report.MemoriesChecked);
            Assert.True(report.HistoriesChecked >= 5, "histories checked: " + report.HistoriesChecked);
            Assert.True(report.EntriesChecked >= 20, "entries checked: " + report.EntriesChecked);
            Assert.NotEmpty(progress);
            Assert.Equal(progress.Last().total, progress.Last().done);
            foreach (var ns in new[] { Ns, "longterm", "thinking", "session", "projects" })
                AssertHealthy(S.VerifyProvenance(ns));
            int histories = 0;
            foreach (var h in S.Export().Histories) { AssertChain(h); histories++; }
            Assert.Equal(5, histories); // shared: cfg, gone, back, only-on-feat; longterm: insight (sources stay untracked)
        }

        [BackendFact]
        public void GetHead_AnchorsTheHistories_AndVerifyAgainstAcceptsLaterAppends()
        {
            Put(Ns, "a", 1);
            Put(Ns, "a", 2);
            Put(Ns, "b", 1);
            Put(Ns, "u", 1, track: false);
            var head = S.GetHead(Ns);
            Assert.Equal(Ns, head.Namespace);
            Assert.StartsWith("sha256:", head.Digest);
            Assert.Equal(new[] { "a:2", "b:1" }, head.Entries.Select(e => e.Key + ":" + e.Seq));
            Assert.Equal(History("a").Last().Hash, head.Entries[0].Hash);
            Assert.Equal(head.Digest, Reopen().GetHead(Ns).Digest);
            var report = S.VerifyAgainst(head);
            AssertHealthy(report);
            Assert.Equal(2, report.HistoriesChecked);

            Put(Ns, "a", 3);
            S.Remove(Ns, "b", "tester");
            Assert.NotEqual(head.Digest, S.GetHead(Ns).Digest);
            AssertHealthy(Reopen().VerifyAgainst(head));
            Assert.Empty(S.GetHead("projects").Entries);

            // An anchor naming a history the store does not have is reported, not thrown.
            var forged = new ProvenanceHead(Ns, DateTime.UtcNow, new[] { new HeadEntry("never", 1, new string('0', 64)) });
            var missing = S.VerifyAgainst(forged);
            Assert.False(missing.Healthy);
            Assert.Contains(missing.Findings, f => f.Kind == "HistoryMissing");
        }

        [BackendFact]
        public void GetAsOf_RebuildsTrackedMemories_AcrossDeleteAndRecreate()
        {
            var e1 = Put(Ns, "k", "v1").Entry!;
            Thread.Sleep(3);
            var e2 = Put(Ns, "k", "v2").Entry!;
            Thread.Sleep(3);
            var e3 = S.Remove(Ns, "k", "tester")!;
            Thread.Sleep(3);
            var e4 = Put(Ns, "k", "v4").Entry!;
            Put(Ns, "other", "o", track: false);

            Assert.Empty(S.GetAsOf(Ns, e1.TimestampUtc.AddTicks(-1)).Memories);
            var at1 = Assert.Single(S.GetAsOf(Ns, e1.TimestampUtc).Memories);
            Assert.Equal("k", at1.Key);
            Assert.Equal("v1", at1.Value);
            Assert.Equal(1, at1.Version);
            Assert.Equal(e1.MemoryId, at1.Id);
            var at2 = Assert.Single(Reopen().GetAsOf(Ns, e2.TimestampUtc).Memories);
            Assert.Equal("v2", at2.Value);
            Assert.Equal(2, at2.Version);
            Assert.Empty(S.GetAsOf(Ns, e3.TimestampUtc).Memories);
            var at4 = Assert.Single(S.GetAsOf(Ns, e4.TimestampUtc).Memories);
            Assert.Equal("v4", at4.Value);
            Assert.Equal(3, at4.Version);
            Assert.Empty(S.GetAsOf(Ns, DateTime.UtcNow, k => k != "k").Memories);
            Assert.Empty(S.GetAsOf(Ns, DateTime.UtcNow).Unavailable);
            Assert.Empty(S.GetAsOf("projects", DateTime.UtcNow).Memories);
        }

        [BackendFact, SeveralProcesses]
        public void SeveralProcesses_WritingOneTrackedKey_LoseNothing()
        {
            // Separate processes (tests/Engram.StressWorker), each with its own store object and connections: the
            // backend's cross-process lock (a lock file, SQLite's BEGIN IMMEDIATE, PostgreSQL's row lock) must hold.
            const int Workers = 3, PerWorker = 40, Total = Workers * PerWorker;
            S.Initialize();
            var procs = Enumerable.Range(0, Workers)
                .Select(w => Engram.Tests.Shared.StressWorkerProcess.Start(Location.Location, w.ToString(CultureInfo.InvariantCulture), PerWorker.ToString(CultureInfo.InvariantCulture), Ns, "hot"))
                .ToList();
            var outputs = procs.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
            foreach (var p in procs)
                if (!p.WaitForExit(120_000))
                {
                    foreach (var q in procs) try { q.Kill(); } catch (InvalidOperationException) { }
                    Assert.Fail("a worker did not finish within 120 s");
                }
            for (int w = 0; w < Workers; w++)
            {
                Assert.True(procs[w].ExitCode == 0, $"worker {w} exited {procs[w].ExitCode}: {outputs[w].Err.Result}");
                Assert.Equal("done", outputs[w].Out.Result.Trim());
            }

            var store = Reopen();
            var m = store.Get(Ns, "hot");
            Assert.Equal(Total, m.Version);
            var history = store.GetProvenance(Ns, "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), history.Select(e => e.Seq));
            Assert.Equal(Enumerable.Range(1, Total), history.Select(e => e.Version));
            var values = history.Select(e => (string)e.Value!).ToList();
            Assert.Equal(Total, values.Distinct().Count());
            for (int w = 0; w < Workers; w++)
            {
                Assert.Equal(Enumerable.Range(0, PerWorker).Select(i => $"w{w}-{i}"), values.Where(v => v.StartsWith($"w{w}-", StringComparison.Ordinal)));
                Assert.Equal("owned by " + w, store.Get(Ns, "own-" + w).Value);
            }
            Assert.Equal(values.Last(), m.Value);
            Assert.True(store.Verify().Healthy);
        }

        [BackendFact]
        public void Embeddings_AreSetReadBackAndRemoved_AndABadOneChangesNothing()
        {
            Put(Ns, "k", "v");
            Throws(EngramErrorIds.EmbeddingsNotConfigured, () => Engram.Core.Search.SemanticSearch.FromConfig(S.Config, S.Root, _ => throw new Xunit.Sdk.XunitException("no generator is made without an embeddings: section")));

            var config = S.SetEmbeddings(Engram.Core.Search.EmbeddingsConfig.Create("OpenAI", "text-embedding-3-small", "http://127.0.0.1:9/v1", "MY_API_KEY"));
            Assert.Equal("openai", config.Embeddings!.Provider);
            var read = Reopen().Config.Embeddings!;
            Assert.Equal(("openai", "text-embedding-3-small", "http://127.0.0.1:9/v1", "MY_API_KEY"), (read.Provider, read.Model, read.Endpoint, read.ApiKeyEnv));
            Assert.True(Reopen().Config.DefaultRetention.IsForever); // the rest of the configuration is kept

            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("ollama", "m", "ftp://host"));
            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("bert", "m"));
            Throws(EngramErrorIds.InvalidConfiguration, () => Engram.Core.Search.EmbeddingsConfig.Create("ollama", "m", null, "A=B"));
            Assert.Equal("text-embedding-3-small", Reopen().Config.Embeddings!.Model);

            Assert.Null(Reopen().SetEmbeddings(null).Embeddings);
            Assert.Null(Reopen().Config.Embeddings);
            Assert.Equal("v", Reopen().Get(Ns, "k").Value);
        }

        [BackendFact]
        public void Retention_OptimizeSquashesOldEntries_DryRunChangesNothing_AndChainsStillVerify()
        {
            for (int i = 1; i <= 6; i++) Put(Ns, "k", "v" + i, actor: "writer");
            Put(Ns, "single", "once");
            var config = S.SetRetention(Ns, new RetentionPolicy(null, 2));
            Assert.Equal(2, config.RetentionFor(Ns).MaxEntries);
            Assert.Equal(2, Reopen().Config.RetentionFor(Ns).MaxEntries);
            Assert.True(Reopen().Config.RetentionFor("longterm").IsForever);

            var head = S.GetHead(Ns).Digest;
            var dry = Assert.Single(S.Optimize(null, dryRun: true, actor: "janitor"), r => r.Namespace == Ns);
            Assert.False(dry.Applied);
            Assert.Equal(2, dry.HistoriesChecked);
            Assert.Equal(1, dry.HistoriesSquashed);
            Assert.Equal(4, dry.EntriesRemoved);
            Assert.Equal(head, S.GetHead(Ns).Digest);
            Assert.Equal(6, History("k").Count);

            var real = Assert.Single(S.Optimize(n => n == Ns, dryRun: false, actor: "janitor"));
            Assert.True(real.Applied);
            Assert.Equal(1, real.HistoriesSquashed);
            Assert.Equal(4, real.EntriesRemoved);

            var hist = Reopen().GetProvenance(Ns, "k").ToList();
            Assert.Equal(new[] { "squashed", "revised", "revised" }, hist.Select(e => e.Action));
            Assert.Equal(new long[] { 4, 5, 6 }, hist.Select(e => e.Seq));
            var squash = hist[0];
            Assert.Equal(2, squash.Schema);
            Assert.Equal("janitor", squash.Actor);
            Assert.False(squash.HasValue);
            Assert.Equal("4", Detail(squash, "count"));
            Assert.Equal("1", Detail(squash, "firstSeq"));
            Assert.Equal("v5", hist[1].Value);
            Assert.Equal("v6", hist[2].Value);
            AssertChain(hist);
            Assert.Single(History("single"));
            AssertHealthy(S.Verify());
            AssertHealthy(S.VerifyProvenance(Ns));
            Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion(Ns, "k", 2));
            Assert.Equal("v6", S.GetVersion(Ns, "k", 6).Value);

            var next = Put(Ns, "k", "v7");
            Assert.Equal(7, next.Entry!.Seq);
            Assert.Equal(7, next.Memory.Version);
            AssertChain(History("k"));
            AssertHealthy(S.Verify());
        }

        // ================================================================== cognition

        [BackendFact]
        public void DerivedWrites_PinTheirSources_AndLineageWalksUpAndDown()
        {
            Put("thinking", "obs1", "the build is slow on Mondays");
            Put("thinking", "obs2", "Monday is when the cache is purged");
            var insight = Derive("longterm", "insight", "cache purges slow the build", new[] { "thinking/obs1", "thinking/obs2" },
                action: "synthesized", confidence: 0.7, reason: "two observations agree");
            Derive("projects", "plan", "move the purge to Sunday", new[] { "longterm/insight" }, confidence: 0.9, reason: "act on it");

            Assert.True(S.HasProvenance("projects", "plan")); // derived writes are tracked even in untracked namespaces
            Assert.False(S.HasProvenance("thinking", "obs1"));
            var e = Assert.Single(Reopen().GetProvenance("longterm", "insight"));
            Assert.Equal(insight.Entry!.Hash, e.Hash);
            Assert.Equal("synthesized", e.Action);
            Assert.Equal(0.7, e.Details!["confidence"]);
            var sources = Assert.IsType<object?[]>(e.Details["derivedFrom"]).Cast<EngramMap>().ToArray();
            Assert.Equal(new[] { "obs1", "obs2" }, sources.Select(x => x["key"]));
            Assert.Equal(S.Get("thinking", "obs1").Id, sources[0]["memoryId"]);
            Assert.Equal(1, Convert.ToInt32(sources[0]["version"], CultureInfo.InvariantCulture));

            var up = Reopen().GetLineage("projects", "plan", 3, LineageDirection.Up);
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, up.Select(L).ToArray());
            Assert.Equal(0.9, up[0].Confidence);
            Assert.Equal("agent", up[1].Actor);
            var down = Reopen().GetLineage("thinking", "obs1", 3, LineageDirection.Down);
            Assert.Equal(new[]
            {
                "Down d1 longterm/insight@1 <- thinking/obs1@1",
                "Down d2 projects/plan@1 <- longterm/insight@1",
            }, down.Select(L).ToArray());
            Assert.Equal("synthesized", down[0].Action);
            Assert.Single(S.GetLineage("thinking", "obs1", 1, LineageDirection.Down));
            Throws(EngramErrorIds.MemoryNotFound, () => S.GetLineage("projects", "nothing"));

            // Pinned: a later revision of a source does not move the link.
            Put("thinking", "obs1", "revised observation");
            Assert.Equal("Up d2 longterm/insight@1 <- thinking/obs1@1", L(S.GetLineage("projects", "plan", 3, LineageDirection.Up)[1]));
            Throws(EngramErrorIds.MemoryNotFound, () => Derive("projects", "x", 1, new[] { "thinking/nothing" }));
            Assert.Null(S.TryGet("projects", "x"));
            AssertHealthy(S.Verify());
        }

        [BackendFact]
        public void Connect_WritesOneEntryInEachHistory_WithoutChangingValues()
        {
            Put("longterm", "insight", "i1");
            Put("longterm", "insight", "i2");
            Put("thinking", "idea", "x");
            var before = S.Get("thinking", "idea");
            var (a, b) = S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("thinking/idea"), "agent", "related");
            Assert.Equal(EngramStore.ConnectedAction, a.Action);
            Assert.Equal("to", Detail(a, "direction"));
            Assert.Equal("from", Detail(b, "direction"));
            Assert.Equal(2, a.Version);
            Assert.Equal(1, b.Version);
            var with = Assert.IsType<EngramMap>(a.Details!["with"]);
            Assert.Equal("idea", with["key"]);
            Assert.Equal(before.Id, with["memoryId"]);

            var s = Reopen();
            var after = s.Get("thinking", "idea");
            Assert.Equal(before.Version, after.Version);
            Assert.Equal(before.ContentHash, after.ContentHash);
            Assert.Equal(2, s.Get("longterm", "insight").Version);
            Assert.Equal(a.Hash, s.GetProvenance("longterm", "insight").Last().Hash);
            var started = Assert.Single(s.GetProvenance("thinking", "idea")); // connecting starts an untracked memory's history
            Assert.Equal(b.Hash, started.Hash);
            Assert.Equal(1, started.Seq);
            Assert.False(started.HasValue);

            Throws(EngramErrorIds.InvalidKey, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("LongTerm/insight"), "a"));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("longterm/nothing"), "a"));
            Throws(EngramErrorIds.VersionNotFound, () => S.Connect(MemoryRef.Parse("longterm/insight@1"), MemoryRef.Parse("thinking/idea"), "a"));
            Assert.Equal(3, S.GetProvenance("longterm", "insight").Count());
            Assert.Single(S.GetProvenance("thinking", "idea"));
            Assert.NotNull(Put("thinking", "idea", "y").Entry); // tracked from now on
            AssertChain(History("idea", "thinking"));
            AssertHealthy(S.Verify());
        }

        // ================================================================== search

        [BackendFact]
        public void Search_RanksAKeyMatchFirst_AndFindsValues()
        {
            Put("projects", "runbook", "how to deploy: run the pipeline, then check the dashboards");
            Put("projects", "deploy-target", "prod-eu-west");
            Put("projects", "coffee", "the machine on floor 3 is broken");
            Put("projects", "menu", new EngramMap { { "monday", "pasta" }, { "note", "nothing about releases" } });

            var hits = Reopen().Search("deploy");
            Assert.True(hits.Count >= 2, "hits: " + string.Join(", ", hits.Select(h => h.Key)));
            Assert.Equal("deploy-target", hits[0].Key);
            Assert.Contains(hits, h => h.Key == "runbook");
            Assert.DoesNotContain(hits, h => h.Key == "coffee" || h.Key == "menu");
            Assert.All(hits, h => Assert.Equal("text", h.MatchedBy));
            Assert.All(hits, h => Assert.Equal("projects", h.Namespace));
            for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score, "hits are not best first");
            Assert.Equal("prod-eu-west", hits[0].Memory.Value);
            Assert.Contains(S.Search("pasta"), h => h.Key == "menu"); // text inside a map value
            Assert.Empty(S.Search("zeppelin"));
        }
    }
}
