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
    /// <summary>
    /// Cognitive provenance: derived memories pinned to source versions (Set with Action/DerivedFrom/Confidence), the
    /// derived-from index, connections, lineage walks up and down, the story view (Tree) and retention that keeps the
    /// turning points of a memory's story.
    /// </summary>
    public sealed class CognitionTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private EngramStore S => _t.Store;

        private SetResult Put(string ns, string key, object? value, string? action = null, string[]? from = null, double? confidence = null,
            string? reason = null, string actor = "tester", bool? track = null, string? branch = null) =>
            S.Set(new SetRequest(ns, key, value)
            {
                Action = action,
                DerivedFrom = from?.Select(MemoryRef.Parse).ToList(),
                Confidence = confidence,
                Reason = reason,
                Actor = actor,
                TrackProvenance = track,
                Branch = branch,
            });

        private static string Describe(StoreReport r) =>
            string.Join("\n", r.Findings.Select(f => $"{f.Severity} {f.Kind} {f.Namespace}/{f.Key}#{f.Seq}: {f.Message}"));

        private static void AssertHealthy(StoreReport r) => Assert.True(r.Healthy, "expected a healthy report, got:\n" + Describe(r));

        private static EngramMap[] Sources(ProvenanceEntry e) =>
            Assert.IsType<object?[]>(e.Details!["derivedFrom"]).Cast<EngramMap>().ToArray();

        private static string L(LineageLink l) =>
            $"{l.Direction} d{l.Depth} {l.Namespace}/{l.Key}@{l.Version} <- {l.SourceNamespace}/{l.SourceKey}@{l.SourceVersion}";

        /// <summary>obs1, obs2 (thinking, untracked) → insight (longterm) → plan (projects, untracked namespace).</summary>
        private void ThreeGenerations()
        {
            Put("thinking", "obs1", "the build is slow on Mondays");
            Put("thinking", "obs2", "Monday is when the cache is purged");
            Put("longterm", "insight", "cache purges slow the build", action: "synthesized", from: new[] { "thinking/obs1", "thinking/obs2" },
                confidence: 0.7, reason: "two observations agree", actor: "agent");
            Put("projects", "plan", "move the purge to Sunday", from: new[] { "longterm/insight" }, confidence: 0.9, reason: "act on it", actor: "agent");
        }

        // ------------------------------------------------------------------ derived writes

        [Fact]
        public void DerivedWrite_RecordsPinnedSourcesAndConfidence_AndIsTrackedInAnUntrackedNamespace()
        {
            ThreeGenerations();
            Assert.False(S.Config.IsTracked("projects"));
            Assert.True(S.HasProvenance("projects", "plan"));
            Assert.False(S.HasProvenance("thinking", "obs1")); // the sources themselves stay as they were

            var obs1 = S.Get("thinking", "obs1");
            var insight = Assert.Single(S.GetProvenance("longterm", "insight"));
            Assert.Equal("synthesized", insight.Action);
            Assert.Equal(0.7, insight.Details!["confidence"]);
            var sources = Sources(insight);
            Assert.Equal(2, sources.Length);
            Assert.Equal("thinking", sources[0]["namespace"]);
            Assert.Equal("obs1", sources[0]["key"]);
            Assert.Equal(1, Convert.ToInt32(sources[0]["version"], CultureInfo.InvariantCulture));
            Assert.Equal(obs1.Id, sources[0]["memoryId"]);
            Assert.Equal("obs2", sources[1]["key"]);
            Assert.False(sources[0].ContainsKey("branch"));

            var plan = Assert.Single(S.GetProvenance("projects", "plan"));
            Assert.Equal(ProvenanceActions.Created, plan.Action); // no -Action: created/revised as usual
            Assert.Equal(0.9, plan.Details!["confidence"]);
            Assert.Equal("longterm", Sources(plan)[0]["namespace"]);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void CognitiveWrite_IsNeverANoOp()
        {
            Put("longterm", "fact", "water is wet");
            var again = Put("longterm", "fact", "water is wet", action: "crystallized", confidence: 0.95);
            Assert.True(again.Changed);
            Assert.Equal(2, again.Memory.Version);
            Assert.Equal("crystallized", again.Entry!.Action);
            Assert.False(Put("longterm", "fact", "water is wet").Changed); // a plain write of the same value still is
        }

        [Fact]
        public void CognitiveWrite_WithTrackingForcedOff_IsRefused()
        {
            Throws(EngramErrorIds.ProvenanceRequired, () => Put("thinking", "x", 1, confidence: 0.5, track: false));
            Throws(EngramErrorIds.ProvenanceRequired, () => Put("thinking", "x", 1, action: "synthesized", track: false));
            Put("thinking", "src", 1);
            var mid = StoreSnapshot.Take(_t.Root);
            Throws(EngramErrorIds.ProvenanceRequired, () => Put("thinking", "x", 1, from: new[] { "thinking/src" }, track: false));
            StoreSnapshot.AssertSameFiles(mid, StoreSnapshot.Take(_t.Root), "after the refused write");
            Assert.Null(S.TryGet("thinking", "x"));
        }

        [Fact]
        public void WritesIndexLines_ToEachSourcesDerivedIndex()
        {
            ThreeGenerations();
            var idx = S.DerivedIndexPath("thinking", "obs1");
            Assert.Equal(Path.Combine(_t.Root, "_provenance", "_derived", "thinking", "obs1.idx"), idx);
            Assert.Equal("longterm\tinsight\t1\t1\t1\tmain\n", File.ReadAllText(idx));
            Assert.True(File.Exists(S.DerivedIndexPath("thinking", "obs2")));
            Assert.Equal("projects\tplan\t1\t1\t1\tmain\n", File.ReadAllText(S.DerivedIndexPath("longterm", "insight")));
            Assert.False(File.Exists(S.DerivedIndexPath("projects", "plan")));
            // The index folder is no namespace: Verify and listings ignore it.
            Assert.DoesNotContain("_derived", S.ListNamespaces());
            AssertHealthy(S.Verify());
        }

        [Theory]
        [InlineData(1.5)]
        [InlineData(-0.1)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        public void Confidence_OutOfRange_IsRefused(double confidence)
        {
            Put("longterm", "a", 1);
            var before = StoreSnapshot.Take(_t.Root);
            var ex = Assert.Throws<EngramException>(() => Put("longterm", "a", 2, confidence: confidence));
            Assert.Equal(EngramErrorKind.InvalidArgument, ex.Kind);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the refused write");
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(1.0)]
        public void Confidence_Bounds_AreAccepted_AndRoundTripAsDoubles(double confidence)
        {
            Put("longterm", "a", 1, confidence: confidence);
            var e = Assert.Single(S.GetProvenance("longterm", "a"));
            Assert.Equal(confidence, Assert.IsType<double>(e.Details!["confidence"]));
            Assert.Equal(confidence < EngramStore.LowConfidence, EngramStore.IsTurningPoint(e));
        }

        [Theory]
        [InlineData("Bad Action")]
        [InlineData("Revised")]
        [InlineData("")]
        [InlineData("deleted")]
        public void InvalidAction_IsRefused(string action)
        {
            Put("longterm", "a", 1);
            var before = StoreSnapshot.Take(_t.Root);
            Throws(EngramErrorIds.InvalidAction, () => Put("longterm", "a", 2, action: action));
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the refused write");
        }

        [Fact]
        public void MissingSource_OrMissingVersion_WritesNothing()
        {
            Put("thinking", "obs1", "a");
            Put("thinking", "tracked", "t1", track: true);
            Put("thinking", "tracked", "t2");
            Put("longterm", "insight", "i1");
            var before = StoreSnapshot.Take(_t.Root);

            Throws(EngramErrorIds.MemoryNotFound, () => Put("longterm", "insight", "i2", from: new[] { "thinking/nothing" }));
            Throws(EngramErrorIds.MemoryNotFound, () => Put("longterm", "new", "n", from: new[] { "thinking/obs1", "thinking/nothing@2" }));
            Throws(EngramErrorIds.VersionNotFound, () => Put("longterm", "insight", "i2", from: new[] { "thinking/obs1@2" }));   // untracked: only v1 known
            Throws(EngramErrorIds.VersionNotFound, () => Put("longterm", "insight", "i2", from: new[] { "thinking/tracked@7" })); // tracked: no such version
            Throws(EngramErrorIds.VersionNotFound, () => Put("projects", "fresh", "p", from: new[] { "thinking/obs1@3" }));      // would start a history

            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the refused writes");
            Assert.Null(S.LeftOvers());
        }

        [Fact]
        public void SourceRef_NamingAnOldVersionOfATrackedMemory_PinsThatVersion()
        {
            var v1 = Put("thinking", "obs", "first", track: true);
            Put("thinking", "obs", "second");
            Put("thinking", "obs", "third");
            var r = Put("longterm", "insight", "i", from: new[] { "thinking/obs@1", "thinking/obs" });
            var s = Sources(r.Entry!);
            Assert.Equal(1, Convert.ToInt32(s[0]["version"], CultureInfo.InvariantCulture));
            Assert.Equal(v1.Memory.Id, s[0]["memoryId"]);
            Assert.Equal(3, Convert.ToInt32(s[1]["version"], CultureInfo.InvariantCulture));
            // One index file, two lines (one per pinned source version).
            Assert.Equal("longterm\tinsight\t1\t1\t1\tmain\nlongterm\tinsight\t1\t3\t1\tmain\n", File.ReadAllText(S.DerivedIndexPath("thinking", "obs")));
        }

        // ------------------------------------------------------------------ lineage

        [Fact]
        public void Lineage_Up_FollowsThreeGenerationsAcrossNamespaces()
        {
            ThreeGenerations();
            var up = S.GetLineage("projects", "plan", 3, LineageDirection.Up);
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, up.Select(L).ToArray());
            Assert.Equal("created", up[0].Action);
            Assert.Equal(0.9, up[0].Confidence);
            Assert.Equal("act on it", up[0].Reason);
            Assert.Equal("synthesized", up[1].Action);
            Assert.Equal("agent", up[1].Actor);
            Assert.Equal(0.7, up[1].Confidence);
            Assert.Equal("two observations agree", up[1].Reason);

            // Depth cuts the walk.
            Assert.Equal(new[] { "Up d1 projects/plan@1 <- longterm/insight@1" }, S.GetLineage("projects", "plan", 1, LineageDirection.Up).Select(L).ToArray());
            // Nothing below the plan.
            Assert.Empty(S.GetLineage("projects", "plan", 3, LineageDirection.Down));
        }

        [Fact]
        public void Lineage_Down_FollowsTheIndex()
        {
            ThreeGenerations();
            var down = S.GetLineage("thinking", "obs1", 3, LineageDirection.Down);
            Assert.Equal(new[]
            {
                "Down d1 longterm/insight@1 <- thinking/obs1@1",
                "Down d2 projects/plan@1 <- longterm/insight@1",
            }, down.Select(L).ToArray());
            Assert.Equal("synthesized", down[0].Action);
            Assert.Equal(0.7, down[0].Confidence);
            Assert.Equal("agent", down[0].Actor);
            Assert.Equal(0.9, down[1].Confidence);
            Assert.Equal(new[] { "Down d1 longterm/insight@1 <- thinking/obs1@1" }, S.GetLineage("thinking", "obs1", 1, LineageDirection.Down).Select(L).ToArray());

            // Both: the middle generation sees its sources and its descendants.
            var both = S.GetLineage("longterm", "insight");
            Assert.Equal(new[]
            {
                "Up d1 longterm/insight@1 <- thinking/obs1@1",
                "Up d1 longterm/insight@1 <- thinking/obs2@1",
                "Down d1 projects/plan@1 <- longterm/insight@1",
            }, both.Select(L).ToArray());
        }

        [Fact]
        public void Lineage_OfAMissingMemory_IsNotFound()
        {
            ThreeGenerations();
            Throws(EngramErrorIds.MemoryNotFound, () => S.GetLineage("projects", "nothing"));
            // An untracked memory without sources or descendants has an empty lineage.
            Put("thinking", "lonely", 1);
            Assert.Empty(S.GetLineage("thinking", "lonely"));
        }

        [Fact]
        public void PinnedSources_SurviveLaterRevisionsOfTheSources()
        {
            ThreeGenerations();
            Put("thinking", "obs1", "the build is slow on Mondays and Tuesdays");
            Put("thinking", "obs1", "the build is slow early in the week");
            Assert.Equal(3, S.Get("thinking", "obs1").Version);
            // The insight is revised from the newest obs1: its v2 is derived from obs1 v3.
            Put("longterm", "insight", "purges and early-week load slow the build", action: "synthesized", from: new[] { "thinking/obs1" }, confidence: 0.6);

            var first = S.GetProvenance("longterm", "insight").First();
            Assert.Equal(1, Convert.ToInt32(Sources(first)[0]["version"], CultureInfo.InvariantCulture)); // the old entry still says v1

            // The plan was made from insight v1: walking up from it does not pick up insight v2's sources.
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, S.GetLineage("projects", "plan", 3, LineageDirection.Up).Select(L).ToArray());

            // From the insight itself (current version) both of its derivations show.
            Assert.Equal(new[]
            {
                "Up d1 longterm/insight@1 <- thinking/obs1@1",
                "Up d1 longterm/insight@1 <- thinking/obs2@1",
                "Up d1 longterm/insight@2 <- thinking/obs1@3",
            }, S.GetLineage("longterm", "insight", 3, LineageDirection.Up).Select(L).ToArray());

            // Down from obs1: both derivations, each with the source version it used.
            Assert.Equal(new[]
            {
                "Down d1 longterm/insight@1 <- thinking/obs1@1",
                "Down d2 projects/plan@1 <- longterm/insight@1",
                "Down d1 longterm/insight@2 <- thinking/obs1@3",
            }, S.GetLineage("thinking", "obs1", 3, LineageDirection.Down).Select(L).ToArray());
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Lineage_CutsCycles()
        {
            Put("longterm", "a", 1);
            Put("longterm", "b", 1, from: new[] { "longterm/a" });
            Put("longterm", "a", 2, from: new[] { "longterm/b" }); // a v2 from b v1 (from a v1)
            var up = S.GetLineage("longterm", "a", 10, LineageDirection.Up);
            Assert.Equal(new[] { "Up d1 longterm/a@2 <- longterm/b@1", "Up d2 longterm/b@1 <- longterm/a@1" }, up.Select(L).ToArray());
            var down = S.GetLineage("longterm", "a", 10, LineageDirection.Down);
            Assert.Equal(new[] { "Down d1 longterm/b@1 <- longterm/a@1", "Down d2 longterm/a@2 <- longterm/b@1" }, down.Select(L).ToArray());
        }

        [Fact]
        public void Lineage_OfAPinnedSource_FollowsItsOwnLine_NotABranchWithTheSameVersionNumber()
        {
            Put("thinking", "x", "x");
            Put("thinking", "y", "y");
            Put("longterm", "i", "i1");
            S.Fork("longterm", "alt", new[] { "i" }, "a", null);
            Put("longterm", "i", "i2 on alt", from: new[] { "thinking/x" }, branch: "alt"); // alt v2 (seq 3)
            Put("longterm", "i", "i2 on main", from: new[] { "thinking/y" });               // main v2 (seq 4)

            // A plan made from main's v2 comes from y only: the branch's v2 (from x) is another line.
            Put("projects", "p", "p", from: new[] { "longterm/i" });
            Assert.Equal(new[] { "Up d1 projects/p@1 <- longterm/i@2", "Up d2 longterm/i@2 <- thinking/y@1" },
                S.GetLineage("projects", "p", 3, LineageDirection.Up).Select(L).ToArray());

            // A plan made from the branch's v2 comes from x only; the source records its branch.
            var q = S.Set(new SetRequest("projects", "q", "q") { DerivedFrom = new[] { new MemoryRef("longterm", "i", null, "alt") } });
            Assert.Equal("alt", Sources(q.Entry!)[0]["branch"]);
            Assert.Equal(new[] { "Up d1 projects/q@1 <- longterm/i@2", "Up d2 longterm/i@2 <- thinking/x@1" },
                S.GetLineage("projects", "q", 3, LineageDirection.Up).Select(L).ToArray());

            // The memory itself shows every line.
            Assert.Equal(new[] { "Up d1 longterm/i@2 <- thinking/x@1", "Up d1 longterm/i@2 <- thinking/y@1" },
                S.GetLineage("longterm", "i", 3, LineageDirection.Up).Select(L).ToArray());

            // Once merged into main, the branch's work is part of main's line from the merged version on.
            S.Merge("longterm", "alt", MergeStrategy.Theirs, "a", null);
            Assert.Equal(3, S.Get("longterm", "i").Version);
            Put("projects", "r", "r", from: new[] { "longterm/i" });
            Assert.Equal(new[] { "Up d1 projects/r@1 <- longterm/i@3", "Up d2 longterm/i@2 <- thinking/x@1", "Up d2 longterm/i@2 <- thinking/y@1" },
                S.GetLineage("projects", "r", 3, LineageDirection.Up).Select(L).ToArray());
            // ... but not before it: p (from main v2) still has y only.
            Assert.Equal(new[] { "Up d1 projects/p@1 <- longterm/i@2", "Up d2 longterm/i@2 <- thinking/y@1" },
                S.GetLineage("projects", "p", 3, LineageDirection.Up).Select(L).ToArray());
        }

        // ------------------------------------------------------------------ atomicity of the index

        [Fact]
        public void DerivedIndex_RollsBackWithAFailedWrite()
        {
            Put("thinking", "obs1", "a");
            Put("longterm", "insight", "i1");
            var before = StoreSnapshot.Take(_t.Root);
            var steps = new List<string>();
            S.FaultHook = step => { steps.Add(step); if (step == "before-cleanup") throw new IOException("disk full"); };
            Assert.ThrowsAny<Exception>(() => Put("longterm", "insight", "i2", from: new[] { "thinking/obs1" }));
            S.FaultHook = null;
            Assert.Contains("applied-3", steps); // memory file, history, index: one transaction
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the failed derived write");
            Assert.Null(StoreSnapshot.DiffDirectories(before, StoreSnapshot.Take(_t.Root), "_txn", "_tmp"));
            Assert.False(File.Exists(S.DerivedIndexPath("thinking", "obs1")));
            Assert.Equal(1, S.Get("longterm", "insight").Version);
            AssertHealthy(S.Verify());

            // An index that exists already is cut back to its old length.
            Put("longterm", "insight", "i2", from: new[] { "thinking/obs1" });
            var idx = File.ReadAllBytes(S.DerivedIndexPath("thinking", "obs1"));
            var mid = StoreSnapshot.Take(_t.Root);
            S.FaultHook = step => { if (step == "applied-3") throw new IOException("disk full"); };
            Assert.ThrowsAny<Exception>(() => Put("projects", "plan", "p", from: new[] { "thinking/obs1", "longterm/insight" }));
            S.FaultHook = null;
            StoreSnapshot.AssertSameFiles(mid, StoreSnapshot.Take(_t.Root), "after the second failed derived write");
            Assert.Equal(idx, File.ReadAllBytes(S.DerivedIndexPath("thinking", "obs1")));
            Assert.Equal(new[] { "Down d1 longterm/insight@2 <- thinking/obs1@1" },
                S.GetLineage("thinking", "obs1", 3, LineageDirection.Down).Select(L).ToArray());
        }

        [Fact]
        public void DerivedWrite_OnABranch_IsIndexedAndMergesIntoTheStory()
        {
            Put("thinking", "obs1", "observation");
            Put("longterm", "insight", "i1", actor: "alice");
            S.Fork("longterm", "alt", new[] { "insight" }, "alice", "try another reading");
            Put("longterm", "insight", "i2", reason: "weak hunch", confidence: 0.2, from: new[] { "thinking/obs1" }, actor: "carol", branch: "alt");
            S.Merge("longterm", "alt", MergeStrategy.Fail, "alice", "take carol's idea");

            Assert.Equal("longterm\tinsight\t2\t1\t3\talt\n", File.ReadAllText(S.DerivedIndexPath("thinking", "obs1")));
            var up = S.GetLineage("longterm", "insight", 3, LineageDirection.Up);
            Assert.Equal(new[] { "Up d1 longterm/insight@2 <- thinking/obs1@1" }, up.Select(L).ToArray());
            Assert.Equal(0.2, up[0].Confidence);

            var entries = S.GetProvenance("longterm", "insight", null, includeValues: true, branch: "*").ToList();
            var now = DateTime.UtcNow;
            var tree = ProvenanceExporter.Tree(entries, TimeStyle.Relative, now);
            var lines = tree.Split('\n');
            int merged = Array.FindIndex(lines, l => l.Contains(": merged from alt"));
            Assert.True(merged >= 0, tree);
            Assert.StartsWith("└─ alice: merged from alt", lines[merged]);
            Assert.Contains("just now", lines[merged]);
            // Under the merge: its reason, then carol's branch change, compactly, with its confidence and source.
            var below = lines.Skip(merged + 1).ToList();
            int carol = below.FindIndex(l => l.Contains("carol: \"weak hunch\""));
            Assert.True(carol >= 0, tree);
            Assert.StartsWith("   ", below[carol]);
            var carolIndent = below[carol].IndexOf("carol", StringComparison.Ordinal);
            var subs = below.Skip(carol + 1).TakeWhile(l => l.Length > carolIndent && l.Substring(0, carolIndent).Trim().Length == 0).ToList();
            Assert.True(subs.Any(l => l.EndsWith("confidence 0.2", StringComparison.Ordinal)), tree);
            Assert.True(subs.Any(l => l.EndsWith("from thinking/obs1 (v1)", StringComparison.Ordinal)), tree);
            Assert.Contains("\"take carol's idea\"", tree);

            var absolute = ProvenanceExporter.Tree(entries, TimeStyle.Absolute, now);
            Assert.DoesNotContain("just now", absolute);
            Assert.Matches(@"\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\]", absolute);
            AssertHealthy(S.Verify());
        }

        // ------------------------------------------------------------------ connections

        [Fact]
        public void Connect_WritesOneEntryInEachHistory_ValuesUnchanged()
        {
            Put("longterm", "insight", "i1");
            Put("longterm", "insight", "i2");
            Put("projects", "plan", "p1", track: true);
            var insightBefore = S.Get("longterm", "insight");
            var planBefore = S.Get("projects", "plan");

            var (a, b) = S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("projects/plan"), "agent", "the plan rests on it");

            var insightAfter = S.Get("longterm", "insight");
            var planAfter = S.Get("projects", "plan");
            Assert.Equal(insightBefore.Version, insightAfter.Version);
            Assert.Equal(insightBefore.ContentHash, insightAfter.ContentHash);
            Assert.Equal(planBefore.Version, planAfter.Version);
            Assert.Equal(File.ReadAllText(S.MemoryPath("projects", "plan")), MemoryFile.Serialize(planBefore));

            var ia = S.GetProvenance("longterm", "insight").ToList();
            var pb = S.GetProvenance("projects", "plan").ToList();
            Assert.Equal(3, ia.Count);
            Assert.Equal(2, pb.Count);
            Assert.Equal(a.Hash, ia[2].Hash);
            Assert.Equal(b.Hash, pb[1].Hash);
            foreach (var (e, dir, other, otherVersion, otherId, ownVersion) in new[]
            {
                (ia[2], "to", "plan", 1, planBefore.Id, 2),
                (pb[1], "from", "insight", 2, insightBefore.Id, 1),
            })
            {
                Assert.Equal(EngramStore.ConnectedAction, e.Action);
                Assert.Equal("agent", e.Actor);
                Assert.Equal("the plan rests on it", e.Reason);
                Assert.Equal(ownVersion, e.Version);
                Assert.False(e.HasValue);
                Assert.Equal(dir, e.Details!["direction"]);
                var with = Assert.IsType<EngramMap>(e.Details["with"]);
                Assert.Equal(other, with["key"]);
                Assert.Equal(otherVersion, Convert.ToInt32(with["version"], CultureInfo.InvariantCulture));
                Assert.Equal(otherId, with["memoryId"]);
                Assert.True(EngramStore.IsTurningPoint(e));
            }
            Assert.Equal(ia[2].TimestampUtc, pb[1].TimestampUtc);
            AssertChain(ia, 1);
            AssertChain(pb, 1);
            AssertHealthy(S.Verify());

            // The story shows it.
            var tree = ProvenanceExporter.Tree(ia, TimeStyle.Absolute, DateTime.UtcNow);
            Assert.Contains("agent: connected to projects/plan (v1)", tree);
            // Later writes continue both chains.
            Put("projects", "plan", "p2");
            AssertChain(S.GetProvenance("projects", "plan").ToList(), 1);
        }

        [Fact]
        public void Connect_StartsAHistory_ForAnUntrackedMemory()
        {
            Put("thinking", "idea", "x");
            Put("longterm", "fact", "y");
            S.Connect(MemoryRef.Parse("thinking/idea"), MemoryRef.Parse("longterm/fact"), "agent", null);
            var e = Assert.Single(S.GetProvenance("thinking", "idea"));
            Assert.Equal("connected", e.Action);
            Assert.Equal(1, e.Seq);
            Assert.Null(e.Reason);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Connect_ToItself_OrToAMissingMemory_IsRefused()
        {
            Put("longterm", "insight", "i");
            var before = StoreSnapshot.Take(_t.Root);
            Throws(EngramErrorIds.InvalidKey, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("LongTerm/insight"), "a", null));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("longterm/nothing"), "a", null));
            Throws(EngramErrorIds.MemoryNotFound, () => S.Connect(MemoryRef.Parse("longterm/nothing"), MemoryRef.Parse("longterm/insight"), "a", null));
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the refused connections");
        }

        [Theory]
        [InlineData("applied-1")]
        [InlineData("applied-2")]
        [InlineData("committed")]
        [InlineData("before-cleanup")]
        public void Connect_IsAtomic(string failAt)
        {
            Put("longterm", "insight", "i");
            Put("projects", "plan", "p", track: true);
            var before = StoreSnapshot.Take(_t.Root);
            var insightProv = File.ReadAllBytes(S.ProvenancePath("longterm", "insight"));
            var planProv = File.ReadAllBytes(S.ProvenancePath("projects", "plan"));
            S.FaultHook = step => { if (step == failAt) throw new InvalidOperationException("injected at " + step); };
            Assert.ThrowsAny<Exception>(() => S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("projects/plan"), "a", "r"));
            S.FaultHook = null;
            Assert.Equal(insightProv, File.ReadAllBytes(S.ProvenancePath("longterm", "insight")));
            Assert.Equal(planProv, File.ReadAllBytes(S.ProvenancePath("projects", "plan")));
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(_t.Root), "after the failed connection");
            AssertHealthy(S.Verify());
            // The retry writes both.
            S.Connect(MemoryRef.Parse("longterm/insight"), MemoryRef.Parse("projects/plan"), "a", "r");
            Assert.Equal(2, S.GetProvenance("longterm", "insight").Count());
            Assert.Equal(2, S.GetProvenance("projects", "plan").Count());
        }

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

    internal static class CognitionTestExtensions
    {
        /// <summary>No transaction or temp file left behind (null when clean, else what is left).</summary>
        public static string? LeftOvers(this EngramStore s)
        {
            var left = new List<string>();
            foreach (var d in new[] { "_txn", "_tmp" })
            {
                var p = Path.Combine(s.Root, d);
                if (Directory.Exists(p) && Directory.EnumerateFileSystemEntries(p).Any()) left.Add(d);
            }
            return left.Count == 0 ? null : string.Join(", ", left);
        }
    }
}
