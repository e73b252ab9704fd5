using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>What scripts share with agents: Set-EngramMemory -ExpectedVersion, stale sources (Get-EngramMemory -Stale,
    /// Get-EngramLineage's Stale) and Invoke-EngramMemoryCommand (Claude's memory tool).</summary>
    public sealed class AgentCmdletTests : CmdletTestBase
    {
        public AgentCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void ExpectedVersion_RefusesAStaleWrite_WithVersionConflict_AndChangesNothing()
        {
            Ok("Set-EngramMemory -Store $store shared plan 'v1' -ExpectedVersion 0; Set-EngramMemory -Store $store shared plan 'v2' -ExpectedVersion 1");
            var before = Snapshot();
            var error = SingleError(Run("Set-EngramMemory -Store $store shared plan 'lost' -ExpectedVersion 1"), "VersionConflict", ErrorCategory.InvalidOperation);
            Assert.Contains("version 2", error.Exception.Message);
            AssertErrorIds(Run("Set-EngramMemory -Store $store shared other 'x' -ExpectedVersion 3"), "VersionConflict");
            AssertSameFiles(before, Snapshot());
            Assert.Equal("v2", Scalar("(Get-EngramMemory -Store $store shared plan).Value"));
            Assert.Equal(3, Scalar("(Set-EngramMemory -Store $store shared plan 'v3' -ExpectedVersion 2 -PassThru).Version"));
            Assert.NotEmpty(Run("Set-EngramMemory -Store $store shared plan 'x' -ExpectedVersion -1").AllErrors); // parameter validation
        }

        [Fact]
        public void Stale_ListsDerivedMemoriesWhoseSourcesChanged_AndLineageMarksThem()
        {
            Ok("""
               Set-EngramMemory -Store $store thinking obs1 'day 2'
               Set-EngramMemory -Store $store thinking obs2 'tuesdays'
               Set-EngramMemory -Store $store longterm insight 'email on day 2' -DerivedFrom thinking/obs1, thinking/obs2 -Action synthesized
               Set-EngramMemory -Store $store longterm fresh 'tuesdays' -DerivedFrom thinking/obs2
               """);
            Assert.Empty(Ok("Get-EngramMemory -Store $store -Stale").Output);
            Ok("Set-EngramMemory -Store $store thinking obs1 'day 3'");
            var stale = Assert.Single(Ok("Get-EngramMemory -Store $store -Stale").Output);
            Assert.Equal(("longterm", "insight"), (Prop(stale, "Namespace"), Prop(stale, "Key")));
            Assert.Equal("Engram.Memory", stale.TypeNames[0]);
            var source = Assert.Single((object[])Unwrap(Prop(stale, "StaleSources"))!);
            Assert.Equal("thinking/obs1@1 (now v2)", source.ToString());
            Assert.Empty(Ok("Get-EngramMemory -Store $store -Namespace thinking -Stale").Output);
            AssertErrorIds(Run("Get-EngramMemory -Store $store -Stale -Branch alt"), "InvalidConfiguration");

            var links = Ok("Get-EngramLineage -Store $store longterm insight -Direction Up").Output;
            var obs1 = links.Single(l => (string)Prop(l, "SourceKey")! == "obs1");
            var obs2 = links.Single(l => (string)Prop(l, "SourceKey")! == "obs2");
            Assert.Equal((true, (object?)2), (Unwrap(Prop(obs1, "Stale")), Unwrap(Prop(obs1, "SourceCurrentVersion"))));
            Assert.Equal(false, Unwrap(Prop(obs2, "Stale")));
            EngramRunResult table = Run("Get-EngramLineage -Store $store longterm insight -Direction Up", outDefault: true);
            AssertNoErrors(table);
            Assert.Contains("thinking/obs1 v1 (now v2)", table.HostText);
        }

        [Fact]
        public void InvokeEngramMemoryCommand_RunsTheToolsCommands_FromHashtablesObjectsAndParameters()
        {
            var created = Single("@{ command = 'create'; path = '/memories/projects/notes.md'; file_text = \"# Notes`nuser prefers tabs\" } | Invoke-EngramMemoryCommand -Store $store -Actor claude");
            Assert.Equal("File created successfully at: /memories/projects/notes.md", created.ToString());
            Assert.Equal("Engram.MemoryCommandResult", created.TypeNames[0]);
            Ok("[pscustomobject]@{ command = 'str_replace'; path = '/memories/projects/notes.md'; old_str = 'tabs'; new_str = 'spaces' } | Invoke-EngramMemoryCommand -Store $store -Actor claude");
            Ok("Invoke-EngramMemoryCommand -Store $store -Command insert -Path /memories/projects/notes.md -InsertLine 1 -InsertText '- 2026' -Actor claude -Reason 'date it'");
            Assert.Equal("Here's the content of /memories/projects/notes.md with line numbers:\n     1\t# Notes\n     2\t- 2026\n     3\tuser prefers spaces\n",
                Prop(Single("@{ command = 'view'; path = '/memories/projects/notes.md' } | Invoke-EngramMemoryCommand -Store $store"), "Text"));
            Assert.Equal("Here's the content of /memories/projects/notes.md with line numbers:\n     3\tuser prefers spaces\n",
                Prop(Single("@{ command = 'view'; path = '/memories/projects/notes.md'; view_range = @(3, -1) } | Invoke-EngramMemoryCommand -Store $store"), "Text"));

            var history = Ok("Get-EngramProvenance -Store $store projects notes.md").Output;
            Assert.Equal(new[] { "created", "revised", "revised" }, history.Select(e => (string)Prop(e, "Action")!).ToArray());
            Assert.All(history, e => Assert.Equal("claude", Prop(e, "Actor")));
            Assert.Equal("date it", Prop(history[2], "Reason"));

            var before = Snapshot();
            AssertErrorIds(Run("@{ command = 'view'; path = '/etc/passwd' } | Invoke-EngramMemoryCommand -Store $store"), "InvalidMemoryPath");
            AssertErrorIds(Run("@{ command = 'create'; path = '/memories/../x'; file_text = 'x' } | Invoke-EngramMemoryCommand -Store $store"), "InvalidMemoryPath");
            AssertErrorIds(Run("@{ command = 'str_replace'; path = '/memories/projects/notes.md'; old_str = 'nope' } | Invoke-EngramMemoryCommand -Store $store"), "MemoryCommandFailed");
            AssertErrorIds(Run("@{ command = 'delete'; path = '/memories/projects/missing' } | Invoke-EngramMemoryCommand -Store $store"), "MemoryNotFound");
            Assert.Empty(Ok("@{ command = 'delete'; path = '/memories/projects/notes.md' } | Invoke-EngramMemoryCommand -Store $store -WhatIf").Output);
            AssertSameFiles(before, Snapshot());

            Ok("@{ command = 'rename'; old_path = '/memories/projects/notes.md'; new_path = '/memories/longterm/notes.md' } | Invoke-EngramMemoryCommand -Store $store");
            Assert.Equal("renamed", Scalar("(Get-EngramProvenance -Store $store longterm notes.md).Action"));
            Ok("@{ command = 'delete'; path = '/memories/longterm/notes.md' } | Invoke-EngramMemoryCommand -Store $store");
            Assert.Empty(Ok("Get-EngramMemory -Store $store -Namespace projects, longterm").Output);
        }
    }
}
