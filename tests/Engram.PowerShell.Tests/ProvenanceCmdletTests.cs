using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>Provenance through PowerShell: policy, Get-EngramProvenance, actors, restoring old versions.</summary>
    public sealed class ProvenanceCmdletTests : CmdletTestBase
    {
        public ProvenanceCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void Shared_and_longterm_are_tracked_by_default_session_is_not()
        {
            Ok("""
                Set-EngramMemory -Store $store shared s 1
                Set-EngramMemory -Store $store longterm l 1
                Set-EngramMemory -Store $store session x 1
                Set-EngramMemory -Store $store projects p 1
                """);

            Assert.True(File.Exists(StorePath("_provenance", "shared", "s.prov")));
            Assert.True(File.Exists(StorePath("_provenance", "longterm", "l.prov")));
            Assert.False(File.Exists(StorePath("_provenance", "session", "x.prov")));
            Assert.False(File.Exists(StorePath("_provenance", "projects", "p.prov")));
            Assert.True(File.Exists(StorePath("session", "x.yaml")));
        }

        [Fact]
        public void TrackProvenance_on_an_untracked_namespace_starts_a_history_that_stays()
        {
            Ok("""
                Set-EngramMemory -Store $store session k 'v1' -TrackProvenance -Reason 'start'
                Set-EngramMemory -Store $store session k 'v2'
                """);

            Assert.True(File.Exists(StorePath("_provenance", "session", "k.prov")));
            EngramRunResult history = Ok("Get-EngramProvenance -Store $store session k");
            Assert.Equal(new object?[] { "created", "revised" }, history.Output.Select(e => Prop(e, "Action")).ToArray());
            Assert.Equal("start", Prop(history.Output[0], "Reason"));
        }

        [Fact]
        public void TrackProvenance_false_on_a_tracked_memory_is_refused_and_changes_nothing()
        {
            Ok("Set-EngramMemory -Store $store shared k 'v1'");
            var before = Snapshot();

            EngramRunResult result = Run("Set-EngramMemory -Store $store shared k 'v2' -TrackProvenance:$false; 'after'");

            SingleError(result, "ProvenanceRequired", ErrorCategory.InvalidOperation);
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            AssertSameFiles(before, Snapshot());
            Assert.Equal("v1", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
        }

        [Fact]
        public void TrackProvenance_false_on_a_new_memory_in_a_tracked_namespace_writes_it_untracked()
        {
            Ok("Set-EngramMemory -Store $store shared k 'v1' -TrackProvenance:$false");

            Assert.True(File.Exists(StorePath("shared", "k.yaml")));
            Assert.False(File.Exists(StorePath("_provenance", "shared", "k.prov")));
            SingleError(Run("Get-EngramProvenance -Store $store shared k"), "NoProvenance", ErrorCategory.ObjectNotFound);
        }

        [Fact]
        public void Writing_the_same_value_again_makes_no_new_version_and_no_entry()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k @{ a = 1; b = @(1, 2) } -Tag t
                Set-EngramMemory -Store $store shared k @{ b = @(1, 2); a = 1 }
                """);
            var before = Snapshot();

            PSObject again = Single("Set-EngramMemory -Store $store shared k @{ a = 1; b = @(1, 2) } -PassThru");

            Assert.Equal(1, Prop(again, "Version"));
            AssertSameFiles(before, Snapshot());
            Assert.Single(Ok("Get-EngramProvenance -Store $store shared k").Output);

            // A different tag set is a change.
            Assert.Equal(2, Prop(Single("Set-EngramMemory -Store $store shared k @{ a = 1; b = @(1, 2) } -Tag u -PassThru"), "Version"));
        }

        [Fact]
        public void History_is_oldest_first_with_actions_reasons_actors_and_each_version_value()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'one' -Reason 'first' -Actor alice
                Set-EngramMemory -Store $store shared k 2 -Reason 'second' -Actor bob
                Set-EngramMemory -Store $store shared k @{ three = 3 } -Actor carol
                Remove-EngramMemory -Store $store shared k -Reason 'gone' -Actor dave
                """);

            EngramRunResult history = Ok("Get-EngramProvenance -Store $store -Namespace shared -Key k");

            Assert.All(history.Output, e => Assert.Equal("Engram.ProvenanceEntry", e.TypeNames[0]));
            Assert.Equal(new object?[] { 1L, 2L, 3L, 4L }, history.Output.Select(e => Prop(e, "Seq")).ToArray());
            Assert.Equal(new object?[] { "created", "revised", "revised", "deleted" }, history.Output.Select(e => Prop(e, "Action")).ToArray());
            Assert.Equal(new object?[] { "alice", "bob", "carol", "dave" }, history.Output.Select(e => Prop(e, "Actor")).ToArray());
            Assert.Equal(new object?[] { "first", "second", null, "gone" }, history.Output.Select(e => Prop(e, "Reason")).ToArray());
            Assert.Equal(new object?[] { 1, 2, 3, 3 }, history.Output.Select(e => Prop(e, "Version")).ToArray());
            Assert.Equal("one", Prop(history.Output[0], "Value"));
            Assert.Equal(2, Prop(history.Output[1], "Value"));
            Assert.Equal(3, Assert.IsType<System.Collections.Hashtable>(Prop(history.Output[2], "Value"))["three"]);
            Assert.False((bool)Prop(history.Output[3], "HasValue")!);
            Assert.All(history.Output, e => Assert.Equal("main", Prop(e, "Branch")));
            Assert.Single(history.Output.Select(e => Prop(e, "MemoryId")).Distinct());
            // The hash chain is visible: each entry links to the previous one.
            Assert.Null(Prop(history.Output[0], "PrevHash"));
            for (int i = 1; i < 4; i++) Assert.Equal(Prop(history.Output[i - 1], "Hash"), Prop(history.Output[i], "PrevHash"));
            var times = history.Output.Select(e => Prop<DateTime>(e, "Timestamp")).ToList();
            Assert.Equal(times.OrderBy(t => t), times);
        }

        [Fact]
        public void Last_returns_only_the_newest_entries_still_oldest_first()
        {
            Ok("foreach ($i in 1..5) { Set-EngramMemory -Store $store shared k $i }");

            EngramRunResult last = Ok("Get-EngramProvenance -Store $store shared k -Last 2");

            Assert.Equal(new object?[] { 4L, 5L }, last.Output.Select(e => Prop(e, "Seq")).ToArray());
            Assert.Equal(new object?[] { 4, 5 }, last.Output.Select(e => Prop(e, "Value")).ToArray());
            Assert.Equal(5, Ok("Get-EngramProvenance -Store $store shared k -Last 50").Output.Count);
            AssertErrorIds(Run("Get-EngramProvenance -Store $store shared k -Last 0"), "ParameterArgumentValidationError");
        }

        [Fact]
        public void An_untracked_memory_has_NoProvenance()
        {
            Ok("Set-EngramMemory -Store $store session k 1");

            EngramRunResult result = Run("Get-EngramProvenance -Store $store session k; 'after'");

            SingleError(result, "NoProvenance", ErrorCategory.ObjectNotFound);
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
        }

        [Fact]
        public void History_survives_Remove_and_a_later_Set_continues_it_with_the_same_MemoryId()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'v1'
                Remove-EngramMemory -Store $store shared k -Confirm:$false
                """);
            Assert.False(File.Exists(StorePath("shared", "k.yaml")));
            Assert.True(File.Exists(StorePath("_provenance", "shared", "k.prov")));
            AssertErrorIds(Run("Get-EngramMemory -Store $store shared k"), "MemoryNotFound");

            PSObject recreated = Single("Set-EngramMemory -Store $store shared k 'v2' -PassThru");
            EngramRunResult history = Ok("Get-EngramProvenance -Store $store shared k");

            Assert.Equal(new object?[] { "created", "deleted", "created" }, history.Output.Select(e => Prop(e, "Action")).ToArray());
            Assert.Equal(new object?[] { 1L, 2L, 3L }, history.Output.Select(e => Prop(e, "Seq")).ToArray());
            Assert.Single(history.Output.Select(e => Prop(e, "MemoryId")).Distinct());
            Assert.Equal(Prop(history.Output[0], "MemoryId"), Prop(recreated, "Id"));
            Assert.Equal(2, Prop(recreated, "Version"));
        }

        [Fact]
        public void Memories_pipe_into_Get_EngramProvenance()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store shared a 2
                Set-EngramMemory -Store $store shared b 1
                """);

            EngramRunResult history = Ok("Get-EngramMemory -Store $store shared | Get-EngramProvenance");

            Assert.Equal(new[] { "a#1", "a#2", "b#1" },
                history.Output.Select(e => Prop(e, "Key") + "#" + Prop(e, "Seq")).OrderBy(s => s, StringComparer.Ordinal));
            // Wildcard keys give every tracked memory's history, untracked ones are skipped silently.
            Ok("Set-EngramMemory -Store $store shared c 1 -TrackProvenance:$false");
            Assert.Equal(3, Ok("Get-EngramProvenance -Store $store shared *").Output.Count);
        }

        [Fact]
        public void An_old_entry_piped_to_Set_restores_its_value_as_a_new_version()
        {
            Ok("""
                Set-EngramMemory -Store $store shared cfg @{ port = 80 } -Tag web
                Set-EngramMemory -Store $store shared cfg @{ port = 8080 }
                """);

            PSObject restored = Single("""
                Get-EngramProvenance -Store $store shared cfg | Where-Object Seq -eq 1 |
                    Set-EngramMemory -Reason 'roll back' -PassThru
                """);

            Assert.Equal(3, Prop(restored, "Version"));
            Assert.Equal(80, Assert.IsType<System.Collections.Hashtable>(Prop(restored, "Value"))["port"]);
            Assert.Equal(new[] { "web" }, Strings(Prop(restored, "Tags")));
            EngramRunResult history = Ok("Get-EngramProvenance -Store $store shared cfg");
            Assert.Equal(3, history.Output.Count);
            Assert.Equal("revised", Prop(history.Output[2], "Action"));
            Assert.Equal("roll back", Prop(history.Output[2], "Reason"));
            Assert.Equal(Prop(history.Output[0], "ContentHash"), Prop(history.Output[2], "ContentHash"));
        }

        [Fact]
        public void Actor_parameter_is_recorded()
        {
            Ok("Set-EngramMemory -Store $store shared k 1 -Actor 'agent-7'");
            Assert.Equal("agent-7", Scalar("(Get-EngramProvenance -Store $store shared k).Actor"));
            Assert.Contains("actor: agent-7", File.ReadAllText(StorePath("_provenance", "shared", "k.prov")));
        }

        [Fact]
        public void Reading_a_memory_never_opens_its_history()
        {
            Ok("Set-EngramMemory -Store $store shared k 1");
            string prov = StorePath("_provenance", "shared", "k.prov");
            File.WriteAllText(prov, "garbage that is not YAML: [");

            EngramRunResult result = Run("(Get-EngramMemory -Store $store shared k).Value");

            AssertNoErrors(result);
            Assert.Equal(new object?[] { 1 }, result.BaseObjects);
            AssertErrorIds(Run("Get-EngramProvenance -Store $store shared k"), "MalformedProvenance");
        }
    }

    /// <summary>Defaults that come from the process environment ($env:ENGRAM_ACTOR, $env:ENGRAM_STORE).</summary>
    [Collection(ProcessStateCollection.Name)]
    public sealed class EnvironmentDefaultTests : CmdletTestBase
    {
        private const string ActorVariable = "ENGRAM_ACTOR";
        private readonly string? _originalActor = Environment.GetEnvironmentVariable(ActorVariable);

        public EnvironmentDefaultTests(PowerShellFixture fixture) : base(fixture) { }

        public override void Dispose()
        {
            Environment.SetEnvironmentVariable(ActorVariable, _originalActor);
            base.Dispose();
        }

        [Fact]
        public void Actor_defaults_to_ENGRAM_ACTOR_then_the_OS_user_name()
        {
            Ok("""
                $env:ENGRAM_ACTOR = 'from-env'
                Set-EngramMemory -Store $store shared k 1
                Set-EngramMemory -Store $store shared k 2 -Actor explicit
                $env:ENGRAM_ACTOR = $null
                Set-EngramMemory -Store $store shared k 3
                """);

            EngramRunResult actors = Ok("(Get-EngramProvenance -Store $store shared k).Actor");
            Assert.Equal(new object?[] { "from-env", "explicit", Environment.UserName }, actors.BaseObjects);
            Assert.Equal(Environment.UserName, Scalar("[Environment]::UserName"));
        }

        [Fact]
        public void Store_defaults_to_ENGRAM_STORE()
        {
            Ok("""
                $env:ENGRAM_STORE = $store
                Set-EngramMemory session k 'v'
                """);

            Assert.True(File.Exists(StorePath("session", "k.yaml")));
            Assert.Equal("v", Scalar("(Get-EngramMemory session k).Value"));
            Assert.Equal(Store, Scalar("(Get-EngramMemory session k).Store"));
        }
    }
}
