using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Engram.Core;
using Engram.Core.Storage;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// What Test-EngramStore, Test-EngramProvenance and anchors report on a damaged file store, and what -Repair leaves
    /// on disk, recorded once (Golden/verify/&lt;scenario&gt;.txt) and compared on every run: every finding (severity,
    /// kind, message, path, namespace, key, sequence number, repaired), every count, and after a repair every file of
    /// the store. Names that change from run to run (the store's folder, memory ids, times, hashes) are replaced by
    /// placeholders; findings are listed by path, each path's in the order reported. Set ENGRAM_UPDATE_GOLDEN=1 to
    /// write the files again (review the diff: it is the change users see).
    /// </summary>
    public partial class VerifierCharacterizationTests
    {
        public static IEnumerable<object[]> Scenarios() => AllScenarios.Keys.Select(k => new object[] { k });

        [Theory]
        [MemberData(nameof(Scenarios))]
        public void Findings_AndRepairs_AreAsRecorded(string scenario)
        {
            using var t = new TempStore();
            var outside = Path.Combine(t.Parent, "outside");
            Directory.CreateDirectory(outside);
            var log = new StringBuilder();
            var run = new Run(t, outside, log);
            AllScenarios[scenario](run);
            if (run.NoLinks) return; // Windows without the privilege to create links: nothing to compare
            var actual = Normalize(log.ToString(), t.Root, outside);

            var golden = Path.Combine(GoldenDir, scenario + ".txt");
            if (Environment.GetEnvironmentVariable("ENGRAM_UPDATE_GOLDEN") == "1")
            {
                Directory.CreateDirectory(GoldenDir);
                File.WriteAllText(golden, actual);
            }
            Assert.True(File.Exists(golden), $"no recorded result for '{scenario}' ({golden}): run with ENGRAM_UPDATE_GOLDEN=1");
            Assert.Equal(File.ReadAllText(golden).Replace("\r\n", "\n"), actual);
        }

        /// <summary>The golden files, in the source tree (found from the test assembly's folder upwards).</summary>
        private static string GoldenDir
        {
            get
            {
                for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                {
                    var candidate = Path.Combine(d.FullName, "tests", "Engram.Core.Tests", "Golden", "verify");
                    if (Directory.Exists(Path.Combine(d.FullName, "tests", "Engram.Core.Tests"))) return candidate;
                }
                throw new InvalidOperationException("The source tree (tests/Engram.Core.Tests) was not found above " + AppContext.BaseDirectory);
            }
        }

        private static string Normalize(string text, string root, string outside)
        {
            text = text.Replace(outside, "<outside>").Replace(root, "<root>").Replace('\\', '/');
            text = Regex.Replace(text, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>");
            text = Regex.Replace(text, @"\b[0-9a-f]{64}\b", "<hash>");
            text = Regex.Replace(text, @"\b[0-9a-f]{32}\b", "<id>");
            text = Regex.Replace(text, @"\b\d{17}-[0-9a-f]{8}\b", "<txn>");
            return text;
        }

        /// <summary>One scenario's store and its record of what was reported.</summary>
        public sealed class Run
        {
            public Run(TempStore t, string outside, StringBuilder log)
            {
                T = t;
                Outside = outside;
                Log = log;
            }

            public TempStore T { get; }
            /// <summary>Set when the scenario needs links and this system cannot make them.</summary>
            public bool NoLinks { get; set; }
            public string Outside { get; }
            public StringBuilder Log { get; }
            public string P(params string[] parts) => T.P(parts);

            public void Verify(bool repair = false)
            {
                Log.Append("== Verify").Append(repair ? " -Repair" : "").Append('\n');
                Record(T.Reopen().Verify(repair));
                if (repair) Disk();
            }

            public void Provenance(string ns, Func<string, bool>? keyFilter = null)
            {
                Log.Append("== VerifyProvenance ").Append(ns).Append(keyFilter != null ? " (filtered)" : "").Append('\n');
                Record(T.Reopen().VerifyProvenance(ns, keyFilter));
            }

            public void Against(ProvenanceHead head)
            {
                Log.Append("== VerifyAgainst ").Append(head.Namespace).Append('\n');
                Record(T.Reopen().VerifyAgainst(head));
            }

            private void Record(StoreReport r)
            {
                Log.Append(System.Globalization.CultureInfo.InvariantCulture, $"memories {r.MemoriesChecked}, histories {r.HistoriesChecked}, entries {r.EntriesChecked}, branches {r.BranchesChecked}, healthy {r.Healthy}\n");
                foreach (var f in r.Findings.OrderBy(f => f.Path ?? "", StringComparer.Ordinal))
                    Log.Append(System.Globalization.CultureInfo.InvariantCulture, $"- {f.Severity} {f.Kind} ns={f.Namespace ?? "-"} key={f.Key ?? "-"} seq={f.Seq?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} repaired={f.Repaired} path={f.Path ?? "-"}\n  {f.Message}\n");
            }

            /// <summary>Every file of the store (text files whole, others by length), folders included.</summary>
            public void Disk()
            {
                Log.Append("-- disk\n");
                foreach (var d in Directory.EnumerateFileSystemEntries(T.Root, "*", SearchOption.AllDirectories)
                    .Select(p => (Path: p, Rel: Path.GetRelativePath(T.Root, p).Replace('\\', '/')))
                    .Where(x => x.Rel != "_lock" && x.Rel != StoreConfig.FileName) // the configuration: no repair touches it
                    .OrderBy(x => x.Rel, StringComparer.Ordinal))
                {
                    var info = new FileInfo(d.Path);
                    if (info.LinkTarget != null) { Log.Append(d.Rel).Append(" -> link\n"); continue; }
                    if (Directory.Exists(d.Path)) { Log.Append(d.Rel).Append("/\n"); continue; }
                    var bytes = File.ReadAllBytes(d.Path);
                    bool text = bytes.Length < 64 * 1024 && bytes.All(b => b == '\n' || b == '\t' || (b >= 32 && b < 127));
                    Log.Append(d.Rel).Append(text ? " (text)\n" : " (" + bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes)\n");
                    if (text) foreach (var line in Encoding.ASCII.GetString(bytes).Split('\n')) Log.Append("  | ").Append(line).Append('\n');
                }
            }
        }
    }
}
