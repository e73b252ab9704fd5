using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace Engram.Core.Tests
{
    /// <summary>
    /// Test-EngramStore and Test-EngramProvenance on a store that other processes are writing: a finding seen while a
    /// write is half-done is re-checked under the store's lock, so a healthy store is never reported damaged.
    /// </summary>
    [Collection("Stress")]
    public class LiveVerifyTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();
        private readonly ITestOutputHelper _out;

        public LiveVerifyTests(ITestOutputHelper output) { _out = output; }

        public void Dispose() => _t.Dispose();

        [Fact]
        public async Task EightWriterProcesses_DistinctTrackedKeys_VerifyReportsNothing()
        {
            const int Workers = 8, PerWorker = 150;
            _t.Store.Initialize();
            for (int w = 0; w < Workers; w++) _t.Set("shared", "key-" + w, "start"); // every history exists before the race
            var procs = Enumerable.Range(0, Workers)
                .Select(w => StressWorkerProcess.Start(_t.Root, w.ToString(CultureInfo.InvariantCulture), PerWorker.ToString(CultureInfo.InvariantCulture), "shared", "key-" + w)).ToList();
            var outputs = procs.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();

            int runs = 0, provenanceRuns = 0, dismissed = 0;
            var findings = new List<StoreFinding>();
            var sw = Stopwatch.StartNew();
            try
            {
                while (procs.Any(p => !p.HasExited) && sw.Elapsed < TimeSpan.FromSeconds(120))
                {
                    var verifier = new EngramStore(_t.Root); // a fresh reader, as a monitoring script would have
                    var report = verifier.Verify();
                    runs++;
                    findings.AddRange(report.Findings);
                    dismissed += report.DismissedOnRecheck;
                    var prov = verifier.VerifyProvenance("shared");
                    provenanceRuns++;
                    findings.AddRange(prov.Findings);
                    dismissed += prov.DismissedOnRecheck;
                }
            }
            finally
            {
                foreach (var p in procs) if (!p.WaitForExit(90_000)) try { p.Kill(); } catch (InvalidOperationException) { }
            }
            for (int w = 0; w < Workers; w++)
                Assert.True(procs[w].ExitCode == 0, $"worker {w} exited {procs[w].ExitCode}: {await outputs[w].Err}");

            int errors = findings.Count(f => f.Severity == FindingSeverity.Error);
            int warnings = findings.Count(f => f.Severity == FindingSeverity.Warning);
            _out.WriteLine($"{Workers} writer processes x {PerWorker} tracked writes; {runs} Verify and {provenanceRuns} VerifyProvenance runs during them: " +
                           $"{errors} errors, {warnings} warnings; {dismissed} findings seen half-written and gone when re-read under the lock");
            foreach (var g in findings.GroupBy(f => f.Severity + " " + f.Kind)) _out.WriteLine($"  {g.Key}: {g.Count()}");
            Assert.True(runs > 0, "the writers finished before a single verification ran");
            Assert.Equal(0, errors);
            Assert.Equal(0, warnings);

            // And the store really is healthy: every write is there.
            var final = _t.Store.Verify();
            Assert.True(final.Healthy, string.Join("; ", final.Findings.Select(f => f.Message)));
            for (int w = 0; w < Workers; w++) Assert.Equal(PerWorker + 1, _t.Store.Get("shared", "key-" + w).Version);
        }
    }
}
