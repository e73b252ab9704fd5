using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Engram.Core.Tests
{
    /// <summary>
    /// A real crash: a worker process loops fork / branch write / merge / remove-branch and is killed (SIGKILL /
    /// TerminateProcess) at a random moment, three times on the same store. The store must then repair to healthy,
    /// with every acknowledged merge on main and nothing half-applied.
    /// </summary>
    public class KillCrashRecoveryTests : IDisposable
    {
        private readonly ScratchDir _dir = new ScratchDir();
        private readonly ITestOutputHelper _out;

        public KillCrashRecoveryTests(ITestOutputHelper output) { _out = output; }

        public void Dispose() => _dir.Dispose();

        private static string WorkerDll()
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "engram-crash-worker.dll");
            Assert.True(File.Exists(dll), $"'{dll}' is missing: the test project must reference Engram.CrashWorker.");
            return dll;
        }

        private static string DotNet()
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(host) && File.Exists(host) ? host! : "dotnet";
        }

        /// <summary>Kills per test: 3 in the suite; ENGRAM_KILL_RUNS=N for a longer campaign.</summary>
        private static int KillRuns =>
            int.TryParse(Environment.GetEnvironmentVariable("ENGRAM_KILL_RUNS"), out var n) && n > 0 ? n : 3;

        /// <summary>Runs the worker from <paramref name="start"/>, kills it after <paramref name="killAfterMs"/>; returns the acknowledged indexes.</summary>
        private static List<long> RunAndKill(string root, long start, int killAfterMs, string? mode = null)
        {
            var psi = new ProcessStartInfo(DotNet())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                CreateNoWindow = true,
            };
            psi.ArgumentList.Add(WorkerDll());
            psi.ArgumentList.Add(root);
            psi.ArgumentList.Add("100000");
            psi.ArgumentList.Add(start.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (mode != null) psi.ArgumentList.Add(mode);

            var acks = new List<long>();
            var errors = new List<string>();
            var firstAck = new ManualResetEventSlim(false);
            using var p = new Process { StartInfo = psi };
            p.OutputDataReceived += (_, e) =>
            {
                if (e.Data == null) return;
                if (e.Data.StartsWith("ack ", StringComparison.Ordinal))
                {
                    lock (acks) acks.Add(long.Parse(e.Data.Substring(4), System.Globalization.CultureInfo.InvariantCulture));
                    firstAck.Set();
                }
                else lock (errors) errors.Add("stdout: " + e.Data);
            };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (errors) errors.Add("stderr: " + e.Data); };
            var clock = Stopwatch.StartNew();
            Assert.True(p.Start(), "the worker did not start");
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();

            // Kill it killAfterMs after the start, in the middle of whatever it is doing, but not before it has done
            // something (on a loaded machine the runtime can take longer than that to start).
            firstAck.Wait(TimeSpan.FromSeconds(15));
            var left = killAfterMs - (int)clock.ElapsedMilliseconds;
            if (left > 0) Thread.Sleep(left);
            bool exitedOnItsOwn = p.HasExited;
            if (!exitedOnItsOwn) p.Kill(entireProcessTree: true);
            Assert.True(p.WaitForExit(10_000), "the killed worker did not exit");
            p.WaitForExit(); // drains the redirected streams
            Assert.False(exitedOnItsOwn, $"the worker stopped by itself (exit code {p.ExitCode}):\n{string.Join("\n", errors)}");
            lock (errors) Assert.True(errors.Count == 0, "the worker reported:\n" + string.Join("\n", errors));
            lock (acks)
            {
                for (int i = 0; i < acks.Count; i++) Assert.Equal(start + i, acks[i]);
                return acks.ToList();
            }
        }

        [Fact]
        public void KilledWorker_LosesNoAcknowledgedMerge_AndTheStoreRepairsToHealthy()
        {
            var root = _dir.NewRoot("kill");
            new EngramStore(root).Initialize();
            var rng = new Random();
            var acked = new List<long>();
            var inFlight = new List<long>(); // the iteration each killed worker was in: may or may not have merged
            long start = 1;
            var sw = Stopwatch.StartNew();
            for (int run = 0; run < KillRuns; run++)
            {
                int delay = rng.Next(300, 1501);
                var acks = RunAndKill(root, start, delay);
                acked.AddRange(acks);
                long current = acks.Count > 0 ? acks.Last() + 1 : start;
                inFlight.Add(current);
                var pending = Transaction.Pending(root).Select(d => Path.GetFileName(d) + (File.Exists(Path.Combine(d, "committed")) ? " (committed)" : " (not committed)")).ToList();
                pending.AddRange(Directory.Exists(Path.Combine(root, "_tmp")) ? Directory.EnumerateFiles(Path.Combine(root, "_tmp")).Select(f => "temp " + Path.GetFileName(f)) : Enumerable.Empty<string>());
                _out.WriteLine($"run {run + 1}: started at {start}, killed after {delay} ms, acknowledged {acks.Count}, in flight {current}; left behind: {(pending.Count == 0 ? "nothing" : string.Join(", ", pending))}; branches: {string.Join(",", new EngramStore(root).GetBranches("shared").Select(b => b.Record.Name + "(" + b.ChangedCount + ")"))}");
                start = current + 1; // the in-flight branch b{current} may still exist
            }
            Assert.True(acked.Count > 0, "no worker acknowledged anything before it was killed");

            // Recovery.
            var store = new EngramStore(root);
            var repair = store.Verify(repair: true);
            foreach (var f in repair.Findings) _out.WriteLine($"repair: {f.Kind} {(f.Repaired ? "(repaired)" : "(NOT repaired)")}: {f.Message}");
            Assert.True(repair.Healthy, "Verify(repair: true) left: " + string.Join("; ", repair.Findings.Where(f => !f.Repaired).Select(f => f.Kind + ": " + f.Message)));
            var check = new EngramStore(root).Verify(repair: false);
            Assert.True(check.Findings.Count == 0, "Verify after the repair found: " + string.Join("; ", check.Findings.Select(f => f.Kind + ": " + f.Message)));
            TransactionFaultTests.AssertNoTransaction(root, "after the repair");

            // Every memory file parses (main and every leftover branch).
            foreach (var f in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(root, f).Replace('\\', '/');
                if (rel == "engram.yaml" || rel.EndsWith("/branch.yaml", StringComparison.Ordinal)) continue;
                Assert.NotNull(MemoryFile.Parse(File.ReadAllText(f), "shared", f));
            }
            foreach (var b in store.GetBranches("shared"))
                foreach (var k in store.ListKeys("shared", b.Record.Name)) Assert.NotNull(store.TryGet("shared", k, b.Record.Name));

            for (int r = 0; r < 5; r++)
            {
                var key = "k" + r;
                var ackedHere = acked.Where(i => i % 5 == r).ToList();
                var maybe = inFlight.Where(i => i % 5 == r).ToList();
                // Short runs on a busy machine may never reach a key (its iterations all in flight and rolled back): then it
                // has neither memory nor history, which is right only when none of its merges was acknowledged.
                List<ProvenanceEntry> history;
                try
                {
                    history = store.GetProvenance("shared", key).ToList();
                }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MemoryNotFound)
                {
                    Assert.True(ackedHere.Count == 0, $"{key}: acknowledged merges {string.Join(",", ackedHere)} but the memory does not exist");
                    continue;
                }
                StoreState.AssertChain(history, "history of " + key);
                var mergedValues = history.Where(e => e.Branch == "main" && e.Action == ProvenanceActions.Merged)
                    .Select(e => Convert.ToInt64(e.Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

                // No acknowledged merge was lost, nothing was merged twice, and only in-flight ones may be extra.
                foreach (var i in ackedHere) Assert.True(mergedValues.Contains(i), $"{key}: acknowledged merge {i} is not in the history ({string.Join(",", mergedValues)})");
                Assert.Equal(mergedValues.Distinct().Count(), mergedValues.Count);
                foreach (var v in mergedValues) Assert.True(ackedHere.Contains(v) || maybe.Contains(v), $"{key}: merged value {v} was never written");
                Assert.Equal(mergedValues.OrderBy(v => v), mergedValues);

                var main = store.TryGet("shared", key);
                if (mergedValues.Count == 0)
                {
                    Assert.Empty(ackedHere);
                    continue;
                }
                Assert.NotNull(main);
                long value = Convert.ToInt64(main!.Value, System.Globalization.CultureInfo.InvariantCulture);
                long highestAcked = ackedHere.Count > 0 ? ackedHere.Max() : 0;
                Assert.True(value == mergedValues.Last(), $"{key}: main holds {value}, its history last merged {mergedValues.Last()}");
                Assert.True(value == highestAcked || (maybe.Contains(value) && value > highestAcked),
                    $"{key}: main holds {value}; the highest acknowledged is {highestAcked}, in flight were {string.Join(",", inFlight)}");
                Assert.Equal(mergedValues.Count, main.Version); // one version per merge, gap-free
            }

            // The store keeps working: one more iteration by hand.
            store.Fork("shared", "after", null, "t", null);
            store.Set(new SetRequest("shared", "k0", -1L) { Branch = "after" });
            store.Merge("shared", "after", MergeStrategy.Theirs, "t", null);
            store.RemoveBranch("shared", "after");
            Assert.Equal(-1L, Convert.ToInt64(store.TryGet("shared", "k0")!.Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(store.Verify().Findings.Count == 0);
            _out.WriteLine($"acknowledged {acked.Count} iterations in {sw.ElapsedMilliseconds} ms");
        }

        /// <summary>
        /// A worker killed at random while it starts histories (a new memory in a tracked namespace; a new memory with
        /// -TrackProvenance in an untracked one) and revises others: every acknowledged write is there with its one
        /// entry; a write in flight is either whole or gone without a trace (no memory, and no history that would make
        /// the memory tracked). In "batch" mode the three writes of an iteration are one batch (SetMany: one journal
        /// transaction), and an iteration in flight is whole or gone as a whole.
        /// </summary>
        [Theory]
        [InlineData("sets")]
        [InlineData("batch")]
        public void KilledWriter_LosesNoAcknowledgedWrite_AndLeavesNoHistoryWithoutItsMemory(string mode)
        {
            var root = _dir.NewRoot("kill-" + mode);
            new EngramStore(root).Initialize();
            var rng = new Random();
            var acked = new List<long>();
            var inFlight = new List<long>();
            long start = 1;
            for (int run = 0; run < KillRuns; run++)
            {
                int delay = rng.Next(200, 1001);
                var acks = RunAndKill(root, start, delay, mode);
                acked.AddRange(acks);
                long current = acks.Count > 0 ? acks.Last() + 1 : start;
                inFlight.Add(current);
                _out.WriteLine($"run {run + 1}: started at {start}, killed after {delay} ms, acknowledged {acks.Count}, in flight {current}");
                start = current + 1;
            }
            Assert.True(acked.Count > 0, "no worker acknowledged anything before it was killed");

            // Readers first, before any repair: what a crash left must already read right.
            var store = new EngramStore(root);
            void Whole(string ns, string key, long i)
            {
                Assert.Equal(i, Convert.ToInt64(store.Get(ns, key).Value, System.Globalization.CultureInfo.InvariantCulture));
                Assert.True(store.HasProvenance(ns, key), $"{ns}/{key}: acknowledged, but untracked");
                var h = store.GetProvenance(ns, key).ToList();
                Assert.Equal(new[] { "created" }, h.Select(e => e.Action));
            }
            void WholeOrGone(string ns, string key, long i)
            {
                if (store.TryGet(ns, key) != null) { Whole(ns, key, i); return; }
                Assert.False(store.HasProvenance(ns, key), $"{ns}/{key}: a write that never finished left a history");
                var ex = Assert.Throws<EngramException>(() => store.GetProvenance(ns, key).ToList());
                Assert.Equal(EngramErrorIds.MemoryNotFound, ex.ErrorId);
            }
            foreach (var i in acked)
            {
                Whole("shared", "n" + i, i);
                Whole("session", "u" + i, i);
            }
            foreach (var i in inFlight)
            {
                WholeOrGone("shared", "n" + i, i);
                WholeOrGone("session", "u" + i, i);
                if (mode == "batch")
                    Assert.True((store.TryGet("shared", "n" + i) != null) == (store.TryGet("session", "u" + i) != null),
                        $"iteration {i}: half of a batch is in the store");
            }
            var expected = new HashSet<string>(acked.Concat(inFlight).Select(i => "n" + i));
            foreach (var k in store.ListKeys("shared", null).Where(k => k.StartsWith('n')))
                Assert.True(expected.Contains(k), $"shared/{k} was never written");
            for (int r = 0; r < 5; r++)
            {
                var key = "k" + r;
                var ackedHere = acked.Where(i => i % 5 == r).ToList();
                var main = store.TryGet("shared", key);
                if (main == null) { Assert.Empty(ackedHere); continue; }
                long value = Convert.ToInt64(main.Value, System.Globalization.CultureInfo.InvariantCulture);
                long highest = ackedHere.Count > 0 ? ackedHere.Max() : 0;
                Assert.True(value == highest || (inFlight.Contains(value) && value > highest), $"{key}: holds {value}, highest acknowledged {highest}");
                var history = store.GetProvenance("shared", key).ToList();
                StoreState.AssertChain(history, "history of " + key);
                Assert.Equal(main.Version, history.Last().Version);
                Assert.Equal(Enumerable.Range(1, history.Count), history.Select(e => e.Version)); // one version per write, gap-free
            }

            // Then recovery: the store repairs to healthy, and the writes in flight still read the same afterwards.
            var repair = store.Verify(repair: true);
            foreach (var f in repair.Findings) _out.WriteLine($"repair: {f.Kind} {(f.Repaired ? "(repaired)" : "(NOT repaired)")}: {f.Message}");
            Assert.True(repair.Healthy, "Verify(repair: true) left: " + string.Join("; ", repair.Findings.Where(f => !f.Repaired).Select(f => f.Kind + ": " + f.Message)));
            Assert.Empty(new EngramStore(root).Verify().Findings);
            store = new EngramStore(root);
            foreach (var i in inFlight)
            {
                WholeOrGone("shared", "n" + i, i);
                WholeOrGone("session", "u" + i, i);
            }
            _out.WriteLine($"acknowledged {acked.Count} iterations ({acked.Count * 3} writes) over {KillRuns} kills");
        }
    }
}
