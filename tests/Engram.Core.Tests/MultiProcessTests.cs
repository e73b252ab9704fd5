using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Tests.Shared;
using Xunit;
using Xunit.Abstractions;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>Separate processes (tests/Engram.StressWorker) writing the same key: the cross-process lock must hold.</summary>
    [Collection("Stress")]
    public class MultiProcessTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();
        private readonly ITestOutputHelper _out;

        public MultiProcessTests(ITestOutputHelper output) { _out = output; }

        public void Dispose() => _t.Dispose();

        private static Process Start(params string[] args) => StressWorkerProcess.Start(args);

        [Fact]
        public async Task FourProcesses_SameTrackedKey_HistoryIsGapFreeAndComplete()
        {
            const int Workers = 4, PerWorker = 100, Total = Workers * PerWorker;
            _t.Store.Initialize(); // so the workers do not race to create engram.yaml (that race is covered below)
            var sw = Stopwatch.StartNew();
            var procs = Enumerable.Range(0, Workers).Select(w => Start(_t.Root, w.ToString(CultureInfo.InvariantCulture), PerWorker.ToString(CultureInfo.InvariantCulture), "shared", "hot")).ToList();
            var outputs = procs.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
            foreach (var p in procs)
            {
                if (!p.WaitForExit(90_000))
                {
                    foreach (var q in procs) try { q.Kill(); } catch (InvalidOperationException) { }
                    Assert.Fail("a worker did not finish within 90 s");
                }
            }
            _out.WriteLine($"{Workers} workers x {PerWorker} writes: {sw.ElapsedMilliseconds} ms");
            for (int w = 0; w < Workers; w++)
            {
                var stdout = await outputs[w].Out;
                var stderr = await outputs[w].Err;
                Assert.True(procs[w].ExitCode == 0, $"worker {w} exited {procs[w].ExitCode}: {stderr}");
                Assert.Equal("done", stdout.Trim());
                Assert.Equal("", stderr);
            }

            var m = _t.Store.Get("shared", "hot");
            Assert.Equal(Total, m.Version);
            var hist = _t.Store.GetProvenance("shared", "hot").ToList();
            Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), hist.Select(e => e.Seq));
            Assert.Equal(Enumerable.Range(1, Total), hist.Select(e => e.Version));
            var values = hist.Select(e => (string)e.Value!).ToList();
            var counts = values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
            for (int w = 0; w < Workers; w++)
                for (int i = 0; i < PerWorker; i++)
                {
                    Assert.True(counts.TryGetValue($"w{w}-{i}", out var c), $"w{w}-{i} is missing from the history");
                    Assert.Equal(1, c);
                }
            Assert.Equal(Total, counts.Count);
            for (int w = 0; w < Workers; w++)
            {
                Assert.Equal(Enumerable.Range(0, PerWorker).Select(i => $"w{w}-{i}"), values.Where(v => v.StartsWith($"w{w}-", StringComparison.Ordinal)));
                Assert.Equal("owned by " + w, _t.Store.Get("shared", "own-" + w).Value);
                Assert.Single(_t.Store.GetProvenance("shared", "own-" + w));
            }
            Assert.Equal(values.Last(), m.Value);
            AssertChain(hist);
            Assert.All(hist, e => Assert.Equal(m.Id, e.MemoryId));
            Assert.Empty(Directory.GetFiles(_t.P("_tmp")));
        }

        [Fact]
        public async Task ProcessesRacingToCreateTheStore_AllSucceed()
        {
            const int Workers = 3;
            Assert.False(Directory.Exists(_t.Root));
            var procs = Enumerable.Range(0, Workers).Select(w => Start(_t.Root, w.ToString(CultureInfo.InvariantCulture), "5", "longterm", "k")).ToList();
            var errs = procs.Select(p => p.StandardError.ReadToEndAsync()).ToList();
            procs.ForEach(p => p.StandardOutput.ReadToEnd());
            foreach (var p in procs) Assert.True(p.WaitForExit(60_000));
            for (int w = 0; w < Workers; w++) Assert.True(procs[w].ExitCode == 0, await errs[w]);
            var hist = _t.Store.GetProvenance("longterm", "k").ToList();
            Assert.Equal(Workers * 5, hist.Count);
            AssertChain(hist);
            Assert.Equal(Workers * 5, _t.Store.Get("longterm", "k").Version);
        }

        [Fact]
        public async Task WorkerFailure_IsReportedWithNonZeroExit()
        {
            var p = Start(_t.Root, "0", "1", "_reserved", "k");
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(60_000));
            Assert.NotEqual(0, p.ExitCode);
            Assert.Contains("ReservedNamespace", await err + "");
        }
    }
}
