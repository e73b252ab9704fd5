using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Issue 16, target 5: a namespace of 1,000,000 memories (files and SQLite). Get by key against a namespace of 1,000
    /// (interleaved, in <see cref="Paired"/>), and the peak memory of listing, Test-EngramStore and Copy-EngramStore
    /// over it, each measured in a process of its own (<c>--peak &lt;op&gt; &lt;location&gt;</c>) so one operation's
    /// heap never counts for another. The stores are fixtures (built once, reused by later runs).
    /// </summary>
    public static class Scale
    {
        public const int SmallCount = 1_000;

        /// <summary>The fixture store of <paramref name="n"/> ~100-byte memories (<see cref="StoreSize"/>'s layout) on a backend, built once.</summary>
        public static string Location(string backend, int n)
        {
            var dir = BenchEnv.Fixture($"scale-{backend}-{n}", d =>
            {
                var store = StoreSize.Build(backend, d, n, new List<Action>());
                (store as IDisposable)?.Dispose();
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // the folder is renamed into place next
            });
            return backend == "sqlite" ? "sqlite:" + Path.Combine(dir, "store.db") : Path.Combine(dir, "store");
        }

        /// <summary>A key in the middle of a fixture of <paramref name="n"/> memories.</summary>
        public static string MiddleKey(int n) => StoreSize.MemoryKey(n / 2 + 1);

        /// <summary>
        /// Runs each operation in a child process over the big fixture and returns a Markdown table of peak resident
        /// memory (VmHWM) and wall time.
        /// </summary>
        public static IEnumerable<string> PeakTable(IEnumerable<string> backends, int n)
        {
            yield return "| backend | operation | memories | wall time | peak memory (VmHWM) | target |";
            yield return "|---|---|---:|---:|---:|---|";
            foreach (var backend in backends)
            {
                var location = Location(backend, n);
                foreach (var op in new[] { "open", "list", "verify", "copy" })
                {
                    var copyDir = BenchEnv.NewTempDir("scale-copy-" + backend);
                    try
                    {
                        var target = backend == "sqlite" ? "sqlite:" + Path.Combine(copyDir, "copy.db") : Path.Combine(copyDir, "copy");
                        var line = RunChild(op, location, target);
                        yield return $"| {backend} | {Describe(op)} | {n:N0} | {line.Seconds:0.0} s | {line.PeakMb:N0} MB | {(op == "list" ? "flat" : op == "open" ? "(baseline)" : "< 300 MB")} |";
                    }
                    finally { BenchEnv.DeleteDir(copyDir); }
                }
            }
        }

        private static string Describe(string op) => op switch
        {
            "open" => "open the store, Get one key",
            "list" => "list the namespace, read every memory (Get-EngramMemory *)",
            "verify" => "Test-EngramStore (Verify)",
            _ => "Copy-EngramStore (Export → Import) to the same backend",
        };

        private readonly struct ChildResult
        {
            public ChildResult(double seconds, double peakMb) { Seconds = seconds; PeakMb = peakMb; }
            public double Seconds { get; }
            public double PeakMb { get; }
        }

        private static ChildResult RunChild(string op, string location, string target)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { typeof(Scale).Assembly.Location, "--peak", op, location, target }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var result = output.Split('\n').FirstOrDefault(l => l.StartsWith("peak ", StringComparison.Ordinal));
            if (p.ExitCode != 0 || result == null)
                throw new InvalidOperationException($"--peak {op} failed (exit {p.ExitCode}): {output} {stderr.Result}");
            var parts = result.Split(' ');
            return new ChildResult(double.Parse(parts[2], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
        }

        /// <summary>
        /// <c>--peak &lt;open|list|verify|copy&gt; &lt;location&gt; &lt;copy target&gt;</c>: one operation, then a line
        /// <c>peak &lt;MB&gt; &lt;seconds&gt; &lt;count&gt;</c>.
        /// </summary>
        public static int Peak(string[] args)
        {
            string op = args[1], location = args[2], target = args[3];
            var sw = Stopwatch.StartNew();
            long count = 0;
            var store = EngramBackends.Open(location);
            switch (op)
            {
                case "open":
                    count = store.Get(BenchEnv.UntrackedNs, StoreSize.Key).Version;
                    break;
                case "list":
                    foreach (var location1 in store.List(BenchEnv.UntrackedNs))
                    {
                        var m = store.Read(location1);
                        count += m.Version;
                    }
                    break;
                case "verify":
                    var report = store.Verify();
                    count = report.MemoriesChecked;
                    if (report.Findings.Count > 0) throw new InvalidOperationException($"Verify found {report.Findings.Count} findings: {report.Findings[0].Message}");
                    break;
                case "copy":
                    var destination = EngramBackends.Open(target);
                    destination.Import(store.Export());
                    count = destination.CountMemoriesForBench();
                    (destination as IDisposable)?.Dispose();
                    break;
                default:
                    throw new ArgumentException("unknown --peak operation " + op);
            }
            (store as IDisposable)?.Dispose();
            Console.WriteLine($"peak {PeakResidentMb().ToString("0.0", CultureInfo.InvariantCulture)} {sw.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} {count}");
            return 0;
        }

        private static long CountMemoriesForBench(this IEngramStore store) => store.GetNamespaces().Sum(n => (long)n.MemoryCount);

        /// <summary>This process's peak resident set (Linux: VmHWM of /proc/self/status; elsewhere the peak working set).</summary>
        private static double PeakResidentMb()
        {
            const string status = "/proc/self/status";
            if (File.Exists(status))
            {
                var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line != null)
                    return double.Parse(line.Substring(6).Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            }
            return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
        }
    }
}
