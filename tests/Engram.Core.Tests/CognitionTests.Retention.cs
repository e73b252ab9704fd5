using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.History;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public sealed partial class CognitionTests : IDisposable
    {
        // ------------------------------------------------------------------ retention keeps the story

        /// <summary>
        /// seq: 1 created, 2 revised (bob), 3 crystallized, 4 revised, 5 revised, 6 revised (confidence 0.2),
        /// 7 revised, 8 connected, 9 revised, 10 revised, 11 revised (newest).
        /// </summary>
        private List<ProvenanceEntry> StoryHistory()
        {
            Put("projects", "other", "o", track: true);
            Put("longterm", "m", "v1", actor: "alice");
            Put("longterm", "m", "v2", actor: "bob");
            Put("longterm", "m", "v3", action: "crystallized", reason: "aaaa", actor: "alice");
            Put("longterm", "m", "v4", actor: "alice");
            Put("longterm", "m", "v5", actor: "bob");
            Put("longterm", "m", "v6", confidence: 0.2, reason: "not sure", actor: "alice");
            Put("longterm", "m", "v7", actor: "alice");
            S.Connect(MemoryRef.Parse("longterm/m"), MemoryRef.Parse("projects/other"), "alice", "related");
            Put("longterm", "m", "v8", actor: "bob");
            Put("longterm", "m", "v9", actor: "bob", confidence: 0.8); // confident: not a turning point
            Put("longterm", "m", "v10", actor: "alice");
            var all = S.GetProvenance("longterm", "m").ToList();
            Assert.Equal(new[] { "created", "revised", "crystallized", "revised", "revised", "revised", "revised", "connected", "revised", "revised", "revised" },
                all.Select(e => e.Action).ToArray());
            return all;
        }

        private static long Count(ProvenanceEntry e, string map, string name) =>
            Convert.ToInt64(((EngramMap)e.Details![map]!)[name], CultureInfo.InvariantCulture);

        private static long D(ProvenanceEntry e, string name) => Convert.ToInt64(e.Details![name], CultureInfo.InvariantCulture);

        [Fact]
        public void Optimize_KeepsTurningPoints_AndSquashesRunsBetweenThem()
        {
            var original = StoryHistory();
            S.SetRetention("longterm", new RetentionPolicy(null, 1));
            var report = Assert.Single(S.Optimize(ns => ns == "longterm", actor: "janitor"));
            Assert.Equal(1, report.HistoriesSquashed);
            Assert.Equal(6, report.EntriesRemoved);

            var after = S.GetProvenance("longterm", "m").ToList();
            Assert.Equal(new[] { "squashed", "crystallized", "squashed", "revised", "revised", "connected", "squashed", "revised" },
                after.Select(e => e.Action).ToArray());
            Assert.Equal(new long[] { 2, 3, 5, 6, 7, 8, 10, 11 }, after.Select(e => e.Seq).ToArray());

            // Turning points and the lone entry keep their original bytes' hashes.
            var bySeq = original.ToDictionary(e => e.Seq);
            foreach (var e in after.Where(e => e.Action != ProvenanceActions.Squashed))
            {
                Assert.Equal(bySeq[e.Seq].Hash, e.Hash);
                Assert.Equal(bySeq[e.Seq].PrevHash, e.PrevHash);
            }
            Assert.Equal(0.2, after[3].Details!["confidence"]); // low confidence: kept
            Assert.Equal("revised", after[4].Action);            // lone entry between two turning points: kept
            Assert.Equal(7, after[4].Seq);

            var sq1 = after[0];
            Assert.Equal(2, sq1.Schema);
            Assert.Equal("janitor", sq1.Actor);
            Assert.Equal(2, D(sq1, "count"));
            Assert.Equal(1, D(sq1, "firstSeq"));
            Assert.Equal(2, D(sq1, "lastSeq"));
            Assert.Null(sq1.Details!["firstPrevHash"]);
            Assert.Equal(bySeq[2].Hash, sq1.Details["lastHash"]);
            Assert.Equal(1, Count(sq1, "actions", "created"));
            Assert.Equal(1, Count(sq1, "actions", "revised"));
            Assert.Equal(1, Count(sq1, "actors", "alice"));
            Assert.Equal(1, Count(sq1, "actors", "bob"));

            var sq2 = after[2];
            Assert.Equal(2, D(sq2, "count"));
            Assert.Equal(4, D(sq2, "firstSeq"));
            Assert.Equal(5, D(sq2, "lastSeq"));
            Assert.Equal(bySeq[3].Hash, sq2.Details!["firstPrevHash"]);
            Assert.Equal(bySeq[5].Hash, sq2.Details["lastHash"]);
            Assert.Equal(2, Count(sq2, "actions", "revised"));
            Assert.Equal(new[] { "alice", "bob" }, ((EngramMap)sq2.Details["actors"]!).Keys.ToArray());

            var sq3 = after[6];
            Assert.Equal(2, D(sq3, "count"));
            Assert.Equal(9, D(sq3, "firstSeq"));
            Assert.Equal(10, D(sq3, "lastSeq"));
            Assert.Equal(2, Count(sq3, "actors", "bob"));
            Assert.Equal(bySeq[10].Hash, after[7].PrevHash);

            AssertHealthy(S.Verify());
            AssertHealthy(S.VerifyProvenance("longterm"));
            // Nothing is past retention twice: a second run changes nothing.
            var bytes = File.ReadAllBytes(S.ProvenancePath("longterm", "m"));
            S.Optimize(ns => ns == "longterm", actor: "janitor");
            Assert.Equal(bytes, File.ReadAllBytes(S.ProvenancePath("longterm", "m")));
        }

        [Fact]
        public void Optimize_ThenEditingAKeptTurningPoint_BreaksVerification()
        {
            StoryHistory();
            S.SetRetention("longterm", new RetentionPolicy(null, 1));
            S.Optimize(ns => ns == "longterm");
            AssertHealthy(S.Verify());

            var path = S.ProvenancePath("longterm", "m");
            var text = File.ReadAllText(path);
            Assert.Contains("reason: aaaa\n", text);
            File.WriteAllText(path, text.Replace("reason: aaaa\n", "reason: bbbb\n"), new UTF8Encoding(false));
            var report = S.Verify();
            var f = Assert.Single(report.Findings);
            Assert.Equal("BrokenChain", f.Kind);
            Assert.Equal(3, f.Seq);
            Assert.False(report.Healthy);
        }

        [Fact]
        public void Optimize_AgainAfterMoreWrites_ExtendsTheLastRun()
        {
            StoryHistory();
            S.SetRetention("longterm", new RetentionPolicy(null, 1));
            S.Optimize(ns => ns == "longterm");
            var first = S.GetProvenance("longterm", "m").ToList();
            Put("longterm", "m", "v11", actor: "carol");
            Put("longterm", "m", "v12", actor: "carol");
            var newest = S.GetProvenance("longterm", "m", 1).Single();

            var report = Assert.Single(S.Optimize(ns => ns == "longterm"));
            Assert.Equal(2, report.EntriesRemoved); // seq 11 and 12; the old squashed entry is folded in
            var after = S.GetProvenance("longterm", "m").ToList();
            Assert.Equal(new[] { "squashed", "crystallized", "squashed", "revised", "revised", "connected", "squashed", "revised" },
                after.Select(e => e.Action).ToArray());
            Assert.Equal(new long[] { 2, 3, 5, 6, 7, 8, 12, 13 }, after.Select(e => e.Seq).ToArray());
            // Everything up to the connection is as it was (a lone squashed entry is not re-squashed).
            for (int i = 0; i < 6; i++) Assert.Equal(first[i].Hash, after[i].Hash);

            var last = after[6];
            Assert.Equal(4, D(last, "count"));
            Assert.Equal(9, D(last, "firstSeq"));
            Assert.Equal(12, D(last, "lastSeq"));
            Assert.Equal(first[6].Details!["firstPrevHash"], last.Details!["firstPrevHash"]);
            Assert.Equal(first[6].Details!["from"], last.Details!["from"]);
            Assert.Equal(4, Count(last, "actions", "revised"));
            Assert.Equal(2, Count(last, "actors", "bob"));    // seq 9 and 10, from the earlier squash
            Assert.Equal(1, Count(last, "actors", "alice"));  // seq 11
            Assert.Equal(1, Count(last, "actors", "carol"));  // seq 12 (seq 13 is the newest: kept)
            Assert.Equal(newest.Hash, after[7].Hash);
            Assert.Equal(newest.PrevHash, last.Details["lastHash"]);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Optimize_KeepsSynthesizedRestoredMergedAndForkedEntries()
        {
            Put("thinking", "obs", "o");
            Put("longterm", "m", "v1");
            Put("longterm", "m", "v2");
            Put("longterm", "m", "v3", action: "synthesized", from: new[] { "thinking/obs" });
            Put("longterm", "m", "v4");
            Put("longterm", "m", "v5");
            S.Restore("longterm", "m", 1, "t", "back");
            Put("longterm", "m", "v7");
            Put("longterm", "m", "v8");
            S.SetRetention("longterm", new RetentionPolicy(null, 1));
            S.Optimize(ns => ns == "longterm");
            var after = S.GetProvenance("longterm", "m").ToList();
            Assert.Equal(new[] { "squashed", "synthesized", "squashed", "restored", "revised", "revised" }, after.Select(e => e.Action).ToArray());
            // The synthesized entry keeps its sources: lineage still walks up through it.
            Assert.Equal(new[] { "Up d1 longterm/m@3 <- thinking/obs@1" }, S.GetLineage("longterm", "m", 3, LineageDirection.Up).Select(L).ToArray());
            Assert.Equal(new[] { "Down d1 longterm/m@3 <- thinking/obs@1" }, S.GetLineage("thinking", "obs", 3, LineageDirection.Down).Select(L).ToArray());
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Optimize_KeepsDerivedEntries_SoLineageSurvivesRetention()
        {
            Put("thinking", "src", "s1", track: true);
            Put("longterm", "d", "d1", actor: "a");
            Put("longterm", "d", "d2", actor: "a", from: new[] { "thinking/src" }); // a plain, confident revision with a source
            Put("longterm", "d", "d3", actor: "a");
            Put("longterm", "d", "d4", actor: "a");
            Put("longterm", "d", "d5", actor: "a");
            S.SetRetention("longterm", new RetentionPolicy(null, 1));
            S.Optimize(ns => ns == "longterm");

            var after = S.GetProvenance("longterm", "d").ToList();
            Assert.Contains(after, e => e.Action == ProvenanceActions.Squashed);
            var derived = Assert.Single(after, e => e.Details != null && e.Details.ContainsKey("derivedFrom"));
            Assert.Equal(2, derived.Version);
            Assert.Contains(S.GetLineage("longterm", "d", 1, LineageDirection.Up),
                l => l.SourceNamespace == "thinking" && l.SourceKey == "src" && l.SourceVersion == 1 && l.Version == 2);
            Assert.Contains(S.GetLineage("thinking", "src", 1, LineageDirection.Down),
                l => l.Namespace == "longterm" && l.Key == "d" && l.Actor == "a" && l.Version == 2);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Connect_RefusesAVersionOrBranchItWouldNotLink()
        {
            Put("longterm", "a", "a1");
            Put("longterm", "a", "a2");
            Put("longterm", "b", "b1");
            var before = StoreSnapshot.Take(S.Root);
            var ex = Assert.Throws<EngramException>(() => S.Connect(MemoryRef.Parse("longterm/a@1"), MemoryRef.Parse("longterm/b")));
            Assert.Equal(EngramErrorIds.VersionNotFound, ex.ErrorId);
            Assert.Throws<EngramException>(() => S.Connect(new MemoryRef("longterm", "a", null, "alt"), MemoryRef.Parse("longterm/b")));
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(S.Root), "refused connect");
            S.Connect(MemoryRef.Parse("longterm/a@2"), MemoryRef.Parse("longterm/b")); // the current version is fine
        }

        [Fact]
        public void TurningPoints_AreTheDocumentedOnes()
        {
            Assert.Equal(new[] { "forked", "merged", "connected", "crystallized", "synthesized", "restored" }, EngramStore.TurningPointActions.ToArray());
            Assert.False(EngramStore.IsTurningPoint(new ProvenanceEntry { Action = "revised" }));
            Assert.True(EngramStore.IsTurningPoint(new ProvenanceEntry { Action = "revised", Details = new EngramMap { { "confidence", 0.49 } } }));
            Assert.False(EngramStore.IsTurningPoint(new ProvenanceEntry { Action = "revised", Details = new EngramMap { { "confidence", 0.5 } } }));
            Assert.True(EngramStore.IsTurningPoint(new ProvenanceEntry { Action = "revised", Details = new EngramMap { { "derivedFrom", Array.Empty<object?>() } } }));
        }
    }
}
