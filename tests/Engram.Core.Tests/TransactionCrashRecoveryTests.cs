using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Storage;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// Simulated crashes: the process "dies" (<see cref="SimulatedCrashException"/> from the fault hook) at each step of
    /// each multi-file operation. Verify must see it; the next writer, or Verify -Repair, must leave the store exactly
    /// as before the operation (crash before the commit point) or exactly as after it (crash at or after it).
    /// </summary>
    public class TransactionCrashRecoveryTests : IDisposable
    {
        private readonly ScratchDir _dir = new ScratchDir();

        public void Dispose() => _dir.Dispose();

        public static IEnumerable<object[]> Operations() => BranchScenario.OperationNames();

        private static bool ExpectFinished(BranchScenario.Operation op, List<string> steps, int index) =>
            !op.FastPath && index >= steps.IndexOf("committed");

        private (string Root, StoreSnapshot Before) CrashAt(BranchScenario.Operation op, TransactionFaultTests.Reference reference, string step, int occurrence)
        {
            var root = _dir.NewRoot(op.Name);
            var s = BranchScenario.CopyOf(reference.Template, root);
            var before = StoreSnapshot.Take(root);
            s.FaultHook = TransactionFaultTests.FailAt(step, occurrence, () => new SimulatedCrashException(step));
            var ex = Assert.Throws<SimulatedCrashException>(() => op.Run(s));
            Assert.Equal(step, ex.Step);
            return (root, before);
        }

        private static void RunForEveryStep(string operation, ScratchDir dir, Action<BranchScenario.Operation, TransactionFaultTests.Reference, string, int, int> check)
        {
            var op = BranchScenario.Get(operation);
            var reference = TransactionFaultTests.RunReference(dir, op);
            var failures = new List<string>();
            foreach (var (step, occurrence, index) in TransactionFaultTests.Points(reference.Steps))
            {
                try { check(op, reference, step, occurrence, index); }
                catch (Exception ex) { failures.Add($"[{operation}] crash at step #{index + 1} '{step}': {ex.Message}"); }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {reference.Steps.Count} steps failed:\n" + string.Join("\n\n", failures));
        }

        [Theory]
        [MemberData(nameof(Operations))]
        public void CrashAtEveryStep_IsReportedByVerify_AndRepairGivesBeforeOrAfter(string operation)
        {
            RunForEveryStep(operation, _dir, (op, reference, step, occurrence, index) =>
            {
                var (root, before) = CrashAt(op, reference, step, occurrence);
                bool finished = ExpectFinished(op, reference.Steps, index);

                // (a) A read-only check sees the interrupted write and changes nothing.
                var crashed = StoreSnapshot.Take(root);
                var report = new EngramStore(root).Verify(repair: false);
                var kinds = report.Findings.Select(f => f.Kind).ToList();
                Assert.True(!report.Healthy, "Verify(repair: false) called the crashed store healthy");
                Assert.True(kinds.Contains("InterruptedTransaction") || kinds.Contains("DanglingEntry"),
                    "Verify did not report the interrupted write; it found: " + string.Join(", ", kinds));
                if (op.FastPath) Assert.Contains("DanglingEntry", kinds);
                else Assert.Contains("InterruptedTransaction", kinds);
                StoreSnapshot.AssertSameFiles(crashed, StoreSnapshot.Take(root), "Verify(repair: false) changed the store");

                // (b) Repair finishes or discards it.
                var repaired = new EngramStore(root).Verify(repair: true);
                Assert.True(repaired.Healthy, "Verify(repair: true) left: " + string.Join("; ", repaired.Findings.Where(f => !f.Repaired).Select(f => f.Kind + ": " + f.Message)));
                TransactionFaultTests.AssertClean(root, "after Verify(repair: true)");

                var state = StoreState.Capture(new EngramStore(root), BranchScenario.Namespaces);
                if (finished)
                {
                    StoreState.AssertEqual(reference.After, state, "a crash after the commit point must be finished");
                }
                else
                {
                    StoreState.AssertEqual(reference.Before, state, "a crash before the commit point must be discarded");
                    StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(root), "a crash before the commit point must be discarded");
                    // And the operation can simply be run again.
                    var s = new EngramStore(root);
                    Assert.Equal(reference.Result, BranchScenario.Describe(op.Run(s)));
                    StoreState.AssertEqual(reference.After, StoreState.Capture(s, BranchScenario.Namespaces), "after re-running the discarded operation");
                    TransactionFaultTests.AssertClean(root, "after re-running the discarded operation");
                }
            });
        }

        [Theory]
        [MemberData(nameof(Operations))]
        public void CrashAtEveryStep_IsRecoveredByTheNextWriter(string operation)
        {
            RunForEveryStep(operation, _dir, (op, reference, step, occurrence, index) =>
            {
                var (root, before) = CrashAt(op, reference, step, occurrence);
                bool finished = ExpectFinished(op, reference.Steps, index);

                // Another process opens the store and writes something unrelated.
                var next = new EngramStore(root);
                next.Set(new SetRequest("scratch", "ping", "pong") { Actor = "next" });
                if (op.FastPath) Assert.Empty(next.LastRecovery);
                else
                {
                    var rec = Assert.Single(next.LastRecovery);
                    Assert.Equal(finished, rec.Finished);
                }
                TransactionFaultTests.AssertNoTransaction(root, "after the next write");
                StoreState.AssertEqual(finished ? reference.After : reference.Before,
                    StoreState.Capture(new EngramStore(root), BranchScenario.Namespaces),
                    finished ? "a crash after the commit point must be finished" : "a crash before the commit point must be discarded");

                if (!finished)
                {
                    // Byte-for-byte as before, apart from the unrelated write (and, for the fast path, the dangling
                    // entry and temp file that only a write to that memory or a repair removes).
                    if (!op.FastPath) StoreSnapshot.AssertSameFiles(before, WithoutScratch(root), "after the next write");
                }

                var repaired = new EngramStore(root).Verify(repair: true);
                Assert.True(repaired.Healthy, "Verify(repair: true) left: " + string.Join("; ", repaired.Findings.Where(f => !f.Repaired).Select(f => f.Kind + ": " + f.Message)));
                TransactionFaultTests.AssertClean(root, "after the next write and Verify(repair: true)");
                if (!finished)
                {
                    StoreSnapshot.AssertSameFiles(before, WithoutScratch(root), "after the next write and Verify(repair: true)");
                }
            });
        }

        private static StoreSnapshot WithoutScratch(string root)
        {
            var snap = StoreSnapshot.Take(root);
            foreach (var f in snap.Files.Keys.Where(k => k.StartsWith("scratch/", StringComparison.Ordinal) || k.StartsWith("_index/scratch/", StringComparison.Ordinal)).ToList())
                snap.Files.Remove(f);
            return snap;
        }

        [Fact]
        public void CrashAfterCommit_IsFinishedByTheNextWriteToTheSameBranch()
        {
            var root = _dir.NewRoot();
            var s = BranchScenario.Build(root);
            s.FaultHook = TransactionFaultTests.FailAt("applied-1", 0, () => new SimulatedCrashException("applied-1"));
            Assert.Throws<SimulatedCrashException>(() => s.Set(new SetRequest("shared", "e", 55) { Branch = "feat", Actor = "w" }));
            s.FaultHook = null;
            // The same store object writes again on the same branch: recovery runs first, then the write builds on it.
            var r = s.Set(new SetRequest("shared", "e", 56) { Branch = "feat", Actor = "w" });
            Assert.True(Assert.Single(s.LastRecovery).Finished);
            Assert.Equal(3, r.Memory.Version);
            Assert.Equal(56, s.TryGet("shared", "e", "feat")!.Value);
            var history = s.GetProvenance("shared", "e", branch: "feat").Select(e => e.Action + " v" + e.Version).ToList();
            Assert.Equal(new[] { "forked v1", "revised v2", "revised v3" }, history);
            TransactionFaultTests.AssertClean(root, "after the recovered branch writes");
        }
    }
}
