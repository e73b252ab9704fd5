using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// The provenance lifecycle through PowerShell: Update-EngramStore, Set-EngramRetention, Optimize-EngramProvenance,
    /// Get-EngramProvenance -Head, Test-EngramProvenance -Anchor, Get-EngramMemory -AsOf.
    /// </summary>
    public sealed class LifecycleCmdletTests : CmdletTestBase
    {
        public LifecycleCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        /// <summary>Copies the frozen sample tests/samples/<paramref name="name"/> into the (empty) test store folder.</summary>
        private void CopySampleIntoStore(string name)
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engram.PowerShell.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            var source = Path.Combine(dir!.FullName, "tests", "samples", name);
            Assert.True(File.Exists(Path.Combine(source, "engram.yaml")), $"sample '{source}' is missing");
            foreach (var d in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(Path.Combine(Store, Path.GetRelativePath(source, d)));
            foreach (var f in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
                File.Copy(f, Path.Combine(Store, Path.GetRelativePath(source, f)));
        }

        private static string Kinds(PSObject report) =>
            string.Join(",", ((System.Collections.IEnumerable)Unwrap(Prop(report, "Findings"))!).Cast<object>().Select(f => Prop(PSObject.AsPSObject(f), "Kind")));

        // ------------------------------------------------------------------ Update-EngramStore

        [Fact]
        public void Update_EngramStore_migrates_a_format1_copy_after_a_harmless_WhatIf()
        {
            CopySampleIntoStore("format-1");
            var before = Snapshot();

            // A format-1 store reads fine, but retention needs the upgrade.
            Assert.Equal("alt config", Scalar("(Get-EngramMemory -Store $store shared Config).Value"));
            SingleError(Run("Optimize-EngramProvenance -Store $store"), "StoreUpgradeRequired", ErrorCategory.InvalidOperation);
            SingleError(Run("Set-EngramRetention -Store $store -Namespace shared -MaxEntries 2"), "StoreUpgradeRequired", ErrorCategory.InvalidOperation);
            AssertSameFiles(before, Snapshot());

            PSObject plan = Single("Update-EngramStore -Store $store -WhatIf");
            Assert.Equal("Engram.UpgradeReport", plan.TypeNames[0]);
            Assert.Equal(1, Prop<int>(plan, "FromFormat"));
            Assert.Equal(2, Prop<int>(plan, "ToFormat"));
            Assert.False(Prop<bool>(plan, "Applied"));
            AssertSameFiles(before, Snapshot());

            PSObject done = Single("Update-EngramStore -Store $store");
            Assert.Equal(1, Prop<int>(done, "FromFormat"));
            Assert.Equal(2, Prop<int>(done, "ToFormat"));
            Assert.True(Prop<bool>(done, "Applied"));
            Assert.Equal(Store, Prop(done, "Store"));
            var after = Snapshot();
            Assert.Contains("\nformat: 2\n", File.ReadAllText(StorePath("engram.yaml")));
            Assert.Contains("retention:", File.ReadAllText(StorePath("engram.yaml")));
            Assert.Equal(new[] { "_lock" }, after.Keys.Except(before.Keys).ToArray());
            foreach (var kv in before.Where(kv => kv.Key != "engram.yaml"))
                Assert.True(kv.Value.AsSpan().SequenceEqual(after[kv.Key]), $"'{kv.Key}' changed");

            // Again: nothing to do.
            PSObject again = Single("Update-EngramStore -Store $store");
            Assert.Equal(2, Prop<int>(again, "FromFormat"));
            Assert.False(Prop<bool>(again, "Applied"));
            AssertSameFiles(after, Snapshot());

            Assert.True((bool)Scalar("(Test-EngramStore -Store $store).Healthy")!);
            Assert.Equal("merged twin", Scalar("(Get-EngramMemory -Store $store shared config).Value"));
            Assert.Equal("pending change", Scalar("(Get-EngramMemory -Store $store longterm facts -Branch pending).Value"));
        }

        // ------------------------------------------------------------------ retention

        [Fact]
        public void Set_retention_then_Optimize_WhatIf_then_apply_squashes_into_one_entry_shown_first()
        {
            Ok("""
                foreach ($i in 1..6) { Set-EngramMemory -Store $store x k "v$i" -TrackProvenance -Actor writer }
                Set-EngramMemory -Store $store x single 'once' -TrackProvenance
                """);

            PSObject info = Single("Set-EngramRetention -Store $store -Namespace x -MaxEntries 2 -PassThru");
            Assert.Equal("Engram.StoreInfo", info.TypeNames[0]);
            string yaml = File.ReadAllText(StorePath("engram.yaml"));
            Assert.Contains("retention:\n  default: forever\n  namespaces:\n    x: {maxEntries: 2}\n", yaml);

            var before = Snapshot();
            PSObject dry = Single("Optimize-EngramProvenance -Store $store -WhatIf -Actor janitor");
            Assert.Equal("Engram.OptimizeReport", dry.TypeNames[0]);
            Assert.Equal("x", Prop(dry, "Namespace"));
            Assert.Equal("{maxEntries: 2}", Prop(dry, "Retention"));
            Assert.False(Prop<bool>(dry, "Applied"));
            Assert.Equal(2, Prop<int>(dry, "HistoriesChecked"));
            Assert.Equal(1, Prop<int>(dry, "HistoriesSquashed"));
            Assert.Equal(4, Prop<int>(dry, "EntriesRemoved"));
            long wouldFree = Prop<long>(dry, "BytesFreed");
            Assert.True(wouldFree > 0);
            AssertSameFiles(before, Snapshot());

            PSObject real = Single("Optimize-EngramProvenance -Store $store -Namespace x -Actor janitor");
            Assert.True(Prop<bool>(real, "Applied"));
            Assert.Equal(wouldFree, Prop<long>(real, "BytesFreed"));
            Assert.Equal(4, Prop<int>(real, "EntriesRemoved"));

            EngramRunResult history = Ok("Get-EngramProvenance -Store $store x k");
            Assert.Equal(new object?[] { "squashed", "revised", "revised" }, history.Output.Select(e => Prop(e, "Action")).ToArray());
            Assert.Equal(new object?[] { 4L, 5L, 6L }, history.Output.Select(e => Prop(e, "Seq")).ToArray());
            PSObject squash = history.Output[0];
            Assert.Equal(2, Prop<int>(squash, "Schema"));
            Assert.Equal("janitor", Prop(squash, "Actor"));
            Assert.False(Prop<bool>(squash, "HasValue"));
            Assert.Equal(4L, Scalar("(Get-EngramProvenance -Store $store x k)[0].Details.count"));
            Assert.Equal(1L, Scalar("(Get-EngramProvenance -Store $store x k)[0].Details.firstSeq"));
            Assert.Equal(Prop(history.Output[1], "PrevHash"), Scalar("(Get-EngramProvenance -Store $store x k)[0].Details.lastHash"));
            Assert.Equal("v6", Scalar("(Get-EngramMemory -Store $store x k).Value"));
            Assert.Equal(new object?[] { "created" }, Ok("Get-EngramProvenance -Store $store x single").BaseObjects.Select(e => Prop(PSObject.AsPSObject(e!), "Action")).ToArray());

            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store x -Quiet"));
            Assert.Equal(true, Scalar("(Test-EngramStore -Store $store).Healthy"));

            // Nothing more to do.
            var after = Snapshot();
            PSObject again = Single("Optimize-EngramProvenance -Store $store -Namespace x");
            Assert.Equal(0, Prop<int>(again, "HistoriesSquashed"));
            Assert.Equal(0L, Prop<long>(again, "BytesFreed"));
            AssertSameFiles(after, Snapshot());
        }

        [Fact]
        public void Set_retention_refuses_a_call_without_limits_and_writes_the_store_default()
        {
            Ok("Initialize-EngramStore -Store $store | Out-Null");
            SingleError(Run("Set-EngramRetention -Store $store -Namespace x"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            Ok("Set-EngramRetention -Store $store -MaxAge ([TimeSpan]::FromDays(90)) -MaxEntries 1000 | Out-Null");
            Assert.Contains("  default: {maxAge: 90d, maxEntries: 1000}\n", File.ReadAllText(StorePath("engram.yaml")));
            var before = Snapshot();
            Ok("Set-EngramRetention -Store $store -Forever -WhatIf");
            AssertSameFiles(before, Snapshot());
            Ok("Set-EngramRetention -Store $store -Forever | Out-Null");
            Assert.Contains("  default: forever\n", File.ReadAllText(StorePath("engram.yaml")));
        }

        // ------------------------------------------------------------------ anchors

        [Fact]
        public void Head_is_an_anchor_that_detects_truncation()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store shared a 2
                Set-EngramMemory -Store $store shared b 'x'
                """);
            PSObject head = Single("$head = Get-EngramProvenance -Store $store -Namespace shared -Head; $head");
            Assert.Equal("Engram.ProvenanceHead", head.TypeNames[0]);
            Assert.Equal("shared", Prop(head, "Namespace"));
            Assert.Matches("^sha256:[0-9a-f]{64}$", Prop<string>(head, "Digest"));
            Assert.Equal(new object?[] { "a", "b" }, Ok("$head.Entries | ForEach-Object { $_.Key }").BaseObjects.ToArray());
            Assert.Equal(new object?[] { 2L, 1L }, Ok("$head.Entries | ForEach-Object { $_.Seq }").BaseObjects.ToArray());
            Assert.Equal(Prop(Ok("Get-EngramProvenance -Store $store shared a").Output.Last(), "Hash"), Scalar("$head.Entries[0].Hash"));
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Anchor $head -Quiet"));

            // Appends after the head are fine.
            Ok("""
                $mem = [System.IO.Path]::Combine($store, 'shared', 'a.yaml')
                $prov = [System.IO.Path]::Combine($store, '_provenance', 'shared', 'a.prov')
                $memBytes = [System.IO.File]::ReadAllBytes($mem)
                $provLength = [System.IO.FileInfo]::new($prov).Length
                Set-EngramMemory -Store $store shared a 3
                Set-EngramMemory -Store $store shared c 'new'
                $head = Get-EngramProvenance -Store $store shared -Head
                """);
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Anchor $head -Quiet"));

            // Cut entry 3 and put the memory file back to version 2: consistent, so only the anchor notices.
            Ok("""
                $fs = [System.IO.File]::Open($prov, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Write)
                try { $fs.SetLength($provLength) } finally { $fs.Dispose() }
                [System.IO.File]::WriteAllBytes($mem, $memBytes)
                """);
            Assert.Equal(2, Scalar("(Get-EngramMemory -Store $store shared a).Value"));
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Quiet"));
            Assert.Equal(false, Scalar("Test-EngramProvenance -Store $store shared -Anchor $head -Quiet"));

            PSObject report = Single("Test-EngramProvenance -Store $store shared -Anchor $head");
            Assert.Equal("Engram.StoreReport", report.TypeNames[0]);
            Assert.False(Prop<bool>(report, "Healthy"));
            Assert.Equal("Truncated", Kinds(report));
            Assert.Equal("a", Scalar("(Test-EngramProvenance -Store $store shared -Anchor $head).Findings[0].Key"));
            Assert.Equal(3L, Scalar("(Test-EngramProvenance -Store $store shared -Anchor $head).Findings[0].Seq"));
        }

        [Fact]
        public void Head_copied_into_a_pscustomobject_works_as_an_anchor_and_an_altered_digest_is_an_error()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store shared b 1
                Set-EngramMemory -Store $store shared b 2
                $head = Get-EngramProvenance -Store $store shared -Head
                $copy = [pscustomobject]@{
                    Namespace = $head.Namespace
                    Digest    = $head.Digest
                    Entries   = @($head.Entries | ForEach-Object { [pscustomobject]@{ Key = $_.Key; Seq = $_.Seq; Hash = $_.Hash } })
                }
                """);
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Anchor $copy -Quiet"));
            Assert.Equal("", Kinds(Single("Test-EngramProvenance -Store $store shared -Anchor $copy")));

            // Seq and Hash as strings (as after a text round trip) still work.
            Assert.Equal(true, Scalar("""
                $text = [pscustomobject]@{ Namespace = 'shared'; Digest = $head.Digest
                    Entries = @($head.Entries | ForEach-Object { [pscustomobject]@{ Key = $_.Key; Seq = [string]$_.Seq; Hash = $_.Hash } }) }
                Test-EngramProvenance -Store $store shared -Anchor $text -Quiet
                """));

            // The anchor itself altered: its digest no longer matches its entries.
            EngramRunResult badDigest = Run("""
                $bad = [pscustomobject]@{ Namespace = $copy.Namespace; Digest = 'sha256:' + ('0' * 64); Entries = $copy.Entries }
                Test-EngramProvenance -Store $store shared -Anchor $bad -Quiet
                """);
            SingleError(badDigest, "InvalidConfiguration", ErrorCategory.InvalidData);
            Assert.Empty(badDigest.Output);

            EngramRunResult badEntry = Run("""
                $entries = @($copy.Entries | ForEach-Object { [pscustomobject]@{ Key = $_.Key; Seq = $_.Seq - 1; Hash = $_.Hash } })
                $bad = [pscustomobject]@{ Namespace = $copy.Namespace; Digest = $copy.Digest; Entries = $entries }
                Test-EngramProvenance -Store $store shared -Anchor $bad
                """);
            SingleError(badEntry, "InvalidConfiguration", ErrorCategory.InvalidData);

            // An anchor of another namespace is refused.
            Ok("Set-EngramMemory -Store $store longterm l 1");
            SingleError(Run("Test-EngramProvenance -Store $store longterm -Anchor $copy -Quiet"), "InvalidConfiguration", ErrorCategory.InvalidArgument);

            // Deleting a history is caught through the copy too.
            Ok("[System.IO.File]::Delete([System.IO.Path]::Combine($store, '_provenance', 'shared', 'b.prov'))");
            Assert.Equal(false, Scalar("Test-EngramProvenance -Store $store shared -Anchor $copy -Quiet"));
            Assert.Equal("HistoryMissing", Kinds(Single("Test-EngramProvenance -Store $store shared -Anchor $copy")));
        }

        // ------------------------------------------------------------------ time travel

        [Fact]
        public void Get_EngramMemory_AsOf_shows_the_main_line_at_that_time()
        {
            var r = Ok("""
                $t0 = [DateTime]::UtcNow
                [System.Threading.Thread]::Sleep(5)
                Set-EngramMemory -Store $store shared k 'v1'
                Set-EngramMemory -Store $store shared other 'o1'
                Set-EngramMemory -Store $store shared plain 'p' -TrackProvenance:$false
                [System.Threading.Thread]::Sleep(5)
                $t1 = [DateTime]::UtcNow
                [System.Threading.Thread]::Sleep(5)
                Set-EngramMemory -Store $store shared k 'v2'
                Remove-EngramMemory -Store $store shared other
                [System.Threading.Thread]::Sleep(5)
                $t2 = [DateTime]::UtcNow
                """);

            EngramRunResult at1 = Ok("Get-EngramMemory -Store $store shared -AsOf $t1");
            Assert.Equal(new object?[] { "k", "other" }, at1.Output.Select(m => Prop(m, "Key")).ToArray());
            Assert.Equal(new object?[] { "v1", "o1" }, at1.Output.Select(m => Prop(m, "Value")).ToArray());
            Assert.Equal(1, Prop<int>(at1.Output[0], "Version"));

            // A local time means the same instant.
            Assert.Equal("v1", Scalar("(Get-EngramMemory -Store $store shared k -AsOf $t1.ToLocalTime()).Value"));
            Assert.Equal("v2", Scalar("(Get-EngramMemory -Store $store shared k -AsOf $t2).Value"));
            Assert.Equal(new object?[] { "k" }, Ok("Get-EngramMemory -Store $store shared -AsOf $t2").Output.Select(m => Prop(m, "Key")).ToArray());
            Assert.Empty(Ok("Get-EngramMemory -Store $store shared -AsOf $t0").Output);
            Assert.Equal(new object?[] { "k" }, Ok("Get-EngramMemory -Store $store shared k* -AsOf $t1").Output.Select(m => Prop(m, "Key")).ToArray());

            // Untracked namespaces: a warning, and only memories with provenance.
            Ok("Set-EngramMemory -Store $store session s 'x'");
            EngramRunResult session = Ok("Get-EngramMemory -Store $store session -AsOf $t2");
            Assert.Empty(session.Output);
            Assert.Single(session.Warnings);

            SingleError(Run("Get-EngramMemory -Store $store shared -AsOf $t1 -Branch b"), "InvalidConfiguration", ErrorCategory.InvalidArgument);

            // Squashed away: a warning that the state then is unknown.
            Ok("""
                Set-EngramMemory -Store $store shared k 'v3'
                Set-EngramRetention -Store $store -Namespace shared -MaxEntries 1 | Out-Null
                Optimize-EngramProvenance -Store $store -Namespace shared | Out-Null
                """);
            EngramRunResult squashed = Ok("Get-EngramMemory -Store $store shared k -AsOf $t1");
            Assert.Empty(squashed.Output);
            Assert.Contains(squashed.Warnings, w => w.Message.Contains("squashed by retention"));
        }
    }
}
