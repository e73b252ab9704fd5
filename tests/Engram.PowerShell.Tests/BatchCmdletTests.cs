using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Piped records commit in batches (Set-EngramMemory, Remove-EngramMemory): each record's output — its -PassThru
    /// object, its verbose line, its error — comes only after its batch committed, in input order; a bad record gets its
    /// own error and the others are written; -WhatIf and -ErrorAction Stop behave as for single writes.
    /// </summary>
    public sealed class BatchCmdletTests : CmdletTestBase
    {
        public BatchCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        /// <summary>What each record gave, in the order it came out: "ok:key:version", "error:id" or "verbose:text"
        /// (ShouldProcess's own "Performing the operation" lines, written as each record is buffered, are left out).</summary>
        private const string Tell = """
            | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { 'error:' + $_.FullyQualifiedErrorId.Split(',')[0] }
                elseif ($_ -is [System.Management.Automation.VerboseRecord]) { if (-not $_.Message.StartsWith('Performing the operation')) { 'verbose:' + $_.Message } }
                else { 'ok:' + $_.Key + ':' + $_.Version + ':seen' + $script:seen }
            }
            """;

        [Fact]
        public void Piped_records_are_reported_after_their_batch_committed_in_input_order_with_a_bad_record_in_place()
        {
            var result = Run("""
                $script:seen = -1
                $rows = @(
                    [pscustomobject]@{ Namespace = 'shared'; Key = 'a'; Value = 1 }
                    [pscustomobject]@{ Namespace = 'shared'; Key = "bad`nkey"; Value = 2 }
                    [pscustomobject]@{ Namespace = 'shared'; Key = 'b'; Value = 3 }
                    [pscustomobject]@{ Namespace = '_reserved'; Key = 'c'; Value = 4 }
                    [pscustomobject]@{ Namespace = 'shared'; Key = 'd'; Value = 5 }
                )
                $rows | Set-EngramMemory -Store $store -PassThru 2>&1 | ForEach-Object {
                    # What the store holds when the first output arrives: the whole batch is committed by then.
                    if ($script:seen -lt 0) { $script:seen = @(Get-EngramMemory -Store $store -Namespace shared).Count }
                    $_
                }
                """ + Tell);
            Assert.Null(result.Exception);
            Assert.Equal(new[] { "ok:a:1:seen3", "error:InvalidKey", "ok:b:1:seen3", "error:ReservedNamespace", "ok:d:1:seen3" },
                result.Output.Select(o => o.BaseObject.ToString()));
            Assert.Equal(new[] { "a", "b", "d" }, Ok("(Get-EngramMemory -Store $store -Namespace shared).Key").BaseObjects.Cast<string>());
        }

        [Fact]
        public void Verbose_lines_and_errors_keep_input_order_and_their_ids()
        {
            Ok("Set-EngramMemory -Store $store shared plan 'v1'");
            var result = Run("""
                $script:seen = 0
                @(
                    [pscustomobject]@{ Namespace = 'shared'; Key = 'plan'; Value = 'v1' }
                    [pscustomobject]@{ Namespace = 'shared'; Key = 'new'; Value = 'x' }
                ) | Set-EngramMemory -Store $store -ExpectedVersion 1 -Verbose 4>&1 2>&1
                """ + Tell);
            Assert.Null(result.Exception);
            Assert.Equal(new[] { "verbose:shared/plan already holds that value (version 1); nothing written.", "error:VersionConflict" },
                result.Output.Select(o => o.BaseObject.ToString()));
            var error = Run("[pscustomobject]@{ Namespace = 'shared'; Key = 'new'; Value = 'x' }, [pscustomobject]@{ Namespace = 'shared'; Key = 'n2'; Value = 'y' } | Set-EngramMemory -Store $store -ExpectedVersion 1")
                .AllErrors.Select(e => (e.FullyQualifiedErrorId.Split(',')[0], e.CategoryInfo.Category)).ToList();
            Assert.Equal(new[] { ("VersionConflict", ErrorCategory.InvalidOperation), ("VersionConflict", ErrorCategory.InvalidOperation) }, error);
        }

        [Fact]
        public void The_same_key_twice_in_one_pipeline_gives_versions_1_then_2()
        {
            var versions = Ok("'first', 'second', 'third' | Set-EngramMemory -Store $store shared k -PassThru | ForEach-Object Version").BaseObjects;
            Assert.Equal(new object[] { 1, 2, 3 }, versions);
            Assert.Equal(new object[] { "created", "revised", "revised" }, Ok("(Get-EngramProvenance -Store $store shared k).Action").BaseObjects);
            Assert.Equal("third", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
        }

        [Fact]
        public void WhatIf_on_a_pipeline_writes_nothing_and_says_what_each_record_would_do()
        {
            Ok("Set-EngramMemory -Store $store shared keep 1");
            var before = Snapshot();
            var result = Ok("1..3 | ForEach-Object { [pscustomobject]@{ Key = \"k$_\"; Value = $_ } } | Set-EngramMemory -Store $store -Namespace shared -WhatIf -PassThru");
            Assert.Empty(result.Output);
            Assert.Equal(3, result.HostText.Split('\n').Count(l => l.Contains("What if:", StringComparison.Ordinal) && l.Contains("Set memory", StringComparison.Ordinal)));
            AssertSameFiles(before, Snapshot());
            Ok("'keep' | ForEach-Object { [pscustomobject]@{ Namespace = 'shared'; Key = $_ } } | Remove-EngramMemory -Store $store -WhatIf");
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void ErrorAction_Stop_writes_each_record_on_its_own_and_nothing_after_the_first_error()
        {
            var result = Run("""
                @(
                    [pscustomobject]@{ Key = 'a'; Value = 1 }
                    [pscustomobject]@{ Key = "bad`nkey"; Value = 2 }
                    [pscustomobject]@{ Key = 'c'; Value = 3 }
                ) | Set-EngramMemory -Store $store -Namespace shared -ErrorAction Stop
                """);
            Assert.NotNull(result.Exception);
            Assert.Equal(new[] { "a" }, Ok("(Get-EngramMemory -Store $store -Namespace shared).Key").BaseObjects.Cast<string>());
        }

        [Fact]
        public void A_batch_waits_at_most_250_ms_for_more_records_checked_when_a_record_arrives()
        {
            // The second record arrives 300 ms after the first: the batch (both) commits then, before the third is sent.
            var counts = Ok("""
                Set-EngramMemory -Store $store shared zero 0
                $script:counts = @()
                & {
                    [pscustomobject]@{ Key = 'a'; Value = 1 }
                    $script:counts += @(Get-EngramMemory -Store $store -Namespace shared).Count
                    Start-Sleep -Milliseconds 300
                    [pscustomobject]@{ Key = 'b'; Value = 2 }
                    $script:counts += @(Get-EngramMemory -Store $store -Namespace shared).Count
                    [pscustomobject]@{ Key = 'c'; Value = 3 }
                } | Set-EngramMemory -Store $store -Namespace shared
                $script:counts
                @(Get-EngramMemory -Store $store -Namespace shared).Count
                """).BaseObjects;
            Assert.Equal(new object[] { 1, 3, 4 }, counts);
        }

        [Fact]
        public void Records_for_two_stores_in_one_pipeline_each_go_to_their_own_store()
        {
            var other = Path.Combine(Path.GetTempPath(), "engram-batch-" + Guid.NewGuid().ToString("N"));
            try
            {
                var vars = new System.Collections.Generic.Dictionary<string, object?> { ["other"] = other };
                Ok("Set-EngramMemory -Store $store shared a 1; Set-EngramMemory -Store $other shared b 2; Set-EngramMemory -Store $store shared c 3", vars);
                var keys = Ok("""
                    @(Get-EngramMemory -Store $store shared a; Get-EngramMemory -Store $other shared b; Get-EngramMemory -Store $store shared c) |
                        Set-EngramMemory -Namespace copies -PassThru | ForEach-Object { $_.Key }
                    """, vars).BaseObjects;
                Assert.Equal(new object[] { "a", "b", "c" }, keys);
                Assert.Equal(new object[] { "a", "c" }, Ok("(Get-EngramMemory -Store $store copies).Key", vars).BaseObjects);
                Assert.Equal(new object[] { "b" }, Ok("(Get-EngramMemory -Store $other copies).Key", vars).BaseObjects);
            }
            finally
            {
                if (Directory.Exists(other)) Directory.Delete(other, recursive: true);
            }
        }

        [Fact]
        public void Piped_removes_commit_in_a_batch_with_errors_in_place()
        {
            Ok("'a', 'b', 'c' | ForEach-Object { Set-EngramMemory -Store $store shared $_ 1 }");
            var result = Run("""
                'a', 'missing', 'b', 'a' | ForEach-Object { [pscustomobject]@{ Namespace = 'shared'; PSKey = $_ } } |
                    Remove-EngramMemory -Store $store -Verbose 4>&1 2>&1 |
                    ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { 'error:' + $_.FullyQualifiedErrorId.Split(',')[0] } elseif (-not "$_".StartsWith('Performing the operation')) { "$_" } }
                """);
            Assert.Null(result.Exception);
            Assert.Equal(new[] { "Removed shared/a; history kept (entry 2).", "error:MemoryNotFound", "Removed shared/b; history kept (entry 2).", "error:MemoryNotFound" },
                result.Output.Select(o => o.BaseObject.ToString()));
            Assert.Equal(new object[] { "c" }, Ok("(Get-EngramMemory -Store $store shared).Key").BaseObjects);
            Assert.Equal(new object[] { "created", "deleted" }, Ok("(Get-EngramProvenance -Store $store shared a).Action").BaseObjects);
        }
    }
}
