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
    /// Fault injection: every multi-file operation is failed (an ordinary exception from <see cref="EngramStore.FaultHook"/>)
    /// at each of its steps in turn, on a fresh copy of the same store. Each time the store must be byte-for-byte as it
    /// was, with no transaction left over, and running the operation again must give exactly the reference result.
    /// </summary>
    public class TransactionFaultTests : IDisposable
    {
        private readonly ScratchDir _dir = new ScratchDir();

        public void Dispose() => _dir.Dispose();

        public static IEnumerable<object[]> Operations() => BranchScenario.OperationNames();

        /// <summary>What an undisturbed run of an operation does, on its own fresh store.</summary>
        internal sealed class Reference
        {
            /// <summary>The store as built, never written to: each run works on a copy of it.</summary>
            public string Template = "";
            public List<string> Steps = new List<string>();
            public string Before = "";
            public string After = "";
            public string Result = "";
        }

        internal static Reference RunReference(ScratchDir dir, BranchScenario.Operation op)
        {
            var template = BranchScenario.Build(dir.NewRoot("template")).Root;
            var s = BranchScenario.CopyOf(template, dir.NewRoot("ref"));
            AssertClean(s.Root, "reference store before " + op.Name);
            var r = new Reference { Template = template, Before = StoreState.Capture(s, BranchScenario.Namespaces) };
            s.FaultHook = r.Steps.Add;
            r.Result = BranchScenario.Describe(op.Run(s));
            s.FaultHook = null;
            r.After = StoreState.Capture(s, BranchScenario.Namespaces);
            Assert.NotEqual(r.Before, r.After);
            AssertClean(s.Root, "reference store after " + op.Name);
            return r;
        }

        /// <summary>Verify finds nothing at all, and no transaction is pending.</summary>
        internal static void AssertClean(string root, string context)
        {
            var report = new EngramStore(root).Verify(repair: false);
            Assert.True(report.Findings.Count == 0,
                $"{context}: Verify found {string.Join("; ", report.Findings.Select(f => f.Kind + ": " + f.Message))}");
            AssertNoTransaction(root, context);
        }

        internal static void AssertNoTransaction(string root, string context)
        {
            var txn = Path.Combine(root, "_txn");
            Assert.True(!Directory.Exists(txn) || !Directory.EnumerateFileSystemEntries(txn).Any(),
                $"{context}: '_txn' still holds {string.Join(", ", Directory.Exists(txn) ? Directory.EnumerateFileSystemEntries(txn).Select(Path.GetFileName) : Array.Empty<string>())}");
        }

        /// <summary>A hook that throws <paramref name="fault"/> at the <paramref name="occurrence"/>-th (0-based) time <paramref name="step"/> is reached.</summary>
        internal static Action<string> FailAt(string step, int occurrence, Func<Exception> fault)
        {
            int seen = 0;
            return s =>
            {
                if (s == step && seen++ == occurrence) throw fault();
            };
        }

        /// <summary>(step, how many times it was seen before) for each recorded step.</summary>
        internal static List<(string Step, int Occurrence, int Index)> Points(List<string> steps) =>
            steps.Select((s, i) => (s, steps.Take(i).Count(x => x == s), i)).ToList();

        [Theory]
        [MemberData(nameof(Operations))]
        public void StepsAreReportedInProtocolOrder(string operation)
        {
            var op = BranchScenario.Get(operation);
            var r = RunReference(_dir, op);
            if (op.FastPath)
            {
                Assert.Equal(new[] { "prov-appended", "index-appended" }, r.Steps);
                return;
            }
            Assert.True(r.Steps.Count >= 5, $"{operation}: steps {string.Join(",", r.Steps)}");
            Assert.Equal(new[] { "staged", "intent-written", "committed" }, r.Steps.Take(3));
            Assert.Equal("before-cleanup", r.Steps.Last());
            var applied = r.Steps.Skip(3).Take(r.Steps.Count - 4).ToList();
            Assert.Equal(Enumerable.Range(1, applied.Count).Select(i => "applied-" + i), applied);
        }

        [Theory]
        [MemberData(nameof(Operations))]
        public void FailureAtEveryStep_RollsBackByteForByte_AndTheRetryGivesTheReferenceResult(string operation)
        {
            var op = BranchScenario.Get(operation);
            var reference = RunReference(_dir, op);
            Assert.NotEmpty(reference.Steps);
            var failures = new List<string>();
            foreach (var (step, occurrence, index) in Points(reference.Steps))
            {
                try { FailAndRetry(op, step, occurrence, reference); }
                catch (Exception ex) { failures.Add($"[{operation}] fault at step #{index + 1} '{step}': {ex.Message}"); }
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {reference.Steps.Count} steps failed:\n" + string.Join("\n\n", failures));
        }

        private void FailAndRetry(BranchScenario.Operation op, string step, int occurrence, Reference reference)
        {
            var root = _dir.NewRoot(op.Name);
            var s = BranchScenario.CopyOf(reference.Template, root);
            var before = StoreSnapshot.Take(root);

            var marker = "injected fault at " + step;
            s.FaultHook = FailAt(step, occurrence, () => new InvalidOperationException(marker));
            if (op.Batch)
            {
                // The batch's session failed and was rolled back; its records were then written one at a time (each
                // getting its own outcome): the same outcomes and the same store as the undisturbed run.
                Assert.Equal(reference.Result, BranchScenario.Describe(op.Run(s)));
                StoreState.AssertEqual(reference.After, StoreState.Capture(new EngramStore(root), BranchScenario.Namespaces), "after the batch fell back to single writes");
                AssertClean(root, "after the batch fell back to single writes");
                return;
            }
            var ex = Record.Exception(() => op.Run(s));
            Assert.True(ex != null, "the operation did not fail");
            Assert.True(ex!.Message == marker || ex.InnerException?.Message == marker, $"unexpected exception: {ex}");

            var after = StoreSnapshot.Take(root);
            StoreSnapshot.AssertSameFiles(before, after, "after the rolled-back failure");
            var dirs = StoreSnapshot.DiffDirectories(before, after, "_txn", "_tmp");
            Assert.True(dirs == null, "folders changed by the rolled-back failure:\n" + dirs);
            AssertNoTransaction(root, "after the rolled-back failure");
            AssertClean(root, "after the rolled-back failure");
            StoreState.AssertEqual(reference.Before, StoreState.Capture(new EngramStore(root), BranchScenario.Namespaces), "after the rolled-back failure");

            s.FaultHook = null;
            var result = BranchScenario.Describe(op.Run(s));
            Assert.Equal(reference.Result, result);
            StoreState.AssertEqual(reference.After, StoreState.Capture(new EngramStore(root), BranchScenario.Namespaces), "after the retry");
            AssertClean(root, "after the retry");
        }

        [Fact]
        public void FailureInTheFirstTransactionOfANewBranch_LeavesNoEmptyBranchFolder()
        {
            // A fork that fails must not leave _branches/<ns>/<branch>/ behind (Verify would call it a malformed branch).
            var root = _dir.NewRoot();
            var s = new EngramStore(root);
            s.Set(new SetRequest("shared", "a", 1));
            var before = StoreSnapshot.Take(root);
            s.FaultHook = FailAt("applied-2", 0, () => new IOException("disk full"));
            Assert.Throws<IOException>(() => s.Fork("shared", "kf", new[] { "a" }, "t", null));
            var after = StoreSnapshot.Take(root);
            StoreSnapshot.AssertSameFiles(before, after, "after the failed fork");
            Assert.Null(StoreSnapshot.DiffDirectories(before, after, "_txn", "_tmp"));
            Assert.False(Directory.Exists(Path.Combine(root, "_branches", "shared", "kf")));
            AssertClean(root, "after the failed fork");
            s.FaultHook = null;
            s.Fork("shared", "kf", new[] { "a" }, "t", null);
            AssertClean(root, "after the retried fork");
        }

        [Fact]
        public void FailureOfAFastPathWrite_OfANewTrackedMemory_RemovesItsNewLog()
        {
            var root = _dir.NewRoot();
            var s = new EngramStore(root);
            s.Set(new SetRequest("shared", "a", 1));
            var before = StoreSnapshot.Take(root);
            s.FaultHook = FailAt("prov-appended", 0, () => new InvalidOperationException("boom"));
            var ex = Assert.Throws<EngramException>(() => s.Set(new SetRequest("shared", "new", 1)));
            Assert.Equal(EngramErrorIds.WriteFailed, ex.ErrorId);
            StoreSnapshot.AssertSameFiles(before, StoreSnapshot.Take(root), "after the failed fast-path write");
            Assert.Null(s.TryGet("shared", "new"));
            AssertClean(root, "after the failed fast-path write");
        }
    }
}
