using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Engram.Host;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>The format views (Out-Default rendering), argument completers and the module's command surface.</summary>
    public sealed class FormattingAndCompletionTests : CmdletTestBase
    {
        public FormattingAndCompletionTests(PowerShellFixture fixture) : base(fixture) { }

        private string[] Render(string script)
        {
            EngramRunResult result = Run(script, outDefault: true);
            AssertNoErrors(result);
            Assert.Empty(result.Output);
            return result.HostText.Split('\n').Select(l => l.TrimEnd('\r', ' ')).Where(l => l.Length > 0).ToArray();
        }

        private static string Header(string[] lines, string firstColumn) =>
            Assert.Single(lines, l => l.TrimStart().StartsWith(firstColumn + " ", StringComparison.Ordinal) && !l.Contains(':'));

        private static string[] Columns(string header) => header.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // ------------------------------------------------------------------ views

        [Fact]
        public void Memories_render_as_a_table_grouped_by_namespace()
        {
            Ok("""
                Set-EngramMemory -Store $store session short 'hi' -Tag a, b
                Set-EngramMemory -Store $store session long ('x' * 200)
                Set-EngramMemory -Store $store session map @{ port = 8080 }
                Set-EngramMemory -Store $store shared other 42
                """);

            string[] lines = Render("Get-EngramMemory -Store $store");

            Assert.Contains("Namespace: session", lines.Select(l => l.Trim()));
            Assert.Contains("Namespace: shared", lines.Select(l => l.Trim()));
            Assert.Equal(new[] { "Key", "Version", "Updated", "Tags", "Value" }, Columns(lines.First(l => l.StartsWith("Key ", StringComparison.Ordinal))));
            string shortRow = Assert.Single(lines, l => l.StartsWith("short ", StringComparison.Ordinal));
            Assert.Contains("a,b", shortRow);
            Assert.EndsWith("hi", shortRow);
            string longRow = Assert.Single(lines, l => l.StartsWith("long ", StringComparison.Ordinal));
            Assert.EndsWith("…", longRow);
            Assert.True(longRow.Length <= 120, longRow);

            // The views shorten values with the module's Summarize helper: one line, at most N characters, '…' when cut.
            EngramRunResult summaries = Ok("""
                [Engram.PowerShell.Display]::Summarize(('x' * 200), 60)
                [Engram.PowerShell.Display]::Summarize("two`nlines", 60)
                [Engram.PowerShell.Display]::Summarize(@(1, 'a', $null), 60)
                [Engram.PowerShell.Display]::Summarize([pscustomobject]@{ a = 1; b = [pscustomobject]@{ c = 'd' } }, 60)
                [Engram.PowerShell.Display]::Summarize([byte[]](1, 2, 3), 60)
                """);
            Assert.Equal(new object?[] { new string('x', 59) + "…", "two lines", "[1, a, $null]", "{a=1; b={c=d}}", "byte[3]" }, summaries.BaseObjects);
            Assert.Contains("@{port=8080}", Assert.Single(lines, l => l.StartsWith("map ", StringComparison.Ordinal)));
            Assert.Matches(@"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b", shortRow);
        }

        [Fact]
        public void Provenance_renders_Seq_Action_Actor_per_memory()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'one' -Actor alice -Reason 'first'
                Set-EngramMemory -Store $store shared k 'two' -Actor bob
                """);

            string[] lines = Render("Get-EngramProvenance -Store $store shared k");

            Assert.Contains("Memory: shared/k", lines.Select(l => l.Trim()));
            Assert.Equal(new[] { "Seq", "Ver", "Action", "Actor", "When", "Branch", "Reason", "Value" }, Columns(Header(lines, "Seq")));
            string first = Assert.Single(lines, l => l.TrimStart().StartsWith("1 ", StringComparison.Ordinal));
            Assert.Matches(@"^\s*1\s+1\s+created\s+alice\s+.*\bmain\s+first\s+one$", first);
            Assert.Matches(@"^\s*2\s+2\s+revised\s+bob\s+.*\bmain\s+two$", Assert.Single(lines, l => l.TrimStart().StartsWith("2 ", StringComparison.Ordinal)));
        }

        [Fact]
        public void Branches_namespaces_and_conflicts_render_as_tables()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'base'
                New-EngramFork -Store $store shared -Branch alt -Reason 'an idea' | Out-Null
                Set-EngramMemory -Store $store shared k 'theirs' -Branch alt
                Set-EngramMemory -Store $store shared k 'ours'
                """);

            string[] branches = Render("Get-EngramBranch -Store $store");
            Assert.Equal(new[] { "Namespace", "Name", "Scope", "Changed", "Created", "Actor", "Reason" }, Columns(Header(branches, "Namespace")));
            Assert.Matches(@"^shared\s+alt\s+Namespace\s+1\s+\d{4}-.*an idea$", Assert.Single(branches, l => l.StartsWith("shared ", StringComparison.Ordinal)));

            string[] namespaces = Render("Get-EngramNamespace -Store $store");
            Assert.Equal(new[] { "Name", "Tracked", "Memories", "Standard" }, Columns(Header(namespaces, "Name")));
            Assert.Matches(@"^shared\s+True\s+1\s+True$", Assert.Single(namespaces, l => l.StartsWith("shared ", StringComparison.Ordinal)));

            EngramRunResult conflicts = Run("Merge-EngramBranch -Store $store shared -Branch alt", outDefault: true);
            AssertErrorIds(conflicts, "MergeConflict");
            string[] lines = conflicts.HostText.Split('\n').Select(l => l.TrimEnd()).ToArray();
            Assert.Equal(new[] { "Key", "Branch", "Base", "Ours", "Theirs", "Resolution" }, Columns(Header(lines, "Key")));
            Assert.Matches(@"^k\s+alt\s+base\s+ours\s+theirs$", Assert.Single(lines, l => l.StartsWith("k ", StringComparison.Ordinal)));

            string[] plan = Render("Merge-EngramBranch -Store $store shared -Branch alt -Strategy Theirs -WhatIf");
            Assert.Contains(plan, l => l.StartsWith("Applied", StringComparison.Ordinal) && l.EndsWith(": False", StringComparison.Ordinal));
            Assert.Contains(plan, l => l.StartsWith("Conflicted", StringComparison.Ordinal) && l.EndsWith(": k", StringComparison.Ordinal));
        }

        [Fact]
        public void Store_report_and_its_findings_render_with_their_views()
        {
            Ok("Set-EngramMemory -Store $store shared k 'v1'");
            System.IO.Directory.CreateDirectory(StorePath("_tmp"));
            System.IO.File.WriteAllText(StorePath("_tmp", "x.tmp"), "orphan");

            string[] report = Render("Test-EngramStore -Store $store -WarningAction SilentlyContinue");
            Assert.Contains(report, l => l.StartsWith("Healthy", StringComparison.Ordinal) && l.EndsWith(": False", StringComparison.Ordinal));
            Assert.Contains(report, l => l.StartsWith("Findings", StringComparison.Ordinal) && l.EndsWith(": 1", StringComparison.Ordinal));

            string[] findings = Render("(Test-EngramStore -Store $store -WarningAction SilentlyContinue).Findings");
            Assert.Equal(new[] { "Severity", "Kind", "Memory", "Seq", "Repaired", "Message" }, Columns(Header(findings, "Severity")));
            Assert.Matches(@"^Warning\s+OrphanTempFile\s+False\s+Temporary file", Assert.Single(findings, l => l.StartsWith("Warning ", StringComparison.Ordinal)));

            string[] info = Render("Initialize-EngramStore -Store $store -Force");
            Assert.Contains(info, l => l.StartsWith("TrackedNamespaces", StringComparison.Ordinal) && l.EndsWith(": shared, longterm", StringComparison.Ordinal));
        }

        [Fact]
        public void Merge_result_conflicts_render_with_the_conflict_view()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 'base'
                New-EngramFork -Store $store shared -Branch alt | Out-Null
                Set-EngramMemory -Store $store shared k 'theirs' -Branch alt
                Set-EngramMemory -Store $store shared k 'ours'
                """);

            string[] lines = Render("(Merge-EngramBranch -Store $store shared -Branch alt -Strategy Ours).Conflicts");

            Assert.Equal(new[] { "Key", "Branch", "Base", "Ours", "Theirs", "Resolution" }, Columns(Header(lines, "Key")));
            Assert.Matches(@"^k\s+alt\s+base\s+ours\s+theirs\s+ours$", Assert.Single(lines, l => l.StartsWith("k ", StringComparison.Ordinal)));
        }

        // ------------------------------------------------------------------ completion

        private string[] Complete(string inputScript)
        {
            EngramRunResult result = Ok("(TabExpansion2 -inputScript $inputScript -cursorColumn $inputScript.Length).CompletionMatches | ForEach-Object CompletionText",
                new Dictionary<string, object?> { ["inputScript"] = inputScript });
            return result.BaseObjects.Cast<string>().ToArray();
        }

        private string StoreLiteral => "'" + Store.Replace("'", "''") + "'";

        [Fact]
        public void Namespace_completion_offers_standard_and_existing_namespaces()
        {
            Ok("""
                Set-EngramMemory -Store $store my-project k 1
                Set-EngramMemory -Store $store shared k 1
                """);

            Assert.Equal(new[] { "shared" }, Complete($"Get-EngramMemory -Store {StoreLiteral} -Namespace sh"));
            Assert.Equal(new[] { "my-project" }, Complete($"Get-EngramMemory -Store {StoreLiteral} -Namespace my"));
            Assert.Contains("session", Complete($"Set-EngramMemory -Store {StoreLiteral} -Namespace s"));
            Assert.Contains("conversations", Complete($"Get-EngramNamespace -Store {StoreLiteral} -Name c"));
            // Without a store the standard namespaces are still offered.
            string missing = "'" + (Store + "-missing").Replace("'", "''") + "'";
            Assert.Equal(new[] { "longterm" }, Complete($"Get-EngramMemory -Store {missing} -Namespace lo"));
            Assert.Empty(Complete($"Get-EngramMemory -Store {missing} -Namespace my"));
        }

        [Fact]
        public void Key_completion_offers_the_keys_of_the_namespace_quoted_when_needed()
        {
            Ok("""
                Set-EngramMemory -Store $store shared deploy-target 1
                Set-EngramMemory -Store $store shared 'deploy notes' 2
                Set-EngramMemory -Store $store shared other 3
                Set-EngramMemory -Store $store session deploy-session 4
                """);

            Assert.Equal(new[] { "'deploy notes'", "deploy-target" },
                Complete($"Get-EngramMemory -Store {StoreLiteral} -Namespace shared -Key dep").OrderBy(s => s, StringComparer.Ordinal));
            Assert.Equal(new[] { "deploy-session" }, Complete($"Remove-EngramMemory -Store {StoreLiteral} -Namespace session -Key d"));
            Assert.Equal(new[] { "other" }, Complete($"Get-EngramProvenance -Store {StoreLiteral} shared o"));
            Assert.Empty(Complete($"Get-EngramMemory -Store {StoreLiteral} -Key dep"));
        }

        [Fact]
        public void Branch_completion_offers_main_and_the_namespace_branches()
        {
            Ok("""
                Set-EngramMemory -Store $store shared k 1
                Set-EngramMemory -Store $store session k 1
                New-EngramFork -Store $store shared -Branch alt-one | Out-Null
                New-EngramFork -Store $store shared -Branch alt-two | Out-Null
                New-EngramFork -Store $store session -Branch alt-session | Out-Null
                """);

            Assert.Equal(new[] { "alt-one", "alt-two" },
                Complete($"Get-EngramMemory -Store {StoreLiteral} -Namespace shared -Branch alt").OrderBy(s => s, StringComparer.Ordinal));
            Assert.Equal(new[] { "alt-one", "alt-two", "main" },
                Complete($"Get-EngramMemory -Store {StoreLiteral} -Namespace shared -Branch ").OrderBy(s => s, StringComparer.Ordinal));
            // main is not a branch to merge or remove: Merge-EngramBranch and Remove-EngramBranch do not offer it.
            Assert.Equal(new[] { "alt-one", "alt-two" },
                Complete($"Merge-EngramBranch -Store {StoreLiteral} -Namespace shared -Branch ").OrderBy(s => s, StringComparer.Ordinal));
            Assert.Equal(new[] { "alt-session" }, Complete($"Remove-EngramBranch -Store {StoreLiteral} -Namespace session -Branch a"));
        }

        [Fact]
        public void Completion_follows_the_PowerShell_location_for_relative_store_paths()
        {
            Ok("""
                Set-EngramMemory -Store $store shared relative-key 1
                $ExecutionContext.SessionState.Path.SetLocation($testRoot) | Out-Null
                """);

            Assert.Equal(new[] { "relative-key" }, Complete("Get-EngramMemory -Store store -Namespace shared -Key rel"));
        }

        // ------------------------------------------------------------------ module surface

        private string[] ManifestCmdlets()
        {
            ScriptBlockAst ast = Parser.ParseFile(Fixture.ManifestPath, out _, out ParseError[] errors);
            Assert.Empty(errors);
            var manifest = (Hashtable)((HashtableAst)ast.Find(a => a is HashtableAst, false)!).SafeGetValue();
            return ((object[])manifest["CmdletsToExport"]!).Cast<string>().ToArray();
        }

        [Fact]
        public void Module_exports_exactly_the_manifest_cmdlets()
        {
            string[] expected = ManifestCmdlets();
            Assert.Contains("Set-EngramMemory", expected);

            EngramRunResult commands = Ok("Get-Command -Module Engram | ForEach-Object { $_.CommandType.ToString() + ' ' + $_.Name }");

            Assert.Equal(expected.Select(n => "Cmdlet " + n).OrderBy(n => n, StringComparer.Ordinal),
                commands.BaseObjects.Cast<string>().OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void Every_cmdlet_has_the_common_parameters_and_data_changing_ones_support_WhatIf()
        {
            // Verbs that change data must support -WhatIf/-Confirm; pure reads must not. (Test-EngramStore has -Repair.)
            string[] changingVerbs = { "Initialize", "Set", "Remove", "New", "Merge", "Restore", "Update", "Optimize" };
            string[] readingVerbs = { "Get", "Compare" };

            EngramRunResult result = Ok("""
                Get-Command -Module Engram | ForEach-Object {
                    $p = $_.Parameters
                    $common = 'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ErrorVariable',
                              'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable'
                    $missing = @($common | Where-Object { -not $p.ContainsKey($_) })
                    '{0}|{1}|{2}|{3}|{4}' -f $_.Name, ($missing -join ','), $p.ContainsKey('WhatIf'), $p.ContainsKey('Confirm'), $p.ContainsKey('Store')
                }
                """);

            var rows = result.BaseObjects.Cast<string>().Select(r => r.Split('|')).ToDictionary(r => r[0]);
            Assert.Equal(ManifestCmdlets().OrderBy(n => n), rows.Keys.OrderBy(n => n));
            foreach (var (name, row) in rows)
            {
                Assert.True(row[1] == "", $"{name} lacks common parameters: {row[1]}");
                Assert.True(row[2] == row[3], $"{name}: -WhatIf {row[2]} but -Confirm {row[3]}");
                string verb = name.Split('-')[0];
                if (changingVerbs.Contains(verb)) Assert.True(row[2] == "True", $"{name} changes data but has no -WhatIf");
                if (readingVerbs.Contains(verb)) Assert.True(row[2] == "False", $"{name} only reads but has -WhatIf");
                // Copy-EngramStore names its two stores with -Source and -Destination: it has no -Store.
                Assert.True(row[4] == (name == "Copy-EngramStore" ? "False" : "True"), $"{name}: -Store {row[4]}");
            }
            Assert.Equal("True", rows["Test-EngramStore"][2]);
        }

        [Fact]
        public void Get_Command_Syntax_lists_every_cmdlet_with_Store()
        {
            EngramRunResult result = Ok("Get-Command -Module Engram | ForEach-Object { [string]::Join(' ', (Get-Command $_.Name -Syntax)) }");

            Assert.Equal(ManifestCmdlets().Length, result.Output.Count);
            Assert.All(result.BaseObjects.Cast<string>().Where(s => !s.Contains("Copy-EngramStore")), s => Assert.Contains("-Store <string>", s));
        }
    }
}
