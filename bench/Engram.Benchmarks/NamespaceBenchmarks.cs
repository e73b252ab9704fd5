using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using BenchmarkDotNet.Attributes;
using Engram.Core;

namespace Engram.Benchmarks
{
    /// <summary>
    /// One store with untracked namespaces of 100,000 ("big"), 1,000 ("mid") and 100 ("small") memories, keys
    /// key-000001…, ~100-byte values. Built once per run through the store's own Set (so the files are exactly what
    /// Engram writes), then shared by every benchmark process.
    /// </summary>
    public static class NamespaceFixture
    {
        public const string Big = "big", Mid = "mid", Small = "small";
        public const int BigCount = 100_000, MidCount = 1_000, SmallCount = 100;

        public static string Key(int i) => "key-" + i.ToString("D6", CultureInfo.InvariantCulture);

        public static string Root => BenchEnv.Fixture("namespaces-v1", Build);

        private static void Build(string root)
        {
            var store = BenchEnv.InitStore(root);
            foreach (var (ns, count) in new[] { (Small, SmallCount), (Mid, MidCount), (Big, BigCount) })
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 1; i <= count; i++)
                    store.Set(new SetRequest(ns, Key(i), BenchEnv.Text(100, i)) { Actor = BenchEnv.Actor });
                Console.WriteLine($"// Engram: {count:N0} memories in '{ns}' written in {sw.Elapsed.TotalSeconds:0.0} s ({count / sw.Elapsed.TotalSeconds:N0}/s)");
            }
        }
    }

    /// <summary>Target 5a: Get by exact key must not depend on namespace size.</summary>
    [MemoryDiagnoser]
    public class NamespaceGet
    {
        private EngramStore _store = null!;
        // Not a key the merge benchmark changes (it changes every 100th key).
        private readonly string _keySmall = NamespaceFixture.Key(51), _keyBig = NamespaceFixture.Key(50_001);

        [GlobalSetup]
        public void Setup() => _store = new EngramStore(NamespaceFixture.Root);

        [Benchmark(Baseline = true, Description = "Get by key, namespace of 100")]
        public MemoryRecord Ns100() => _store.Get(NamespaceFixture.Small, _keySmall);

        [Benchmark(Description = "Get by key, namespace of 100,000")]
        public MemoryRecord Ns100k() => _store.Get(NamespaceFixture.Big, _keyBig);
    }

    /// <summary>
    /// Target 5b: wildcard listing throughput over 100,000 memories, per memory (OperationsPerInvoke), so Op/s is
    /// memories per second. Matching uses PowerShell's WildcardPattern, as Get-EngramMemory does.
    /// </summary>
    [MemoryDiagnoser]
    [WarmupCount(1), IterationCount(5)]
    public class NamespaceList
    {
        private EngramStore _store = null!;

        [GlobalSetup]
        public void Setup() => _store = new EngramStore(NamespaceFixture.Root);

        [Benchmark(Baseline = true, OperationsPerInvoke = NamespaceFixture.BigCount, Description = "List 100,000 (names only), per memory")]
        public int ListOnly() => _store.List(NamespaceFixture.Big).Count();

        [Benchmark(OperationsPerInvoke = NamespaceFixture.BigCount, Description = "Get-style '*': List + Read all 100,000, per memory")]
        public int ListAndReadAll()
        {
            var wp = new WildcardPattern("*", WildcardOptions.IgnoreCase);
            int n = 0;
            foreach (var loc in _store.List(NamespaceFixture.Big))
            {
                if (loc.Key != null && !wp.IsMatch(loc.Key)) continue;
                if (_store.Read(loc).Version > 0) n++;
            }
            if (n != NamespaceFixture.BigCount) throw new InvalidOperationException($"read {n} memories");
            return n;
        }

        [Benchmark(OperationsPerInvoke = NamespaceFixture.BigCount, Description = "Wildcard 'key-0123*' (100 of 100,000): List + match + Read, per memory listed")]
        public int Wildcard100()
        {
            var wp = new WildcardPattern("key-0123*", WildcardOptions.IgnoreCase);
            int n = 0;
            foreach (var loc in _store.List(NamespaceFixture.Big))
            {
                if (loc.Key != null && !wp.IsMatch(loc.Key)) continue;
                if (_store.Read(loc).Version > 0) n++;
            }
            if (n != 100) throw new InvalidOperationException($"matched {n} memories");
            return n;
        }
    }

    /// <summary>Target 5c: forking a whole namespace copies nothing, so it costs the same for 100 and 100,000 memories.</summary>
    [MemoryDiagnoser]
    public class NamespaceFork
    {
        private EngramStore _store = null!;
        private string _root = "";
        private readonly string _prefix = "fork-" + Guid.NewGuid().ToString("N").Substring(0, 6) + "-";
        private int _n;

        [GlobalSetup]
        public void Setup()
        {
            _root = NamespaceFixture.Root;
            _store = new EngramStore(_root);
        }

        /// <summary>Forks are folders under _branches/&lt;ns&gt;/ (a whole-namespace fork writes no provenance), so
        /// deleting this run's folders removes them completely.</summary>
        [GlobalCleanup]
        public void Cleanup()
        {
            foreach (var ns in new[] { NamespaceFixture.Small, NamespaceFixture.Big })
            {
                var dir = Path.Combine(_root, "_branches", ns);
                if (!Directory.Exists(dir)) continue;
                foreach (var b in Directory.GetDirectories(dir, _prefix + "*")) BenchEnv.DeleteDir(b);
                if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            }
        }

        [Benchmark(Baseline = true, Description = "Fork whole namespace of 100")]
        public BranchRecord Ns100() => _store.Fork(NamespaceFixture.Small, _prefix + (_n++).ToString(CultureInfo.InvariantCulture), null, BenchEnv.Actor);

        [Benchmark(Description = "Fork whole namespace of 100,000")]
        public BranchRecord Ns100k() => _store.Fork(NamespaceFixture.Big, _prefix + (_n++).ToString(CultureInfo.InvariantCulture), null, BenchEnv.Actor);
    }

    /// <summary>
    /// Target 5d: merging a namespace fork that changed 1,000 memories, in a namespace of 1,000 (all of them changed)
    /// and of 100,000 (every 100th changed). Each iteration forks, writes the 1,000 changes on the branch (not
    /// measured), merges (measured) and removes the branch (not measured).
    /// </summary>
    [MemoryDiagnoser]
    [InvocationCount(1)]
    [WarmupCount(1), IterationCount(6)]
    public class NamespaceMerge
    {
        private const string Branch = "merge-bench";
        private const int Changes = 1000;
        private EngramStore _store = null!;
        private readonly string _run = Guid.NewGuid().ToString("N").Substring(0, 8);
        private int _iteration;

        [GlobalSetup]
        public void Setup()
        {
            _store = new EngramStore(NamespaceFixture.Root);
            foreach (var ns in new[] { NamespaceFixture.Mid, NamespaceFixture.Big })
                if (_store.TryGetBranch(ns, Branch) != null) _store.RemoveBranch(ns, Branch); // left by an aborted run
        }

        private void Prepare(string ns, int step)
        {
            _iteration++;
            _store.Fork(ns, Branch, null, BenchEnv.Actor, "merge benchmark");
            for (int i = 1; i <= Changes; i++)
                _store.Set(new SetRequest(ns, NamespaceFixture.Key(i * step), $"changed on the branch, run {_run}, iteration {_iteration}, #{i}")
                    { Actor = BenchEnv.Actor, Branch = Branch });
        }

        private MergeResult DoMerge(string ns)
        {
            var r = _store.Merge(ns, Branch, MergeStrategy.Fail, BenchEnv.Actor, "merge benchmark");
            if (r.Merged.Count() != Changes) throw new InvalidOperationException($"merged {r.Merged.Count()} memories");
            return r;
        }

        [IterationSetup(Target = nameof(Ns1k))]
        public void PrepareMid() => Prepare(NamespaceFixture.Mid, 1);

        [IterationSetup(Target = nameof(Ns100k))]
        public void PrepareBig() => Prepare(NamespaceFixture.Big, 100);

        [IterationCleanup(Target = nameof(Ns1k))]
        public void CleanupMid() => _store.RemoveBranch(NamespaceFixture.Mid, Branch);

        [IterationCleanup(Target = nameof(Ns100k))]
        public void CleanupBig() => _store.RemoveBranch(NamespaceFixture.Big, Branch);

        [Benchmark(Baseline = true, Description = "Merge 1,000 changes, namespace of 1,000")]
        public MergeResult Ns1k() => DoMerge(NamespaceFixture.Mid);

        [Benchmark(Description = "Merge 1,000 changes, namespace of 100,000")]
        public MergeResult Ns100k() => DoMerge(NamespaceFixture.Big);
    }
}
