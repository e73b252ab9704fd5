using System;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>Compare-, Restore-, Export-EngramProvenance, the blame view and progress, through the hosted engine.</summary>
    public sealed class HistoryCmdletTests : CmdletTestBase
    {
        public HistoryCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        private void TwoVersions() => Ok(@"
            Set-EngramMemory -Store $store shared cfg ([pscustomobject]@{ port = 80; hosts = @('a','b'); db = @{ host = 'x' } }) -Actor alice -Reason init
            Set-EngramMemory -Store $store shared cfg ([pscustomobject]@{ port = 8080; hosts = @('a','c','d'); db = @{ host = 'x' }; tls = $true }) -Actor bob -Reason prod");

        [Fact]
        public void CompareEngramMemory_ListsStructuredChanges_BetweenTheLastTwoVersions_ByDefault()
        {
            TwoVersions();
            var changes = Ok("Compare-EngramMemory -Store $store shared cfg").Output;
            Assert.All(changes, c => Assert.Equal("Engram.MemoryChange", c.TypeNames[0]));
            Assert.Equal(new[] { "Modified port", "Modified hosts[1]", "Added hosts[2]", "Added tls" },
                changes.Select(c => $"{Prop(c, "Change")} {Prop(c, "Path")}").ToArray());
            var port = changes[0];
            Assert.Equal(80, Unwrap(Prop(port, "Before")));
            Assert.Equal(8080, Unwrap(Prop(port, "After")));
            Assert.Equal("main v1", Prop(port, "From"));
            Assert.Equal("main v2", Prop(port, "To"));
        }

        [Fact]
        public void CompareEngramMemory_AcrossBranches_AndExplicitVersions()
        {
            TwoVersions();
            Ok(@"New-EngramFork -Store $store shared -Branch alt | Out-Null
                 Set-EngramMemory -Store $store shared cfg 'replaced' -Branch alt");
            var across = Single("Compare-EngramMemory -Store $store shared cfg -ToBranch alt");
            Assert.Equal("(value)", Prop(across, "Path"));
            Assert.Equal("alt v3", Prop(across, "To"));
            Assert.Empty(Ok("Compare-EngramMemory -Store $store shared cfg -FromVersion 2 -ToVersion 2").Output);
            AssertErrorIds(Run("Compare-EngramMemory -Store $store shared cfg -FromVersion 9"), "VersionNotFound");
        }

        [Fact]
        public void RestoreEngramMemory_WritesTheOldValueAsANewVersion_FromThePipelineToo()
        {
            TwoVersions();
            var restored = Single("Restore-EngramMemory -Store $store shared cfg -Version 1 -Reason rollback -PassThru");
            Assert.Equal(3, Unwrap(Prop(restored, "Version")));
            Assert.Equal(80, Scalar("(Get-EngramMemory -Store $store shared cfg).Value.port"));
            var last = Single("Get-EngramProvenance -Store $store shared cfg -Last 1");
            Assert.Equal("restored", Prop(last, "Action"));
            Assert.Equal("rollback", Prop(last, "Reason"));

            // A provenance entry pipes into Restore by property name (Namespace, Key, Version, Store).
            Ok("Get-EngramProvenance -Store $store shared cfg | Where-Object Version -eq 2 | Restore-EngramMemory -Confirm:$false");
            Assert.Equal(8080, Scalar("(Get-EngramMemory -Store $store shared cfg).Value.port"));
            Assert.Equal(4, Scalar("(Get-EngramMemory -Store $store shared cfg).Version"));

            var before = Snapshot();
            Ok("Restore-EngramMemory -Store $store shared cfg -Version 1 -WhatIf");
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void GetEngramProvenance_Latest_IsABlameViewOfANamespace()
        {
            Ok(@"Set-EngramMemory -Store $store shared a 1 -Actor alice
                 Set-EngramMemory -Store $store shared a 2 -Actor bob
                 Set-EngramMemory -Store $store shared b 1 -Actor carol
                 Set-EngramMemory -Store $store shared c 1 -Actor dave -TrackProvenance:$false");
            var blame = Ok("Get-EngramProvenance -Store $store shared -Latest").Output;
            Assert.Equal(new[] { "a bob", "b carol" }, blame.Select(e => $"{Prop(e, "Key")} {Prop(e, "Actor")}").ToArray());
        }

        [Fact]
        public void ExportEngramProvenance_WritesEachFormat_ToThePipelineOrAFile()
        {
            TwoVersions();
            var tree = (string)Scalar("Export-EngramProvenance -Store $store shared cfg")!;
            Assert.Contains("├─ alice: created v1", tree);
            Assert.Contains("\"prod\"", tree);
            Assert.StartsWith("gitGraph", (string)Scalar("Export-EngramProvenance -Store $store shared cfg -Format Mermaid")!);

            var prov = JsonDocument.Parse((string)Scalar("Export-EngramProvenance -Store $store shared cfg -Format ProvJson")!).RootElement;
            Assert.Equal(2 + 1, prov.GetProperty("entity").EnumerateObject().Count()); // the memory and its two versions
            Assert.Equal(2, prov.GetProperty("activity").EnumerateObject().Count());
            Assert.Single(prov.GetProperty("wasDerivedFrom").EnumerateObject());

            var file = StorePath("..", "history.json");
            Ok($"Export-EngramProvenance -Store $store shared cfg -Format Json -Path '{file}'");
            var json = JsonDocument.Parse(System.IO.File.ReadAllText(file)).RootElement;
            Assert.Equal(2, json.GetArrayLength());
            SingleError(Run($"Export-EngramProvenance -Store $store shared cfg -Format Json -Path '{file}'"), "OutputFileExists", ErrorCategory.ResourceExists);
            Ok($"Export-EngramProvenance -Store $store shared cfg -Format Tree -Path '{file}' -Force");
            Assert.StartsWith("shared/cfg", System.IO.File.ReadAllText(file));
        }

        [Fact]
        public void LongOperations_ReportProgress()
        {
            Ok(@"1..5 | ForEach-Object { Set-EngramMemory -Store $store shared ""k$_"" $_ }
                 New-EngramFork -Store $store shared -Branch alt | Out-Null
                 1..5 | ForEach-Object { Set-EngramMemory -Store $store shared ""k$_"" ($_ * 10) -Branch alt }");
            var merge = Ok("Merge-EngramBranch -Store $store shared -Branch alt | Out-Null");
            Assert.Contains(merge.Progress, p => p.Activity.StartsWith("Merging shared@alt", StringComparison.Ordinal) && p.RecordType == ProgressRecordType.Completed);
            Assert.True(merge.Progress.Count(p => p.RecordType == ProgressRecordType.Processing) >= 4);
            var verify = Ok("Test-EngramStore -Store $store | Out-Null");
            Assert.Contains(verify.Progress, p => p.Activity == "Verifying Engram store");
        }
    }
}
