using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Cognitive provenance through PowerShell: Set-EngramMemory -Action/-DerivedFrom/-Confidence, Connect-EngramMemory,
    /// Get-EngramLineage, the story view of Export-EngramProvenance and retention that keeps turning points.
    /// </summary>
    public sealed class CognitionCmdletTests : CmdletTestBase
    {
        public CognitionCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        /// <summary>obs1, obs2 (thinking) → insight (longterm) → plan (projects).</summary>
        private const string ThreeGenerations = """
            Set-EngramMemory -Store $store thinking obs1 'slow on Mondays'
            Set-EngramMemory -Store $store thinking obs2 'cache purged on Mondays'
            Set-EngramMemory -Store $store longterm insight 'purges slow the build' -Action synthesized -DerivedFrom thinking/obs1, thinking/obs2 -Confidence 0.7 -Reason 'two observations agree' -Actor agent
            Set-EngramMemory -Store $store projects plan 'purge on Sunday' -DerivedFrom longterm/insight -Confidence 0.9 -Actor agent
            """;

        private static string Link(PSObject l) =>
            $"{Prop(l, "Direction")} d{Prop(l, "Depth")} {Prop(l, "Namespace")}/{Prop(l, "Key")}@{Prop(l, "Version")} <- " +
            $"{Prop(l, "SourceNamespace")}/{Prop(l, "SourceKey")}@{Prop(l, "SourceVersion")}";

        [Fact]
        public void Lineage_up_and_down_across_three_generations()
        {
            Ok(ThreeGenerations);

            EngramRunResult up = Ok("Get-EngramLineage -Store $store projects plan -Direction Up");
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, up.Output.Select(Link).ToArray());
            PSObject first = up.Output[0];
            Assert.Equal("Engram.LineageLink", first.TypeNames[0]);
            Assert.Equal(0.9, Unwrap(Prop(first, "Confidence")));
            Assert.Equal("agent", Prop(first, "Actor"));
            Assert.Equal("synthesized", Prop(up.Output[1], "Action"));
            Assert.Equal("two observations agree", Prop(up.Output[1], "Reason"));
            Assert.Equal(0.7, Unwrap(Prop(up.Output[1], "Confidence")));

            EngramRunResult down = Ok("Get-EngramLineage -Store $store thinking obs1 -Direction Down -Depth 5");
            Assert.Equal(new[]
            {
                "Down d1 longterm/insight@1 <- thinking/obs1@1",
                "Down d2 projects/plan@1 <- longterm/insight@1",
            }, down.Output.Select(Link).ToArray());
            Assert.All(down.Output, l => Assert.Equal("Engram.LineageLink", l.TypeNames[0]));

            Assert.Single(Ok("Get-EngramLineage -Store $store thinking obs1 -Direction Down -Depth 1").Output);
            // Pipes from a memory; Both is the default.
            Assert.Equal(3, Ok("Get-EngramMemory -Store $store longterm insight | Get-EngramLineage").Output.Count);

            // The derived write is tracked in an untracked namespace and records each source pinned.
            Assert.True(File.Exists(StorePath("_provenance", "projects", "plan.prov")));
            Assert.True(File.Exists(StorePath("_provenance", "_derived", "thinking", "obs1.idx")));
            Assert.Equal(1, Scalar("(Get-EngramProvenance -Store $store longterm insight).Details.derivedFrom[0].version"));
            Assert.Equal("obs2", Scalar("(Get-EngramProvenance -Store $store longterm insight).Details.derivedFrom[1].key"));
            Assert.Equal(0.7, Scalar("(Get-EngramProvenance -Store $store longterm insight).Details.confidence"));
        }

        [Fact]
        public void Pinned_sources_survive_later_revisions()
        {
            Ok(ThreeGenerations);
            Ok("""
                Set-EngramMemory -Store $store thinking obs1 'slow on Mondays and Tuesdays'
                Set-EngramMemory -Store $store thinking obs1 'slow early in the week'
                Set-EngramMemory -Store $store longterm insight 'purges and load' -Action synthesized -DerivedFrom thinking/obs1
                """);
            Assert.Equal(1, Scalar("(Get-EngramProvenance -Store $store longterm insight)[0].Details.derivedFrom[0].version"));
            Assert.Equal(3, Scalar("(Get-EngramProvenance -Store $store longterm insight)[1].Details.derivedFrom[0].version"));
            Assert.Equal(new[]
            {
                "Up d1 projects/plan@1 <- longterm/insight@1",
                "Up d2 longterm/insight@1 <- thinking/obs1@1",
                "Up d2 longterm/insight@1 <- thinking/obs2@1",
            }, Ok("Get-EngramLineage -Store $store projects plan -Direction Up").Output.Select(Link).ToArray());
        }

        [Fact]
        public void DerivedFrom_accepts_strings_memory_objects_and_hashtables()
        {
            Ok("""
                Set-EngramMemory -Store $store thinking a 'a1' -TrackProvenance
                Set-EngramMemory -Store $store thinking a 'a2'
                Set-EngramMemory -Store $store thinking b 'b1'
                Set-EngramMemory -Store $store thinking c 'c1'
                $b = Get-EngramMemory -Store $store thinking b
                Set-EngramMemory -Store $store longterm d 'derived' -DerivedFrom 'thinking/a@1', $b, @{ Namespace = 'thinking'; Key = 'c'; Version = 1 }
                """);
            EngramRunResult sources = Ok("(Get-EngramProvenance -Store $store longterm d).Details.derivedFrom | ForEach-Object { '{0}/{1}@{2}' -f $_.namespace, $_.key, $_.version }");
            Assert.Equal(new object?[] { "thinking/a@1", "thinking/b@1", "thinking/c@1" }, sources.BaseObjects);
            // A provenance entry (an old version) works as a source too, and a hashtable without a version pins the current one.
            Ok("""
                $old = Get-EngramProvenance -Store $store thinking a | Where-Object Version -eq 1
                Set-EngramMemory -Store $store longterm e 'derived' -DerivedFrom $old, @{ Namespace = 'thinking'; Key = 'a' }
                """);
            EngramRunResult e = Ok("(Get-EngramProvenance -Store $store longterm e).Details.derivedFrom | ForEach-Object { '{0}/{1}@{2}' -f $_.namespace, $_.key, $_.version }");
            Assert.Equal(new object?[] { "thinking/a@1", "thinking/a@2" }, e.BaseObjects);
        }

        [Fact]
        public void Missing_source_or_version_writes_nothing()
        {
            Ok("""
                Set-EngramMemory -Store $store thinking obs1 'a'
                Set-EngramMemory -Store $store longterm insight 'i1'
                """);
            var before = Snapshot();
            SingleError(Run("Set-EngramMemory -Store $store longterm insight 'i2' -DerivedFrom thinking/nothing"), "MemoryNotFound", ErrorCategory.ObjectNotFound);
            SingleError(Run("Set-EngramMemory -Store $store longterm insight 'i2' -DerivedFrom thinking/obs1@2"), "VersionNotFound", ErrorCategory.ObjectNotFound);
            SingleError(Run("Set-EngramMemory -Store $store projects new 'n' -DerivedFrom thinking/obs1, thinking/nothing@1"), "MemoryNotFound", ErrorCategory.ObjectNotFound);
            SingleError(Run("Set-EngramMemory -Store $store projects new 'n' -DerivedFrom 'not a ref'"), "InvalidKey", ErrorCategory.InvalidArgument);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Confidence_and_action_are_validated()
        {
            Ok("Set-EngramMemory -Store $store longterm insight 'i1'");
            var before = Snapshot();
            // The documented id (docs/errors.md), from the engine, not PowerShell's ParameterArgumentValidationError.
            SingleError(Run("Set-EngramMemory -Store $store longterm insight 'i2' -Confidence 1.5"), "InvalidConfidence", ErrorCategory.InvalidArgument);
            SingleError(Run("Set-EngramMemory -Store $store longterm insight 'i2' -Confidence -0.5"), "InvalidConfidence", ErrorCategory.InvalidArgument);
            SingleError(Run("Set-EngramMemory -Store $store longterm insight 'i2' -Action 'Bad Action'"), "InvalidAction", ErrorCategory.InvalidArgument);
            SingleError(Run("Set-EngramMemory -Store $store thinking x 1 -Confidence 0.5 -TrackProvenance:$false"), "ProvenanceRequired", ErrorCategory.InvalidOperation);
            AssertSameFiles(before, Snapshot());

            // Same value with an action: a new version all the same.
            Ok("Set-EngramMemory -Store $store longterm insight 'i1' -Action crystallized -Confidence 1");
            Assert.Equal(2, Scalar("(Get-EngramMemory -Store $store longterm insight).Version"));
            Assert.Equal("crystallized", Scalar("(Get-EngramProvenance -Store $store longterm insight -Last 1).Action"));
        }

        [Fact]
        public void Connect_writes_an_entry_in_both_histories_and_takes_a_piped_memory()
        {
            Ok("""
                Set-EngramMemory -Store $store longterm insight 'i1'
                Set-EngramMemory -Store $store longterm insight 'i2'
                Set-EngramMemory -Store $store projects plan 'p1'
                """);
            var planFile = File.ReadAllBytes(StorePath("projects", "plan.yaml"));
            var insightFile = File.ReadAllBytes(StorePath("longterm", "insight.yaml"));

            EngramRunResult r = Ok("Get-EngramMemory -Store $store longterm insight | Connect-EngramMemory -To projects/plan -Reason 'the plan rests on it' -Actor agent -PassThru");
            Assert.Equal(2, r.Output.Count);
            Assert.All(r.Output, e => Assert.Equal("Engram.ProvenanceEntry", e.TypeNames[0]));

            Assert.Equal(planFile, File.ReadAllBytes(StorePath("projects", "plan.yaml")));
            Assert.Equal(insightFile, File.ReadAllBytes(StorePath("longterm", "insight.yaml")));

            PSObject a = Single("Get-EngramProvenance -Store $store longterm insight -Last 1");
            PSObject b = Single("Get-EngramProvenance -Store $store projects plan -Last 1");
            Assert.Equal("connected", Prop(a, "Action"));
            Assert.Equal("connected", Prop(b, "Action"));
            Assert.Equal(3L, Prop(a, "Seq"));
            Assert.Equal(1L, Prop(b, "Seq"));
            Assert.Equal("agent", Prop(b, "Actor"));
            Assert.Equal("the plan rests on it", Prop(a, "Reason"));
            Assert.Equal("to", Scalar("(Get-EngramProvenance -Store $store longterm insight -Last 1).Details.direction"));
            Assert.Equal("from", Scalar("(Get-EngramProvenance -Store $store projects plan -Last 1).Details.direction"));
            Assert.Equal("plan", Scalar("(Get-EngramProvenance -Store $store longterm insight -Last 1).Details.with.key"));
            Assert.Equal(2, Scalar("(Get-EngramProvenance -Store $store projects plan -Last 1).Details.with.version"));
            Assert.Equal(2, Scalar("(Get-EngramMemory -Store $store longterm insight).Version"));
            Assert.True((bool)Scalar("(Test-EngramStore -Store $store).Healthy")!);

            // A memory cannot be connected to itself; nothing is written.
            var before = Snapshot();
            SingleError(Run("Connect-EngramMemory -Store $store longterm/insight longterm/insight"), "InvalidKey", ErrorCategory.InvalidArgument);
            SingleError(Run("Connect-EngramMemory -Store $store longterm/insight projects/nothing"), "MemoryNotFound", ErrorCategory.ObjectNotFound);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Tree_shows_merged_branch_work_with_its_confidence_and_sources()
        {
            Ok("""
                Set-EngramMemory -Store $store thinking obs1 'observation'
                Set-EngramMemory -Store $store longterm insight 'i1' -Actor alice
                New-EngramFork -Store $store longterm insight -Branch alt -Actor alice
                Set-EngramMemory -Store $store longterm insight 'i2' -Branch alt -Actor carol -Reason 'weak hunch' -Confidence 0.2 -DerivedFrom thinking/obs1
                Merge-EngramBranch -Store $store longterm -Branch alt -Actor alice
                """);
            string tree = (string)Scalar("Export-EngramProvenance -Store $store longterm insight -Format Tree -RelativeTime")!;
            string[] lines = tree.Split('\n');
            int merged = Array.FindIndex(lines, l => l.Contains(": merged from alt"));
            Assert.True(merged >= 0, tree);
            Assert.Contains("just now", lines[merged]);
            Assert.True(lines.Length > merged + 3, tree);
            Assert.Matches("^\\s+└─ carol: \"weak hunch\"$", lines[merged + 1]);
            Assert.EndsWith("confidence 0.2", lines[merged + 2]);
            Assert.EndsWith("from thinking/obs1 (v1)", lines[merged + 3]);
            Assert.True(lines[merged + 2].IndexOf('─') > lines[merged + 1].IndexOf('─'), tree); // nested under carol's line

            string absolute = (string)Scalar("Export-EngramProvenance -Store $store longterm insight -Format Tree")!;
            Assert.DoesNotContain("just now", absolute);
        }

        [Fact]
        public void Optimize_keeps_turning_points_and_the_store_verifies()
        {
            Ok("""
                Set-EngramMemory -Store $store projects other 'o' -TrackProvenance
                Set-EngramMemory -Store $store longterm m 'v1' -Actor alice
                Set-EngramMemory -Store $store longterm m 'v2' -Actor bob
                Set-EngramMemory -Store $store longterm m 'v3' -Action crystallized -Actor alice
                Set-EngramMemory -Store $store longterm m 'v4' -Actor alice
                Set-EngramMemory -Store $store longterm m 'v5' -Confidence 0.2 -Actor alice
                Set-EngramMemory -Store $store longterm m 'v6' -Actor bob
                Connect-EngramMemory -Store $store longterm/m projects/other -Actor alice
                Set-EngramMemory -Store $store longterm m 'v7' -Actor bob
                Set-EngramMemory -Store $store longterm m 'v8' -Actor bob
                Set-EngramMemory -Store $store longterm m 'v9' -Actor alice
                Set-EngramRetention -Store $store -Namespace longterm -MaxEntries 1
                """);
            EngramRunResult before = Ok("Get-EngramProvenance -Store $store longterm m");
            EngramRunResult report = Ok("Optimize-EngramProvenance -Store $store longterm -Confirm:$false");
            Assert.Equal(4, Prop(Assert.Single(report.Output), "EntriesRemoved"));

            EngramRunResult after = Ok("Get-EngramProvenance -Store $store longterm m");
            Assert.Equal(new object?[] { "squashed", "crystallized", "revised", "revised", "revised", "connected", "squashed", "revised" },
                after.Output.Select(e => Prop(e, "Action")).ToArray());
            // Turning points keep their hashes.
            foreach (var seq in new long[] { 3, 5, 7 })
                Assert.Equal(Prop(before.Output.Single(e => (long)Prop(e, "Seq")! == seq), "Hash"), Prop(after.Output.Single(e => (long)Prop(e, "Seq")! == seq), "Hash"));
            Assert.Equal(2L, Convert.ToInt64(Scalar("(Get-EngramProvenance -Store $store longterm m)[0].Details.count"), CultureInfo.InvariantCulture));
            Assert.Equal(2L, Convert.ToInt64(Scalar("(Get-EngramProvenance -Store $store longterm m)[6].Details.actors.bob"), CultureInfo.InvariantCulture));
            Assert.True((bool)Scalar("(Test-EngramStore -Store $store).Healthy")!);
        }
    }
}
