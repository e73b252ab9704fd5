using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Concurrent writers: P processes (this executable in --writer mode) each write N revisions of one tracked memory
    /// in one store, all at once. Reports writes/s and checks that no update was lost: the memory's version is P×N, its
    /// history has P×N entries with gap-free seq and version numbers and an unbroken hash chain, every value each
    /// process wrote is in it (in that process's order), and Verify finds nothing wrong.
    /// </summary>
    public static class Concurrency
    {
        public const string Ns = BenchEnv.TrackedNs;
        public const string Key = "counter";

        private static string GoFile(string root) => root.TrimEnd('/', '\\') + ".go";

        /// <summary>--writer &lt;root&gt; &lt;n&gt; &lt;id&gt;: says "ready", waits for &lt;root&gt;.go, writes, says "done &lt;ms&gt;".</summary>
        public static int Writer(string[] args)
        {
            if (args.Length != 4)
            {
                Console.Error.WriteLine("usage: Engram.Benchmarks --writer <root> <n> <id>");
                return 2;
            }
            var root = args[1];
            int n = int.Parse(args[2], CultureInfo.InvariantCulture);
            var id = args[3];
            var store = new EngramStore(root, new EngramStoreOptions { LockTimeout = TimeSpan.FromMinutes(2) });
            Console.WriteLine("ready");
            Console.Out.Flush();
            var go = GoFile(root);
            while (!File.Exists(go)) Thread.Sleep(1);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                var r = store.Set(new SetRequest(Ns, Key, $"w{id}-{i}") { Actor = "writer-" + id, Reason = "write " + i });
                if (!r.Changed || r.Entry == null) throw new InvalidOperationException($"writer {id}: write {i} was not recorded");
            }
            Console.WriteLine("done " + sw.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture));
            return 0;
        }

        public static int Run(string[] args)
        {
            int n = 250;
            var counts = new List<int> { 1, 4, 8 };
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--writes" && i + 1 < args.Length) n = int.Parse(args[++i], CultureInfo.InvariantCulture);
                else if (args[i] == "--processes" && i + 1 < args.Length)
                    counts = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            }
            var dll = typeof(Concurrency).Assembly.Location;
            Console.WriteLine($"Concurrent writers: each process writes {n} revisions of one tracked memory ({Ns}/{Key}), all processes at once.");
            Console.WriteLine($"Store folder: {BenchEnv.BaseDir}/run; processes: dotnet {Path.GetFileName(dll)} --writer <root> <n> <id>");
            Console.WriteLine();
            Console.WriteLine("| processes | writes | wall time (s) | writes/s | slowest process (s) | lost updates | seq/version gaps | hash chain | Verify |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|---|");
            bool allOk = true;
            foreach (var p in counts)
            {
                var root = BenchEnv.NewTempDir("concurrency-" + p);
                try
                {
                    allOk &= RunOne(dll, root, p, n);
                }
                finally
                {
                    BenchEnv.DeleteDir(root);
                    try { File.Delete(GoFile(root)); } catch (IOException) { }
                }
            }
            Console.WriteLine();
            Console.WriteLine(allOk ? "OK: no lost updates, no gaps." : "FAILED: see the table.");
            return allOk ? 0 : 1;
        }

        private static bool RunOne(string dll, string root, int processes, int n)
        {
            BenchEnv.InitStore(root);
            var procs = new List<Process>();
            var doneMs = new double[processes];
            try
            {
                for (int id = 0; id < processes; id++)
                {
                    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                    foreach (var a in new[] { dll, "--writer", root, n.ToString(CultureInfo.InvariantCulture), id.ToString(CultureInfo.InvariantCulture) })
                        psi.ArgumentList.Add(a);
                    procs.Add(Process.Start(psi)!);
                }
                foreach (var pr in procs)
                {
                    var line = pr.StandardOutput.ReadLine();
                    if (line != "ready") throw new InvalidOperationException("writer did not start: " + line + pr.StandardError.ReadToEnd());
                }
                var sw = Stopwatch.StartNew();
                File.WriteAllText(GoFile(root), "go");
                for (int id = 0; id < processes; id++)
                {
                    var pr = procs[id];
                    var err = pr.StandardError.ReadToEndAsync();
                    var line = pr.StandardOutput.ReadLine();
                    pr.WaitForExit();
                    if (pr.ExitCode != 0 || line == null || !line.StartsWith("done ", StringComparison.Ordinal))
                        throw new InvalidOperationException($"writer {id} failed ({pr.ExitCode}): {line} {err.Result}");
                    doneMs[id] = double.Parse(line.Substring(5), CultureInfo.InvariantCulture);
                }
                sw.Stop();

                // Verification.
                var store = new EngramStore(root);
                int total = processes * n;
                var memory = store.Get(Ns, Key);
                var entries = store.GetProvenance(Ns, Key).ToList();
                int gaps = 0;
                bool chain = true;
                for (int i = 0; i < entries.Count; i++)
                {
                    if (entries[i].Seq != i + 1 || entries[i].Version != i + 1) gaps++;
                    if (!entries[i].VerifyHash() || (i > 0 && entries[i].PrevHash != entries[i - 1].Hash)) chain = false;
                }
                var next = new int[processes];
                int outOfOrder = 0;
                foreach (var e in entries)
                {
                    var s = (string)e.Value!;
                    var parts = s.Substring(1).Split('-');
                    int w = int.Parse(parts[0], CultureInfo.InvariantCulture), k = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    if (k != next[w]) outOfOrder++;
                    next[w] = k + 1;
                }
                int present = next.Sum();
                int lost = total - entries.Count + outOfOrder + Math.Abs(memory.Version - total) + (total - present);
                var report = store.Verify();
                bool ok = lost == 0 && gaps == 0 && chain && report.Healthy && entries.Count == total;
                Console.WriteLine($"| {processes} | {total:N0} | {sw.Elapsed.TotalSeconds:0.00} | {total / sw.Elapsed.TotalSeconds:N0} | {doneMs.Max() / 1000:0.00} | {lost} | {gaps} | {(chain ? "intact" : "BROKEN")} | {(report.Healthy ? "healthy" : report.Findings.Count + " findings")} |");
                return ok;
            }
            finally
            {
                foreach (var pr in procs)
                {
                    try { if (!pr.HasExited) pr.Kill(); } catch (InvalidOperationException) { }
                    pr.Dispose();
                }
            }
        }
    }
}
