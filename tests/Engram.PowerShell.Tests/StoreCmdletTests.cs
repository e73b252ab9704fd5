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
    /// <summary>Initialize-EngramStore, Get-EngramNamespace, Test-EngramStore, store paths, key safety, bad data, -WhatIf.</summary>
    public sealed class StoreCmdletTests : CmdletTestBase
    {
        public StoreCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        // ------------------------------------------------------------------ Initialize-EngramStore

        [Fact]
        public void Initialize_creates_the_store_with_the_default_policy()
        {
            PSObject info = Single("Initialize-EngramStore -Store $store");

            Assert.Equal("Engram.StoreInfo", info.TypeNames[0]);
            Assert.Equal(Store, Prop(info, "Path"));
            Assert.Equal(new[] { "shared", "longterm" }, Strings(Prop(info, "TrackedNamespaces")));
            Assert.False((bool)Prop(info, "TrackAll")!);
            Assert.Equal("Normal", Prop(info, "Durability"));
            string yaml = File.ReadAllText(StorePath("engram.yaml"));
            Assert.Contains("track: [shared, longterm]", yaml);
            Assert.Contains("durability: normal", yaml);
        }

        [Fact]
        public void Initialize_TrackedNamespace_and_TrackAll_change_the_policy()
        {
            Ok("Initialize-EngramStore -Store $store -TrackedNamespace Projects, session -Durability Full | Out-Null");
            string yaml = File.ReadAllText(StorePath("engram.yaml"));
            Assert.Contains("track: [projects, session]", yaml);
            Assert.Contains("durability: full", yaml);

            Ok("""
                Set-EngramMemory -Store $store projects p 1
                Set-EngramMemory -Store $store shared s 1
                """);
            Assert.True(File.Exists(StorePath("_provenance", "projects", "p.prov")));
            Assert.False(File.Exists(StorePath("_provenance", "shared", "s.prov")));

            Ok("Set-EngramRetention -Store $store -Namespace projects -MaxEntries 5 -Confirm:$false | Out-Null");
            PSObject all = Single("Initialize-EngramStore -Store $store -TrackAll -Force");
            Assert.True((bool)Prop(all, "TrackAll")!);
            Assert.Contains("track: all", File.ReadAllText(StorePath("engram.yaml")));
            Assert.Contains("maxEntries: 5", File.ReadAllText(StorePath("engram.yaml"))); // -Force keeps the retention rules
            Ok("Set-EngramMemory -Store $store thinking t 1");
            Assert.True(File.Exists(StorePath("_provenance", "thinking", "t.prov")));
            // -Force keeps memories and histories.
            Assert.Equal(1, Scalar("(Get-EngramMemory -Store $store projects p).Value"));
            Assert.Single(Ok("Get-EngramProvenance -Store $store projects p").Output);
        }

        [Fact]
        public void A_second_Initialize_without_Force_is_StoreAlreadyExists_and_changes_nothing()
        {
            Ok("Initialize-EngramStore -Store $store -TrackAll | Out-Null");
            var before = Snapshot();

            EngramRunResult again = Run("Initialize-EngramStore -Store $store -TrackedNamespace session");

            SingleError(again, "StoreAlreadyExists", ErrorCategory.ResourceExists);
            Assert.Empty(again.Output);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Initialize_refuses_invalid_namespace_names_in_the_policy()
        {
            EngramRunResult result = Run("Initialize-EngramStore -Store $store -TrackedNamespace 'bad/ns'");

            SingleError(result, "InvalidNamespace", ErrorCategory.InvalidArgument);
            Assert.False(File.Exists(StorePath("engram.yaml")));
        }

        // ------------------------------------------------------------------ Get-EngramNamespace

        [Fact]
        public void Get_EngramNamespace_lists_standard_namespaces_even_when_empty()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store shared b 2
                Set-EngramMemory -Store $store session c 3
                Set-EngramMemory -Store $store my-project x 4 -TrackProvenance
                """);

            EngramRunResult result = Ok("Get-EngramNamespace -Store $store");

            Assert.All(result.Output, n => Assert.Equal("Engram.Namespace", n.TypeNames[0]));
            var byName = result.Output.ToDictionary(n => (string)Prop(n, "Name")!);
            Assert.Equal(new[] { "compartments", "conversations", "longterm", "my-project", "projects", "session", "shared", "thinking" },
                byName.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(2, Prop(byName["shared"], "MemoryCount"));
            Assert.Equal(1, Prop(byName["session"], "MemoryCount"));
            Assert.Equal(0, Prop(byName["conversations"], "MemoryCount"));
            Assert.Equal(1, Prop(byName["my-project"], "MemoryCount"));
            Assert.True((bool)Prop(byName["shared"], "Tracked")!);
            Assert.True((bool)Prop(byName["longterm"], "Tracked")!);
            Assert.False((bool)Prop(byName["session"], "Tracked")!);
            Assert.False((bool)Prop(byName["my-project"], "Tracked")!); // its one memory is, the namespace policy is not
            Assert.True((bool)Prop(byName["thinking"], "IsStandard")!);
            Assert.False((bool)Prop(byName["my-project"], "IsStandard")!);
            Assert.False((bool)Prop(byName["thinking"], "Exists")!);
            Assert.True((bool)Prop(byName["session"], "Exists")!);
            Assert.DoesNotContain("_provenance", byName.Keys);

            Assert.Equal(new object?[] { "session", "shared" },
                Ok("(Get-EngramNamespace -Store $store -Name s*).Name").BaseObjects.OrderBy(n => n).ToArray());
            Assert.Equal(new object?[] { "longterm", "my-project" },
                Ok("(Get-EngramNamespace -Store $store l*, m*).Name").BaseObjects.OrderBy(n => n).ToArray());
            Assert.Empty(Ok("Get-EngramNamespace -Store $store zz*").Output);
        }

        [Fact]
        public void Namespaces_pipe_into_Get_EngramMemory()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store session b 2
                """);

            EngramRunResult result = Ok("Get-EngramNamespace -Store $store s* | Get-EngramMemory");

            Assert.Equal(new[] { "session/b", "shared/a" },
                result.Output.Select(m => Prop(m, "Namespace") + "/" + Prop(m, "Key")).OrderBy(s => s, StringComparer.Ordinal));
        }

        // ------------------------------------------------------------------ store paths

        [Fact]
        public void Reads_of_a_folder_without_engram_yaml_are_StoreNotFound_and_create_nothing()
        {
            EngramRunResult result = Run("""
                Get-EngramMemory -Store $store
                Get-EngramNamespace -Store $store
                Get-EngramBranch -Store $store
                Get-EngramProvenance -Store $store shared k
                Test-EngramStore -Store $store
                Remove-EngramMemory -Store $store shared k -Confirm:$false
                Get-EngramMemory -Store ([System.IO.Path]::Combine($testRoot, 'does-not-exist'))
                """);

            Assert.Equal(Enumerable.Repeat("StoreNotFound", 7), ErrorIds(result));
            Assert.All(result.AllErrors, e => Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Store));
            Assert.False(Directory.Exists(Path.Combine(PS.Root, "does-not-exist")));
        }

        [Fact]
        public void Relative_store_paths_resolve_against_the_PowerShell_location()
        {
            Ok("""
                $ExecutionContext.SessionState.Path.SetLocation($testRoot) | Out-Null
                Set-EngramMemory -Store 'rel-store' session k 'v'
                Set-EngramMemory -Store './rel-store' session k2 'v2'
                """);

            Assert.True(File.Exists(Path.Combine(PS.Root, "rel-store", "session", "k.yaml")));
            Assert.True(File.Exists(Path.Combine(PS.Root, "rel-store", "session", "k2.yaml")));
            Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "rel-store")));
            Assert.Equal(Path.Combine(PS.Root, "rel-store"), Scalar("(Get-EngramMemory -Store rel-store session k).Store"));

            Ok("$ExecutionContext.SessionState.Path.SetLocation($store) | Out-Null");
            Assert.Equal("v2", Scalar("(Get-EngramMemory -Store ../rel-store session k2).Value"));
        }

        [Fact]
        public void A_store_path_that_is_not_a_file_system_folder_is_refused()
        {
            File.WriteAllText(Path.Combine(PS.Root, "a-file"), "x");

            EngramRunResult result = Run("""
                Set-EngramMemory -Store ([System.IO.Path]::Combine($testRoot, 'a-file')) session k 1
                Get-EngramMemory -Store 'Function:\' session k
                """);

            Assert.Equal(new[] { "InvalidStorePath", "InvalidStorePath" }, ErrorIds(result));
            Assert.All(result.AllErrors, e => Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category));
            Assert.Equal("x", File.ReadAllText(Path.Combine(PS.Root, "a-file")));
        }

        [Fact]
        public void A_newer_store_format_is_refused_and_engram_yaml_is_never_rewritten()
        {
            Ok("Set-EngramMemory -Store $store session k 1");
            File.WriteAllText(StorePath("engram.yaml"), "format: 99\nprovenance:\n  track: all\n");
            var before = Snapshot();

            EngramRunResult result = Run("""
                Get-EngramMemory -Store $store session k
                Set-EngramMemory -Store $store session k 2
                Remove-EngramMemory -Store $store session k -Confirm:$false
                Initialize-EngramStore -Store $store -Force
                Get-EngramNamespace -Store $store
                Test-EngramStore -Store $store
                """);

            Assert.Equal(Enumerable.Repeat("UnsupportedFormatVersion", 6), ErrorIds(result));
            Assert.All(result.AllErrors, e => Assert.Equal(ErrorCategory.NotImplemented, e.CategoryInfo.Category));
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void A_malformed_engram_yaml_is_MalformedStoreConfig()
        {
            Ok("Set-EngramMemory -Store $store session k 1");
            File.WriteAllText(StorePath("engram.yaml"), "format: [oops\n");

            EngramRunResult result = Run("Get-EngramMemory -Store $store session k");

            SingleError(result, "MalformedStoreConfig", ErrorCategory.InvalidData);
        }

        // ------------------------------------------------------------------ names and keys

        [Fact]
        public void Tricky_keys_are_distinct_memories_in_safe_files_inside_their_namespace()
        {
            string[] keys = { "../x", "a/b", "a\\b", "CON", "con", "nul.txt", "x.", "Config", "config", "..", ".", "a b", "ünï", "_under" };
            EngramRunResult result = Ok("""
                foreach ($k in $keys) { Set-EngramMemory -Store $store -Namespace session -Key $k -Value "v:$k" }
                Get-EngramMemory -Store $store -Namespace session
                """, new Dictionary<string, object?> { ["keys"] = keys });

            var read = result.Output.ToDictionary(m => (string)Prop(m, "Key")!, m => Prop(m, "Value"));
            Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), read.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.All(keys, k => Assert.Equal("v:" + k, read[k]));

            // Every file is directly inside <store>/session (nothing escaped, no device names) with the documented stems.
            string[] files = StoreFiles().Where(f => !f.StartsWith('_') && f != "engram.yaml").ToArray();
            Assert.All(files, f => Assert.StartsWith("session/", f));
            Assert.Equal(keys.Length, files.Length);
            Assert.Equal(keys.Length, files.Distinct(StringComparer.OrdinalIgnoreCase).Count()); // distinct on case-insensitive disks too
            string[] names = FileNames("session");
            Assert.Contains("_2e._2fx.yaml", names);
            Assert.Contains("a_2fb.yaml", names);
            Assert.Contains("a_5cb.yaml", names);
            Assert.Contains("^c^o^n.yaml", names);
            Assert.Contains("_63on.yaml", names);
            Assert.Contains("_6eul.txt.yaml", names);
            Assert.Contains("x_2e.yaml", names);
            Assert.Contains("^config.yaml", names);
            Assert.Contains("config.yaml", names);
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(PS.Root), e => Path.GetFileName(e) != "store");
            Assert.Empty(Directory.EnumerateDirectories(StorePath("session")));

            // Exact reads and removes address exactly one of them.
            Assert.Equal("v:Config", Scalar("(Get-EngramMemory -Store $store session Config).Value"));
            Assert.Equal("v:config", Scalar("(Get-EngramMemory -Store $store session config).Value"));
            Ok("Remove-EngramMemory -Store $store session '../x', 'CON' -Confirm:$false");
            Assert.DoesNotContain("_2e._2fx.yaml", FileNames("session"));
            Assert.DoesNotContain("^c^o^n.yaml", FileNames("session"));
            Assert.Contains("_63on.yaml", FileNames("session"));
        }

        [Fact]
        public void Reserved_and_invalid_namespaces_are_refused()
        {
            EngramRunResult result = Run("""
                Set-EngramMemory -Store $store _provenance k 1
                Set-EngramMemory -Store $store _branches k 1
                Set-EngramMemory -Store $store 'bad/ns' k 1
                Set-EngramMemory -Store $store '..' k 1
                Set-EngramMemory -Store $store ('n' * 65) k 1
                'after'
                """);

            Assert.Equal(new[] { "ReservedNamespace", "ReservedNamespace", "InvalidNamespace", "InvalidNamespace", "InvalidNamespace" },
                ErrorIds(result));
            Assert.All(result.AllErrors, e => Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category));
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Store));

            // Reads refuse them too, with one error each (no follow-up MemoryNotFound).
            Ok("Initialize-EngramStore -Store $store | Out-Null");
            EngramRunResult reads = Run("""
                Get-EngramMemory -Store $store _provenance
                Get-EngramMemory -Store $store _provenance k
                Get-EngramMemory -Store $store 'bad/ns' k
                Get-EngramProvenance -Store $store _provenance k
                Remove-EngramMemory -Store $store _provenance k -Confirm:$false
                """);
            Assert.Equal(new[] { "ReservedNamespace", "ReservedNamespace", "InvalidNamespace", "ReservedNamespace", "ReservedNamespace" }, ErrorIds(reads));
        }

        [Fact]
        public void Empty_and_invalid_keys_are_refused()
        {
            EngramRunResult result = Run("""
                Set-EngramMemory -Store $store session '' 1
                Set-EngramMemory -Store $store session "a`nb" 1
                Set-EngramMemory -Store $store session ('k' * 513) 1
                'after'
                """);

            IReadOnlyList<string> ids = ErrorIds(result);
            Assert.Equal(3, ids.Count);
            Assert.True(ids[0] == "InvalidKey" || ids[0].StartsWith("ParameterArgumentValidationError", StringComparison.Ordinal), ids[0]);
            Assert.Equal(new[] { "InvalidKey", "InvalidKey" }, ids.Skip(1));
            Assert.Equal(new object?[] { "after" }, result.BaseObjects);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Store));
        }

        // ------------------------------------------------------------------ bad data on disk

        [Fact]
        public void A_malformed_memory_file_fails_alone_and_the_others_stay_readable()
        {
            Ok("""
                Set-EngramMemory -Store $store session good1 1
                Set-EngramMemory -Store $store session bad 2
                Set-EngramMemory -Store $store session good2 3
                """);
            File.WriteAllText(StorePath("session", "bad.yaml"), "engram: 1\nid: [unclosed\n");

            EngramRunResult result = Run("Get-EngramMemory -Store $store -Namespace session");

            ErrorRecord error = SingleError(result, "MalformedMemoryFile", ErrorCategory.InvalidData);
            Assert.Contains("bad.yaml", error.Exception.Message);
            Assert.Equal(new[] { "good1", "good2" }, result.Output.Select(m => (string)Prop(m, "Key")!).OrderBy(k => k));

            SingleError(Run("Get-EngramMemory -Store $store session bad"), "MalformedMemoryFile", ErrorCategory.InvalidData);
            PSObject report = Single("Test-EngramStore -Store $store");
            Assert.False((bool)Prop(report, "Healthy")!);
            PSObject finding = PSObject.AsPSObject(Assert.Single(WithoutSearchIndex(report)));
            Assert.Equal("MalformedMemory", Prop(finding, "Kind"));
            Assert.Equal("bad", Prop(finding, "Key"));
        }

        [Fact]
        public void A_memory_file_of_a_newer_format_is_refused_and_left_alone()
        {
            Ok("Set-EngramMemory -Store $store session k 1");
            string path = StorePath("session", "k.yaml");
            File.WriteAllText(path, File.ReadAllText(path).Replace("engram: 1", "engram: 99"));
            var before = Snapshot();

            EngramRunResult result = Run("""
                Get-EngramMemory -Store $store session k
                Set-EngramMemory -Store $store session k 2
                """);

            Assert.Equal(new[] { "UnsupportedFormatVersion", "UnsupportedFormatVersion" }, ErrorIds(result));
            AssertSameFiles(before, Snapshot());
        }

        // ------------------------------------------------------------------ Test-EngramStore

        [Fact]
        public void A_healthy_store_reports_Healthy_with_no_findings()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store shared a 2
                Set-EngramMemory -Store $store session b 1
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared a 3 -Branch alt
                """);

            EngramRunResult result = Ok("Test-EngramStore -Store $store");

            PSObject report = Assert.Single(result.Output);
            Assert.Equal("Engram.StoreReport", report.TypeNames[0]);
            Assert.True((bool)Prop(report, "Healthy")!);
            Assert.Empty((Array)Prop(report, "Findings")!);
            Assert.Equal(Store, Prop(report, "Store"));
            Assert.True((int)Prop(report, "MemoriesChecked")! >= 2);
            Assert.Equal(1, Prop(report, "HistoriesChecked"));
            Assert.Equal(1, Prop(report, "BranchesChecked"));
            Assert.Empty(result.Warnings);

            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Quiet"));
        }

        [Fact]
        public void A_tampered_provenance_entry_is_a_BrokenChain_finding_naming_key_and_seq()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'v1' -Actor alice
                Set-EngramMemory -Store $store shared k 'v2' -Actor alice
                Set-EngramMemory -Store $store shared k 'v3' -Actor alice
                """);
            string prov = StorePath("_provenance", "shared", "k.prov");
            string text = File.ReadAllText(prov);
            int second = text.IndexOf("actor: alice", text.IndexOf("actor: alice", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
            File.WriteAllText(prov, text.Substring(0, second) + "actor: mallo" + text.Substring(second + "actor: alice".Length));

            PSObject report = Single("Test-EngramStore -Store $store");

            Assert.False((bool)Prop(report, "Healthy")!);
            PSObject finding = PSObject.AsPSObject(Assert.Single((Array)Prop(report, "Findings")!));
            Assert.Equal("BrokenChain", Prop(finding, "Kind"));
            Assert.Equal("Error", Prop(finding, "Severity"));
            Assert.Equal("shared", Prop(finding, "Namespace"));
            Assert.Equal("k", Prop(finding, "Key"));
            Assert.Equal(2L, Prop(finding, "Seq"));
            Assert.False((bool)Prop(finding, "Repaired")!);
            Assert.Equal(false, Scalar("Test-EngramStore -Store $store -Quiet"));

            // -Repair does not "fix" tampering: the evidence stays.
            var before = Snapshot();
            Assert.Equal(false, Scalar("Test-EngramStore -Store $store -Repair -Quiet"));
            Assert.Equal(before[Path.Combine("_provenance", "shared", "k.prov")], File.ReadAllBytes(prov));
        }

        [Fact]
        public void Interrupted_transactions_and_orphan_temp_files_are_found_and_repaired()
        {
            Ok("Set-EngramMemory -Store $store shared k 'v1'");
            string txn = Directory.CreateDirectory(StorePath("_txn", "deadbeef")).FullName;
            File.WriteAllText(Path.Combine(txn, "intent"), "half-written intent");
            Directory.CreateDirectory(StorePath("_tmp"));
            File.WriteAllText(StorePath("_tmp", "x.tmp"), "orphan");

            EngramRunResult found = Ok("Test-EngramStore -Store $store");

            PSObject report = Assert.Single(found.Output);
            Assert.False((bool)Prop(report, "Healthy")!);
            var findings = ((Array)Prop(report, "Findings")!).Cast<object>().Select(PSObject.AsPSObject).ToList();
            Assert.Equal(new[] { "InterruptedTransaction", "OrphanTempFile" }, findings.Select(f => (string)Prop(f, "Kind")!).OrderBy(k => k));
            Assert.All(findings, f => Assert.Equal("Warning", Prop(f, "Severity")));
            Assert.All(findings, f => Assert.False((bool)Prop(f, "Repaired")!));
            Assert.Equal(2, found.Warnings.Count);
            Assert.True(Directory.Exists(txn));
            Assert.True(File.Exists(StorePath("_tmp", "x.tmp")));

            // -Repair -WhatIf only reports.
            var before = Snapshot();
            Assert.Equal(false, Scalar("Test-EngramStore -Store $store -Repair -WhatIf -Quiet"));
            AssertSameFiles(before, Snapshot());

            PSObject repaired = Single("Test-EngramStore -Store $store -Repair");
            Assert.True((bool)Prop(repaired, "Healthy")!);
            Assert.All(((Array)Prop(repaired, "Findings")!).Cast<object>().Select(PSObject.AsPSObject), f => Assert.True((bool)Prop(f, "Repaired")!));
            Assert.False(Directory.Exists(txn));
            Assert.False(File.Exists(StorePath("_tmp", "x.tmp")));
            Assert.Equal("v1", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Quiet"));
        }

        [Fact]
        public void Get_EngramStore_shows_the_configuration_of_a_file_or_SQLite_store_and_pipes_into_other_cmdlets()
        {
            SingleError(Run("Get-EngramStore -Store $store"), "StoreNotFound", ErrorCategory.ObjectNotFound);
            Assert.False(Directory.Exists(StorePath()) && File.Exists(StorePath("engram.yaml"))); // nothing created

            Ok("""
                Initialize-EngramStore -Store $store -TrackedNamespace shared, projects | Out-Null
                Set-EngramRetention -Store $store -Namespace session -MaxEntries 50 | Out-Null
                Set-EngramEmbedding -Store $store ollama nomic-embed-text | Out-Null
                """);
            PSObject info = Single("Get-EngramStore -Store $store");
            Assert.Equal("file", Prop(info, "Backend"));
            Assert.Equal(new[] { "shared", "projects" }, (string[])Prop(info, "TrackedNamespaces")!);
            Assert.Equal(new[] { "default: forever", "session: {maxEntries: 50}" }, (string[])Prop(info, "Retention")!);
            Assert.Equal("ollama nomic-embed-text @ http://localhost:11434", Prop(info, "Embeddings"));
            Assert.Equal(true, Scalar("Get-EngramStore -Store $store | Test-EngramStore -Quiet"));

            PSObject sqlite = Single("Set-EngramMemory -Store \"sqlite:$testRoot/s.db\" notes k 1; Get-EngramStore -Store \"sqlite:$testRoot/s.db\"");
            Assert.Equal("sqlite", Prop(sqlite, "Backend"));
            Assert.Null(Prop(sqlite, "Embeddings"));
        }

        [Fact]
        public void A_hand_edited_value_with_a_stale_header_is_reported_and_its_header_rewritten_by_Repair()
        {
            // Writers trust the header's contentHash while valueBytes matches: an edit of the same length is the case
            // only Test-EngramStore sees.
            Ok("Set-EngramMemory -Store $store notes port '8080'");
            var path = StorePath("notes", "port.yaml");
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"8080\"", "\"9090\""));

            PSObject report = Single("Test-EngramStore -Store $store");
            Assert.False((bool)Prop(report, "Healthy")!);
            PSObject finding = PSObject.AsPSObject(Assert.Single(WithoutSearchIndex(report)));
            Assert.Equal("StaleContentHash", Prop(finding, "Kind"));
            Assert.Equal("port", Prop(finding, "Key"));

            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Repair -Quiet"));
            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Quiet"));
            Assert.Equal("9090", Scalar("(Get-EngramMemory -Store $store notes port).Value")); // the content is kept
            Assert.Equal(2, Scalar("(Set-EngramMemory -Store $store notes port '8080' -PassThru).Version")); // a change again
        }

        [Fact]
        public void A_memory_whose_file_is_gone_keeps_its_history_and_Repair_rebuilds_it()
        {
            Ok("Set-EngramMemory -Store $store shared k 'v1' -Actor alice; Set-EngramMemory -Store $store shared k 'v2' -Actor bob");
            File.Delete(StorePath("shared", "k.yaml"));

            // The history is still there for every reader (before: nothing, and Restore said no entry held the value).
            Assert.Equal(new object?[] { "v1", "v2" }, Ok("(Get-EngramProvenance -Store $store shared k).Value").BaseObjects);
            Assert.Contains("bob", (string)Scalar("Export-EngramProvenance -Store $store shared k")!);
            PSObject report = Single("Test-EngramStore -Store $store");
            PSObject finding = PSObject.AsPSObject(Assert.Single(WithoutSearchIndex(report)));
            Assert.Equal("MissingMemory", Prop(finding, "Kind"));
            Assert.False((bool)Prop(finding, "Repaired")!);

            report = Single("Test-EngramStore -Store $store -Repair");
            finding = PSObject.AsPSObject(Assert.Single((Array)Prop(report, "Findings")!));
            Assert.True((bool)Prop(finding, "Repaired")!);
            Assert.True((bool)Prop(report, "Healthy")!);
            Assert.Equal("v2", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
            Assert.Equal("repaired", Scalar("(Get-EngramProvenance -Store $store shared k -Last 1).Action"));
            Assert.Equal(true, Scalar("Test-EngramProvenance -Store $store shared -Quiet"));

            // Restore works from history as for any memory.
            Ok("Restore-EngramMemory -Store $store shared k -Version 1 -Confirm:$false");
            Assert.Equal("v1", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
        }

        [Fact]
        public void An_entry_left_dangling_by_a_crash_is_hidden_reported_and_cut_off()
        {
            // A writer that died between appending the entry and renaming the memory file into place leaves the history
            // one version ahead of the memory: simulate it by putting the old memory file back.
            Ok("Set-EngramMemory -Store $store shared k 'v1'");
            byte[] v1 = File.ReadAllBytes(StorePath("shared", "k.yaml"));
            Ok("Set-EngramMemory -Store $store shared k 'v2'");
            File.WriteAllBytes(StorePath("shared", "k.yaml"), v1);

            Assert.Equal("v1", Scalar("(Get-EngramMemory -Store $store shared k).Value"));
            Assert.Equal(new object?[] { 1L }, Ok("(Get-EngramProvenance -Store $store shared k).Seq").BaseObjects); // readers hide it
            PSObject report = Single("Test-EngramStore -Store $store");
            Assert.False((bool)Prop(report, "Healthy")!);
            PSObject finding = PSObject.AsPSObject(Assert.Single(WithoutSearchIndex(report)));
            Assert.Equal("DanglingEntry", Prop(finding, "Kind"));
            Assert.Equal("k", Prop(finding, "Key"));

            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Repair -Quiet"));
            Assert.Equal(true, Scalar("Test-EngramStore -Store $store -Quiet"));
            Ok("Set-EngramMemory -Store $store shared k 'v3'");
            EngramRunResult history = Ok("Get-EngramProvenance -Store $store shared k");
            Assert.Equal(new object?[] { "v1", "v3" }, history.Output.Select(e => Prop(e, "Value")).ToArray());
            Assert.Equal(new object?[] { 1L, 2L }, history.Output.Select(e => Prop(e, "Seq")).ToArray());
        }

        // ------------------------------------------------------------------ -WhatIf

        [Fact]
        public void WhatIf_changes_nothing_on_disk()
        {
            Ok("""
                Set-EngramMemory -Store $store shared a 1
                Set-EngramMemory -Store $store session b 2
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared a 10 -Branch alt
                """);
            Directory.CreateDirectory(StorePath("_tmp"));
            File.WriteAllText(StorePath("_tmp", "orphan.tmp"), "x");
            var before = Snapshot();

            EngramRunResult result = Run("""
                Set-EngramMemory -Store $store shared a 2 -WhatIf
                Set-EngramMemory -Store $store shared new 1 -WhatIf
                Set-EngramMemory -Store $store shared a 11 -Branch alt -WhatIf
                Remove-EngramMemory -Store $store shared a -WhatIf
                Remove-EngramMemory -Store $store session * -WhatIf
                Initialize-EngramStore -Store $store -Force -TrackAll -WhatIf
                New-EngramFork -Store $store shared -Branch other -WhatIf
                New-EngramFork -Store $store shared a -Branch other2 -WhatIf
                Merge-EngramBranch -Store $store shared -Branch alt -WhatIf | Out-Null
                Remove-EngramBranch -Store $store shared alt -WhatIf
                Test-EngramStore -Store $store -Repair -WhatIf | Out-Null
                """);

            AssertNoErrors(result);
            Assert.Empty(result.Output);
            Assert.True(result.HostText.Split('\n').Count(l => l.StartsWith("What if:", StringComparison.Ordinal)) >= 10, result.HostText);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void WhatIf_on_a_new_store_creates_no_folder()
        {
            string fresh = Path.Combine(PS.Root, "fresh");

            AssertNoErrors(Run("""
                Initialize-EngramStore -Store $fresh -WhatIf
                Set-EngramMemory -Store $fresh shared a 1 -WhatIf
                """, new Dictionary<string, object?> { ["fresh"] = fresh }));

            Assert.False(Directory.Exists(fresh));
        }
    }
}
