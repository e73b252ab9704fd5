using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>New-EngramFork, Get-/Remove-EngramBranch, Merge-EngramBranch and -Branch on the memory cmdlets.</summary>
    public sealed class BranchCmdletTests : CmdletTestBase
    {
        public BranchCmdletTests(PowerShellFixture fixture) : base(fixture) { }

        private void Seed() => Ok("""
            Set-EngramMemory -Store $store shared k1 'base1'
            Set-EngramMemory -Store $store shared k2 'base2'
            Set-EngramMemory -Store $store shared k3 'base3'
            """);

        private string Value(string key, string branch = "main") =>
            (string)Scalar($"(Get-EngramMemory -Store $store shared {key} -Branch {branch}).Value")!;

        [Fact]
        public void Forking_a_namespace_copies_nothing_and_emits_the_branch()
        {
            Seed();
            var before = Snapshot();

            PSObject branch = Single("New-EngramFork -Store $store -Namespace shared -Branch alt -Reason 'try something' -Actor ann");

            Assert.Equal("Engram.Branch", branch.TypeNames[0]);
            Assert.Equal("alt", Prop(branch, "Name"));
            Assert.Equal("alt", Prop(branch, "Branch"));
            Assert.Equal("shared", Prop(branch, "Namespace"));
            Assert.Equal("main", Prop(branch, "ForkedFrom"));
            Assert.Equal("Namespace", Prop(branch, "Scope"));
            Assert.Null(Prop(branch, "Keys"));
            Assert.Equal(0, Prop(branch, "ChangedCount"));
            Assert.Equal("ann", Prop(branch, "Actor"));
            Assert.Equal("try something", Prop(branch, "Reason"));
            Assert.Equal(Store, Prop(branch, "Store"));

            // Only the branch record is new: no memory was copied, no history touched.
            var added = Snapshot().Keys.Except(before.Keys).Where(k => !k.EndsWith('/')).ToList();
            Assert.Equal(new[] { Path.Combine("_branches", "shared", "alt", "branch.yaml") }, added);
            Assert.Equal(new[] { "base1", "base2", "base3" }, new[] { "k1", "k2", "k3" }.Select(k => Value(k, "alt")));
        }

        [Fact]
        public void Forking_some_keys_keeps_their_base_and_records_a_forked_entry()
        {
            Seed();

            PSObject branch = Single("New-EngramFork -Store $store shared k1, k2 -Branch pair");

            Assert.Equal("Keys", Prop(branch, "Scope"));
            Assert.Equal(new[] { "k1", "k2" }, Strings(Prop(branch, "Keys")));
            Assert.True(File.Exists(StorePath("_branches", "shared", "pair", "base", "k1.yaml")));
            Assert.Equal(new object?[] { "k1", "k2" }, Ok("(Get-EngramMemory -Store $store shared -Branch pair).Key").BaseObjects);

            EngramRunResult all = Ok("Get-EngramProvenance -Store $store shared k1 -Branch *");
            Assert.Equal(new object?[] { "created", "forked" }, all.Output.Select(e => Prop(e, "Action")).ToArray());
            Assert.Equal("pair", Prop(all.Output[1], "Branch"));
            Assert.Single(Ok("Get-EngramProvenance -Store $store shared k1").Output); // main only by default

            EngramRunResult outside = Run("Set-EngramMemory -Store $store shared k3 'x' -Branch pair");
            SingleError(outside, "KeyNotInBranch", ErrorCategory.InvalidArgument);
            Assert.Equal("base3", Value("k3"));
        }

        [Fact]
        public void Writes_on_a_branch_are_isolated_from_main_and_main_changes_are_isolated_from_the_branch()
        {
            Seed();
            Ok("""
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared k1 'alt1' -Branch alt
                Set-EngramMemory -Store $store shared new 'only on alt' -Branch alt
                Remove-EngramMemory -Store $store shared k3 -Branch alt -Confirm:$false
                Set-EngramMemory -Store $store shared k2 'main2'
                """);

            Assert.Equal("alt1", Value("k1", "alt"));
            Assert.Equal("base1", Value("k1"));
            Assert.Equal("base2", Value("k2", "alt")); // the branch still sees main as it was at the fork
            Assert.Equal("main2", Value("k2"));
            Assert.Equal("base3", Value("k3"));
            AssertErrorIds(Run("Get-EngramMemory -Store $store shared k3 -Branch alt"), "MemoryNotFound");
            AssertErrorIds(Run("Get-EngramMemory -Store $store shared new"), "MemoryNotFound");

            EngramRunResult onAlt = Ok("Get-EngramMemory -Store $store shared -Branch alt");
            Assert.Equal(new[] { "k1", "k2", "new" }, onAlt.Output.Select(m => (string)Prop(m, "Key")!).OrderBy(k => k, StringComparer.Ordinal));
            Assert.All(onAlt.Output, m => Assert.Equal("alt", Prop(m, "Branch")));
            Assert.Equal(new object?[] { "k1" }, Ok("(Get-EngramMemory -Store $store shared k* -Branch alt | Where-Object Value -like 'alt*').Key").BaseObjects);

            PSObject info = Single("Get-EngramBranch -Store $store");
            Assert.Equal(3, Prop(info, "ChangedCount"));
            Assert.False(File.Exists(StorePath("shared", "new.yaml")));
        }

        [Fact]
        public void Get_EngramBranch_filters_by_namespace_and_name()
        {
            Seed();
            Ok("""
                Set-EngramMemory -Store $store session s 1
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                New-EngramFork -Store $store shared -Branch beta | Out-Null
                New-EngramFork -Store $store session -Branch alt | Out-Null
                """);

            string[] Names(string args) => Ok("Get-EngramBranch -Store $store " + args + " | ForEach-Object { $_.Namespace + '@' + $_.Name }")
                .BaseObjects.Cast<string>().ToArray();

            Assert.Equal(new[] { "session@alt", "shared@alt", "shared@beta" }, Names(""));
            Assert.Equal(new[] { "shared@alt", "shared@beta" }, Names("shared"));
            Assert.Equal(new[] { "session@alt", "shared@alt" }, Names("-Name alt"));
            Assert.Equal(new[] { "shared@beta" }, Names("* b*"));
            Assert.Empty(Names("* zz*"));

            SingleError(Run("Get-EngramBranch -Store $store -Name nope"), "BranchNotFound", ErrorCategory.ObjectNotFound);
        }

        [Fact]
        public void Clean_merge_takes_the_branch_changes_and_records_merged_entries()
        {
            Seed();
            Ok("""
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared k1 'alt1' -Branch alt
                Set-EngramMemory -Store $store shared k2 'main2'
                """);

            PSObject result = Single("Merge-EngramBranch -Store $store -Namespace shared -Branch alt -Reason 'adopt' -Actor merger");

            Assert.Equal("Engram.MergeResult", result.TypeNames[0]);
            Assert.True((bool)Prop(result, "Applied")!);
            Assert.Equal("shared", Prop(result, "Namespace"));
            Assert.Equal("alt", Prop(result, "Branch"));
            Assert.Equal("main", Prop(result, "Into"));
            Assert.Equal("Fail", Prop(result, "Strategy"));
            Assert.Equal(new[] { "k1" }, Strings(Prop(result, "Merged")));
            Assert.Empty(Strings(Prop(result, "Unchanged")));
            Assert.Empty(Strings(Prop(result, "Conflicted")));

            Assert.Equal("alt1", Value("k1"));
            Assert.Equal("main2", Value("k2"));
            PSObject merged = Single("Get-EngramProvenance -Store $store shared k1 -Last 1");
            Assert.Equal("merged", Prop(merged, "Action"));
            Assert.Equal("merger", Prop(merged, "Actor"));
            Assert.Equal("adopt", Prop(merged, "Reason"));
            Assert.Equal("alt1", Prop(merged, "Value"));
            Assert.Equal("main", Prop(merged, "Branch"));
            Assert.Equal("alt", Ok("(Get-EngramProvenance -Store $store shared k1 -Last 1).Details.from").BaseObjects.Single());
            Assert.Equal(0, Scalar("(Get-EngramBranch -Store $store shared alt).ChangedCount"));
            Assert.True((bool)Scalar("(Test-EngramStore -Store $store).Healthy")!);
        }

        private void SeedConflict() => Ok("""
            Set-EngramMemory -Store $store shared k1 'base1'
            Set-EngramMemory -Store $store shared k2 'base2'
            New-EngramFork -Store $store shared -Branch alt | Out-Null
            Set-EngramMemory -Store $store shared k1 'theirs1' -Branch alt
            Set-EngramMemory -Store $store shared k2 'theirs2' -Branch alt
            Set-EngramMemory -Store $store shared k2 'ours2'
            """);

        [Fact]
        public void Conflict_with_Fail_emits_conflicts_then_a_non_terminating_MergeConflict_and_changes_nothing()
        {
            SeedConflict();
            var before = Snapshot();

            // Non-terminating (it used to be terminating, so -ErrorAction SilentlyContinue could not capture the
            // conflicts): -ErrorAction Stop makes it catchable.
            EngramRunResult result = Ok("""
                try { Merge-EngramBranch -Store $store shared -Branch alt -ErrorAction Stop; 'not reached' }
                catch { $caught = $_ }
                $caught.FullyQualifiedErrorId
                $caught.CategoryInfo.Category.ToString()
                """);

            PSObject conflict = result.Output[0];
            Assert.Equal("Engram.MergeConflict", conflict.TypeNames[0]);
            Assert.Equal("k2", Prop(conflict, "Key"));
            Assert.Equal("alt", Prop(conflict, "Branch"));
            Assert.Equal("base2", Prop(conflict, "BaseValue"));
            Assert.Equal("ours2", Prop(conflict, "OursValue"));
            Assert.Equal("theirs2", Prop(conflict, "TheirsValue"));
            Assert.Equal(1, Prop(conflict, "BaseVersion"));
            Assert.Equal(2, Prop(conflict, "OursVersion"));
            Assert.False((bool)Prop(conflict, "OursDeleted")!);
            Assert.Equal(new object?[] { "MergeConflict,Engram.PowerShell.Commands.MergeEngramBranchCommand", "InvalidOperation" },
                result.BaseObjects.Skip(1).ToArray());
            AssertSameFiles(before, Snapshot());

            // Uncaught, it is reported and the script goes on...
            EngramRunResult uncaught = Run("Merge-EngramBranch -Store $store shared -Branch alt; 'next statement'");
            SingleError(uncaught, "MergeConflict", ErrorCategory.InvalidOperation);
            Assert.Equal("Engram.MergeConflict", uncaught.Output[0].TypeNames[0]);
            Assert.Equal("next statement", uncaught.Output[1].BaseObject);
            // ...with -ErrorAction SilentlyContinue the conflicts are captured and no error is shown...
            EngramRunResult captured = Ok("$c = Merge-EngramBranch -Store $store shared -Branch alt -ErrorAction SilentlyContinue; $c.Key; $c.TheirsValue");
            Assert.Equal(new object?[] { "k2", "theirs2" }, captured.BaseObjects.ToArray());
            // ...and with $ErrorActionPreference = 'Stop' it ends the script.
            EngramRunResult stopped = Run("$ErrorActionPreference = 'Stop'; Merge-EngramBranch -Store $store shared -Branch alt; 'not reached'");
            Assert.True(stopped.HadTerminatingError);
            AssertErrorIds(stopped, "MergeConflict");
            Assert.Equal("Engram.MergeConflict", Assert.Single(stopped.Output).TypeNames[0]);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Strategy_Theirs_takes_the_branch_side_of_conflicts()
        {
            SeedConflict();

            PSObject result = Single("Merge-EngramBranch -Store $store shared -Branch alt -Strategy Theirs");

            Assert.Equal(new[] { "k1" }, Strings(Prop(result, "Merged")));
            Assert.Equal(new[] { "k2" }, Strings(Prop(result, "Conflicted")));
            Assert.Equal("theirs", Prop(((object[])Prop(result, "Conflicts")!).Cast<object>().Select(c => PSObject.AsPSObject(c)).Single(), "Resolution"));
            Assert.Equal("theirs1", Value("k1"));
            Assert.Equal("theirs2", Value("k2"));
        }

        [Fact]
        public void Strategy_Ours_keeps_main_for_conflicts_and_merges_the_rest()
        {
            SeedConflict();

            PSObject result = Single("Merge-EngramBranch -Store $store shared -Branch alt -Strategy Ours");

            Assert.Equal("Ours", Prop(result, "Strategy"));
            Assert.Equal("theirs1", Value("k1"));
            Assert.Equal("ours2", Value("k2"));
            Assert.Equal(0, Scalar("(Get-EngramBranch -Store $store shared alt).ChangedCount"));
        }

        [Fact]
        public void Strategy_ConflictBranch_merges_clean_changes_and_moves_conflicts_to_new_branches()
        {
            SeedConflict();

            PSObject result = Single("Merge-EngramBranch -Store $store shared -Branch alt -Strategy ConflictBranch");

            string conflictBranch = Assert.Single(Strings(Prop(result, "ConflictBranches")));
            Assert.StartsWith("alt-conflict-", conflictBranch);
            Assert.Equal("theirs1", Value("k1"));
            Assert.Equal("ours2", Value("k2"));
            Assert.Equal("theirs2", Value("k2", conflictBranch));

            PSObject branch = Single($"Get-EngramBranch -Store $store shared {conflictBranch}");
            Assert.Equal("Keys", Prop(branch, "Scope"));
            Assert.Equal(new[] { "k2" }, Strings(Prop(branch, "Keys")));
            Assert.Equal(1, Prop(branch, "ChangedCount"));

            // The conflict branch merges back cleanly.
            PSObject again = Single($"Merge-EngramBranch -Store $store shared -Branch {conflictBranch}");
            Assert.Equal(new[] { "k2" }, Strings(Prop(again, "Merged")));
            Assert.Equal("theirs2", Value("k2"));
        }

        [Fact]
        public void WhatIf_on_merge_returns_the_plan_and_changes_nothing()
        {
            SeedConflict();
            var before = Snapshot();

            EngramRunResult result = Ok("Merge-EngramBranch -Store $store shared -Branch alt -WhatIf");

            PSObject plan = Assert.Single(result.Output);
            Assert.Equal("Engram.MergeResult", plan.TypeNames[0]);
            Assert.False((bool)Prop(plan, "Applied")!);
            Assert.Equal(new[] { "k1" }, Strings(Prop(plan, "Merged")));
            Assert.Equal(new[] { "k2" }, Strings(Prop(plan, "Conflicted")));
            Assert.Contains("What if:", result.HostText);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Merge_can_be_limited_to_some_keys()
        {
            SeedConflict();

            PSObject result = Single("Merge-EngramBranch -Store $store shared k1 -Branch alt");

            Assert.Equal(new[] { "k1" }, Strings(Prop(result, "Merged")));
            Assert.Equal("theirs1", Value("k1"));
            Assert.Equal("ours2", Value("k2"));
            Assert.Equal(1, Scalar("(Get-EngramBranch -Store $store shared alt).ChangedCount"));
        }

        [Fact]
        public void Remove_EngramBranch_removes_it_and_keeps_main()
        {
            Seed();
            Ok("New-EngramFork -Store $store shared -Branch alt | Out-Null");
            var before = Snapshot();

            AssertNoErrors(Run("Remove-EngramBranch -Store $store shared alt -WhatIf"));
            AssertSameFiles(before, Snapshot());

            EngramRunResult removed = Ok("Remove-EngramBranch -Store $store shared alt -Confirm:$false");

            Assert.Empty(removed.Output);
            Assert.False(Directory.Exists(StorePath("_branches", "shared", "alt")));
            Assert.Empty(Ok("Get-EngramBranch -Store $store").Output);
            Assert.Equal("base1", Value("k1"));
            AssertErrorIds(Run("Get-EngramMemory -Store $store shared k1 -Branch alt"), "BranchNotFound");
        }

        [Fact]
        public void Remove_EngramBranch_with_unmerged_changes_asks_unless_Force()
        {
            Seed();
            Ok("""
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared k1 'alt1' -Branch alt
                """);

            // The default ConfirmImpact is High: it asks; answering No keeps the branch.
            PS.UI.ScriptedInput.Enqueue("N");
            AssertNoErrors(Run("Remove-EngramBranch -Store $store shared alt"));
            Assert.True(Directory.Exists(StorePath("_branches", "shared", "alt")));

            // -Confirm:$false skips ShouldProcess, but losing unmerged changes still asks (ShouldContinue)...
            PS.UI.ScriptedInput.Enqueue("N");
            AssertNoErrors(Run("Remove-EngramBranch -Store $store shared alt -Confirm:$false"));
            Assert.True(Directory.Exists(StorePath("_branches", "shared", "alt")));
            Assert.Empty(PS.UI.ScriptedInput);

            // ...unless -Force.
            Ok("Remove-EngramBranch -Store $store shared alt -Confirm:$false -Force");
            Assert.False(Directory.Exists(StorePath("_branches", "shared", "alt")));
            Assert.Equal("base1", Value("k1"));
        }

        [Fact]
        public void Missing_branches_and_bad_branch_names_are_reported()
        {
            Seed();
            Ok("New-EngramFork -Store $store shared -Branch alt | Out-Null");
            var before = Snapshot();

            EngramRunResult result = Run("""
                Get-EngramMemory -Store $store shared k1 -Branch nope
                Set-EngramMemory -Store $store shared k1 'x' -Branch nope
                Remove-EngramMemory -Store $store shared k1 -Branch nope -Confirm:$false
                Merge-EngramBranch -Store $store shared -Branch nope
                Remove-EngramBranch -Store $store shared nope -Confirm:$false
                New-EngramFork -Store $store shared -Branch alt
                New-EngramFork -Store $store shared -Branch main
                Get-EngramProvenance -Store $store shared k1 -Branch nope
                'after'
                """);

            Assert.Equal(new[] { "BranchNotFound", "BranchNotFound", "BranchNotFound", "BranchNotFound", "BranchNotFound", "BranchAlreadyExists", "InvalidBranch" },
                ErrorIds(result));
            Assert.Equal(new[] { ErrorCategory.ObjectNotFound, ErrorCategory.ResourceExists, ErrorCategory.InvalidArgument },
                result.AllErrors.Select(e => e.CategoryInfo.Category).Distinct());
            Assert.Equal("after", result.BaseObjects[^1]);
            AssertSameFiles(before, Snapshot());
        }

        [Fact]
        public void Branches_pipe_into_branch_parameters_by_property_name()
        {
            Seed();
            Ok("""
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared k1 'alt1' -Branch alt
                """);

            // A memory read on a branch carries its Branch: piping it back writes to the same branch.
            Ok("Get-EngramMemory -Store $store shared k1 -Branch alt | Set-EngramMemory -Value 'alt1b'");
            Assert.Equal("alt1b", Value("k1", "alt"));
            Assert.Equal("base1", Value("k1"));

            // A branch object pipes into Get-EngramMemory: everything the branch sees.
            EngramRunResult seen = Ok("Get-EngramBranch -Store $store shared alt | Get-EngramMemory");
            Assert.Equal(new[] { "k1=alt1b", "k2=base2", "k3=base3" },
                seen.Output.Select(m => Prop(m, "Key") + "=" + Prop(m, "Value")).OrderBy(s => s, StringComparer.Ordinal));
            Assert.All(seen.Output, m => Assert.Equal("alt", Prop(m, "Branch")));

            // Branch objects pipe into Merge- and Remove-EngramBranch.
            PSObject merged = Single("Get-EngramBranch -Store $store shared alt | Merge-EngramBranch");
            Assert.Equal(new[] { "k1" }, Strings(Prop(merged, "Merged")));
            Ok("Get-EngramBranch -Store $store shared alt | Remove-EngramBranch -Confirm:$false");
            Assert.Empty(Ok("Get-EngramBranch -Store $store").Output);
        }

        [Fact]
        public void A_branch_folder_that_is_a_link_is_one_UnsafeStorePath_error_not_also_BranchNotFound()
        {
            if (OperatingSystem.IsWindows()) return; // links need a privilege there; the Core planted-file tests cover them
            Seed();
            Ok("New-EngramFork -Store $store shared -Branch alt");
            string folder = StorePath("_branches", "shared", "alt");
            string outside = Path.Combine(Path.GetDirectoryName(Store)!, Path.GetFileName(Store) + "-outside-alt");
            Directory.Move(folder, outside);
            try
            {
                Directory.CreateSymbolicLink(folder, outside);
                var before = Snapshot();
                // Before the fix: UnsafeStorePath, then a misleading BranchNotFound for a branch that exists.
                ErrorRecord e = SingleError(Run("Get-EngramMemory -Store $store shared k1 -Branch alt"), "UnsafeStorePath", ErrorCategory.InvalidData);
                Assert.Equal(folder, e.TargetObject);
                AssertSameFiles(before, Snapshot());
            }
            finally
            {
                if (new DirectoryInfo(folder).LinkTarget != null) Directory.Delete(folder);
                Directory.Delete(outside, true);
            }
        }
    }
}
