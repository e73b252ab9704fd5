using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>
    /// <c>--verify-memory build-large|build-large-lines|build-many|run &lt;root&gt;</c>: the verifier's memory use (issue 16).
    /// <c>build-large</c> makes a file store whose one tracked memory holds a 200 MB value on one line (written twice: two
    /// history entries with values), <c>build-large-lines</c> the same as lines of 100 characters;
    /// <c>build-many</c> one of 100,000 small tracked memories; <c>run</c> verifies a store and prints its findings, its
    /// counts and the process's peak working set. Run <c>run</c> under <c>/usr/bin/time -v</c> for the kernel's figure
    /// (maximum resident set size); the builds are separate processes so that they do not count.
    /// </summary>
    public static class VerifyMemory
    {
        /// <summary>The text with a line feed for every 100th character (a multi-line text block in the files).</summary>
        private static string Lines(string text)
        {
            var chars = text.ToCharArray();
            for (int i = 99; i < chars.Length - 1; i += 100) chars[i] = '\n';
            return new string(chars);
        }

        public static int Run(string[] args)
        {
            if (args.Length < 2)
            {
                Console.Error.WriteLine("usage: --verify-memory build-large|build-large-lines|build-many|run <root>");
                return 2;
            }
            var root = args[1];
            var sw = Stopwatch.StartNew();
            switch (args[0])
            {
                case "build-large":
                case "build-large-lines":
                    {
                        var store = new EngramStore(root);
                        store.Initialize(new StoreConfig { MaxValueBytes = 256L * 1024 * 1024 });
                        const int size = 200 * 1024 * 1024;
                        for (int seed = 1; seed <= 2; seed++)
                        {
                            var value = BenchEnv.Text(size, seed);
                            if (args[0] == "build-large-lines") value = Lines(value);
                            store.Set(new SetRequest(BenchEnv.TrackedNs, "big", value) { Actor = BenchEnv.Actor });
                            GC.Collect();
                        }
                        break;
                    }
                case "build-many":
                    {
                        var store = BenchEnv.InitStore(root);
                        for (int i = 0; i < 100_000; i++)
                            store.Set(new SetRequest(BenchEnv.TrackedNs, "k" + i.ToString("D6", CultureInfo.InvariantCulture), BenchEnv.Text(100, i)) { Actor = BenchEnv.Actor });
                        break;
                    }
                case "run":
                    {
                        var report = new EngramStore(root).Verify();
                        foreach (var f in report.Findings) Console.WriteLine($"{f.Severity} {f.Kind} {f.Message}");
                        Console.WriteLine($"memories {report.MemoriesChecked}, histories {report.HistoriesChecked}, entries {report.EntriesChecked}, healthy {report.Healthy}");
                        break;
                    }
                default:
                    Console.Error.WriteLine($"unknown step '{args[0]}'");
                    return 2;
            }
            using (var self = Process.GetCurrentProcess())
                Console.WriteLine($"{args[0]}: {sw.Elapsed.TotalSeconds:0.0} s, peak working set {self.PeakWorkingSet64 / (1024.0 * 1024):N0} MiB");
            return 0;
        }
    }
}
