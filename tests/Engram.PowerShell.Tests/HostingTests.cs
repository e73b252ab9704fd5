using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using Xunit.Sdk;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>The in-process host itself: module import, rendering, error capture, prompts, exit codes.</summary>
    public sealed class HostingTests : PowerShellTestBase
    {
        public HostingTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void ModuleLocator_finds_the_staged_module()
        {
            Assert.True(File.Exists(Fixture.ManifestPath), Fixture.ManifestPath);
            Assert.Equal(Path.Combine("out", "Engram", "Engram.psd1"),
                Path.GetRelativePath(ModuleLocator.FindRepositoryRoot()!, Fixture.ManifestPath));
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(Fixture.ManifestPath)!, "Engram.PowerShell.dll")));
        }

        [Fact]
        public void Import_Module_of_the_staged_manifest_succeeds()
        {
            using PowerShellTestSession bare = Fixture.CreateSession(importModule: false);
            Assert.Empty(bare.Run("Get-Module Engram").Output);

            EngramRunResult result = bare.Run("Import-Module $manifest -PassThru -ErrorAction Stop",
                new System.Collections.Generic.Dictionary<string, object?> { ["manifest"] = Fixture.ManifestPath });

            AssertNoErrors(result);
            var module = Assert.IsType<PSModuleInfo>(Assert.Single(result.Output).BaseObject);
            Assert.Equal("Engram", module.Name);
            Assert.Equal(Path.GetDirectoryName(Fixture.ManifestPath), module.ModuleBase);
        }

        [Fact]
        public void Get_Command_for_the_module_returns_without_error()
        {
            EngramRunResult loaded = Run("(Get-Module Engram).Name");
            Assert.Equal("Engram", Assert.Single(loaded.BaseObjects));

            EngramRunResult result = Run("Get-Command -Module Engram");
            AssertNoErrors(result);
            Assert.All(result.Output, c => Assert.Equal("Engram", ((CommandInfo)c.BaseObject).ModuleName));
        }

        [Fact]
        public void Test_ModuleManifest_passes()
        {
            EngramRunResult result = Run("Test-ModuleManifest -Path $manifest",
                new System.Collections.Generic.Dictionary<string, object?> { ["manifest"] = Fixture.ManifestPath });

            AssertNoErrors(result);
            var module = Assert.IsType<PSModuleInfo>(Assert.Single(result.Output).BaseObject);
            Assert.Equal("Engram", module.Name);
            Assert.Equal("Engram.PowerShell.dll", module.RootModule);
        }

        [Fact]
        public void The_hosted_engine_has_the_Utility_and_Management_commands()
        {
            EngramRunResult result = Run(
                "Set-EngramMemory -Store $store shared a 1; Set-EngramMemory -Store $store shared b 2; " +
                "$csv = Join-Path $testRoot 'm.csv'; " +
                "Get-EngramMemory -Store $store shared | Sort-Object Key -Descending | Select-Object Key, Value | Export-Csv $csv; " +
                "(Import-Csv $csv | ConvertTo-Json -Compress); (Get-Date).GetType().Name; " +
                "(Get-Command Get-ChildItem).ModuleName; (Get-Command Select-Object).ModuleName");

            AssertNoErrors(result);
            Assert.Equal(new object?[] { "[{\"Key\":\"b\",\"Value\":\"2\"},{\"Key\":\"a\",\"Value\":\"1\"}]", "DateTime",
                "Microsoft.PowerShell.Management", "Microsoft.PowerShell.Utility" }, result.BaseObjects);
        }

        [Fact]
        public void Out_Default_renders_through_the_host()
        {
            EngramRunResult result = Run("'hello' | Out-Default");

            AssertNoErrors(result);
            Assert.Empty(result.Output);
            Assert.Equal("hello", result.HostText.Trim());
        }

        [Fact]
        public void Format_views_render_as_plain_text_tables()
        {
            EngramRunResult result = Run("[pscustomobject]@{ Name = 'alpha'; Value = 42 }", outDefault: true);

            AssertNoErrors(result);
            string[] lines = result.HostText.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
            Assert.Equal(new[] { "Name  Value", "----  -----", "alpha    42" }, lines);
            Assert.DoesNotContain('\x1b', result.HostText); // the engine's green headers are stripped
        }

        [Fact]
        public void Terminating_error_is_captured_with_its_record_and_earlier_output()
        {
            EngramRunResult result = Run("1; throw 'boom'; 2");

            Assert.True(result.HadTerminatingError);
            Assert.False(result.Succeeded);
            Assert.IsAssignableFrom<RuntimeException>(result.Exception);
            Assert.Equal("boom", result.Exception!.Message);
            Assert.Equal("boom", result.TerminatingError!.FullyQualifiedErrorId);
            Assert.Equal(new object?[] { 1 }, result.BaseObjects);
            Assert.Equal(new[] { "boom" }, ErrorIds(result));
        }

        [Fact]
        public void Non_terminating_errors_land_in_Errors_and_the_script_goes_on()
        {
            EngramRunResult result = Run("Get-Command Get-NoSuchThing-Xyz; 'after'");

            Assert.False(result.HadTerminatingError);
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            AssertErrorIds(result, "CommandNotFoundException");
            Assert.Throws<XunitException>(() => AssertNoErrors(result));
        }

        [Fact]
        public void Parse_errors_are_terminating()
        {
            EngramRunResult result = Run("1 +");

            Assert.IsAssignableFrom<ParseException>(result.Exception);
            Assert.Equal(new[] { "ExpectedValueExpression" }, ErrorIds(result));
        }

        [Fact]
        public void Warnings_and_verbose_reach_the_streams_and_the_host_with_prefixes()
        {
            EngramRunResult result = Run(
                "function f { [CmdletBinding()] param() $PSCmdlet.WriteWarning('careful'); $PSCmdlet.WriteVerbose('detail') }; f -Verbose");

            AssertNoErrors(result);
            Assert.Equal("careful", Assert.Single(result.Warnings).Message);
            Assert.Equal("detail", Assert.Single(result.Verbose).Message);
            Assert.Contains("WARNING: careful", result.HostText);
            Assert.Contains("VERBOSE: detail", result.HostText);
        }

        [Fact]
        public void Progress_records_are_kept_by_the_host_ui()
        {
            EngramRunResult result = Run(
                "function p { [CmdletBinding()] param() $r = [System.Management.Automation.ProgressRecord]::new(7, 'Copying', 'file 1'); " +
                "$r.PercentComplete = 50; $PSCmdlet.WriteProgress($r) }; p");

            AssertNoErrors(result);
            ProgressRecord record = Assert.Single(PS.UI.ProgressRecords);
            Assert.Equal("Copying", record.Activity);
            Assert.Equal(50, record.PercentComplete);
            Assert.Single(result.Progress);
        }

        private const string ConfirmingFunction =
            "function c { [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param() if ($PSCmdlet.ShouldProcess('target')) { 'done' } }; ";

        [Fact]
        public void Confirmation_prompt_fails_clearly_in_a_non_interactive_host()
        {
            EngramRunResult prompted = Run(ConfirmingFunction + "c");
            Assert.Empty(prompted.Output);
            Assert.Contains("non-interactive", Assert.Single(prompted.AllErrors).Exception.Message);

            EngramRunResult confirmedOff = Run("c -Confirm:$false");
            AssertNoErrors(confirmedOff);
            Assert.Equal(new object?[] { "done" }, confirmedOff.BaseObjects);
        }

        [Fact]
        public void Confirmation_prompt_uses_scripted_answers()
        {
            PS.UI.ScriptedInput.Enqueue("N");
            PS.UI.ScriptedInput.Enqueue("Yes");

            EngramRunResult refused = Run(ConfirmingFunction + "c");
            EngramRunResult accepted = Run("c");

            AssertNoErrors(refused);
            Assert.Empty(refused.Output);
            AssertNoErrors(accepted);
            Assert.Equal(new object?[] { "done" }, accepted.BaseObjects);
        }

        [Fact]
        public void Session_state_persists_across_runs_and_variables_can_be_passed()
        {
            AssertNoErrors(Run("$answer = 41"));
            EngramRunResult result = Run("$answer + $extra", new System.Collections.Generic.Dictionary<string, object?> { ["extra"] = 1 });

            Assert.Equal(new object?[] { 42 }, result.BaseObjects);
        }

        [Fact]
        public void Each_session_gets_its_own_empty_store_directory()
        {
            using PowerShellTestSession other = Fixture.CreateSession();

            Assert.Equal(Store, Assert.Single(Run("$store").BaseObjects));
            Assert.True(Directory.Exists(Store));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Store));
            Assert.NotEqual(Store, other.Store);
            Assert.StartsWith(PS.Root, Store);
        }

        [Fact]
        public void Exit_reports_its_code()
        {
            Assert.Equal(3, Run("exit 3").ExitCode);
            Assert.Null(Run("'no exit'").ExitCode);
        }

        [Fact]
        public void RunFile_binds_arguments_like_pwsh_File_and_reports_exit_from_inside_the_script()
        {
            string script = Path.Combine(PS.Root, "args.ps1");
            File.WriteAllText(script,
                "param([string]$Name, [switch]$Loud, $Rest)\n" +
                "\"$Name|$Loud|$Rest|$([System.IO.Path]::GetFileName($PSCommandPath))\"\n" +
                "function leave { exit 4 }\n" +
                "if ($Rest -eq 'leave') { leave }\n");

            EngramRunResult result = PS.RunFile(script, "-Name", "bob's $x", "-Loud", "a b");
            AssertNoErrors(result);
            Assert.Equal(new object?[] { "bob's $x|True|a b|args.ps1" }, result.BaseObjects);
            Assert.Null(result.ExitCode);

            Assert.Equal(4, PS.RunFile(script, "-Name:n", "leave").ExitCode);
        }
    }
}
