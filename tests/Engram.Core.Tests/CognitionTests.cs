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
    public sealed partial class CognitionTests : IDisposable
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
