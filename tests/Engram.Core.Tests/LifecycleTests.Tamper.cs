using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public sealed partial class LifecycleTests : IDisposable
    {
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Live_branch_protects_entries_from_its_fork_point_on(bool keyFork)
        {
            for (int i = 1; i <= 4; i++) Put("k", "v" + i);
            S.Fork("shared", "b", keyFork ? new[] { "k" } : null, actor: "t");
            for (int i = 5; i <= 10; i++) Put("k", "v" + i);
            var old = History("k");
            int forkSeq = 4; // the main entry the branch forked from
            S.SetRetention("shared", new RetentionPolicy(null, 2));

            S.Optimize(actor: "janitor");
            var h = History("k");
            Assert.Equal(ProvenanceActions.Squashed, h[0].Action);
            Assert.Equal(forkSeq - 1, h[0].Seq);
            Assert.Equal(forkSeq, h[1].Seq);
            Assert.Equal(old.Where(e => e.Seq >= forkSeq).Select(e => e.Hash), h.Skip(1).Select(e => e.Hash));
            Assert.Equal("v4", S.GetVersion("shared", "k", 4).Value);
            Assert.Equal("v4", S.TryGet("shared", "k", "b")!.Value);
            AssertHealthy(S.Verify());

            // The branch still merges: its base is intact.
            S.Set(new SetRequest("shared", "k", "from branch") { Branch = "b", Actor = "t" });
            var plan = S.PlanMerge("shared", "b");
            Assert.Equal(MergeOutcome.Conflict, Assert.Single(plan.Items).Outcome);
            Assert.Equal("v4", plan.Items[0].Base!.Value);

            // Once the branch is gone, its fork point is no longer protected.
            S.RemoveBranch("shared", "b");
            var last2 = History("k").Skip(History("k").Count - 2).ToList();
            S.Optimize(actor: "janitor");
            h = History("k");
            AssertSquashedBefore(h, last2[0].Seq);
            Assert.Equal(last2.Select(e => e.Hash), h.Skip(h.Count - 2).Select(e => e.Hash));
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Optimize_dry_run_changes_no_byte_and_predicts_the_real_run()
        {
            for (int i = 1; i <= 6; i++) { Put("a", i); Put("b", i.ToString(CultureInfo.InvariantCulture)); }
            Put("c", "single");
            S.SetRetention("shared", new RetentionPolicy(null, 2));
            var before = Snapshot(_t.Root);

            var dry = Assert.Single(S.Optimize(dryRun: true, actor: "t"));
            Assert.False(dry.Applied);
            Assert.Equal(3, dry.HistoriesChecked);
            Assert.Equal(2, dry.HistoriesSquashed);
            Assert.Equal(8, dry.EntriesRemoved);
            Assert.True(dry.BytesFreed > 0);
            AssertUnchanged(before, Snapshot(_t.Root));

            var real = Assert.Single(S.Optimize(actor: "t"));
            Assert.True(real.Applied);
            Assert.Equal(dry.HistoriesSquashed, real.HistoriesSquashed);
            Assert.Equal(dry.EntriesRemoved, real.EntriesRemoved);
            Assert.Equal(dry.BytesBefore, real.BytesBefore);
            Assert.Equal(dry.BytesFreed, real.BytesFreed);
            Assert.Equal(real.BytesAfter, new[] { "a", "b", "c" }.Sum(k => new FileInfo(S.ProvenancePath("shared", k)).Length));
            Assert.False(Directory.Exists(_t.P("_txn")) && Directory.EnumerateFileSystemEntries(_t.P("_txn")).Any());
            AssertHealthy(S.Verify());
        }

        // ================================================================== tamper evidence

        [Fact]
        public void Edited_actor_is_a_broken_chain_at_that_entry()
        {
            Put("k", "v1", actor: "alice");
            Put("k", "v2", actor: "alice");
            Put("k", "v3", actor: "alice");
            var path = S.ProvenancePath("shared", "k");
            var text = File.ReadAllText(path);
            int second = text.IndexOf("\nseq: 2\n", StringComparison.Ordinal);
            int actor = text.IndexOf("\nactor: alice\n", second, StringComparison.Ordinal);
            File.WriteAllText(path, text.Substring(0, actor) + "\nactor: bobby\n" + text.Substring(actor + "\nactor: alice\n".Length));
            Assert.Equal("bobby", History("k")[1].Actor); // still valid YAML

            var f = SingleFinding(S.Verify(), "BrokenChain");
            Assert.Equal(2, f.Seq);
            Assert.Equal("k", f.Key);
            Assert.Equal("shared", f.Namespace);
            Assert.Equal(FindingSeverity.Error, f.Severity);
            Assert.Equal(2, SingleFinding(S.VerifyProvenance("shared"), "BrokenChain").Seq);
        }

        [Fact]
        public void Edited_value_of_an_old_version_does_not_match_its_content_hash()
        {
            Put("k", "v1");
            Put("k", "v2");
            var path = S.ProvenancePath("shared", "k");
            File.WriteAllText(path, File.ReadAllText(path).Replace("value: v1\n", "value: x1\n"));
            var f = SingleFinding(S.Verify(), "TamperedValue");
            Assert.Equal(1, f.Seq);
        }

        [Fact]
        public void Consistent_truncation_passes_Verify_but_not_the_anchor()
        {
            Put("k", "v1");
            Put("k", "v2");
            Put("j", "other");
            var memoryPath = S.MemoryPath("shared", "k");
            var provPath = S.ProvenancePath("shared", "k");
            var memoryV2 = File.ReadAllBytes(memoryPath);
            var provLength = new FileInfo(provPath).Length;
            var indexDir = Path.Combine(S.Root, "_index", "shared");
            var indexV2 = Directory.GetFiles(indexDir).ToDictionary(p => p, File.ReadAllBytes); // derived from the memories: rolled back with them
            Put("k", "v3");
            var head = S.GetHead("shared");
            Assert.Equal(3, head.Entries.Single(e => e.Key == "k").Seq);
            AssertHealthy(S.VerifyAgainst(head));

            // Cut the last entry and put the memory file back to version 2: a consistent store without version 3.
            using (var fs = new FileStream(provPath, FileMode.Open, FileAccess.Write)) fs.SetLength(provLength);
            File.WriteAllBytes(memoryPath, memoryV2);
            foreach (var p in Directory.GetFiles(indexDir)) File.Delete(p);
            foreach (var kv in indexV2) File.WriteAllBytes(kv.Key, kv.Value);
            Assert.Equal("v2", S.Get("shared", "k").Value);
            AssertHealthy(S.Verify()); // the store alone cannot tell

            var f = SingleFinding(S.VerifyAgainst(head), "Truncated");
            Assert.Equal("k", f.Key);
            Assert.Equal(3, f.Seq);
            Assert.Equal(FindingSeverity.Error, f.Severity);
        }

        [Fact]
        public void Naive_truncation_is_caught_by_Verify_and_by_the_anchor()
        {
            Put("k", "v1");
            var provPath = S.ProvenancePath("shared", "k");
            var provLength = new FileInfo(provPath).Length;
            Put("k", "v2");
            var head = S.GetHead("shared");
            using (var fs = new FileStream(provPath, FileMode.Open, FileAccess.Write)) fs.SetLength(provLength);

            Assert.Contains(S.Verify().Findings, f => f.Kind == "HistoryMismatch" && f.Key == "k");
            Assert.False(S.VerifyAgainst(head).Healthy);
        }

        [Fact]
        public void Recomputed_chain_verifies_but_the_anchor_reports_the_rewrite()
        {
            Put("k", "v1");
            Put("k", "v2");
            Put("k", "v3");
            Put("j", "untouched");
            var head = S.GetHead("shared");
            var path = S.ProvenancePath("shared", "k");

            // Forge version 2 and recompute every hash after it, as anyone with write access could.
            var entries = History("k");
            entries[1].Value = "forged";
            entries[1].ContentHash = ValueCodec.ContentHash("forged");
            var sb = new StringBuilder();
            for (int i = 0; i < entries.Count; i++)
            {
                if (i > 0) entries[i].PrevHash = entries[i - 1].Hash;
                entries[i].Hash = entries[i].ComputeHash();
                sb.Append(ProvenanceLog.Serialize(entries[i], Encoding.UTF8.GetByteCount(sb.ToString())));
            }
            File.WriteAllText(path, sb.ToString());

            Assert.Equal("forged", S.GetVersion("shared", "k", 2).Value);
            AssertHealthy(S.Verify()); // that is the point: a chain alone proves nothing against its writer
            var f = SingleFinding(S.VerifyAgainst(head), "AnchorMismatch");
            Assert.Equal("k", f.Key);
            Assert.Equal(3, f.Seq);
            Assert.NotEqual(head.Digest, S.GetHead("shared").Digest);
        }

        [Fact]
        public void Deleted_history_is_missing_against_the_anchor()
        {
            Put("k", "v1");
            Put("j", "v1");
            var head = S.GetHead("shared");
            File.Delete(S.ProvenancePath("shared", "k"));
            var f = SingleFinding(S.VerifyAgainst(head), "HistoryMissing");
            Assert.Equal("k", f.Key);
            Assert.Equal(1, f.Seq);
        }

        [Fact]
        public void Appends_after_the_head_are_fine_and_change_the_digest()
        {
            Put("k", "v1");
            Put("j", "v1");
            var head = S.GetHead("shared");
            Assert.Equal("shared", head.Namespace);
            Assert.Matches("^sha256:[0-9a-f]{64}$", head.Digest);
            Assert.Equal(head.Digest, S.GetHead("shared").Digest);
            Assert.Equal(new[] { "j", "k" }, head.Entries.Select(e => e.Key));
            Assert.Equal(History("k")[0].Hash, head.Entries[1].Hash);

            Put("k", "v2");
            S.Remove("shared", "j", "t");
            Put("new", "v1");
            S.Fork("shared", "b", null, "t");
            S.Set(new SetRequest("shared", "k", "on branch") { Branch = "b", Actor = "t" });

            Assert.NotEqual(head.Digest, S.GetHead("shared").Digest);
            AssertHealthy(S.VerifyAgainst(head));
            AssertHealthy(S.Verify());
            // The digest covers (key, seq, hash) only: a head rebuilt from its entries has the same digest.
            var copy = new ProvenanceHead(head.Namespace, DateTime.UtcNow, head.Entries.Reverse().ToList());
            Assert.Equal(head.Digest, copy.Digest);
        }

        [Fact]
        public void Anchor_survives_squashing_up_to_its_entry()
        {
            Put("k", "v1");
            Put("k", "v2");
            Put("k", "v3");
            var head = S.GetHead("shared");
            Put("k", "v4");
            Put("k", "v5");
            Put("k", "v6");
            S.SetRetention("shared", new RetentionPolicy(null, 3));
            S.Optimize();
            Assert.Equal(3, History("k")[0].Seq); // squashed exactly up to the anchored entry
            AssertHealthy(S.VerifyAgainst(head));

            // An anchor on an entry squashed away can no longer be checked: reported as information, not as damage.
            Put("k", "v7");
            S.Optimize();
            Assert.Equal(4, History("k")[0].Seq);
            var report = S.VerifyAgainst(head);
            AssertHealthy(report);
            var f = Assert.Single(report.Findings);
            Assert.Equal("AnchorSquashed", f.Kind);
            Assert.Equal(FindingSeverity.Information, f.Severity);
            Assert.Equal(3, f.Seq);
        }

        // ================================================================== time travel

        [Fact]
        public void AsOf_rebuilds_tracked_memories_across_delete_recreate_and_merge()
        {
            var t0 = Mark();
            Put("k", "v1");
            Put("untracked", "u", track: false);
            Put("s", "x", ns: "session");
            var t1 = Mark();
            Put("k", "v2");
            var t2 = Mark();
            S.Remove("shared", "k", "t");
            var t3 = Mark();
            Put("k", "v3");
            var t4 = Mark();
            S.Fork("shared", "b", null, "t");
            S.Set(new SetRequest("shared", "k", "from branch") { Branch = "b", Actor = "t" });
            var t5 = Mark();
            S.Merge("shared", "b", MergeStrategy.Theirs, "t");
            var t6 = Mark();

            MemoryRecord? At(DateTime t) => S.GetAsOf("shared", t).Memories.SingleOrDefault(m => m.Key == "k");

            Assert.Null(At(t0));
            Assert.Equal("v1", At(t1)!.Value);
            Assert.Equal(1, At(t1)!.Version);
            Assert.Equal("v2", At(t2)!.Value);
            Assert.Equal(2, At(t2)!.Version);
            Assert.Null(At(t3));
            Assert.Equal("v3", At(t4)!.Value);
            Assert.Equal(3, At(t4)!.Version);
            Assert.Equal("v3", At(t5)!.Value); // a branch write does not change main
            Assert.Equal("from branch", At(t6)!.Value);
            Assert.Equal(S.Get("shared", "k").Version, At(t6)!.Version);
            Assert.Equal(S.Get("shared", "k").Id, At(t6)!.Id);
            Assert.Equal("shared", At(t6)!.Namespace);

            foreach (var t in new[] { t0, t1, t2, t3, t4, t5, t6, DateTime.UtcNow })
            {
                var r = S.GetAsOf("shared", t);
                Assert.DoesNotContain(r.Memories, m => m.Key == "untracked");
                Assert.Empty(r.Unavailable);
            }
            Assert.Empty(S.GetAsOf("session", t6).Memories);
            Assert.Empty(S.GetAsOf("nothing", t6).Memories);
            Assert.Equal(new[] { "k" }, S.GetAsOf("shared", t6, k => k == "k").Memories.Select(m => m.Key));
            Assert.Empty(S.GetAsOf("shared", t6, k => k == "x").Memories);
        }

        [Fact]
        public void AsOf_reports_squashed_away_times_as_unavailable()
        {
            var t0 = Mark();
            Put("k", "w1");
            var t1 = Mark();
            Put("k", "w2");
            Put("k", "w3");
            var t3 = Mark();
            Put("k", "w4");
            var t4 = Mark();
            Put("k", "w5");
            Put("j", "stays");
            S.SetRetention("shared", new RetentionPolicy(null, 2));
            S.Optimize(actor: "janitor");
            Assert.Equal(new long[] { 3, 4, 5 }, History("k").Select(e => e.Seq));

            var r1 = S.GetAsOf("shared", t1);
            Assert.Equal(new[] { "k" }, r1.Unavailable);
            Assert.DoesNotContain(r1.Memories, m => m.Key == "k");

            // After the last squashed entry, before the first kept one: still unknown (its value was freed).
            var r3 = S.GetAsOf("shared", t3);
            Assert.Equal(new[] { "k" }, r3.Unavailable);
            Assert.DoesNotContain(r3.Memories, m => m.Key == "k");

            var r4 = S.GetAsOf("shared", t4);
            Assert.Empty(r4.Unavailable);
            Assert.Equal("w4", r4.Memories.Single(m => m.Key == "k").Value);

            // Before the memory existed it is simply absent.
            var r0 = S.GetAsOf("shared", t0);
            Assert.Empty(r0.Unavailable);
            Assert.Empty(r0.Memories);
        }

        [Fact]
        public void AsOf_around_a_kept_turning_point_between_two_squashed_runs()
        {
            var t0 = Mark();
            Put("k", "a1");
            var t1 = Mark();
            Put("k", "a2");
            var t2 = Mark();
            S.Fork("shared", "b", new[] { "k" }, "t"); // a 'forked' entry: a turning point retention keeps
            var t3 = Mark();
            Put("k", "a3");
            var t4 = Mark();
            Put("k", "a4");
            Put("k", "a5");
            var t5 = Mark();
            S.RemoveBranch("shared", "b");
            S.SetRetention("shared", new RetentionPolicy(null, 1));
            S.Optimize(actor: "janitor");
            var h = History("k");
            Assert.Equal(new[] { "squashed", "forked", "squashed", "revised" }, h.Select(e => e.Action));
            Assert.Equal(new long[] { 2, 3, 5, 6 }, h.Select(e => e.Seq));
            Assert.Equal(h[1].Hash, h[2].Details!["firstPrevHash"]);
            AssertHealthy(S.Verify());

            Assert.Empty(S.GetAsOf("shared", t0).Unavailable);
            Assert.Empty(S.GetAsOf("shared", t0).Memories);
            foreach (var t in new[] { t1, t2, t3, t4 })
            {
                var r = S.GetAsOf("shared", t);
                Assert.Equal(new[] { "k" }, r.Unavailable);
                Assert.Empty(r.Memories);
            }
            var now = S.GetAsOf("shared", t5);
            Assert.Empty(now.Unavailable);
            Assert.Equal("a5", Assert.Single(now.Memories).Value);
        }
    }
}
