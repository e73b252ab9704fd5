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
    /// <summary>Copy-EngramStore: file to file, file to SQLite and back, -WhatIf, refusals, relative paths, progress.</summary>
    public sealed class CopyStoreCmdletTests : CmdletTestBase
    {
        public CopyStoreCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        /// <summary>Tracked and untracked memories, a deleted one, a branch with a pending change: 3 memories, 2 histories, 1 branch.</summary>
        private void Fill()
        {
            Ok("""
                Set-EngramMemory -Store $store shared cfg 'v1' -Tags infra
                Set-EngramMemory -Store $store shared cfg @{ port = 8080; hosts = @('a', 'b') }
                Set-EngramMemory -Store $store shared gone 'soon gone'
                Remove-EngramMemory -Store $store shared gone -Confirm:$false
                Set-EngramMemory -Store $store session note 'untracked'
                Set-EngramMemory -Store $store projects plan 42
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared cfg 'on the branch' -Branch alt
                """);
        }

        private string Hashes(string store, string ns, string key) =>
            string.Join(",", Ok($"Get-EngramProvenance -Store '{store}' {ns} {key} -Branch '*'").Output.Select(e => Prop(e, "Hash")));

        private void AssertCopied(string destination)
        {
            Assert.True((bool)Scalar($"(Test-EngramStore -Store '{destination}').Healthy")!);
            Assert.Equal(8080, Scalar($"(Get-EngramMemory -Store '{destination}' shared cfg).Value.port"));
            Assert.Equal("infra", Scalar($"(Get-EngramMemory -Store '{destination}' shared cfg).Tags -join ','"));
            Assert.Equal(2, Scalar($"(Get-EngramMemory -Store '{destination}' shared cfg).Version"));
            Assert.Equal("untracked", Scalar($"(Get-EngramMemory -Store '{destination}' session note).Value"));
            Assert.Equal("on the branch", Scalar($"(Get-EngramMemory -Store '{destination}' shared cfg -Branch alt).Value"));
            Assert.Equal(Hashes(Store, "shared", "cfg"), Hashes(destination, "shared", "cfg"));
            Assert.Equal(Hashes(Store, "shared", "gone"), Hashes(destination, "shared", "gone"));
            Assert.Equal(Scalar("(Get-EngramProvenance -Store $store shared -Head).Digest"), Scalar($"(Get-EngramProvenance -Store '{destination}' shared -Head).Digest"));
        }

        [Fact]
        public void Copies_a_file_store_to_a_new_folder_and_the_copy_verifies()
        {
            Fill();
            string destination = Path.Combine(PS.Root, "copy");
            EngramRunResult result = Ok("Copy-EngramStore -Source $store -Destination ($testRoot + '/copy')");
            PSObject copy = Assert.Single(result.Output);
            Assert.Equal("Engram.StoreCopy", copy.TypeNames[0]);
            Assert.Equal(Store, Prop(copy, "Source"));
            Assert.Equal(destination, Prop(copy, "Destination"));
            Assert.Equal(destination, Prop(copy, "Store"));
            Assert.Equal("file", Prop(copy, "SourceBackend"));
            Assert.Equal("file", Prop(copy, "DestinationBackend"));
            Assert.Equal(3, Prop<int>(copy, "Memories"));
            Assert.Equal(2, Prop<int>(copy, "Histories"));
            Assert.Equal(6L, Prop<long>(copy, "Entries")); // cfg: created, revised, forked@alt, revised@alt; gone: created, deleted
            Assert.Equal(1, Prop<int>(copy, "Branches"));
            Assert.True(Prop<bool>(copy, "Healthy"));
            Assert.True(File.Exists(Path.Combine(destination, "engram.yaml")));
            AssertCopied(destination);

            Assert.Contains(result.Progress, p => p.Activity.StartsWith("Copying ", StringComparison.Ordinal) && p.RecordType == ProgressRecordType.Processing);
            Assert.Contains(result.Progress, p => p.Activity.StartsWith("Copying ", StringComparison.Ordinal) && p.RecordType == ProgressRecordType.Completed);
            Assert.Contains(result.Progress, p => p.Activity == "Verifying the copy");

            // The output pipes into other cmdlets, which then work on the copy.
            Assert.True((bool)Scalar("Copy-EngramStore $store ($testRoot + '/copy2') | Test-EngramStore -Quiet")!);
        }

        [Fact]
        public void Relative_paths_resolve_against_the_PowerShell_location()
        {
            Fill();
            PSObject copy = Single("$ExecutionContext.SessionState.Path.SetLocation($testRoot) | Out-Null; Copy-EngramStore store ./relative-copy");
            Assert.Equal(Path.Combine(PS.Root, "relative-copy"), Prop(copy, "Destination"));
            Assert.Equal(Store, Prop(copy, "Source"));
            Assert.True(File.Exists(Path.Combine(PS.Root, "relative-copy", "engram.yaml")));
            Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "relative-copy")));
        }

        [Fact]
        public void Copies_a_file_store_to_SQLite_and_back()
        {
            Fill();
            string database = Path.Combine(PS.Root, "copy.db");
            PSObject copy = Single($"Copy-EngramStore -Source $store -Destination 'sqlite:{database}'");
            Assert.Equal("sqlite", Prop(copy, "DestinationBackend"));
            Assert.Equal(3, Prop<int>(copy, "Memories"));
            Assert.Equal(1, Prop<int>(copy, "Branches"));
            Assert.True(Prop<bool>(copy, "Healthy"));
            Assert.True(File.Exists(database));
            AssertCopied("sqlite:" + database);

            string back = Path.Combine(PS.Root, "back");
            PSObject again = Single($"Copy-EngramStore -Source 'sqlite:{database}' -Destination '{back}'");
            Assert.Equal("sqlite", Prop(again, "SourceBackend"));
            Assert.Equal("file", Prop(again, "DestinationBackend"));
            Assert.Equal(Prop<long>(copy, "Entries"), Prop<long>(again, "Entries"));
            AssertCopied(back);
        }

        [Fact]
        public void WhatIf_shows_what_would_be_copied_and_writes_nothing()
        {
            Fill();
            var before = Snapshot();
            string folder = Path.Combine(PS.Root, "copy");
            string database = Path.Combine(PS.Root, "copy.db");
            foreach (var destination in new[] { folder, "sqlite:" + database })
            {
                EngramRunResult result = Ok($"Copy-EngramStore -Source $store -Destination '{destination}' -WhatIf");
                Assert.Empty(result.Output);
                Assert.Contains("What if:", result.HostText);
                Assert.Contains("3 memories and 2 histories", result.HostText);
                Assert.Contains(Store, result.HostText);
                Assert.Contains(destination.StartsWith("sqlite:", StringComparison.Ordinal) ? database : folder, result.HostText);
            }
            Assert.False(Directory.Exists(folder));
            Assert.False(File.Exists(database));
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void A_destination_that_is_not_empty_is_refused_with_StoreAlreadyExists_and_nothing_changes()
        {
            Fill();
            string destination = Path.Combine(PS.Root, "busy");
            Ok($"Set-EngramMemory -Store '{destination}' session mine 'keep me'");
            var before = Snapshot(destination);
            var sourceBefore = Snapshot();

            ErrorRecord error = SingleError(Run($"Copy-EngramStore -Source $store -Destination '{destination}'"), "StoreAlreadyExists", ErrorCategory.ResourceExists);
            Assert.Contains("not empty", error.Exception.Message);
            SingleError(Run($"Copy-EngramStore -Source $store -Destination '{destination}' -Force"), "StoreAlreadyExists", ErrorCategory.ResourceExists);
            AssertSameFiles(before, Snapshot(destination));
            AssertSameFiles(sourceBefore, Snapshot());

            // A store holding only a history (its memory was deleted) is not empty either.
            string historyOnly = Path.Combine(PS.Root, "history-only");
            Ok($"Set-EngramMemory -Store '{historyOnly}' shared k 1; Remove-EngramMemory -Store '{historyOnly}' shared k -Confirm:$false");
            SingleError(Run($"Copy-EngramStore -Source $store -Destination '{historyOnly}'"), "StoreAlreadyExists", ErrorCategory.ResourceExists);
            Assert.Equal(0, Scalar($"(Get-EngramNamespace -Store '{historyOnly}' | Where-Object Name -eq shared).MemoryCount"));
            Assert.Equal(0, Scalar($"(Get-EngramNamespace -Store '{historyOnly}' | Where-Object Name -eq session).MemoryCount"));
        }

        [Fact]
        public void A_missing_source_is_StoreNotFound_and_the_same_store_twice_is_refused()
        {
            string destination = Path.Combine(PS.Root, "copy");
            SingleError(Run("Copy-EngramStore -Source ($testRoot + '/nothing-here') -Destination ($testRoot + '/copy')"), "StoreNotFound", ErrorCategory.ObjectNotFound);
            Assert.False(Directory.Exists(destination));
            Assert.False(Directory.Exists(Path.Combine(PS.Root, "nothing-here")));

            Fill();
            var before = Snapshot();
            SingleError(Run("Copy-EngramStore -Source $store -Destination $store"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            SingleError(Run("$ExecutionContext.SessionState.Path.SetLocation($testRoot) | Out-Null; Copy-EngramStore -Source $store -Destination ./store"), "InvalidConfiguration", ErrorCategory.InvalidArgument);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void An_existing_empty_store_is_accepted_after_asking_or_with_Force_and_takes_the_source_configuration()
        {
            Fill();
            string destination = Path.Combine(PS.Root, "empty");
            Ok($"Initialize-EngramStore -Store '{destination}' -TrackAll | Out-Null");
            var before = Snapshot(destination);

            PS.UI.ScriptedInput.Enqueue("N");
            EngramRunResult declined = Ok($"Copy-EngramStore -Source $store -Destination '{destination}'");
            Assert.Empty(declined.Output);
            Assert.Empty(PS.UI.ScriptedInput);
            AssertSameFiles(before, Snapshot(destination));

            PSObject copy = Single($"Copy-EngramStore -Source $store -Destination '{destination}' -Force");
            Assert.Equal(3, Prop<int>(copy, "Memories"));
            Assert.DoesNotContain("track: all", File.ReadAllText(Path.Combine(destination, "engram.yaml")));
            Assert.Contains("track: [shared, longterm]", File.ReadAllText(Path.Combine(destination, "engram.yaml")));
            AssertCopied(destination);
        }
    }
}
