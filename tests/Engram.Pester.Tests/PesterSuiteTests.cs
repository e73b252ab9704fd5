using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using Engram.Host;
using Xunit;
using Xunit.Abstractions;

namespace Engram.Pester.Tests
{
    /// <summary>
    /// The Pester suite (tests/Engram.Pester/*.Tests.ps1) as xunit test cases, one per Pester <c>It</c>: discovery runs
    /// Pester's own discovery (Run.SkipRun) in the hosted engine and yields each test's id (file + its expanded path);
    /// the first case to execute runs the whole suite once (Invoke-Pester -PassThru, same engine) and every case
    /// reports its own result from that run, with Pester's error message and script stack trace when it failed.
    /// </summary>
    public sealed class PesterSuiteTests
    {
        private static readonly Lazy<IReadOnlyDictionary<string, PesterOutcome>> Results =
            new Lazy<IReadOnlyDictionary<string, PesterOutcome>>(RunSuite);

        public static IEnumerable<object[]> PesterTests() => Discover().Select(id => new object[] { new PesterTest(id) });

        [SkippableTheory]
        [MemberData(nameof(PesterTests))]
        public void It(PesterTest test)
        {
            IReadOnlyDictionary<string, PesterOutcome> results = Results.Value;
            Assert.True(results.TryGetValue(test.Id, out PesterOutcome? outcome),
                "Pester discovered '" + test + "' but its run did not report it. Reported: " + string.Join("; ", results.Keys.Take(20)));
            Skip.If(outcome!.Result == "Skipped", "skipped in Pester");
            Assert.True(outcome.Result == "Passed", "Pester: " + outcome.Result + Environment.NewLine + outcome.Message);
        }

        /// <summary>One failing It fails its own case only: a file whose tests ran is not a file Pester "could not run".</summary>
        [Fact]
        public void AFailingIt_FailsOnlyItsOwnCase()
        {
            string dir = Path.Combine(Path.GetTempPath(), "engram-pester-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "Sample.Tests.ps1"),
                    "Describe 'd' { It 'passes' { 1 | Should -Be 1 }; It 'fails' { 1 | Should -Be 2 } }");
                var results = Invoke(skipRun: false, suite: dir).ToDictionary(t => t.Id);
                Assert.Equal("Passed", results["Sample.Tests.ps1: d.passes"].Result);
                Assert.Equal("Failed", results["Sample.Tests.ps1: d.fails"].Result);
                Assert.Contains("Expected 2", results["Sample.Tests.ps1: d.fails"].Message);
            }
            finally { Directory.Delete(dir, recursive: true); }
        }

        private sealed record PesterOutcome(string Result, string Message);

        /// <summary>
        /// One Pester test's id. A type of its own rather than a string so the test case's name shows the whole id
        /// (xunit shortens string arguments to 50 characters), e.g. <c>It(test: Memories.Tests.ps1: Remove-EngramMemory.removes by wildcard)</c>.
        /// </summary>
        public sealed class PesterTest : IXunitSerializable
        {
            public PesterTest() => Id = string.Empty; // for the deserializer

            public PesterTest(string id) => Id = id;

            public string Id { get; private set; }

            public void Deserialize(IXunitSerializationInfo info) => Id = info.GetValue<string>(nameof(Id));

            public void Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Id), Id);

            public override string ToString() => Id;
        }

        // Same naming in discovery and run: "<file>: <Describe>.<Context>.<It>", each name with its <template>s filled from
        // its block's or test's -ForEach data (Pester itself expands them only while running); a repeated name gets
        // " #2", " #3"... in file order, so every It keeps its own case.
        private const string Script = @"
param([string] $PesterManifest, [string] $Suite, [bool] $SkipRun)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
function Expand([string] $Name, $Data) {
    if ($null -eq $Data) { return $Name }
    [regex]::Replace($Name, '<([^>]+)>', {
        param($m)
        $key = $m.Groups[1].Value
        if ($Data -is [System.Collections.IDictionary]) { if ($Data.Contains($key)) { return [string]$Data[$key] } }
        if ($key -eq '_') { return [string]$Data }
        $m.Value
    })
}
$config = New-PesterConfiguration
$config.Run.Path = $Suite
$config.Run.PassThru = $true
$config.Run.SkipRun = $SkipRun
$config.Output.Verbosity = 'None'
$result = Invoke-Pester -Configuration $config
# A file Pester could not run has its own error (it did not parse, or its top-level BeforeAll threw); a file whose
# tests ran and one failed is 'Failed' too, but without an error: that failure is its test's own case.
$broken = @($result.Containers | Where-Object { $_.Result -eq 'Failed' -and $_.ErrorRecord.Count -gt 0 })
if ($broken) {
    $failed = $broken | ForEach-Object { ""$($_.Item): $($_.ErrorRecord | Out-String)"" }
    throw ""Pester could not run some files: $failed""
}
$seen = @{}
foreach ($t in $result.Tests) {
    $parts = @(Expand $t.Name $t.Data)
    for ($b = $t.Block; $null -ne $b -and -not $b.IsRoot; $b = $b.Parent) { $parts = @(Expand $b.Name $b.Data) + $parts }
    $id = (Split-Path -Leaf $t.ScriptBlock.File) + ': ' + ($parts -join '.')
    if ($seen.ContainsKey($id)) { $seen[$id]++; $id = ""$id #$($seen[$id])"" } else { $seen[$id] = 1 }
    $message = ($t.ErrorRecord | ForEach-Object { ""$($_.Exception.Message)`n$($_.ScriptStackTrace)"" }) -join ""`n""
    [pscustomobject]@{ Id = $id; Result = [string]$t.Result; Message = [string]$message }
}";

        private static List<string> Discover() =>
            Invoke(skipRun: true).Select(o => o.Id).ToList();

        private static Dictionary<string, PesterOutcome> RunSuite() =>
            Invoke(skipRun: false).ToDictionary(o => o.Id, o => new PesterOutcome(o.Result, o.Message));

        private static List<(string Id, string Result, string Message)> Invoke(bool skipRun, string? suite = null)
        {
            string manifest = Metadata("PesterManifest");
            suite ??= Metadata("PesterSuite");
            if (!File.Exists(manifest)) throw new FileNotFoundException("Pester is not restored: " + manifest, manifest);

            // No module import here: each test file's BeforeAll dot-sources TestSetup.ps1, which imports out/Engram.
            using var session = new EngramSession(options: new EngramSessionOptions { ImportModule = false, Output = TextWriter.Null });
            EngramRunResult run = session.Invoke(ps => ps.AddScript(Script)
                .AddParameter("PesterManifest", manifest)
                .AddParameter("Suite", suite)
                .AddParameter("SkipRun", skipRun));
            if (run.HadTerminatingError)
            {
                throw new InvalidOperationException("Invoke-Pester failed: " + EngramSession.FormatError(run.TerminatingError!), run.Exception);
            }
            var tests = run.Output.Select(o => (
                Id: (string)o.Properties["Id"].Value,
                Result: (string)o.Properties["Result"].Value,
                Message: (string)o.Properties["Message"].Value)).ToList();
            if (tests.Count == 0) throw new InvalidOperationException("Pester found no test under " + suite);
            return tests;
        }

        private static string Metadata(string key) =>
            typeof(PesterSuiteTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
    }
}
