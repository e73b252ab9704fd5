using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Engram.Host;

namespace Engram.Benchmarks
{
    /// <summary>
    /// --ratios --only bulk [--count N] [--bulk-rounds R]: issue 16, target 3. N memories (100 B, tracked namespace
    /// <c>shared</c>) piped into one <c>Set-EngramMemory</c> through the real cmdlet in the hosted engine, on a new store
    /// of each backend, batched (the default) and one by one (<c>-ErrorAction Stop</c> turns batching off: one engine Set
    /// and one write session per record, which is what every pipeline did before batches). The input objects are made
    /// before the clock starts; the time of piping them into <c>Out-Null</c> is shown beside. Each round runs every
    /// configuration once, alternating the order of the two modes; medians over rounds. <c>--batched-only</c> skips the
    /// one-by-one runs (for a large N: they take minutes).
    /// </summary>
    public static class Bulk
    {
        public static void Run(int count, int rounds, List<string> dirs, List<Action> drops, bool batchedOnly = false)
        {
            Console.WriteLine($"Bulk: {count:N0} memories of 100 B piped into one Set-EngramMemory (tracked namespace), {rounds} round(s)");
            using var session = new EngramSession(options: new EngramSessionOptions { Output = TextWriter.Null, CaptureHostText = false });
            var made = session.Run("""
                $text = 'x' * 90
                $rows = foreach ($i in 1..$count) { [pscustomobject]@{ Key = 'k' + $i; Value = $text + $i } }
                $sw = [Diagnostics.Stopwatch]::StartNew(); $rows | Out-Null; $sw.Elapsed.TotalSeconds
                """, new Dictionary<string, object?> { ["count"] = count });
            if (!made.Succeeded) throw new InvalidOperationException(string.Join("; ", made.AllErrors));
            double floor = Convert.ToDouble(made.BaseObjects[made.BaseObjects.Count - 1], CultureInfo.InvariantCulture);

            var modes = batchedOnly ? new[] { "batched" } : new[] { "batched", "one by one" };
            var times = new Dictionary<(string Backend, string Mode), List<double>>();
            for (int round = 0; round < rounds; round++)
            {
                foreach (var backend in StoreSize.Backends())
                {
                    var order = (round & 1) == 0 ? modes : modes.Reverse().ToArray();
                    foreach (var mode in order)
                    {
                        var dir = BenchEnv.NewTempDir("bulk-" + backend);
                        dirs.Add(dir);
                        StoreSize.Build(backend, dir, 0, drops, out var location);
                        var r = session.Run("""
                            $sw = [Diagnostics.Stopwatch]::StartNew()
                            if ($oneByOne) { $rows | Set-EngramMemory -Store $location -Namespace shared -Actor bench -ErrorAction Stop }
                            else { $rows | Set-EngramMemory -Store $location -Namespace shared -Actor bench }
                            $sw.Elapsed.TotalSeconds
                            (Get-EngramNamespace -Store $location -Name shared).MemoryCount
                            """, new Dictionary<string, object?> { ["location"] = location, ["oneByOne"] = mode == "one by one" });
                        if (!r.Succeeded) throw new InvalidOperationException(string.Join("; ", r.AllErrors));
                        double seconds = Convert.ToDouble(r.BaseObjects[0], CultureInfo.InvariantCulture);
                        int written = Convert.ToInt32(r.BaseObjects[1], CultureInfo.InvariantCulture);
                        if (written != count) throw new InvalidOperationException($"{backend} {mode}: {written:N0} memories in the store, not {count:N0}");
                        if (!times.TryGetValue((backend, mode), out var list)) times[(backend, mode)] = list = new List<double>();
                        list.Add(seconds);
                        Console.WriteLine($"  round {round + 1}, {backend}, {mode}: {seconds:0.00} s, {count / seconds:N0} memories/s");
                        BenchEnv.DeleteDir(dir);
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine($"| backend | mode | median time | memories/s | vs one by one | ≥ 2,470/s (10× the original SQLite pipeline) |");
            Console.WriteLine("|---|---|---:|---:|---:|---|");
            foreach (var backend in StoreSize.Backends())
            {
                double Median(string mode) { var l = times[(backend, mode)].OrderBy(x => x).ToList(); return l[l.Count / 2]; }
                double batched = Median("batched"), single = batchedOnly ? double.NaN : Median("one by one");
                foreach (var (mode, t) in modes.Select(m => (m, m == "batched" ? batched : single)))
                    Console.WriteLine($"| {backend} | {mode} | {t:0.00} s | {count / t:N0} | {(double.IsNaN(single) ? "–" : (single / t).ToString("0.0", CultureInfo.InvariantCulture) + "×")} | {(count / t >= 2470 ? "yes" : "**no**")} |");
            }
            Console.WriteLine($"(the same objects piped into Out-Null: {floor:0.00} s)");
        }

        /// <summary>--ratios --only bulk-core [--count N]: the engine alone, SetMany in batches of 1,000 vs Set one by one
        /// (same requests, a new store each), per backend: what the cmdlet layer adds is the rest.</summary>
        public static void RunCore(int count, List<string> dirs, List<Action> drops)
        {
            Console.WriteLine($"Bulk, engine only: {count:N0} memories of 100 B (tracked namespace)");
            foreach (var backend in StoreSize.Backends())
                foreach (var mode in new[] { "SetMany", "Set", "SetMany" })
                {
                    var dir = BenchEnv.NewTempDir("bulk-core-" + backend);
                    dirs.Add(dir);
                    var store = StoreSize.Build(backend, dir, 0, drops);
                    var text = new string('x', 90);
                    var requests = Enumerable.Range(1, count).Select(i => new Engram.Core.SetRequest(BenchEnv.TrackedNs, "k" + i, text + i) { Actor = BenchEnv.Actor }).ToList();
                    var sw = Stopwatch.StartNew();
                    if (mode == "Set") foreach (var r in requests) store.Set(r);
                    else for (int i = 0; i < count; i += 1000) store.SetMany(requests.GetRange(i, Math.Min(1000, count - i)));
                    var seconds = sw.Elapsed.TotalSeconds;
                    Console.WriteLine($"  {backend}, {mode}: {seconds:0.00} s, {count / seconds:N0} memories/s");
                    (store as IDisposable)?.Dispose();
                    BenchEnv.DeleteDir(dir);
                }
        }
    }
}
