using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Engram.Core;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Engram.Benchmarks
{
    /// <summary>
    /// <c>--mcp [--calls 1000]</c>: the round trip of engram_put and engram_get through the protocol (the SDK's client,
    /// stdio, a server process started as <c>dotnet engram-mcp.dll</c>) beside the same calls in-process (the backend's
    /// Set of a tracked memory, and Get with the stale-source check engram_get makes). Median and p90 of N calls each, after
    /// a warm-up, on a fresh file store under <see cref="BenchEnv.BaseDir"/>.
    /// </summary>
    public static class McpRoundTrip
    {
        public static int Run(string[] args)
        {
            int calls = 1000;
            for (int i = 0; i < args.Length; i++)
                if (args[i] == "--calls" && i + 1 < args.Length) calls = int.Parse(args[++i], CultureInfo.InvariantCulture);
            return RunAsync(calls).GetAwaiter().GetResult();
        }

        private static string ServerDll()
        {
            var config = typeof(McpRoundTrip).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engram.PowerShell.sln"))) dir = dir.Parent;
            if (dir == null) throw new InvalidOperationException("repository root not found");
            var dll = Path.Combine(dir.FullName, "src", "Engram.Mcp", "bin", config, "net10.0", "engram-mcp.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException("build the server first: " + dll);
            return dll;
        }

        private static async Task<int> RunAsync(int calls)
        {
            var warmup = Math.Max(50, calls / 10);
            var value = BenchEnv.Text(100, 1);

            // In-process: the backend calls the tools make; through the protocol: the same calls as tool calls. Measured
            // A/B-interleaved in 10 blocks, so a busy moment of the machine hits both sides alike.
            var localRoot = BenchEnv.NewTempDir("mcp-local");
            var store = BenchEnv.InitStore(localRoot);
            var remoteRoot = BenchEnv.NewTempDir("mcp-remote");
            BenchEnv.InitStore(remoteRoot);
            var transport = new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = "engram-mcp", Command = "dotnet", Arguments = new[] { ServerDll(), "--store", remoteRoot },
            });
            await using var client = await McpClient.CreateAsync(transport, new McpClientOptions { ClientInfo = new Implementation { Name = "bench", Version = "1.0" } });
            void LocalPut(int i) => store.Set(new SetRequest(BenchEnv.TrackedNs, "k", value + i) { Actor = "bench/1.0", Reason = "bench", TrackProvenance = true });
            void LocalGet(int i) { _ = store.TryGet(BenchEnv.TrackedNs, "k"); _ = StaleSources.Stale(store, BenchEnv.TrackedNs, "k"); }
            async Task RemotePut(int i)
            {
                var r = await client.CallToolAsync("engram_put", new Dictionary<string, object?> { ["namespace"] = BenchEnv.TrackedNs, ["key"] = "k", ["value"] = value + i, ["reason"] = "bench" });
                if (r.IsError == true) throw new InvalidOperationException("engram_put failed");
            }
            async Task RemoteGet(int i)
            {
                var r = await client.CallToolAsync("engram_get", new Dictionary<string, object?> { ["namespace"] = BenchEnv.TrackedNs, ["key"] = "k" });
                if (r.IsError == true) throw new InvalidOperationException("engram_get failed");
            }
            for (int i = 0; i < warmup; i++) { LocalPut(-1 - i); LocalGet(i); await RemotePut(-1 - i); await RemoteGet(i); }
            var localPut = new List<double>(); var localGet = new List<double>(); var remotePut = new List<double>(); var remoteGet = new List<double>();
            const int Blocks = 10;
            for (int b = 0; b < Blocks; b++)
            {
                int from = b * calls / Blocks, to = (b + 1) * calls / Blocks;
                localPut.AddRange(Measure(from, to, LocalPut));
                remotePut.AddRange(await MeasureAsync(from, to, RemotePut));
                localGet.AddRange(Measure(from, to, LocalGet));
                remoteGet.AddRange(await MeasureAsync(from, to, RemoteGet));
            }

            Console.WriteLine($"engram-mcp round trip vs in-process, file store, 100-byte string value, tracked; {calls} calls each after {warmup} warm-up calls");
            Console.WriteLine("| call | in-process median (p90) | through MCP median (p90) | MCP overhead (median) |");
            Console.WriteLine("|---|---:|---:|---:|");
            Row("engram_put (Set, tracked)", Sorted(localPut), Sorted(remotePut));
            Row("engram_get (Get + stale sources)", Sorted(localGet), Sorted(remoteGet));
            BenchEnv.DeleteDir(localRoot);
            BenchEnv.DeleteDir(remoteRoot);
            return 0;
        }

        private static void Row(string name, double[] local, double[] remote) =>
            Console.WriteLine($"| {name} | {Us(Pct(local, 50))} µs ({Us(Pct(local, 90))}) | {Us(Pct(remote, 50))} µs ({Us(Pct(remote, 90))}) | {Us(Pct(remote, 50) - Pct(local, 50))} µs |");

        private static string Us(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

        private static double Pct(double[] sorted, int p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Round((sorted.Length - 1) * p / 100.0))];

        private static double[] Sorted(List<double> times)
        {
            var a = times.ToArray();
            Array.Sort(a);
            return a;
        }

        private static List<double> Measure(int from, int to, Action<int> call)
        {
            var times = new List<double>(to - from);
            for (int i = from; i < to; i++)
            {
                var t = Stopwatch.GetTimestamp();
                call(i);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds * 1000);
            }
            return times;
        }

        private static async Task<List<double>> MeasureAsync(int from, int to, Func<int, Task> call)
        {
            var times = new List<double>(to - from);
            for (int i = from; i < to; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await call(i);
                times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds * 1000);
            }
            return times;
        }
    }
}
