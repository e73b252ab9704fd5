using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Engram.Host;
using Xunit;
using Xunit.Sdk;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// Get-Help for the built module (generated from docs/help/*.md by src/Engram.HelpGen on every build), checked
    /// through the hosted engine for every command Get-Command -Module Engram lists; plus the generator's refusals
    /// (a cmdlet without help, a parameter that drifted, too few examples) on a scratch copy of the sources.
    /// </summary>
    public sealed class HelpTests : PowerShellTestBase
    {
        /// <summary>Fewer exported commands than this means the module did not load properly (tests must not pass vacuously).</summary>
        private const int MinimumCommands = 18;

        // Shared prefix of the help checks: every Engram cmdlet, its full help, and a problem list to fill.
        private const string Prelude = @"
$common = [System.Management.Automation.PSCmdlet]::CommonParameters
$commands = @(Get-Command -Module Engram -CommandType Cmdlet)
$problems = [System.Collections.Generic.List[string]]::new()
function Text($items) { (@($items) | Where-Object { $_ } | ForEach-Object { [string]$_.Text }) -join ""`n"" }
# Hidden plumbing ([Parameter(DontShow)], e.g. PSOrigin) is left out of help, as Get-Help leaves it out of syntax.
function Hidden($p) { @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }).Count -gt 0 }
";

        private const string Epilogue = @"
[pscustomobject]@{ Count = $commands.Count; Problems = $problems.ToArray() }
";

        public HelpTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void Every_command_has_a_synopsis_and_a_description_from_the_module_help_file()
        {
            AssertNoProblems(@"
foreach ($c in $commands) {
    $h = Get-Help $c.Name -Full
    $synopsis = ([string]$h.Synopsis).Trim()
    if (-not $synopsis) { $problems.Add(""$($c.Name): empty synopsis"") }
    elseif ($synopsis.StartsWith($c.Name)) { $problems.Add(""$($c.Name): the synopsis is the generated syntax, so no MAML help was found"") }
    if (-not (Text $h.description).Trim()) { $problems.Add(""$($c.Name): empty description"") }
    # HelpFile is the bare file name until Get-Help has located it, then its full path.
    $file = [System.IO.Path]::Combine($c.Module.ModuleBase, 'en-US', [System.IO.Path]::GetFileName([string]$c.HelpFile))
    if ([System.IO.Path]::GetFileName([string]$c.HelpFile) -ne 'Engram.PowerShell.dll-Help.xml' -or -not [System.IO.File]::Exists($file)) {
        $problems.Add(""$($c.Name): help file '$($c.HelpFile)' not found at $file"")
    }
}");
        }

        [Fact]
        public void Every_command_has_at_least_two_examples_with_code_and_an_explanation()
        {
            AssertNoProblems(@"
foreach ($c in $commands) {
    $examples = @((Get-Help $c.Name -Full).examples.example | Where-Object { $_ })
    if ($examples.Count -lt 2) { $problems.Add(""$($c.Name): $($examples.Count) example(s), expected at least 2"") }
    $n = 0
    foreach ($e in $examples) {
        $n++
        if (-not ([string]$e.code).Trim()) { $problems.Add(""$($c.Name): example $n has no code"") }
        if (-not (Text $e.remarks).Trim()) { $problems.Add(""$($c.Name): example $n has no explanation"") }
    }
}");
        }

        [Fact]
        public void Every_parameter_is_documented_with_a_description()
        {
            AssertNoProblems(@"
foreach ($c in $commands) {
    $documented = @{}
    foreach ($hp in @((Get-Help $c.Name -Full).parameters.parameter | Where-Object { $_ })) { $documented[[string]$hp.name] = $hp }
    foreach ($p in $c.Parameters.Values) {
        if ($common -contains $p.Name -or (Hidden $p)) { continue }
        $hp = $documented[$p.Name]
        if (-not $hp) { $problems.Add(""$($c.Name): -$($p.Name) is missing from help""); continue }
        if (-not (Text $hp.description).Trim()) { $problems.Add(""$($c.Name): -$($p.Name) has no description"") }
    }
    foreach ($name in $documented.Keys) {
        if (-not $c.Parameters.ContainsKey($name)) { $problems.Add(""$($c.Name): help documents -$name, which the command does not have"") }
    }
}");
        }

        [Fact]
        public void Parameter_facts_in_help_match_the_command_metadata()
        {
            // Type, pipeline input, wildcards and aliases in the parameters section; mandatory and position per
            // parameter set in the syntax (one syntax item per set).
            AssertNoProblems(@"
foreach ($c in $commands) {
    $h = Get-Help $c.Name -Full
    $documented = @{}
    foreach ($hp in @($h.parameters.parameter | Where-Object { $_ })) { $documented[[string]$hp.name] = $hp }
    foreach ($p in $c.Parameters.Values) {
        if ($common -contains $p.Name -or (Hidden $p)) { continue }
        $hp = $documented[$p.Name]
        if (-not $hp) { continue }
        $byValue = @($p.ParameterSets.Values | Where-Object { $_.ValueFromPipeline }).Count -gt 0
        $byName = @($p.ParameterSets.Values | Where-Object { $_.ValueFromPipelineByPropertyName }).Count -gt 0
        $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
        if ([string]$hp.pipelineInput -ne $pipeline) { $problems.Add(""$($c.Name) -$($p.Name): pipeline input '$($hp.pipelineInput)', expected '$pipeline'"") }
        $wildcards = (@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count -gt 0).ToString().ToLowerInvariant()
        if ([string]$hp.globbing -ne $wildcards) { $problems.Add(""$($c.Name) -$($p.Name): globbing '$($hp.globbing)', expected '$wildcards'"") }
        $aliases = if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }
        if ([string]$hp.aliases -ne $aliases) { $problems.Add(""$($c.Name) -$($p.Name): aliases '$($hp.aliases)', expected '$aliases'"") }
        $type = $p.ParameterType
        $underlying = [System.Nullable]::GetUnderlyingType($type)
        if ($underlying) { $type = $underlying }
        if ([string]$hp.type.name -ne $type.FullName) { $problems.Add(""$($c.Name) -$($p.Name): type '$($hp.type.name)', expected '$($type.FullName)'"") }
    }

    $items = @($h.syntax.syntaxItem | Where-Object { $_ })
    if ($items.Count -ne $c.ParameterSets.Count) { $problems.Add(""$($c.Name): $($items.Count) syntax item(s) for $($c.ParameterSets.Count) parameter set(s)"") }
    foreach ($set in $c.ParameterSets) {
        $names = @($set.Parameters | Where-Object { $common -notcontains $_.Name -and -not (Hidden $_) } | ForEach-Object { $_.Name })
        $item = @($items | Where-Object {
            $inItem = @($_.parameter | ForEach-Object { [string]$_.name })
            $inItem.Count -eq $names.Count -and @($names | Where-Object { $inItem -notcontains $_ }).Count -eq 0
        })[0]
        if (-not $item) { $problems.Add(""$($c.Name): no syntax item for parameter set '$($set.Name)' ($($names -join ', '))""); continue }
        foreach ($sp in $set.Parameters) {
            if ($common -contains $sp.Name -or (Hidden $sp)) { continue }
            $hp = @($item.parameter | Where-Object { $_.name -eq $sp.Name })[0]
            $required = $sp.IsMandatory.ToString().ToLowerInvariant()
            if ([string]$hp.required -ne $required) { $problems.Add(""$($c.Name) [$($set.Name)] -$($sp.Name): required '$($hp.required)', expected '$required'"") }
            $position = if ($sp.Position -lt 0) { 'named' } else { [string]$sp.Position }
            if ([string]$hp.position -ne $position) { $problems.Add(""$($c.Name) [$($set.Name)] -$($sp.Name): position '$($hp.position)', expected '$position'"") }
        }
    }
}");
        }

        [Fact]
        public void About_Engram_is_found_beside_the_module()
        {
            EngramRunResult result = Run("[string](Get-Help about_Engram)");
            AssertNoErrors(result);
            string text = string.Concat(result.Output.Select(o => o.ToString()));
            foreach (string expected in new[] { "about_Engram", "SHORT DESCRIPTION", "LONG DESCRIPTION", "_provenance", "ENGRAM_STORE", "Merge-EngramBranch" })
                Assert.Contains(expected, text, StringComparison.Ordinal);

            // Listed as a conceptual topic, with the SHORT DESCRIPTION line as its synopsis.
            PSObject topic = Assert.Single(Run("Get-Help about_Engram* | Where-Object Name -eq 'about_Engram'").Output);
            Assert.Equal("HelpFile", topic.Properties["Category"]?.Value?.ToString());
            string synopsis = topic.Properties["Synopsis"]?.Value?.ToString() ?? "";
            Assert.False(string.IsNullOrWhiteSpace(synopsis));
            Assert.DoesNotContain("DESCRIPTION", synopsis, StringComparison.Ordinal);
            Assert.Contains(synopsis.Trim(), text, StringComparison.Ordinal);
        }

        // ------------------------------------------------------------------ the generator (run as the build runs it)

        [Fact]
        public void Generator_writes_valid_maml_for_every_cmdlet_from_the_repository_sources()
        {
            using var sources = new ScratchSources(Fixture);
            GeneratorRun run = sources.Generate();
            Assert.True(run.ExitCode == 0, run.ToString());

            XDocument maml = XDocument.Load(Path.Combine(sources.Output, "Engram.PowerShell.dll-Help.xml"));
            XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
            XNamespace msh = "http://msh";
            Assert.Equal(msh + "helpItems", maml.Root!.Name);
            string[] documented = maml.Root.Elements(command + "command")
                .Select(c => c.Element(command + "details")!.Element(command + "name")!.Value).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            string[] exported = Run("@(Get-Command -Module Engram -CommandType Cmdlet | ForEach-Object { $_.Name })").Output
                .Select(o => o.ToString()).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.True(exported.Length >= MinimumCommands, $"only {exported.Length} commands exported");
            Assert.Equal(exported, documented);

            // Get-Help reads the synopsis of an about topic from line 5.
            string[] about = File.ReadAllLines(Path.Combine(sources.Output, "about_Engram.help.txt"));
            Assert.Equal("TOPIC", about[0]);
            Assert.Equal("SHORT DESCRIPTION", about[3]);
            Assert.False(string.IsNullOrWhiteSpace(about[4]));
        }

        [Fact]
        public void Generator_fails_when_a_cmdlet_has_no_help_file()
        {
            using var sources = new ScratchSources(Fixture);
            File.Delete(sources.HelpFile("Get-EngramBranch"));
            GeneratorRun run = sources.Generate();
            run.AssertFailed("EHG001", "Get-EngramBranch");
            Assert.False(File.Exists(Path.Combine(sources.Output, "Engram.PowerShell.dll-Help.xml")), "nothing may be written on failure");
        }

        [Fact]
        public void Generator_fails_when_documented_parameters_drift_from_the_cmdlet()
        {
            using var sources = new ScratchSources(Fixture);
            string path = sources.HelpFile("Remove-EngramMemory");
            string text = File.ReadAllText(path);
            text = Regex.Replace(text, @"### -Reason\r?\n.*?\r?\n\r?\n", "", RegexOptions.Singleline);  // a parameter it has
            text = text.Replace("## INPUTS", "### -Recurse\nDeletes nested memories.\n\n## INPUTS");    // one it does not have
            File.WriteAllText(path, text);

            GeneratorRun run = sources.Generate();
            run.AssertFailed("EHG003", "-Reason");
            run.AssertFailed("EHG004", "-Recurse");
        }

        [Fact]
        public void Generator_fails_on_too_few_examples_or_a_help_file_for_a_missing_cmdlet()
        {
            using var sources = new ScratchSources(Fixture);
            string path = sources.HelpFile("New-EngramFork");
            string text = File.ReadAllText(path);
            int second = text.IndexOf("### Example 2", StringComparison.Ordinal);
            int parameters = text.IndexOf("## PARAMETERS", StringComparison.Ordinal);
            Assert.True(second > 0 && parameters > second, "New-EngramFork.md is expected to have exactly two examples");
            File.WriteAllText(path, text.Remove(second, parameters - second));
            File.Copy(sources.HelpFile("Get-EngramBranch"), sources.HelpFile("Get-EngramTwig"));

            GeneratorRun run = sources.Generate();
            run.AssertFailed("EHG006", "New-EngramFork.md");
            run.AssertFailed("EHG002", "Get-EngramTwig");
        }

        // ------------------------------------------------------------------ helpers

        private void AssertNoProblems(string checks)
        {
            EngramRunResult result = Run(Prelude + checks + Epilogue);
            AssertNoErrors(result);
            PSObject summary = Assert.Single(result.Output);
            int count = Convert.ToInt32(summary.Properties["Count"]!.Value, CultureInfo.InvariantCulture);
            Assert.True(count >= MinimumCommands, $"Get-Command -Module Engram listed only {count} commands");
            object? raw = summary.Properties["Problems"]!.Value;
            if (raw is PSObject wrapped) raw = wrapped.BaseObject;
            var problems = ((System.Collections.IEnumerable)raw!).Cast<object>().Select(p => p.ToString()!).ToList();
            if (problems.Count > 0)
                throw new XunitException($"{problems.Count} help problem(s) in {count} commands:" + Environment.NewLine + string.Join(Environment.NewLine, problems));
        }

        /// <summary>A copy of docs/help and docs/about_Engram.md in a temp folder, to break on purpose and generate from.</summary>
        private sealed class ScratchSources : IDisposable
        {
            private readonly string _root;
            private readonly string _moduleAssembly;

            public ScratchSources(PowerShellFixture fixture)
            {
                string repo = ModuleLocator.FindRepositoryRoot() ?? throw new XunitException("Cannot find the repository root (Engram.PowerShell.sln).");
                _root = fixture.CreateTempDirectory();
                Help = Directory.CreateDirectory(Path.Combine(_root, "help")).FullName;
                foreach (string file in Directory.GetFiles(Path.Combine(repo, "docs", "help"), "*.md"))
                    File.Copy(file, Path.Combine(Help, Path.GetFileName(file)));
                About = Path.Combine(_root, "about_Engram.md");
                File.Copy(Path.Combine(repo, "docs", "about_Engram.md"), About);
                Output = Path.Combine(_root, "out");
                _moduleAssembly = Path.Combine(Path.GetDirectoryName(fixture.ManifestPath)!, "Engram.PowerShell.dll");
#if DEBUG
                const string configuration = "Debug";
#else
                const string configuration = "Release";
#endif
                Generator = Path.Combine(repo, "src", "Engram.HelpGen", "bin", configuration, "net10.0", "Engram.HelpGen.dll");
                if (!File.Exists(Generator)) throw new XunitException($"The help generator is not built: {Generator}");
            }

            public string Help { get; }
            public string About { get; }
            public string Output { get; }
            public string Generator { get; }

            public string HelpFile(string command) => Path.Combine(Help, command + ".md");

            public GeneratorRun Generate()
            {
                var start = new ProcessStartInfo(DotnetMuxer())
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (string arg in new[] { Generator, _moduleAssembly, Help, About, Output }) start.ArgumentList.Add(arg);
                using var process = Process.Start(start)!;
                var stderr = process.StandardError.ReadToEndAsync();
                string stdout = process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(120_000)) { process.Kill(true); throw new XunitException("Engram.HelpGen did not finish in 2 minutes."); }
                return new GeneratorRun(process.ExitCode, stdout, stderr.Result);
            }

            private static string DotnetMuxer()
            {
                string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
                if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
                string? self = Environment.ProcessPath;
                if (self != null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
                return "dotnet";
            }

            public void Dispose() => PowerShellFixture.TryDeleteDirectory(_root);
        }

        private sealed class GeneratorRun
        {
            public GeneratorRun(int exitCode, string stdOut, string stdErr)
            {
                ExitCode = exitCode;
                StdOut = stdOut;
                StdErr = stdErr;
            }

            public int ExitCode { get; }
            public string StdOut { get; }
            public string StdErr { get; }

            /// <summary>Asserts exit code 1 and an error line with this code that mentions <paramref name="mention"/>.</summary>
            public void AssertFailed(string code, string mention)
            {
                Assert.True(ExitCode == 1, ToString());
                bool found = StdErr.Split('\n').Any(l => l.Contains("error " + code + ":", StringComparison.Ordinal) && l.Contains(mention, StringComparison.Ordinal));
                Assert.True(found, $"expected an {code} error mentioning '{mention}':{Environment.NewLine}{this}");
            }

            public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{StdOut}stderr:{Environment.NewLine}{StdErr}";
        }
    }
}
